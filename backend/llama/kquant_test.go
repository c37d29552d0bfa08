package llama_test

import (
	"fmt"
	"testing"

	"github.com/chapelapp/chapel/backend/llama"
)

// kquantBuilds says which builds carry the K-quant kernels, for skips.
const kquantBuilds = "(x86-64 with AVX2 on Linux or Windows only)"

// TestCompareKQuants multiplies made-up weights with Chapel's K-quant
// kernels and ggml's directly, in shapes a model may not have. Q4_K: an
// odd number of eight-column groups (Chapel's AVX-512 kernel takes them two at a
// time and the last alone; ggml's takes sixteen columns in 512-bit vectors
// and the rest in 256-bit ones), one group, one super-block per row, row
// counts around ggml's sixteen at a time. Q6_K: tiles of four weight rows
// by four activation rows with every remainder, one weight row, one
// super-block, more activation rows than one cache block of 64.
func TestCompareKQuants(t *testing.T) {
	for _, tc := range []struct {
		k       *llama.KQuantKernel
		a, b, c int
	}{
		{llama.Q4K, 256, 8, 4},
		{llama.Q4K, 256, 24, 4},
		{llama.Q4K, 512, 16, 8},
		{llama.Q4K, 256, 40, 16},
		{llama.Q4K, 2048, 264, 20},
		{llama.Q4K, 2048, 2048, 16},
		{llama.Q4K, 5632, 72, 36},
		{llama.Q6K, 1, 4, 1},
		{llama.Q6K, 4, 4, 1},
		{llama.Q6K, 7, 5, 2},
		{llama.Q6K, 9, 6, 3},
		{llama.Q6K, 64, 7, 8},
		{llama.Q6K, 130, 70, 22},
		{llama.Q6K, 512, 16, 8},
	} {
		t.Run(fmt.Sprintf("%s-%dx%dx%d", tc.k.Name, tc.a, tc.b, tc.c), func(t *testing.T) {
			if !tc.k.Compiled() {
				t.Skipf("this build has no Chapel %s kernel %s", tc.k.Name, kquantBuilds)
			}
			differ, err := tc.k.Compare(tc.a, tc.b, tc.c, uint32(tc.a*tc.b+tc.c))
			if err != nil {
				t.Fatal(err)
			}
			if differ != 0 {
				t.Errorf("%d results differ from ggml's", differ)
			}
		})
	}
	for _, bad := range []struct {
		k       *llama.KQuantKernel
		a, b, c int
	}{
		{llama.Q4K, 255, 8, 4}, {llama.Q4K, 128, 8, 4}, {llama.Q4K, 256, 12, 4}, {llama.Q4K, 256, 8, 1}, {llama.Q4K, 256, 8, 6}, {llama.Q4K, 0, 8, 4},
		{llama.Q6K, 0, 4, 1}, {llama.Q6K, 1, 3, 1}, {llama.Q6K, 1, 4, 0},
	} {
		if !bad.k.Compiled() {
			continue
		}
		if _, err := bad.k.Compare(bad.a, bad.b, bad.c, 1); err == nil {
			t.Errorf("%s: Compare(%d, %d, %d) took a shape the kernels do not", bad.k.Name, bad.a, bad.b, bad.c)
		}
	}
}

// TestKQuantKernels checks Chapel's K-quant kernels against ggml's on a
// real Q4_K_M model (Q4_K for most weights, Q6_K for the output layer and
// half the layers' value and down projections): the same logits bit for
// bit with each kernel alone and with both, for a single token (a reply's
// step, which both leave to ggml), prompts of whole groups of four rows,
// ones with rows over (Q4_K's go one row at a time), and two threads,
// which split the work.
func TestKQuantKernels(t *testing.T) {
	kernels := llama.KQuantKernels()
	if len(kernels) == 0 {
		t.Skip("this build has no Chapel K-quant kernels " + kquantBuilds)
	}
	for _, k := range kernels {
		defer k.Set(k.On())
	}
	if llama.AMXCompiled() {
		// AMX takes Q4_K and Q6_K weights before these kernels see them.
		defer llama.SetAMX(true)
		llama.SetAMX(false)
	}
	set := func(on ...*llama.KQuantKernel) {
		for _, k := range kernels {
			k.Set(false)
		}
		for _, k := range on {
			k.Set(true)
		}
	}
	_, model := synthPair(t, scratchDir(t), 2, 5632, 23, llama.FileTypeQ4_K_M)
	for _, tc := range []struct{ rows, threads int }{
		{1, 1},
		{4, 1},
		{64, 1},
		{77, 2},
	} {
		t.Run(fmt.Sprintf("rows%d-threads%d", tc.rows, tc.threads), func(t *testing.T) {
			set()
			ggml := promptLogits(t, model, tc.rows, tc.threads)
			for _, k := range kernels {
				if k.Taken() {
					t.Fatalf("Chapel's %s kernel ran with ggml's chosen", k.Name)
				}
			}
			check := func(what string, on ...*llama.KQuantKernel) {
				set(on...)
				ours := promptLogits(t, model, tc.rows, tc.threads)
				for _, k := range on {
					if want := tc.rows >= 4; k.Taken() != want {
						t.Errorf("%s: Chapel's %s kernel ran %v, want %v", what, k.Name, k.Taken(), want)
					}
				}
				cos, maxDiff, spread, same := compareLogits(ggml, ours)
				t.Logf("%s vs ggml's: cosine %.7f, largest difference %.6f of a spread of %.3f, bit for bit %v", what, cos, maxDiff, spread, same)
				if !same {
					t.Errorf("%s changed the result", what)
				}
			}
			for _, k := range kernels {
				check("Chapel's "+k.Name, k)
			}
			if len(kernels) > 1 {
				check("all of Chapel's K-quant kernels", kernels...)
			}
		})
	}
}

// TestMeasureKQuants times each K-quant kernel and ggml's for real and
// checks that the kernel in use is the one the times at start choose.
func TestMeasureKQuants(t *testing.T) {
	c := llama.Repack()
	for _, k := range []*llama.KQuantKernel{llama.Q4K, llama.Q6K} {
		t.Run(k.Name, func(t *testing.T) {
			if !k.Compiled() {
				if _, err := k.Measure(3); err == nil {
					t.Error("Measure without Chapel's kernel gave no error")
				}
				t.Skipf("this build has no Chapel %s kernel %s", k.Name, kquantBuilds)
			}
			if _, err := k.Measure(0); err == nil {
				t.Error("Measure(0) gave no error")
			}
			times, err := k.Measure(3)
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
			var got *llama.KQuantChoice
			for i := range c.KQuants {
				if c.KQuants[i].Name == k.Name {
					got = &c.KQuants[i]
				}
			}
			if !c.Measured || got == nil || got.Times[0] <= 0 {
				t.Fatalf("the kernel was not measured at start: %s", c)
			}
			want := float64(got.Times[1]) > 0.9*float64(got.Times[0])
			if !got.Default {
				want = float64(got.Times[0]) <= 0.9*float64(got.Times[1])
			}
			if got.Chapel != want || k.On() != want {
				t.Errorf("Chapel's kernel in use %v (now %v), its times choose %v (%s)", got.Chapel, k.On(), want, c)
			}
		})
	}
}
