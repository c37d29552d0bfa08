// Chapel's products of a reply step's single query row with an attention
// layer's F16 cache: the values (always F16) and the keys when they are not
// quantised.
//
// ggml multiplies each query head by its KV head's rows as a matrix product
// whose second operand has one row, and its general loop calls the F16 dot
// product once per row and query head: with grouped-query attention (a 1B
// model: 32 query heads over 4 KV heads) every cached row is loaded and
// converted from F16 once for each of the heads that share it. Profiled on
// an AMD EPYC (1B Q4_0, a reply after 2,048 tokens of context): ggml's F16
// dot product took 14 % of a step, for the 3.6 % of its bytes that the
// values are.
//
// Here the whole operation is answered before ggml's loop sees it (the
// linker's --wrap on ggml-cpu's hook for its extra buffer types, which it
// calls for every operation: repack_wrap.go): each thread takes a share of
// the KV heads' rows and, for each row, converts it once and multiplies it
// with several query heads at a time, while the next row is fetched. The
// query rows are converted to F16 once, as ggml converts them, and every
// product keeps ggml_vec_dot_f16's accumulators and their order (vec.cpp,
// simd-mappings.h in this build), so the results are bit for bit ggml's
// (TestKQVRows). Only products over heads (3-D operands) are taken, never a
// weight matrix, and only lengths that are whole steps of ggml's loop (no
// leftovers). chapel_kqv_driver = 0 (CHAPEL_KQV_DRIVER=ggml) leaves them
// all to ggml.

#include <stddef.h>
#include <stdint.h>

#include <vector>

#include "ggml-cpu-impl.h"  // ggml_compute_params: the thread's index and count
#include "ggml.h"

extern "C" {
int chapel_kqv_driver = 1;  // 1: Chapel's products over F16 caches; 0: ggml's loop
int chapel_kqv_taken = 0;   // it ran (for tests)
}

#if defined(__x86_64__) && !defined(__APPLE__) && defined(__F16C__) && \
    (defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__)))
#define CHAPEL_KQV_COMPILED 1
#include <immintrin.h>

namespace {

#if defined(__AVX512F__)
// ggml_vec_dot_f16 with AVX-512: 64 values a step, four accumulators of 16.
typedef __m512 vec;
constexpr int lanes = 16;
constexpr int heads_at_once = 4;  // 16 accumulators and 4 converted values of 32 registers
inline vec zero() { return _mm512_setzero_ps(); }
inline vec load_half(const uint16_t * p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) p)); }
inline vec fma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
inline vec add(vec a, vec b) { return _mm512_add_ps(a, b); }
inline float sum(vec x) { return _mm512_reduce_add_ps(x); }
inline void to_half(const float * x, uint16_t * y) {
    _mm256_storeu_si256((__m256i *) y, _mm512_cvtps_ph(_mm512_loadu_ps(x), _MM_FROUND_TO_NEAREST_INT));
}
#else
// ggml_vec_dot_f16 with AVX2 and FMA: 32 values a step, four accumulators of 8.
typedef __m256 vec;
constexpr int lanes = 8;
// 32 accumulators for 16 registers: the compiler keeps some on the stack,
// and yet (measured on an AMD EPYC with AVX2, 2,304 positions, 8 heads a KV
// head) eight heads at once beat two and four
constexpr int heads_at_once = 8;
inline vec zero() { return _mm256_setzero_ps(); }
inline vec load_half(const uint16_t * p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) p)); }
inline vec fma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
inline vec add(vec a, vec b) { return _mm256_add_ps(a, b); }
inline float sum(vec x) {  // GGML_F32x8_REDUCE's last steps
    const __m128 t0 = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    const __m128 t1 = _mm_hadd_ps(t0, t0);
    return _mm_cvtss_f32(_mm_hadd_ps(t1, t1));
}
inline void to_half(const float * x, uint16_t * y) {
    _mm_storeu_si128((__m128i *) y, _mm256_cvtps_ph(_mm256_loadu_ps(x), _MM_FROUND_TO_NEAREST_INT));
}
#endif
constexpr int step = 4 * lanes;  // GGML_F16_STEP

// heads multiplies one cached row x (n values, a whole number of steps)
// with J query rows y[j] (F16, as ggml converts them) into out[j]: per
// query, ggml's four accumulators, then its reduction (0 + 2, 1 + 3, then
// the two, then the lanes). The row is converted once for all J.
//
// next, unless null, is the row multiplied after this one, fetched into the
// cache while this one is multiplied. The caches come from memory: a step
// reads every layer's weights in between. A value row (as long as the
// context) lies on a page of its own, where the hardware's prefetchers
// start over; without the hint the loop waits on those loads, as ggml's
// does (a timed loop on an AMD EPYC with AVX2, caches flushed: without it
// eight heads a row took 84 us a KV head at 2,304 positions, with it 56-61).
template <int J>
void heads(const uint16_t * x, const uint16_t * next, int n, const uint16_t * const * y, float * const * out) {
    vec s[J][4];
    for (int j = 0; j < J; ++j) {
        for (int k = 0; k < 4; ++k) {
            s[j][k] = zero();
        }
    }
    for (int i = 0; i < n; i += step) {
        if (next) {
            for (int c = 0; c < step * (int) sizeof(uint16_t); c += 64) {
                _mm_prefetch((const char *) (next + i) + c, _MM_HINT_T0);
            }
        }
        vec xv[4];
        for (int k = 0; k < 4; ++k) {
            xv[k] = load_half(x + i + k * lanes);
        }
        for (int j = 0; j < J; ++j) {
            for (int k = 0; k < 4; ++k) {
                s[j][k] = fma(xv[k], load_half(y[j] + i + k * lanes), s[j][k]);
            }
        }
    }
    for (int j = 0; j < J; ++j) {
        *out[j] = sum(add(add(s[j][0], s[j][2]), add(s[j][1], s[j][3])));
    }
}

// heads_upto runs heads<J> for J = count, 1 <= count <= Max.
template <int Max>
void heads_upto(int count, const uint16_t * x, const uint16_t * next, int n, const uint16_t * const * y,
                float * const * out) {
    if constexpr (Max > 1) {
        if (count < Max) {
            heads_upto<Max - 1>(count, x, next, n, y, out);
            return;
        }
    }
    heads<Max>(x, next, n, y, out);
}

// takes says whether op is a product this file answers: F16 rows (a cache,
// seen over heads) times one F32 query row per head, whole steps long.
bool takes(const ggml_tensor * op) {
    if (op->op != GGML_OP_MUL_MAT || op->type != GGML_TYPE_F32 || op->nb[0] != sizeof(float)) {
        return false;
    }
    const ggml_tensor * a = op->src[0];
    const ggml_tensor * b = op->src[1];
    if (a->type != GGML_TYPE_F16 || b->type != GGML_TYPE_F32 || a->nb[0] != sizeof(uint16_t) ||
        b->nb[0] != sizeof(float)) {
        return false;
    }
    if (b->ne[1] != 1 || a->ne[3] != 1 || b->ne[3] != 1 || (a->ne[2] < 2 && b->ne[2] < 2)) {
        return false;  // more than one query row, a fourth dimension, or a 2-D weight matrix
    }
    return a->ne[0] > 0 && a->ne[0] % step == 0 && a->ne[0] <= (1 << 20) && b->ne[2] % a->ne[2] == 0;
}

void product(const ggml_compute_params * params, ggml_tensor * op) {
    const ggml_tensor * a = op->src[0];
    const ggml_tensor * b = op->src[1];
    const int n = (int) a->ne[0];
    const int64_t rows = a->ne[1], groups = a->ne[2], shared = b->ne[2] / a->ne[2];
    // Each thread takes a share of the (KV head, row) items; ggml's barrier
    // after the operation joins them.
    const int64_t items = groups * rows;
    const int64_t i0 = items * params->ith / params->nth, i1 = items * (params->ith + 1) / params->nth;
    if (i0 >= i1) {
        return;
    }
    auto row = [&](int64_t item) {  // the cached row an item multiplies
        return (const uint16_t *) ((const char *) a->data + (item / rows) * a->nb[2] + (item % rows) * a->nb[1]);
    };
    // This KV head's query rows in F16, as ggml converts them for its loop:
    // half the bytes of F32 to read for every row (they stay in L2 at 2,048
    // values of context and 8 heads: 32 KiB).
    static thread_local std::vector<uint16_t> queries;
    queries.resize((size_t) shared * n);
    int64_t group = -1;
    const uint16_t * y[heads_at_once];
    float * out[heads_at_once];
    for (int64_t item = i0; item < i1; ++item) {
        const int64_t g = item / rows, r = item % rows;
        if (g != group) {
            group = g;
            for (int64_t j = 0; j < shared; ++j) {
                const float * q = (const float *) ((const char *) b->data + (g * shared + j) * b->nb[2]);
                for (int i = 0; i < n; i += lanes) {
                    to_half(q + i, queries.data() + j * n + i);
                }
            }
        }
        const uint16_t * x = row(item);
        const uint16_t * next = item + 1 < i1 ? row(item + 1) : nullptr;
        for (int64_t j0 = 0; j0 < shared; j0 += heads_at_once) {
            const int J = shared - j0 < heads_at_once ? (int) (shared - j0) : heads_at_once;
            for (int j = 0; j < J; ++j) {
                y[j] = queries.data() + (j0 + j) * n;
                out[j] = (float *) ((char *) op->data + (g * shared + j0 + j) * op->nb[2] + r * sizeof(float));
            }
            const uint16_t * fetch = j0 == 0 ? next : nullptr;  // the row once
            heads_upto<heads_at_once>(J, x, fetch, n, y, out);
        }
    }
}

}  // namespace

extern "C" {

bool __real_ggml_cpu_extra_compute_forward(struct ggml_compute_params * params, struct ggml_tensor * op);
bool chapel_softmax(const struct ggml_compute_params * params, struct ggml_tensor * op);  // softmax.cpp

// ggml-cpu calls this for every operation before its own code: the extra
// buffer types (repacked and AMX weights) answer first, then softmax.cpp,
// then this file.
bool __wrap_ggml_cpu_extra_compute_forward(struct ggml_compute_params * params, struct ggml_tensor * op) {
    if (__real_ggml_cpu_extra_compute_forward(params, op) || chapel_softmax(params, op)) {
        return true;
    }
    if (!chapel_kqv_driver || !takes(op)) {
        return false;
    }
    if (!chapel_kqv_taken) chapel_kqv_taken = 1;  // stored once: see repack_q4.cpp
    product(params, op);
    return true;
}

}  // extern "C"

#else
#define CHAPEL_KQV_COMPILED 0
#if defined(__x86_64__) && !defined(__APPLE__)  // wrapped (repack_wrap.go) but without the kernels
extern "C" {
bool __real_ggml_cpu_extra_compute_forward(struct ggml_compute_params * params, struct ggml_tensor * op);
bool chapel_softmax(const struct ggml_compute_params * params, struct ggml_tensor * op);  // softmax.cpp
bool __wrap_ggml_cpu_extra_compute_forward(struct ggml_compute_params * params, struct ggml_tensor * op) {
    return __real_ggml_cpu_extra_compute_forward(params, op) || chapel_softmax(params, op);
}
}
#endif
#endif

extern "C" int chapel_kqv_compiled(void) { return CHAPEL_KQV_COMPILED; }
