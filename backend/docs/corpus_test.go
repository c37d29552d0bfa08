package docs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// corpusDir is the shared corpus, relative to this package.
const corpusDir = "../../../shared/corpus"

func corpusFile(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(corpusDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared corpus file %s is absent (%v); skipping", p, err)
	}
	return p
}

func extractFile(t testing.TB, path string) *Document {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Extract(context.Background(), f, st.Size(), path, DefaultLimits())
	if err != nil {
		t.Fatalf("%s: %v (%+v)", path, err, err)
	}
	checkDocument(t, doc)
	return doc
}

// tokens lowercases s and splits it on anything but letters and digits.
func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// bagScores returns recall (matched/reference) and precision
// (matched/ours) of two multisets of words.
func bagScores(ours, ref []string) (recall, precision float64, matched int) {
	count := map[string]int{}
	for _, w := range ref {
		count[w]++
	}
	for _, w := range ours {
		if count[w] > 0 {
			count[w]--
			matched++
		}
	}
	if len(ref) > 0 {
		recall = float64(matched) / float64(len(ref))
	}
	if len(ours) > 0 {
		precision = float64(matched) / float64(len(ours))
	}
	return recall, precision, matched
}

// TestPDFQuality measures each corpus PDF against pdftotext's output:
// bag-of-words recall and precision, and the page count.
func TestPDFQuality(t *testing.T) {
	for _, name := range []string{"R-intro", "asymptote-refcard", "bash-manpage"} {
		t.Run(name, func(t *testing.T) {
			doc := extractFile(t, corpusFile(t, name+".pdf"))
			refBytes, err := os.ReadFile(corpusFile(t, "reference/"+name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			ref := string(refBytes)
			refPages := strings.Count(ref, "\f")
			recall, precision, _ := bagScores(tokens(doc.Text), tokens(ref))
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

// checkDocument verifies the invariants every Document keeps.
func checkDocument(t testing.TB, d *Document) {
	t.Helper()
	n := len(d.Text)
	prev := 0
	for i, p := range d.Paragraphs {
		if p.Start < prev || p.End <= p.Start || p.End > n {
			t.Fatalf("paragraph %d %+v out of order or range (text %d bytes)", i, p, n)
		}
		prev = p.End
	}
	prev = 0
	for i, s := range d.Sections {
		if s.Start < prev || s.End < s.Start || s.End > n || s.Level < 1 {
			t.Fatalf("section %d %+v out of order or range", i, s)
		}
		prev = s.Start
	}
	prev = 0
	for i, p := range d.Pages {
		if p.Start < prev || p.End < p.Start || p.End > n || p.Number != i+1 {
			t.Fatalf("page %d %+v out of order or range", i, p)
		}
		prev = p.End
	}
}
