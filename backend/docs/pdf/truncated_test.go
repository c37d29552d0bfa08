package pdf

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/docs/doctext"
	"github.com/chapelapp/chapel/backend/docs/internal/docstest"
	"github.com/chapelapp/chapel/backend/docs/pdfgen"
)

// A PDF cut short says how many pages it announces besides those read.
func TestPDFTruncatedAnnouncesPages(t *testing.T) {
	words := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}
	var pages []pdfgen.Page
	for i, w := range words {
		// Lines differ in length and place from page to page, so none reads as a running header.
		lines := []string{fmt.Sprintf("Text of page %s.", w)}
		for range i {
			lines = append([]string{""}, lines...)
		}
		lines = append(lines, strings.Repeat(w+" ", i+2))
		pages = append(pages, pdfgen.Page{Lines: lines})
	}
	g := pdfgen.Simple(pages...)
	whole := g.Bytes(1)
	// simplePDF writes each page's content then the page: objects 4+2i, 5+2i.
	cutAt := func(obj int) []byte {
		k := strings.Index(string(whole), fmt.Sprintf("\n%d 0 obj", obj))
		if k < 0 {
			t.Fatalf("object %d not in the file", obj)
		}
		return whole[:k+1]
	}
	cases := []struct {
		name           string
		data           []byte
		read, announce int
	}{
		{"whole", whole, 6, 6},
		{"cut after page 3", cutAt(4 + 2*3), 3, 6},
		{"cut after page 1", cutAt(4 + 2*1), 1, 6},
		{"xref stream, whole", g.Compact(1), 6, 6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := mustExtract(t, c.data, "cut.pdf")
			if len(doc.Pages) != c.read || doc.PagesAnnounced != c.announce || doc.PagesLost {
				t.Errorf("read %d pages announcing %d (tree lost %v), want %d of %d", len(doc.Pages), doc.PagesAnnounced, doc.PagesLost, c.read, c.announce)
			}
			if !strings.Contains(doc.Text, fmt.Sprintf("Text of page %s.", words[c.read-1])) {
				t.Errorf("text %q lacks the last page read", doc.Text)
			}
		})
	}

	// The page tree lost (its object gone): the pages found are read, and the
	// document says its tree is lost.
	lost := pdfgen.Simple(pages...)
	lost.Set(2, "null")
	doc := mustExtract(t, lost.Bytes(1), "lost.pdf")
	if !doc.PagesLost || doc.PagesAnnounced != 0 || len(doc.Pages) != len(words) {
		t.Errorf("tree lost: lost %v, announced %d, read %d", doc.PagesLost, doc.PagesAnnounced, len(doc.Pages))
	}

	// No /Count in the tree: nothing announced, nothing lost.
	noTree := pdfgen.Simple(pages[0])
	noTree.Set(2, "<< /Type /Pages /Kids [5 0 R] /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> >>")
	if doc := mustExtract(t, noTree.Bytes(1), "n.pdf"); doc.PagesAnnounced != 0 || doc.PagesLost || len(doc.Pages) != 1 {
		t.Errorf("no /Count: announced %d, read %d", doc.PagesAnnounced, len(doc.Pages))
	}
}

// R-intro cut short: its page tree sits in the last object stream, so a
// cut loses it; the document (or the message saying nothing could be read)
// says so.
func TestPDFTruncatedCorpus(t *testing.T) {
	data, err := os.ReadFile(docstest.CorpusFile(t, "R-intro.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	full := mustExtract(t, data, "R-intro.pdf")
	if full.PagesAnnounced != len(full.Pages) || full.PagesLost || len(full.Pages) < 50 {
		t.Fatalf("whole file: %d pages read, %d announced, tree lost %v", len(full.Pages), full.PagesAnnounced, full.PagesLost)
	}
	for _, frac := range []int{3, 10, 50, 90} {
		t.Run(fmt.Sprintf("%d%%", frac), func(t *testing.T) {
			cut := data[:len(data)*frac/100]
			doc, err := extractBytes(cut)
			var e *doctext.Error
			switch {
			case err == nil:
				if len(doc.Pages) >= len(full.Pages) || !doc.PagesLost && doc.PagesAnnounced != len(full.Pages) {
					t.Errorf("read %d pages, announced %d, tree lost %v; the whole file has %d", len(doc.Pages), doc.PagesAnnounced, doc.PagesLost, len(full.Pages))
				}
				t.Logf("read %d pages, announced %d, tree lost %v", len(doc.Pages), doc.PagesAnnounced, doc.PagesLost)
			case errors.As(err, &e) && e.Kind == doctext.NoText:
				if !strings.Contains(e.Msg, "cut short") {
					t.Errorf("message %q does not say the file may be cut short", e.Msg)
				}
				t.Logf("%v", err)
			default:
				t.Errorf("Extract: %v", err)
			}
		})
	}
}
