// Chapel's matrix product for Q6_K weights times Q8_K activations. ggml
// does not repack Q6_K, so its matrix multiplication takes such weights
// one dot product at a time (ggml_vec_dot_q6_K_q8_K): one weight row by
// one activation row per call, every weight unpacked again for every
// token. In Q4_K_M models Q6_K holds the output layer and some of the value
// and feed-forward down projections; it took 24 % of a 512-token prompt of
// the 1B Q4_K_M model, once Chapel's Q4_K kernel (repack_q4k.cpp) had made
// the rest faster, and 14 % in the portable x86-64-v3 engine. Built with
// AVX512-VNNI (the avx512 and amx release engines) or with AVX2 and FMA
// (the x86-64-v3 engine); other builds leave ggml's product alone.
//
// ggml-cpu asks llamafile's tinyBLAS first (llamafile_sgemm), which takes
// no K-quants and says so, and then runs its own loop. The linker routes
// that call here (-Wl,--wrap, repack_wrap.go): for Q6_K × Q8_K into F32
// with four or more activation rows (prompt batches) this product runs and
// answers true, so ggml skips its loop; every other call goes on to
// tinyBLAS.
//
// How: tiles of four weight rows by four activation rows, so that each
// weight super-block is unpacked once per tile and each activation row's
// offset term once per tile, not once per dot product.
//   - AVX512-VNNI: each weight row's super-block is unpacked into 6-bit
//     values (four 512-bit vectors) and its sixteen scales, and multiplied
//     by the four activation rows with vpdpbusd, the offset of 32 taken off
//     by starting each sum from -32 × the activations' sum.
//   - AVX2: 32 values at a time, each chunk of weights unpacked once and
//     multiplied with maddubs by the four activation rows, from which
//     maddubs(32, activations), worked out once per tile, is taken off as
//     in ggml's dot product.
// The integers in each of the eight 32-bit lanes are those of ggml's AVX2
// dot product (which AVX-512 builds run too), and the floats go through
// the same operations in the same order (per super-block one FMA per lane,
// then ggml's horizontal sum), so the results are ggml's bit for bit.

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "kernel_compare.h"

#if defined(__x86_64__) && !defined(__APPLE__)
#define CHAPEL_Q6K_WRAPPED 1
#else
#define CHAPEL_Q6K_WRAPPED 0
#endif

#if CHAPEL_Q6K_WRAPPED && defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && \
    defined(__AVX512VNNI__) && defined(__F16C__)
#define CHAPEL_Q6K_COMPILED 1
#define CHAPEL_Q6K_VNNI 1
#elif CHAPEL_Q6K_WRAPPED && defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define CHAPEL_Q6K_COMPILED 1
#define CHAPEL_Q6K_VNNI 0
#else
#define CHAPEL_Q6K_COMPILED 0
#endif

extern "C" {
int chapel_q6k_driver = CHAPEL_Q6K_COMPILED;  // 1: Chapel's product; 0: ggml's
int chapel_q6k_taken = 0;                     // 1: Chapel's product ran
int chapel_q6k_compiled(void) { return CHAPEL_Q6K_COMPILED; }
}

#if CHAPEL_Q6K_COMPILED
#include <immintrin.h>

namespace {

// The layouts of ggml-common.h, restated.
struct q6k {              // one super-block of 256 values of one weight row
    uint8_t ql[128];      // low four bits: value 128j + 32i + b in byte
                          // 64j + 32(i & 1) + b, high nibble when i >= 2
    uint8_t qh[64];       // high two bits: byte 32j + b, bits 2i..2i+1
    int8_t scales[16];    // one per 16 values
    uint16_t d;           // f16
};
struct q8k {              // one super-block of one activation row
    float d;
    int8_t qs[256];
    int16_t bsums[16];
};
static_assert(sizeof(q6k) == 210, "block_q6_K");
static_assert(sizeof(q8k) == 292, "block_q8_K");

enum { TYPE_F32 = 0, TYPE_Q6_K = 14, TYPE_Q8_K = 15 };  // ggml.h's ggml_type

inline float f16(uint16_t h) { return _cvtsh_ss(h); }

// ggml's horizontal sum of eight floats, in its order.
inline float hsum8(__m256 x) {
    __m128 r = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

#if CHAPEL_Q6K_VNNI
// A weight row's super-block, unpacked: q[c] values 64c..64c+63 (0..63,
// the offset of 32 not yet taken off); s[c] the scale of each 32-bit lane
// of q[c] (lane k: values 64c + 4k..4k+3, scale 4c + k/4) in its low 16
// bits, for vpmaddwd.
struct weights {
    __m512i q[4], s[4];
};

inline void unpack(const q6k &b, weights &w) {
    const __m512i low4 = _mm512_set1_epi8(0x0F), top2 = _mm512_set1_epi8(0x30);
    // Where each half of a 64-byte vector finds its two bits in qh.
    const __m512i upA = _mm512_setr_epi64(4, 4, 4, 4, 2, 2, 2, 2), downB = _mm512_setr_epi64(0, 0, 0, 0, 2, 2, 2, 2);
    for (int j = 0; j < 2; j++) {
        const __m512i l = _mm512_loadu_si512((const void *)(b.ql + 64 * j));
        const __m512i h = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b.qh + 32 * j)));
        const __m512i ha = _mm512_and_si512(_mm512_sllv_epi64(h, upA), top2);
        const __m512i hb = _mm512_and_si512(_mm512_srlv_epi64(h, downB), top2);
        w.q[2 * j] = _mm512_ternarylogic_epi32(l, ha, low4, 0xEC);  // (l & low4) | ha
        w.q[2 * j + 1] = _mm512_ternarylogic_epi32(_mm512_srli_epi16(l, 4), hb, low4, 0xEC);
    }
    const __m128i sc = _mm_loadu_si128((const __m128i *)b.scales);
    const __m512i low16 = _mm512_set1_epi32(0xFFFF);
    for (int c = 0; c < 4; c++) {
        const __m128i pick = _mm_add_epi8(_mm_setr_epi8(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3), _mm_set1_epi8((char)(4 * c)));
        w.s[c] = _mm512_and_si512(_mm512_cvtepi8_epi32(_mm_shuffle_epi8(sc, pick)), low16);
    }
}

// -32 × the sum of each lane's four activations, per 64-value chunk: the
// start of every sum, which takes the weights' offset off.
struct offsets {
    __m512i v[4];
};

inline void offsets_of(const q8k &a, offsets &o) {
    const __m512i thirtytwo = _mm512_set1_epi8(32);
    for (int c = 0; c < 4; c++) {
        __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), thirtytwo, _mm512_loadu_si512((const void *)(a.qs + 64 * c)));
        o.v[c] = _mm512_sub_epi32(_mm512_setzero_si512(), s);
    }
}

// One weight row's super-block by one activation row's: eight lanes of
// sums, lane k over values 32i + 4k..4k+3 as in ggml's AVX2 dot product.
// Before its scale a lane holds four products of at most 32 × 128, so
// vpmaddwd's low 16 bits carry it whole.
inline __m256i dot(const weights &w, const q8k &a, const offsets &o) {
    __m512i sum = _mm512_setzero_si512();
    for (int c = 0; c < 4; c++) {
        __m512i t = _mm512_dpbusd_epi32(o.v[c], w.q[c], _mm512_loadu_si512((const void *)(a.qs + 64 * c)));
        sum = _mm512_add_epi32(sum, _mm512_madd_epi16(t, w.s[c]));
    }
    return _mm256_add_epi32(_mm512_castsi512_si256(sum), _mm512_extracti64x4_epi64(sum, 1));
}

// One weight row's super-block by Cn activation rows' (B[c], with their
// offsets o[c]): the eight lanes of sums of each, the weights unpacked once.
template <int Cn>
inline void row_sums(const q6k &wb, const q8k *const B[], const offsets o[], __m256i sum[]) {
    weights w;
    unpack(wb, w);
    for (int c = 0; c < Cn; c++) sum[c] = dot(w, *B[c], o[c]);
}

#else
// ggml's AVX2 unpacking of 128 values (half h of a super-block) into four
// chunks of 32 6-bit values (0..63, the offset of 32 not yet taken off):
// chunk i holds values 128h + 32i..32i+31.
inline void unpack_half(const q6k &b, int h, __m256i q[4]) {
    const __m256i low4 = _mm256_set1_epi8(0x0F), two = _mm256_set1_epi8(3);
    const __m256i l0 = _mm256_loadu_si256((const __m256i *)(b.ql + 64 * h));
    const __m256i l1 = _mm256_loadu_si256((const __m256i *)(b.ql + 64 * h + 32));
    const __m256i hi = _mm256_loadu_si256((const __m256i *)(b.qh + 32 * h));
    q[0] = _mm256_or_si256(_mm256_and_si256(l0, low4), _mm256_slli_epi16(_mm256_and_si256(hi, two), 4));
    q[1] = _mm256_or_si256(_mm256_and_si256(l1, low4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hi, 2), two), 4));
    q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low4),
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hi, 4), two), 4));
    q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low4),
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hi, 6), two), 4));
}

// The scales of chunk g (values 32g..32g+31) as sixteen 16-bit lanes:
// scale 2g for the first sixteen values, 2g + 1 for the rest.
inline __m256i chunk_scales(__m128i sc, int g) {
    const __m128i pick = _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(sc, _mm_add_epi8(pick, _mm_set1_epi8((char)(2 * g)))));
}

// maddubs(32, activations) per chunk of 32 values: what ggml's AVX2 dot
// product takes off each 16-bit sum for the weights' offset.
struct offsets {
    __m256i v[8];
};

inline void offsets_of(const q8k &a, offsets &o) {
    const __m256i thirtytwo = _mm256_set1_epi8(32);
    for (int g = 0; g < 8; g++) o.v[g] = _mm256_maddubs_epi16(thirtytwo, _mm256_loadu_si256((const __m256i *)(a.qs + 32 * g)));
}

// One weight row's super-block by Cn activation rows' (B[c], with their
// offsets o[c]): per chunk of 32 values a lane k sums scale ×
// (maddubs(w, a) - maddubs(32, a)) over values 4k..4k+3, as in ggml's AVX2
// dot product; 16-bit sums of two products of at most 63 × 128, less
// 32 × 256, stay within 16 bits. Each chunk of weights is unpacked once.
template <int Cn>
inline void row_sums(const q6k &wb, const q8k *const B[], const offsets o[], __m256i sum[]) {
    const __m128i sc = _mm_loadu_si128((const __m128i *)wb.scales);
    for (int c = 0; c < Cn; c++) sum[c] = _mm256_setzero_si256();
    for (int h = 0; h < 2; h++) {
        __m256i q[4];
        unpack_half(wb, h, q);
        for (int i = 0; i < 4; i++) {
            const int g = 4 * h + i;
            const __m256i s = chunk_scales(sc, g);
            for (int c = 0; c < Cn; c++) {
                const __m256i a = _mm256_loadu_si256((const __m256i *)(B[c]->qs + 32 * g));
                const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(q[i], a), o[c].v[g]);
                sum[c] = _mm256_add_epi32(sum[c], _mm256_madd_epi16(s, p));
            }
        }
    }
}
#endif

// R weight rows (from A, lda blocks apart) by Cn activation rows (from B,
// ldb apart) over k super-blocks, into C[col * ldc + row]: per super-block
// one FMA per lane of each product's eight lanes of sums, then ggml's
// horizontal sum, as ggml's dot product does it.
template <int R, int Cn>
void tile(int64_t k, const q6k *A, int64_t lda, const q8k *B, int64_t ldb, float *out, int64_t ldc) {
    __m256 acc[R][Cn];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < Cn; c++) acc[r][c] = _mm256_setzero_ps();
    offsets o[Cn];
    for (int64_t l = 0; l < k; l++) {
        const q8k *b[Cn];
        for (int c = 0; c < Cn; c++) {
            b[c] = &B[c * ldb + l];
            offsets_of(*b[c], o[c]);
        }
        for (int r = 0; r < R; r++) {
            const q6k &wb = A[r * lda + l];
            // The same super-block of the next tile's row: short rows side
            // by side are streams too brief for the hardware prefetcher.
            const char *next = (const char *)&A[(R + r) * lda + l];
            for (int line = 0; line < (int)sizeof(q6k); line += 64) _mm_prefetch(next + line, _MM_HINT_T0);
            __m256i sum[Cn];
            row_sums<Cn>(wb, b, o, sum);
            const float wd = f16(wb.d);
            for (int c = 0; c < Cn; c++) {
                const float d = b[c]->d * wd;
                acc[r][c] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum[c]), acc[r][c]);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int c = 0; c < Cn; c++) out[c * ldc + r] = hsum8(acc[r][c]);
}

template <int R>
void tile_cols(int cols, int64_t k, const q6k *A, int64_t lda, const q8k *B, int64_t ldb, float *out, int64_t ldc) {
    switch (cols) {
    case 4: tile<R, 4>(k, A, lda, B, ldb, out, ldc); break;
    case 3: tile<R, 3>(k, A, lda, B, ldb, out, ldc); break;
    case 2: tile<R, 2>(k, A, lda, B, ldb, out, ldc); break;
    default: tile<R, 1>(k, A, lda, B, ldb, out, ldc); break;
    }
}

// Activation rows are taken 64 at a time, so that they stay in cache while
// the thread's weight rows pass by: 150 KB of Q8_K for rows of 2,048
// values, 411 KB for the 5,632 of a 1B model's down projection.
constexpr int64_t colBlock = 64;

// Thread ith of nth: its share of the weight rows (whole tiles of four),
// every activation row. out[col * ldc + row].
void gemm(int ith, int nth, int64_t m, int64_t n, int64_t k, const q6k *A, int64_t lda, const q8k *B, int64_t ldb,
          float *out, int64_t ldc) {
    const int64_t height = 4;
    const int64_t tiles = (m + height - 1) / height, first = tiles * ith / nth, last = tiles * (ith + 1) / nth;
    for (int64_t c0 = 0; c0 < n; c0 += colBlock) {
        const int64_t c1 = std::min(n, c0 + colBlock);
        for (int64_t t = first; t < last; t++) {
            const int64_t r0 = height * t, rows = std::min(height, m - r0);
            for (int64_t c = c0; c < c1; c += 4) {
                const int cols = (int)std::min<int64_t>(4, c1 - c);
                const q6k *a = A + r0 * lda;
                const q8k *b = B + c * ldb;
                float *o = out + c * ldc + r0;
                switch (rows) {
                case 4: tile_cols<4>(cols, k, a, lda, b, ldb, o, ldc); break;
                case 3: tile_cols<3>(cols, k, a, lda, b, ldb, o, ldc); break;
                case 2: tile_cols<2>(cols, k, a, lda, b, ldb, o, ldc); break;
                default: tile_cols<1>(cols, k, a, lda, b, ldb, o, ldc); break;
                }
            }
        }
    }
}

// Made-up Q6_K weights (m rows of k super-blocks) and Q8_K activations (n
// rows): xorshift bytes, signed scales, f16 scale 0.01, activations within
// -127..127 with their true block sums.
struct madeup {
    int64_t m, n, k;
    std::vector<q6k> a;
    std::vector<q8k> b;
    madeup(int64_t m, int64_t n, int64_t k, uint32_t seed) : m(m), n(n), k(k), a((size_t)(m * k)), b((size_t)(n * k)) {
        chapel::xorshift r{seed};
        for (auto &w : a) {
            for (auto &q : w.ql) q = r.byte();
            for (auto &q : w.qh) q = r.byte();
            for (auto &s : w.scales) s = (int8_t)r.byte();
            w.d = 0x211F;
        }
        for (auto &x : b) {
            x.d = r.scale();
            for (auto &q : x.qs) q = r.activation();
            for (int g = 0; g < 16; g++) {
                int s = 0;
                for (int i = 0; i < 16; i++) s += x.qs[16 * g + i];
                x.bsums[g] = (int16_t)s;
            }
        }
    }
};

}  // namespace
#endif

#if CHAPEL_Q6K_WRAPPED
#include "ggml-cpu-impl.h"  // ggml_compute_params: the thread's index and count

extern "C" {

bool __real_llamafile_sgemm(const struct ggml_compute_params *params, int64_t m, int64_t n, int64_t k, const void *A,
                            int64_t lda, const void *B, int64_t ldb, void *C, int64_t ldc, int Atype, int Btype,
                            int Ctype);

// attn_rows.cpp: query rows' products with Q8_0 keys.
bool chapel_kq_rows(const struct ggml_compute_params *params, int64_t m, int64_t n, int64_t k, const void *A,
                    int64_t lda, const void *B, int64_t ldb, void *C, int64_t ldc, int Atype, int Btype, int Ctype);

bool __wrap_llamafile_sgemm(const struct ggml_compute_params *params, int64_t m, int64_t n, int64_t k, const void *A,
                            int64_t lda, const void *B, int64_t ldb, void *C, int64_t ldc, int Atype, int Btype,
                            int Ctype) {
    if (chapel_kq_rows(params, m, n, k, A, lda, B, ldb, C, ldc, Atype, Btype, Ctype)) {
        return true;
    }
#if CHAPEL_Q6K_COMPILED
    // Fewer than four activation rows (a reply's steps) stay with ggml's
    // loop: one weight row per call streams from memory in order, and a
    // tile of four rows amortises nothing over a single activation row
    // (0.88× ggml's speed on a 27 MB matrix, one activation row).
    if (chapel_q6k_driver && Atype == TYPE_Q6_K && Btype == TYPE_Q8_K && Ctype == TYPE_F32 && m > 0 && n >= 4 && k > 0) {
        if (!chapel_q6k_taken) chapel_q6k_taken = 1;  // stored once: see repack_q4.cpp
        gemm(params->ith, params->nth, m, n, k, (const q6k *)A, lda, (const q8k *)B, ldb, (float *)C, ldc);
        return true;
    }
#endif
    return __real_llamafile_sgemm(params, m, n, k, A, lda, B, ldb, C, ldc, Atype, Btype, Ctype);
}

#if CHAPEL_Q6K_COMPILED
void ggml_cpu_init(void);
void ggml_vec_dot_q6_K_q8_K(int n, float *s, size_t bs, const void *vx, size_t bx, const void *vy, size_t by, int nrc);

// One product of the made-up matrices, Chapel's (ours) or ggml's dot
// products in ggml's loop order, into out (n × m).
static void multiply(bool ours, const madeup &x, float *out) {
    if (ours) {
        gemm(0, 1, x.m, x.n, x.k, x.a.data(), x.k, x.b.data(), x.k, out, x.m);
        return;
    }
    for (int64_t c = 0; c < x.n; c++)
        for (int64_t r = 0; r < x.m; r++)
            ggml_vec_dot_q6_K_q8_K((int)(256 * x.k), out + c * x.m + r, 0, &x.a[(size_t)(r * x.k)], 0,
                                   &x.b[(size_t)(c * x.k)], 0, 1);
}
#endif

}  // extern "C"
#endif

// chapel_q6k_compare multiplies made-up weights of m rows and k
// super-blocks by n activation rows both ways and returns how many of the
// n × m results differ in any bit, or -1 for a shape it does not take
// (fewer than four activation rows go to ggml's loop).
extern "C" int chapel_q6k_compare(int m, int n, int k, unsigned seed) {
#if CHAPEL_Q6K_COMPILED
    if (m < 1 || n < 4 || k < 1) return -1;
    ggml_cpu_init();
    madeup x(m, n, k, seed | 1u);
    return chapel::compare((size_t)m * n, [&](bool ours, float *s) { multiply(ours, x, s); });
#else
    (void)m, (void)n, (void)k, (void)seed;
    return -1;
#endif
}

// chapel_q6k_measure times both on one thread: 1,024 weight rows of 2,048
// values by 16 activation rows (chapel::alternate). out[0], out[1]: the
// median times in nanoseconds, Chapel's then ggml's. Returns 0, or -1 when
// rounds is below 1 or the product is not compiled.
extern "C" int chapel_q6k_measure(int rounds, double *out) {
#if CHAPEL_Q6K_COMPILED
    if (rounds < 1) return -1;
    ggml_cpu_init();
    madeup x(1024, 16, 8, 2463534242u);
    std::vector<float> s((size_t)(x.m * x.n));
    chapel::alternate(rounds, [&](bool ours) { multiply(ours, x, s.data()); }, out);
    return 0;
#else
    (void)rounds, (void)out;
    return -1;
#endif
}
