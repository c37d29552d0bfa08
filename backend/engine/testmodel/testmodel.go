// Package testmodel gives tests the models they run the engine on: a tiny
// random-weight model written once per test binary (so the engine is proven
// on a fresh clone), and the real TinyStories model from ../shared when it is
// beside the checkout.
package testmodel

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/chapelapp/chapel/backend/gguf"
)

var tiny sync.Map // chat template → path

// Tiny returns the path of a tiny random-weight Llama model with the given
// chat template ("" for none), writing it on first use.
func Tiny(t testing.TB, template string) string {
	t.Helper()
	if p, ok := tiny.Load(template); ok {
		return p.(string)
	}
	dir, err := os.MkdirTemp("", "chapel-test-model")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "tiny.gguf")
	if err := gguf.WriteSynthetic(p, gguf.Shapes["tiny"], gguf.SynthOptions{Type: gguf.F32, Seed: 7, ChatTemplate: template}); err != nil {
		t.Fatal(err)
	}
	tiny.Store(template, p)
	return p
}

// Stories returns the path of ../shared/models/stories260K.gguf (beside the
// repository), or skips the test saying why.
func Stories(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	for err == nil {
		if _, statErr := os.Stat(filepath.Join(dir, "go.mod")); statErr == nil {
			p := filepath.Join(dir, "..", "shared", "models", "stories260K.gguf")
			if _, err = os.Stat(p); err == nil {
				return p
			}
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	t.Skipf("skipping: ../shared/models/stories260K.gguf is not beside the checkout (%v); the tiny-model tests still cover the engine", err)
	return ""
}
