package ingest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/docs"
)

// checkChunks verifies what Chunk promises for doc at target t: coverage
// in order without gaps, cuts at character boundaries and at every section
// start, the size bounds, and the pages and section of each passage.
func checkChunks(t testing.TB, doc *docs.Document, target int, spans []ChunkSpan) {
	t.Helper()
	if target <= 0 {
		target = DefaultChunkTarget
	}
	text := doc.Text
	if len(text) == 0 {
		if len(spans) != 0 {
			t.Fatalf("empty text has %d passages", len(spans))
		}
		return
	}
	if len(spans) == 0 || spans[0].Start != 0 || spans[len(spans)-1].End != len(text) {
		t.Fatalf("passages do not span [0, %d): %d passages, first %+v", len(text), len(spans), spans[:min(1, len(spans))])
	}
	starts := map[int]bool{}
	for i, s := range spans {
		if s.End <= s.Start || (i > 0 && s.Start != spans[i-1].End) {
			t.Fatalf("passage %d %+v: empty or not where %d ended", i, s, i-1)
		}
		if !utf8.RuneStart(text[s.Start]) {
			t.Fatalf("passage %d starts inside a UTF-8 sequence at %d", i, s.Start)
		}
		starts[s.Start] = true
		size := s.End - s.Start
		if size > 2*target {
			// Only a word longer than the cut window may stretch a passage.
			win := text[s.Start+max(1, target/2) : s.Start+target+target/4]
			if strings.ContainsAny(win, " \n\t\r\f\v") || size > 8*target+target/2+4 {
				t.Fatalf("passage %d is %d bytes (target %d) though it could be cut: %q…", i, size, target, text[s.Start:s.Start+min(size, 80)])
			}
		}
		if len(doc.Pages) == 0 {
			if s.PageStart != 0 || s.PageEnd != 0 {
				t.Fatalf("passage %d has pages %d–%d in an unpaginated document", i, s.PageStart, s.PageEnd)
			}
		} else if s.PageStart < 1 || s.PageEnd < s.PageStart || s.PageEnd > len(doc.Pages) ||
			(i > 0 && s.PageStart < spans[i-1].PageStart) {
			t.Fatalf("passage %d has pages %d–%d (document %d pages)", i, s.PageStart, s.PageEnd, len(doc.Pages))
		}
		if want := innermostSection(doc, s.Start); s.Section != want {
			t.Fatalf("passage %d at %d: section %q, want %q", i, s.Start, s.Section, want)
		}
	}
	for _, sec := range doc.Sections {
		if sec.Start > 0 && sec.Start < len(text) && !starts[sec.Start] {
			t.Fatalf("section %q starts at %d inside a passage", sec.Title, sec.Start)
		}
	}
}

// innermostSection is the slow, obvious answer to the section a byte is in.
func innermostSection(doc *docs.Document, off int) string {
	best := -1
	for k, s := range doc.Sections {
		if s.Start <= off && off < s.End && (best < 0 || s.Start > doc.Sections[best].Start ||
			s.Start == doc.Sections[best].Start && s.Level >= doc.Sections[best].Level) {
			best = k
		}
	}
	if best < 0 {
		return ""
	}
	return doc.Sections[best].Title
}

// built makes a Document as the extractors do: "#n Title" is a heading of
// level n, "\f" starts the next page (pages: the first block starts page
// 1), any other block a paragraph. Paragraphs are separated by a blank line
// and pages by "\f"; a section runs to the next heading of its level or
// higher (docs' builder, which the readers use, is not exported).
func built(paged bool, blocks ...string) *docs.Document {
	d := &docs.Document{}
	var text strings.Builder
	page, pageAt := 0, 0
	newPage := func() {
		if page > 0 {
			d.Pages = append(d.Pages, docs.Page{Number: page, Start: pageAt, End: text.Len()})
			text.WriteByte('\f')
		}
		page++
		pageAt = text.Len()
	}
	if paged {
		newPage()
	}
	add := func(s string) int {
		if text.Len() > pageAt {
			text.WriteString("\n\n")
		}
		start := text.Len()
		text.WriteString(s)
		d.Paragraphs = append(d.Paragraphs, docs.Span{Start: start, End: text.Len()})
		return start
	}
	for _, blk := range blocks {
		switch {
		case blk == "\f":
			newPage()
		case len(blk) > 2 && blk[0] == '#' && blk[1] >= '1' && blk[1] <= '9':
			d.Sections = append(d.Sections, docs.Section{Title: blk[3:], Level: int(blk[1] - '0'), Page: page, Start: add(blk[3:])})
		default:
			add(blk)
		}
	}
	if paged {
		d.Pages = append(d.Pages, docs.Page{Number: page, Start: pageAt, End: text.Len()})
	}
	d.Text = text.String()
	for i := range d.Sections {
		s := &d.Sections[i]
		s.End = len(d.Text)
		for _, next := range d.Sections[i+1:] {
			if next.Level <= s.Level {
				s.End = next.Start
				break
			}
		}
		for s.End > s.Start && strings.ContainsRune("\n\f ", rune(d.Text[s.End-1])) {
			s.End--
		}
	}
	return d
}

func sentences(n int, s string) string {
	return strings.TrimSpace(strings.Repeat(s+" ", n))
}

func TestChunk(t *testing.T) {
	para := sentences(6, "The keeper climbed the steps.")    // 179 bytes
	long := sentences(40, "Every evening the lamp was lit.") // 1279 bytes
	cases := []struct {
		name   string
		doc    *docs.Document
		target int
		count  int                                                       // passages, when > 0
		check  func(t *testing.T, doc *docs.Document, spans []ChunkSpan) // more checks
	}{
		{name: "empty", doc: &docs.Document{}, target: 100},
		{name: "only white space", doc: &docs.Document{Text: " \n\n\t "}, target: 100, count: 1},
		{name: "one short paragraph", doc: built(false, "Hello, world."), target: 0, count: 1},
		{name: "default target", doc: built(false, strings.Repeat(para+"\n", 40)), target: 0, check: func(t *testing.T, doc *docs.Document, spans []ChunkSpan) {
			for _, s := range spans[:len(spans)-1] {
				if n := s.End - s.Start; n < DefaultChunkTarget/2 || n > 2*DefaultChunkTarget {
					t.Errorf("passage of %d bytes, want about %d", n, DefaultChunkTarget)
				}
			}
		}},
		{name: "paragraph ends win", doc: built(false, para, para, para, para, para, para, para, para), target: 400, check: func(t *testing.T, doc *docs.Document, spans []ChunkSpan) {
			for _, s := range spans {
				if s.Start > 0 && doc.Text[s.Start-2:s.Start] != "\n\n" {
					t.Errorf("passage at %d does not start a paragraph: %q", s.Start, doc.Text[s.Start-2:s.Start+10])
				}
			}
		}},
		{name: "sentence ends inside a long paragraph", doc: built(false, long, long), target: 300, check: func(t *testing.T, doc *docs.Document, spans []ChunkSpan) {
			for _, s := range spans[:len(spans)-1] {
				if !strings.HasSuffix(strings.TrimSpace(doc.Text[s.Start:s.End]), "lit.") {
					t.Errorf("passage does not end a sentence: …%q", doc.Text[s.End-20:s.End])
				}
			}
		}},
		{name: "white space when no sentence ends", doc: &docs.Document{Text: strings.Repeat("word ", 1000)}, target: 100, check: func(t *testing.T, doc *docs.Document, spans []ChunkSpan) {
			for _, s := range spans {
				if s.Start > 0 && doc.Text[s.Start-1] != ' ' {
					t.Errorf("cut inside a word at %d", s.Start)
				}
			}
		}},
		{name: "one huge paragraph without spaces", doc: built(false, strings.Repeat("abcdéfgh", 20000)), target: 1000, check: func(t *testing.T, doc *docs.Document, spans []ChunkSpan) {
			for _, s := range spans {
				if n := s.End - s.Start; n > 1500 {
					t.Errorf("passage of %d bytes in text without white space, want cuts near 1000", n)
				}
			}
		}},
		{name: "a long word stays whole", doc: &docs.Document{Text: "short words here " + strings.Repeat("x", 350) + " and more words after it " + strings.Repeat("y ", 100)}, target: 100, check: func(t *testing.T, doc *docs.Document, spans []ChunkSpan) {
			for _, s := range spans {
				if strings.Contains(doc.Text[s.Start:s.End], "x") && !strings.Contains(doc.Text[s.Start:s.End], strings.Repeat("x", 350)) {
					t.Errorf("the 350-byte word was cut: %q", doc.Text[s.Start:s.End])
				}
			}
		}},
		{name: "multi-byte text", doc: built(false, sentences(200, "Ça déménage à Köln — 東京 😀."), sentences(100, "日本語の文章です。")), target: 97, check: func(t *testing.T, doc *docs.Document, spans []ChunkSpan) {
			for _, s := range spans {
				if !utf8.ValidString(doc.Text[s.Start:s.End]) {
					t.Errorf("passage %d–%d is not valid UTF-8", s.Start, s.End)
				}
			}
		}},
		{name: "CJK full stops without spaces", doc: &docs.Document{Text: strings.Repeat("日本語の文章です。", 100)}, target: 100, check: func(t *testing.T, doc *docs.Document, spans []ChunkSpan) {
			for _, s := range spans[:len(spans)-1] {
				if !strings.HasSuffix(doc.Text[s.Start:s.End], "。") {
					t.Errorf("passage does not end at a full stop: %q", doc.Text[s.Start:s.End])
				}
			}
		}},
		{name: "pages", doc: built(true, para, para, "\f", para, "\f", "\f", para, para, para), target: 200, check: func(t *testing.T, doc *docs.Document, spans []ChunkSpan) {
			if len(doc.Pages) != 4 {
				t.Fatalf("fixture has %d pages", len(doc.Pages))
			}
			if spans[0].PageStart != 1 || spans[len(spans)-1].PageEnd != 4 {
				t.Errorf("pages run %d–%d, want 1–4", spans[0].PageStart, spans[len(spans)-1].PageEnd)
			}
			for _, s := range spans {
				if s.PageEnd != s.PageStart {
					t.Errorf("passage %q spans pages %d–%d; every cut falls on a page", doc.Text[s.Start:s.End], s.PageStart, s.PageEnd)
				}
			}
		}},
		{name: "a passage across pages", doc: built(true, "Begins here", "\f", "and ends here."), target: 1000, count: 1, check: func(t *testing.T, doc *docs.Document, spans []ChunkSpan) {
			if spans[0].PageStart != 1 || spans[0].PageEnd != 2 {
				t.Errorf("pages %d–%d, want 1–2", spans[0].PageStart, spans[0].PageEnd)
			}
		}},
		{name: "sections", doc: built(false, "Preface text.", "#1 One", para, "#2 One.A", para, para, para, "#2 One.B", "tiny", "#1 Two", long), target: 250, check: func(t *testing.T, doc *docs.Document, spans []ChunkSpan) {
			var got []string
			for _, s := range spans {
				if len(got) == 0 || got[len(got)-1] != s.Section {
					got = append(got, s.Section)
				}
			}
			if want := []string{"", "One", "One.A", "One.B", "Two"}; strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("sections %q, want %q", got, want)
			}
		}},
		{name: "section at the very start and one at the very end", doc: &docs.Document{Text: "Intro text. Ending", Sections: []docs.Section{
			{Title: "Whole", Level: 1, Start: 0, End: 18}, {Title: "End", Level: 2, Start: 12, End: 18}}}, target: 100, count: 2},
		{name: "tiny target", doc: built(false, "a bc déf"), target: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spans := Chunk(c.doc, c.target)
			checkChunks(t, c.doc, c.target, spans)
			if c.count > 0 && len(spans) != c.count {
				t.Errorf("%d passages, want %d: %+v", len(spans), c.count, spans)
			}
			if c.check != nil {
				c.check(t, c.doc, spans)
			}
		})
	}
}

// TestChunkCorpus checks the invariants on every corpus document and on
// the generated fixtures, at two sizes.
func TestChunkCorpus(t *testing.T) {
	extracted := map[string]*docs.Document{}
	extract := func(name string, data []byte) {
		t.Helper()
		doc, err := docs.Extract(context.Background(), bytes.NewReader(data), int64(len(data)), name, docs.DefaultLimits())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		extracted[name] = doc
	}
	fixtures := map[string][]byte{"f.docx": docxFile(t, "docxword"), "f.odt": odtFile(t, "odtword"), "f.epub": epubFile(t, "epubword"),
		"f.html": htmlFile("htmlword"), "f.md": markdownFile("mdword"), "f.rtf": rtfFile("rtfword"),
		"f.pdf": pdfBytes(t, pdfSpec{pages: 12, lines: 20, word: "pdfword"})}
	for name, data := range fixtures {
		extract(name, data)
	}
	const corpusDir = "../../../shared/corpus"
	if entries, err := os.ReadDir(corpusDir); err != nil {
		t.Logf("shared corpus %s is absent (%v); checking the fixtures only", corpusDir, err)
	} else {
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			data, err := os.ReadFile(filepath.Join(corpusDir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			extract(e.Name(), data)
		}
	}
	for name, doc := range extracted {
		for _, target := range []int{0, 300} {
			spans := Chunk(doc, target)
			checkChunks(t, doc, target, spans)
			if target == 0 {
				t.Logf("%s: %d bytes, %d pages, %d sections → %d passages", name, len(doc.Text), len(doc.Pages), len(doc.Sections), len(spans))
			}
		}
	}
}

// FuzzChunk checks the invariants on arbitrary text, both bare and as the
// Markdown extractor structures it.
func FuzzChunk(f *testing.F) {
	f.Add([]byte("# Title\n\nSome text. More text!\n\n## Sub\n\nEnd."), uint16(10))
	f.Add([]byte(strings.Repeat("é", 300)), uint16(7))
	f.Add([]byte("# Guide\n\n"+strings.Repeat("A sentence of the guide. ", 40)+"\n\n## Part\n\nThe end."), uint16(40))
	f.Add([]byte("a\f\fb \n\n c. d"), uint16(1))
	f.Fuzz(func(t *testing.T, data []byte, target uint16) {
		tg := int(target % 3000)
		bare := &docs.Document{Text: strings.ToValidUTF8(string(data), "\uFFFD")} // extracted text is UTF-8
		checkChunks(t, bare, tg, Chunk(bare, tg))
		if doc, err := docs.Extract(context.Background(), bytes.NewReader(data), int64(len(data)), "fuzz.md", docs.DefaultLimits()); err == nil {
			checkChunks(t, doc, tg, Chunk(doc, tg))
		}
	})
}
