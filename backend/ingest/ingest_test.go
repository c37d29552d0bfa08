package ingest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
)

// env is a service on a fresh database, with a documents folder and a
// folder of input files.
type env struct {
	t   testing.TB
	st  *store.Store
	svc *Service
	dir string // the documents folder
	in  string // input files
}

func newEnv(t testing.TB) *env {
	t.Helper()
	root := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(root, "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, dir: filepath.Join(root, "documents"), in: filepath.Join(root, "in")}
	e.svc = New(st, e.dir, nil)
	t.Cleanup(e.svc.Close)
	return e
}

// write puts data at name (slash-separated) under the input folder.
func (e *env) write(name string, data []byte) string {
	e.t.Helper()
	p := filepath.Join(e.in, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// recorder keeps the events of a run.
type recorder struct {
	mu     sync.Mutex
	events []Event
	hook   func(Event) // called with each event, outside the lock
}

func (r *recorder) on(ev Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	if r.hook != nil {
		r.hook(ev)
	}
}

// phases returns the phases reported for file, consecutive repeats merged.
func (r *recorder) phases(file string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.events {
		if ev.File == file && (len(out) == 0 || out[len(out)-1] != ev.Phase) {
			out = append(out, ev.Phase)
		}
	}
	return out
}

func (r *recorder) last() Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events[len(r.events)-1]
}

func (e *env) ingest(ctx context.Context, hook func(Event), paths ...string) (Outcome, *recorder, error) {
	e.t.Helper()
	r := &recorder{hook: hook}
	out, err := e.svc.Ingest(ctx, paths, r.on)
	if fin := r.last(); fin.Phase != PhaseFinished || len(fin.Documents) != len(out.Documents) || len(fin.Failures) != len(out.Failures) {
		e.t.Fatalf("the last event is %+v, want finished with the outcome %+v", fin, out)
	}
	return out, r, err
}

// checkClean verifies the documents folder: no partial copies, one blob
// per document and no blob without one.
func (e *env) checkClean() {
	e.t.Helper()
	ctx := context.Background()
	ds, err := e.st.ListDocuments(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	want := map[string]bool{}
	for _, d := range ds {
		want[d.Blake3] = true
	}
	got := map[string]bool{}
	filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if strings.HasPrefix(d.Name(), tempPrefix) {
				e.t.Errorf("a partial copy is left: %s", p)
			} else if filepath.Base(filepath.Dir(p)) != d.Name()[:2] || !want[d.Name()] {
				e.t.Errorf("a stored file no document uses: %s", p)
			}
			got[d.Name()] = true
		}
		return nil
	})
	for h := range want {
		if !got[h] {
			e.t.Errorf("document %s has no stored file", h)
		}
	}
}

// checkDocument verifies a stored document's passages cover its text.
func (e *env) checkDocument(d store.Document) {
	e.t.Helper()
	ctx := context.Background()
	text, err := e.st.DocumentText(ctx, d.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	cs, err := e.st.Chunks(ctx, d.ID, 0, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	var b strings.Builder
	for i, c := range cs {
		if c.Ord != i || c.Start != b.Len() || text[c.Start:c.End] != c.Text {
			e.t.Fatalf("%s: passage %d (%d–%d) out of place", d.Name, i, c.Start, c.End)
		}
		if d.Pages > 0 && (c.PageStart < 1 || c.PageEnd < c.PageStart || c.PageEnd > d.Pages) {
			e.t.Fatalf("%s: passage %d on pages %d–%d of %d", d.Name, i, c.PageStart, c.PageEnd, d.Pages)
		}
		b.WriteString(c.Text)
	}
	if b.String() != text || d.Chunks != len(cs) || (len(text) > 0 && len(cs) == 0) {
		e.t.Fatalf("%s: %d passages do not cover the %d-byte text", d.Name, len(cs), len(text))
	}
}

func (e *env) mustFind(d store.Document, word string) {
	e.t.Helper()
	hits, err := e.st.SearchChunks(context.Background(), d.ID, word, 3)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(hits) == 0 || !strings.Contains(strings.ToLower(hits[0].Text), strings.ToLower(word)) {
		e.t.Errorf("%s: searching %q finds %d passages", d.Name, word, len(hits))
	}
}

// corpus returns ../shared/corpus beside the checkout, or skips.
func corpus(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	for err == nil {
		if _, statErr := os.Stat(filepath.Join(dir, "go.mod")); statErr == nil {
			p := filepath.Join(dir, "..", "shared", "corpus")
			if _, err = os.Stat(p); err == nil {
				return p
			}
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	t.Skipf("skipping: ../shared/corpus is not beside the checkout (%v); the generated files still cover every format", err)
	return ""
}

func TestIngestCorpus(t *testing.T) {
	dir := corpus(t)
	want := []struct {
		name, format string
		pages        int
		word         string
	}{
		{"R-intro.pdf", "pdf", 113, "regression"},
		{"asymptote-refcard.pdf", "pdf", 3, "asymptote"},
		{"bash-manpage.pdf", "pdf", 87, "readline"},
		{"debian-reference-ch07.epub", "epub", 0, "debian"},
		{"debian-reference-ch10.html", "html", 0, "backup"},
		{"debian-reference-part.txt", "text", 0, "debian"},
		{"zsh-expansion.docx", "docx", 0, "expansion"},
		{"zsh-expansion.odt", "odt", 0, "expansion"},
		{"zsh-invocation.md", "markdown", 0, "zsh"},
		{"zsh-redirection.html", "html", 0, "redirection"},
	}
	e := newEnv(t)
	var paths []string
	for _, w := range want {
		paths = append(paths, filepath.Join(dir, w.name))
	}
	out, _, err := e.ingest(context.Background(), nil, paths...)
	if err != nil || len(out.Failures) > 0 {
		t.Fatalf("err %v, failures %+v", err, out.Failures)
	}
	for i, w := range want {
		d := out.Documents[i]
		t.Logf("%s: %q, %d bytes, %d pages, %d passages", d.Name, d.Title, d.SizeBytes, d.Pages, d.Chunks)
		if d.Name != w.name || d.Format != w.format || d.Pages != w.pages || d.Title == "" {
			t.Errorf("%s: got %s %q with %d pages, want %s with %d", w.name, d.Format, d.Title, d.Pages, w.format, w.pages)
		}
		e.checkDocument(d)
		e.mustFind(d, w.word)
	}
	e.checkClean()
}

func TestIngestFormats(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, format, title, word string
		data                      []byte
		pages                     int
	}{
		{"keeper.docx", "docx", "The Keeper", "quillonx", docxFile(t, "quillonx"), 0},
		{"keeper.odt", "odt", "The Keeper", "quillodt", odtFile(t, "quillodt"), 0},
		{"keeper.epub", "epub", "Keeper's Log", "quillepub", epubFile(t, "quillepub"), 0},
		{"keeper.html", "html", "Keeper's Log", "quillhtml", htmlFile("quillhtml"), 0},
		{"keeper.md", "markdown", "The Keeper", "quillmd", markdownFile("quillmd"), 0},
		{"keeper notes.txt", "text", "keeper notes", "quilltxt", textFile("quilltxt"), 0},
		{"keeper.rtf", "rtf", "Keeper's Log", "quillrtf", rtfFile("quillrtf"), 0},
		{"keeper.pdf", "pdf", "", "quillpdf", pdfBytes(t, pdfSpec{pages: 4, word: "quillpdf"}), 4},
	}
	var paths []string
	for _, c := range cases {
		paths = append(paths, e.write(c.name, c.data))
	}
	out, rec, err := e.ingest(context.Background(), nil, paths...)
	if err != nil || len(out.Failures) > 0 || len(out.Documents) != len(cases) {
		t.Fatalf("err %v, failures %+v, %d documents", err, out.Failures, len(out.Documents))
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := out.Documents[i]
			if d.Name != c.name || d.Format != c.format || d.Pages != c.pages || d.SizeBytes != int64(len(c.data)) ||
				(c.title != "" && d.Title != c.title) || d.Title == "" {
				t.Errorf("got %+v", d)
			}
			if got, want := rec.phases(paths[i]), []string{"reading", "extracting", "indexing", "done"}; !slices.Equal(got, want) {
				t.Errorf("phases %q, want %q", got, want)
			}
			e.checkDocument(d)
			e.mustFind(d, c.word)
		})
	}
	e.checkClean()
}

func TestIngestDuplicate(t *testing.T) {
	e := newEnv(t)
	data := markdownFile("twinword")
	a, b := e.write("a.md", data), e.write("copy of a.md", data)
	out, rec, err := e.ingest(context.Background(), nil, a, b)
	if err != nil || len(out.Documents) != 2 || out.Documents[0].ID != out.Documents[1].ID {
		t.Fatalf("err %v, documents %+v", err, out.Documents)
	}
	if got := rec.phases(b); !slices.Equal(got, []string{"reading", "done"}) {
		t.Errorf("the copy went through %q, want reading then done (no extraction)", got)
	}
	for _, ev := range rec.events {
		if ev.Phase == PhaseDone && ev.Duplicate != (ev.File == b) {
			t.Errorf("%s: duplicate = %v", ev.File, ev.Duplicate)
		}
	}
	// Again, later: both are duplicates now.
	out, _, err = e.ingest(context.Background(), nil, b)
	if ds, _ := e.st.ListDocuments(context.Background()); err != nil || len(ds) != 1 || out.Documents[0].Name != "a.md" {
		t.Fatalf("err %v, %d documents stored, got %+v", err, len(ds), out.Documents)
	}
	e.checkClean()
}

func TestIngestFolder(t *testing.T) {
	e := newEnv(t)
	e.write("notes.md", markdownFile("foldermd"))
	e.write("b.txt", textFile("foldertxt"))
	e.write("deeper/c.html", htmlFile("folderhtml"))
	e.write("deeper/deepest/d.pdf", pdfBytes(t, pdfSpec{pages: 2}))
	e.write("deeper/README", textFile("noextension"))
	e.write("deeper/picture.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	e.write("deeper/data.xyz", []byte{0, 1, 2, 3})
	e.write(".hidden/e.md", markdownFile("hidden"))
	e.write(".f.txt", textFile("hidden"))
	if runtime.GOOS != "windows" {
		if err := os.Symlink("..", filepath.Join(e.in, "deeper", "loop")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(e.in, "b.txt"), filepath.Join(e.in, "link to b.txt")); err != nil {
			t.Fatal(err)
		}
	}
	out, _, err := e.ingest(context.Background(), nil, e.in)
	if err != nil || len(out.Failures) > 0 {
		t.Fatalf("err %v, failures %+v", err, out.Failures)
	}
	var names []string
	for _, d := range out.Documents {
		names = append(names, d.Name)
	}
	sort.Strings(names)
	if want := []string{"README", "b.txt", "c.html", "d.pdf", "notes.md"}; !slices.Equal(names, want) {
		t.Errorf("documents %q, want %q", names, want)
	}
	e.checkClean()
}

func TestIngestFailures(t *testing.T) {
	type file struct {
		name string
		data []byte
	}
	good := file{"good.md", markdownFile("goodword")}
	pdf := pdfBytes(t, pdfSpec{pages: 3})
	cases := []struct {
		name  string
		files []file
		named []string // paths to ingest (default: the files)
		want  map[string]string
	}{
		{name: "unsupported file named directly", files: []file{{"data.xyz", []byte("some bytes")}, good},
			want: map[string]string{"data.xyz": "Chapel can't read .xyz files yet"}},
		{name: "empty file", files: []file{{"empty.txt", nil}, good},
			want: map[string]string{"empty.txt": "the file is empty"}},
		{name: "truncated PDF", files: []file{{"cut.pdf", pdf[:120]}, good},
			want: map[string]string{"cut.pdf": "this PDF is damaged or incomplete"}},
		{name: "encrypted PDF", files: []file{{"locked.pdf", pdfBytes(t, pdfSpec{pages: 1, encrypted: true})}, good},
			want: map[string]string{"locked.pdf": "this PDF is password-protected"}},
		{name: "missing file", files: []file{good}, named: []string{"gone.pdf", "good.md"},
			want: map[string]string{"gone.pdf": "the file was not found; it may have been moved or deleted"}},
		{name: "folder with nothing to read", files: []file{{"pics/a.png", []byte("\x89PNG\r\n\x1a\n")}, good}, named: []string{"pics", "good.md"},
			want: map[string]string{"pics": "this folder holds no documents Chapel can read"}},
		{name: "scanned PDF", files: []file{{"scan.pdf", pdfBytes(t, pdfSpec{pages: 2, lines: -1, imageBytes: 100})}, good},
			want: map[string]string{"scan.pdf": "this PDF has no text to read; its pages may be scanned images"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			var paths []string
			for _, f := range c.files {
				paths = append(paths, e.write(f.name, f.data))
			}
			if c.named != nil {
				paths = paths[:0]
				for _, n := range c.named {
					paths = append(paths, filepath.Join(e.in, n))
				}
			}
			out, _, err := e.ingest(context.Background(), nil, paths...)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, f := range out.Failures {
				got[filepath.Base(f.File)] = f.Error
			}
			if len(got) != len(c.want) {
				t.Errorf("failures %q, want %q", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s: %q, want %q", k, got[k], v)
				}
			}
			if len(out.Documents) != 1 || out.Documents[0].Name != "good.md" {
				t.Errorf("documents %+v, want good.md alone", out.Documents)
			}
			e.checkClean()
		})
	}
}

func TestIngestPermissionDenied(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("file modes do not stop this user from reading")
	}
	e := newEnv(t)
	p := e.write("secret.md", markdownFile("secret"))
	if err := os.Chmod(p, 0); err != nil {
		t.Fatal(err)
	}
	e.write("locked/a.md", markdownFile("locked"))
	locked := filepath.Join(e.in, "locked")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	out, _, _ := e.ingest(context.Background(), nil, p, locked)
	if len(out.Failures) != 2 || out.Failures[0].Error != "Chapel isn't allowed to read this file" ||
		out.Failures[1].Error != "Chapel isn't allowed to open this folder" {
		t.Errorf("failures %+v", out.Failures)
	}
}

// TestIngestVanishedFile deletes a file after the folder is listed, before
// it is read.
func TestIngestVanishedFile(t *testing.T) {
	e := newEnv(t)
	a := e.write("a.md", markdownFile("first"))
	b := e.write("b.md", markdownFile("second"))
	c := e.write("c.md", markdownFile("third"))
	var once sync.Once
	out, _, err := e.ingest(context.Background(), func(ev Event) {
		if ev.File == a {
			once.Do(func() { os.Remove(b) })
		}
	}, e.in)
	if err != nil || len(out.Documents) != 2 || out.Documents[1].Name != "c.md" {
		t.Fatalf("err %v, documents %+v", err, out.Documents)
	}
	if len(out.Failures) != 1 || out.Failures[0].File != b || out.Failures[0].Error != "the file was not found; it may have been moved or deleted" {
		t.Errorf("failures %+v", out.Failures)
	}
	_ = c
	e.checkClean()
}

// TestIngestCancel cancels while a file is read and while a PDF is
// extracted: the rest is reported canceled and nothing half-added stays.
func TestIngestCancel(t *testing.T) {
	for _, at := range []string{PhaseReading, PhaseExtracting, PhaseIndexing} {
		t.Run(at, func(t *testing.T) {
			e := newEnv(t)
			first := e.write("first.md", markdownFile("first"))
			big := filepath.Join(e.in, "big.pdf")
			writePDFFile(t, big, pdfSpec{pages: 400, imageBytes: 20000, word: "bigword"})
			last := e.write("last.md", markdownFile("last"))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var canceledAt time.Time
			out, rec, err := e.ingest(ctx, func(ev Event) {
				if ev.File == big && ev.Phase == at && (at != PhaseExtracting || ev.PagesDone > 0) && canceledAt.IsZero() {
					canceledAt = time.Now()
					cancel()
				}
			}, first, big, last)
			took := time.Since(canceledAt)
			if apperr.CodeOf(err) != apperr.Canceled || !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want canceled", err)
			}
			if took > time.Second {
				t.Errorf("stopping took %v", took)
			}
			t.Logf("stopped %v after the cancel", took)
			if len(out.Documents) != 1 || out.Documents[0].Name != "first.md" || len(out.Failures) != 0 {
				t.Errorf("documents %+v, failures %+v", out.Documents, out.Failures)
			}
			for _, f := range []string{big, last} {
				if ph := rec.phases(f); ph[len(ph)-1] != PhaseCanceled {
					t.Errorf("%s: phases %q, want canceled last", f, ph)
				}
			}
			ds, _ := e.st.ListDocuments(context.Background())
			if len(ds) != 1 {
				t.Errorf("%d documents stored, want 1", len(ds))
			}
			e.checkClean()
		})
	}
}

func TestMessages(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{writeError(&fs.PathError{Op: "write", Path: "/d/x", Err: syscall.ENOSPC}), "the disk is full; free some space and add the file again"},
		{openError(&fs.PathError{Op: "open", Path: "/d/x", Err: syscall.ENOENT}), "the file was not found; it may have been moved or deleted"},
		{openError(&fs.PathError{Op: "open", Path: "/d/x", Err: syscall.EACCES}), "Chapel isn't allowed to read this file"},
		{folderError(&fs.PathError{Op: "open", Path: "/d", Err: syscall.EACCES}), "Chapel isn't allowed to open this folder"},
		{context.Canceled, "adding the file was stopped"},
		{errors.New("boom"), "something went wrong inside Chapel while adding the file; the details are in the log"},
	} {
		if got := message(c.err); got != c.want {
			t.Errorf("%v: %q, want %q", c.err, got, c.want)
		}
	}
}
