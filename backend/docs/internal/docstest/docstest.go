// Package docstest holds what the document readers' tests share: the
// invariants every extracted Document keeps, the bounded run the fuzz
// tests put each input through, the shared corpus beside the checkout,
// a bag-of-words score against a reference text, and the heap measures
// and streamed filler the bomb tests use. Only tests import it.
package docstest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// Check verifies the invariants every Document keeps: paragraphs, sections
// and pages in order and inside the text, sections at level 1 or deeper,
// pages numbered from 1.
func Check(t testing.TB, d *doctext.Document) {
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

// Extracted fails t when err, from extracting the file called name, is not
// nil; else it checks doc's invariants and returns it.
func Extracted(t testing.TB, name string, doc *doctext.Document, err error) *doctext.Document {
	t.Helper()
	if err != nil {
		t.Fatalf("Extract(%s): %v", name, err)
	}
	Check(t, doc)
	return doc
}

// Paragraphs returns the text of each of d's paragraphs.
func Paragraphs(d *doctext.Document) []string {
	var out []string
	for _, p := range d.Paragraphs {
		out = append(out, d.Text[p.Start:p.End])
	}
	return out
}

// FuzzLimits are the limits fuzz inputs are read under: small, so that one
// input costs little.
func FuzzLimits() doctext.Limits {
	lim := doctext.DefaultLimits()
	lim.MaxInflated = 16 << 20
	lim.MaxPages = 100
	return lim
}

// Fuzz runs extract on the fuzz input called name: any error is fine
// except a caught panic (an Internal error), and a success must keep the
// Document's invariants. An extraction taking more than 10 s fails.
func Fuzz(t *testing.T, name string, extract func() (*doctext.Document, error)) {
	var doc *doctext.Document
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		doc, err = extract()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: extraction takes more than 10 s", name)
	}
	if doctext.KindOf(err) == doctext.Internal {
		t.Fatalf("%s: %v", err, errors.Unwrap(err))
	}
	if err == nil {
		Check(t, doc)
	}
}

// CorpusFile returns the path of a file of the shared corpus (../shared/corpus
// beside the checkout), or skips t when it is absent.
func CorpusFile(t testing.TB, name string) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Skipf("no go.mod above the test's folder (%v) to find the shared corpus beside; skipping", err)
	}
	p := filepath.Join(root, "..", "shared", "corpus", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared corpus file %s is absent (%v); skipping", p, err)
	}
	return p
}

// moduleRoot is the folder holding go.mod, found from the working
// directory (a test's is its package's folder) upwards.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", os.ErrNotExist
		}
		dir = up
	}
}

// ExtractFile opens the file at path and extracts it with extract, failing
// t on an error or a Document that breaks its invariants.
func ExtractFile(t testing.TB, path string, extract func(f *os.File, size int64) (*doctext.Document, error)) *doctext.Document {
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
	doc, err := extract(f, st.Size())
	if err != nil {
		t.Fatalf("%s: %v (%+v)", path, err, err)
	}
	Check(t, doc)
	return doc
}

// Tokens lowercases s and splits it on anything but letters and digits.
func Tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// BagScores returns recall (matched/reference) and precision
// (matched/ours) of two multisets of words.
func BagScores(ours, ref []string) (recall, precision float64, matched int) {
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
