package llama_test

import (
	"fmt"
	"testing"

	"github.com/chapelapp/chapel/backend/llama"
)

// TestRepackKernels checks Chapel's kernels for ggml's repacked Q4_0
// weights (repack_q4.cpp) against ggml's own: the same logits bit for bit,
// for prompts whose rows are whole groups of four (the four-row kernel),
// ones that leave one to three rows over (those go one row at a time), and
// single tokens (the last layer computes only the last token, so every
// prompt also takes the one-row kernel). The feed-forward width, 5,632
// values, makes 176 blocks per row on the way down.
func TestRepackKernels(t *testing.T) {
	if !llama.RepackCompiled() {
		t.Skip("this build has no Chapel repack kernels (x86-64 with AVX2 on Linux or Windows only)")
	}
	defer llama.SetRepackDriver(llama.RepackDriver())
	if llama.AMXCompiled() {
		// AMX takes Q4_0 weights before the repack buffer does.
		defer llama.SetAMX(true)
		llama.SetAMX(false)
	}
	_, model := synthPair(t, scratchDir(t), 2, 5632, 17, llama.FileTypeQ4_0)
	for _, tc := range []struct{ rows, threads int }{
		{1, 1},
		{3, 1},
		{64, 1},
		{77, 1},
		{77, 2},
	} {
		t.Run(fmt.Sprintf("rows%d-threads%d", tc.rows, tc.threads), func(t *testing.T) {
			llama.SetRepackDriver(false)
			ggml := promptLogits(t, model, tc.rows, tc.threads)
			if one, four := llama.RepackTaken(); one || four {
				t.Fatal("Chapel's kernels ran with ggml's chosen")
			}
			llama.SetRepackDriver(true)
			ours := promptLogits(t, model, tc.rows, tc.threads)
			one, four := llama.RepackTaken()
			if !one || four != (tc.rows >= 4) {
				t.Fatalf("kernels taken: one row %v, four rows %v (prompt of %d)", one, four, tc.rows)
			}
			cos, maxDiff, spread, same := compareLogits(ggml, ours)
			t.Logf("Chapel's kernels vs ggml's: cosine %.7f, largest difference %.6f of a spread of %.3f, bit for bit %v", cos, maxDiff, spread, same)
			if !same {
				t.Errorf("Chapel's repack kernels changed the result")
			}
		})
	}
}
