package gguf

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
)

// Shape is the architecture of a Llama-shaped model.
type Shape struct {
	Name       string
	Embd       int // embedding length
	Layers     int
	Heads      int
	HeadsKV    int
	FF         int // feed-forward length
	Vocab      int
	ContextLen int
}

// Shapes Chapel can synthesise: tiny for tests, and the shapes of real small
// models for benchmarks (the engine's speed does not depend on what the
// weights mean).
var Shapes = map[string]Shape{
	"tiny": {Name: "tiny", Embd: 64, Layers: 2, Heads: 4, HeadsKV: 2, FF: 128, Vocab: 512, ContextLen: 1024},
	"1b":   {Name: "1b", Embd: 2048, Layers: 22, Heads: 32, HeadsKV: 4, FF: 5632, Vocab: 32000, ContextLen: 2048},
	"0.5b": {Name: "0.5b", Embd: 896, Layers: 24, Heads: 14, HeadsKV: 2, FF: 4864, Vocab: 32000, ContextLen: 4096},
	// SmolLM2-135M's shape: where one thread and two meet on a token step.
	"135m": {Name: "135m", Embd: 576, Layers: 30, Heads: 9, HeadsKV: 3, FF: 1536, Vocab: 49152, ContextLen: 2048},
}

// ChatMLTemplate is a ChatML chat template, which llama.cpp recognises.
const ChatMLTemplate = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

// SynthOptions choose the weight type, the random seed and whether the model
// carries a chat template.
type SynthOptions struct {
	Type         TensorType // F32 or F16
	Seed         uint64
	ChatTemplate string // "" = none (plain completion)
}

// WriteSynthetic writes a Llama-architecture model of the given shape with
// random weights and an SPM vocabulary (control tokens, 256 byte tokens and
// letter/word pieces) to path.
func WriteSynthetic(path string, s Shape, opt SynthOptions) error {
	if opt.Type != F32 && opt.Type != F16 {
		return fmt.Errorf("synthetic weights are written as F32 or F16, not type %d", opt.Type)
	}
	if s.Embd%s.Heads != 0 || s.Heads%s.HeadsKV != 0 {
		return fmt.Errorf("shape %q: heads must divide the embedding and KV heads the heads", s.Name)
	}
	tokens, scores, types := synthVocab(s.Vocab, opt.ChatTemplate != "")
	ftype := uint32(0)
	if opt.Type == F16 {
		ftype = 1
	}
	kvs := []KV{
		{"general.architecture", "llama"},
		{"general.name", "chapel-synthetic-" + s.Name},
		{"general.file_type", ftype},
		{"llama.context_length", uint32(s.ContextLen)},
		{"llama.embedding_length", uint32(s.Embd)},
		{"llama.block_count", uint32(s.Layers)},
		{"llama.feed_forward_length", uint32(s.FF)},
		{"llama.attention.head_count", uint32(s.Heads)},
		{"llama.attention.head_count_kv", uint32(s.HeadsKV)},
		{"llama.rope.dimension_count", uint32(s.Embd / s.Heads)},
		{"llama.attention.layer_norm_rms_epsilon", float32(1e-5)},
		{"llama.vocab_size", uint32(len(tokens))},
		{"tokenizer.ggml.model", "llama"},
		{"tokenizer.ggml.tokens", tokens},
		{"tokenizer.ggml.scores", scores},
		{"tokenizer.ggml.token_type", types},
		{"tokenizer.ggml.unknown_token_id", uint32(0)},
		{"tokenizer.ggml.bos_token_id", uint32(1)},
		{"tokenizer.ggml.eos_token_id", uint32(2)},
		{"tokenizer.ggml.add_bos_token", true},
	}
	if opt.ChatTemplate != "" {
		kvs = append(kvs, KV{"tokenizer.chat_template", opt.ChatTemplate})
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x9e3779b97f4a7c15))
	e, v, kvDim, ff := uint64(s.Embd), uint64(len(tokens)), uint64(s.Embd/s.Heads*s.HeadsKV), uint64(s.FF)
	mat := func(name string, dims ...uint64) TensorData {
		n := uint64(1)
		for _, d := range dims {
			n *= d
		}
		return TensorData{Name: name, Dims: dims, Type: opt.Type, Write: randomWriter(rng, opt.Type, n, 0.02)}
	}
	norm := func(name string) TensorData {
		return TensorData{Name: name, Dims: []uint64{e}, Type: F32, Write: constWriter(e, 1)}
	}
	tensors := []TensorData{mat("token_embd.weight", e, v), norm("output_norm.weight"), mat("output.weight", e, v)}
	for l := 0; l < s.Layers; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		tensors = append(tensors,
			norm(p+"attn_norm.weight"),
			mat(p+"attn_q.weight", e, e), mat(p+"attn_k.weight", e, kvDim), mat(p+"attn_v.weight", e, kvDim),
			mat(p+"attn_output.weight", e, e),
			norm(p+"ffn_norm.weight"),
			mat(p+"ffn_gate.weight", e, ff), mat(p+"ffn_up.weight", e, ff), mat(p+"ffn_down.weight", ff, e),
		)
	}
	return Write(path, kvs, tensors)
}

// synthVocab builds an SPM vocabulary of exactly n tokens (n ≥ 259 + 2 when
// chat tokens are included).
func synthVocab(n int, chat bool) ([]string, []float32, []int32) {
	const (
		normal  = 1
		unknown = 2
		control = 3
		byteTok = 6
	)
	tokens := []string{"<unk>", "<s>", "</s>"}
	types := []int32{unknown, control, control}
	if chat {
		tokens = append(tokens, "<|im_start|>", "<|im_end|>")
		types = append(types, control, control)
	}
	for b := 0; b < 256; b++ {
		tokens = append(tokens, fmt.Sprintf("<0x%02X>", b))
		types = append(types, byteTok)
	}
	seen := map[string]bool{}
	add := func(t string) {
		if len(tokens) < n && !seen[t] {
			seen[t] = true
			tokens = append(tokens, t)
			types = append(types, normal)
		}
	}
	words := []string{"the", "a", "and", "to", "of", "in", "is", "it", "was", "on", "with", "for", "as", "at", "by",
		"he", "she", "they", "we", "you", "I", "said", "once", "upon", "time", "there", "little", "girl", "boy", "day",
		"happy", "big", "dog", "cat", "sun", "tree", "play", "went", "saw", "good", "friend", "home", "model", "chapel"}
	for _, w := range words {
		add("▁" + w)
	}
	add("▁")
	for c := 'a'; c <= 'z'; c++ {
		add(string(c))
		add("▁" + string(c))
	}
	for _, p := range []string{".", ",", "!", "?", "'", "\n"} {
		add(p)
	}
	// Fill the rest with letter pieces: every base-26 string in turn, bare
	// and with the word-start mark, so the vocabulary can have any size.
	for i := 0; len(tokens) < n; i++ {
		var piece []byte
		for v := i + 26; v > 0; v /= 26 {
			piece = append([]byte{byte('a' + v%26)}, piece...)
		}
		add(string(piece))
		add("▁" + string(piece))
	}
	scores := make([]float32, len(tokens))
	for i := range scores {
		if types[i] == normal {
			scores[i] = -float32(i) / float32(len(tokens))
		}
	}
	return tokens, scores, types
}

// randomWriter writes n normally distributed values of type t (F32 or F16).
func randomWriter(rng *rand.Rand, t TensorType, n uint64, std float64) func(io.Writer) error {
	return func(w io.Writer) error {
		buf := make([]byte, 0, 1<<16)
		for i := uint64(0); i < n; i++ {
			v := float32(rng.NormFloat64() * std)
			if t == F16 {
				buf = binary.LittleEndian.AppendUint16(buf, f16(v))
			} else {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			}
			if len(buf) >= 1<<16-4 {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
		_, err := w.Write(buf)
		return err
	}
}

// constWriter writes n F32 copies of v.
func constWriter(n uint64, v float32) func(io.Writer) error {
	return func(w io.Writer) error {
		buf := make([]byte, 0, n*4)
		for i := uint64(0); i < n; i++ {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		_, err := w.Write(buf)
		return err
	}
}

// f16 converts a float32 to IEEE half precision (round to nearest even).
func f16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23&0xff) - 127 + 15
	mant := b & 0x7fffff
	switch {
	case exp >= 31:
		return sign | 0x7c00
	case exp <= 0:
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint32(14 - exp)
		half := uint16(mant >> shift)
		if mant>>(shift-1)&1 == 1 && (mant&(1<<(shift-1)-1) != 0 || half&1 == 1) {
			half++
		}
		return sign | half
	}
	half := sign | uint16(exp)<<10 | uint16(mant>>13)
	if mant&0x1000 != 0 && (mant&0xfff != 0 || half&1 == 1) {
		half++
	}
	return half
}
