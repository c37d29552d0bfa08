// Package ingest owns adding documents: it turns paths (files, or folders
// walked recursively) into stored documents. For each file it copies the
// bytes into the content-addressed documents folder while hashing them with
// BLAKE3 in one pass, recognises bytes already stored, extracts the text
// (package docs), cuts it into passages (Chunk) and saves the document
// with its pages, sections and passages (package store). It reports progress
// as Events, one file at a time, and runs jobs for the window that can be
// cancelled.
package ingest

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/docs"
	"github.com/chapelapp/chapel/backend/store"
)

// Phases of an Event.
const (
	PhaseReading    = "reading"    // copying the file into the documents folder
	PhaseExtracting = "extracting" // reading its text
	PhaseIndexing   = "indexing"   // cutting passages and saving
	PhaseDone       = "done"       // Document is set; Duplicate when the bytes were stored already
	PhaseFailed     = "failed"     // Error says why, in a sentence without the file's name
	PhaseCanceled   = "canceled"   // the job was cancelled before this file was added
	PhaseFinished   = "finished"   // the last event of a job: Documents and Failures
)

// Event is the progress of one file of a job (the payload of
// "documents:ingest:<job>"), or, with Phase "finished", the job's end.
type Event struct {
	Job        int64           `json:"job"`
	File       string          `json:"file"`  // the path as given or found in a folder
	Index      int             `json:"index"` // 0-based position of File among Files
	Files      int             `json:"files"` // files in the job
	Phase      string          `json:"phase"`
	BytesDone  int64           `json:"bytes_done"`
	BytesTotal int64           `json:"bytes_total"`
	PagesDone  int             `json:"pages_done"`
	PagesTotal int             `json:"pages_total"`
	Document   *store.Document `json:"document,omitempty"`
	Duplicate  bool            `json:"duplicate"`
	Error      string          `json:"error"`

	// "finished" only: every document added or found, every failure, and
	// every file of a folder that was skipped (not a document Chapel
	// reads, not an ordinary file) with why.
	Documents []store.Document `json:"documents"`
	Failures  []Failure        `json:"failures"`
	Skipped   []Failure        `json:"skipped"`
	// SkippedMore counts the files left out past the first SkippedNamed.
	SkippedMore int `json:"skipped_more"`
}

// SkippedNamed is how many files left out of folders an outcome names; the
// rest are counted (a dropped source tree may hold thousands).
const SkippedNamed = 100

// Failure is a file that could not be added (or, in Skipped, a file of a
// folder that was left out), with a sentence saying why.
type Failure struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

// Outcome is what an Ingest did: the documents added or already stored,
// the files that failed, and the files of folders that were skipped
// (formats Chapel does not read; hidden files are left out silently).
type Outcome struct {
	Documents   []store.Document `json:"documents"`
	Failures    []Failure        `json:"failures"`
	Skipped     []Failure        `json:"skipped"`
	SkippedMore int              `json:"skipped_more"` // left out past the first SkippedNamed
}

// eventEvery spaces the reading and extracting events of a file.
const eventEvery = 100 * time.Millisecond

// Service adds documents. It is safe for concurrent use; files are added one
// at a time across all callers, to bound memory.
type Service struct {
	st  *store.Store
	dir string
	log *slog.Logger

	turn chan struct{} // held while a file is added

	mu     sync.Mutex
	lastID int64
	jobs   map[int64]context.CancelFunc
	states map[int64]*jobState // recent jobs, for State
	closed bool
	wg     sync.WaitGroup // one per running job
}

// New returns a Service storing documents in st and their bytes under dir
// (paths.DocumentsDir in the app). A nil log discards.
func New(st *store.Store, dir string, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{st: st, dir: dir, log: log, turn: make(chan struct{}, 1), jobs: map[int64]context.CancelFunc{},
		states: map[int64]*jobState{}}
	s.removeStaleTemps()
	return s
}

// Ingest adds the files at paths (folders are walked) one at a time,
// reporting progress to onEvent (which may be nil) and ending with one
// "finished" event. A file that fails does not stop the others; its failure
// is in the Outcome. The error is non-nil only when ctx was cancelled
// (apperr.Canceled; the files not added are reported "canceled") or the
// documents folder cannot be used.
func (s *Service) Ingest(ctx context.Context, paths []string, onEvent func(Event)) (Outcome, error) {
	return s.ingest(ctx, 0, paths, onEvent, nil)
}

// ingest runs a job; added is called after each new document is saved.
func (s *Service) ingest(ctx context.Context, job int64, paths []string, onEvent func(Event), added func(store.Document)) (Outcome, error) {
	if onEvent == nil {
		onEvent = func(Event) {}
	}
	out := Outcome{Documents: []store.Document{}, Failures: []Failure{}, Skipped: []Failure{}}
	finish := func(err error) (Outcome, error) {
		onEvent(Event{Job: job, Phase: PhaseFinished, Documents: out.Documents, Failures: out.Failures, Skipped: out.Skipped, SkippedMore: out.SkippedMore})
		return out, err
	}
	items, skipped, more, err := expand(ctx, paths)
	if err != nil {
		return finish(canceled(err))
	}
	out.Skipped, out.SkippedMore = append(out.Skipped, skipped...), more
	if err := s.makeDir(); err != nil {
		err = apperr.Wrap(apperr.Unavailable, err, "Chapel could not create its documents folder %s", s.dir)
		for _, it := range items {
			out.Failures = append(out.Failures, Failure{File: it.path, Error: apperr.Message(err)})
		}
		return finish(err)
	}
	for i, it := range items {
		ev := Event{Job: job, File: it.path, Index: i, Files: len(items)}
		if ctx.Err() != nil {
			s.cancelRest(onEvent, items[i:], ev)
			return finish(canceled(ctx.Err()))
		}
		if it.err != nil {
			s.fail(onEvent, &out, ev, it.err)
			continue
		}
		doc, created, err := s.addFile(ctx, it.path, ev, onEvent)
		switch {
		case err != nil && ctx.Err() != nil: // failed because cancelled, most likely
			s.cancelRest(onEvent, items[i:], ev)
			return finish(canceled(ctx.Err()))
		case err != nil:
			s.fail(onEvent, &out, ev, err)
		default:
			out.Documents = append(out.Documents, doc)
			ev.Phase, ev.Document, ev.Duplicate = PhaseDone, &doc, !created
			onEvent(ev)
			if created && added != nil {
				added(doc)
			}
		}
	}
	return finish(nil)
}

func canceled(err error) error {
	return apperr.Wrap(apperr.Canceled, err, "adding documents was stopped")
}

func (s *Service) fail(onEvent func(Event), out *Outcome, ev Event, err error) {
	msg := message(err)
	cause := err
	if u := errors.Unwrap(err); u != nil {
		cause = u
	}
	s.log.Warn("could not add a document", "file", ev.File, "error", msg, "cause", cause)
	out.Failures = append(out.Failures, Failure{File: ev.File, Error: msg})
	ev.Phase, ev.Error = PhaseFailed, msg
	onEvent(ev)
}

func (s *Service) cancelRest(onEvent func(Event), rest []item, ev Event) {
	for k, it := range rest {
		e := ev
		e.File, e.Index, e.Phase = it.path, ev.Index+k, PhaseCanceled
		onEvent(e)
	}
}

// addFile adds one file: copy and hash, then (unless its bytes are stored
// already) extract, chunk and save. created is false for a duplicate.
func (s *Service) addFile(ctx context.Context, path string, ev Event, onEvent func(Event)) (doc store.Document, created bool, err error) {
	select {
	case s.turn <- struct{}{}:
		defer func() { <-s.turn }()
	case <-ctx.Done():
		return store.Document{}, false, ctx.Err()
	}
	name := filepath.Base(path)
	var last time.Time
	ev.Phase = PhaseReading
	b, err := s.copyIn(ctx, path, func(done, total int64) {
		if now := time.Now(); done == 0 || now.Sub(last) >= eventEvery {
			last = now
			ev.BytesDone, ev.BytesTotal = done, total
			onEvent(ev)
		}
	})
	if err != nil {
		return store.Document{}, false, err
	}
	ev.BytesDone, ev.BytesTotal = b.size, b.size
	// From here a failure removes the blob unless a document uses it.
	defer func() {
		if err != nil {
			s.dropBlob(ctx, b)
		}
	}()
	if d, found, err := s.st.DocumentByHash(ctx, b.hash); err != nil {
		return store.Document{}, false, err
	} else if found {
		s.log.Info("document already stored", "file", path, "document", d.ID)
		return d, false, nil
	}

	ev.Phase = PhaseExtracting
	onEvent(ev)
	lim := s.limits()
	lim.Progress = func(done, total int) {
		if now := time.Now(); now.Sub(last) >= eventEvery || done == total {
			last = now
			ev.PagesDone, ev.PagesTotal = done, total
			onEvent(ev)
		}
	}
	extracted, err := extract(ctx, b, name, lim)
	if err != nil {
		return store.Document{}, false, err
	}

	ev.Phase = PhaseIndexing
	onEvent(ev)
	doc, created, err = s.st.AddDocument(ctx, newDocument(b, name, extracted))
	if err != nil {
		return store.Document{}, false, err
	}
	s.log.Info("document added", "file", path, "document", doc.ID, "format", doc.Format,
		"bytes", b.size, "pages", doc.Pages, "chunks", doc.Chunks, "new", created)
	return doc, created, nil
}

// limits are the extraction limits files are read with.
func (s *Service) limits() docs.Limits { return docs.DefaultLimits() }

// extract reads the text of a stored blob.
func extract(ctx context.Context, b blob, name string, lim docs.Limits) (*docs.Document, error) {
	f, err := os.Open(b.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return docs.Extract(ctx, f, b.size, name, lim)
}

// newDocument is what the store saves for an extracted file.
func newDocument(b blob, name string, d *docs.Document) store.NewDocument {
	title := d.Title
	if title == "" {
		title = strings.TrimSuffix(name, filepath.Ext(name))
	}
	nd := store.NewDocument{Blake3: b.hash, Name: name, Format: string(d.Format), SizeBytes: b.size, Title: title, Text: d.Text,
		PagesAnnounced: d.PagesAnnounced, PagesLost: d.PagesLost}
	nd.Pages = make([]store.DocumentPage, len(d.Pages))
	for i, p := range d.Pages {
		nd.Pages[i] = store.DocumentPage{Number: p.Number, Start: p.Start, End: p.End}
	}
	nd.Sections = make([]store.DocumentSection, len(d.Sections))
	for i, s := range d.Sections {
		nd.Sections[i] = store.DocumentSection{Title: s.Title, Level: s.Level, Page: s.Page, Start: s.Start, End: s.End}
	}
	spans := Chunk(d, DefaultChunkTarget)
	nd.Chunks = make([]store.Chunk, len(spans))
	for i, c := range spans {
		nd.Chunks[i] = store.Chunk{Ord: i, Start: c.Start, End: c.End, PageStart: c.PageStart, PageEnd: c.PageEnd,
			Section: c.Section, Text: d.Text[c.Start:c.End]}
	}
	return nd
}
