// The AMX matrix-multiplication kernels; see amx_kernels.cpp for why they
// are compiled here and which weights they take.
//
// This file also replaces ggml's driver of those kernels (the function that
// splits one multiplication among the threads) with one that does the same
// arithmetic in a different order, for two costs measured in the pinned one
// on a Xeon with AMX (512-token prompt, synthetic 1B Q4_0, 2 threads):
//
//  - the input rows were quantised to Q8 by thread 0 alone while the other
//    threads waited at the barrier; here every thread quantises its share;
//  - each thread walked its blocks row-block first, so it streamed the
//    whole weight matrix once for every 32 input rows (16 times for a
//    512-token batch, 10 GB per batch for a 0.64 GB model). Here a thread
//    owns a range of 32-column weight blocks and runs every input block
//    against one weight block before the next, so each weight is read from
//    memory once per group of input rows that fits the core's L2 cache.
//
// Every output element is computed by the same kernel call with the same
// inputs as before, so the results are bit for bit ggml's (the test compares
// both drivers: chapel_amx_driver = 0 is ggml's).
#define ggml_backend_amx_mul_mat chapel_vendored_amx_mul_mat
#include "amx/mmq.cpp"
#undef ggml_backend_amx_mul_mat

extern "C" {
int chapel_amx_driver = 1;  // 1: the driver below; 0: ggml's
}

#if defined(__AMX_INT8__) && defined(__AVX512VNNI__)

void ggml_backend_amx_mul_mat(const struct ggml_compute_params * params, struct ggml_tensor * dst);

namespace chapel_amx {

// a_group_bytes bounds the quantised input rows one pass keeps hot: about
// half of a Sapphire Rapids core's 2 MB L2, leaving room for the weight
// block and the output.
constexpr size_t a_group_bytes = 1 << 20;

// share is this thread's part [begin, end) of n items.
static void share(int n, const ggml_compute_params * params, int & begin, int & end) {
    balance211(n, params->nth, params->ith, begin, end);
}

}  // namespace chapel_amx

void ggml_backend_amx_mul_mat(const struct ggml_compute_params * params, struct ggml_tensor * dst) {
    const ggml_tensor * w = dst->src[0];  // weights {K, N}, in AMX's packed layout
    const ggml_tensor * x = dst->src[1];  // input {K, M}, F32
    const int M = dst->ne[1];
    const int N = dst->ne[0];
    const int K = w->ne[0];
    const enum ggml_type TYPE = w->type;  // the name GGML_DISPATCH_QTYPES reports
    // F16 weights and single rows (a reply's steps: the quantisation is one
    // row, the kernels are ggml's one-row VNNI ones) stay with ggml's driver.
    if (!chapel_amx_driver || TYPE == GGML_TYPE_F16 || M == 1) {
        chapel_vendored_amx_mul_mat(params, dst);
        return;
    }
    const int ldc = dst->nb[1] / dst->nb[0];
    char * qx = static_cast<char *>(params->wdata);

    GGML_DISPATCH_QTYPES(TYPE, [&] {
        const int KB = K / blck_size;
        const size_t row_bytes = (size_t) KB * sizeof(vec_dot_type);
        if (params->wsize < (size_t) M * row_bytes) {
            GGML_ABORT("insufficient work space size");
        }
        GGML_ASSERT(TILE_K == blck_size || TILE_K * 8 == blck_size);

        // 1. Every thread quantises its share of the input rows.
        int r0, r1;
        chapel_amx::share(M, params, r0, r1);
        const float * xf = static_cast<const float *>(x->data);
        for (int m = r0; m < r1; ++m) {
            from_float<vec_dot_type>(xf + (size_t) m * K, qx + m * row_bytes, K);
        }
        ggml_barrier(params->threadpool);

        // 2. Blocks of 32 rows by 32 columns, as ggml's kernels take them;
        // this thread owns the column blocks [n0, n1).
        constexpr int BLOCK_M = TILE_M * 2;
        constexpr int BLOCK_N = TILE_N * 2;
        const int MB = div_up(M, BLOCK_M);
        const int NB = div_up(N, BLOCK_N);
        int n0, n1;
        chapel_amx::share(NB, params, n0, n1);
        if (n0 >= n1) {
            return;
        }
        ggml_tile_config_init();
        const int tile_size = get_tile_size<type>();
        const int group = std::max<int>(1, (int) (chapel_amx::a_group_bytes / (row_bytes * BLOCK_M)));
        for (int g0 = 0; g0 < MB; g0 += group) {
            const int g1 = std::min(MB, g0 + group);
            for (int nb = n0; nb < n1; ++nb) {
                const char * wb = static_cast<const char *>(w->data) + PACKED_INDEX(nb * 2, 0, KB, tile_size);
                for (int mb = g0; mb < g1; ++mb) {
                    const int m = mb * BLOCK_M;
                    tinygemm_kernel_amx<vec_dot_type, type, float, blck_size>(
                        std::min(BLOCK_M, M - m), BLOCK_N, KB, qx + m * row_bytes, wb,
                        static_cast<float *>(dst->data) + (size_t) m * N + nb * BLOCK_N, ldc);
                }
            }
        }
    });
}

#endif  // defined(__AMX_INT8__) && defined(__AVX512VNNI__)
