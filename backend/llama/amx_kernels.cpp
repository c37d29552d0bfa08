// ggml's AMX kernels (Intel Xeon 4th generation and later). When the engine
// is compiled for a CPU with AMX-INT8 and AVX512-VNNI (-march=native on such
// a CPU, or the release's AMX variant), ggml-cpu registers the AMX buffer
// type and calls into these sources, which no Go package of the ollama module
// compiles; without this file the link fails. On every other target the
// included sources are guarded by the same macros and compile to nothing.
// Include paths: CGO_CPPFLAGS in the Makefile (-iquote ggml/src, ggml-cpu).
//
// Which matrices AMX multiplies. The pinned ggml gives a weight to AMX only
// when its rows are a multiple of 2,048 values long. A Llama-shaped model's
// feed-forward down projection (rows of 5,632 in a 1B model, 8,960 in
// Qwen2.5-1.5B, 14,336 in Llama 3 8B) then falls back to the AVX-512
// kernels: profiled on a Xeon with AMX (perf, 512-token prompt, synthetic
// 1B Q4_0), that one matrix took 29 % of the prompt time, while AMX did the
// other six of each layer in 38 %. So Chapel also gives AMX the
// feed-forward weights in Q4_0, Q4_1 and Q8_0 whose rows are whole 32-value
// blocks. Measured before choosing (backend/llama/amx_test.go): for those
// the logits are bit for bit those of the AVX-512 kernels, for every row
// length tried; attention weights with shorter rows did not match, so they
// keep ggml's rule, as do the K-quants. The ggml definition of the buffer
// type is renamed on the way in and the one ggml-cpu calls is defined below:
// the same buffer and kernels (weights converted to AMX's layout at load),
// with this rule for which multiplications it takes.
// chapel_amx_wide_rows = 0 restores ggml's rule (the test compares both).
//
// The output matrix (the logits) stays off AMX whatever its shape: llama.cpp
// computes logits for the last position only, so it multiplies one row per
// step, in a prompt as in a reply, where AMX's tiles never run and ggml's
// one-row VNNI kernel for its Q6_K is slower than ggml's Q6_K dot product.
// Measured with CHAPEL_AMX=rows on an AMD EPYC (the AMX engine's one-row
// path without AMX, synthetic 1B Q4_0, 2 threads, four alternating runs):
// generation 1.05-1.23x (median 1.10x) with it off AMX.
#define ggml_backend_amx_buffer_type chapel_vendored_amx_buffer_type
#include "amx/amx.cpp"
#undef ggml_backend_amx_buffer_type

extern "C" {
int chapel_amx_on = 1;  // 0: AMX takes no weight (the tests' AVX-512 reference)
int chapel_amx_wide_rows = 1;
int chapel_amx_wide_taken = 0;  // weights taken by the wider rule (for tests)
extern int chapel_amx_no_tiles;  // amx_mmq.cpp

// chapel_amx_compiled says whether this build carries the AMX kernels.
int chapel_amx_compiled(void) {
#if defined(__AMX_INT8__) && defined(__AVX512VNNI__)
    return 1;
#else
    return 0;
#endif
}
}

#if defined(__AMX_INT8__) && defined(__AVX512VNNI__)

ggml_backend_buffer_type_t ggml_backend_amx_buffer_type();

namespace chapel_amx {

// amx_row_ok: whether AMX's kernels take weight w (rows of w->ne[0] values).
static bool amx_row_ok(const ggml_tensor * w) {
    if (!chapel_amx_on) {
        return false;
    }
    if (strcmp(w->name, "output.weight") == 0) {
        return false;  // one row per step, prompt or reply: see the note above
    }
    const int64_t k = w->ne[0];
    if (k % (TILE_K * 2 * 32) == 0) {
        return true;  // ggml's own rule
    }
    if (!chapel_amx_wide_rows || k % TILE_K != 0 || strstr(w->name, "ffn_") == nullptr) {
        return false;
    }
    switch (w->type) {
    case GGML_TYPE_Q4_0:
    case GGML_TYPE_Q4_1:
    case GGML_TYPE_Q8_0:
        chapel_amx_wide_taken = 1;
        return true;
    default:
        return false;
    }
}

class extra_buffer_type : public ggml::cpu::extra_buffer_type {
    bool supports_op(ggml_backend_dev_t, const struct ggml_tensor * op) override {
        if (op->op != GGML_OP_MUL_MAT) {
            return false;
        }
        const ggml_tensor * w = op->src[0];
        const ggml_tensor * x = op->src[1];
        auto flat = [](const ggml_tensor * t) { return ggml_is_contiguous(t) && t->ne[2] == 1 && t->ne[3] == 1; };
        if (!flat(w) || !flat(x) || !w->buffer || w->buffer->buft != ggml_backend_amx_buffer_type()) {
            return false;
        }
        if (!amx_row_ok(w) || op->ne[0] % (TILE_N * 2) != 0) {
            return false;
        }
        if (!qtype_has_amx_kernels(w->type) && w->type != GGML_TYPE_F16) {
            return false;
        }
        if (x->buffer && !ggml_backend_buft_is_host(x->buffer->buft)) {
            return false;
        }
        return x->type == GGML_TYPE_F32;
    }

    ggml::cpu::tensor_traits * get_tensor_traits(const struct ggml_tensor * op) override {
        if (op->op == GGML_OP_MUL_MAT && op->src[0]->buffer &&
            op->src[0]->buffer->buft == ggml_backend_amx_buffer_type()) {
            return (ggml::cpu::tensor_traits *) op->src[0]->extra;
        }
        return nullptr;
    }
};

}  // namespace chapel_amx

#if defined(_WIN32)
// amx_wine_windows.c: yes on Windows; under Wine on Linux, asks the kernel
// for the tile data that ggml_amx_init asks for only in a Linux build.
extern "C" int chapel_amx_os_ready(void);
#else
static int chapel_amx_os_ready(void) { return 1; }
#endif

// The AMX buffer type ggml-cpu registers: ggml's buffer functions, Chapel's
// rule for the multiplications it takes. Null where the OS does not let
// this process use AMX.
ggml_backend_buffer_type_t ggml_backend_amx_buffer_type() {
    static struct ggml_backend_buffer_type buft = {
        /* .iface = */ {
            /* .get_name         = */ ggml_backend_amx_buffer_type_get_name,
            /* .alloc_buffer     = */ ggml_backend_amx_buffer_type_alloc_buffer,
            /* .get_alignment    = */ ggml_backend_amx_buffer_type_get_alignment,
            /* .get_max_size     = */ nullptr,
            /* .get_alloc_size   = */ ggml_backend_amx_buffer_type_get_alloc_size,
            /* .is_host          = */ nullptr,
        },
        /* .device  = */ ggml_backend_reg_dev_get(ggml_backend_cpu_reg(), 0),
        /* .context = */ new chapel_amx::extra_buffer_type(),
    };
    // chapel_amx_no_tiles (CHAPEL_AMX=rows) needs no tile state: its
    // kernels are AVX512-VNNI (amx_mmq.cpp).
    static const bool ready = chapel_amx_no_tiles || (ggml_amx_init() && chapel_amx_os_ready());
    return ready ? &buft : nullptr;
}

#endif  // defined(__AMX_INT8__) && defined(__AVX512VNNI__)
