package worker

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/gguf"
)

// unloadable writes a GGUF whose header is sound (it passes the Go check)
// but which llama.cpp refuses: an architecture it does not know.
func unloadable(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "corrupt.gguf")
	zeros := func(n int) func(io.Writer) error {
		return func(w io.Writer) error { _, err := w.Write(make([]byte, n)); return err }
	}
	err := gguf.Write(path, []gguf.KV{{Key: "general.architecture", Value: "chapel-no-such-arch"}},
		[]gguf.TensorData{{Name: "token_embd.weight", Dims: []uint64{8, 4}, Type: gguf.F32, Write: zeros(8 * 4 * 4)}})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// A model that fails to load leaves the one loaded before it running.
func TestFailedLoadKeepsThePreviousModel(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	good := tinyChatML(t)
	if _, err := c.Load(ctx, good, testOpts); err != nil {
		t.Fatal(err)
	}
	bad := unloadable(t)
	_, err := c.Load(ctx, bad, testOpts)
	t.Logf("loading the corrupt model: %v", err)
	if err == nil || !strings.Contains(err.Error(), "corrupt.gguf") {
		t.Fatalf("loading the corrupt model: err = %v", err)
	}
	info, ok := c.Model(ctx)
	if !ok || info.Path != good {
		t.Fatalf("after the failed load the model is %+v (loaded %v), want %s", info, ok, good)
	}
	var out strings.Builder
	res, err := c.Generate(ctx, engine.Request{Messages: []engine.Message{{Role: engine.RoleUser, Content: "hello"}}, MaxTokens: 8,
		Sampling: engine.Sampling{Temperature: 0}, IgnoreEOS: true}, func(s string) { out.WriteString(s) })
	if err != nil {
		t.Fatalf("the previous model no longer generates: %v", err)
	}
	if res.CompletionTokens != 8 {
		t.Errorf("generated %d tokens (%q), want 8", res.CompletionTokens, out.String())
	}
}
