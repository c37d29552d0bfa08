package docs

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/docs/internal/docstest"
	"github.com/chapelapp/chapel/backend/docs/pdfgen"
)

// TestFormats extracts a generated fixture per format holding the same
// paragraphs and headings: every paragraph must appear once, in order, and
// the headings must be sections with the right levels.
func TestFormats(t *testing.T) {
	paras, headings := fixtureParas()
	spaceTabs := func(ss []string) []string { // HTML collapses white space
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = strings.ReplaceAll(s, "\t", " ")
		}
		return out
	}
	cases := []struct {
		name   string
		data   []byte
		format Format
		want   []string
	}{
		{"log.docx", docxFixture(), DOCX, append(append([]string{}, paras...), docxExtras...)},
		{"log.odt", odtFixture(), ODT, append(append([]string{}, paras...), odtExtras...)},
		{"log.epub", epubFixture(), EPUB, spaceTabs(paras)},
		{"log.html", htmlFixture(), HTML, append(spaceTabs(paras), htmlExtras...)},
		{"log.md", markdownFixture(), Markdown, append(append([]string{}, paras...), mdExtras...)},
		{"log.rtf", rtfFixture(), RTF, append(append([]string{}, paras...), rtfExtras...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := mustExtract(t, c.data, c.name)
			if doc.Format != c.format {
				t.Errorf("format = %q, want %q", doc.Format, c.format)
			}
			got := docstest.Paragraphs(doc)
			if strings.Join(got, "\n¶\n") != strings.Join(c.want, "\n¶\n") {
				t.Errorf("paragraphs:\n got %q\nwant %q", got, c.want)
			}
			if doc.Text != strings.Join(c.want, "\n\n") {
				t.Errorf("text = %q", doc.Text)
			}
			if len(doc.Sections) != len(headings) {
				t.Fatalf("sections = %+v, want %d", doc.Sections, len(headings))
			}
			for i, h := range headings {
				s := doc.Sections[i]
				if s.Title != h.Title || s.Level != h.Level || !strings.HasPrefix(doc.Text[s.Start:], h.Title) {
					t.Errorf("section %d = %+v (%q…), want %q level %d", i, s, doc.Text[s.Start:min(s.End, s.Start+20)], h.Title, h.Level)
				}
			}
			// Sections nest: the level-1 section runs to the end, the
			// level-2 and level-3 ones to the next level-2 heading.
			if doc.Sections[0].End != len(doc.Text) || doc.Sections[1].End != doc.Sections[3].Start-2 || doc.Sections[2].End != doc.Sections[3].Start-2 {
				t.Errorf("section ends: %+v", doc.Sections)
			}
			if doc.Title != "Keeper's Log" {
				t.Errorf("title = %q", doc.Title)
			}
			if len(doc.Pages) != 0 {
				t.Errorf("pages = %+v, want none", doc.Pages)
			}
		})
	}
}

func TestPlainTextEncodings(t *testing.T) {
	utf16 := func(s string, be bool) []byte {
		var out []byte
		for _, u := range s {
			if be {
				out = append(out, byte(u>>8), byte(u))
			} else {
				out = append(out, byte(u), byte(u>>8))
			}
		}
		return out
	}
	const text = "Première ligne\r\nsuite — fin.\r\n\r\n\r\nDeuxième paragraphe €."
	want := []string{"Première ligne\nsuite — fin.", "Deuxième paragraphe €."}
	cases := map[string][]byte{
		"utf-8":          []byte(text),
		"utf-8 bom":      append([]byte("\xef\xbb\xbf"), text...),
		"utf-16le bom":   append([]byte{0xFF, 0xFE}, utf16(text, false)...),
		"utf-16be bom":   append([]byte{0xFE, 0xFF}, utf16(text, true)...),
		"utf-16le plain": utf16(text, false),
		"windows-1252":   []byte("Premi\xe8re ligne\r\nsuite \x97 fin.\r\n\r\n\r\nDeuxi\xe8me paragraphe \x80."),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			doc := mustExtract(t, data, "notes.txt")
			if got := docstest.Paragraphs(doc); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("paragraphs = %q", got)
			}
		})
	}
	// Broken UTF-8 is repaired, never fatal; control bytes are dropped.
	doc := mustExtract(t, []byte("caf\xc3\xa9 cr\xc3\xa8me \xff bad \x00\x01 bytes\xc3"), "bad.txt")
	if doc.Text != "café crème \uFFFD bad  bytes\uFFFD" {
		t.Errorf("broken utf-8: %q", doc.Text)
	}
	// A text file without an extension is detected as text.
	if doc := mustExtract(t, []byte("hello\n\nworld"), "README"); doc.Format != Text || len(doc.Paragraphs) != 2 {
		t.Errorf("README: %+v", doc)
	}
}

func TestDetect(t *testing.T) {
	cases := []struct {
		name, head string
		want       Format
	}{
		{"x.bin", "%PDF-1.7\n", PDF},
		{"report.PDF", "garbage", PDF},
		{"x", "{\\rtf1\\ansi", RTF},
		{"book.zip", string(epubFixture()[:200]), EPUB},
		{"doc.zip", string(odtFixture()[:200]), ODT},
		{"page", "<!DOCTYPE html><html>", HTML},
		{"notes.markdown", "# hi", Markdown},
		{"a.htm", "hi", HTML},
	}
	for _, c := range cases {
		if got, err := Detect(c.name, []byte(c.head)); got != c.want || err != nil {
			t.Errorf("Detect(%q) = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	_, err := Detect("archive.xyz", []byte("hello"))
	var ue *UnsupportedError
	if !errors.As(err, &ue) || err.Error() != "Chapel can't read .xyz files yet" {
		t.Errorf("Detect(.xyz) error = %v", err)
	}
}

// TestCorpusFormats checks the shared corpus's non-PDF files extract
// non-trivially, and that the DOCX and ODT of one chapter agree.
func TestCorpusFormats(t *testing.T) {
	minWords := map[string]int{
		"debian-reference-ch07.epub": 2000, "debian-reference-ch10.html": 5000, "debian-reference-part.txt": 30000,
		"zsh-expansion.docx": 15000, "zsh-expansion.odt": 15000, "zsh-invocation.md": 1500, "zsh-redirection.html": 1500,
	}
	words := map[string][]string{}
	for name, min := range minWords {
		doc := extractFile(t, docstest.CorpusFile(t, name))
		words[name] = docstest.Tokens(doc.Text)
		t.Logf("%s: %d words, %d paragraphs, %d sections, title %q", name, len(words[name]), len(doc.Paragraphs), len(doc.Sections), doc.Title)
		if len(words[name]) < min || len(doc.Paragraphs) < 20 {
			t.Errorf("%s: only %d words, %d paragraphs", name, len(words[name]), len(doc.Paragraphs))
		}
		if name != "debian-reference-part.txt" && len(doc.Sections) < 3 {
			t.Errorf("%s: %d sections", name, len(doc.Sections))
		}
	}
	recall, precision, _ := docstest.BagScores(words["zsh-expansion.odt"], words["zsh-expansion.docx"])
	t.Logf("zsh-expansion odt vs docx: %.2f%% / %.2f%% of the words shared", 100*recall, 100*precision)
	if recall < 0.95 || precision < 0.95 {
		t.Errorf("docx and odt of the same chapter differ: %.2f%% / %.2f%%", 100*recall, 100*precision)
	}
}

// TestHostile feeds inputs built to hurt: each must fail with its own
// sentence (or succeed), quickly, without a panic.
func TestHostile(t *testing.T) {
	small := DefaultLimits()
	small.MaxInflated = 1 << 20
	small.MaxEntries = 50
	deep := strings.Repeat("<w:p>", 100000) + strings.Repeat("</w:p>", 100000)
	manyEntries := make([]zipEntry, 0, 60)
	manyEntries = append(manyEntries, zipEntry{name: "word/document.xml", body: "<w:document/>"})
	for i := 0; len(manyEntries) < 60; i++ {
		manyEntries = append(manyEntries, zipEntry{name: "junk/" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i), body: "x"})
	}
	cases := []struct {
		name string
		data []byte
		lim  Limits
		kind Kind
		msg  string
	}{
		{"empty.pdf", nil, small, Empty, "the file is empty"},
		{"bomb.docx", makeZip(zipEntry{name: "word/document.xml", body: "<w:document><w:body><w:p><w:r><w:t>" + strings.Repeat("A", 10<<20) + "</w:t></w:r></w:p></w:body></w:document>"}), small,
			TooLarge, "this DOCX file expands to more than 1 MB; Chapel stops there"},
		{"many.docx", makeZip(manyEntries...), small, TooManyEntries, "this DOCX file holds more than 50 files; Chapel stops there"},
		{"deep.docx", makeZip(zipEntry{name: "word/document.xml", body: `<w:document xmlns:w="w"><w:body>` + deep + "</w:body></w:document>"}), DefaultLimits(),
			TooDeep, "this DOCX file nests its content more than 256 levels deep; Chapel stops there"},
		{"deep.odt", makeZip(zipEntry{name: "mimetype", body: "application/vnd.oasis.opendocument.text", store: true}, zipEntry{name: "content.xml", body: strings.Repeat("<a>", 100000)}), DefaultLimits(),
			TooDeep, "this ODT file nests its content more than 256 levels deep; Chapel stops there"},
		{"deep.rtf", []byte(`{\rtf1 ` + strings.Repeat("{", 100000)), DefaultLimits(), TooDeep, "this RTF file nests its content more than 256 levels deep; Chapel stops there"},
		{"notzip.docx", []byte("PK\x03\x04 but not really a zip"), DefaultLimits(), Damaged, "this DOCX file is damaged or incomplete"},
		{"missing.epub", makeZip(zipEntry{name: "mimetype", body: "application/epub+zip", store: true}), DefaultLimits(), Damaged, "this EPUB book is damaged or incomplete"},
		{"truncated.docx", docxFixture()[:len(docxFixture())/2], DefaultLimits(), Damaged, "this DOCX file is damaged or incomplete"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Extract(context.Background(), strings.NewReader(string(c.data)), int64(len(c.data)), c.name, c.lim)
			if KindOf(err) != c.kind || err.Error() != c.msg {
				t.Errorf("err = %v (kind %d), want %q (kind %d)", err, KindOf(err), c.msg, c.kind)
			}
		})
	}
	// Deeply nested HTML is not an error: it streams through.
	doc := mustExtract(t, []byte(strings.Repeat("<div>", 100000)+"deep text"+strings.Repeat("</div>", 100000)), "deep.html")
	if doc.Text != "deep text" {
		t.Errorf("deep html: %q", doc.Text)
	}
}

// vanishingReader fails every read past limit, like a file deleted or a
// disk unplugged while Chapel reads it.
type vanishingReader struct {
	r     io.ReaderAt
	limit int64
}

var errVanished = errors.New("input/output error")

func (v vanishingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > v.limit {
		return 0, errVanished
	}
	return v.r.ReadAt(p, off)
}

func TestVanishingFile(t *testing.T) {
	for name, data := range map[string][]byte{
		"a.docx": docxFixture(), "a.pdf": pdfgen.Simple(pdfgen.Page{Lines: []string{"x"}}).Bytes(1), "a.txt": []byte("some text here"),
	} {
		r := vanishingReader{r: strings.NewReader(string(data)), limit: int64(len(data)) - 10}
		_, err := Extract(context.Background(), r, int64(len(data)), name, DefaultLimits())
		if KindOf(err) != Unreadable || !errors.Is(err, errVanished) {
			t.Errorf("%s: err = %v, want the unreadable error", name, err)
		}
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, data := range map[string][]byte{"a.docx": docxFixture(), "a.pdf": pdfgen.Simple(pdfgen.Page{Lines: []string{"x"}}).Bytes(1), "a.rtf": rtfFixture()} {
		_, err := Extract(ctx, strings.NewReader(string(data)), int64(len(data)), name, DefaultLimits())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", name, err)
		}
	}
}
