package llama

// The Windows build (mingw-w64) finds GCC's AMX tile intrinsics through the
// wrapper in mingw/ (see mingw/amxtileintrin.h for why).

/*
#cgo CPPFLAGS: -I${SRCDIR}/mingw
*/
import "C"
