package models

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

// loadEngine is an engine that only loads: files named bad.gguf fail.
type loadEngine struct {
	mu     sync.Mutex
	loaded string
	keep   bool // a failed load leaves the previous model loaded (as worker.Client does)
}

func (e *loadEngine) Load(ctx context.Context, path string, _ engine.LoadOptions) (engine.ModelInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if filepath.Base(path) == "bad.gguf" {
		if !e.keep {
			e.loaded = ""
		}
		return engine.ModelInfo{}, apperr.New(apperr.Invalid, "model %q could not be loaded", "bad.gguf")
	}
	e.loaded = path
	return engine.ModelInfo{Path: path, Name: filepath.Base(path)}, nil
}

func (e *loadEngine) Model(context.Context) (engine.ModelInfo, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return engine.ModelInfo{Path: e.loaded}, e.loaded != ""
}

func (e *loadEngine) Generate(context.Context, engine.Request, func(string)) (engine.Result, error) {
	return engine.Result{}, errors.New("not in this test")
}

func (e *loadEngine) GenerateBatch(context.Context, []engine.Request, func(int, string)) ([]engine.Result, error) {
	return nil, errors.New("not in this test")
}

func (e *loadEngine) Close() error { return nil }

type states struct {
	mu   sync.Mutex
	got  []string
	full []State
}

func (s *states) Emit(name string, payload any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name == EventState {
		s.got = append(s.got, payload.(State).State)
		s.full = append(s.full, payload.(State))
	}
}

func newManager(t *testing.T) (*Manager, *store.Store, *states) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	em := &states{}
	return NewManager(&loadEngine{}, st, em, nil, engine.LoadOptions{}), st, em
}

func TestManagerLoad(t *testing.T) {
	ctx := context.Background()
	m, st, em := newManager(t)
	if s := m.State(); s.State != StateNone {
		t.Errorf("initial state %+v", s)
	}
	good := write(t, filepath.Join(t.TempDir(), "good.gguf"), ggufHeader(3, 0))
	if _, err := m.Load(ctx, good); err != nil {
		t.Fatal(err)
	}
	if s := m.State(); s.State != StateReady || s.Model == nil || s.Path != good {
		t.Errorf("after load %+v", s)
	}
	if p, ok, _ := Remembered(ctx, st); !ok || p != good {
		t.Errorf("remembered %q %v", p, ok)
	}
	bad := write(t, filepath.Join(t.TempDir(), "bad.gguf"), ggufHeader(3, 0))
	_, err := m.Load(ctx, bad)
	if apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("bad load err = %v", err)
	}
	if s := m.State(); s.State != StateError || s.Error == "" || s.Path != bad {
		t.Errorf("after failed load %+v", s)
	}
	if p, _, _ := Remembered(ctx, st); p != good {
		t.Errorf("a failed load changed the remembered model to %q", p)
	}
	want := []string{StateLoading, StateReady, StateLoading, StateError}
	if len(em.got) != len(want) {
		t.Fatalf("states %v, want %v", em.got, want)
	}
	for i := range want {
		if em.got[i] != want[i] {
			t.Errorf("states %v, want %v", em.got, want)
			break
		}
	}
}

// Every change gets the next Seq, so the UI can tell the current state from a
// late event: the highest Seq is the state the manager holds, also when
// changes race.
func TestManagerStateSeq(t *testing.T) {
	ctx := context.Background()
	m, _, em := newManager(t)
	if s := m.State(); s.Seq != 0 {
		t.Errorf("initial seq %d, want 0", s.Seq)
	}
	good := write(t, filepath.Join(t.TempDir(), "good.gguf"), ggufHeader(3, 0))
	bad := write(t, filepath.Join(t.TempDir(), "bad.gguf"), ggufHeader(3, 0))
	if _, err := m.Load(ctx, good); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Load(ctx, bad); err == nil {
		t.Fatal("bad.gguf loaded")
	}
	for i, s := range em.full {
		if s.Seq != uint64(i+1) {
			t.Errorf("event %d (%s) has seq %d, want %d", i, s.State, s.Seq, i+1)
		}
	}
	if got, last := m.State().Seq, em.full[len(em.full)-1].Seq; got != last {
		t.Errorf("State().Seq = %d, last event's %d", got, last)
	}

	const n = 40
	before := m.State().Seq
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { m.set(State{State: StateReady, Path: fmt.Sprintf("m%d.gguf", i)}) })
	}
	wg.Wait()
	em.mu.Lock()
	defer em.mu.Unlock()
	raced := em.full[len(em.full)-n:]
	seen := map[uint64]bool{}
	latest := raced[0]
	for _, s := range raced {
		if s.Seq <= before || s.Seq > before+n || seen[s.Seq] {
			t.Errorf("seq %d: out of range (%d, %d] or repeated", s.Seq, before, before+n)
		}
		seen[s.Seq] = true
		if s.Seq > latest.Seq {
			latest = s
		}
	}
	if cur := m.State(); cur.Seq != before+n || cur.Path != latest.Path {
		t.Errorf("current %s seq %d; the event with the highest seq says %s seq %d", cur.Path, cur.Seq, latest.Path, latest.Seq)
	}
}

func TestManagerRestore(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		remember  func(t *testing.T) string // "" = nothing remembered
		wantState string
		wantKept  bool
	}{
		{"nothing remembered", func(*testing.T) string { return "" }, StateNone, false},
		{"remembered file", func(t *testing.T) string {
			return write(t, filepath.Join(t.TempDir(), "m.gguf"), ggufHeader(3, 0))
		}, StateReady, true},
		{"file gone", func(t *testing.T) string { return filepath.Join(t.TempDir(), "gone.gguf") }, StateNone, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, st, _ := newManager(t)
			if p := tt.remember(t); p != "" {
				if err := Remember(ctx, st, p); err != nil {
					t.Fatal(err)
				}
			}
			if err := m.Restore(ctx); err != nil {
				t.Fatal(err)
			}
			if s := m.State(); s.State != tt.wantState {
				t.Errorf("state %+v, want %s", s, tt.wantState)
			}
			if _, ok, _ := Remembered(ctx, st); ok != tt.wantKept {
				t.Errorf("remembered = %v, want %v", ok, tt.wantKept)
			}
		})
	}
}

func (e *loadEngine) CountTokens(_ context.Context, texts []string) ([]int, error) {
	n := make([]int, len(texts))
	for i, t := range texts {
		n[i] = len(strings.Fields(t))
	}
	return n, nil
}

// With an engine that keeps the previous model after a failed load, the
// state stays ready on that model and names the failure.
func TestManagerFailedLoadKeepsModel(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	em := &states{}
	m := NewManager(&loadEngine{keep: true}, st, em, nil, engine.LoadOptions{})
	good := write(t, filepath.Join(t.TempDir(), "good.gguf"), ggufHeader(3, 0))
	if _, err := m.Load(ctx, good); err != nil {
		t.Fatal(err)
	}
	bad := write(t, filepath.Join(t.TempDir(), "bad.gguf"), ggufHeader(3, 0))
	if _, err := m.Load(ctx, bad); err == nil {
		t.Fatal("the bad model loaded")
	}
	s := m.State()
	if s.State != StateReady || s.Model == nil || s.Model.Path != good || s.Path != good || s.FailedPath != bad || s.Error == "" {
		t.Errorf("after the failed load %+v", s)
	}
	if p, _, _ := Remembered(ctx, st); p != good {
		t.Errorf("remembered %q", p)
	}
}
