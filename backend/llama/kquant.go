package llama

/*
extern int chapel_q4k_driver;
extern int chapel_q4k_taken;
int chapel_q4k_compiled(void);
int chapel_q4k_compare(int n, int nc, int rows, unsigned seed);
int chapel_q4k_measure(int rounds, double *out);
extern int chapel_q6k_driver;
extern int chapel_q6k_taken;
int chapel_q6k_compiled(void);
int chapel_q6k_compare(int m, int n, int k, unsigned seed);
int chapel_q6k_measure(int rounds, double *out);
*/
import "C"

import (
	"fmt"
	"time"
)

// KQuantKernel is one of Chapel's kernels for K-quant weights, which the
// linker puts in front of ggml's own (x86-64 with AVX512-VNNI or AVX2,
// Linux and Windows): a switch between the two, whether Chapel's ran, and a comparison and a
// timing of both on made-up weights.
type KQuantKernel struct {
	Name string // as RepackChoice names it: "Q4_K prompts"
	what string // in errors

	driver, taken *C.int
	compiled      func() C.int
	compare       func(a, b, c C.int, seed C.uint) C.int
	measure       func(rounds C.int, out *C.double) C.int
	def           bool // the build's default, read before any Set
}

var (
	// Q4K multiplies ggml's repacked Q4_K weights by prompt batches of
	// four rows at a time (repack_q4k.cpp). Compare's shape: n values (a
	// multiple of 256) of nc columns (a multiple of 8), rows rows (a
	// multiple of 4).
	Q4K = &KQuantKernel{
		Name: "Q4_K prompts", what: "Q4_K kernel",
		driver: &C.chapel_q4k_driver, taken: &C.chapel_q4k_taken,
		compiled: func() C.int { return C.chapel_q4k_compiled() },
		compare:  func(a, b, c C.int, seed C.uint) C.int { return C.chapel_q4k_compare(a, b, c, seed) },
		measure:  func(r C.int, out *C.double) C.int { return C.chapel_q4k_measure(r, out) },
		def:      C.chapel_q4k_driver != 0,
	}
	// Q6K multiplies Q6_K weights, which ggml does not repack, by batches
	// of four or more activation rows (q6k_gemm.cpp). Compare's shape: m
	// weight rows, n activation rows (at least 4), k super-blocks of 256
	// values.
	Q6K = &KQuantKernel{
		Name: "Q6_K prompts", what: "Q6_K product",
		driver: &C.chapel_q6k_driver, taken: &C.chapel_q6k_taken,
		compiled: func() C.int { return C.chapel_q6k_compiled() },
		compare:  func(a, b, c C.int, seed C.uint) C.int { return C.chapel_q6k_compare(a, b, c, seed) },
		measure:  func(r C.int, out *C.double) C.int { return C.chapel_q6k_measure(r, out) },
		def:      C.chapel_q6k_driver != 0,
	}
)

// KQuantKernels are the K-quant kernels this build carries.
func KQuantKernels() []*KQuantKernel {
	var ks []*KQuantKernel
	for _, k := range []*KQuantKernel{Q4K, Q6K} {
		if k.Compiled() {
			ks = append(ks, k)
		}
	}
	return ks
}

// Compiled reports whether this build carries the kernel.
func (k *KQuantKernel) Compiled() bool { return k.compiled() != 0 }

// Set chooses Chapel's kernel (true) or ggml's, and clears what Taken
// reports.
func (k *KQuantKernel) Set(chapel bool) {
	d := C.int(0)
	if chapel && k.Compiled() {
		d = 1
	}
	*k.driver, *k.taken = d, 0
}

// On reports whether Chapel's kernel is in use.
func (k *KQuantKernel) On() bool { return *k.driver != 0 }

// Taken reports whether Chapel's kernel ran since Set.
func (k *KQuantKernel) Taken() bool { return *k.taken != 0 }

// Compare runs Chapel's and ggml's kernels on the same made-up weights of
// the given shape (see Q4K, Q6K) and returns how many results differ from
// ggml's in any bit.
func (k *KQuantKernel) Compare(a, b, c int, seed uint32) (int, error) {
	if !k.Compiled() {
		return 0, fmt.Errorf("this build has no Chapel %s", k.what)
	}
	d := k.compare(C.int(a), C.int(b), C.int(c), C.uint(seed))
	if d < 0 {
		return 0, fmt.Errorf("compare the %s: %d × %d × %d is not a shape it takes", k.what, a, b, c)
	}
	return int(d), nil
}

// Measure times Chapel's and ggml's kernels on one thread in the given
// number of alternating rounds (a few milliseconds each): [0] Chapel's
// median, [1] ggml's.
func (k *KQuantKernel) Measure(rounds int) ([2]time.Duration, error) {
	if !k.Compiled() {
		return [2]time.Duration{}, fmt.Errorf("this build has no Chapel %s", k.what)
	}
	var out [2]C.double
	if k.measure(C.int(rounds), &out[0]) != 0 {
		return [2]time.Duration{}, fmt.Errorf("measure the %s: %d rounds is too few", k.what, rounds)
	}
	return [2]time.Duration{time.Duration(out[0]), time.Duration(out[1])}, nil
}
