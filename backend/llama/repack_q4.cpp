// Chapel's kernels for Q4_0 weights that ggml has repacked for x86 (eight
// columns interleaved in blocks of eight bytes, block_q4_0x8), multiplied by
// Q8_0 activations: the matrix-vector product of every generated token
// (ggml_gemv_q4_0_8x8_q8_0) and the four-row product of prompt batches
// (ggml_gemm_q4_0_8x8_q8_0).
//
// The linker routes ggml's calls here (-Wl,--wrap, repack_wrap.go); with
// chapel_repack_driver = 0 every call goes on to ggml's own kernel, which the
// tests compare against.
//
// Why: ggml's AVX2 kernels sign-extend each nibble through a lookup table,
// shuffle the weights into place and, without VNNI, multiply signed by
// signed bytes through the abs/sign trick: about 93 instructions for 8
// columns of a 32-value block. Here the nibbles stay unsigned (0..15):
// _mm256_maddubs_epi16 multiplies them by the signed activations directly,
// sixteen products are summed in 16 bits before one widening, and the offset
// of 8 is taken off once per block as 8 times the activations' sum (worked
// out once per call). About 45 instructions for the same work, and the same
// integers: the float accumulation is ggml's, in ggml's order, so results
// are bit for bit ggml's.
//
// With AVX512-VNNI (the x86-64-v4 + VNNI release engine) the same idea
// takes vpdpbusd on 512-bit vectors: four instructions multiply and sum a
// block's eight columns for one row. On an AMD EPYC with AVX-512 (Zen 4
// class) that lifted a 512-token prompt of the 1B model from ggml's 121 to
// 156 tok/s; generation waits on memory there, whichever kernel runs.
//
// Which kernel runs is measured, not assumed: before its first model's
// first decode the engine times both on the same weights
// (chapel_repack_measure, Repack in repack.go) and keeps its build's
// default unless the other is clearly faster. The defaults: Chapel's,
// except on AVX-512 builds without VNNI (none of the release engines),
// whose CPUs were never at hand to compare. CHAPEL_REPACK_DRIVER=chapel|ggml
// picks one anywhere.

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "kernel_compare.h"

// The wrap is set on Linux and Windows x86-64 (repack_wrap.go); elsewhere
// ggml's calls are left alone and only the switches below exist.
#if defined(__x86_64__) && !defined(__APPLE__)
#define CHAPEL_REPACK_WRAPPED 1
#else
#define CHAPEL_REPACK_WRAPPED 0
#endif

extern "C" {

#if CHAPEL_REPACK_WRAPPED && defined(__AVX2__) && defined(__F16C__)
#define CHAPEL_REPACK_COMPILED 1
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__)
#define CHAPEL_REPACK_VNNI 1
#else
#define CHAPEL_REPACK_VNNI 0
#endif
// Bit 1: Chapel's one-row kernel; bit 2: its four-row kernel; clear: ggml's.
// AVX-512 builds without VNNI start on ggml's, whose 512-bit path no such
// CPU has compared with Chapel's AVX2 kernels.
#if defined(__AVX512F__) && !CHAPEL_REPACK_VNNI
int chapel_repack_driver = 0;
#else
int chapel_repack_driver = 3;
#endif
#else
#define CHAPEL_REPACK_COMPILED 0
#define CHAPEL_REPACK_VNNI 0
int chapel_repack_driver = 0;
#endif
int chapel_repack_taken = 0;  // 1: the one-row kernel ran; 2: the four-row kernel ran

int chapel_repack_compiled(void) { return CHAPEL_REPACK_COMPILED; }
int chapel_repack_vnni(void) { return CHAPEL_REPACK_VNNI; }

}  // extern "C"

#if CHAPEL_REPACK_COMPILED
#include <immintrin.h>

namespace {

// The layouts of ggml's repack.h and ggml-common.h, restated.
struct q4x8 {           // eight Q4_0 blocks of 32 values, one per column
    uint16_t d[8];      // their scales, f16
    uint8_t  qs[128];   // (k*8 + col)*8 + i: byte i of the column's 16 bytes
};                      // k = 0, 1; nibbles XORed with 0x88 (signed)
struct q8 {             // one Q8_0 block of one row
    uint16_t d;
    int8_t   qs[32];
};
struct q8x4 {           // one Q8_0 block of four rows, interleaved by 8
    uint16_t d[4];
    int8_t   qs[128];   // q*32 + row*8 + i: value 8q + i of the row
};

static_assert(sizeof(q4x8) == 144, "block_q4_0x8");
static_assert(sizeof(q8) == 34, "block_q8_0");
static_assert(sizeof(q8x4) == 136, "block_q8_0x4");

inline float f16(uint16_t h) { return _cvtsh_ss(h); }

// The block's scales, in the order the sums come out of dot8:
// columns 0, 1, 4, 5, 2, 3, 6, 7.
inline __m256 scales(const q4x8 &b) {
    const __m128i order = _mm_setr_epi8(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15);
    __m128i h = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)b.d), order);
    return _mm256_cvtph_ps(h);
}

// A row's 32 values of one block, in four runs of 8 that lie `step` bytes
// apart (8 in a block_q8_0, 32 in a block_q8_0x4): 8 × their sum, the
// offset the unsigned nibbles leave. runs() below repeats each run over a
// vector.
inline int32_t sum8(const int8_t *q, int step) {
    int32_t s = 0;
    for (int r = 0; r < 4; r++)
        for (int i = 0; i < 8; i++) s += q[r * step + i];
    return 8 * s;
}

#if CHAPEL_REPACK_VNNI
// With AVX512-VNNI, vpdpbusd multiplies the unsigned nibbles by the signed
// activations and adds each four products straight into 32 bits, in
// 512-bit vectors that hold a whole block's eight columns: four of them per
// block and row, where the AVX2 path below takes eight maddubs, six 16-bit
// adds and the widening. The sums are the same integers, so the results
// stay bit for bit ggml's.

// The weights of one q4x8 block as unsigned nibbles: w[0] values 0-7 of
// columns 0..7 (eight bytes each, in that order), w[1] values 16-23, w[2]
// values 8-15, w[3] values 24-31. (n & 0x0F) ^ 0x08 undoes ggml's XOR with
// 0x88 nibble by nibble: one ternary-logic operation.
struct weights {
    __m512i w[4];
};

inline weights unpack(const q4x8 &b) {
    const __m512i mask = _mm512_set1_epi8(0x0F), eight = _mm512_set1_epi8(0x08);
    weights u;
    for (int k = 0; k < 2; k++) {
        __m512i raw = _mm512_loadu_si512((const void *)(b.qs + 64 * k));
        u.w[2 * k] = _mm512_ternarylogic_epi32(raw, mask, eight, 0x6A);  // (A & B) ^ C
        u.w[2 * k + 1] = _mm512_ternarylogic_epi32(_mm512_srli_epi16(raw, 4), mask, eight, 0x6A);
    }
    return u;
}

// Values 8q..8q+7 of a row, repeated over a 512-bit vector (runs below).
using run = __m512i;
inline run repeat8(int64_t v) { return _mm512_set1_epi64(v); }

// Weight × activation over the block's 32 values, column c's products in
// the neighbouring 32-bit lanes 2c and 2c + 1 (at most 16 × 15 × 128 =
// 30,720 each).
inline __m512i dots(const weights &u, const run a[4]) {
    __m512i acc = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u.w[0], a[0]);
    acc = _mm512_dpbusd_epi32(acc, u.w[1], a[2]);
    acc = _mm512_dpbusd_epi32(acc, u.w[2], a[1]);
    return _mm512_dpbusd_epi32(acc, u.w[3], a[3]);
}

// The eight columns' sums, in the order 0, 1, 4, 5, 2, 3, 6, 7: one
// horizontal add of the halves joins each column's two lanes.
inline __m256i dot8(const weights &u, const run a[4]) {
    __m512i acc = dots(u, a);
    return _mm256_hadd_epi32(_mm512_castsi512_si256(acc), _mm512_extracti64x4_epi64(acc, 1));
}

// The one-row kernel's column sums: with 32 registers, unpacking first
// costs nothing.
inline __m256i block_sums(const q4x8 &b, const run a[4]) { return dot8(unpack(b), a); }

#else
// The weights of one q4x8 block as unsigned nibbles: w[0], w[1] hold
// columns 0-3 and 4-7 for values 0-7 of each column, w[2], w[3] values
// 16-23, w[4], w[5] values 8-15, w[6], w[7] values 24-31. In each 32-bit
// lane, four consecutive values of one column.
struct weights {
    __m256i w[8];
};

// Quarter j of a block's bytes (0..3: bytes 0-7 of columns 0-3, of 4-7;
// bytes 8-15 of columns 0-3, of 4-7) as unsigned nibbles: the low ones are
// values 0-7 (8-15 for j >= 2), the high ones values 16-23 (24-31).
inline void nibbles(const q4x8 &b, int j, __m256i &low, __m256i &high) {
    const __m256i flip = _mm256_set1_epi8((char)0x88), mask = _mm256_set1_epi8(0x0F);
    __m256i raw = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(b.qs + 32 * j)), flip);
    low = _mm256_and_si256(raw, mask);
    high = _mm256_and_si256(_mm256_srli_epi16(raw, 4), mask);
}

inline weights unpack(const q4x8 &b) {
    weights u;
    for (int j = 0; j < 4; j++) {
        int at = (j & 1) + (j >> 1) * 4;
        nibbles(b, j, u.w[at], u.w[at + 2]);
    }
    return u;
}

// The 16-bit sums of columns 0-3 and 4-7 widened and added: one 32-bit sum
// per column, in the order 0, 1, 4, 5, 2, 3, 6, 7. Neighbouring sums are
// added in 16 bits first (two of at most 15,360 each, so at most 30,720:
// no overflow), then one multiply by ones widens, where widening each
// input took two. The four-row kernel waits on the integer multiplier
// (eight maddubs per row and block): one multiply fewer lifted a 512-token
// prompt by about 7 % on one thread and 3 % on two on the AMD EPYC (AVX2)
// where this was measured; widening with shifts instead was slower there.
inline __m256i widen(__m256i lo, __m256i hi) {
    const __m256i ones = _mm256_set1_epi16(1);
    return _mm256_madd_epi16(_mm256_hadd_epi16(lo, hi), ones);
}

// Sum of weight × activation over the block's 32 values for the eight
// columns (order 0, 1, 4, 5, 2, 3, 6, 7). a[q] is values 8q..8q+7 of the
// row, repeated four times.
inline __m256i dot8(const weights &u, const __m256i a[4]) {
    // Each 16-bit sum is at most 4 × 2 × 15 × 128 = 15,360: no overflow.
    __m256i lo = _mm256_add_epi16(
        _mm256_add_epi16(_mm256_maddubs_epi16(u.w[0], a[0]), _mm256_maddubs_epi16(u.w[4], a[1])),
        _mm256_add_epi16(_mm256_maddubs_epi16(u.w[2], a[2]), _mm256_maddubs_epi16(u.w[6], a[3])));
    __m256i hi = _mm256_add_epi16(
        _mm256_add_epi16(_mm256_maddubs_epi16(u.w[1], a[0]), _mm256_maddubs_epi16(u.w[5], a[1])),
        _mm256_add_epi16(_mm256_maddubs_epi16(u.w[3], a[2]), _mm256_maddubs_epi16(u.w[7], a[3])));
    return widen(lo, hi);
}

// Values 8q..8q+7 of a row, repeated four times (runs below).
using run = __m256i;
inline run repeat8(int64_t v) { return _mm256_set1_epi64x(v); }

// Adds the products of one q4x8 block with one row's activations to the
// 16-bit sums of columns 0-3 (lo) and 4-7 (hi), unpacking as it goes: the
// one-row kernel keeps few registers live this way.
inline void dot16(const q4x8 &b, const __m256i a[4], __m256i &lo, __m256i &hi) {
    for (int j = 0; j < 4; j++) {
        __m256i low, high;
        nibbles(b, j, low, high);
        __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(low, a[j >> 1]), _mm256_maddubs_epi16(high, a[(j >> 1) + 2]));
        if (j & 1)
            hi = j == 1 ? p : _mm256_add_epi16(hi, p);
        else
            lo = j == 0 ? p : _mm256_add_epi16(lo, p);
    }
}

// The one-row kernel's column sums (order 0, 1, 4, 5, 2, 3, 6, 7).
inline __m256i block_sums(const q4x8 &b, const run a[4]) {
    __m256i lo, hi;
    dot16(b, a, lo, hi);
    return widen(lo, hi);
}
#endif

// A row's four runs of 8 values of one block, `step` bytes apart, each
// repeated over a vector.
inline void runs(const int8_t *q, int step, run a[4]) {
    for (int r = 0; r < 4; r++) {
        int64_t v;
        memcpy(&v, q + r * step, 8);
        a[r] = repeat8(v);
    }
}

// Per-row, per-block scale and offset of the activations, worked out once
// per call and shared by every column.
struct rowinfo {
    std::vector<float> d;
    std::vector<int32_t> off;
};

thread_local rowinfo info;

// Back from the dot8 order to columns 0..7.
inline __m256 ordered(__m256 v) { return _mm256_permutevar8x32_ps(v, _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7)); }

// G column groups of the one-row product at a time (G weight streams in
// flight), sharing the row's activations.
template <int G>
inline void gemv_groups(int nb, const q4x8 *w, const q8 *a, const float *d, const int32_t *off, float *s) {
    __m256 acc[G];
    for (int g = 0; g < G; g++) acc[g] = _mm256_setzero_ps();
    for (int l = 0; l < nb; l++) {
        run av[4];
        runs(a[l].qs, 8, av);
        const __m256i o = _mm256_set1_epi32(off[l]);
        const __m256 dl = _mm256_set1_ps(d[l]);
        for (int g = 0; g < G; g++) {
            const q4x8 &b = w[(size_t)g * nb + l];
            acc[g] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(block_sums(b, av), o)), _mm256_mul_ps(scales(b), dl), acc[g]);
        }
    }
    for (int g = 0; g < G; g++) _mm256_storeu_ps(s + 8 * g, ordered(acc[g]));
}

void gemv(int n, float *s, const void *vx, const void *vy, int nc) {
    const int nb = n / 32;
    const q4x8 *w = (const q4x8 *)vx;
    const q8 *a = (const q8 *)vy;
    info.d.resize(nb);
    info.off.resize(nb);
    float *d = info.d.data();
    int32_t *off = info.off.data();
    for (int l = 0; l < nb; l++) {
        d[l] = f16(a[l].d);
        off[l] = sum8(a[l].qs, 8);
    }
    int x = 0;
    const int groups = nc / 8;
    // Eight streams: 1.2× two on the AMD EPYC (AVX2) where this was written,
    // the product waiting on memory less; four and fewer for a chunk's tail.
    for (; x + 7 < groups; x += 8) gemv_groups<8>(nb, w + (size_t)x * nb, a, d, off, s + 8 * x);
    for (; x + 3 < groups; x += 4) gemv_groups<4>(nb, w + (size_t)x * nb, a, d, off, s + 8 * x);
    for (; x + 1 < groups; x += 2) gemv_groups<2>(nb, w + (size_t)x * nb, a, d, off, s + 8 * x);
    for (; x < groups; x++) gemv_groups<1>(nb, w + (size_t)x * nb, a, d, off, s + 8 * x);
}

#if CHAPEL_REPACK_VNNI
// Two column groups of the four-row product at once, 16 columns in 512-bit
// vectors: one pair of permutes joins both groups' neighbouring lanes (in
// the columns' own order), where one group alone takes an extract and a
// horizontal add, and the scales, offsets and float work take one 512-bit
// instruction for both. The same operations per column, so the same bits.
inline void gemm_pair(int nb, const q4x8 *w, const q8x4 *a, const float *d, const int32_t *off, float *s, size_t bs) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    for (int l = 0; l < nb; l++) {
        const q4x8 &b0 = w[l], &b1 = w[(size_t)nb + l];
        weights u0 = unpack(b0), u1 = unpack(b1);
        __m256i h = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)b0.d)),
                                            _mm_loadu_si128((const __m128i *)b1.d), 1);
        const __m512 col = _mm512_cvtph_ps(h);
        for (int m = 0; m < 4; m++) {
            run av[4];
            runs(a[l].qs + m * 8, 32, av);
            __m512i p0 = dots(u0, av), p1 = dots(u1, av);
            __m512i sum = _mm512_add_epi32(_mm512_permutex2var_epi32(p0, even, p1), _mm512_permutex2var_epi32(p0, odd, p1));
            __m512i dot = _mm512_sub_epi32(sum, _mm512_set1_epi32(off[l * 4 + m]));
            acc[m] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(col, _mm512_set1_ps(d[l * 4 + m])), acc[m]);
        }
    }
    for (int m = 0; m < 4; m++) _mm512_storeu_ps(s + m * bs, acc[m]);
}
#endif

void gemm(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc) {
    const int nb = n / 32;
    const q4x8 *w = (const q4x8 *)vx;
    const q8x4 *a = (const q8x4 *)vy;
    const size_t groups = (size_t)nr / 4;
    info.d.resize(groups * nb * 4);
    info.off.resize(groups * nb * 4);
    for (size_t i = 0; i < groups * nb; i++) {
        for (int m = 0; m < 4; m++) {
            info.d[i * 4 + m] = f16(a[i].d[m]);
            info.off[i * 4 + m] = sum8(a[i].qs + m * 8, 32);
        }
    }
    for (size_t y = 0; y < groups; y++) {
        const q8x4 *ay = a + y * nb;
        const float *dy = info.d.data() + y * nb * 4;
        const int32_t *oy = info.off.data() + y * nb * 4;
        int x = 0;
#if CHAPEL_REPACK_VNNI
        for (; x + 1 < nc / 8; x += 2) gemm_pair(nb, w + (size_t)x * nb, ay, dy, oy, s + y * 4 * bs + 8 * x, bs);
#endif
        for (; x < nc / 8; x++) {
            const q4x8 *b = w + (size_t)x * nb;
            __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
            for (int l = 0; l < nb; l++) {
                weights u = unpack(b[l]);
                __m256 col = scales(b[l]);
                for (int m = 0; m < 4; m++) {
                    run av[4];
                    runs(ay[l].qs + m * 8, 32, av);
                    __m256i dot = _mm256_sub_epi32(dot8(u, av), _mm256_set1_epi32(oy[l * 4 + m]));
                    acc[m] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(col, _mm256_set1_ps(dy[l * 4 + m])), acc[m]);
                }
            }
            for (int m = 0; m < 4; m++) _mm256_storeu_ps(s + (y * 4 + m) * bs + 8 * x, ordered(acc[m]));
        }
    }
}

// Made-up repacked Q4_0 weights (nc columns of n values) and activations,
// one row's and four rows' of each of `groups` row groups: xorshift bytes,
// scales of 0.1 in f16, activations as quantising makes them
// (chapel::xorshift).
struct madeup {
    int n, nc;
    std::vector<q4x8> w;
    std::vector<q8> a1;
    std::vector<q8x4> a4;
    madeup(int n, int nc, int groups, uint32_t seed)
        : n(n), nc(nc), w((size_t)(nc / 8) * (n / 32)), a1(n / 32), a4((size_t)groups * (n / 32)) {
        chapel::xorshift r{seed};
        for (auto &b : w) {
            for (auto &d : b.d) d = 0x2E66;
            for (auto &q : b.qs) q = r.byte();
        }
        for (auto &b : a1) {
            b.d = 0x2E66;
            for (auto &q : b.qs) q = r.activation();
        }
        for (auto &b : a4) {
            for (auto &d : b.d) d = 0x2E66;
            for (auto &q : b.qs) q = r.activation();
        }
    }
};

}  // namespace
#endif

#if CHAPEL_REPACK_WRAPPED
extern "C" {

void ggml_cpu_init(void);  // fills the f16 table ggml's kernels read scales through; once
void __real_ggml_gemv_q4_0_8x8_q8_0(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc);
void __real_ggml_gemm_q4_0_8x8_q8_0(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc);

void __wrap_ggml_gemv_q4_0_8x8_q8_0(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc) {
#if CHAPEL_REPACK_COMPILED
    if ((chapel_repack_driver & 1) && nr == 1 && n % 32 == 0 && nc % 8 == 0) {
        // Stored once, not per call: the flags share a cache line with the
        // switch that every thread reads on every call.
        if (!(chapel_repack_taken & 1)) chapel_repack_taken |= 1;
        gemv(n, s, vx, vy, nc);
        return;
    }
#endif
    __real_ggml_gemv_q4_0_8x8_q8_0(n, s, bs, vx, vy, nr, nc);
}

void __wrap_ggml_gemm_q4_0_8x8_q8_0(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc) {
#if CHAPEL_REPACK_COMPILED
    if ((chapel_repack_driver & 2) && nr % 4 == 0 && n % 32 == 0 && nc % 8 == 0) {
        if (!(chapel_repack_taken & 2)) chapel_repack_taken |= 2;
        gemm(n, s, bs, vx, vy, nr, nc);
        return;
    }
#endif
    __real_ggml_gemm_q4_0_8x8_q8_0(n, s, bs, vx, vy, nr, nc);
}

#if CHAPEL_REPACK_COMPILED
// One product of m's weights by Chapel's kernel (ours) or ggml's: m's one
// row (rows = 1) or its first rows rows, into s (rows × m.nc).
static void multiply(bool ours, const madeup &m, int rows, float *s) {
    if (rows == 1) {
        if (ours) gemv(m.n, s, m.w.data(), m.a1.data(), m.nc);
        else __real_ggml_gemv_q4_0_8x8_q8_0(m.n, s, m.nc, m.w.data(), m.a1.data(), 1, m.nc);
    } else if (ours) {
        gemm(m.n, s, m.nc, m.w.data(), m.a4.data(), rows, m.nc);
    } else {
        __real_ggml_gemm_q4_0_8x8_q8_0(m.n, s, m.nc, m.w.data(), m.a4.data(), rows, m.nc);
    }
}
#endif

}  // extern "C"
#endif

// chapel_repack_compare runs both drivers' kernels on made-up weights of nc
// columns (a multiple of 8) and n values (a multiple of 32), for one row
// (rows = 1) or rows rows (a multiple of 4), and returns how many of the
// results differ in any bit, or -1 for a shape the kernels do not take.
extern "C" int chapel_repack_compare(int n, int nc, int rows, unsigned seed) {
#if CHAPEL_REPACK_COMPILED
    if (n < 32 || n % 32 || nc < 8 || nc % 8 || rows < 1 || (rows > 1 && rows % 4)) return -1;
    ggml_cpu_init();
    madeup m(n, nc, rows / 4 + 1, seed | 1u);
    return chapel::compare((size_t)rows * nc, [&](bool ours, float *s) { multiply(ours, m, rows, s); });
#else
    (void)n, (void)nc, (void)rows, (void)seed;
    return -1;
#endif
}

// chapel_repack_measure times both drivers' kernels on the same made-up
// weights, one thread: a 2,048 × 2,048 matrix (2.4 MB repacked, about one
// projection of a 1B model), the one-row product four times a round, then
// the four-row product once a round (chapel::alternate). out[0], out[1]:
// the one-row product's median time in nanoseconds, Chapel's then ggml's;
// out[2], out[3]: the four-row product's. Returns 0, or -1 when rounds is
// below 1 or the kernels are not compiled.
extern "C" int chapel_repack_measure(int rounds, double *out) {
#if CHAPEL_REPACK_COMPILED
    if (rounds < 1) return -1;
    ggml_cpu_init();
    madeup m(2048, 2048, 1, 2463534242u);
    std::vector<float> s((size_t)4 * m.nc);
    chapel::alternate(rounds, [&](bool ours) {
        for (int i = 0; i < 4; i++) multiply(ours, m, 1, s.data());
    }, out);
    chapel::alternate(rounds, [&](bool ours) { multiply(ours, m, 4, s.data()); }, out + 2);
    return 0;
#else
    (void)rounds, (void)out;
    return -1;
#endif
}
