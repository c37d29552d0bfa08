package serve

import (
	"context"
	"sync"

	"github.com/chapelapp/chapel/backend/engine"
)

// Queue puts one engine between two kinds of callers: the window's own chat
// (first in the queue) and API clients (behind it, first come first
// served). One call runs at a time; when it ends, a waiting window call
// goes next, else the oldest API call. A client's request therefore never
// holds up the user's chat for more than the reply under way, and API
// clients are answered in the order they came.
type Queue struct {
	eng engine.Engine

	mu   sync.Mutex
	busy bool
	fg   []chan struct{} // waiting window calls, oldest first
	bg   []chan struct{} // waiting API calls, oldest first
}

// NewQueue returns a Queue in front of eng.
func NewQueue(eng engine.Engine) *Queue { return &Queue{eng: eng} }

// Foreground is the engine as the window's chat sees it.
func (q *Queue) Foreground() engine.Engine { return lane{q: q, fg: true} }

// Background is the engine as API clients see it.
func (q *Queue) Background() engine.Engine { return lane{q: q} }

// acquire waits for the engine's turn.
func (q *Queue) acquire(ctx context.Context, fg bool) error {
	q.mu.Lock()
	if !q.busy { // free: no call runs, so none waits either
		q.busy = true
		q.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	if fg {
		q.fg = append(q.fg, ch)
	} else {
		q.bg = append(q.bg, ch)
	}
	q.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.drop(ch, fg) {
			return ctx.Err()
		}
		// The turn was handed over as ctx ended: pass it on.
		q.handOff()
		return ctx.Err()
	}
}

// drop removes a waiter that gave up; false when it was already woken.
func (q *Queue) drop(ch chan struct{}, fg bool) bool {
	list := &q.bg
	if fg {
		list = &q.fg
	}
	for i, c := range *list {
		if c == ch {
			*list = append((*list)[:i], (*list)[i+1:]...)
			return true
		}
	}
	return false
}

// release ends a turn.
func (q *Queue) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.handOff()
}

// handOff gives the turn to the next waiter, window calls first; q.mu held.
func (q *Queue) handOff() {
	var next chan struct{}
	switch {
	case len(q.fg) > 0:
		next, q.fg = q.fg[0], q.fg[1:]
	case len(q.bg) > 0:
		next, q.bg = q.bg[0], q.bg[1:]
	default:
		q.busy = false
		return
	}
	q.busy = true
	close(next)
}

// Waiting reports how many calls wait for their turn (window, API).
func (q *Queue) Waiting() (fg, bg int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.fg), len(q.bg)
}

// lane is one side of the queue; it is an engine.Engine.
type lane struct {
	q  *Queue
	fg bool
}

func (l lane) Load(ctx context.Context, path string, opts engine.LoadOptions) (engine.ModelInfo, error) {
	if err := l.q.acquire(ctx, l.fg); err != nil {
		return engine.ModelInfo{}, err
	}
	defer l.q.release()
	return l.q.eng.Load(ctx, path, opts)
}

func (l lane) Model(ctx context.Context) (engine.ModelInfo, bool) { return l.q.eng.Model(ctx) }

func (l lane) Generate(ctx context.Context, req engine.Request, onPiece func(string)) (engine.Result, error) {
	if err := l.q.acquire(ctx, l.fg); err != nil {
		return engine.Result{StopReason: engine.StopCanceled}, nil
	}
	defer l.q.release()
	return l.q.eng.Generate(ctx, req, onPiece)
}

func (l lane) GenerateBatch(ctx context.Context, reqs []engine.Request, onPiece func(int, string)) ([]engine.Result, error) {
	if err := l.q.acquire(ctx, l.fg); err != nil {
		out := make([]engine.Result, len(reqs))
		for i := range out {
			out[i].StopReason = engine.StopCanceled
		}
		return out, nil
	}
	defer l.q.release()
	return l.q.eng.GenerateBatch(ctx, reqs, onPiece)
}

func (l lane) CountTokens(ctx context.Context, texts []string) ([]int, error) {
	if err := l.q.acquire(ctx, l.fg); err != nil {
		return nil, err
	}
	defer l.q.release()
	return l.q.eng.CountTokens(ctx, texts)
}

// Close closes the engine behind the queue (either lane closes it).
func (l lane) Close() error { return l.q.eng.Close() }

// String describes the engine behind the queue, for logs.
func (l lane) String() string {
	if s, ok := l.q.eng.(interface{ String() string }); ok {
		return s.String()
	}
	return "local engine"
}
