package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
)

func TestJobs(t *testing.T) {
	e := newEnv(t)
	a := e.write("a.md", markdownFile("jobword"))
	type emitted struct {
		name    string
		payload any
	}
	ch := make(chan emitted, 1000)
	emit := func(name string, payload any) { ch <- emitted{name, payload} }
	waitFinished := func(j Job) (changed int, fin Event) {
		t.Helper()
		for {
			select {
			case m := <-ch:
				if m.name == ChangedEvent {
					changed++
					continue
				}
				if m.name != j.Stream {
					t.Fatalf("event on %q, want %q", m.name, j.Stream)
				}
				if ev := m.payload.(Event); ev.Job != j.ID {
					t.Fatalf("event of job %d on job %d's stream", ev.Job, j.ID)
				} else if ev.Phase == PhaseFinished {
					return changed, ev
				}
			case <-time.After(30 * time.Second):
				t.Fatal("no finished event")
			}
		}
	}

	start := func(paths ...string) Job {
		t.Helper()
		j, err := e.svc.Start(paths, emit)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	if _, err := e.svc.Start([]string{" "}, emit); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("starting with no paths: %v", err)
	}
	j := start(a)
	if j.Stream != "documents:ingest:1" || j.ID != 1 {
		t.Errorf("job %+v", j)
	}
	if changed, fin := waitFinished(j); changed != 1 || len(fin.Documents) != 1 {
		t.Errorf("changed %d times, finished %+v", changed, fin)
	}
	// A window that subscribed late catches up from State.
	if evs, err := e.svc.State(j.ID); err != nil || len(evs) != 2 || evs[0].Phase != PhaseDone || evs[1].Phase != PhaseFinished {
		t.Errorf("state of the ended job = %+v, %v; want the file done, then finished", evs, err)
	}
	if _, err := e.svc.State(99); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("state of an unknown job: %v", err)
	}
	if err := e.svc.Cancel(j.ID); err != nil {
		t.Errorf("cancelling an ended job: %v", err)
	}
	if err := e.svc.Cancel(99); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("cancelling an unknown job: %v", err)
	}

	// The same file again: a duplicate, and no "changed" event.
	j = start(a)
	if changed, fin := waitFinished(j); changed != 0 || len(fin.Documents) != 1 {
		t.Errorf("changed %d times, finished %+v", changed, fin)
	}

	// A long job, cancelled.
	big := filepath.Join(e.in, "big.pdf")
	writePDFFile(t, big, pdfSpec{pages: 300, imageBytes: 20000})
	j = start(big)
	if err := e.svc.Cancel(j.ID); err != nil {
		t.Fatal(err)
	}
	if _, fin := waitFinished(j); len(fin.Documents) != 0 {
		t.Errorf("finished %+v after cancel", fin)
	}

	// Close stops running jobs and refuses new ones.
	j = start(big)
	e.svc.Close()
	if _, fin := waitFinished(j); len(fin.Documents) != 0 {
		t.Errorf("finished %+v after Close", fin)
	}
	if _, err := e.svc.Start([]string{a}, emit); apperr.CodeOf(err) != apperr.Unavailable {
		t.Errorf("starting after Close: %v", err)
	}
	e.checkClean()
}

// TestEventJSON pins the field names the window reads.
func TestEventJSON(t *testing.T) {
	d := store.Document{ID: 3, Name: "a.pdf"}
	for _, c := range []struct {
		ev   Event
		want []string
	}{
		{Event{Job: 1, File: "/x/a.pdf", Phase: PhaseDone, Document: &d, Duplicate: true},
			[]string{"job", "file", "index", "files", "phase", "bytes_done", "bytes_total", "pages_done", "pages_total", "document", "duplicate", "error", "documents", "failures", "skipped", "skipped_more"}},
		{Event{Job: 1, Phase: PhaseFinished, Documents: []store.Document{d}, Failures: []Failure{{File: "b", Error: "no"}}},
			[]string{"job", "file", "index", "files", "phase", "bytes_done", "bytes_total", "pages_done", "pages_total", "duplicate", "error", "documents", "failures", "skipped", "skipped_more"}},
	} {
		b, err := json.Marshal(c.ev)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(b, &m)
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		sort.Strings(c.want)
		if !slices.Equal(keys, c.want) {
			t.Errorf("%s: keys %q, want %q", b, keys, c.want)
		}
	}
}

// Deleting a document removes its stored copy (Forget); Prune removes
// copies no document uses; a copy another document still uses stays.
func TestForgetAndPrune(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.write("a.md", markdownFile("forgetword"))
	b := e.write("b.md", markdownFile("pruneword"))
	out, err := e.svc.Ingest(ctx, []string{a, b}, nil)
	if err != nil || len(out.Documents) != 2 {
		t.Fatalf("ingest: %+v %v", out, err)
	}
	blobOf := func(d store.Document) string { return filepath.Join(e.dir, d.Blake3[:2], d.Blake3) }
	da, db := out.Documents[0], out.Documents[1]
	if err := e.st.DeleteDocument(ctx, da.ID); err != nil {
		t.Fatal(err)
	}
	e.svc.Forget(ctx, da.Blake3)
	if _, err := os.Stat(blobOf(da)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the deleted document's copy is still there: %v", err)
	}
	if n, err := e.svc.Prune(ctx); err != nil || n != 0 {
		t.Errorf("prune with nothing to remove: %d, %v", n, err)
	}
	if err := e.st.DeleteDocument(ctx, db.ID); err != nil { // deleted without Forget (a crash between)
		t.Fatal(err)
	}
	if n, err := e.svc.Prune(ctx); err != nil || n != 1 {
		t.Errorf("prune = %d, %v; want the orphan removed", n, err)
	}
	if _, err := os.Stat(blobOf(db)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the orphan copy is still there: %v", err)
	}
}

// Release removes a document's stored copy before the document is
// deleted (room on a full disk); the document still reads, and adding the
// same file again stores the copy again.
func TestReleaseThenAddAgain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.write("a.md", markdownFile("releaseword"))
	out, err := e.svc.Ingest(ctx, []string{a}, nil)
	if err != nil || len(out.Documents) != 1 {
		t.Fatalf("ingest: %+v %v", out, err)
	}
	d := out.Documents[0]
	blob := filepath.Join(e.dir, d.Blake3[:2], d.Blake3)
	e.svc.Release(d.Blake3)
	if _, err := os.Stat(blob); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the released copy is still there: %v", err)
	}
	if text, err := e.st.DocumentText(ctx, d.ID); err != nil || !strings.Contains(text, "releaseword") {
		t.Errorf("the document without its copy: %v", err)
	}
	again, r, err := e.ingest(ctx, nil, a)
	if err != nil || len(again.Documents) != 1 || again.Documents[0].ID != d.ID || r == nil {
		t.Fatalf("adding it again: %+v %v", again, err)
	}
	if _, err := os.Stat(blob); err != nil {
		t.Errorf("adding it again did not store the copy again: %v", err)
	}
	e.checkClean()
}
