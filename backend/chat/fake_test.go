package chat

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

// fakeEngine replays a script of pieces. It honours ctx like the real
// engine: a cancelled context ends Generate with StopCanceled and no error.
type fakeEngine struct {
	mu       sync.Mutex
	loaded   bool
	pieces   []string
	delay    time.Duration // before each piece
	holdAt   int           // wait on hold before piece holdAt (when hold is not nil)
	hold     chan struct{}
	held     chan struct{} // closed when Generate first reaches holdAt
	heldOnce *sync.Once
	err      error // returned after the pieces
	requests []engine.Request
	switcher string // the ThinkSwitch of a reasoning model ("" = not one)
}

func newFake(pieces ...string) *fakeEngine {
	return &fakeEngine{loaded: true, pieces: pieces}
}

// holdBefore makes every Generate pause before piece i until release is
// called.
func (f *fakeEngine) holdBefore(i int) {
	f.holdAt, f.hold, f.held, f.heldOnce = i, make(chan struct{}), make(chan struct{}), new(sync.Once)
}

func (f *fakeEngine) release() { close(f.hold) }

func (f *fakeEngine) Load(ctx context.Context, path string, _ engine.LoadOptions) (engine.ModelInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loaded = true
	return f.info(), nil
}

func (f *fakeEngine) info() engine.ModelInfo {
	return engine.ModelInfo{Path: "/models/fake.gguf", Name: "fake", HasTemplate: true, Reasoning: f.switcher != "", ThinkSwitch: f.switcher}
}

func (f *fakeEngine) Model(ctx context.Context) (engine.ModelInfo, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.info(), f.loaded
}

// GenerateBatch is not used by chat.
func (f *fakeEngine) GenerateBatch(context.Context, []engine.Request, func(int, string)) ([]engine.Result, error) {
	return nil, errors.New("chat does not batch")
}

func (f *fakeEngine) Generate(ctx context.Context, req engine.Request, onPiece func(string)) (engine.Result, error) {
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	res := engine.Result{PromptTokens: 5 * len(req.Messages), ContextSize: 2048}
	for i, p := range f.pieces {
		if f.hold != nil && i == f.holdAt {
			f.heldOnce.Do(func() { close(f.held) })
			select {
			case <-f.hold:
			case <-ctx.Done():
				res.StopReason = engine.StopCanceled
				return res, nil
			}
		}
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			res.StopReason = engine.StopCanceled
			return res, nil
		}
		onPiece(p)
		res.CompletionTokens++
	}
	if f.err != nil {
		return res, f.err
	}
	res.StopReason = engine.StopEOG
	res.TokensPerSecond = 42
	return res, nil
}

func (f *fakeEngine) Close() error { return nil }

func (f *fakeEngine) lastRequest() engine.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[len(f.requests)-1]
}

// event is one recorded emission.
type event struct {
	name    string
	payload any
}

// recorder is an Emitter that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []event
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) Emit(name string, payload any) {
	r.mu.Lock()
	r.events = append(r.events, event{name, payload})
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// on returns the stream events emitted on name.
func (r *recorder) on(name string) []StreamEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []StreamEvent
	for _, e := range r.events {
		if e.name == name {
			out = append(out, e.payload.(StreamEvent))
		}
	}
	return out
}

func (r *recorder) count(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.name == name {
			n++
		}
	}
	return n
}

// waitEnd waits for the done or error event on stream and returns it.
func (r *recorder) waitEnd(t *testing.T, stream string) StreamEvent {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		evs := r.on(stream)
		if n := len(evs); n > 0 && evs[n-1].Type != EventToken {
			return evs[n-1]
		}
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("no done or error event on %s", stream)
		}
	}
}

// texts joins the text of the token events.
func texts(evs []StreamEvent) string {
	var b strings.Builder
	for _, e := range evs {
		if e.Type == EventToken {
			b.WriteString(e.Text)
		}
	}
	return b.String()
}

type fixture struct {
	st  *store.Store
	eng *fakeEngine
	em  *recorder
	svc *Service
}

func newFixture(t *testing.T, eng *fakeEngine) *fixture {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	em := newRecorder()
	svc := New(st, eng, em, nil)
	t.Cleanup(func() {
		if err := svc.Close(context.Background()); err != nil {
			t.Error(err)
		}
		st.Close()
	})
	return &fixture{st, eng, em, svc}
}

var errEngine = errors.New("llama_decode failed")

func (f *fakeEngine) CountTokens(_ context.Context, texts []string) ([]int, error) {
	n := make([]int, len(texts))
	for i, t := range texts {
		n[i] = len(strings.Fields(t))
	}
	return n, nil
}
