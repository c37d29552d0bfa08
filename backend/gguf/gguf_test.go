package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTiny(t testing.TB, tmpl string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tiny.gguf")
	if err := WriteSynthetic(p, Shapes["tiny"], SynthOptions{Type: F32, Seed: 1, ChatTemplate: tmpl}); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSyntheticRoundTrip(t *testing.T) {
	for _, tmpl := range []string{"", ChatMLTemplate} {
		f, err := ReadFile(writeTiny(t, tmpl))
		if err != nil {
			t.Fatal(err)
		}
		if arch, _ := f.String("general.architecture"); arch != "llama" {
			t.Errorf("architecture = %q", arch)
		}
		if n, _ := f.Uint("llama.block_count"); n != 2 {
			t.Errorf("block_count = %d", n)
		}
		if got, want := len(f.Tensors), 3+2*9; got != want {
			t.Errorf("tensors = %d, want %d", got, want)
		}
		_, has := f.String("tokenizer.chat_template")
		if has != (tmpl != "") {
			t.Errorf("chat template present = %v", has)
		}
		if tv, ok := f.Metadata["tokenizer.ggml.tokens"].(ArrayInfo); !ok || tv.Len != 512 {
			t.Errorf("tokens = %#v", f.Metadata["tokenizer.ggml.tokens"])
		}
	}
}

func TestReadRejects(t *testing.T) {
	good, err := os.ReadFile(writeTiny(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	u64 := func(b []byte, off int, v uint64) []byte {
		c := bytes.Clone(b)
		binary.LittleEndian.PutUint64(c[off:], v)
		return c
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty or too short"},
		{"not gguf", []byte("PK\x03\x04 this is a zip file, not a model"), "not a GGUF file"},
		{"bad version", append([]byte("GGUF\x09\x00\x00\x00"), make([]byte, 16)...), "version 9"},
		{"huge tensor count", u64(good, 8, math.MaxUint64), "not plausible"},
		{"huge kv count", u64(good, 16, 1<<40), "not plausible"},
		{"huge first key length", u64(good, 24, 1<<60), "not plausible"},
		{"truncated header", good[:200], "truncated"},
		{"truncated data", good[:len(good)-100], "truncated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(c.data), int64(len(c.data)))
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FormatError", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %q, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestF16(t *testing.T) {
	cases := []struct {
		in   float32
		want uint16
	}{{0, 0}, {1, 0x3c00}, {-2, 0xc000}, {0.5, 0x3800}, {65504, 0x7bff}, {1e6, 0x7c00}, {5.960464e-8, 1}, {1e-9, 0}}
	for _, c := range cases {
		if got := f16(c.in); got != c.want {
			t.Errorf("f16(%g) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
}

func FuzzRead(f *testing.F) {
	good, err := os.ReadFile(writeTiny(f, ChatMLTemplate))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:300])
	f.Add([]byte("GGUF\x03\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for _, tn := range file.Tensors {
			if file.DataOffset+tn.Offset+tn.Size > uint64(len(data)) {
				t.Fatalf("accepted tensor %q outside the file", tn.Name)
			}
		}
	})
}

func TestSynthVocabSizes(t *testing.T) {
	for _, n := range []int{300, 512, 32000, 151936} {
		for _, chat := range []bool{false, true} {
			tokens, scores, types := synthVocab(n, chat)
			if len(tokens) != n || len(scores) != n || len(types) != n {
				t.Fatalf("n=%d chat=%v: got %d tokens", n, chat, len(tokens))
			}
			seen := map[string]bool{}
			for _, tok := range tokens {
				if seen[tok] {
					t.Fatalf("n=%d: token %q twice", n, tok)
				}
				seen[tok] = true
			}
		}
	}
}
