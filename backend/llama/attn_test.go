package llama_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/llama"
)

// TestKQRows checks Chapel's product of Q8_0 keys with a single query row
// (attn_rows.cpp) against ggml's loop: after a prompt, every step of a reply
// must give bit for bit ggml's logits, for heads of 64, 128 and 256 values
// (two, four and eight blocks: the kernels for held and for streamed
// queries), on one thread and on two sharing the positions, and Chapel's
// product must have run.
func TestKQRows(t *testing.T) {
	if !llama.KQCompiled() {
		t.Skip("this build has no Chapel key product (x86-64 with AVX2 on Linux and Windows only)")
	}
	defer llama.SetKQDriver(true)
	for _, heads := range []int{32, 16, 8} {
		model := filepath.Join(scratchDir(t), fmt.Sprintf("heads%d.gguf", heads))
		shape := gguf.Shape{Name: "kq-test", Embd: 2048, Layers: 1, Heads: heads, HeadsKV: 4, FF: 1536, Vocab: 512, ContextLen: 512}
		if err := gguf.WriteSynthetic(model, shape, gguf.SynthOptions{Type: gguf.F16, Seed: uint64(heads)}); err != nil {
			t.Fatal(err)
		}
		for _, threads := range []int{1, 2} {
			t.Run(fmt.Sprintf("head%d-threads%d", 2048/heads, threads), func(t *testing.T) {
				llama.SetKQDriver(false)
				ggml := replyLogits(t, model, threads)
				if llama.KQTaken() {
					t.Fatal("Chapel's key product ran while switched off")
				}
				llama.SetKQDriver(true)
				ours := replyLogits(t, model, threads)
				if !llama.KQTaken() {
					t.Fatal("Chapel's key product did not run")
				}
				for i := range ggml {
					if cos, maxDiff, spread, same := compareLogits(ggml[i], ours[i]); !same {
						t.Errorf("step %d: cosine %.7f, largest difference %.6f of a spread of %.3f, not bit for bit", i, cos, maxDiff, spread)
					}
				}
			})
		}
	}
}

// replyLogits decodes a 100-token prompt in one batch into a context with
// Q8_0 keys, then 8 more tokens one at a time, and returns each step's logits.
func replyLogits(t *testing.T, model string, threads int) [][]float32 {
	t.Helper()
	m, err := llama.LoadModel(model, llama.ModelParams{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c, err := llama.NewContext(m, llama.ContextParams{NCtx: 256, NBatch: 128, Threads: threads, QuantizedK: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := llama.NewBatch(128, 1)
	defer b.Close()
	const prompt = 100
	for i := range prompt {
		if err := b.Add(llama.Token(3+(i*37)%500), i, 0, i == prompt-1); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Decode(b); err != nil {
		t.Fatal(err)
	}
	return decodeSteps(t, c, b, prompt, 8)
}
