package summarize

import (
	"context"
	"sync"
	"testing"

	"github.com/chapelapp/chapel/backend/engine"
)

// spreadingFake stands for an engine that spreads a batch over lanes
// engines (a Switch with endpoints): it runs each P-step share on the fake
// and records the batches it was given.
type spreadingFake struct {
	*fakeEngine
	lanes, per int

	mu    sync.Mutex
	given []int
}

func (s *spreadingFake) Lanes(context.Context) int { return s.lanes }

func (s *spreadingFake) GenerateBatch(ctx context.Context, reqs []engine.Request, onPiece func(int, string)) ([]engine.Result, error) {
	s.mu.Lock()
	s.given = append(s.given, len(reqs))
	s.mu.Unlock()
	var out []engine.Result
	for at := 0; at < len(reqs); at += s.per {
		share := reqs[at:min(at+s.per, len(reqs))]
		res, err := s.fakeEngine.GenerateBatch(ctx, share, func(i int, p string) { onPiece(at+i, p) })
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
	}
	return out, nil
}

// With several engines taking a batch, each batch holds P steps for every
// engine: a small model's one step at a time (P = 1) no longer leaves all
// but one engine idle.
func TestBatchesFilledForEveryEngine(t *testing.T) {
	for _, c := range []struct {
		name             string
		ctxSize, lanes   int
		per, wantLargest int
	}{
		{"one engine, small context", 512, 1, 1, 1},
		{"three engines, small context", 512, 3, 1, 3},
		{"two engines, 2,048 tokens", 2048, 2, 2, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := openStore(t)
			doc := pagedDoc(30, 6, 4).add(t, st, "doc")
			eng := &spreadingFake{fakeEngine: newFake(c.ctxSize), lanes: c.lanes, per: c.per}
			v, err := New(st, eng, nil).Summarize(context.Background(), doc.ID, "brief", nil)
			if err != nil || v.Status != StatusComplete {
				t.Fatalf("%+v %v", v, err)
			}
			largest := 0
			for _, n := range eng.given {
				largest = max(largest, n)
			}
			if largest != c.wantLargest {
				t.Errorf("batches given %v: the largest holds %d steps, want %d", eng.given, largest, c.wantLargest)
			}
			for _, b := range eng.fakeEngine.batches {
				if b > c.per {
					t.Errorf("a share of %d steps reached one engine; its context holds %d", b, c.per)
				}
			}
		})
	}
}
