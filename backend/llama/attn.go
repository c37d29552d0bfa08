package llama

/*
extern int chapel_kq_driver;
extern int chapel_kq_taken;
int chapel_kq_compiled(void);
int chapel_kq_compare(int m, int n, int k, int lda, int nth, unsigned seed, int minus128);
int chapel_kq_measure(int rounds, double *out);
extern int chapel_kqv_driver;
extern int chapel_kqv_taken;
int chapel_kqv_compiled(void);
extern int chapel_softmax_driver;
extern int chapel_softmax_taken;
int chapel_softmax_compiled(void);
int chapel_softmax_compare(int n, int rows, int heads, int mask, int threads, float max_bias, unsigned seed);
*/
import "C"

import (
	"fmt"
	"time"
)

// KQCompiled reports whether this build carries Chapel's products of Q8_0
// keys with query rows, one (a reply's step) or a batch (attn_rows.cpp;
// x86-64 with AVX2, Linux and Windows, where ggml's call to tinyBLAS is
// wrapped).
func KQCompiled() bool { return C.chapel_kq_compiled() != 0 }

// SetKQDriver chooses who computes attention scores over Q8_0 keys: true
// (the default) is Chapel's products, false ggml's (its loop of dot
// products for one query row, tinyBLAS for batches; CHAPEL_KQ_DRIVER=ggml).
// It clears what KQTaken and KQBatchTaken report. The tests compare the
// two.
func SetKQDriver(chapel bool) { C.chapel_kq_driver, C.chapel_kq_taken = cbool(chapel), 0 }

// KQDriver reports whether Chapel's product is on (SetKQDriver).
func KQDriver() bool { return C.chapel_kq_driver != 0 }

// KQTaken reports whether, since SetKQDriver, Chapel's one-query product
// ran.
func KQTaken() bool { return C.chapel_kq_taken&1 != 0 }

// KQBatchTaken reports whether, since SetKQDriver, Chapel's batch product
// ran.
func KQBatchTaken() bool { return C.chapel_kq_taken&2 != 0 }

// KQBatchCompare multiplies made-up Q8_0 keys (m rows of k blocks, lda
// blocks apart; with minus128, some values -128, as another quantiser's
// weights may hold) by n query rows with Chapel's batch product and with
// tinyBLAS, each as nth threads share the work, and returns how many of the
// n × m scores differ in any bit.
func KQBatchCompare(m, n, k, lda, nth int, seed uint32, minus128 bool) (int, error) {
	if !KQCompiled() {
		return 0, fmt.Errorf("this build has no Chapel key product")
	}
	d := C.chapel_kq_compare(C.int(m), C.int(n), C.int(k), C.int(lda), C.int(nth), C.uint(seed), cbool(minus128))
	if d < 0 {
		return 0, fmt.Errorf("compare the key products: %d keys × %d queries × %d blocks (rows %d apart) is not a shape the batch product takes", m, n, k, lda)
	}
	return int(d), nil
}

// KQBatchMeasure times Chapel's batch product and tinyBLAS's on one thread
// (3,072 positions of eight KV heads of 64 values by 32 query rows) in
// the given number of alternating rounds: [0] Chapel's median, [1]
// tinyBLAS's.
func KQBatchMeasure(rounds int) ([2]time.Duration, error) {
	var out [2]C.double
	if !KQCompiled() || C.chapel_kq_measure(C.int(rounds), &out[0]) != 0 {
		return [2]time.Duration{}, fmt.Errorf("measure the key products: not compiled, or %d rounds is too few", rounds)
	}
	return [2]time.Duration{time.Duration(out[0]), time.Duration(out[1])}, nil
}

// KQVCompiled reports whether this build carries Chapel's products of a
// single query row with F16 attention caches, the values and unquantised
// keys, each cached row read once for every query head that shares it
// (attn_f16.cpp; x86-64 with AVX2 or AVX-512, Linux and Windows, where
// ggml-cpu's hook for extra buffer types is wrapped).
func KQVCompiled() bool { return C.chapel_kqv_compiled() != 0 }

// SetKQVDriver chooses who computes those products: true (the default) is
// Chapel's, false ggml's loop of dot products (CHAPEL_KQV_DRIVER=ggml). It
// clears what KQVTaken reports. The tests compare the two.
func SetKQVDriver(chapel bool) { C.chapel_kqv_driver, C.chapel_kqv_taken = cbool(chapel), 0 }

// KQVDriver reports whether Chapel's products are on (SetKQVDriver).
func KQVDriver() bool { return C.chapel_kqv_driver != 0 }

// KQVTaken reports whether, since SetKQVDriver, Chapel's products ran.
func KQVTaken() bool { return C.chapel_kqv_taken != 0 }

// SoftmaxCompiled reports whether this build carries Chapel's softmax of
// attention scores (softmax.cpp; x86-64 with AVX2 or AVX-512, Linux and
// Windows, where ggml-cpu's hook for extra buffer types is wrapped).
func SoftmaxCompiled() bool { return C.chapel_softmax_compiled() != 0 }

// SetSoftmaxDriver chooses who computes the softmax of attention scores:
// true (the default) is Chapel's, false ggml's (CHAPEL_SOFTMAX_DRIVER=ggml).
// It clears what SoftmaxTaken reports. The tests compare the two.
func SetSoftmaxDriver(chapel bool) {
	C.chapel_softmax_driver, C.chapel_softmax_taken = cbool(chapel), 0
}

// SoftmaxDriver reports whether Chapel's softmax is on (SetSoftmaxDriver).
func SoftmaxDriver() bool { return C.chapel_softmax_driver != 0 }

// SoftmaxTaken reports whether, since SetSoftmaxDriver, Chapel's softmax
// ran.
func SoftmaxTaken() bool { return C.chapel_softmax_taken != 0 }

// SoftmaxMask is the kind of mask SoftmaxCompare adds to its scores.
type SoftmaxMask int

const (
	NoMask SoftmaxMask = iota
	F16Mask
	F32Mask
)

// SoftmaxCompare computes the softmax of made-up scores (heads × rows ×
// n, scaled, plus a causal mask of the given kind) through ggml's graph on
// the given threads with Chapel's softmax and with ggml's, and returns how
// many results differ in any bit. With maxBias > 0 (ALiBi, which Chapel's
// does not take) it checks that Chapel's did not run.
func SoftmaxCompare(n, rows, heads int, mask SoftmaxMask, threads int, maxBias float32, seed uint32) (int, error) {
	if !SoftmaxCompiled() {
		return 0, fmt.Errorf("this build has no Chapel softmax")
	}
	d := C.chapel_softmax_compare(C.int(n), C.int(rows), C.int(heads), C.int(mask), C.int(threads), C.float(maxBias), C.uint(seed))
	switch {
	case d == -2:
		return 0, fmt.Errorf("compare the softmax: Chapel's ran when it should not have (switched off, or ALiBi), or did not run when on")
	case d < 0:
		return 0, fmt.Errorf("compare the softmax: %d × %d × %d is not a shape", heads, rows, n)
	}
	return int(d), nil
}
