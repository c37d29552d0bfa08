// The AMX matrix-multiplication kernels; see amx_kernels.cpp.
#include "amx/mmq.cpp"
