package gguf

import (
	"path/filepath"
	"slices"
	"testing"
)

func TestTokenTexts(t *testing.T) {
	dir := t.TempDir()
	chat := filepath.Join(dir, "chat.gguf")
	if err := WriteSynthetic(chat, Shapes["tiny"], SynthOptions{Type: F32, Seed: 1, ChatTemplate: ChatMLTemplate}); err != nil {
		t.Fatal(err)
	}
	hdr, err := ReadFile(chat)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := hdr.Metadata["tokenizer.ggml.tokens"].(ArrayInfo)
	cases := []struct {
		ids  []uint64
		want []string
	}{
		{[]uint64{1, 2}, []string{"<s>", "</s>"}},
		{[]uint64{3, 4, 0}, []string{"<|im_start|>", "<|im_end|>", "<unk>"}},
		{[]uint64{2, 2}, []string{"</s>", "</s>"}},
		{[]uint64{n.Len, 1 << 62}, []string{"", ""}},
		{nil, []string{}},
	}
	for _, c := range cases {
		got, err := TokenTexts(chat, c.ids...)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("TokenTexts(%v) = %q, %v; want %q", c.ids, got, err, c.want)
		}
	}
	if _, err := TokenTexts(filepath.Join(dir, "missing.gguf"), 1); err == nil {
		t.Error("a missing file gave no error")
	}
}
