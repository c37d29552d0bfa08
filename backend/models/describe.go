package models

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/gguf"
)

// Details describe a model from its GGUF header, before it is loaded.
type Details struct {
	ModelName      string `json:"model_name,omitempty"` // general.name
	Architecture   string `json:"architecture,omitempty"`
	Params         uint64 `json:"params,omitempty"`
	Quantization   string `json:"quantization,omitempty"`
	ContextLength  int    `json:"context_length,omitempty"` // trained context
	TemplateFamily string `json:"template_family,omitempty"`
	Reasoning      bool   `json:"reasoning"`    // the chat template speaks of <think>
	NeedsMemory    int64  `json:"needs_memory"` // at the engine's default context
	FitsMemory     bool   `json:"fits_memory"`  // fits the memory available now (true when unknown)
}

// fileTypes names general.file_type values (llama.cpp's llama_ftype).
var fileTypes = map[uint64]string{
	0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
	11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M",
	18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S",
	25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M",
	32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4",
}

// templateFamilies recognise a chat template by the markers it writes,
// most specific first.
var templateFamilies = []struct{ family, marker string }{
	{"gpt-oss", "<|channel|>"},
	{"deepseek-r1", "<｜Assistant｜>"},
	{"granite", "<|start_of_role|>"},
	{"llama-3", "<|start_header_id|>"},
	{"gemma", "<start_of_turn>"},
	{"phi", "<|assistant|>"},
	{"qwen3", "<think>"}, // ChatML with thinking
	{"chatml", "<|im_start|>"},
	{"mistral", "[INST]"},
}

// Describe reads path's header into e's Details. available is the memory
// a program can use now (-1: unknown). A header that cannot be read leaves
// the details empty; Valid and Problem stay the quick check's.
func Describe(e *Entry, available int64) {
	if !e.Valid {
		return
	}
	hdr, err := gguf.ReadFile(e.Path)
	if err != nil {
		e.Valid, e.Problem = false, "the model file is damaged or unfinished"
		return
	}
	d := &e.Details
	d.Architecture, _ = hdr.String("general.architecture")
	d.ModelName, _ = hdr.String("general.name")
	if ft, ok := hdr.Uint("general.file_type"); ok {
		d.Quantization = fileTypes[ft]
	}
	if n, ok := hdr.Uint(d.Architecture + ".context_length"); ok {
		d.ContextLength = int(n)
	}
	for _, t := range hdr.Tensors {
		n := uint64(1)
		for _, x := range t.Dims {
			n *= x
		}
		d.Params += n
	}
	tmpl, _ := hdr.String("tokenizer.chat_template")
	d.TemplateFamily = family(tmpl)
	d.Reasoning = strings.Contains(tmpl, "<think>")
	d.NeedsMemory = engine.EstimateMemory(hdr, 0).Total()
	d.FitsMemory = available < 0 || d.NeedsMemory <= available
	if isEmbeddingArch(d.Architecture) && tmpl == "" {
		d.TemplateFamily = "embedding"
	}
}

// family names the chat template's family, "" for none.
func family(tmpl string) string {
	if tmpl == "" {
		return ""
	}
	for _, f := range templateFamilies {
		if strings.Contains(tmpl, f.marker) {
			return f.family
		}
	}
	return "other"
}

func isEmbeddingArch(arch string) bool {
	switch arch {
	case "bert", "nomic-bert", "jina-bert-v2", "t5encoder":
		return true
	}
	return false
}

// List returns every model Chapel can use: the .gguf files in its own
// folders (dirs) and those other apps keep in stores, each described from
// its header. A file found twice (a link, or an app's store inside a
// Chapel folder) is listed once, under Chapel's folder.
func List(ctx context.Context, dirs []string, stores []Store) ([]Entry, error) {
	own, err := Scan(ctx, dirs)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	key := func(p string) string {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return r
		}
		return p
	}
	out := make([]Entry, 0, len(own))
	for _, e := range own {
		e.App = AppChapel
		seen[key(e.Path)] = true
		out = append(out, e)
	}
	for _, e := range Discover(ctx, stores) {
		if k := key(e.Path); !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	_, avail := Memory()
	for i := range out {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		Describe(&out[i], avail)
	}
	return out, nil
}
