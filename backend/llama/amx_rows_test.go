package llama_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/chapelapp/chapel/backend/llama"
)

// needAMXRows skips t unless this build carries the AMX kernels and can run
// their one-row path: on a CPU with AMX, or anywhere under CHAPEL_AMX=rows
// (make test-amx runs it so on AVX-512 CPUs with VNNI and BF16).
func needAMXRows(t *testing.T) {
	t.Helper()
	rows := os.Getenv("CHAPEL_AMX") == "rows"
	if !llama.AMXCompiled() {
		if rows {
			t.Fatal("CHAPEL_AMX=rows, but this build has no AMX kernels")
		}
		t.Skip("this build has no AMX kernels (make test-amx builds one)")
	}
	if !cpuHasAMX() && !llama.AMXNoTiles() {
		t.Skip("this CPU has no AMX and CHAPEL_AMX=rows is not set")
	}
}

// TestAMXRows checks the AMX engine's path for a reply's steps
// (amx_mmq.cpp): Chapel's one-row kernels must give bit for bit what ggml's
// driver and kernels give, token by token, and be as close to the
// unquantised model as the AVX-512 kernels (AMX off) are. Q4_K_M, whose Q4_K weights
// take Chapel's own one-row kernel, with feed-forward lengths that leave
// every width of the last column block (32, 64, 96 columns and none);
// Q4_0, whose weights take ggml's. Two threads, so the columns are shared.
func TestAMXRows(t *testing.T) {
	needAMXRows(t)
	defer llama.SetAMXDriver(true)
	defer llama.SetAMX(true)
	for _, tc := range []struct {
		ff   int
		ft   llama.FileType
		q4k  bool
		name string
	}{
		{5632, llama.FileTypeQ4_K_M, true, "q4_k_m-ff5632"},
		{1312, llama.FileTypeQ4_K_M, true, "q4_k_m-ff1312"}, // last block 32 columns
		{1344, llama.FileTypeQ4_K_M, true, "q4_k_m-ff1344"}, // 64
		{1376, llama.FileTypeQ4_K_M, true, "q4_k_m-ff1376"}, // 96
		{5632, llama.FileTypeQ4_0, false, "q4_0-ff5632"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref, model := synthPair(t, scratchDir(t), 2, tc.ff, 31, tc.ft)
			llama.SetAMX(true)
			llama.SetAMXDriver(false)
			ggml := stepLogits(t, model, 6, 2)
			llama.SetAMXDriver(true)
			llama.ClearAMXQ4KTaken()
			ours := stepLogits(t, model, 6, 2)
			if tc.q4k && !llama.AMXQ4KTaken() {
				t.Fatal("Chapel's one-row Q4_K kernel did not run: AMX took no Q4_K weight")
			}
			llama.SetAMX(false)
			avx512 := stepLogits(t, model, 6, 2)
			truth := stepLogits(t, ref, 6, 2)
			for i := range ggml {
				cos, maxDiff, spread, same := compareLogits(ggml[i], ours[i])
				if !same {
					t.Errorf("step %d: Chapel's one-row path vs ggml's: cosine %.7f, largest difference %.6f of a spread of %.3f, not bit for bit", i, cos, maxDiff, spread)
				}
				cosOurs, _, _, _ := compareLogits(truth[i], ours[i])
				cosAVX, _, _, _ := compareLogits(truth[i], avx512[i])
				if i == len(ggml)-1 {
					t.Logf("last step: bit for bit ggml's %v; against the unquantised model cosine %.5f (the AVX-512 kernels: %.5f)", same, cosOurs, cosAVX)
				}
				if cosOurs < cosAVX-1e-3 {
					t.Errorf("step %d: further from the unquantised model than the AVX-512 kernels: cosine %.5f < %.5f", i, cosOurs, cosAVX)
				}
			}
		})
	}
}

// stepLogits loads model with the given threads and decodes n tokens one
// at a time (each step one row, as a reply's), returning every step's logits.
func stepLogits(t *testing.T, model string, n, threads int) [][]float32 {
	t.Helper()
	c, b, done := openContext(t, model, llama.ContextParams{NCtx: 256, NBatch: 8, Threads: threads}, 1)
	defer done()
	return decodeSteps(t, c, b, 0, n)
}

// decodeSteps decodes n tokens one at a time at positions from, from+1, …
// (each step one row, as a reply's) and returns every step's logits.
func decodeSteps(t *testing.T, c *llama.Context, b *llama.Batch, from, n int) [][]float32 {
	t.Helper()
	var out [][]float32
	for i := from; i < from+n; i++ {
		b.Clear()
		if err := b.Add(llama.Token(3+(i*41)%500), i, 0, true); err != nil {
			t.Fatal(err)
		}
		if err := c.Decode(b); err != nil {
			t.Fatal(fmt.Errorf("step at position %d: %w", i, err))
		}
		logits, err := c.Logits(-1)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]float32(nil), logits...))
	}
	return out
}
