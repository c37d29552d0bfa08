package remote

import (
	"context"
	"fmt"
	"testing"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
)

// Lanes counts the engines a batch is spread over. A batch filled for two
// engines (two requests each) whose endpoint turns out to be down runs on
// the local engine two at a time: its context holds two of them, not four.
func TestLanes(t *testing.T) {
	ctx := context.Background()
	local := engine.NewLocal()
	if _, err := local.Load(ctx, testmodel.Tiny(t, ""), engine.LoadOptions{ContextSize: 256, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	sw := NewSwitch(local, nil)
	defer sw.Close()
	if n := sw.Lanes(ctx); n != 1 {
		t.Errorf("lanes with no endpoint: %d", n)
	}
	ref, err := sw.Register(Config{ID: "down", BaseURL: "http://127.0.0.1:1/v1"}, "m")
	if err != nil {
		t.Fatal(err)
	}
	sw.ShareFrom(func(context.Context) ([]string, error) { return []string{ref, ref}, nil })
	if n := sw.Lanes(ctx); n != 2 {
		t.Errorf("lanes with an endpoint ticked (twice): %d, want 2", n)
	}
	reqs := make([]engine.Request, 2*sw.Lanes(ctx))
	for i := range reqs {
		reqs[i] = engine.Request{Messages: []engine.Message{{Role: engine.RoleUser, Content: fmt.Sprintf("piece %d", i)}},
			Sampling: engine.Sampling{Temperature: 0}, MaxTokens: 100, IgnoreEOS: true}
	}
	if _, err := local.GenerateBatch(ctx, reqs, func(int, string) {}); err == nil {
		t.Fatal("the local context holds all four requests at once; the test needs it to hold two")
	}
	texts := make([]string, len(reqs))
	out, err := sw.GenerateBatch(ctx, reqs, func(i int, s string) { texts[i] += s })
	if err != nil {
		t.Fatalf("the batch with its endpoint down: %v", err)
	}
	for i, r := range out {
		if texts[i] == "" || r.CompletionTokens != 100 {
			t.Errorf("request %d: %q %+v", i, texts[i], r)
		}
	}
	if n := sw.Lanes(ctx); n != 1 {
		t.Errorf("lanes after the endpoint failed: %d, want 1 (it rests)", n)
	}
}
