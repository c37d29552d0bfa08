package worker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// copyModel copies a model to a file of this test's own, to damage or delete.
func copyModel(t *testing.T, from string) string {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "mine.gguf")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A worker that crashed restarts on the next call and reloads the model;
// when the file was deleted or damaged meanwhile, the model is no longer
// loaded: Model says so, the listeners hear why, every later call fails
// with that reason, and loading a model works again.
func TestReloadFailsAfterACrash(t *testing.T) {
	cases := []struct {
		name   string
		damage func(path string) error
	}{
		{"deleted", os.Remove},
		{"damaged", func(path string) error {
			return os.WriteFile(path, []byte("GGUF but not a model any more"), 0o600)
		}},
		{"replaced by a model llama.cpp refuses", func(path string) error {
			b, err := os.ReadFile(unloadable(t))
			if err != nil {
				return err
			}
			return os.WriteFile(path, b, 0o600)
		}},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client, sp := newClient(t)
			var mu sync.Mutex
			var heard []string
			client.OnModelLost(func(path string, err error) {
				mu.Lock()
				defer mu.Unlock()
				heard = append(heard, path+": "+err.Error())
			})
			good := tinyPlain(t)
			path := copyModel(t, good)
			load(t, client, path)
			if err := sp.last().Process.Kill(); err != nil {
				t.Fatal(err)
			}
			if err := c.damage(path); err != nil {
				t.Fatal(err)
			}
			_, err := client.Generate(ctx, request("Once upon a time", 4), func(string) {})
			if err != nil && strings.HasPrefix(err.Error(), "the engine stopped") {
				// The call that found the worker dead; the next one restarts it.
				_, err = client.Generate(ctx, request("Once upon a time", 4), func(string) {})
			}
			if err == nil || !strings.Contains(err.Error(), "mine.gguf could not be loaded again after the engine restarted") {
				t.Fatalf("the call after the crash: %v", err)
			}
			if info, ok := client.Model(ctx); ok {
				t.Errorf("the model still reads as loaded: %+v", info)
			}
			mu.Lock()
			if len(heard) != 1 || !strings.HasPrefix(heard[0], path+": "+err.Error()) {
				t.Errorf("heard %q, want once %q", heard, path+": "+err.Error())
			}
			mu.Unlock()
			// Every later call says why, not just "no model is loaded".
			if _, err2 := client.CountTokens(ctx, []string{"hello"}); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("a later call: %v, want %v", err2, err)
			}
			// Loading a model recovers.
			load(t, client, good)
			if _, ok := client.Model(ctx); !ok {
				t.Fatal("no model after loading one")
			}
			if _, err := client.Generate(ctx, request("Once upon a time", 4), func(string) {}); err != nil {
				t.Errorf("after loading again: %v", err)
			}
		})
	}
}
