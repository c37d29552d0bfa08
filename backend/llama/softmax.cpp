// Chapel's softmax of an attention layer's scores: one row per query row
// and head, as long as the context, before the products with the values.
//
// ggml's softmax (ops.cpp, ggml_compute_forward_soft_max_f32) passes over
// each row six times: it copies it to a scratch row, scales it, adds the
// mask one value at a time (converting each from F16), finds the largest
// value one at a time (each comparison waits for the one before), then
// exponentiates and sums, and scales the result. Profiled on an AMD EPYC
// with AVX2 (1B Q4_0, 20 new tokens after 3,000 of context): 13 % of the
// time, most of it in the two one-at-a-time loops.
//
// Here the operation is answered through ggml-cpu's hook for extra buffer
// types (attn_f16.cpp's wrap, repack_wrap.go) in three passes over the
// destination row: scale, add the mask and keep the largest value, eight
// or sixteen at a time; exponentiate with ggml's own ggml_v_expf (vec.h)
// and sum as ggml_vec_soft_max_f32 does in this build (each vector's
// horizontal sum in its order, added into a double one after the other);
// scale by the sum's inverse. Every value goes through ggml's operations
// in ggml's order (the largest value is the same whatever the order), so
// the result is bit for bit ggml's (TestSoftmaxRows). Only what ggml does
// without a slope or sinks is taken: no ALiBi bias, no attention sinks.
// chapel_softmax_driver = 0 (CHAPEL_SOFTMAX_DRIVER=ggml) leaves it to ggml.

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ggml-cpu-impl.h"  // ggml_compute_params: the thread's index and count
#include "ggml-cpu.h"       // ggml_graph_compute_with_ctx, for the comparison
#include "ggml.h"

extern "C" {
int chapel_softmax_driver = 1;  // 1: Chapel's softmax; 0: ggml's
int chapel_softmax_taken = 0;   // it ran (for tests)
}

#if defined(__x86_64__) && !defined(__APPLE__) && defined(__F16C__) && \
    ((defined(__AVX512F__) && defined(__AVX512DQ__)) || (defined(__AVX2__) && defined(__FMA__)))
#define CHAPEL_SOFTMAX_COMPILED 1
#include <immintrin.h>

#include "kernel_compare.h"
#include "vec.h"  // ggml_v_expf, ggml_float

namespace {

#if defined(__AVX512F__) && defined(__AVX512DQ__)
// ggml_vec_soft_max_f32 with AVX-512: sixteen values a step.
typedef __m512 vec;
constexpr int lanes = 16;
inline vec load(const float * p) { return _mm512_loadu_ps(p); }
inline void store(float * p, vec v) { _mm512_storeu_ps(p, v); }
inline vec set1(float x) { return _mm512_set1_ps(x); }
inline vec mul(vec a, vec b) { return _mm512_mul_ps(a, b); }
inline vec add(vec a, vec b) { return _mm512_add_ps(a, b); }
inline vec sub(vec a, vec b) { return _mm512_sub_ps(a, b); }
inline vec vmax(vec a, vec b) { return _mm512_max_ps(a, b); }
inline vec load_half(const ggml_fp16_t * p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) p)); }
inline float hmax(vec v) { return _mm512_reduce_max_ps(v); }
// rounded keeps v as computed: the compiler may not fuse the product it
// holds into a following addition (ggml scales and adds the mask in two
// loops, rounding twice; one fused operation rounds once).
inline vec rounded(vec v) {
    __asm__("" : "+v"(v));
    return v;
}
inline float hsum(vec v) { return _mm512_reduce_add_ps(v); }  // as ggml's loop sums a step
#else
// ggml_vec_soft_max_f32 with AVX2: eight values a step.
typedef __m256 vec;
constexpr int lanes = 8;
inline vec load(const float * p) { return _mm256_loadu_ps(p); }
inline void store(float * p, vec v) { _mm256_storeu_ps(p, v); }
inline vec set1(float x) { return _mm256_set1_ps(x); }
inline vec mul(vec a, vec b) { return _mm256_mul_ps(a, b); }
inline vec add(vec a, vec b) { return _mm256_add_ps(a, b); }
inline vec sub(vec a, vec b) { return _mm256_sub_ps(a, b); }
inline vec vmax(vec a, vec b) { return _mm256_max_ps(a, b); }
inline vec load_half(const ggml_fp16_t * p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) p)); }
inline vec rounded(vec v) {  // as above
    __asm__("" : "+x"(v));
    return v;
}
inline float hmax(vec v) {
    __m128 r = _mm_max_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
    r = _mm_max_ps(r, _mm_movehl_ps(r, r));
    r = _mm_max_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}
inline float hsum(vec v) {  // as ggml's loop sums a step
    __m128 r = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}
#endif

// takes reports whether op is a softmax this file computes as ggml would:
// F32 scores and result, rows of contiguous values, a mask of F16 or F32
// rows (or none), no ALiBi bias and no sinks.
bool takes(const ggml_tensor * op) {
    if (op->op != GGML_OP_SOFT_MAX || op->type != GGML_TYPE_F32) return false;
    const ggml_tensor * s = op->src[0];
    const ggml_tensor * m = op->src[1];
    if (s == nullptr || s->type != GGML_TYPE_F32 || op->src[2] != nullptr) return false;
    float max_bias;
    memcpy(&max_bias, (const float *) op->op_params + 1, sizeof(float));
    if (max_bias != 0.0f) return false;
    if (!ggml_is_contiguous(op) || s->nb[0] != sizeof(float) || !ggml_are_same_shape(s, op)) return false;
    if (m != nullptr) {
        if (m->type != GGML_TYPE_F16 && m->type != GGML_TYPE_F32) return false;
        if (m->nb[0] != ggml_type_size(m->type) || m->ne[0] < s->ne[0] || m->ne[1] < s->ne[1]) return false;
    }
    return true;
}

// row computes one row: y = softmax(x · scale + mask) over n values, mask
// F16 (mh) or F32 (mf) or none.
void row(int64_t n, const float * x, float * y, float scale, const ggml_fp16_t * mh, const float * mf) {
    // Pass 1: ggml's scaled copy plus the mask (its slope is 1: no
    // ALiBi), and the largest value.
    const vec vs = set1(scale);
    vec vm = set1(-INFINITY);
    int64_t i = 0;
    for (; i + lanes <= n; i += lanes) {
        vec w = rounded(mul(load(x + i), vs));
        if (mh) w = add(w, load_half(mh + i));
        else if (mf) w = add(w, load(mf + i));
        store(y + i, w);
        vm = vmax(vm, w);
    }
    float max = hmax(vm);
    for (; i < n; ++i) {
        float w = x[i] * scale;
        __asm__("" : "+x"(w));  // rounded, as above
        if (mh) w += _cvtsh_ss(mh[i]);
        else if (mf) w += mf[i];
        y[i] = w;
        max = max > w ? max : w;
    }
    // Pass 2: ggml_vec_soft_max_f32, in place.
    const vec vmx = set1(max);
    ggml_float sum = 0;
    i = 0;
    for (; i + lanes <= n; i += lanes) {
        const vec e = ggml_v_expf(sub(load(y + i), vmx));
        store(y + i, e);
        sum += (ggml_float) hsum(e);
    }
    for (; i < n; ++i) {
        const float e = expf(y[i] - max);
        sum += (ggml_float) e;
        y[i] = e;
    }
    // Pass 3: ggml_vec_scale_f32 by the sum's inverse, as a float.
    sum = 1.0 / sum;
    const float inv = (float) sum;
    const vec vi = set1(inv);
    i = 0;
    for (; i + lanes <= n; i += lanes) store(y + i, mul(load(y + i), vi));
    for (; i < n; ++i) y[i] *= inv;
}

}  // namespace

// chapel_softmax answers a softmax ggml-cpu is about to compute, this
// thread's rows of it, and returns whether it did.
extern "C" bool chapel_softmax(const struct ggml_compute_params * params, struct ggml_tensor * op) {
    if (!chapel_softmax_driver || !takes(op)) return false;
    if (!chapel_softmax_taken) chapel_softmax_taken = 1;  // stored once: see repack_q4.cpp
    const ggml_tensor * s = op->src[0];
    const ggml_tensor * m = op->src[1];
    float scale;
    memcpy(&scale, (const float *) op->op_params + 0, sizeof(float));
    const int64_t n = s->ne[0];
    for (int64_t i3 = 0; i3 < s->ne[3]; i3++) {
        for (int64_t i2 = 0; i2 < s->ne[2]; i2++) {
            for (int64_t i1 = params->ith; i1 < s->ne[1]; i1 += params->nth) {
                const float * x = (const float *) ((const char *) s->data + i1 * s->nb[1] + i2 * s->nb[2] + i3 * s->nb[3]);
                float * y = (float *) ((char *) op->data + i1 * op->nb[1] + i2 * op->nb[2] + i3 * op->nb[3]);
                const ggml_fp16_t * mh = nullptr;
                const float * mf = nullptr;
                if (m != nullptr) {
                    // the mask broadcast over heads and sequences, as ggml does
                    const char * mrow = (const char *) m->data + i1 * m->nb[1] + (i2 % m->ne[2]) * m->nb[2] +
                                        (i3 % m->ne[3]) * m->nb[3];
                    if (m->type == GGML_TYPE_F16) mh = (const ggml_fp16_t *) mrow;
                    else mf = (const float *) mrow;
                }
                row(n, x, y, scale, mh, mf);
            }
        }
    }
    return true;
}

// chapel_softmax_compare computes the softmax of made-up scores (heads
// of rows rows of n values, scaled by 1/√128, plus a mask of the given type:
// 0 none, 1 F16, 2 F32, with a causal pattern of -inf and small values)
// with ggml's graph on threads threads, with Chapel's softmax and with
// ggml's, and returns how many results differ in any bit (-1 when the
// arguments make no softmax). max_bias > 0 asks for ALiBi, which Chapel's
// does not take: then it must not run.
extern "C" int chapel_softmax_compare(int n, int rows, int heads, int mask, int threads, float max_bias, unsigned seed) {
    if (n < 1 || rows < 1 || heads < 1 || mask < 0 || mask > 2 || threads < 1) return -1;
    if (max_bias > 0.0f && mask == 0) return -1;  // ggml's ALiBi needs a mask
    const size_t values = (size_t) n * rows * heads;
    // scores, result, mask, the graph, and a work buffer for each of the
    // two computations (a row and a cache line per thread)
    const size_t work = 2 * ((size_t) threads * (n + 64) * sizeof(float) + 4096);
    ggml_init_params ip = {2 * values * sizeof(float) + (size_t) n * rows * sizeof(float) + work + 1024 * 1024, nullptr, false};
    ggml_context * ctx = ggml_init(ip);
    if (ctx == nullptr) return -1;
    ggml_tensor * x = ggml_new_tensor_3d(ctx, GGML_TYPE_F32, n, rows, heads);
    chapel::xorshift r{seed | 1u};
    float * xs = (float *) x->data;
    for (size_t i = 0; i < values; i++) xs[i] = ((float) (r.next() % 20001) - 10000.0f) / 997.0f;
    ggml_tensor * m = nullptr;
    if (mask) {
        m = ggml_new_tensor_2d(ctx, mask == 1 ? GGML_TYPE_F16 : GGML_TYPE_F32, n, rows);
        for (int j = 0; j < rows; j++) {
            for (int i = 0; i < n; i++) {
                // the last rows - 1 - j positions hidden, as a causal mask does
                const float v = i >= n - (rows - 1 - j) ? -INFINITY : ((float) (r.next() % 9) - 4.0f) / 8.0f;
                if (mask == 1) ((ggml_fp16_t *) m->data)[(size_t) j * n + i] = ggml_fp32_to_fp16(v);
                else ((float *) m->data)[(size_t) j * n + i] = v;
            }
        }
    }
    // 1/√128, a head of 128 values: a scale whose products round
    ggml_tensor * y = ggml_soft_max_ext(ctx, x, m, 0.08838834764831845f, max_bias);
    ggml_cgraph * g = ggml_new_graph(ctx);
    ggml_build_forward_expand(g, y);
    const int saved = chapel_softmax_driver;
    bool ran[2] = {false, false};
    const int differ = chapel::compare(values, [&](bool ours, float * out) {
        chapel_softmax_driver = ours, chapel_softmax_taken = 0;
        memset(y->data, 0xff, values * sizeof(float));  // nothing left from the other run
        ggml_graph_compute_with_ctx(ctx, g, threads);
        memcpy(out, y->data, values * sizeof(float));
        ran[ours] = chapel_softmax_taken != 0;
    });
    chapel_softmax_driver = saved, chapel_softmax_taken = 0;
    ggml_free(ctx);
    // ggml's ran when off; Chapel's ran when on exactly when it takes the op
    if (ran[0] || ran[1] != (max_bias == 0.0f)) return -2;
    return differ;
}

#else
#define CHAPEL_SOFTMAX_COMPILED 0
struct ggml_compute_params;
extern "C" bool chapel_softmax(const struct ggml_compute_params *, struct ggml_tensor *) { return false; }
extern "C" int chapel_softmax_compare(int, int, int, int, int, float, unsigned) { return -1; }
#endif

extern "C" int chapel_softmax_compiled(void) { return CHAPEL_SOFTMAX_COMPILED; }
