package docs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// BenchmarkExtractText reads 32 MB of plain text from a file, streaming
// (Extract) and as the old reader did (the whole file read, then decoded
// and split): B/op is the memory each costs, against the file's size.
//
//	make go-test PKG=./backend/docs/ ARGS='-run - -bench ExtractText -benchmem'
func BenchmarkExtractText(b *testing.B) {
	para := []byte("A line of plain text with some words in it, and then some more.  \nIts second line.\n\n")
	if data, err := os.ReadFile("/work/shared/corpus/debian-reference-part.txt"); err == nil {
		para = data
	}
	data := bytes.Repeat(para, (32<<20)/len(para)+1)[:32<<20]
	path := filepath.Join(b.TempDir(), "big.txt")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	data = nil
	run := func(b *testing.B, read func(f *os.File, size int64) (*Document, error)) {
		b.SetBytes(32 << 20)
		b.ReportAllocs()
		for b.Loop() {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := read(f, 32<<20); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	}
	b.Run("stream", func(b *testing.B) {
		run(b, func(f *os.File, size int64) (*Document, error) {
			return Extract(context.Background(), f, size, "big.txt", DefaultLimits())
		})
	})
	b.Run("old", func(b *testing.B) {
		run(b, func(f *os.File, size int64) (*Document, error) {
			data, err := doctext.ReadAll(f, size, DefaultLimits(), Text)
			if err != nil {
				return nil, err
			}
			return oldExtractText(&extractor{ctx: context.Background(), lim: DefaultLimits(), format: Text}, data)
		})
	})
}
