package ingest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
)

// ChangedEvent is emitted (payload nil) after a job adds a document.
const ChangedEvent = "documents:changed"

// StreamName is the event name a job reports on: documents:ingest:<job>.
func StreamName(job int64) string { return fmt.Sprintf("documents:ingest:%d", job) }

// Job is a running ingest: its id and the event name it reports on.
type Job struct {
	ID     int64  `json:"job"`
	Stream string `json:"stream"`
}

// Start adds the files at paths in the background (as Ingest does) and
// returns at once. The job emits its Events on Job.Stream, ending with one
// "finished" event, and ChangedEvent after each document it adds; Cancel
// stops it. It fails when no path is given or the Service is closed.
func (s *Service) Start(paths []string, emit func(name string, payload any)) (Job, error) {
	if !slices.ContainsFunc(paths, func(p string) bool { return strings.TrimSpace(p) != "" }) {
		return Job{}, apperr.New(apperr.Invalid, "no files or folders to add")
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		return Job{}, apperr.New(apperr.Unavailable, "Chapel is closing; documents can't be added now")
	}
	s.lastID++
	job := Job{ID: s.lastID, Stream: StreamName(s.lastID)}
	s.jobs[job.ID] = cancel
	st := &jobState{}
	s.states[job.ID] = st
	for id := range s.states {
		if id <= job.ID-keptStates {
			delete(s.states, id)
		}
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer cancel()
		out, err := s.ingest(ctx, job.ID, paths, func(ev Event) { st.record(ev); emit(job.Stream, ev) },
			func(store.Document) { emit(ChangedEvent, nil) })
		s.mu.Lock()
		delete(s.jobs, job.ID)
		s.mu.Unlock()
		s.log.Info("documents job ended", "job", job.ID, "documents", len(out.Documents), "failures", len(out.Failures), "error", err)
	}()
	return job, nil
}

// keptStates is how many recent jobs State can still describe.
const keptStates = 32

// jobState is the latest event of each file of a job, in the order the
// files came, and the job's "finished" event once it has one.
type jobState struct {
	mu       sync.Mutex
	files    []Event
	finished *Event
}

func (st *jobState) record(ev Event) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if ev.Phase == PhaseFinished {
		st.finished = &ev
		return
	}
	if ev.File == "" {
		return
	}
	for i := range st.files {
		if st.files[i].File == ev.File {
			st.files[i] = ev
			return
		}
	}
	st.files = append(st.files, ev)
}

// State returns where a job is: the latest event of each of its files,
// then its "finished" event when it has ended. A window that subscribed to
// the job's stream after the job began catches up with it.
func (s *Service) State(jobID int64) ([]Event, error) {
	s.mu.Lock()
	st := s.states[jobID]
	s.mu.Unlock()
	if st == nil {
		return nil, apperr.New(apperr.NotFound, "no documents are being added as job %d", jobID)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	out := append([]Event{}, st.files...)
	if st.finished != nil {
		out = append(out, *st.finished)
	}
	return out, nil
}

// Cancel stops a job: the file being added and the ones after it are
// reported "canceled" and nothing half-added stays. Cancelling a job that
// has ended does nothing.
func (s *Service) Cancel(jobID int64) error {
	s.mu.Lock()
	cancel, running := s.jobs[jobID]
	last := s.lastID
	s.mu.Unlock()
	switch {
	case running:
		cancel()
	case jobID <= 0 || jobID > last:
		return apperr.New(apperr.NotFound, "no documents are being added as job %d", jobID)
	}
	return nil
}

// Close cancels every job, refuses new ones and waits for them to end.
func (s *Service) Close() { _ = s.Shutdown(context.Background()) }

// Shutdown cancels every job and refuses new ones, then waits for the jobs
// to end, or for ctx: it returns an error when ctx ends first, and the jobs
// go on stopping (a file being saved is saved whole or not at all). Calling
// it again waits again. The app calls it when it quits, before closing the
// store.
func (s *Service) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for _, cancel := range s.jobs {
		cancel()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return apperr.Wrap(apperr.Unavailable, ctx.Err(), "documents were still being added when Chapel quit")
	}
}
