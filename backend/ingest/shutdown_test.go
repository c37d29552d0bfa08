package ingest

import (
	"context"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
)

// TestShutdownKeepsItsDeadline: a job that does not stop in time (here one
// whose event listener is stuck) makes Shutdown return at its deadline with
// an error instead of holding Chapel's quitting forever; once the job ends,
// Shutdown returns nil, and no job can start after it.
func TestShutdownKeepsItsDeadline(t *testing.T) {
	e := newEnv(t)
	path := e.write("a.md", markdownFile("stuckword"))
	stuck, release := make(chan struct{}), make(chan struct{})
	first := true
	j, err := e.svc.Start([]string{path}, func(name string, payload any) {
		if first {
			first = false
			close(stuck)
			<-release
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	<-stuck
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = e.svc.Shutdown(ctx)
	if took := time.Since(start); apperr.CodeOf(err) != apperr.Unavailable || took > 2*time.Second {
		t.Errorf("Shutdown with job %d stuck: %v after %v, want unavailable at the 200 ms deadline", j.ID, err, took)
	}
	if _, err := e.svc.Start([]string{path}, func(string, any) {}); apperr.CodeOf(err) != apperr.Unavailable {
		t.Errorf("a job started after Shutdown: %v", err)
	}
	close(release)
	if err := e.svc.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown once the job ended: %v", err)
	}
}
