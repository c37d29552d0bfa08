package documents

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/ingest"
	"github.com/chapelapp/chapel/backend/store"
	"github.com/chapelapp/chapel/backend/summarize"
)

// fixture is a store with one document added by the real ingest from a
// Markdown file of two sections, and the Service over them.
type fixture struct {
	st   *store.Store
	docs *Service
	dir  string // the ingest's documents folder
	doc  store.Document
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	tmp := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(tmp, "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var md strings.Builder
	for _, title := range []string{"Setup", "Usage"} {
		md.WriteString("# " + title + "\n\n")
		for i := range 12 {
			md.WriteString(strings.Repeat("The "+strings.ToLower(title)+" step "+string(rune('a'+i))+" is written out in full. ", 12) + "\n\n")
		}
	}
	file := filepath.Join(tmp, "guide.md")
	if err := os.WriteFile(file, []byte(md.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "documents")
	in := ingest.New(st, dir, nil)
	out, err := in.Ingest(ctx, []string{file}, nil)
	if err != nil || len(out.Documents) != 1 {
		t.Fatalf("ingest: %+v, %v", out, err)
	}
	return fixture{st: st, docs: New(st, summarize.New(st, nil, nil), in), dir: dir, doc: out.Documents[0]}
}

func TestPassage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	chunks, err := f.st.Chunks(ctx, f.doc.ID, 0, -1)
	if err != nil || len(chunks) < 4 {
		t.Fatalf("%d chunks, %v", len(chunks), err)
	}
	p, err := f.docs.Passage(ctx, f.doc.ID, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if p.Text != chunks[1].Text+chunks[2].Text || p.FirstChunk != 1 || p.LastChunk != 2 || p.Section != chunks[1].Section {
		t.Errorf("%+v", p)
	}
	cases := []struct {
		name        string
		id          int64
		first, last int
		code        apperr.Code
	}{
		{"backwards", f.doc.ID, 2, 1, apperr.Invalid},
		{"negative", f.doc.ID, -1, 1, apperr.Invalid},
		{"past the end", f.doc.ID, 500, 600, apperr.NotFound},
		{"no document", 999, 0, 1, apperr.NotFound},
	}
	for _, c := range cases {
		if _, err := f.docs.Passage(ctx, c.id, c.first, c.last); apperr.CodeOf(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}

	// A citation marker stands for the chunks of its section.
	var usage []int
	for _, c := range chunks {
		if c.Section == "Usage" {
			usage = append(usage, c.Ord)
		}
	}
	if len(usage) == 0 {
		t.Fatal("no chunk in the Usage section")
	}
	p, err = f.docs.PassageFor(ctx, f.doc.ID, "[§ Usage]")
	if err != nil || p.FirstChunk != usage[0] || p.LastChunk != usage[len(usage)-1] {
		t.Errorf("[§ Usage]: %+v, %v; want chunks %v", p, err, usage)
	}
	if _, err := f.docs.PassageFor(ctx, f.doc.ID, "[§ Nowhere]"); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("[§ Nowhere]: %v", err)
	}
}

func TestPageBreaks(t *testing.T) {
	cases := []struct {
		text  string
		first int
		want  string
	}{
		{"one page", 4, "one page"},
		{"end of four\fall of five\fstart of six", 4, "end of four\n\n— page 5 —\n\nall of five\n\n— page 6 —\n\nstart of six"},
		{"no pages\fat all", 0, "no pages\n\nat all"},
	}
	for _, c := range cases {
		if got := pageBreaks(c.text, c.first); got != c.want {
			t.Errorf("pageBreaks(%q, %d) = %q, want %q", c.text, c.first, got, c.want)
		}
	}
}

func TestDetailAndDelete(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d, err := f.docs.Detail(ctx, f.doc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Document.ID != f.doc.ID || len(d.Sections) != 2 || d.Sections[0].Title != "Setup" || d.Sections[1].Title != "Usage" ||
		d.Summaries == nil || len(d.Summaries) != 0 {
		t.Errorf("%+v", d)
	}
	blob := filepath.Join(f.dir, f.doc.Blake3[:2], f.doc.Blake3)
	if _, err := os.Stat(blob); err != nil {
		t.Fatalf("the stored copy is not where expected: %v", err)
	}
	if err := f.docs.Delete(ctx, f.doc.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.GetDocument(ctx, f.doc.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("document still there: %v", err)
	}
	if _, err := os.Stat(blob); !os.IsNotExist(err) {
		t.Errorf("stored copy still there: %v", err)
	}
	if err := f.docs.Delete(ctx, f.doc.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("deleting twice: %v", err)
	}
}
