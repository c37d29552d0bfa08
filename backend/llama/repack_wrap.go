//go:build (linux || windows) && amd64

package llama

// ggml's calls to its Q4_0 repack kernels go to repack_q4.cpp first, those
// to its four-row Q4_K kernel to repack_q4k.cpp, and its matrix
// multiplication's call to llamafile's tinyBLAS to q6k_gemm.cpp, and its
// hook for extra buffer types (called for every operation) to attn_f16.cpp.
// cgo's LDFLAGS allow-list admits -Wl,--wrap; GNU ld and mingw's ld apply
// it to the calls from ggml-cpu's repack.cpp and ggml-cpu.c, other object
// files.

// #cgo LDFLAGS: -Wl,--wrap=ggml_gemv_q4_0_8x8_q8_0 -Wl,--wrap=ggml_gemm_q4_0_8x8_q8_0 -Wl,--wrap=ggml_gemm_q4_K_8x8_q8_K -Wl,--wrap=llamafile_sgemm -Wl,--wrap=ggml_cpu_extra_compute_forward
import "C"
