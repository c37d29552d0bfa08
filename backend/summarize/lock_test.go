package summarize

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/paths"
	"github.com/chapelapp/chapel/backend/store"
)

// fileLocks are the lock files the app uses (backend/paths). Two Services
// with them on one data folder act as two Chapel processes: a lock file
// opened twice is locked once, in one process as across two.
type fileLocks struct{ home string }

func (l fileLocks) TryLock(id int64) (func(), bool, error) { return paths.TryLockSummary(l.home, id) }

// A summary that one Chapel (a) is making is refused by another (b), in
// every way b can ask for it, without a step made or a saved piece
// touched; a itself still joins its own run; once a lets go, b makes it.
func TestSummaryMadeByAnotherProcess(t *testing.T) {
	st, home := openStore(t), t.TempDir()
	doc := pagedDoc(30, 6, 4).add(t, st, "doc")
	fa, fb := newFake(4096), newFake(4096)
	a, b := New(st, fa, nil), New(st, fb, nil)
	a.SetRunLocks(fileLocks{home})
	b.SetRunLocks(fileLocks{home})
	fa.hold, fa.holding = make(chan struct{}), make(chan struct{})
	holding := fa.holding // the fake clears the field (under its lock) once it holds
	finished := make(chan View, 4)
	emit := func(_ string, payload any) {
		if p, ok := payload.(Progress); ok && p.View != nil {
			finished <- *p.View
		}
	}
	running, err := a.Start(doc.ID, "brief", emit)
	if err != nil || running.Status != StatusRunning || running.Elsewhere {
		t.Fatalf("a starts: %+v, %v", running, err)
	}
	<-holding
	ctx := context.Background()
	before := pieces(t, st, running.ID)

	cases := []struct {
		name string
		ask  func() (View, error)
		// elsewhere: Start's answer, a View saying so; else ErrElsewhere.
		elsewhere bool
	}{
		{"b summarises", func() (View, error) { return b.Summarize(ctx, doc.ID, "brief", nil) }, false},
		{"b summarises again from the start", func() (View, error) {
			return b.SummarizeRequest(ctx, Request{DocumentID: doc.ID, Style: "brief", Force: true}, nil)
		}, false},
		{"b's window starts it", func() (View, error) { return b.Start(doc.ID, "brief", emit) }, true},
		{"b's window runs it again, every piece anew", func() (View, error) {
			return b.StartRequest(Request{DocumentID: doc.ID, Style: "brief", Force: true}, emit)
		}, true},
	}
	for _, c := range cases {
		v, err := c.ask()
		switch {
		case c.elsewhere && (err != nil || !v.Elsewhere || v.ID != running.ID || v.Status != StatusRunning):
			t.Errorf("%s: %+v, %v; want the running summary, made elsewhere", c.name, v, err)
		case !c.elsewhere && !errors.Is(err, ErrElsewhere):
			t.Errorf("%s: %+v, %v; want %q", c.name, v, err, ErrElsewhere)
		}
	}
	if len(fb.generated) != 0 || fb.counts != 0 {
		t.Errorf("b asked its engine for %d steps and %d token counts", len(fb.generated), fb.counts)
	}
	if after := pieces(t, st, running.ID); len(after) != len(before) {
		t.Errorf("b's refused runs changed the saved pieces: %d, were %d", len(after), len(before))
	}
	// What each window shows: b that a makes it, a that it makes it itself.
	for _, w := range []struct {
		name      string
		s         *Service
		elsewhere bool
	}{{"a", a, false}, {"b", b, true}} {
		vs, err := w.s.List(ctx, doc.ID)
		if err != nil || len(vs) != 1 || vs[0].Status != StatusRunning || vs[0].Elsewhere != w.elsewhere {
			t.Errorf("%s lists %+v, %v; want it running, elsewhere %v", w.name, vs, err, w.elsewhere)
		}
	}
	// a, asked again, joins its own run.
	if again, err := a.Start(doc.ID, "brief", emit); err != nil || again.ID != running.ID || again.Elsewhere || again.Status != StatusRunning {
		t.Errorf("a starts it again: %+v, %v", again, err)
	}

	close(fa.hold)
	if got := wait(t, finished); got.Status != StatusComplete {
		t.Fatalf("a's run: %+v", got)
	}
	v, err := b.SummarizeRequest(ctx, Request{DocumentID: doc.ID, Style: "brief", Force: true}, nil)
	if err != nil || v.Status != StatusComplete || len(fb.generated) == 0 {
		t.Errorf("b after a let go: %+v, %v (%d steps)", v, err, len(fb.generated))
	}
}

// A summary the database says is running that no process makes (its
// Chapel was killed: the lock went with it) does not read as running: it
// is stopped, its pieces kept, and summarising again resumes it.
func TestSummaryLeftRunningByAKilledProcess(t *testing.T) {
	st, home := openStore(t), t.TempDir()
	doc := pagedDoc(30, 6, 4).add(t, st, "doc")
	f := newFake(4096)
	f.cancelAfter = 3
	s := New(st, f, nil)
	s.SetRunLocks(fileLocks{home})
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	v, err := s.Summarize(ctx, doc.ID, "brief", nil)
	if err != nil || v.Status != StatusCanceled || v.PiecesDone == 0 {
		t.Fatalf("first run: %+v, %v", v, err)
	}
	// What a process killed mid-run leaves: the summary marked running.
	if err := st.ReopenSummary(context.Background(), v.ID); err != nil {
		t.Fatal(err)
	}
	other := New(st, newFake(4096), nil) // the next Chapel
	other.SetRunLocks(fileLocks{home})
	vs, err := other.List(context.Background(), doc.ID)
	if err != nil || len(vs) != 1 || vs[0].Status != StatusCanceled || vs[0].Elsewhere || vs[0].PiecesDone != v.PiecesDone {
		t.Fatalf("listed: %+v, %v; want it stopped with %d pieces", vs, err, v.PiecesDone)
	}
	if sum, err := st.GetSummary(context.Background(), v.ID); err != nil || sum.Status != store.SummaryCanceled {
		t.Errorf("recorded: %+v, %v", sum, err)
	}
	done, err := other.Summarize(context.Background(), doc.ID, "brief", nil)
	if err != nil || done.Status != StatusComplete {
		t.Errorf("resumed: %+v, %v", done, err)
	}
}

// hookedLocks are fileLocks that call before ahead of each TryLock, and
// tell taken after one succeeds.
type hookedLocks struct {
	fileLocks
	before func()
	taken  chan<- struct{}
}

func (l hookedLocks) TryLock(id int64) (func(), bool, error) {
	if l.before != nil {
		l.before()
	}
	release, ok, err := l.fileLocks.TryLock(id)
	if ok && l.taken != nil {
		select {
		case l.taken <- struct{}{}:
		default:
		}
	}
	return release, ok, err
}

// A window listing the document (a) while another Chapel (b) has created
// the summary's row but not yet taken its lock must not make b's run fail
// as made elsewhere, even when a's write has to wait for the database
// (another writer holds it): a holds the lock only to look, not while it
// writes. b's run is not left recorded as stopped either.
func TestListWhileAnotherProcessStarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chapel.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	home := t.TempDir()
	doc := pagedDoc(30, 6, 4).add(t, st, "doc")
	// A third connection that holds the database's write lock for a while.
	writer, err := sql.Open("sqlite3", path+"?_busy_timeout=5000&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { writer.Close() })

	taken := make(chan struct{}, 1)
	a := New(st, newFake(4096), nil)
	a.SetRunLocks(hookedLocks{fileLocks: fileLocks{home}, taken: taken})
	ctx := context.Background()
	listed := make(chan error, 1)
	var once sync.Once
	b := New(st, newFake(4096), nil)
	b.SetRunLocks(hookedLocks{fileLocks: fileLocks{home}, before: func() {
		once.Do(func() {
			// b made the row (running) and is about to lock it: a lists now, its write held up.
			tx, err := writer.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the write lock
			if err != nil {
				t.Errorf("hold the database: %v", err)
				return
			}
			go func() { _, err := a.List(ctx, doc.ID); listed <- err }()
			<-taken
			time.AfterFunc(300*time.Millisecond, func() { _ = tx.Rollback() })
		})
	}})
	v, err := b.Summarize(ctx, doc.ID, "brief", nil)
	if err != nil || v.Status != StatusComplete {
		t.Errorf("b's run: %+v, %v; want it complete", v, err)
	}
	if err := <-listed; err != nil {
		t.Errorf("a's List: %v", err)
	}
}

// A Chapel starting while another one makes a summary (the window that
// owned the data folder closed, a `chapel summarize` goes on) leaves that
// summary running; one left running by a process that is gone is stopped,
// to resume. Without locks every run not in this process counts as left.
func TestRecoverAbandonedSpareLiveRuns(t *testing.T) {
	st, home := openStore(t), t.TempDir()
	live := pagedDoc(30, 6, 4).add(t, st, "live")
	left := pagedDoc(24, 6, 4).add(t, st, "left") // another text: a document is stored once by its hash
	fa := newFake(4096)
	a := New(st, fa, nil) // the Chapel still making its summary
	a.SetRunLocks(fileLocks{home})
	fa.hold, fa.holding = make(chan struct{}), make(chan struct{})
	holding := fa.holding
	running, err := a.Start(live.ID, "brief", func(string, any) {})
	if err != nil || running.Status != StatusRunning {
		t.Fatalf("a starts: %+v, %v", running, err)
	}
	<-holding
	defer func() {
		close(fa.hold)
		if err := a.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	// What a killed process leaves: a summary marked running that nobody makes.
	f := newFake(4096)
	f.cancelAfter = 2
	k := New(st, f, nil)
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	v, err := k.Summarize(ctx, left.ID, "brief", nil)
	if err != nil || v.Status != StatusCanceled {
		t.Fatalf("the killed run: %+v, %v", v, err)
	}
	if err := st.ReopenSummary(context.Background(), v.ID); err != nil {
		t.Fatal(err)
	}

	if sums, err := st.RunningSummaries(context.Background()); err != nil || len(sums) != 2 {
		t.Fatalf("running before the next start: %+v, %v", sums, err)
	}
	next := New(st, newFake(4096), nil) // the Chapel that starts now
	next.SetRunLocks(fileLocks{home})
	n, err := next.RecoverAbandoned(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("RecoverAbandoned = %d, %v; want 1 (the left one)", n, err)
	}
	for _, tc := range []struct {
		id   int64
		want string
	}{{running.ID, store.SummaryRunning}, {v.ID, store.SummaryCanceled}} {
		if sum, err := st.GetSummary(context.Background(), tc.id); err != nil || sum.Status != tc.want {
			t.Errorf("summary %d: %q (%v), want %q", tc.id, sum.Status, err, tc.want)
		}
	}
	// No locks: nothing can tell a live run from a left one.
	if err := st.ReopenSummary(context.Background(), v.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := New(st, newFake(4096), nil).RecoverAbandoned(context.Background()); err != nil || n != 2 {
		t.Errorf("without locks RecoverAbandoned = %d, %v; want 2", n, err)
	}
}
