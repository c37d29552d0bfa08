// A wrapper of GCC's <amxtileintrin.h> for the Windows build (mingw-w64;
// amx_windows.go puts this directory first on the include path).
//
// GCC 12's header passes a tile load's or store's row stride to its inline
// assembly as a `long`. Windows is LLP64: a long is 32 bits there, so the
// stride lands in a 32-bit register and the assembler rejects the address
// `(%rdi,%eax,1)` in ggml's AMX kernels. The wrapper includes GCC's header
// and defines the three macros again with a 64-bit stride; the instructions
// are the same. Later GCC releases pass the stride as 64 bits themselves.
#include_next <amxtileintrin.h>

#if defined(_WIN64) && defined(__GNUC__) && !defined(__clang__)
#undef _tile_loadd_internal
#define _tile_loadd_internal(dst, base, stride)                                   \
    __asm__ volatile("tileloadd\t(%0,%1,1), %%tmm" #dst                           \
                     ::"r"((const void *) (base)), "r"((long long) (stride)))
#undef _tile_stream_loadd_internal
#define _tile_stream_loadd_internal(dst, base, stride)                            \
    __asm__ volatile("tileloaddt1\t(%0,%1,1), %%tmm" #dst                         \
                     ::"r"((const void *) (base)), "r"((long long) (stride)))
#undef _tile_stored_internal
#define _tile_stored_internal(src, base, stride)                                  \
    __asm__ volatile("tilestored\t%%tmm" #src ", (%0,%1,1)"                       \
                     ::"r"((void *) (base)), "r"((long long) (stride))            \
                     : "memory")
#endif
