package llama_test

import (
	"testing"

	"github.com/chapelapp/chapel/backend/llama"
	"github.com/chapelapp/chapel/backend/variant"
)

// TestAMXUnderWine checks the Windows AMX engine where it runs under Wine
// on an AMX CPU (make test-windows-amx): a Linux process gets AMX's tile
// data only after asking, which Wine does not do for a Windows program,
// so without amx_wine_windows.c asking the first tile load stops the
// program. A one-layer Q4_0 model whose weights AMX takes (2,048-wide
// attention; the feed-forward weights under Chapel's rule) must give the
// logits of ggml's rule, under which the feed-forward down projection runs
// on the AVX-512 kernels, and be as close to the unquantised model.
// The models go in scratchDir: Wine 8.0 lacks what t.TempDir's cleanup calls.
func TestAMXUnderWine(t *testing.T) {
	f := variant.Detect()
	if f.Wine == "" {
		t.Skip("not under Wine")
	}
	if !llama.AMXCompiled() || !f.AMX || !f.AMXOS {
		t.Skipf("needs the AMX build on an AMX CPU (compiled %v, CPU %v, OS %v)", llama.AMXCompiled(), f.AMX, f.AMXOS)
	}
	defer llama.SetAMXWideRows(true)
	ref, model := synthPair(t, scratchDir(t), 1, 5632, 7, llama.FileTypeQ4_0)
	truth, _ := logitsOf(t, ref, true)
	ggmlPrompt, _ := logitsOf(t, model, false)
	amxPrompt, _ := logitsOf(t, model, true)
	if !llama.AMXWideTaken() {
		t.Fatal("AMX took no feed-forward weight: the engine did not register ggml's AMX buffer type (did the kernel refuse the tile data?)")
	}
	cos, maxDiff, spread, same := compareLogits(ggmlPrompt, amxPrompt)
	t.Logf("Wine %s on %s: a 64-token prompt through AMX's tile kernels vs the AVX-512 kernels: cosine %.7f, largest difference %.5f of a spread of %.3f, bit for bit %v",
		f.Wine, f.WineOS, cos, maxDiff, spread, same)
	if cos < 0.99999 || maxDiff > 0.001*spread || argmax(ggmlPrompt) != argmax(amxPrompt) {
		t.Errorf("AMX's result under Wine differs from the AVX-512 kernels'")
	}
	cosTruth, _, _, _ := compareLogits(truth, amxPrompt)
	t.Logf("against the unquantised model: cosine %.5f", cosTruth)
}
