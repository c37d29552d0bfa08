package llama

/*
#include <stdint.h>
#include <stddef.h>

// chapel_read_sum reads n 64-bit words with eight independent accumulators,
// so the loop is limited by memory, not by a dependency chain.
static uint64_t chapel_read_sum(const uint64_t * p, size_t n) {
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		a0 += p[i]; a1 += p[i + 1]; a2 += p[i + 2]; a3 += p[i + 3];
		a4 += p[i + 4]; a5 += p[i + 5]; a6 += p[i + 6]; a7 += p[i + 7];
	}
	for (; i < n; i++) a0 += p[i];
	return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}
*/
import "C"

import "unsafe"

// ReadSum sums words in C, compiled with the engine's flags (so with the
// same SIMD instructions llama.cpp uses): the memory-bandwidth benchmark
// times it to find the roofline for generation speed.
func ReadSum(words []uint64) uint64 {
	if len(words) == 0 {
		return 0
	}
	return uint64(C.chapel_read_sum((*C.uint64_t)(unsafe.Pointer(&words[0])), C.size_t(len(words))))
}
