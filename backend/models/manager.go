package models

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

// EventState is emitted with a State whenever the model state changes.
const EventState = "model:state"

// Model states.
const (
	StateNone    = "none"    // no model chosen
	StateLoading = "loading" // a model is loading
	StateReady   = "ready"   // a model is loaded
	StateError   = "error"   // the last load failed; Error says why
)

// State is what the UI shows about the model.
type State struct {
	State string            `json:"state"`
	Model *engine.ModelInfo `json:"model"`
	Path  string            `json:"path"`
	Error string            `json:"error"`
	// FailedPath is the model that failed to load while Model, loaded
	// before it, kept running (State is then ready, Error says why).
	FailedPath string `json:"failed_path,omitempty"`
	// Seq numbers the changes, from 1, in the order they were made: events
	// can reach the UI out of order, and the one with the highest Seq is the
	// current state.
	Seq uint64 `json:"seq"`
}

// Emitter sends events to the UI.
type Emitter interface {
	Emit(name string, payload any)
}

// Manager loads the model the user picks into the engine, with the context
// and threads saved for it (settings.go), remembers the choice and reports
// the state as it changes.
type Manager struct {
	eng  engine.Engine
	st   *store.Store
	em   Emitter
	log  *slog.Logger
	opts engine.LoadOptions

	load  sync.Mutex // one load at a time
	mu    sync.Mutex
	state State
	seq   uint64 // the last State.Seq given out
	// loadedWith are the options the loaded model runs with (its saved
	// context and threads, settings.go).
	loadedWith engine.LoadOptions
	headers    map[string]header // GGUF header facts by path, for the settings
}

// NewManager returns a manager with no model loaded. em and log may be nil.
func NewManager(eng engine.Engine, st *store.Store, em Emitter, log *slog.Logger, opts engine.LoadOptions) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Manager{eng: eng, st: st, em: em, log: log, opts: opts, state: State{State: StateNone}}
}

// State returns the current state.
func (m *Manager) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}

func (m *Manager) set(s State) {
	m.mu.Lock()
	m.seq++
	s.Seq = m.seq
	m.state = s
	m.mu.Unlock()
	if m.em != nil {
		m.em.Emit(EventState, s)
	}
}

// Load loads the model at path, and on success remembers it for the next
// start. A failed load leaves the model loaded before it running (the
// engine reloads it), with the state ready and its Error saying why; with
// no model left, the state is error.
func (m *Manager) Load(ctx context.Context, path string) (engine.ModelInfo, error) {
	m.load.Lock()
	defer m.load.Unlock()
	prev := m.State()
	// What the engine settled on for the model it runs now is kept before
	// it goes (the same model reloading starts from it, too).
	if err := m.SaveThreads(ctx); err != nil {
		m.log.Warn("could not keep the model's thread counts", "err", err)
	}
	m.set(State{State: StateLoading, Model: prev.Model, Path: path})
	opts := m.LoadOptions(ctx, path)
	info, err := m.eng.Load(ctx, path, opts)
	if err != nil {
		if cur, ok := m.eng.Model(ctx); ok {
			m.set(State{State: StateReady, Model: &cur, Path: cur.Path, Error: apperr.Message(err), FailedPath: path})
		} else {
			m.set(State{State: StateError, Path: path, Error: apperr.Message(err)})
		}
		return engine.ModelInfo{}, err
	}
	if err := Remember(ctx, m.st, info.Path); err != nil {
		m.log.Warn("could not remember the model", "path", info.Path, "err", err)
	}
	m.mu.Lock()
	m.loadedWith = opts
	m.mu.Unlock()
	m.set(State{State: StateReady, Model: &info, Path: info.Path})
	return info, nil
}

// Restore loads the model remembered from the last run, if there is one.
// A remembered file that has gone is forgotten quietly; one that fails to
// load leaves the error state for the UI to show.
func (m *Manager) Restore(ctx context.Context) error {
	path, ok, err := Remembered(ctx, m.st)
	if err != nil || !ok {
		return err
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		m.log.Info("the remembered model is gone", "path", path)
		return Forget(ctx, m.st)
	}
	_, err = m.Load(ctx, path)
	return err
}

// ModelLost is how the engine says that the model at path, loaded before,
// is not loaded any more: its worker restarted (a crash) and could not load
// the file again (damaged or deleted meanwhile). The state then says so, as
// a failed load does (error, with why), so that the picker does not claim
// the model runs; loading a model recovers. A load under way settles the
// state itself. It must not wait for a load: the engine calls it while it
// holds the engine that a load waits for.
func (m *Manager) ModelLost(path string, err error) {
	m.mu.Lock()
	cur := m.state
	if cur.State != StateReady || cur.Model == nil || cur.Model.Path != path {
		m.mu.Unlock()
		return
	}
	m.seq++
	s := State{State: StateError, Path: path, Error: apperr.Message(err), Seq: m.seq}
	m.state = s
	m.mu.Unlock()
	m.log.Warn("the model is not loaded any more", "path", path, "err", err)
	if m.em != nil {
		m.em.Emit(EventState, s)
	}
}
