package llama_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/llama"
)

// TestCompareQ4K multiplies made-up Q4_K weights with Chapel's and ggml's
// four-row kernels directly: an odd number of eight-column groups (Chapel's
// kernel takes them two at a time and the last alone, ggml's takes sixteen
// columns in 512-bit vectors and the rest in 256-bit ones), one group, one
// super-block per row, and row counts around ggml's sixteen at a time.
func TestCompareQ4K(t *testing.T) {
	if !llama.Q4KCompiled() {
		t.Skip("this build has no Chapel Q4_K kernel (x86-64 with AVX512-VNNI on Linux or Windows only)")
	}
	for _, tc := range []struct{ n, nc, rows int }{
		{256, 8, 4},
		{256, 24, 4},
		{512, 16, 8},
		{256, 40, 16},
		{2048, 264, 20},
		{2048, 2048, 16},
		{5632, 72, 36},
	} {
		t.Run(fmt.Sprintf("%dx%d-rows%d", tc.n, tc.nc, tc.rows), func(t *testing.T) {
			differ, err := llama.CompareQ4K(tc.n, tc.nc, tc.rows, uint32(tc.n*tc.nc+tc.rows))
			if err != nil {
				t.Fatal(err)
			}
			if differ != 0 {
				t.Errorf("%d of %d results differ from ggml's", differ, tc.rows*tc.nc)
			}
		})
	}
	for _, bad := range []struct{ n, nc, rows int }{{255, 8, 4}, {128, 8, 4}, {256, 12, 4}, {256, 8, 1}, {256, 8, 6}, {0, 8, 4}} {
		if _, err := llama.CompareQ4K(bad.n, bad.nc, bad.rows, 1); err == nil {
			t.Errorf("CompareQ4K(%d, %d, %d) took a shape the kernels do not", bad.n, bad.nc, bad.rows)
		}
	}
}

// TestQ4KKernel checks Chapel's Q4_K kernel against ggml's on a real
// Q4_K_M model: the same logits bit for bit, for prompts of whole groups
// of four rows, ones with rows over (those go one row at a time, to ggml's
// one-row kernel), and on two threads, which split the columns into chunks.
func TestQ4KKernel(t *testing.T) {
	if !llama.Q4KCompiled() {
		t.Skip("this build has no Chapel Q4_K kernel (x86-64 with AVX512-VNNI on Linux or Windows only)")
	}
	defer llama.SetQ4KKernel(llama.Q4KKernel())
	if llama.AMXCompiled() {
		// AMX takes Q4_K weights before the repack buffer does.
		defer llama.SetAMX(true)
		llama.SetAMX(false)
	}
	_, model := synthPair(t, scratchDir(t), 2, 5632, 23, llama.FileTypeQ4_K_M)
	for _, tc := range []struct{ rows, threads int }{
		{4, 1},
		{64, 1},
		{77, 2},
	} {
		t.Run(fmt.Sprintf("rows%d-threads%d", tc.rows, tc.threads), func(t *testing.T) {
			llama.SetQ4KKernel(false)
			ggml := promptLogits(t, model, tc.rows, tc.threads)
			if llama.Q4KTaken() {
				t.Fatal("Chapel's Q4_K kernel ran with ggml's chosen")
			}
			llama.SetQ4KKernel(true)
			ours := promptLogits(t, model, tc.rows, tc.threads)
			if !llama.Q4KTaken() {
				t.Fatal("Chapel's Q4_K kernel did not run")
			}
			cos, maxDiff, spread, same := compareLogits(ggml, ours)
			t.Logf("Chapel's Q4_K kernel vs ggml's: cosine %.7f, largest difference %.6f of a spread of %.3f, bit for bit %v", cos, maxDiff, spread, same)
			if !same {
				t.Errorf("Chapel's Q4_K kernel changed the result")
			}
		})
	}
}

// TestMeasureQ4K times both Q4_K kernels for real and checks that the
// kernel in use is the one the times at start choose.
func TestMeasureQ4K(t *testing.T) {
	c := llama.Repack()
	if !c.Q4KCompiled {
		if _, err := llama.MeasureQ4K(3); err == nil {
			t.Error("MeasureQ4K without Chapel's Q4_K kernel gave no error")
		}
		t.Skip("this build has no Chapel Q4_K kernel (x86-64 with AVX512-VNNI on Linux or Windows only)")
	}
	if _, err := llama.MeasureQ4K(0); err == nil {
		t.Error("MeasureQ4K(0) gave no error")
	}
	times, err := llama.MeasureQ4K(3)
	if err != nil {
		t.Fatal(err)
	}
	if times[0] <= 0 || times[1] <= 0 {
		t.Fatalf("a kernel's time is not positive: %v", times)
	}
	t.Logf("this run: Chapel's %v, ggml's %v (%.2f×)", times[0], times[1], float64(times[1])/float64(times[0]))
	t.Logf("at start: %s", c)
	if c.Forced != "" {
		t.Skipf("CHAPEL_REPACK_DRIVER=%s chose the kernels", c.Forced)
	}
	if !c.Measured || c.Q4KTimes[0] <= 0 {
		t.Fatalf("the Q4_K kernels were not measured at start: %s", c)
	}
	want := float64(c.Q4KTimes[1]) > 0.9*float64(c.Q4KTimes[0])
	if !c.DefaultQ4K {
		want = float64(c.Q4KTimes[0]) <= 0.9*float64(c.Q4KTimes[1])
	}
	if c.Q4K != want {
		t.Errorf("Chapel's Q4_K kernel in use %v, its times choose %v (%s)", c.Q4K, want, c)
	}
	_ = time.Second
}
