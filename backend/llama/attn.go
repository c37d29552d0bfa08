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

// AttentionKernel is one of Chapel's attention kernels, each in front of
// ggml's through the linker's --wrap and bit for bit ggml's: a switch
// between the two (Env=ggml switches it off at Init) and whether it ran,
// for the tests that compare them.
type AttentionKernel struct {
	Env      string // "CHAPEL_KQ_DRIVER": =ggml leaves the work to ggml
	driver   *C.int
	taken    *C.int // set by the kernel when it runs (bits, for kernels sharing a switch)
	bit      C.int  // this kernel's bit of taken
	compiled func() C.int
}

var (
	// KQ computes a reply step's attention scores over Q8_0 keys: one
	// query row, against ggml's loop of dot products (attn_rows.cpp;
	// x86-64 with AVX2, Linux and Windows, where ggml's call to tinyBLAS is
	// wrapped).
	KQ = &AttentionKernel{Env: "CHAPEL_KQ_DRIVER", driver: &C.chapel_kq_driver, taken: &C.chapel_kq_taken, bit: 1,
		compiled: func() C.int { return C.chapel_kq_compiled() }}
	// KQBatch computes a batch's scores over Q8_0 keys (a prompt's, a
	// follow-up message's), against tinyBLAS: the same file and switch as
	// KQ.
	KQBatch = &AttentionKernel{Env: KQ.Env, driver: KQ.driver, taken: KQ.taken, bit: 2, compiled: KQ.compiled}
	// KQV computes a reply step's products with F16 attention caches, the
	// values and unquantised keys, each cached row read once for every
	// query head that shares it (attn_f16.cpp; x86-64 with AVX2 or
	// AVX-512, Linux and Windows, where ggml-cpu's hook for extra buffer
	// types is wrapped).
	KQV = &AttentionKernel{Env: "CHAPEL_KQV_DRIVER", driver: &C.chapel_kqv_driver, taken: &C.chapel_kqv_taken, bit: 1,
		compiled: func() C.int { return C.chapel_kqv_compiled() }}
	// Softmax computes the softmax of attention scores (softmax.cpp; where
	// KQV is wrapped).
	Softmax = &AttentionKernel{Env: "CHAPEL_SOFTMAX_DRIVER", driver: &C.chapel_softmax_driver, taken: &C.chapel_softmax_taken, bit: 1,
		compiled: func() C.int { return C.chapel_softmax_compiled() }}
)

// attentionSwitches are the kernels with a switch of their own.
var attentionSwitches = []*AttentionKernel{KQ, KQV, Softmax}

// Compiled reports whether this build carries the kernel.
func (k *AttentionKernel) Compiled() bool { return k.compiled() != 0 }

// Set chooses Chapel's kernel (true, the default) or ggml's, and clears
// what Taken reports (for every kernel on the same switch).
func (k *AttentionKernel) Set(chapel bool) { *k.driver, *k.taken = cbool(chapel), 0 }

// On reports whether Chapel's kernel is in use.
func (k *AttentionKernel) On() bool { return *k.driver != 0 }

// Taken reports whether, since Set, Chapel's kernel ran.
func (k *AttentionKernel) Taken() bool { return *k.taken&k.bit != 0 }

// driverName says who computes the kernel's work, for the kernels line:
// "Chapel's", "ggml's (CHAPEL_…_DRIVER=ggml)", or "" where the build has no
// such kernel.
func (k *AttentionKernel) driverName() string {
	switch {
	case !k.Compiled():
		return ""
	case k.On():
		return "Chapel's"
	default:
		return "ggml's (" + k.Env + "=ggml)"
	}
}

// KQCompare multiplies made-up Q8_0 keys (m rows of k blocks, lda blocks
// apart; with minus128, some values -128, as another quantiser's weights
// may hold) by n query rows with Chapel's product and with ggml's (tinyBLAS
// for a batch, its dot product key by key for one query, n = 1), each as
// nth threads share the work, and returns how many of the n × m scores
// differ in any bit.
func KQCompare(m, n, k, lda, nth int, seed uint32, minus128 bool) (int, error) {
	if !KQ.Compiled() {
		return 0, fmt.Errorf("this build has no Chapel key product")
	}
	d := C.chapel_kq_compare(C.int(m), C.int(n), C.int(k), C.int(lda), C.int(nth), C.uint(seed), cbool(minus128))
	if d < 0 {
		return 0, fmt.Errorf("compare the key products: %d keys × %d queries × %d blocks (rows %d apart) is not a shape Chapel's products take", m, n, k, lda)
	}
	return int(d), nil
}

// KQBatchMeasure times Chapel's batch product and tinyBLAS's on one thread
// (3,072 positions of eight KV heads of 64 values by 32 query rows) in
// the given number of alternating rounds: [0] Chapel's median, [1]
// tinyBLAS's.
func KQBatchMeasure(rounds int) ([2]time.Duration, error) {
	var out [2]C.double
	if !KQBatch.Compiled() || C.chapel_kq_measure(C.int(rounds), &out[0]) != 0 {
		return [2]time.Duration{}, fmt.Errorf("measure the key products: not compiled, or %d rounds is too few", rounds)
	}
	return [2]time.Duration{time.Duration(out[0]), time.Duration(out[1])}, nil
}

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
	if !Softmax.Compiled() {
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
