package llama

/*
extern int chapel_kq_driver;
extern int chapel_kq_taken;
int chapel_kq_compiled(void);
int chapel_kq_compare(int m, int n, int k, int lda, int nth, unsigned seed);
int chapel_kq_measure(int rounds, double *out);
extern int chapel_kqv_driver;
extern int chapel_kqv_taken;
int chapel_kqv_compiled(void);
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
// blocks apart) by n query rows with Chapel's batch product and with
// tinyBLAS, each as nth threads share the work, and returns how many of the
// n × m scores differ in any bit.
func KQBatchCompare(m, n, k, lda, nth int, seed uint32) (int, error) {
	if !KQCompiled() {
		return 0, fmt.Errorf("this build has no Chapel key product")
	}
	d := C.chapel_kq_compare(C.int(m), C.int(n), C.int(k), C.int(lda), C.int(nth), C.uint(seed))
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
