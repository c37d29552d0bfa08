package models

import (
	"context"

	"github.com/chapelapp/chapel/backend/engine"
)

// The thread counts the engine settled on for a model are kept across
// restarts: its tuner starts at the thread ceiling, and on a busy machine a
// short reply pays its first steps there. When a model is unloaded (another
// is loaded, or it reloads with new settings) and when the app closes, what
// the engine reports (ModelInfo.TunedThreads) is saved under the model's
// own key; the next load of the same file with the same ceiling hands it to
// the engine as LoadOptions.StartThreads. It is only a start: the tuner
// still tries the other counts early.

// threadsPrefix starts the settings key of one model's settled thread
// counts; the model's path follows. They are not in Settings (the user's
// choices): a model whose counts were kept still shows its defaults.
const threadsPrefix = "model.threads:"

// settled is what the engine settled on for one model file.
type settled struct {
	engine.FileStamp                     // the file they were measured on
	Ceiling          int                 `json:"ceiling"` // the most threads the engine could use
	Threads          engine.ThreadCounts `json:"threads"`
}

// ceiling is the thread ceiling opts load with.
func ceiling(opts engine.LoadOptions) int {
	if opts.Threads > 0 {
		return opts.Threads
	}
	return engine.DefaultThreads()
}

// settledFor returns the counts kept for the model at path (its key), if
// they were measured on the file as it is now with the same ceiling.
func (m *Manager) settledFor(ctx context.Context, path string, ceil int) (engine.ThreadCounts, bool) {
	var s settled
	ok, err := m.st.GetSetting(ctx, threadsPrefix+path, &s)
	if err != nil {
		m.log.Warn("could not read the model's thread counts", "path", path, "err", err)
	}
	if !ok || err != nil {
		return engine.ThreadCounts{}, false
	}
	if stamp, ok := engine.StampOf(path); !ok || stamp != s.FileStamp || s.Ceiling != ceil {
		return engine.ThreadCounts{}, false
	}
	return s.Threads, s.Threads != engine.ThreadCounts{}
}

// lastSettled is the thread count a reply's steps settled on last for the
// model at path: the running copy's, else the one kept; 0 when unknown.
func (m *Manager) lastSettled(ctx context.Context, path string) int {
	if info, ok := m.eng.Model(ctx); ok && info.Path == path && info.TunedThreads.Step > 0 {
		return info.TunedThreads.Step
	}
	var s settled
	if ok, err := m.st.GetSetting(ctx, threadsPrefix+path, &s); err != nil || !ok {
		return 0
	}
	return s.Threads.Step
}

// SaveThreads keeps the thread counts the engine settled on for the model
// it runs now, for that model's next load. Call it before the model is
// unloaded (Load does) and before the engine closes.
func (m *Manager) SaveThreads(ctx context.Context) error {
	info, ok := m.eng.Model(ctx)
	if !ok || info.TunedThreads == (engine.ThreadCounts{}) {
		return nil
	}
	stamp, ok := engine.StampOf(info.Path)
	if !ok {
		return nil // the file went: nothing to keep
	}
	m.mu.Lock()
	cur, opts := m.state, m.loadedWith
	m.mu.Unlock()
	if cur.Model == nil || cur.Model.Path != info.Path {
		opts = m.LoadOptions(ctx, info.Path) // loaded by someone else (chapel chat): its options now
	}
	s := settled{FileStamp: stamp, Ceiling: ceiling(opts), Threads: info.TunedThreads}
	var old settled
	if ok, err := m.st.GetSetting(ctx, threadsPrefix+info.Path, &old); err == nil && ok && old == s {
		return nil
	}
	return m.st.SetSetting(ctx, threadsPrefix+info.Path, s)
}

// sameLoad reports whether a and b load a model alike: the start of the
// thread tuner is only a hint and needs no reload.
func sameLoad(a, b engine.LoadOptions) bool {
	a.StartThreads, b.StartThreads = engine.ThreadCounts{}, engine.ThreadCounts{}
	return a == b
}
