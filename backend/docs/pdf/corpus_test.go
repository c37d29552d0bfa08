package pdf

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/docs/doctext"
	"github.com/chapelapp/chapel/backend/docs/internal/docstest"
)

// extractFile reads a PDF file under the default limits, failing t on an
// error or a broken Document.
func extractFile(t testing.TB, path string) *doctext.Document {
	t.Helper()
	return docstest.ExtractFile(t, path, func(f *os.File, size int64) (*doctext.Document, error) {
		return Extract(context.Background(), f, size, doctext.DefaultLimits())
	})
}

// TestPDFQuality measures each corpus PDF against pdftotext's output:
// bag-of-words recall and precision, and the page count.
func TestPDFQuality(t *testing.T) {
	for _, name := range []string{"R-intro", "asymptote-refcard", "bash-manpage"} {
		t.Run(name, func(t *testing.T) {
			doc := extractFile(t, docstest.CorpusFile(t, name+".pdf"))
			refBytes, err := os.ReadFile(docstest.CorpusFile(t, "reference/"+name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			ref := string(refBytes)
			refPages := strings.Count(ref, "\f")
			recall, precision, _ := docstest.BagScores(docstest.Tokens(doc.Text), docstest.Tokens(ref))
			t.Logf("%s.pdf: recall %.2f%%, precision %.2f%%, pages %d (reference %d), sections %d, paragraphs %d",
				name, 100*recall, 100*precision, len(doc.Pages), refPages, len(doc.Sections), len(doc.Paragraphs))
			if recall < 0.97 || precision < 0.97 {
				t.Errorf("recall %.2f%% / precision %.2f%%: below the 97%% bar", 100*recall, 100*precision)
			}
			if len(doc.Pages) != refPages {
				t.Errorf("pages = %d, want %d", len(doc.Pages), refPages)
			}
			if got := strings.Count(doc.Text, "\f") + 1; got != len(doc.Pages) {
				t.Errorf("text has %d form-feed-separated pages, Pages has %d", got, len(doc.Pages))
			}
		})
	}
}
