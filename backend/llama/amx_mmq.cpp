// The AMX matrix-multiplication kernels; see amx_kernels.cpp for why they
// are compiled here and which weights they take.
//
// This file also puts Chapel's entry point in front of ggml's driver of
// those kernels (ggml's is renamed on the way in; chapel_amx_driver = 0
// calls it for everything):
//
//  - single rows (a reply's steps): every thread quantises the row itself
//    instead of thread 0 alone while the others wait at a barrier; ggml's
//    one-row kernels, except Q4_K's, which is Chapel's (q4k_row below);
//    bit for bit ggml's results either way (TestAMXDriver, TestAMXRows);
//  - batches of Q4_0 and Q8_0: the BF16 path below (TestAMXBF16);
//  - the rest (F16, K-quants, Q4_1, batches below chapel_amx_bf16_rows):
//    ggml's driver. (A reordering of its batch loop, every thread
//    quantising its share and owning weight blocks, was measured here and
//    gave nothing: 175 against 174 tok/s on a 512-token prompt.)
#define ggml_backend_amx_mul_mat chapel_vendored_amx_mul_mat
#define ggml_backend_amx_desired_wsize chapel_vendored_amx_desired_wsize
#include "amx/mmq.cpp"
#undef ggml_backend_amx_mul_mat
#undef ggml_backend_amx_desired_wsize

extern "C" {
int chapel_amx_driver = 1;     // 1: the entry point below; 0: ggml's driver for everything
int chapel_amx_bf16_rows = 32; // batches of at least this many rows take the BF16 path; 0: never
int chapel_amx_bf16_taken = 0; // a multiplication took it (for tests)
int chapel_amx_no_tiles = 0;   // 1: no tile instruction runs (amx_kernels.cpp, CHAPEL_AMX=rows)
int chapel_amx_q4k_taken = 0;  // Chapel's one-row Q4_K kernel ran (for tests)
}

#if defined(__AMX_INT8__) && defined(__AVX512VNNI__)

void ggml_backend_amx_mul_mat(const struct ggml_compute_params * params, struct ggml_tensor * dst);

namespace chapel_amx {

// share is this thread's part [begin, end) of n items.
static void share(int n, const ggml_compute_params * params, int & begin, int & end) {
    balance211(n, params->nth, params->ith, begin, end);
}

// q4k_row is the one-row product of Q4_K weights in AMX's packed layout
// (16 columns per tile, a super-block of 256 values per tile step), COLS
// tiles side by side. ggml's kernel (tinygemm_kernel_vnni for block_q4_K)
// broadcasts each 4-byte group of the activations with a permute inside the
// loop over tiles: a permute for each of its 64 VNNI products per tile and
// super-block. Here each group is
// broadcast once, straight from memory (a load, not a shuffle), and used for
// every tile; so are the activations' block sums for the mins. The integer
// sums are ggml's (the same products, added in another order, which integers
// do not notice: no step saturates) and the floats take ggml's operations in
// ggml's order per super-block, so the result is bit for bit ggml's
// (TestAMXRows). Measured on an AMD EPYC (AVX-512, no AMX; CHAPEL_AMX=rows):
// see the README's AMX section.
template <int COLS>
void q4k_row(int KB, int TILE_SIZE, const block_q8_K * A, const char * B, float * C) {
    constexpr int offset_scales = (QK_K / 2) * TILE_N;
    constexpr int offset_mins = offset_scales + 8 * TILE_N;
    constexpr int offset_d0 = offset_scales + 16 * TILE_N;
    constexpr int offset_dmin = offset_d0 + TILE_N * sizeof(ggml_half);
    const __m512i low = _mm512_set1_epi8(0xF);
    __m512 vc[COLS];
    for (int c = 0; c < COLS; ++c) {
        vc[c] = _mm512_setzero_ps();
    }
    for (int i = 0; i < KB; ++i) {
        const block_q8_K & a = A[i];
        const char * b[COLS];
        __m512i acc[COLS];
        for (int c = 0; c < COLS; ++c) {
            b[c] = B + PACKED_INDEX(c, i, KB, TILE_SIZE);
            acc[c] = _mm512_setzero_si512();
        }
        for (int g = 0; g < QK_K / 32; ++g) {
            const int32_t * ag = reinterpret_cast<const int32_t *>(a.qs + g * 32);
            __m512i sum[COLS];
            for (int c = 0; c < COLS; ++c) {
                sum[c] = _mm512_setzero_si512();
            }
            for (int k = 0; k < 8; k += 2) {
                const __m512i a0 = _mm512_set1_epi32(ag[k]), a1 = _mm512_set1_epi32(ag[k + 1]);
                for (int c = 0; c < COLS; ++c) {
                    const __m512i bytes = _mm512_loadu_si512(b[c] + g * 256 + k * 32);
                    sum[c] = _mm512_dpbusd_epi32(sum[c], _mm512_and_si512(bytes, low), a0);
                    sum[c] = _mm512_dpbusd_epi32(sum[c], _mm512_and_si512(_mm512_srli_epi16(bytes, 4), low), a1);
                }
            }
            for (int c = 0; c < COLS; ++c) {
                const __m512i scale =
                    _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) (b[c] + offset_scales + g * TILE_N)));
                acc[c] = _mm512_add_epi32(acc[c], _mm512_mullo_epi32(sum[c], scale));
            }
        }
        // The activations' sums over pairs of 16-value groups, two int16
        // per 32-bit lane: the factors of the mins (as ggml's hadd).
        const __m256i bsums = _mm256_loadu_si256((const __m256i *) a.bsums);
        alignas(16) int32_t pairs[4];
        _mm_store_si128((__m128i *) pairs,
                        _mm_hadd_epi16(_mm256_extracti128_si256(bsums, 0), _mm256_extracti128_si256(bsums, 1)));
        const __m512 d1 = _mm512_set1_ps(a.d);
        for (int c = 0; c < COLS; ++c) {
            const __m512 d0 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (b[c] + offset_d0)));
            vc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[c]), _mm512_mul_ps(d0, d1), vc[c]);
            __m512i mins = _mm512_setzero_si512();
            for (int k = 0; k < 4; ++k) {
                const __m512i m = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *) (b[c] + offset_mins + k * 32)));
                mins = _mm512_dpwssds_epi32(mins, _mm512_set1_epi32(pairs[k]), m);
            }
            const __m512 dmin = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (b[c] + offset_dmin)));
            vc[c] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(mins), _mm512_mul_ps(dmin, d1), vc[c]);
        }
    }
    for (int c = 0; c < COLS; ++c) {
        _mm512_storeu_ps(C + c * 16, vc[c]);
    }
}

// q4k_columns shares the N output columns (a multiple of 32, as AMX's
// buffer type requires) of one row among the threads, in blocks of eight
// tiles: measured with CHAPEL_AMX=rows on an AMD EPYC, eight tiles side by
// side generated 1.07x faster than four (synthetic 1B Q4_K_M), and two were
// slower again; software prefetching was slower too.
void q4k_columns(const ggml_compute_params * params, int KB, int TILE_SIZE, const block_q8_K * a, const char * w,
                 float * c, int N) {
    constexpr int tiles = 8;
    int n0, n1;
    share(div_up(N, TILE_N * tiles), params, n0, n1);
    for (int nb = n0; nb < n1; ++nb) {
        const char * b = w + PACKED_INDEX(nb * tiles, 0, KB, TILE_SIZE);
        float * out = c + nb * TILE_N * tiles;
        switch (std::min(TILE_N * tiles, N - nb * TILE_N * tiles) / TILE_N) {
        case 8: q4k_row<8>(KB, TILE_SIZE, a, b, out); break;
        case 6: q4k_row<6>(KB, TILE_SIZE, a, b, out); break;
        case 4: q4k_row<4>(KB, TILE_SIZE, a, b, out); break;
        case 2: q4k_row<2>(KB, TILE_SIZE, a, b, out); break;
        default: GGML_ABORT("unexpected column block");
        }
    }
}

// one_row: input row m of the multiplication (a reply's step has one).
// ggml's driver has thread 0 quantise it while the others wait at a
// barrier, then shares the columns; here every thread quantises the row
// itself (2,048 values: well under a microsecond) into its own buffer and
// goes straight on to its columns, one barrier fewer per multiplication.
// ours: Chapel's Q4_K kernel; otherwise ggml's one-row VNNI kernels only.
void one_row(const ggml_compute_params * params, ggml_tensor * dst, int m, bool ours) {
    const ggml_tensor * w = dst->src[0];
    const ggml_tensor * x = dst->src[1];
    const int N = dst->ne[0], K = w->ne[0];
    const int ldc = dst->nb[1] / dst->nb[0];
    const enum ggml_type TYPE = w->type;
    static thread_local std::vector<char> row;
    GGML_DISPATCH_QTYPES(TYPE, [&] {
        const int KB = K / blck_size;
        row.resize((size_t) KB * sizeof(vec_dot_type));
        from_float<vec_dot_type>(reinterpret_cast<const float *>(static_cast<const char *>(x->data) + m * x->nb[1]),
                                 row.data(), K);
        const int TILE_SIZE = get_tile_size<type>();
        if (ours && TYPE == GGML_TYPE_Q4_K) {
            if (params->ith == 0) {
                chapel_amx_q4k_taken = 1;
            }
            q4k_columns(params, KB, TILE_SIZE, reinterpret_cast<const block_q8_K *>(row.data()),
                        static_cast<const char *>(w->data), static_cast<float *>(dst->data) + (size_t) m * ldc, N);
            return;
        }
        constexpr int kTilesN = 4;
        constexpr int BLOCK_N = TILE_N * kTilesN;
        int n0, n1;
        share(div_up(N, BLOCK_N), params, n0, n1);
        for (int nb = n0; nb < n1; ++nb) {
            const char * b = static_cast<const char *>(w->data) + PACKED_INDEX(nb * kTilesN, 0, KB, TILE_SIZE);
            float * c = static_cast<float *>(dst->data) + (size_t) m * ldc + nb * BLOCK_N;
            switch (std::min(BLOCK_N, N - nb * BLOCK_N)) {
            case 64:
                tinygemm_kernel_vnni<vec_dot_type, type, float, 1, 64, blck_size>::apply(KB, row.data(), b, c, ldc);
                break;
            case 32:
                tinygemm_kernel_vnni<vec_dot_type, type, float, 1, 32, blck_size>::apply(KB, row.data(), b, c, ldc);
                break;
            default:
                GGML_ABORT("unexpected column block");
            }
        }
    });
}

#if defined(__AMX_BF16__) && defined(__AVX512BF16__)
// The BF16 path, for batches (a prompt, a summary's pieces). ggml's int8
// kernels apply the two Q8/Q4 block scales to every 32-value block of every
// product in AVX-512, after each tile multiplication: profiled on a Xeon
// (512-token prompt, 1B Q4_0) that bookkeeping, not AMX, was most of the
// 57 % of the prompt time spent in them. Here a thread expands each 32-column
// block of weights once, scales applied, to BF16 in the tiles' pair layout,
// the input rows are rounded to BF16 once, and AMX-BF16 accumulates the
// whole row in FP32 inside its tiles: no per-block work is left. The weights
// lose nothing they had (a Q4_0 value times its FP16 scale, rounded to BF16's
// 8-bit mantissa: well inside Q4's own step); the input keeps 8 bits of
// mantissa instead of Q8_0's 8 bits per 32-value block. TestAMXBF16
// compares the result with the int8 kernels' and the unquantised model's.

bool bf16_type(ggml_type t) { return t == GGML_TYPE_Q4_0 || t == GGML_TYPE_Q8_0; }

bool bf16_path(const ggml_tensor * dst) {
    return chapel_amx_driver && !chapel_amx_no_tiles && chapel_amx_bf16_rows > 0 && bf16_type(dst->src[0]->type) &&
           dst->ne[1] >= chapel_amx_bf16_rows;
}

constexpr int bf16_block = 32;  // input rows and weight columns per block

// bf16_input_bytes is the workspace the path needs: the input rows in BF16,
// padded to whole blocks (padding rows feed only outputs that are dropped).
size_t bf16_input_bytes(const ggml_tensor * dst) {
    const size_t rows = (size_t) div_up((int) dst->ne[1], bf16_block) * bf16_block;
    return rows * dst->src[0]->ne[0] * sizeof(uint16_t);
}

struct alignas(64) tile_cfg {
    uint8_t palette_id, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
};

// Every tile 16 rows of 64 bytes: A halves (16 rows x 32 BF16) in TMM0-1,
// B halves (16 pairs of K x 16 columns) in TMM2-3, FP32 sums in TMM4-7.
// (The configurations live in thread-local memory, not on the stack: GCC's
// _tile_loadconfig and _tile_storeconfig tell the compiler they touch only
// 8 of the 64 bytes, so it dropped the stores to a local one.)
void load_bf16_tiles() {
    static thread_local tile_cfg c = [] {
        tile_cfg t = {};
        t.palette_id = 1;
        for (int i = 0; i < 8; ++i) {
            t.rows[i] = 16;
            t.colsb[i] = 64;
        }
        return t;
    }();
    _tile_loadconfig(&c);
}

// to_bf16_rows rounds rows [r0, r1) of x (K floats each) to BF16 in a.
void to_bf16_rows(const float * x, uint16_t * a, int K, int r0, int r1) {
    for (int m = r0; m < r1; ++m) {
        const float * src = x + (size_t) m * K;
        uint16_t * out = a + (size_t) m * K;
        for (int k = 0; k < K; k += 32) {  // K is whole 32-value blocks
            __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + k + 16), _mm512_loadu_ps(src + k));
            _mm512_storeu_si512(out + k, (__m512i) v);
        }
    }
}

// pair_rows turns one int8 tile row (16 columns x 4 K values, as AMX's int8
// layout holds them) times the columns' scales into two BF16 tile rows
// (16 columns x 2 K values each).
inline void pair_rows(__m512i q, __m512 scale, uint16_t * row0, uint16_t * row1) {
    __m512 f[4];
    for (int j = 0; j < 4; ++j) {
        const __m512i v = _mm512_srai_epi32(_mm512_slli_epi32(q, 24 - 8 * j), 24);
        f[j] = _mm512_mul_ps(_mm512_cvtepi32_ps(v), scale);
    }
    auto pair = [](__m512 lo, __m512 hi) {
        const __m512i l = _mm512_cvtepu16_epi32((__m256i) _mm512_cvtneps_pbh(lo));
        const __m512i h = _mm512_cvtepu16_epi32((__m256i) _mm512_cvtneps_pbh(hi));
        return _mm512_or_si512(l, _mm512_slli_epi32(h, 16));
    };
    _mm512_storeu_si512(row0, pair(f[0], f[1]));
    _mm512_storeu_si512(row1, pair(f[2], f[3]));
}

// expand_block writes weight columns [32 nb, 32 nb + 32) as BF16 tiles:
// out[(half * KB + kb) * 512 ...] is the 16 x 32 tile of 16-column half
// `half` and K block kb, in AMX's BF16 pair layout.
void expand_block(ggml_type type, const char * packed, int nb, int KB, uint16_t * out) {
    alignas(64) int8_t q[TILE_K * TILE_N];
    for (int half = 0; half < 2; ++half) {
        for (int kb = 0; kb < KB; ++kb) {
            const char * t;
            const ggml_half * d;
            if (type == GGML_TYPE_Q4_0) {
                t = packed + PACKED_INDEX((nb * 2 + half), kb, KB, get_tile_size<block_q4_0>());
                unpack_B<block_q4_0>(q, t);
                d = reinterpret_cast<const ggml_half *>(t + TILE_N * TILE_K / 2);
                t = reinterpret_cast<const char *>(q);
            } else {
                t = packed + PACKED_INDEX((nb * 2 + half), kb, KB, get_tile_size<block_q8_0>());
                d = reinterpret_cast<const ggml_half *>(t + TILE_N * TILE_K);
            }
            const __m512 scale = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(d)));
            uint16_t * tile = out + (size_t) (half * KB + kb) * (TILE_K * TILE_N);
            for (int r = 0; r < TILE_K / 4; ++r) {
                pair_rows(_mm512_loadu_si512(t + r * 64), scale, tile + (2 * r) * 32, tile + (2 * r + 1) * 32);
            }
        }
    }
}

// bf16_block_product computes the 32 x 32 outputs of input rows [m, m + 32)
// and the expanded weight block b, over all of K, into c (row stride ldc),
// keeping only the first `rows` rows.
void bf16_block_product(const uint16_t * a, int K, const uint16_t * b, int KB, float * c, int ldc, int rows) {
    const size_t lda = (size_t) K * sizeof(uint16_t);
    const uint16_t * b1 = b + (size_t) KB * (TILE_K * TILE_N);
    _tile_zero(4);
    _tile_zero(5);
    _tile_zero(6);
    _tile_zero(7);
    for (int kb = 0; kb < KB; ++kb) {
        _tile_loadd(0, a + kb * TILE_K, lda);
        _tile_loadd(1, a + 16 * (size_t) K + kb * TILE_K, lda);
        _tile_loadd(2, b + (size_t) kb * (TILE_K * TILE_N), 64);
        _tile_loadd(3, b1 + (size_t) kb * (TILE_K * TILE_N), 64);
        _tile_dpbf16ps(4, 0, 2);
        _tile_dpbf16ps(5, 0, 3);
        _tile_dpbf16ps(6, 1, 2);
        _tile_dpbf16ps(7, 1, 3);
    }
    if (rows == bf16_block) {
        const size_t ldb = (size_t) ldc * sizeof(float);
        _tile_stored(4, c, ldb);
        _tile_stored(5, c + 16, ldb);
        _tile_stored(6, c + 16 * (size_t) ldc, ldb);
        _tile_stored(7, c + 16 * (size_t) ldc + 16, ldb);
        return;
    }
    alignas(64) float tmp[bf16_block * bf16_block];
    _tile_stored(4, tmp, bf16_block * sizeof(float));
    _tile_stored(5, tmp + 16, bf16_block * sizeof(float));
    _tile_stored(6, tmp + 16 * bf16_block, bf16_block * sizeof(float));
    _tile_stored(7, tmp + 16 * bf16_block + 16, bf16_block * sizeof(float));
    for (int r = 0; r < rows; ++r) {
        memcpy(c + (size_t) r * ldc, tmp + r * bf16_block, bf16_block * sizeof(float));
    }
}

void bf16_mul_mat(const ggml_compute_params * params, ggml_tensor * dst) {
    const ggml_tensor * w = dst->src[0];
    const ggml_tensor * x = dst->src[1];
    const int M = dst->ne[1], N = dst->ne[0], K = w->ne[0];
    const int KB = K / TILE_K, ldc = dst->nb[1] / dst->nb[0];
    if (params->wsize < bf16_input_bytes(dst)) {
        GGML_ABORT("insufficient work space size");
    }
    uint16_t * a = static_cast<uint16_t *>(params->wdata);
    int r0, r1;
    share(M, params, r0, r1);
    to_bf16_rows(static_cast<const float *>(x->data), a, K, r0, r1);
    if (params->ith == 0) {
        chapel_amx_bf16_taken = 1;
    }
    ggml_barrier(params->threadpool);

    int n0, n1;
    share(N / bf16_block, params, n0, n1);
    if (n0 >= n1) {
        return;
    }
    static thread_local std::vector<uint16_t> b;
    b.resize((size_t) K * bf16_block);
    // ggml's int8 kernels expect the tile configuration they loaded once
    // per thread: it is put back afterwards.
    static thread_local tile_cfg saved;
    _tile_storeconfig(&saved);
    load_bf16_tiles();
    float * c = static_cast<float *>(dst->data);
    for (int nb = n0; nb < n1; ++nb) {
        expand_block(w->type, static_cast<const char *>(w->data), nb, KB, b.data());
        for (int m = 0; m < M; m += bf16_block) {
            bf16_block_product(a + (size_t) m * K, K, b.data(), KB, c + (size_t) m * ldc + nb * bf16_block, ldc,
                               std::min(bf16_block, M - m));
        }
    }
    if (saved.palette_id != 0) {
        _tile_loadconfig(&saved);
    } else {
        _tile_release();
    }
}
#else
bool bf16_path(const ggml_tensor *) { return false; }
size_t bf16_input_bytes(const ggml_tensor *) { return 0; }
void bf16_mul_mat(const ggml_compute_params *, ggml_tensor *) {}
#endif  // AMX-BF16

}  // namespace chapel_amx

size_t ggml_backend_amx_desired_wsize(const struct ggml_tensor * dst) {
    const size_t ggml = chapel_vendored_amx_desired_wsize(dst);
    return chapel_amx::bf16_path(dst) ? std::max(ggml, chapel_amx::bf16_input_bytes(dst)) : ggml;
}

// With chapel_amx_no_tiles (CHAPEL_AMX=rows: the AMX engine on a CPU
// without AMX, for tests and measurements) every row takes the one-row
// kernels, which are AVX512-VNNI, and a batch is taken row by row; ggml's
// driver (chapel_amx_driver = 0) still gets single rows, which it hands to
// the same one-row kernels.
void ggml_backend_amx_mul_mat(const struct ggml_compute_params * params, struct ggml_tensor * dst) {
    const bool quantised = dst->src[0]->type != GGML_TYPE_F16;
    if (quantised && chapel_amx_no_tiles && (chapel_amx_driver || dst->ne[1] > 1)) {
        for (int m = 0; m < dst->ne[1]; ++m) {
            chapel_amx::one_row(params, dst, m, chapel_amx_driver);
        }
    } else if (quantised && chapel_amx_driver && dst->ne[1] == 1) {
        chapel_amx::one_row(params, dst, 0, true);
    } else if (chapel_amx::bf16_path(dst)) {
        chapel_amx::bf16_mul_mat(params, dst);
    } else {
        chapel_vendored_amx_mul_mat(params, dst);
    }
}

#endif  // defined(__AMX_INT8__) && defined(__AVX512VNNI__)
