package llama_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/llama"
)

// TestKQRows checks Chapel's products of Q8_0 keys with query rows
// (attn_rows.cpp) in a model, for heads of 64, 128 and 256 values (two,
// four and eight blocks: the one-query kernels for held and for streamed
// queries), on one thread and on two sharing the positions. One query,
// against ggml's loop: after a prompt, every step of a reply must give bit
// for bit ggml's logits. Batches, against tinyBLAS: a prompt decoded in
// batches of 48 (each batch's queries also score the keys cached by the
// ones before it), with every token's logits, and a follow-up of 20
// tokens. Chapel's product must have run each time.
func TestKQRows(t *testing.T) {
	if !llama.KQ.Compiled() {
		t.Skip("this build has no Chapel key product (x86-64 with AVX2 on Linux and Windows only)")
	}
	defer llama.KQ.Set(true)
	for _, heads := range []int{32, 16, 8} {
		model := filepath.Join(scratchDir(t), fmt.Sprintf("heads%d.gguf", heads))
		shape := gguf.Shape{Name: "kq-test", Embd: 2048, Layers: 1, Heads: heads, HeadsKV: 4, FF: 1536, Vocab: 512, ContextLen: 512}
		if err := gguf.WriteSynthetic(model, shape, gguf.SynthOptions{Type: gguf.F16, Seed: uint64(heads)}); err != nil {
			t.Fatal(err)
		}
		for _, threads := range []int{1, 2} {
			t.Run(fmt.Sprintf("head%d-threads%d", 2048/heads, threads), func(t *testing.T) {
				sameAsGGML(t, "key product", llama.KQ.Set, llama.KQ.Taken, func() [][]float32 {
					return replyLogits(t, model, threads, true)
				})
			})
			t.Run(fmt.Sprintf("head%d-threads%d-batches", 2048/heads, threads), func(t *testing.T) {
				sameAsGGML(t, "batch key product", llama.KQ.Set, llama.KQBatch.Taken, func() [][]float32 {
					return batchLogits(t, model, threads)
				})
			})
		}
	}
}

// TestKQProducts checks Chapel's products of Q8_0 keys with query rows
// (attn_rows.cpp) on made-up keys: a batch's against tinyBLAS's, one
// query's (a reply's step) against ggml's dot product key by key. Every
// score bit for bit, for heads of 32 to 256 values (one to eight blocks),
// key counts that leave groups of eight whole or not, queries from one to
// a physical batch, keys in rows of one head or spread over a cache row's
// heads, keys holding -128 (weights from another quantiser: Q8_0 weights
// with rows this short come here too), and the work shared by one to three
// threads. Shapes it does not take are refused.
func TestKQProducts(t *testing.T) {
	if !llama.KQ.Compiled() {
		if _, err := llama.KQCompare(64, 4, 2, 2, 1, 1, false); err == nil {
			t.Error("KQCompare without Chapel's product gave no error")
		}
		t.Skip("this build has no Chapel key product (x86-64 with AVX2 on Linux and Windows only)")
	}
	for _, tc := range []struct {
		m, n, k, lda, nth int
		minus128          bool
	}{
		{256, 20, 2, 16, 1, false}, // a follow-up message's 20 tokens, eight KV heads of 64 values
		{256, 20, 2, 16, 2, false}, // the same on two threads
		{3000, 2, 2, 2, 2, false},  // two queries
		{1, 5, 2, 2, 1, false},     // fewer keys than a group
		{13, 7, 1, 1, 3, false},    // one group and a rest, three threads
		{100, 33, 4, 32, 2, false}, // heads of 128 values
		{77, 9, 8, 8, 2, false},    // heads of 256 values
		{512, 256, 2, 4, 2, false}, // a physical batch
		{1024, 3, 3, 12, 3, false}, // an odd head size
		{8, 2, 2, 2, 3, false},     // a thread with nothing to do
		{64, 12, 2, 2, 2, true},    // keys (weights) holding -128
		{301, 5, 8, 8, 1, true},
		// one query: a reply's step, against ggml's dot product key by key
		{2048, 1, 2, 8, 2, false}, // four KV heads of 64 values
		{2051, 1, 2, 8, 2, false}, // a share that is not whole groups of eight
		{13, 1, 2, 2, 3, false},   // one group and a rest, three threads
		{7, 1, 4, 32, 1, false},   // fewer keys than a group, heads of 128 values
		{100, 1, 1, 1, 2, false},  // heads of 32 values
		{99, 1, 3, 12, 2, false},  // an odd head size
		{77, 1, 8, 8, 2, false},   // heads of 256 values (no fixed-size kernel)
		{300, 1, 2, 16, 2, true},  // keys holding -128
	} {
		t.Run(fmt.Sprintf("keys%d-queries%d-blocks%d-stride%d-threads%d-minus128%v", tc.m, tc.n, tc.k, tc.lda, tc.nth, tc.minus128), func(t *testing.T) {
			differ, err := llama.KQCompare(tc.m, tc.n, tc.k, tc.lda, tc.nth, uint32(tc.m*31+tc.n), tc.minus128)
			if err != nil {
				t.Fatal(err)
			}
			if differ != 0 {
				t.Errorf("%d of %d scores differ from ggml's", differ, tc.m*tc.n)
			}
		})
	}
	for _, bad := range []struct{ m, n, k, lda int }{
		{64, 4, 9, 9}, // longer rows: weights, tinyBLAS's
		{64, 4, 2, 1}, // rows overlapping
		{0, 4, 2, 2},
	} {
		if _, err := llama.KQCompare(bad.m, bad.n, bad.k, bad.lda, 1, 1, false); err == nil {
			t.Errorf("%d keys × %d queries × %d blocks, rows %d apart: no error", bad.m, bad.n, bad.k, bad.lda)
		}
	}
	times, err := llama.KQBatchMeasure(5)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("3,072 keys × 32 queries, one thread: Chapel's %v, tinyBLAS's %v (%.2f×)", times[0], times[1], float64(times[1])/float64(times[0]))
}

// openContext loads model and makes a context with params and a batch of
// batch tokens for one sequence; done closes all three.
func openContext(t *testing.T, model string, params llama.ContextParams, batch int) (c *llama.Context, b *llama.Batch, done func()) {
	t.Helper()
	m, err := llama.LoadModel(model, llama.ModelParams{})
	if err != nil {
		t.Fatal(err)
	}
	c, err = llama.NewContext(m, params)
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	b = llama.NewBatch(batch, 1)
	return c, b, func() {
		b.Close()
		c.Close()
		m.Close()
	}
}

// batchLogits decodes 150 prompt tokens in batches of 48 and then 20 more
// in one batch into a context with Q8_0 keys, and returns every token's
// logits.
func batchLogits(t *testing.T, model string, threads int) [][]float32 {
	t.Helper()
	c, b, done := openContext(t, model, llama.ContextParams{NCtx: 512, NBatch: 48, Threads: threads, QuantizedK: true}, 48)
	defer done()
	var out [][]float32
	const prompt, followUp = 150, 20
	for start := 0; start < prompt+followUp; {
		end := min(start+48, prompt)
		if start >= prompt {
			end = prompt + followUp
		}
		b.Clear()
		for i := start; i < end; i++ {
			if err := b.Add(llama.Token(3+(i*37)%500), i, 0, true); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Decode(b); err != nil {
			t.Fatal(err)
		}
		for i := range end - start {
			logits, err := c.Logits(i)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, append([]float32(nil), logits...))
		}
		start = end
	}
	return out
}

// TestKQVRows checks Chapel's products of a single query row with F16
// attention caches (attn_f16.cpp) against ggml's loop: after a prompt,
// every step of a reply must give bit for bit ggml's logits, with F16 keys
// (keys and values both Chapel's) and Q8_0 keys (values only), for query
// heads sharing a KV head by 1, 2, 3, 5 and 8 (whole and partial groups of
// the heads multiplied at once) and heads of 64, 128 and 256 values, on one
// thread and on two sharing the rows, and Chapel's products must have run.
func TestKQVRows(t *testing.T) {
	if !llama.KQV.Compiled() {
		t.Skip("this build has no Chapel F16 attention product (x86-64 with AVX2 on Linux and Windows only)")
	}
	defer llama.KQV.Set(true)
	for _, tc := range []struct {
		embd, heads, kv int
	}{
		{2048, 32, 4}, // 8 query heads a KV head, 64 values each
		{1280, 20, 4}, // 5, 64
		{1536, 12, 4}, // 3, 128
		{2048, 8, 4},  // 2, 256
		{1024, 4, 4},  // 1, 256
	} {
		model := filepath.Join(scratchDir(t), fmt.Sprintf("kqv%d-%d.gguf", tc.heads, tc.kv))
		shape := gguf.Shape{Name: "kqv-test", Embd: tc.embd, Layers: 1, Heads: tc.heads, HeadsKV: tc.kv, FF: 1536, Vocab: 512, ContextLen: 512}
		if err := gguf.WriteSynthetic(model, shape, gguf.SynthOptions{Type: gguf.F16, Seed: uint64(tc.heads)}); err != nil {
			t.Fatal(err)
		}
		for _, quantisedK := range []bool{false, true} {
			for _, threads := range []int{1, 2} {
				t.Run(fmt.Sprintf("share%d-head%d-q8keys%v-threads%d", tc.heads/tc.kv, tc.embd/tc.heads, quantisedK, threads), func(t *testing.T) {
					sameAsGGML(t, "F16 attention product", llama.KQV.Set, llama.KQV.Taken, func() [][]float32 {
						return replyLogits(t, model, threads, quantisedK)
					})
				})
			}
		}
	}
}

// sameAsGGML runs a reply with Chapel's kernel switched off (set(false):
// ggml's loop) and on, checks through taken that it ran only when on, and
// that every step's logits are bit for bit the same.
func sameAsGGML(t *testing.T, kernel string, set func(bool), taken func() bool, reply func() [][]float32) {
	t.Helper()
	set(false)
	ggml := reply()
	if taken() {
		t.Fatalf("Chapel's %s ran while switched off", kernel)
	}
	set(true)
	ours := reply()
	if !taken() {
		t.Fatalf("Chapel's %s did not run", kernel)
	}
	for i := range ggml {
		if cos, maxDiff, spread, same := compareLogits(ggml[i], ours[i]); !same {
			t.Errorf("step %d: cosine %.7f, largest difference %.6f of a spread of %.3f, not bit for bit", i, cos, maxDiff, spread)
		}
	}
}

// replyLogits decodes a 100-token prompt in one batch into a context
// (with Q8_0 keys if quantisedK), then 8 more tokens one at a time, and
// returns each step's logits.
func replyLogits(t *testing.T, model string, threads int, quantisedK bool) [][]float32 {
	t.Helper()
	c, b, done := openContext(t, model, llama.ContextParams{NCtx: 256, NBatch: 128, Threads: threads, QuantizedK: quantisedK}, 128)
	defer done()
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

// TestSoftmaxRows checks Chapel's softmax of attention scores (softmax.cpp)
// against ggml's. On made-up scores through ggml's graph: every value bit
// for bit, for rows of a few values to a long context's, lengths that are
// and are not whole steps of eight or sixteen, masks of F16, F32 or none,
// one to three threads, scaled by 1/√128 (which rounds: fusing the scale
// with the mask's addition would show); with ALiBi it must leave the
// softmax to ggml. In models with heads of 64 and 128 values: a prompt in
// batches with a follow-up (Q8_0 keys) and a reply's steps (F16 keys) must
// give bit for bit ggml's logits, with Chapel's softmax run.
func TestSoftmaxRows(t *testing.T) {
	if !llama.Softmax.Compiled() {
		if _, err := llama.SoftmaxCompare(64, 2, 2, llama.F16Mask, 1, 0, 1); err == nil {
			t.Error("SoftmaxCompare without Chapel's softmax gave no error")
		}
		t.Skip("this build has no Chapel softmax (x86-64 with AVX2 or AVX-512 on Linux and Windows only)")
	}
	defer llama.Softmax.Set(true)
	for _, tc := range []struct {
		n, rows, heads int
		mask           llama.SoftmaxMask
		threads        int
	}{
		{256, 20, 8, llama.F16Mask, 2}, // a follow-up's rows over a padded context
		{3072, 4, 4, llama.F16Mask, 1}, // a long context
		{1, 1, 1, llama.F16Mask, 1},    // one value
		{37, 5, 3, llama.F16Mask, 3},   // leftovers after whole steps
		{100, 7, 2, llama.F32Mask, 2},  // an F32 mask
		{515, 3, 2, llama.NoMask, 2},   // no mask
		{16, 64, 1, llama.F16Mask, 2},  // more rows than values
	} {
		t.Run(fmt.Sprintf("n%d-rows%d-heads%d-mask%d-threads%d", tc.n, tc.rows, tc.heads, tc.mask, tc.threads), func(t *testing.T) {
			differ, err := llama.SoftmaxCompare(tc.n, tc.rows, tc.heads, tc.mask, tc.threads, 0, uint32(tc.n+tc.rows))
			if err != nil {
				t.Fatal(err)
			}
			if differ != 0 {
				t.Errorf("%d of %d values differ from ggml's", differ, tc.n*tc.rows*tc.heads)
			}
		})
	}
	if _, err := llama.SoftmaxCompare(64, 4, 8, llama.F16Mask, 1, 8, 1); err != nil {
		t.Errorf("with ALiBi: %v", err)
	}
	// Heads of 64 and 128 values: scores scaled by 1/8, exactly, and by
	// 1/√128, whose products round.
	for _, heads := range []int{16, 8} {
		model := filepath.Join(scratchDir(t), fmt.Sprintf("softmax%d.gguf", heads))
		shape := gguf.Shape{Name: "softmax-test", Embd: 1024, Layers: 1, Heads: heads, HeadsKV: 4, FF: 1536, Vocab: 512, ContextLen: 512}
		if err := gguf.WriteSynthetic(model, shape, gguf.SynthOptions{Type: gguf.F16, Seed: 7}); err != nil {
			t.Fatal(err)
		}
		for _, threads := range []int{1, 2} {
			name := fmt.Sprintf("model-head%d-threads%d", 1024/heads, threads)
			t.Run(name+"-batches", func(t *testing.T) {
				sameAsGGML(t, "softmax", llama.Softmax.Set, llama.Softmax.Taken, func() [][]float32 {
					return batchLogits(t, model, threads)
				})
			})
			t.Run(name+"-reply", func(t *testing.T) {
				sameAsGGML(t, "softmax", llama.Softmax.Set, llama.Softmax.Taken, func() [][]float32 {
					return replyLogits(t, model, threads, false)
				})
			})
		}
	}
}
