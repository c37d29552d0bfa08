package llama

/*
extern int chapel_repack_driver;
extern int chapel_repack_taken;
int chapel_repack_compiled(void);
*/
import "C"

// RepackCompiled reports whether this build carries Chapel's kernels for
// ggml's repacked Q4_0 weights (repack_q4.cpp: x86-64 with AVX2, Linux and
// Windows).
func RepackCompiled() bool { return C.chapel_repack_compiled() != 0 }

// SetRepackDriver chooses who multiplies repacked Q4_0 weights: true is
// Chapel's kernels (the default on builds without AVX-512), false ggml's.
// It clears what RepackTaken reports. The tests compare the two.
func SetRepackDriver(chapel bool) {
	C.chapel_repack_driver, C.chapel_repack_taken = cbool(chapel && RepackCompiled()), 0
}

// RepackDriver reports whether Chapel's kernels are in use.
func RepackDriver() bool { return C.chapel_repack_driver != 0 }

// RepackTaken reports which of Chapel's kernels ran since SetRepackDriver:
// the one-row kernel (every generated token) and the four-row kernel
// (prompt batches).
func RepackTaken() (oneRow, fourRows bool) {
	return C.chapel_repack_taken&1 != 0, C.chapel_repack_taken&2 != 0
}
