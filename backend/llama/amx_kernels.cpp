// ggml's AMX kernels (Intel Xeon 4th generation and later). When the engine
// is compiled for a CPU with AMX-INT8 and AVX512-VNNI (-march=native on such
// a CPU, or the release's AMX variant), ggml-cpu registers the AMX buffer
// type and calls into these sources, which no Go package of the ollama module
// compiles; without this file the link fails. On every other target the
// included sources are guarded by the same macros and compile to nothing.
// Include paths: CGO_CPPFLAGS in the Makefile (-iquote ggml/src, ggml-cpu).
#include "amx/amx.cpp"
