package docs

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// TestTextRefusals: a file named as text that holds binary data (a program
// renamed .txt) is refused as not text, by Admit before it is copied and
// by Extract; a file whose text is only blanks or zeros is refused for
// having no text. Text in UTF-16, in an 8-bit code page or with a stray
// control byte is still read.
func TestTextRefusals(t *testing.T) {
	exe, err := os.Executable() // this test binary: a real program
	if err != nil {
		t.Fatal(err)
	}
	program, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	noise := make([]byte, 8192)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(rng.UintN(256))
	}
	utf16le := func(s string) []byte {
		var b []byte
		for _, r := range s {
			b = append(b, byte(r), byte(r>>8))
		}
		return b
	}
	cases := []struct {
		name  string
		file  string
		data  []byte
		kind  Kind // 0: read
		admit Kind // what Admit says from the first kilobyte (0: admitted)
		want  string
	}{
		{"program named .txt", "ls.txt", program, Binary, Binary, "this file does not look like text (it holds binary data)"},
		{"program named .md", "ls.md", program, Binary, Binary, "does not look like text"},
		{"random bytes", "noise.txt", noise, Binary, Binary, "does not look like text"},
		{"zeros", "zeros.txt", make([]byte, 1<<20), NoText, 0, "this file has no text to read"},
		{"blank lines", "blank.txt", []byte(strings.Repeat(" \n\t\r\n", 5000)), NoText, 0, "no text"},
		{"control bytes only", "ctl.txt", bytes.Repeat([]byte{1, 2, 3}, 10), Binary, Binary, "does not look like text"},
		{"markdown of blanks", "empty.md", []byte("\n\n   \n"), NoText, 0, "no text"},
		{"html without text", "empty.html", []byte("<html><body><p> </p></body></html>"), NoText, 0, "no text"},
		{"utf-16 without a bom", "notes.txt", utf16le(strings.Repeat("Plain words in UTF-16. ", 40)), 0, 0, "Plain words"},
		{"windows-1251", "ru.txt", bytes.Repeat([]byte("\xcf\xf0\xe8\xe2\xe5\xf2 \xec\xe8\xf0. "), 100), 0, 0, "."},
		{"text padded with zeros", "pre.txt", append([]byte("Some text before the padding.\n"), make([]byte, 8192)...), 0, 0, "Some text before"},
		{"a stray nul", "log.txt", []byte(strings.Repeat("a line of log\n", 60) + "\x00" + "end\n"), 0, 0, "end"},
		{"man page overstrike", "man.txt", bytes.Repeat([]byte("N\bNA\bAM\bME\bE\n  ls - list\n\x1b[1mbold\x1b[0m\n"), 30), 0, 0, "list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := extractBytes(c.data, c.file)
			switch {
			case c.kind == 0 && err != nil:
				t.Fatalf("Extract: %v", err)
			case c.kind == 0 && !strings.Contains(doc.Text, c.want):
				t.Errorf("text %.80q lacks %q", doc.Text, c.want)
			case c.kind != 0 && (KindOf(err) != c.kind || err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("Extract: %v (kind %d), want kind %d saying %q", err, KindOf(err), c.kind, c.want)
			}
			_, err = Admit(c.file, c.data[:min(len(c.data), 1024)], int64(len(c.data)), DefaultLimits())
			if KindOf(err) != c.admit {
				t.Errorf("Admit: %v (kind %d), want kind %d", err, KindOf(err), c.admit)
			}
		})
	}
	// Without an extension a program was refused already, as a kind of
	// file Chapel does not read.
	var ue *UnsupportedError
	if _, err := extractBytes(program, "ls"); !errors.As(err, &ue) {
		t.Errorf("ls: %v, want an *UnsupportedError", err)
	}
}

// TestPagesWarning: a PDF cut short is said to be damaged, with the pages
// that could be read; a complete one has no warning.
func TestPagesWarning(t *testing.T) {
	cases := []struct {
		pages, announced int
		lost             bool
		want             string
	}{
		{113, 113, false, ""},
		{5, 0, false, ""},
		{31, 0, true, "this PDF is damaged or cut short: its list of pages is missing, so only the 31 pages found could be read"},
		{1, 0, true, "only the 1 page found"},
		{31, 113, false, "this PDF is damaged or cut short: only 31 of the 113 pages it announces could be read"},
		{31, 113, true, "only 31 of the 113 pages"},
	}
	for _, c := range cases {
		if got := PagesWarning(c.pages, c.announced, c.lost); got != c.want && (c.want == "" || !strings.Contains(got, c.want)) {
			t.Errorf("PagesWarning(%d, %d, %v) = %q, want %q", c.pages, c.announced, c.lost, got, c.want)
		}
	}
}

// TestDocumentJSONKeys: `chapel extract --json` writes snake_case keys, as
// every other command does (it wrote Go's field names: Format, PagesLost).
func TestDocumentJSONKeys(t *testing.T) {
	doc := mustExtract(t, []byte("# Title\n\nSome text.\n"), "a.md")
	doc.Pages = []Page{{Number: 1, Start: 0, End: 3}}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"format", "title", "text", "pages", "sections", "paragraphs", "pages_announced", "pages_lost"} {
		if _, ok := top[k]; !ok {
			t.Errorf("no key %q in %s", k, b)
		}
	}
	for _, nested := range []string{`"number":1`, `"start":0`, `"end":`, `"level":1`} {
		if !bytes.Contains(b, []byte(nested)) {
			t.Errorf("no %s in %s", nested, b)
		}
	}
	for k := range top {
		if strings.ToLower(k) != k {
			t.Errorf("a Go-style key %q in %s", k, b)
		}
	}
}
