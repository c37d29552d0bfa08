// What Chapel's kernels (repack_q4.cpp, repack_q4k.cpp, q6k_gemm.cpp,
// attn_rows.cpp, softmax.cpp) share for the comparison with ggml's kernels
// that the tests call and the timing that picks a kernel at start: both
// run on the same made-up matrices.
#pragma once

#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace chapel {

// The made-up matrices' numbers: xorshift32 from a nonzero seed.
struct xorshift {
    uint32_t s;
    uint32_t next() {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        return s;
    }
    uint8_t byte() { return (uint8_t)next(); }
    // An activation as quantising makes one, -127..127: never -128, whose
    // sign ggml's one-row Q4_0 kernel takes wrongly.
    int8_t activation() { return (int8_t)((int)(next() % 255) - 127); }
    // A Q8_K row's scale, 0.01 to 0.16.
    float scale() { return 0.01f * (float)(1 + next() % 16); }
};

// Runs multiply(true, s) (Chapel's kernel) and multiply(false, s) (ggml's)
// into two buffers of n floats and returns how many results differ in any
// bit. The buffers start different, so a result left unwritten differs.
template <class Multiply>
int compare(size_t n, Multiply multiply) {
    std::vector<float> ours(n, -1.0f), theirs(n, -2.0f);
    multiply(true, ours.data());
    multiply(false, theirs.data());
    int differ = 0;
    for (size_t i = 0; i < n; i++) differ += memcmp(&ours[i], &theirs[i], sizeof(float)) != 0;
    return differ;
}

// Times run(true) (Chapel's kernel) and run(false) (ggml's) in `rounds`
// rounds after one that warms the caches, the two taking turns to go
// first. out[0], out[1]: the median times in nanoseconds, Chapel's then
// ggml's.
template <class Run>
void alternate(int rounds, Run run, double *out) {
    using clock = std::chrono::steady_clock;
    auto time = [&](bool ours) {
        auto start = clock::now();
        run(ours);
        return (double)std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - start).count();
    };
    std::vector<double> t[2];
    for (int r = -1; r < rounds; r++) {
        bool oursFirst = (r & 1) == 0;
        double first = time(oursFirst), second = time(!oursFirst);
        if (r < 0) continue;
        t[oursFirst ? 0 : 1].push_back(first);
        t[oursFirst ? 1 : 0].push_back(second);
    }
    for (int i = 0; i < 2; i++) {
        std::sort(t[i].begin(), t[i].end());
        out[i] = t[i][t[i].size() / 2];
    }
}

}  // namespace chapel
