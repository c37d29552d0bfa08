package ingest

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"lukechampine.com/blake3"
)

// BenchmarkHash measures BLAKE3 alone (one call over 256 MiB, and 1 MiB
// writes as the copy makes them) and the whole copy path: read, hash, write
// and sync a 256 MiB file into the documents folder. Each reports MB/s.
func BenchmarkHash(b *testing.B) {
	buf := make([]byte, 256<<20)
	rand.NewChaCha8([32]byte{3}).Read(buf)
	b.Run("blake3/one-call", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			blake3.Sum256(buf)
		}
	})
	b.Run("blake3/1MiB-writes", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			h := blake3.New(32, nil)
			for off := 0; off < len(buf); off += copyBuffer {
				h.Write(buf[off : off+copyBuffer])
			}
			h.Sum(nil)
		}
	})
	b.Run("copy-path", func(b *testing.B) {
		e := newEnv(b)
		path := filepath.Join(b.TempDir(), "big.bin")
		if err := os.WriteFile(path, buf, 0o600); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			bl, err := e.svc.copyIn(context.Background(), path, func(int64, int64) {})
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			os.Remove(bl.path) // each round stores the file anew
			b.StartTimer()
		}
	})
}
