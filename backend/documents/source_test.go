package documents

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/docs/pdfgen"
	"github.com/chapelapp/chapel/backend/ingest"
	"github.com/chapelapp/chapel/backend/store"
)

// testPDF writes a PDF of one page per entry of pages, each a list of lines
// in the standard Helvetica font.
func testPDF(pages [][]string) []byte {
	var ps []pdfgen.Page
	for _, lines := range pages {
		ps = append(ps, pdfgen.Page{Lines: lines})
	}
	return pdfgen.Simple(ps...).Bytes(1)
}

// addFile ingests a file of the given bytes into f's store and folder.
func (f fixture) addFile(t *testing.T, name string, data []byte) store.Document {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := ingest.New(f.st, f.dir, nil).Ingest(context.Background(), []string{path}, nil)
	if err != nil || len(out.Documents) != 1 {
		t.Fatalf("ingest %s: %+v, %v", name, out, err)
	}
	return out.Documents[0]
}

func TestSourceText(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	chunks, err := f.st.Chunks(ctx, f.doc.ID, 0, -1)
	if err != nil || len(chunks) < 6 {
		t.Fatalf("%d chunks, %v", len(chunks), err)
	}
	src := NewSources(f.st, ingest.New(f.st, f.dir, nil))
	n := len(chunks)
	cases := []struct {
		name                  string
		first, last           int
		moreBefore, moreAfter bool
	}{
		{"the first passage", 0, 0, false, true},
		{"a passage inside", 4, 4, true, true},
		{"two passages", 2, 3, false, true},
		{"the last passage", n - 1, n - 1, true, false},
	}
	for _, c := range cases {
		s, err := src.Source(ctx, f.doc.ID, c.first, c.last)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var want strings.Builder
		for _, ch := range chunks[c.first : c.last+1] {
			want.WriteString(ch.Text)
		}
		if s.Format != "markdown" || s.File != nil || len(s.Pages) != 0 || s.Text != want.String() || s.FirstChunk != c.first || s.LastChunk != c.last {
			t.Errorf("%s: format %q file %v pages %v chunks %d..%d text %q", c.name, s.Format, s.File, s.Pages, s.FirstChunk, s.LastChunk, s.Text)
		}
		if s.MoreBefore != c.moreBefore || s.MoreAfter != c.moreAfter {
			t.Errorf("%s: more before %v after %v, want %v %v", c.name, s.MoreBefore, s.MoreAfter, c.moreBefore, c.moreAfter)
		}
		// The text around is the text next to the passage, bounded.
		var before strings.Builder
		for _, ch := range chunks[:c.first] {
			before.WriteString(ch.Text)
		}
		if c.first > 0 && (s.Before == "" || !strings.HasSuffix(before.String(), s.Before) || len(s.Before) > contextBytes) {
			t.Errorf("%s: before %q", c.name, s.Before)
		}
		var after strings.Builder
		for _, ch := range chunks[min(c.last+1, n):] {
			after.WriteString(ch.Text)
		}
		if c.last < n-1 && (s.After == "" || !strings.HasPrefix(after.String(), s.After) || len(s.After) > contextBytes) {
			t.Errorf("%s: after %q", c.name, s.After)
		}
	}
	for _, c := range []struct {
		name        string
		id          int64
		first, last int
		code        apperr.Code
	}{
		{"backwards", f.doc.ID, 3, 2, apperr.Invalid},
		{"negative", f.doc.ID, -1, 0, apperr.Invalid},
		{"past the end", f.doc.ID, n + 5, n + 6, apperr.NotFound},
		{"no document", 999, 0, 0, apperr.NotFound},
	} {
		if _, err := src.Source(ctx, c.id, c.first, c.last); apperr.CodeOf(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
}

func TestSourcePDF(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	data := testPDF([][]string{
		{"Page one is about wheat.", "The wheat harvest was large."},
		{"Page two is about cattle.", "The herd grew to ninety cows."},
		{"Page three is about rain."},
	})
	doc := f.addFile(t, "farm.pdf", data)
	stored := ingest.New(f.st, f.dir, nil)
	src := NewSources(f.st, stored)
	chunks, err := f.st.Chunks(ctx, doc.ID, 0, -1)
	if err != nil || len(chunks) == 0 {
		t.Fatalf("%d chunks, %v", len(chunks), err)
	}
	s, err := src.Source(ctx, doc.ID, 0, len(chunks)-1)
	if err != nil {
		t.Fatal(err)
	}
	if s.File == nil || !s.File.Available || s.File.Size != int64(len(data)) || s.File.URL != fmt.Sprintf("%s%d", FileURLPrefix, doc.ID) {
		t.Fatalf("file %+v", s.File)
	}
	// Each page's part of the passage, in order, for the window to find on the page.
	wantPages := []struct {
		page int
		word string
	}{{1, "wheat"}, {2, "cattle"}, {3, "rain"}}
	if len(s.Pages) != len(wantPages) {
		t.Fatalf("pages %+v", s.Pages)
	}
	for i, w := range wantPages {
		if s.Pages[i].Page != w.page || !strings.Contains(s.Pages[i].Text, w.word) || strings.Contains(s.Pages[i].Text, "\f") {
			t.Errorf("page part %d: %+v, want page %d with %q", i, s.Pages[i], w.page, w.word)
		}
	}
	if strings.Contains(s.Text, "\f") {
		t.Errorf("text %q keeps form feeds", s.Text)
	}

	// Parts of the stored file, as the window reads them.
	size := int64(len(data))
	for _, c := range []struct {
		name       string
		id         int64
		start, end int64
		want       []byte
		code       apperr.Code
	}{
		{"the start", doc.ID, 0, 100, data[:100], ""},
		{"the middle", doc.ID, 100, 250, data[100:250], ""},
		{"past the end is cut", doc.ID, size - 10, size + 1000, data[size-10:], ""},
		{"the whole", doc.ID, 0, size, data, ""},
		{"backwards", doc.ID, 50, 10, nil, apperr.Invalid},
		{"empty", doc.ID, 10, 10, nil, apperr.Invalid},
		{"negative", doc.ID, -1, 10, nil, apperr.Invalid},
		{"too long", doc.ID, 0, MaxRangeBytes + 1, nil, apperr.Invalid},
		{"after the end", doc.ID, size, size + 10, nil, apperr.Invalid},
		{"not a PDF", f.doc.ID, 0, 10, nil, apperr.NotFound},
		{"no document", 999, 0, 10, nil, apperr.NotFound},
	} {
		p, err := src.Open(ctx, c.id, c.start, c.end)
		if c.code != "" {
			if apperr.CodeOf(err) != c.code {
				t.Errorf("%s: %v, want %s", c.name, err, c.code)
			}
			if p != nil {
				p.Close()
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		got, err := io.ReadAll(p)
		p.Close()
		if err != nil || !bytes.Equal(got, c.want) || p.Size != size {
			t.Errorf("%s: %d bytes (%v), size %d; want %d bytes of %d", c.name, len(got), err, p.Size, len(c.want), size)
		}
	}

	// The stored copy changed, then gone: the page cannot be shown, and says why; the text still is.
	path := filepath.Join(f.dir, doc.Blake3[:2], doc.Blake3)
	if err := os.WriteFile(path, data[:len(data)-1], 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		change func() error
		reason string
	}{
		{"changed", func() error { return nil }, "has changed"},
		{"deleted", func() error { return os.Remove(path) }, "no longer in its documents folder"},
	} {
		if err := c.change(); err != nil {
			t.Fatal(err)
		}
		s, err := src.Source(ctx, doc.ID, 0, 0)
		if err != nil || s.File == nil || s.File.Available || s.File.URL != "" || !strings.Contains(s.File.Reason, c.reason) || s.Text == "" {
			t.Errorf("%s: %+v, %v", c.name, s.File, err)
		}
		if _, err := src.Open(ctx, doc.ID, 0, 10); apperr.CodeOf(err) != apperr.NotFound || !strings.Contains(apperr.Message(err), c.reason) {
			t.Errorf("%s: open: %v", c.name, err)
		}
	}
}

func TestHeadTail(t *testing.T) {
	long := strings.Repeat("word ", 20) // 100 bytes
	cases := []struct {
		name    string
		fn      func(string, int) (string, bool)
		s       string
		n       int
		want    string
		wantCut bool
	}{
		{"head, short", head, "a few words", 50, "a few words", false},
		{"tail, short", tail, "a few words", 50, "a few words", false},
		{"head cuts at a space", head, long, 12, "word word", true},
		{"tail starts after a space", tail, long, 12, "word word ", true},
		{"head keeps whole runes", head, "ééééé", 3, "é", true},
		{"tail keeps whole runes", tail, "ééééé", 3, "é", true},
	}
	for _, c := range cases {
		got, cut := c.fn(c.s, c.n)
		if got != c.want || cut != c.wantCut {
			t.Errorf("%s: %q, %v; want %q, %v", c.name, got, cut, c.want, c.wantCut)
		}
	}
}
