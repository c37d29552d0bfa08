// Chapel's products of an attention layer's Q8_0 keys with query rows: the
// first half of the attention (one score per cached position, query row
// and head), for a reply's steps (one query row) and for batches (a
// prompt's, or a follow-up message's).
//
// ggml multiplies the keys of each KV head by the queries of each head as
// a matrix multiplication. For a single row, llamafile's tinyBLAS turns it
// down (n < 2), so ggml's general loop calls its Q8_0 dot product through a
// function pointer once per position and head, for 64 values (two blocks)
// of a 1B model's head, in chunks of 16 whose results pass through a
// buffer: at 2,048 positions of context that is 65,536 calls per layer and
// step, and the call, not the arithmetic, is most of the time (profiled on
// an AMD EPYC: 1B Q4_0 at 2,048 positions, the keys' product took about a
// quarter of a reply's step). Batches go to tinyBLAS (see scores_batch).
//
// Here the call that ggml makes to tinyBLAS for such a product (the
// linker's --wrap, repack_wrap.go, q6k_gemm.cpp) is answered directly. One
// query row: each thread runs over its share of the positions with the
// query's blocks held in registers and, per position, the arithmetic of
// ggml's ggml_vec_dot_q8_0_q8_0 (arch/x86/quants.c) in this build, in its
// order (eight positions' sums reduced side by side), so the scores are bit
// for bit ggml's (TestKQRows, TestKQProducts). Batches:
// tinyBLAS's arithmetic, in its order (TestKQProducts, TestKQRows).
// chapel_kq_driver = 0 (CHAPEL_KQ_DRIVER=ggml) leaves every call to ggml.

#include <stddef.h>
#include <stdint.h>

extern "C" {
int chapel_kq_driver = 1;  // 1: Chapel's products of Q8_0 keys; 0: ggml's
int chapel_kq_taken = 0;   // which ran (for tests): 1 one query's, 2 a batch's
}

#if defined(__x86_64__) && !defined(__APPLE__) && defined(__AVX2__) && defined(__F16C__) && defined(__FMA__)
#define CHAPEL_KQ_COMPILED 1
#include <immintrin.h>

#include <vector>

#include "ggml-cpu-impl.h"  // ggml_compute_params: the thread's index and count
#include "kernel_compare.h"

namespace {

struct q8 {  // block_q8_0 (ggml-common.h)
    uint16_t d;
    int8_t qs[32];
};
static_assert(sizeof(q8) == 34, "block_q8_0");

// The integer products of one block, summed in 32-bit lanes of four, as
// ggml's mul_sum_i8_pairs_float and tinyBLAS's updot do in this build:
// from |x| and y signed by x.
inline __m256 block_sums_ax(__m256i ax, __m256i sy) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    return _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(_mm256_setzero_si256(), ax, sy));
#elif defined(__AVXVNNI__)
    return _mm256_cvtepi32_ps(_mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), ax, sy));
#else
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_set1_epi16(1), _mm256_maddubs_epi16(ax, sy)));
#endif
}

inline __m256 block_sums(__m256i x, __m256i y) { return block_sums_ax(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x)); }

// One block of a key's score, as ggml's dot product adds it: acc plus the
// block's sums scaled by the key's scale times the query's (dy).
inline __m256 add_block(const q8 & x, __m256i qy, float dy, __m256 acc) {
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(x.d) * dy);
    return _mm256_fmadd_ps(d, block_sums(_mm256_loadu_si256((const __m256i *) x.qs), qy), acc);
}

// ggml's hsum_float_8, in its order.
inline float hsum8(__m256 x) {
    __m128 r = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

// The order of keys in the eight accumulators that makes the reduction
// below leave them in order (accumulator t holds key lane_key[t]).
constexpr int lane_key[8] = {0, 4, 1, 5, 2, 6, 3, 7};

// Eight hsum8 at once: acc[t] summed as hsum8 does, into lane lane_key[t].
inline __m256 hsum8x8(const __m256 * acc) {
    __m256 t[4];
    for (int p = 0; p < 4; p++) {  // lanes i + i+4 of two accumulators, one in each half
        const __m256 a = acc[2 * p], b = acc[2 * p + 1];
        t[p] = _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
    }
    __m256 u[2];
    for (int p = 0; p < 2; p++) {  // then 0+2 and 1+3
        const __m256 a = t[2 * p], b = t[2 * p + 1];
        u[p] = _mm256_add_ps(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
    }
    // then the two: lanes hold accumulators 0 2 4 6 | 1 3 5 7, keys 0-3 | 4-7
    return _mm256_add_ps(_mm256_shuffle_ps(u[0], u[1], _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm256_shuffle_ps(u[0], u[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

// scores: c[i] = key row i (k blocks, rows lda blocks apart) · query y,
// for rows [r0, r1). Queries of up to four blocks (heads of up to 128
// values) stay in registers. Eight keys at a time, their sums reduced
// together (hsum8x8): 1.3x one key at a time with its own reduction
// (2,048 positions of a 64-value head, one thread, AVX2 EPYC); the rows
// left over one at a time. Either way each score is ggml's, bit for bit.
template <int K>
void scores_fixed(const q8 * a, int64_t lda, const q8 * y, float * c, int64_t r0, int64_t r1) {
    __m256i qy[K];
    float dy[K];
    for (int b = 0; b < K; b++) {
        qy[b] = _mm256_loadu_si256((const __m256i *) y[b].qs);
        dy[b] = _cvtsh_ss(y[b].d);
    }
    int64_t i = r0;
    for (; i + 8 <= r1; i += 8) {
        __m256 acc[8];
        for (int t = 0; t < 8; t++) acc[t] = _mm256_setzero_ps();
        for (int b = 0; b < K; b++)
            for (int t = 0; t < 8; t++) acc[t] = add_block(a[(i + lane_key[t]) * lda + b], qy[b], dy[b], acc[t]);
        _mm256_storeu_ps(c + i, hsum8x8(acc));
    }
    for (; i < r1; i++) {
        __m256 acc = _mm256_setzero_ps();
        for (int b = 0; b < K; b++) acc = add_block(a[i * lda + b], qy[b], dy[b], acc);
        c[i] = hsum8(acc);
    }
}

void scores_any(const q8 * a, int64_t lda, const q8 * y, int64_t k, float * c, int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; i++) {
        __m256 acc = _mm256_setzero_ps();
        for (int64_t b = 0; b < k; b++)
            acc = add_block(a[i * lda + b], _mm256_loadu_si256((const __m256i *) y[b].qs), _cvtsh_ss(y[b].d), acc);
        c[i] = hsum8(acc);
    }
}

// Many query rows: a prompt's batch, or a follow-up message's. ggml hands
// these to tinyBLAS (llamafile/sgemm.cpp, tinyBLAS_Q0_AVX), whose tiles of
// four keys by two or four queries sum each score's lanes on their own:
// with a head of 64 values (two blocks) a score's horizontal sum and its
// scales cost as much as its products, and at 3,000 positions the keys'
// product took a fifth of a long prompt and of a follow-up message's first
// token (AVX2 EPYC, 1B Q4_0). Here eight keys are multiplied by one query
// at a time, the eight sums reduced together in the order tinyBLAS's hsum
// takes for each (lanes i and i+4, then 0+2 and 1+3, then the two), and
// every score is, as in tinyBLAS, fma(key scale × query scale, block's
// integer products, score so far) over its blocks from zero: bit for bit
// its result, with tinyBLAS's integer products too (|key| times the query
// signed by the key; the copy keeps |key| beside the key).

constexpr int64_t max_batch_blocks = 8;  // heads of up to 256 values

// scores_batch: c[j·ldc + i] = key row i · query row j for keys [r0, r1)
// (whole groups of eight) and all n queries, k ≤ max_batch_blocks blocks.
void scores_batch(const q8 * a, int64_t lda, const q8 * y, int64_t ldb, float * c, int64_t ldc, int64_t n, int64_t k,
                  int64_t r0, int64_t r1) {
    // The group's keys, copied next to each other and aligned (a block is
    // 34 bytes: in the cache's rows half of them straddle two lines), and
    // their scales, each in all lanes, in accumulator order.
    alignas(32) int8_t xq[max_batch_blocks][8][32], xa[max_batch_blocks][8][32];
    __m256 kd[max_batch_blocks][8];
    for (int64_t i0 = r0; i0 < r1; i0 += 8) {
        for (int t = 0; t < 8; t++) {
            const q8 * x = a + (i0 + lane_key[t]) * lda;
            for (int64_t b = 0; b < k; b++) {
                const __m256i v = _mm256_loadu_si256((const __m256i *) x[b].qs);
                _mm256_store_si256((__m256i *) xq[b][t], v);
                _mm256_store_si256((__m256i *) xa[b][t], _mm256_sign_epi8(v, v));
                kd[b][t] = _mm256_set1_ps(_cvtsh_ss(x[b].d));
            }
        }
        for (int64_t j = 0; j < n; j++) {
            const q8 * yj = y + j * ldb;
            __m256 acc[8];
            for (int t = 0; t < 8; t++) acc[t] = _mm256_setzero_ps();
            for (int64_t b = 0; b < k; b++) {
                const __m256i qy = _mm256_loadu_si256((const __m256i *) yj[b].qs);
                const __m256 dy = _mm256_set1_ps(_cvtsh_ss(yj[b].d));
                for (int t = 0; t < 8; t++) {
                    const __m256i sy = _mm256_sign_epi8(qy, _mm256_load_si256((const __m256i *) xq[b][t]));
                    const __m256i ax = _mm256_load_si256((const __m256i *) xa[b][t]);
                    acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(kd[b][t], dy), block_sums_ax(ax, sy), acc[t]);
                }
            }
            _mm256_storeu_ps(c + j * ldc + i0, hsum8x8(acc));
        }
    }
}

// kq_batch is every thread's share of a batch's scores: whole groups of
// eight keys, the last thread also the keys after them.
void kq_batch(int ith, int nth, int64_t m, int64_t n, int64_t k, const q8 * a, int64_t lda, const q8 * y,
              int64_t ldb, float * c, int64_t ldc) {
    const int64_t groups = m / 8, per = (groups + nth - 1) / nth;
    const int64_t g0 = per * ith, g1 = g0 + per < groups ? g0 + per : groups;
    if (g0 < g1) scores_batch(a, lda, y, ldb, c, ldc, n, k, 8 * g0, 8 * g1);
    if (ith == nth - 1 && 8 * groups < m)
        for (int64_t j = 0; j < n; j++) scores_any(a, lda, y + j * ldb, k, c + j * ldc, 8 * groups, m);
}

}  // namespace

extern "C" bool chapel_kq_rows(const struct ggml_compute_params * params, int64_t m, int64_t n, int64_t k,
                               const void * A, int64_t lda, const void * B, int64_t ldb, void * C, int64_t ldc,
                               int Atype, int Btype, int Ctype) {
    if (!chapel_kq_driver || n < 1 || m <= 0 || k <= 0 || Atype != GGML_TYPE_Q8_0 || Btype != GGML_TYPE_Q8_0 ||
        Ctype != GGML_TYPE_F32) {
        return false;
    }
    const q8 * a = static_cast<const q8 *>(A);
    const q8 * y = static_cast<const q8 *>(B);
    float * c = static_cast<float *>(C);
    // Every thread makes this call with the same arguments: each takes its
    // share of the positions, and ggml's barrier after the operation joins
    // them.
    if (n > 1) {
        // Longer rows are weights (a Q8_0 model's), which tinyBLAS's tiles
        // suit: they reuse each loaded row across queries. (Weights with
        // rows this short come here too, with the same results.)
        if (k > max_batch_blocks) return false;
        if (!(chapel_kq_taken & 2)) chapel_kq_taken |= 2;  // stored once: see repack_q4.cpp
        kq_batch(params->ith, params->nth, m, n, k, a, lda, y, ldb, c, ldc);
        return true;
    }
    if (!(chapel_kq_taken & 1)) chapel_kq_taken |= 1;
    const int64_t per = (m + params->nth - 1) / params->nth;
    const int64_t r0 = per * params->ith, r1 = r0 + per < m ? r0 + per : m;
    if (r0 >= r1) {
        return true;
    }
    switch (k) {
    case 1: scores_fixed<1>(a, lda, y, c, r0, r1); break;
    case 2: scores_fixed<2>(a, lda, y, c, r0, r1); break;
    case 3: scores_fixed<3>(a, lda, y, c, r0, r1); break;
    case 4: scores_fixed<4>(a, lda, y, c, r0, r1); break;
    default: scores_any(a, lda, y, k, c, r0, r1); break;
    }
    return true;
}

extern "C" void ggml_cpu_init(void);  // tinyBLAS reads ggml's table of F16 values
// ggml's Q8_0 dot product (ggml-cpu/quants.h), which its loop calls once per
// key for a single query row.
extern "C" void ggml_vec_dot_q8_0_q8_0(int n, float * s, size_t bs, const void * vx, size_t bx, const void * vy,
                                       size_t by, int nrc);
extern "C" bool __real_llamafile_sgemm(const struct ggml_compute_params * params, int64_t m, int64_t n, int64_t k,
                                       const void * A, int64_t lda, const void * B, int64_t ldb, void * C,
                                       int64_t ldc, int Atype, int Btype, int Ctype);

namespace {

// Made-up Q8_0 keys (m rows of k blocks, lda blocks apart: the heads of a
// cache row between them) and n query rows of k blocks.
struct madeup_kq {
    int64_t m, n, k, lda;
    std::vector<q8> a, y;
    madeup_kq(int64_t m, int64_t n, int64_t k, int64_t lda, unsigned seed, bool minus128 = false)
        : m(m), n(n), k(k), lda(lda) {
        chapel::xorshift r{seed};
        auto fill = [&](std::vector<q8> & v, size_t blocks, bool low) {
            v.resize(blocks);
            for (q8 & b : v) {
                b.d = _cvtss_sh(r.scale(), 0);
                for (int8_t & q : b.qs) q = low && r.next() % 7 == 0 ? (int8_t) -128 : r.activation();
            }
        };
        fill(a, (size_t)(m * lda), minus128);
        fill(y, (size_t)(n * k), false);
    }
    // Chapel's product (ours) or ggml's into out (n rows of m), the nth
    // threads' shares computed one after the other. ggml's: tinyBLAS for
    // batches, its dot product key by key for one query.
    void multiply(bool ours, int nth, float * out) const {
        if (n == 1 && !ours) {
            for (int64_t i = 0; i < m; i++)
                ggml_vec_dot_q8_0_q8_0((int)(k * 32), out + i, 0, a.data() + i * lda, 0, y.data(), 0, 1);
            return;
        }
        for (int ith = 0; ith < nth; ith++) {
            ggml_compute_params p = {};
            p.ith = ith, p.nth = nth;
            if (ours && n == 1)
                chapel_kq_rows(&p, m, 1, k, a.data(), lda, y.data(), k, out, m, GGML_TYPE_Q8_0, GGML_TYPE_Q8_0,
                               GGML_TYPE_F32);
            else if (ours)
                kq_batch(ith, nth, m, n, k, a.data(), lda, y.data(), k, out, m);
            else
                __real_llamafile_sgemm(&p, m, n, k, a.data(), lda, y.data(), k, out, m, GGML_TYPE_Q8_0,
                                       GGML_TYPE_Q8_0, GGML_TYPE_F32);
        }
    }
};

}  // namespace

// chapel_kq_compare multiplies made-up keys (m rows of k blocks, lda blocks
// apart; with minus128, some of their values -128, which ggml's quantiser
// never writes but another's weights may hold) by n query rows both ways,
// as nth threads would share them, and returns how many of the n × m
// scores differ in any bit, or -1 for a shape Chapel's products do not take
// (a batch of more than max_batch_blocks blocks). One query (n = 1) is
// compared with ggml's dot product, key by key, as ggml's loop takes it.
extern "C" int chapel_kq_compare(int m, int n, int k, int lda, int nth, unsigned seed, int minus128) {
    if (m < 1 || n < 1 || k < 1 || (n > 1 && k > max_batch_blocks) || lda < k || nth < 1) return -1;
    ggml_cpu_init();
    madeup_kq x(m, n, k, lda, seed | 1u, minus128 != 0);
    return chapel::compare((size_t)m * n, [&](bool ours, float * s) { x.multiply(ours, nth, s); });
}

// chapel_kq_measure times both on one thread: 3,072 cached positions of
// eight KV heads of 64 values by 32 query rows (chapel::alternate).
// out[0], out[1]: the median times in nanoseconds, Chapel's then
// tinyBLAS's. Returns 0, or -1 when rounds is below 1.
extern "C" int chapel_kq_measure(int rounds, double * out) {
    if (rounds < 1) return -1;
    ggml_cpu_init();
    madeup_kq x(3072, 32, 2, 16, 2463534242u);
    std::vector<float> s((size_t)(x.m * x.n));
    chapel::alternate(rounds, [&](bool ours) { x.multiply(ours, 1, s.data()); }, out);
    return 0;
}

#else
#define CHAPEL_KQ_COMPILED 0
struct ggml_compute_params;
extern "C" bool chapel_kq_rows(const struct ggml_compute_params *, int64_t, int64_t, int64_t, const void *, int64_t,
                               const void *, int64_t, void *, int64_t, int, int, int) {
    return false;
}
extern "C" int chapel_kq_compare(int, int, int, int, int, unsigned, int) { return -1; }
extern "C" int chapel_kq_measure(int, double *) { return -1; }
#endif

extern "C" int chapel_kq_compiled(void) { return CHAPEL_KQ_COMPILED; }
