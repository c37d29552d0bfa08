package llama_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/llama"
)

// cpuHasAMX reports whether the kernel lists AMX-INT8 for this CPU.
func cpuHasAMX() bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	return err == nil && strings.Contains(string(b), "amx_int8")
}

// needAMX skips t unless this build carries the AMX kernels and the CPU
// has AMX.
func needAMX(t *testing.T) {
	t.Helper()
	if !llama.AMXCompiled() {
		t.Skip("this build has no AMX kernels (make test-amx builds one)")
	}
	if !cpuHasAMX() {
		t.Skip("this CPU has no AMX")
	}
}

// TestAMXWideRows checks that giving AMX the feed-forward weights ggml's
// own rule turns away (rows that are whole Q4_0 or Q8_0 blocks but not a
// multiple of 2,048 values) changes which kernels run and not what the model
// computes. For each row length, a one-layer model with 2,048-wide attention
// (which AMX takes under either rule) is run under both rules: AMX must have
// taken the weights only under the wider rule, and the logits of a 64-token
// prompt (AMX's tile kernels) and of one more token (its single-row kernels)
// must be those of the AVX-512 kernels, and as close to the unquantised
// model's.
func TestAMXWideRows(t *testing.T) {
	needAMX(t)
	defer llama.SetAMXWideRows(true)
	for _, tc := range []struct {
		ff int // feed-forward length: the down projection's rows
		ft llama.FileType
	}{
		{5632, llama.FileTypeQ4_0}, // TinyLlama 1.1B
		{1536, llama.FileTypeQ4_0},
		{224, llama.FileTypeQ4_0}, // an odd number of blocks
		{5632, llama.FileTypeQ8_0},
	} {
		t.Run(fmt.Sprintf("ff%d-type%d", tc.ff, tc.ft), func(t *testing.T) {
			ref, model := synthPair(t, t.TempDir(), 1, tc.ff, 7, tc.ft)
			truth, _ := logitsOf(t, ref, true)
			ggmlPrompt, ggmlNext := logitsOf(t, model, false)
			if llama.AMXWideTaken() {
				t.Fatal("under ggml's rule AMX took a weight only the wider rule gives it")
			}
			widePrompt, wideNext := logitsOf(t, model, true)
			if !llama.AMXWideTaken() {
				t.Fatal("AMX did not take the feed-forward weights under the wider rule")
			}
			for _, c := range []struct {
				name       string
				ggml, wide []float32
			}{{"prompt", ggmlPrompt, widePrompt}, {"next token", ggmlNext, wideNext}} {
				cos, maxDiff, spread, same := compareLogits(c.ggml, c.wide)
				t.Logf("%s: AMX vs AVX-512 cosine %.7f, largest difference %.5f of a spread of %.3f, bit for bit %v", c.name, cos, maxDiff, spread, same)
				if cos < 0.99999 || maxDiff > 0.001*spread || argmax(c.ggml) != argmax(c.wide) {
					t.Errorf("%s: AMX's result differs from the AVX-512 kernels'", c.name)
				}
			}
			cosGGML, _, _, _ := compareLogits(truth, ggmlPrompt)
			cosWide, _, _, _ := compareLogits(truth, widePrompt)
			t.Logf("against the unquantised model: ggml's rule %.5f, wider rule %.5f", cosGGML, cosWide)
			if cosWide < cosGGML-1e-4 {
				t.Errorf("the wider rule is further from the unquantised model: %.5f < %.5f", cosWide, cosGGML)
			}
		})
	}
}

// synthPair writes into dir a random Llama-shaped model with 2,048-wide
// attention (which AMX takes under either rule), the given layers and
// feed-forward length, in F32 (ref) and quantised to ft (model).
func synthPair(t *testing.T, dir string, layers, ff int, seed uint64, ft llama.FileType) (ref, model string) {
	t.Helper()
	ref, model = filepath.Join(dir, "f32.gguf"), filepath.Join(dir, "q.gguf")
	shape := gguf.Shape{Name: "amx-test", Embd: 2048, Layers: layers, Heads: 32, HeadsKV: 4, FF: ff, Vocab: 512, ContextLen: 512}
	if err := gguf.WriteSynthetic(ref, shape, gguf.SynthOptions{Type: gguf.F32, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	if err := llama.Quantize(ref, model, ft, 1); err != nil {
		t.Fatal(err)
	}
	return ref, model
}

// logitsOf loads model under the given AMX rule and returns the logits of
// the last token of a 64-token prompt and of one token decoded after it.
func logitsOf(t *testing.T, model string, wide bool) (prompt, next []float32) {
	t.Helper()
	llama.SetAMXWideRows(wide)
	c, b, done := openContext(t, model, llama.ContextParams{NCtx: 256, NBatch: 128, Threads: 1}, 128)
	defer done()
	for i := range 64 {
		if err := b.Add(llama.Token(3+(i*37)%500), i, 0, i == 63); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Decode(b); err != nil {
		t.Fatal(err)
	}
	prompt, err := c.Logits(-1)
	if err != nil {
		t.Fatal(err)
	}
	b.Clear()
	if err := b.Add(llama.Token(11), 64, 0, true); err != nil {
		t.Fatal(err)
	}
	if err := c.Decode(b); err != nil {
		t.Fatal(err)
	}
	if next, err = c.Logits(-1); err != nil {
		t.Fatal(err)
	}
	return prompt, next
}

func compareLogits(a, b []float32) (cos, maxDiff, spread float64, same bool) {
	var dot, na, nb, mean, sq float64
	same = len(a) == len(b)
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot, na, nb = dot+x*y, na+x*x, nb+y*y
		maxDiff = max(maxDiff, math.Abs(x-y))
		mean += x
		same = same && a[i] == b[i]
	}
	mean /= float64(len(a))
	for _, x := range a {
		sq += (float64(x) - mean) * (float64(x) - mean)
	}
	return dot / math.Sqrt(na*nb), maxDiff, math.Sqrt(sq / float64(len(a))), same
}

func argmax(xs []float32) int {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return best
}

// TestAMXDriver checks that Chapel's entry point to the AMX kernels
// (amx_mmq.cpp), with the BF16 path off, computes bit for bit what ggml's
// driver does: single rows make the same kernel calls without ggml's extra
// barrier, and batches go to ggml's driver. Two threads, so the work is
// really shared; prompts of whole 32-row blocks, of a partial last block,
// and a single row.
func TestAMXDriver(t *testing.T) {
	needAMX(t)
	defer llama.SetAMXDriver(true)
	// The int8 kernels only: batches would otherwise take the BF16 path.
	defer llama.SetAMXBF16Rows(llama.AMXBF16Rows())
	llama.SetAMXBF16Rows(0)
	_, model := synthPair(t, t.TempDir(), 1, 5632, 11, llama.FileTypeQ4_0)
	for _, n := range []int{64, 77, 1} {
		t.Run(fmt.Sprintf("rows%d", n), func(t *testing.T) {
			llama.SetAMXDriver(false)
			ggml := promptLogits(t, model, n, 2)
			llama.SetAMXDriver(true)
			ours := promptLogits(t, model, n, 2)
			cos, maxDiff, spread, same := compareLogits(ggml, ours)
			t.Logf("Chapel's driver vs ggml's: cosine %.7f, largest difference %.6f of a spread of %.3f, bit for bit %v", cos, maxDiff, spread, same)
			if !same {
				t.Errorf("Chapel's AMX driver changed the result")
			}
		})
	}
}

// promptLogits loads model with the given threads and returns the logits of
// the last token of an n-token prompt.
func promptLogits(t *testing.T, model string, n, threads int) []float32 {
	t.Helper()
	c, b, done := openContext(t, model, llama.ContextParams{NCtx: 256, NBatch: 128, Threads: threads}, 128)
	defer done()
	for i := range n {
		if err := b.Add(llama.Token(3+(i*41)%500), i, 0, i == n-1); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Decode(b); err != nil {
		t.Fatal(err)
	}
	logits, err := c.Logits(-1)
	if err != nil {
		t.Fatal(err)
	}
	return logits
}

// TestAMXBF16 checks the BF16 path for batches (amx_mmq.cpp): it must be
// taken at and above its threshold and not below, and its logits must agree
// with the AVX-512 kernels' (AMX off) and be no further from the unquantised
// model's than theirs. Two layers, so that the first layer's feed-forward
// weights multiply the whole batch (the last layer's see only the last
// token). The int8 AMX kernels are logged beside them: in the pinned ggml
// their full 32-row blocks of Q4_0 take the first K block of the second
// 16-column tile from the first tile (ggml-cpu/amx/mmq.cpp,
// tinygemm_kernel_amx, "unpack_B<TB>(Tile1, B_blk0)"), which moves their
// result away from the AVX-512 kernels'; the BF16 path does not use them.
func TestAMXBF16(t *testing.T) {
	needAMX(t)
	threshold := llama.AMXBF16Rows()
	defer llama.SetAMXBF16Rows(threshold)
	defer llama.SetAMX(true)
	for _, tc := range []struct {
		ft   llama.FileType
		rows int
		bf16 bool
	}{
		{llama.FileTypeQ4_0, 64, true},
		{llama.FileTypeQ4_0, 77, true}, // a partial last block
		{llama.FileTypeQ4_0, 16, false},
		{llama.FileTypeQ8_0, 96, true},
	} {
		t.Run(fmt.Sprintf("type%d-rows%d", tc.ft, tc.rows), func(t *testing.T) {
			ref, model := synthPair(t, t.TempDir(), 2, 5632, 13, tc.ft)
			truth := promptLogits(t, ref, tc.rows, 2)
			llama.SetAMX(false)
			avx512 := promptLogits(t, model, tc.rows, 2)
			llama.SetAMX(true)
			llama.SetAMXBF16Rows(0)
			int8 := promptLogits(t, model, tc.rows, 2)
			llama.SetAMXBF16Rows(32)
			bf16 := promptLogits(t, model, tc.rows, 2)
			if llama.AMXBF16Taken() != tc.bf16 {
				t.Fatalf("BF16 path taken: %v, want %v", llama.AMXBF16Taken(), tc.bf16)
			}
			cos, maxDiff, spread, _ := compareLogits(avx512, bf16)
			cosInt8, _, _, _ := compareLogits(avx512, int8)
			tAVX, _, _, _ := compareLogits(truth, avx512)
			tInt8, _, _, _ := compareLogits(truth, int8)
			tBF16, _, _, _ := compareLogits(truth, bf16)
			t.Logf("against the AVX-512 kernels: BF16 path cosine %.6f (largest difference %.4f of a spread of %.3f), int8 AMX kernels %.6f", cos, maxDiff, spread, cosInt8)
			t.Logf("against the unquantised model: AVX-512 %.6f, int8 AMX %.6f, BF16 path %.6f", tAVX, tInt8, tBF16)
			if cos < 0.999 || argmax(avx512) != argmax(bf16) {
				t.Errorf("the BF16 path's result differs from the AVX-512 kernels'")
			}
			if tBF16 < tAVX-2e-3 {
				t.Errorf("the BF16 path is further from the unquantised model than the AVX-512 kernels: %.6f < %.6f", tBF16, tAVX)
			}
		})
	}
}

// scratchDir is t.TempDir, except on Windows, where the tests also run
// under Wine 8.0, which lacks what Go's os.RemoveAll calls: there the
// directory's files are removed one by one at the end.
func scratchDir(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "windows" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("", "chapel-llama-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			os.Remove(filepath.Join(dir, e.Name()))
		}
		os.Remove(dir)
	})
	return dir
}
