package models

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

// tunedEngine loads anything, records the options of each load and reports
// the thread counts the test says its tuner settled on.
type tunedEngine struct {
	loadEngine
	mu    sync.Mutex
	opts  []engine.LoadOptions
	tuned engine.ThreadCounts
}

func (e *tunedEngine) Load(ctx context.Context, path string, opts engine.LoadOptions) (engine.ModelInfo, error) {
	e.mu.Lock()
	e.opts, e.tuned = append(e.opts, opts), engine.ThreadCounts{}
	e.mu.Unlock()
	return e.loadEngine.Load(ctx, path, opts)
}

func (e *tunedEngine) Model(ctx context.Context) (engine.ModelInfo, bool) {
	info, ok := e.loadEngine.Model(ctx)
	e.mu.Lock()
	defer e.mu.Unlock()
	info.TunedThreads = e.tuned
	return info, ok
}

func (e *tunedEngine) settle(c engine.ThreadCounts) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tuned = c
}

func (e *tunedEngine) lastOpts() engine.LoadOptions {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.opts[len(e.opts)-1]
}

// What the engine settled on for a model is kept in the database when the
// model is unloaded or the app closes, and the next run's first load of the
// same file with the same ceiling starts from it.
func TestSettledThreadsPersist(t *testing.T) {
	loaded := engine.ThreadCounts{Step: 1, Prompt: 1}
	tests := []struct {
		name    string
		between func(t *testing.T, st *store.Store, path string) // what changes before the restart
		opts    engine.LoadOptions                               // the next run's manager's options
		want    engine.ThreadCounts                              // the next load's start
		hint    int                                              // SettingsView.SettledThreads before it runs
	}{
		{"same file and ceiling", nil, engine.LoadOptions{}, loaded, 1},
		{"another ceiling", nil, engine.LoadOptions{Threads: engine.DefaultThreads() + 1}, engine.ThreadCounts{}, 1},
		{"the file changed", func(t *testing.T, _ *store.Store, p string) {
			if err := os.Chtimes(p, time.Now(), time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}, engine.LoadOptions{}, engine.ThreadCounts{}, 1},
		{"threads fixed in the model's settings since", func(t *testing.T, st *store.Store, p string) {
			if err := st.SetSetting(context.Background(), settingsKey(p), Settings{Threads: 1}); err != nil {
				t.Fatal(err)
			}
		}, engine.LoadOptions{}, engine.ThreadCounts{}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := filepath.Join(t.TempDir(), "chapel.db")
			path := headerModel(t, 2048)
			st, err := store.Open(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			eng := &tunedEngine{}
			m := NewManager(eng, st, nil, nil, engine.LoadOptions{})
			if _, err := m.Load(ctx, path); err != nil {
				t.Fatal(err)
			}
			if got := eng.lastOpts().StartThreads; got != (engine.ThreadCounts{}) {
				t.Fatalf("first load ever starts at %+v", got)
			}
			eng.settle(loaded)
			if v, err := m.Settings(ctx, path); err != nil || v.SettledThreads != 1 || v.Saved {
				t.Fatalf("while it runs: settled %d saved %v (%v), want 1 and the defaults", v.SettledThreads, v.Saved, err)
			}
			if err := m.SaveThreads(ctx); err != nil { // the app closing
				t.Fatal(err)
			}
			if tc.between != nil {
				tc.between(t, st, path)
			}
			st.Close()

			st, err = store.Open(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			eng = &tunedEngine{}
			m = NewManager(eng, st, nil, nil, tc.opts)
			if v, err := m.Settings(ctx, path); err != nil || v.SettledThreads != tc.hint {
				t.Fatalf("after the restart: settled %d (%v), want %d", v.SettledThreads, err, tc.hint)
			}
			if _, err := m.Load(ctx, path); err != nil {
				t.Fatal(err)
			}
			if got := eng.lastOpts().StartThreads; got != tc.want {
				t.Fatalf("the next run's load starts at %+v, want %+v", got, tc.want)
			}
		})
	}
}

// Loading another model keeps the outgoing model's counts; a settled count
// alone never makes a settings save reload the model.
func TestSettledThreadsOnSwitch(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	eng := &tunedEngine{}
	m := NewManager(eng, st, nil, nil, engine.LoadOptions{})
	a, b := headerModel(t, 2048), headerModel(t, 2048)
	if _, err := m.Load(ctx, a); err != nil {
		t.Fatal(err)
	}
	eng.settle(engine.ThreadCounts{Step: 1})
	if _, err := m.Load(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Load(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got := eng.lastOpts().StartThreads; got != (engine.ThreadCounts{Step: 1}) {
		t.Fatalf("back to the first model: starts at %+v, want step 1", got)
	}
	eng.settle(engine.ThreadCounts{Step: 2})
	if err := m.SaveThreads(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := m.Settings(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	s := v.Values
	s.Temperature = 0.4
	if v, err = m.SaveSettings(ctx, a, s); err != nil || v.Reloaded {
		t.Fatalf("a sampling change reloaded the model (%v)", err)
	}
	if len(eng.opts) != 3 {
		t.Fatalf("%d loads, want 3", len(eng.opts))
	}
}
