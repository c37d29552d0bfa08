package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/gguf"
)

// Parallel sequences give each request the same text it gets alone.
func TestGenerateBatchMatchesSingle(t *testing.T) {
	for _, model := range []struct {
		name string
		path func(t *testing.T) string
	}{
		{"tiny", func(t *testing.T) string { return tinyModel(t, gguf.ChatMLTemplate) }},
		{"stories", storiesModel},
	} {
		t.Run(model.name, func(t *testing.T) {
			e := load(t, model.path(t))
			prompts := []string{"Once upon a time", "The little dog", "Lily and Tom went to the park", "One day"}
			var reqs []Request
			var want []string
			for _, p := range prompts {
				req := greedy(24)
				req.Messages = []Message{{Role: RoleUser, Content: p}}
				reqs = append(reqs, req)
				out, _ := generate(t, e, req)
				want = append(want, out)
			}
			got := make([]strings.Builder, len(reqs))
			res, err := e.GenerateBatch(context.Background(), reqs, func(i int, s string) { got[i].WriteString(s) })
			if err != nil {
				t.Fatal(err)
			}
			for i := range reqs {
				if got[i].String() != want[i] {
					t.Errorf("sequence %d: batch gave %q, alone %q", i, got[i].String(), want[i])
				}
				if res[i].CompletionTokens == 0 || res[i].StopReason == StopCanceled {
					t.Errorf("sequence %d: result %+v", i, res[i])
				}
			}
			// The chat path still works after a batch, and its cache
			// survived it: the last single request's prompt is reused.
			out, r := generate(t, e, reqs[len(reqs)-1])
			if out != want[len(reqs)-1] {
				t.Errorf("after the batch: %q, want %q", out, want[len(reqs)-1])
			}
			if r.CachedTokens == 0 {
				t.Errorf("after the batch the chat's cache was lost: %+v", r)
			}
			// A second batch reuses the batch context.
			if _, err := e.GenerateBatch(context.Background(), reqs[:2], func(int, string) {}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGenerateBatchRejects(t *testing.T) {
	e := load(t, tinyModel(t, ""))
	cases := []struct {
		name string
		n    int
	}{{"empty", 0}, {"too many", MaxParallel + 1}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reqs := make([]Request, c.n)
			for i := range reqs {
				reqs[i] = Request{Messages: []Message{{Role: RoleUser, Content: "hi"}}, MaxTokens: 4}
			}
			if _, err := e.GenerateBatch(context.Background(), reqs, func(int, string) {}); err == nil {
				t.Error("accepted")
			}
		})
	}
}
