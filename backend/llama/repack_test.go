package llama_test

import (
	"fmt"
	"testing"
	"time"

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
	defer llama.SetRepackKernels(llama.RepackKernels())
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

// TestCompareRepack multiplies made-up weights with both drivers' kernels
// directly, in shapes a model may not have: an odd number of eight-column
// groups (the AVX512-VNNI four-row kernel takes them two at a time and the
// last alone), one group, and one block per row.
func TestCompareRepack(t *testing.T) {
	if !llama.RepackCompiled() {
		t.Skip("this build has no Chapel repack kernels (x86-64 with AVX2 on Linux or Windows only)")
	}
	for _, tc := range []struct{ n, nc, rows int }{
		{32, 8, 1},
		{32, 8, 4},
		{64, 24, 1},
		{64, 24, 4},
		{256, 72, 8},
		{2048, 2048, 1},
		{2048, 2048, 12},
		{5632, 264, 4},
	} {
		t.Run(fmt.Sprintf("%dx%d-rows%d", tc.n, tc.nc, tc.rows), func(t *testing.T) {
			differ, err := llama.CompareRepack(tc.n, tc.nc, tc.rows, uint32(tc.n*tc.nc+tc.rows))
			if err != nil {
				t.Fatal(err)
			}
			if differ != 0 {
				t.Errorf("%d of %d results differ from ggml's (%s kernels)", differ, tc.rows*tc.nc, llama.RepackFlavour())
			}
		})
	}
	for _, bad := range []struct{ n, nc, rows int }{{31, 8, 1}, {32, 12, 1}, {32, 8, 3}, {0, 8, 1}} {
		if _, err := llama.CompareRepack(bad.n, bad.nc, bad.rows, 1); err == nil {
			t.Errorf("CompareRepack(%d, %d, %d) took a shape the kernels do not", bad.n, bad.nc, bad.rows)
		}
	}
}

// TestMeasureRepack times both drivers' kernels for real and checks that
// the kernels in use are the ones the times choose: the build's default
// unless the other took at most 90 % of its time.
func TestMeasureRepack(t *testing.T) {
	c := llama.Repack()
	if !c.Compiled {
		if _, err := llama.MeasureRepack(3); err == nil {
			t.Error("MeasureRepack without Chapel's kernels gave no error")
		}
		t.Skip("this build has no Chapel repack kernels (x86-64 with AVX2 on Linux or Windows only)")
	}
	if _, err := llama.MeasureRepack(0); err == nil {
		t.Error("MeasureRepack(0) gave no error")
	}
	times, err := llama.MeasureRepack(3)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range [...]time.Duration{times.OneRow[0], times.OneRow[1], times.FourRows[0], times.FourRows[1]} {
		if d <= 0 {
			t.Fatalf("a kernel's time is %v: %+v", d, times)
		}
	}
	t.Logf("this run: one row Chapel's %v, ggml's %v; four rows Chapel's %v, ggml's %v", times.OneRow[0], times.OneRow[1], times.FourRows[0], times.FourRows[1])
	t.Logf("at start: %s", c)
	if c.Forced != "" {
		t.Skipf("CHAPEL_REPACK_DRIVER=%s chose the kernels", c.Forced)
	}
	if !c.Measured {
		t.Fatalf("the kernels were not measured at start: %s", c)
	}
	want := func(tm [2]time.Duration, def bool) bool {
		if def {
			return float64(tm[1]) > 0.9*float64(tm[0])
		}
		return float64(tm[0]) <= 0.9*float64(tm[1])
	}
	if one := want(c.Times.OneRow, c.DefaultOneRow); c.OneRow != one {
		t.Errorf("one row: Chapel's kernel in use %v, its times choose %v (%s)", c.OneRow, one, c)
	}
	if four := want(c.Times.FourRows, c.DefaultFourRows); c.FourRows != four {
		t.Errorf("four rows: Chapel's kernel in use %v, its times choose %v (%s)", c.FourRows, four, c)
	}
}
