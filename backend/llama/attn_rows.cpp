// Chapel's product of an attention layer's Q8_0 keys with a single query
// row: the first half of the attention in every step of a reply (one score
// per cached position and head).
//
// ggml multiplies the keys of each KV head by the query of each head as a
// matrix multiplication whose second operand has one row. llamafile's
// tinyBLAS turns a single row down (n < 2), so ggml's general loop calls its
// Q8_0 dot product through a function pointer once per position and head,
// for 64 values (two blocks) of a 1B model's head, in chunks of 16 whose
// results pass through a buffer: at 2,048 positions of context that is
// 65,536 calls per layer and step, and the call, not the arithmetic, is
// most of the time (profiled on an AMD EPYC: 1B Q4_0 at 2,048 positions,
// the keys' product took about a quarter of a reply's step).
//
// Here the call that ggml makes to tinyBLAS for such a product (the
// linker's --wrap, repack_wrap.go, q6k_gemm.cpp) is answered directly: each
// thread runs over its share of the positions with the query's blocks held
// in registers and, per position, the instructions ggml's
// ggml_vec_dot_q8_0_q8_0 (arch/x86/quants.c) runs in this build, in its
// order, so the scores are bit for bit ggml's (TestKQRows).
// chapel_kq_driver = 0 (CHAPEL_KQ_DRIVER=ggml) leaves every call to ggml.

#include <stddef.h>
#include <stdint.h>

extern "C" {
int chapel_kq_driver = 1;  // 1: Chapel's one-query product of Q8_0 keys; 0: ggml's loop
int chapel_kq_taken = 0;   // it ran (for tests)
}

#if defined(__x86_64__) && !defined(__APPLE__) && defined(__AVX2__) && defined(__F16C__) && defined(__FMA__)
#define CHAPEL_KQ_COMPILED 1
#include <immintrin.h>

#include "ggml-cpu-impl.h"  // ggml_compute_params: the thread's index and count

namespace {

struct q8 {  // block_q8_0 (ggml-common.h)
    uint16_t d;
    int8_t qs[32];
};
static_assert(sizeof(q8) == 34, "block_q8_0");

// The integer products of one block, summed in 32-bit lanes of four, as
// ggml's mul_sum_i8_pairs_float does in this build.
inline __m256 block_sums(__m256i x, __m256i y) {
    const __m256i ax = _mm256_sign_epi8(x, x);
    const __m256i sy = _mm256_sign_epi8(y, x);
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    return _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(_mm256_setzero_si256(), ax, sy));
#elif defined(__AVXVNNI__)
    return _mm256_cvtepi32_ps(_mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), ax, sy));
#else
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_set1_epi16(1), _mm256_maddubs_epi16(ax, sy)));
#endif
}

// ggml's hsum_float_8, in its order.
inline float hsum8(__m256 x) {
    __m128 r = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

// scores: c[i] = key row i (k blocks, rows lda blocks apart) · query y,
// for rows [r0, r1). Queries of up to four blocks (heads of up to 128
// values) stay in registers.
template <int K>
void scores_fixed(const q8 * a, int64_t lda, const q8 * y, float * c, int64_t r0, int64_t r1) {
    __m256i qy[K];
    float dy[K];
    for (int b = 0; b < K; b++) {
        qy[b] = _mm256_loadu_si256((const __m256i *) y[b].qs);
        dy[b] = _cvtsh_ss(y[b].d);
    }
    for (int64_t i = r0; i < r1; i++) {
        const q8 * x = a + i * lda;
        __m256 acc = _mm256_setzero_ps();
        for (int b = 0; b < K; b++) {
            const __m256 d = _mm256_set1_ps(_cvtsh_ss(x[b].d) * dy[b]);
            acc = _mm256_fmadd_ps(d, block_sums(_mm256_loadu_si256((const __m256i *) x[b].qs), qy[b]), acc);
        }
        c[i] = hsum8(acc);
    }
}

void scores_any(const q8 * a, int64_t lda, const q8 * y, int64_t k, float * c, int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; i++) {
        const q8 * x = a + i * lda;
        __m256 acc = _mm256_setzero_ps();
        for (int64_t b = 0; b < k; b++) {
            const __m256 d = _mm256_set1_ps(_cvtsh_ss(x[b].d) * _cvtsh_ss(y[b].d));
            acc = _mm256_fmadd_ps(d,
                                  block_sums(_mm256_loadu_si256((const __m256i *) x[b].qs),
                                             _mm256_loadu_si256((const __m256i *) y[b].qs)),
                                  acc);
        }
        c[i] = hsum8(acc);
    }
}

}  // namespace

extern "C" bool chapel_kq_one_row(const struct ggml_compute_params * params, int64_t m, int64_t n, int64_t k,
                                  const void * A, int64_t lda, const void * B, void * C, int Atype, int Btype,
                                  int Ctype) {
    if (!chapel_kq_driver || n != 1 || m <= 0 || k <= 0 || Atype != GGML_TYPE_Q8_0 || Btype != GGML_TYPE_Q8_0 ||
        Ctype != GGML_TYPE_F32) {
        return false;
    }
    if (!chapel_kq_taken) chapel_kq_taken = 1;  // stored once: see repack_q4.cpp
    // Every thread makes this call with the same arguments: each takes its
    // share of the positions, and ggml's barrier after the operation joins
    // them.
    const int64_t per = (m + params->nth - 1) / params->nth;
    const int64_t r0 = per * params->ith, r1 = r0 + per < m ? r0 + per : m;
    if (r0 >= r1) {
        return true;
    }
    const q8 * a = static_cast<const q8 *>(A);
    const q8 * y = static_cast<const q8 *>(B);
    float * c = static_cast<float *>(C);
    switch (k) {
    case 1: scores_fixed<1>(a, lda, y, c, r0, r1); break;
    case 2: scores_fixed<2>(a, lda, y, c, r0, r1); break;
    case 3: scores_fixed<3>(a, lda, y, c, r0, r1); break;
    case 4: scores_fixed<4>(a, lda, y, c, r0, r1); break;
    default: scores_any(a, lda, y, k, c, r0, r1); break;
    }
    return true;
}

#else
#define CHAPEL_KQ_COMPILED 0
struct ggml_compute_params;
extern "C" bool chapel_kq_one_row(const struct ggml_compute_params *, int64_t, int64_t, int64_t, const void *,
                                  int64_t, const void *, void *, int, int, int) {
    return false;
}
#endif

extern "C" int chapel_kq_compiled(void) { return CHAPEL_KQ_COMPILED; }
