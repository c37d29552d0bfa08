package worker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/gguf"
)

// FuzzLoadModel writes GGUF files with a real header and garbage where the
// fuzzer says — in the tensors, in the metadata, or both — and loads each
// in the worker process, then generates a few tokens. The worker may die
// (llama.cpp aborts on some), the app must not: every failure comes back
// as an error with a sentence, and the same Client then loads a sound
// model and generates. `go test` runs the seeds below (crashers found by
// fuzzing included). Fuzzing for more (`-fuzz FuzzLoadModel`) instruments
// every package, llama.cpp's cgo ones included: its first build takes as
// long as the engine's.
func FuzzLoadModel(f *testing.F) {
	for _, seed := range []struct {
		where   uint32
		garbage string
	}{
		{0, "\x00"},                 // every weight zero
		{0, "\xff\xff\xff\x7f"},     // every weight NaN
		{0, "\x00\x00\x80\x7f"},     // every weight +Inf
		{4 * 7, "\xff\xff\xff\xff"}, // weights from a point on
		{1, "\xff\xff\xff\xff\xff\xff\xff\xff"},
		{1 + 4*40, "\x00\x00\x00\x00"},
		{1 + 4*300, "\x7f\xff\xff\xff\xff\xff"},
		{2 + 4*1000, "GGUF\x03\x00\x00\x00"},
		// Crashers found by fuzzing: a vocabulary entry changed into a copy
		// of another makes llama.cpp abort (GGML_ASSERT(id_to_token.size() ==
		// token_to_id.size()) in llama-vocab.cpp): the worker dies, the app
		// says so and goes on.
		{51913, "2"},
		{128098, "7C"},
	} {
		f.Add(seed.where, []byte(seed.garbage))
	}
	good := tinyChatML(f)
	base, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	hdr, err := gguf.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	client, _ := newClient(f)
	f.Fuzz(func(t *testing.T, where uint32, garbage []byte) {
		if len(garbage) == 0 || len(garbage) > 4096 {
			t.Skip()
		}
		loadMangled(t, client, good, base, int(hdr.DataOffset), where, garbage)
	})
}

// loadMangled loads base mangled by (where, garbage) with client, generates
// a few tokens, checks that a failure is a sentence, and that client then
// loads the sound model good and writes with it.
func loadMangled(t *testing.T, client *Client, good string, base []byte, dataOffset int, where uint32, garbage []byte) {
	t.Helper()
	data := mangle(base, dataOffset, where, garbage)
	path := filepath.Join(t.TempDir(), "fuzzed.gguf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := client.Load(ctx, path, testOpts)
	if err == nil {
		_, err = client.Generate(ctx, request("Once upon a time", 8), func(string) {})
	}
	if ctx.Err() != nil {
		t.Fatalf("the worker did not answer within a minute (%v)", err)
	}
	t.Logf("where %d, %d bytes of garbage: %v", where, len(garbage), err)
	if err != nil {
		msg := apperr.Message(err)
		if msg == "" || strings.ContainsAny(msg, "\n\r") || apperr.CodeOf(err) == "" {
			t.Errorf("the failure is not one sentence: %q (%s)", msg, apperr.CodeOf(err))
		}
	}
	// The app goes on: a sound model loads and writes.
	if _, err := client.Load(context.Background(), good, testOpts); err != nil {
		t.Fatalf("a sound model after the fuzzed one: %v", err)
	}
	if out := text(t, client, request("Once", 4)); out == "" {
		t.Fatal("no text from the sound model after the fuzzed one")
	}
}

// mangle returns a copy of a model file with garbage written over it:
// where%3 picks the tensor data (0, repeated over all of it from an
// offset), the metadata after the magic and version (1) or one stretch of
// the tensor data (2); where/3 is the offset.
func mangle(base []byte, dataOffset int, where uint32, garbage []byte) []byte {
	out := append([]byte(nil), base...)
	off := int(where / 3)
	switch where % 3 {
	case 0:
		for i := dataOffset + off%(len(out)-dataOffset); i < len(out); i++ {
			out[i] = garbage[(i-dataOffset)%len(garbage)]
		}
	case 1:
		at := 8 + off%(dataOffset-8)
		copy(out[at:min(len(out), at+len(garbage))], garbage)
	default:
		at := dataOffset + off%(len(out)-dataOffset)
		copy(out[at:], garbage)
	}
	return out
}
