package serve

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// The window's chat waits for the reply under way, then goes before every
// API request that waits; API requests go in the order they came, and one
// that gives up leaves the queue.
func TestQueueWindowFirst(t *testing.T) {
	local := engine.NewLocal()
	defer local.Close()
	if _, err := local.Load(context.Background(), testmodel.Tiny(t, ""), engine.LoadOptions{ContextSize: 512, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Engine: local, done: make(chan engine.Result, 1)}
	q := NewQueue(rec)
	req := func(text string, n int) engine.Request {
		return engine.Request{Messages: []engine.Message{{Role: engine.RoleUser, Content: text}}, MaxTokens: n, IgnoreEOS: true}
	}
	var wg sync.WaitGroup
	run := func(e engine.Engine, ctx context.Context, text string, n int, onFirst func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var once sync.Once
			e.Generate(ctx, req(text, n), func(string) {
				if onFirst != nil {
					once.Do(onFirst)
				}
			})
		}()
	}
	firstPiece := make(chan struct{})
	release := make(chan struct{})
	// A holds the engine until the others queue behind it.
	run(q.Background(), context.Background(), "api A", 400, func() { close(firstPiece); <-release })
	<-firstPiece
	run(q.Background(), context.Background(), "api B", 4, nil)
	waitFor(t, "B to queue", func() bool { _, bg := q.Waiting(); return bg == 1 })
	giveUp, cancel := context.WithCancel(context.Background())
	run(q.Background(), giveUp, "api gives up", 4, nil)
	waitFor(t, "the second API call to queue", func() bool { _, bg := q.Waiting(); return bg == 2 })
	run(q.Background(), context.Background(), "api C", 4, nil)
	waitFor(t, "C to queue", func() bool { _, bg := q.Waiting(); return bg == 3 })
	cancel()
	waitFor(t, "the call that gave up to leave", func() bool { _, bg := q.Waiting(); return bg == 2 })
	run(q.Foreground(), context.Background(), "window", 4, nil)
	waitFor(t, "the window's call to queue", func() bool { fg, _ := q.Waiting(); return fg == 1 })
	close(release)
	wg.Wait()
	want := []string{"api A", "window", "api B", "api C"}
	if !slices.Equal(rec.started, want) {
		t.Errorf("ran in the order %q, want %q", rec.started, want)
	}
	if fg, bg := q.Waiting(); fg != 0 || bg != 0 {
		t.Errorf("%d window and %d API calls still wait", fg, bg)
	}
	// The engine is free again.
	if _, err := q.Foreground().Generate(context.Background(), req("after", 2), func(string) {}); err != nil {
		t.Fatal(err)
	}
}
