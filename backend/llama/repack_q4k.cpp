// Chapel's four-row kernel for Q4_K weights that ggml has repacked for x86
// (eight columns interleaved in runs of eight bytes, block_q4_Kx8), times
// Q8_K activations of four rows (block_q8_Kx4): the prompt batches of
// Q4_K_M models, the type of the catalog's chat models
// (ggml_gemm_q4_K_8x8_q8_K). Built with AVX512-VNNI (the avx512 and amx
// release engines) or with AVX2 and FMA (the x86-64-v3 engine); other
// builds pass every call on to ggml.
//
// Why: ggml's kernels multiply the nibbles by the activations with maddubs
// into 16-bit sums, and shuffle weights and activations into a pairing of
// columns and rows first: per four rows, sixteen columns and two
// sub-blocks, about 64 maddubs, 56 16-bit adds and some 100 shuffles,
// permutes and blends (AVX-512; the AVX2 kernel's are alike). Here the
// nibbles are multiplied in the order ggml stores them by eight
// activations of a row repeated over the vector:
//   - AVX512-VNNI: vpdpbusd adds each four products into 32 bits, so the
//     multiplies stay and the adds and shuffles go. On an AMD EPYC with
//     AVX-512 (Zen 4 class) 1.7× ggml's speed (chapel_q4k_measure; 1.4×
//     built with mingw), and a 512-token prompt of the 1B model in Q4_K_M
//     at 1.36× (99 → 135 tok/s, two threads).
//   - AVX2: maddubs into 16-bit sums as ggml does, but no shuffles; one
//     hadd per row and sub-block joins a column's two lanes. 1.1–1.2× ggml's
//     speed in chapel_q4k_measure, and with the AVX2 Q6_K product
//     (q6k_gemm.cpp) a 512-token prompt of the 1B Q4_K_M model at 1.37×
//     (92 → 126 tok/s, the x86-64-v3 engine on the same EPYC).
//
// The integers are the same (both are exact), and every column's floats go
// through the same operations in the same order as in ggml's kernel (per
// pair of sub-blocks: one FMA for the scales, one for the mins; their
// difference at the end), so the results are bit for bit ggml's.
//
// The linker routes ggml's calls here (-Wl,--wrap, repack_wrap.go); with
// chapel_q4k_driver = 0 every call goes on to ggml's kernel. Which one
// runs is measured at start (Repack in repack.go), like the Q4_0 kernels in
// repack_q4.cpp.

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "kernel_compare.h"

#if defined(__x86_64__) && !defined(__APPLE__)
#define CHAPEL_Q4K_WRAPPED 1
#else
#define CHAPEL_Q4K_WRAPPED 0
#endif

#if CHAPEL_Q4K_WRAPPED && defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && \
    defined(__AVX512DQ__) && defined(__AVX512VNNI__) && defined(__F16C__)
#define CHAPEL_Q4K_COMPILED 1
#define CHAPEL_Q4K_VNNI 1
#elif CHAPEL_Q4K_WRAPPED && defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define CHAPEL_Q4K_COMPILED 1
#define CHAPEL_Q4K_VNNI 0
#else
#define CHAPEL_Q4K_COMPILED 0
#endif

extern "C" {
int chapel_q4k_driver = CHAPEL_Q4K_COMPILED;  // 1: Chapel's kernel; 0: ggml's
int chapel_q4k_taken = 0;                     // 1: Chapel's kernel ran
int chapel_q4k_compiled(void) { return CHAPEL_Q4K_COMPILED; }
}

#if CHAPEL_Q4K_COMPILED
#include <immintrin.h>

namespace {

// The layouts of ggml's repack.h, restated. Sub-block s of a super-block
// holds 32 values; pair p is sub-blocks 2p and 2p + 1.
struct q4kx8 {           // one super-block of 256 values of eight columns
    uint16_t d[8];       // the columns' scales of their scales, f16
    uint16_t dmin[8];    // and of their mins
    uint8_t scales[96];  // 12s..12s+11: sub-block s's 6-bit scales and mins
    uint8_t qs[1024];    // (4p + q)*64 + 8c + i: column c, value 8q + i of
};                       // sub-block 2p (low nibble) and 2p + 1 (high)
struct q8kx4 {           // one super-block of four rows
    float d[4];
    int8_t qs[1024];     // 256p + 128h + 32q + 8m + i: row m, value 8q + i
                         // of sub-block 2p + h
    int16_t bsums[64];   // 16p + 4m + 2h + j: row m, the sum of values
};                       // 16j..16j+15 of sub-block 2p + h

static_assert(sizeof(q4kx8) == 1152, "block_q4_Kx8");
static_assert(sizeof(q8kx4) == 1168, "block_q8_Kx4");

// One column group's super-block with its scales unpacked, worked out once
// per call and read by every row.
struct unpacked {
    int32_t sc[8][8];  // sub-block s, column c: the scale
    int32_t mn[4][8];  // pair p, column c: the mins of sub-blocks 2p (low
                       // 16 bits) and 2p + 1 (high), for vpmaddwd
    float d[8], dmin[8];
};

inline float f16(uint16_t h) { return _cvtsh_ss(h); }

// Sub-block s's twelve bytes b: bytes 0-3 carry columns 0-3's scales in
// their low six bits, bytes 4-7 their mins; bytes 8-11 the low four bits of
// columns 4-7's scales (low nibble) and mins (high nibble), whose top two
// bits are the top two bits of bytes 0-3 (scales) and 4-7 (mins).
inline unpacked unpack_scales(const q4kx8 &b) {
    unpacked u;
    int32_t mins[8][8];
    for (int s = 0; s < 8; s++) {
        const uint8_t *p = b.scales + 12 * s;
        for (int c = 0; c < 4; c++) {
            u.sc[s][c] = p[c] & 63;
            u.sc[s][c + 4] = (p[8 + c] & 15) | (p[c] >> 6) << 4;
            mins[s][c] = p[4 + c] & 63;
            mins[s][c + 4] = (p[8 + c] >> 4) | (p[4 + c] >> 6) << 4;
        }
    }
    for (int p = 0; p < 4; p++)
        for (int c = 0; c < 8; c++) u.mn[p][c] = mins[2 * p][c] | mins[2 * p + 1][c] << 16;
    for (int c = 0; c < 8; c++) {
        u.d[c] = f16(b.d[c]);
        u.dmin[c] = f16(b.dmin[c]);
    }
    return u;
}

#if CHAPEL_Q4K_VNNI
// Sixteen columns from two groups' halves (G = 2), or one group's eight in
// the low half (G = 1).
template <int G>
inline __m512i join(const int32_t *a, const int32_t *b) {
    __m256i lo = _mm256_loadu_si256((const __m256i *)a);
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), G == 2 ? _mm256_loadu_si256((const __m256i *)b) : lo, 1);
}
template <int G>
inline __m512 join(const float *a, const float *b) {
    __m256 lo = _mm256_loadu_ps(a);
    return _mm512_insertf32x8(_mm512_castps256_ps512(lo), G == 2 ? _mm256_loadu_ps(b) : lo, 1);
}

// One group's weights of pair p as unsigned nibbles, half h (sub-block
// 2p + h): w[q] holds value 8q..8q+7 of column c in bytes 8c..8c+7.
inline void nibbles(const q4kx8 &b, int p, int h, __m512i w[4]) {
    const __m512i mask = _mm512_set1_epi8(0x0F);
    for (int q = 0; q < 4; q++) {
        __m512i raw = _mm512_loadu_si512((const void *)(b.qs + (4 * p + q) * 64));
        w[q] = _mm512_and_si512(h ? _mm512_srli_epi16(raw, 4) : raw, mask);
    }
}

// Weight × activation over a sub-block's 32 values, column c's sums in the
// 32-bit lanes 2c and 2c + 1 (at most 16 × 15 × 128 = 30,720 each).
inline __m512i dots(const __m512i w[4], const __m512i a[4]) {
    __m512i acc = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w[0], a[0]);
    acc = _mm512_dpbusd_epi32(acc, w[1], a[1]);
    acc = _mm512_dpbusd_epi32(acc, w[2], a[2]);
    return _mm512_dpbusd_epi32(acc, w[3], a[3]);
}

// G column groups (8G columns) of four rows: ws[g] and us[g] are group g's
// super-blocks and their unpacked scales, a the rows' super-blocks, bs the
// rows' paired block sums (pairs(), [l][p][m]), s row 0's first column.
template <int G>
void gemm_groups(int nb, const q4kx8 *const ws[2], const unpacked *const us[2], const q8kx4 *a, const int32_t *bs,
                 float *s, size_t stride) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    __m512 acc[4], low[4];
    for (int m = 0; m < 4; m++) acc[m] = low[m] = _mm512_setzero_ps();
    for (int l = 0; l < nb; l++) {
        const unpacked &u0 = us[0][l], &u1 = us[G - 1][l];
        const __m512 d = join<G>(u0.d, u1.d), dmin = join<G>(u0.dmin, u1.dmin);
        for (int p = 0; p < 4; p++) {
            __m512i sum[4];
            for (int h = 0; h < 2; h++) {
                __m512i w0[4], w1[4];
                nibbles(ws[0][l], p, h, w0);
                if (G == 2) nibbles(ws[1][l], p, h, w1);
                const __m512i sc = join<G>(u0.sc[2 * p + h], u1.sc[2 * p + h]);
                for (int m = 0; m < 4; m++) {
                    const int8_t *q = a[l].qs + 256 * p + 128 * h + 8 * m;
                    __m512i av[4];
                    for (int r = 0; r < 4; r++) {
                        int64_t v;
                        memcpy(&v, q + 32 * r, 8);
                        av[r] = _mm512_set1_epi64(v);
                    }
                    __m512i p0 = dots(w0, av), p1 = G == 2 ? dots(w1, av) : p0;
                    __m512i col = _mm512_add_epi32(_mm512_permutex2var_epi32(p0, even, p1), _mm512_permutex2var_epi32(p0, odd, p1));
                    col = _mm512_mullo_epi32(col, sc);
                    sum[m] = h ? _mm512_add_epi32(sum[m], col) : col;
                }
            }
            const __m512i mn = join<G>(u0.mn[p], u1.mn[p]);
            for (int m = 0; m < 4; m++) {
                const __m512 rd = _mm512_set1_ps(a[l].d[m]);
                acc[m] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[m]), _mm512_mul_ps(d, rd), acc[m]);
                const __m512i mins = _mm512_madd_epi16(_mm512_set1_epi32(bs[(l * 4 + p) * 4 + m]), mn);
                low[m] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(mins), _mm512_mul_ps(dmin, rd), low[m]);
            }
        }
    }
    for (int m = 0; m < 4; m++) {
        __m512 r = _mm512_sub_ps(acc[m], low[m]);
        if (G == 2)
            _mm512_storeu_ps(s + m * stride, r);
        else
            _mm256_storeu_ps(s + m * stride, _mm512_castps512_ps256(r));
    }
}

#else
// One column group of four rows with AVX2, which has no vpdpbusd: maddubs
// multiplies the nibbles, in the order ggml stores them, by eight
// activations of a row repeated over the vector into 16-bit sums (four per
// sub-block of at most 2 × 15 × 128 each: 15,360), vpmaddwd applies each
// column's scale, and one hadd joins a column's two lanes. The columns come
// out in the order 0, 1, 4, 5, 2, 3, 6, 7 (order, which is its own
// inverse), so the column vectors d, dmin and the mins are put in that
// order too and the results put back once at the end. w and u are the
// group's super-blocks and unpacked scales, a the rows' super-blocks, bs
// the rows' paired block sums (pairs(), [l][p][m]), s row 0's first column.
void gemm_group(int nb, const q4kx8 *w, const unpacked *u, const q8kx4 *a, const int32_t *bs, float *s, size_t stride) {
    const __m256i order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
    const __m256i first = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3), second = _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7);
    const __m256i mask = _mm256_set1_epi8(0x0F);
    __m256 acc[4], low[4];
    for (int m = 0; m < 4; m++) acc[m] = low[m] = _mm256_setzero_ps();
    for (int l = 0; l < nb; l++) {
        const unpacked &ul = u[l];
        const __m256 d = _mm256_permutevar8x32_ps(_mm256_loadu_ps(ul.d), order);
        const __m256 dmin = _mm256_permutevar8x32_ps(_mm256_loadu_ps(ul.dmin), order);
        for (int p = 0; p < 4; p++) {
            __m256i sum[4];
            for (int h = 0; h < 2; h++) {
                __m256i part[4][2];  // row m, columns 0-3 and 4-7: 16-bit sums
                for (int q = 0; q < 4; q++) {
                    const uint8_t *raw = w[l].qs + (4 * p + q) * 64;
                    __m256i w0 = _mm256_loadu_si256((const __m256i *)raw), w1 = _mm256_loadu_si256((const __m256i *)(raw + 32));
                    if (h) w0 = _mm256_srli_epi16(w0, 4), w1 = _mm256_srli_epi16(w1, 4);
                    w0 = _mm256_and_si256(w0, mask), w1 = _mm256_and_si256(w1, mask);
                    for (int m = 0; m < 4; m++) {
                        int64_t v;
                        memcpy(&v, a[l].qs + 256 * p + 128 * h + 32 * q + 8 * m, 8);
                        const __m256i av = _mm256_set1_epi64x(v);
                        const __m256i t0 = _mm256_maddubs_epi16(w0, av), t1 = _mm256_maddubs_epi16(w1, av);
                        part[m][0] = q ? _mm256_add_epi16(part[m][0], t0) : t0;
                        part[m][1] = q ? _mm256_add_epi16(part[m][1], t1) : t1;
                    }
                }
                // Each column's scale in the four 16-bit lanes of its sums.
                const __m256i sc = _mm256_loadu_si256((const __m256i *)ul.sc[2 * p + h]);
                __m256i s0 = _mm256_permutevar8x32_epi32(sc, first), s1 = _mm256_permutevar8x32_epi32(sc, second);
                s0 = _mm256_or_si256(s0, _mm256_slli_epi32(s0, 16)), s1 = _mm256_or_si256(s1, _mm256_slli_epi32(s1, 16));
                for (int m = 0; m < 4; m++) {
                    const __m256i col = _mm256_hadd_epi32(_mm256_madd_epi16(part[m][0], s0), _mm256_madd_epi16(part[m][1], s1));
                    sum[m] = h ? _mm256_add_epi32(sum[m], col) : col;
                }
            }
            const __m256i mn = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)ul.mn[p]), order);
            for (int m = 0; m < 4; m++) {
                const __m256 rd = _mm256_set1_ps(a[l].d[m]);
                acc[m] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[m]), _mm256_mul_ps(d, rd), acc[m]);
                const __m256i mins = _mm256_madd_epi16(_mm256_set1_epi32(bs[(l * 4 + p) * 4 + m]), mn);
                low[m] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(mins), _mm256_mul_ps(dmin, rd), low[m]);
            }
        }
    }
    for (int m = 0; m < 4; m++) _mm256_storeu_ps(s + m * stride, _mm256_permutevar8x32_ps(_mm256_sub_ps(acc[m], low[m]), order));
}
#endif

// A row group's block sums, paired per sub-block as vpmaddwd takes them:
// out[(l*4 + p)*4 + m] holds row m's sums of sub-blocks 2p (low 16 bits)
// and 2p + 1 (high), added in 16 bits as ggml adds them.
inline void pairs(const q8kx4 *a, int nb, int32_t *out) {
    for (int l = 0; l < nb; l++)
        for (int p = 0; p < 4; p++)
            for (int m = 0; m < 4; m++) {
                const int16_t *b = a[l].bsums + 16 * p + 4 * m;
                uint16_t s0 = (uint16_t)(b[0] + b[1]), s1 = (uint16_t)(b[2] + b[3]);
                out[(l * 4 + p) * 4 + m] = (int32_t)((uint32_t)s0 | (uint32_t)s1 << 16);
            }
}

struct callinfo {
    std::vector<unpacked> scales;  // [group][super-block]
    std::vector<int32_t> bsums;    // [row group][super-block][pair][row]
};

thread_local callinfo info;

void gemm(int n, float *s, size_t stride, const void *vx, const void *vy, int nr, int nc) {
    const int nb = n / 256, groups = nc / 8, rowgroups = nr / 4;
    const q4kx8 *w = (const q4kx8 *)vx;
    const q8kx4 *a = (const q8kx4 *)vy;
    // One look-up of the thread's buffers: mingw's thread_local is a call.
    callinfo &ci = info;
    ci.scales.resize((size_t)groups * nb);
    ci.bsums.resize((size_t)rowgroups * nb * 16);
    const unpacked *sc = ci.scales.data();
    for (size_t i = 0; i < ci.scales.size(); i++) ci.scales[i] = unpack_scales(w[i]);
    for (int y = 0; y < rowgroups; y++) pairs(a + (size_t)y * nb, nb, ci.bsums.data() + (size_t)y * nb * 16);
    for (int y = 0; y < rowgroups; y++) {
        const q8kx4 *ay = a + (size_t)y * nb;
        const int32_t *by = ci.bsums.data() + (size_t)y * nb * 16;
        float *sy = s + (size_t)y * 4 * stride;
#if CHAPEL_Q4K_VNNI
        int x = 0;
        for (; x + 1 < groups; x += 2) {
            const q4kx8 *ws[2] = {w + (size_t)x * nb, w + (size_t)(x + 1) * nb};
            const unpacked *us[2] = {sc + (size_t)x * nb, sc + (size_t)(x + 1) * nb};
            gemm_groups<2>(nb, ws, us, ay, by, sy + 8 * x, stride);
        }
        if (x < groups) {
            const q4kx8 *ws[2] = {w + (size_t)x * nb, w + (size_t)x * nb};
            const unpacked *us[2] = {sc + (size_t)x * nb, sc + (size_t)x * nb};
            gemm_groups<1>(nb, ws, us, ay, by, sy + 8 * x, stride);
        }
#else
        for (int x = 0; x < groups; x++) gemm_group(nb, w + (size_t)x * nb, sc + (size_t)x * nb, ay, by, sy + 8 * x, stride);
#endif
    }
}

// Made-up repacked Q4_K weights (nc columns of n values) and activations
// of `rows` rows: xorshift bytes for the nibbles and the packed scales,
// scales of the scales 0.1 and 0.05 in f16, activations within -127..127
// (as quantising makes them) with their true block sums.
struct madeup {
    int n, nc, rows;
    std::vector<q4kx8> w;
    std::vector<q8kx4> a;
    madeup(int n, int nc, int rows, uint32_t seed)
        : n(n), nc(nc), rows(rows), w((size_t)(nc / 8) * (n / 256)), a((size_t)(rows / 4) * (n / 256)) {
        chapel::xorshift r{seed};
        for (auto &b : w) {
            for (auto &d : b.d) d = 0x2E66;
            for (auto &d : b.dmin) d = 0x2A66;
            for (auto &q : b.scales) q = r.byte();
            for (auto &q : b.qs) q = r.byte();
        }
        for (auto &b : a) {
            for (auto &d : b.d) d = r.scale();
            for (auto &q : b.qs) q = r.activation();
            for (int p = 0; p < 4; p++)
                for (int h = 0; h < 2; h++)
                    for (int m = 0; m < 4; m++)
                        for (int j = 0; j < 2; j++) {
                            int sum = 0;
                            for (int v = 16 * j; v < 16 * j + 16; v++) sum += b.qs[256 * p + 128 * h + 32 * (v / 8) + 8 * m + v % 8];
                            b.bsums[16 * p + 4 * m + 2 * h + j] = (int16_t)sum;
                        }
        }
    }
};

}  // namespace
#endif

#if CHAPEL_Q4K_WRAPPED
extern "C" {

void ggml_cpu_init(void);
void __real_ggml_gemm_q4_K_8x8_q8_K(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc);

void __wrap_ggml_gemm_q4_K_8x8_q8_K(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc) {
#if CHAPEL_Q4K_COMPILED
    if (chapel_q4k_driver && nr % 4 == 0 && n % 256 == 0 && nc % 8 == 0) {
        if (!chapel_q4k_taken) chapel_q4k_taken = 1;  // stored once: see repack_q4.cpp
        gemm(n, s, bs, vx, vy, nr, nc);
        return;
    }
#endif
    __real_ggml_gemm_q4_K_8x8_q8_K(n, s, bs, vx, vy, nr, nc);
}

#if CHAPEL_Q4K_COMPILED
// One product of m's weights by its first `rows` rows, by Chapel's kernel
// (ours) or ggml's, into s (rows × m.nc).
static void multiply(bool ours, const madeup &m, int rows, float *s) {
    if (ours)
        gemm(m.n, s, m.nc, m.w.data(), m.a.data(), rows, m.nc);
    else
        __real_ggml_gemm_q4_K_8x8_q8_K(m.n, s, m.nc, m.w.data(), m.a.data(), rows, m.nc);
}
#endif

}  // extern "C"
#endif

// chapel_q4k_compare runs both kernels on made-up weights of nc columns (a
// multiple of 8) and n values (a multiple of 256), for rows rows (a
// multiple of 4), and returns how many results differ in any bit, or -1
// for a shape the kernels do not take.
extern "C" int chapel_q4k_compare(int n, int nc, int rows, unsigned seed) {
#if CHAPEL_Q4K_COMPILED
    if (n < 256 || n % 256 || nc < 8 || nc % 8 || rows < 4 || rows % 4) return -1;
    ggml_cpu_init();
    madeup m(n, nc, rows, seed | 1u);
    return chapel::compare((size_t)rows * nc, [&](bool ours, float *s) { multiply(ours, m, rows, s); });
#else
    (void)n, (void)nc, (void)rows, (void)seed;
    return -1;
#endif
}

// chapel_q4k_measure times both kernels on one thread: a 2,048 × 2,048
// matrix (2.4 MB repacked) by 16 rows (ggml's kernel takes 16 at a time
// when it can; chapel::alternate). out[0], out[1]: the median times in
// nanoseconds, Chapel's then ggml's. Returns 0, or -1 when rounds is below
// 1 or the kernel is not compiled.
extern "C" int chapel_q4k_measure(int rounds, double *out) {
#if CHAPEL_Q4K_COMPILED
    if (rounds < 1) return -1;
    ggml_cpu_init();
    madeup m(2048, 2048, 16, 2463534242u);
    std::vector<float> s((size_t)m.rows * m.nc);
    chapel::alternate(rounds, [&](bool ours) { multiply(ours, m, m.rows, s.data()); }, out);
    return 0;
#else
    (void)rounds, (void)out;
    return -1;
#endif
}
