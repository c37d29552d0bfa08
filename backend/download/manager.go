package download

import (
	"context"
	"errors"
	"sync"

	"github.com/chapelapp/chapel/backend/apperr"
)

// Manager runs several downloads at once, each in its own goroutine, and
// lets the user pause, resume and cancel them. A download's id is its file
// name: one download per file.
type Manager struct {
	opts Options

	mu   sync.Mutex
	jobs map[string]*job
	wg   sync.WaitGroup
}

type job struct {
	req    Request
	report func(Progress)
	cancel context.CancelCauseFunc // nil when not running
	last   Progress
	done   chan struct{}
}

// NewManager returns a manager with no downloads.
func NewManager(opts Options) *Manager {
	return &Manager{opts: opts, jobs: map[string]*job{}}
}

// Start begins (or resumes, from a part left on disk) downloading req and
// returns its id at once; progress goes to report. Starting a file that is
// already downloading returns its id.
func (m *Manager) Start(req Request, report func(Progress)) (string, error) {
	if err := checkRequest(&req); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	id := req.File
	if j, ok := m.jobs[id]; ok && j.cancel != nil {
		if j.req.URL != req.URL {
			return "", apperr.New(apperr.Conflict, "%s is already being downloaded from another address", id)
		}
		return id, nil
	}
	m.run(id, &job{req: req, report: report})
	return id, nil
}

// run starts j; m.mu is held.
func (m *Manager) run(id string, j *job) {
	ctx, cancel := context.WithCancelCause(context.Background())
	j.cancel, j.done = cancel, make(chan struct{})
	j.last = Progress{ID: id, File: j.req.File, URL: j.req.URL, State: StateQueued, SecondsLeft: -1}
	m.jobs[id] = j
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(j.done)
		_, _ = Run(ctx, j.req, m.opts, func(p Progress) {
			m.mu.Lock()
			j.last = p
			m.mu.Unlock()
			if j.report != nil {
				j.report(p)
			}
		})
		m.mu.Lock()
		j.cancel = nil
		if j.last.State == StateCanceled || j.last.State == StateDone {
			delete(m.jobs, id)
		}
		m.mu.Unlock()
		cancel(nil)
	}()
}

// Pause stops a download and keeps its part for Resume (also after a
// restart of the app: see Pending).
func (m *Manager) Pause(id string) error { return m.stop(id, ErrPaused) }

// Cancel stops a download and deletes its part. A paused download or a
// part left by an earlier run (in dir) is deleted too.
func (m *Manager) Cancel(id, dir string) error {
	if err := m.stop(id, ErrCanceled); err == nil {
		return nil
	}
	m.mu.Lock()
	j, ok := m.jobs[id]
	if ok {
		dir = j.req.Dir
		delete(m.jobs, id)
	}
	m.mu.Unlock()
	if _, has := readState(dir, id); !has && !ok {
		return apperr.New(apperr.NotFound, "there is no download of %s", id)
	}
	removePart(dir, id)
	return nil
}

// stop cancels a running download with cause and waits for it to end.
func (m *Manager) stop(id string, cause error) error {
	m.mu.Lock()
	j, ok := m.jobs[id]
	var cancel context.CancelCauseFunc
	if ok {
		cancel = j.cancel
	}
	m.mu.Unlock()
	if cancel == nil {
		return apperr.New(apperr.NotFound, "%s is not downloading", id)
	}
	cancel(cause)
	<-j.done
	return nil
}

// Resume continues a paused download, or one whose part an earlier run left
// in dir; progress goes to report.
func (m *Manager) Resume(id, dir string, report func(Progress)) error {
	m.mu.Lock()
	j, ok := m.jobs[id]
	if ok && j.cancel != nil {
		m.mu.Unlock()
		return nil // running
	}
	m.mu.Unlock()
	req, found := Resumable(dir, id)
	if ok {
		req = j.req
		found = true
	}
	if !found {
		return apperr.New(apperr.NotFound, "there is no unfinished download of %s to resume", id)
	}
	_, err := m.Start(req, report)
	return err
}

// List returns the latest progress of every download this manager knows.
func (m *Manager) List() []Progress {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Progress, 0, len(m.jobs))
	for _, j := range m.jobs {
		out = append(out, j.last)
	}
	return out
}

// Close pauses every running download (their parts are kept) and waits.
func (m *Manager) Close() {
	m.mu.Lock()
	for _, j := range m.jobs {
		if j.cancel != nil {
			j.cancel(ErrPaused)
		}
	}
	m.mu.Unlock()
	m.wg.Wait()
}

// IsStopped reports whether err only means the user paused or canceled.
func IsStopped(err error) bool { return errors.Is(err, ErrPaused) || errors.Is(err, ErrCanceled) }
