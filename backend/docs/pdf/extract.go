// Package pdf owns Chapel's PDF reader: it parses the file (cross-reference
// tables and streams, object streams, a broken table rebuilt by scanning,
// encryption with an empty user password), decodes its streams within the
// inflation limit, runs each page's content through fonts and encodings to
// positioned glyphs, lays them out into lines, columns and paragraphs, drops
// running headers and footers, and builds the doctext.Document with its
// pages and sections (the outline, else headings found by size). Files are
// memory-mapped where the system allows. backend/docs calls it for the
// files it detects as PDF.
package pdf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime/debug"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// pageLines is one page laid out.
type pageLines struct {
	lines []line
}

// Extract reads the PDF r of the given size page by page and returns its
// text and structure. Unset limits take doctext's defaults. Failures are
// *doctext.Error with a sentence for the user (a file that shrinks while it
// is read is an unreadable one), or ctx.Err() when ctx is cancelled.
func Extract(ctx context.Context, r io.ReaderAt, size int64, lim doctext.Limits) (doc *doctext.Document, err error) {
	// A mapped file that shrinks under us faults: SetPanicOnFault makes that
	// a panic, reported here as an unreadable file, instead of a crash.
	defer func() {
		if p := recover(); p != nil {
			fault, ok := p.(interface{ Addr() uintptr })
			if !ok {
				panic(p) // a bug: the caller's to report
			}
			doc, err = nil, doctext.ReadError(fmt.Errorf("memory fault at %#x: %v", fault.Addr(), p))
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	doc, err = extract(ctx, r, size, lim.WithDefaults())
	if err != nil {
		return nil, err
	}
	doc.Format = doctext.PDF
	return doc, nil
}

// damaged is the failure of a PDF that is truncated or corrupt.
func damaged(cause error) *doctext.Error { return doctext.DamagedError(doctext.PDF, cause) }

// extract reads a PDF's text page by page.
func extract(ctx context.Context, r io.ReaderAt, size int64, lim doctext.Limits) (*doctext.Document, error) {
	d, err := openPDF(ctx, r, size, lim)
	if err != nil {
		return nil, err
	}
	defer d.close() // the Document holds copies, never the file's bytes
	pages, err := d.pages()
	if err != nil {
		return nil, err
	}
	d.release()
	if len(pages) == 0 {
		return nil, damaged(errors.New("no pages"))
	}
	fonts := map[pdfObj]*pdfFont{}
	in := newInterp(d, fonts)
	laid := make([]pageLines, len(pages))
	for i, p := range pages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if i > 0 && i%128 == 0 {
			d.release()
		}
		if lim.Progress != nil && i > 0 {
			lim.Progress(i, len(pages))
		}
		glyphs, err := in.page(p)
		if err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return nil, err
			}
			var e *doctext.Error
			if errors.As(err, &e) {
				return nil, err
			}
			continue // an unreadable page stays blank
		}
		laid[i].lines = layoutPage(glyphs)
	}
	d.release()
	if lim.Progress != nil {
		lim.Progress(len(pages), len(pages))
	}
	dropRunningLines(laid)

	b := &doctext.Builder{}
	lineAt := make([][]lineOffset, len(pages))
	chars := 0
	for i, p := range laid {
		b.NewPage(i + 1)
		for k, l := range p.lines {
			text := doctext.CleanText(l.text)
			if text == "" {
				continue
			}
			chars += len(text)
			starts := l.paraStart || !b.ParaOpen()
			if starts {
				b.StartPara()
			} else if !joinHyphen(b, text) {
				b.Write("\n")
			} else {
				text = strings.TrimLeft(text, " ")
			}
			lineAt[i] = append(lineAt[i], lineOffset{y: l.y, off: b.Len(), main: l.main, size: l.size, paraStart: starts, end: b.Len() + len(text)})
			b.Write(text)
			_ = k
		}
	}
	announced := d.announcedPages()
	if chars == 0 {
		switch {
		case announced > len(pages):
			return nil, &doctext.Error{Kind: doctext.NoText, Msg: fmt.Sprintf("this PDF has no text to read in %s that could be read; it announces %d (the file may be cut short)", pageCount(len(pages)), announced)}
		case d.pagesLost:
			return nil, &doctext.Error{Kind: doctext.NoText, Msg: fmt.Sprintf("this PDF has no text to read in %s that could be read; its page tree is missing (the file may be cut short)", pageCount(len(pages)))}
		}
		return nil, &doctext.Error{Kind: doctext.NoText, Msg: "this PDF has no text to read; its pages may be scanned images"}
	}
	doc := b.Finish()
	doc.PagesAnnounced, doc.PagesLost = announced, d.pagesLost
	doc.Title = d.title()
	if doc.Title == "" {
		doc.Title = firstPageTitle(doc, lineAt)
	}
	doc.Sections = d.sections(doc, pages, lineAt)
	if len(doc.Sections) == 0 {
		doc.Sections = headingsBySize(doc, lineAt)
	}
	doctext.FinishSections(doc)
	if doc.Title == "" && len(doc.Sections) > 0 {
		doc.Title = doc.Sections[0].Title
	}
	return doc, nil
}

// pageCount says "the 1 page" or "the n pages".
func pageCount(n int) string {
	if n == 1 {
		return "the 1 page"
	}
	return fmt.Sprintf("the %d pages", n)
}

// lineOffset records where a laid-out line landed in the text.
type lineOffset struct {
	y         float64
	off, end  int // its bytes in Document.Text
	main      bool
	size      float64
	paraStart bool
}

// joinHyphen removes a line-ending hyphen when the next line continues
// the word in lowercase ("exam-" + "ple"), and reports whether it did.
func joinHyphen(b *doctext.Builder, next string) bool {
	buf := b.Bytes()
	n := len(buf)
	first, _ := utf8.DecodeRuneInString(next)
	if n < 2 || !unicode.IsLetter(first) {
		return false
	}
	last, size := utf8.DecodeLastRune(buf)
	if last != '-' && last != '\u00ad' && last != '\u2010' {
		return false
	}
	before, _ := utf8.DecodeLastRune(buf[:n-size])
	// "exam-" + "ple", "EVALUA-" + "TION"; not "Foo-" + "Bar".
	if !unicode.IsLetter(before) || !(unicode.IsLower(first) || unicode.IsUpper(before) && unicode.IsUpper(first)) {
		return false
	}
	b.Unwrite(size)
	return true
}

// dropRunningLines removes running headers and footers: the top or bottom
// line of a page when, with digits ignored, it repeats at the same place on
// several pages.
func dropRunningLines(pages []pageLines) {
	if len(pages) < 4 {
		return
	}
	type pick struct{ page, idx int }
	for _, top := range []bool{true, false} {
		picks := make([]pick, 0, len(pages))
		count := map[string]int{}
		for i, p := range pages {
			k := edgeLine(p.lines, top)
			if k < 0 {
				continue
			}
			picks = append(picks, pick{i, k})
			count[runningKey(p.lines[k].text)]++
		}
		need := max(3, min(len(picks)/8, 10))
		ys := map[int]float64{} // y position (rounded) → font size of confirmed running lines
		drop := map[pick]bool{}
		for _, pk := range picks {
			l := pages[pk.page].lines[pk.idx]
			if count[runningKey(l.text)] >= need {
				drop[pk] = true
				ys[int(math.Round(l.y))] = l.size
			}
		}
		for _, pk := range picks { // the same place and size, with other words
			l := pages[pk.page].lines[pk.idx]
			for _, dy := range []int{-1, 0, 1} {
				if s, ok := ys[int(math.Round(l.y))+dy]; ok && math.Abs(s-l.size) < 0.5 && len(l.text) < 120 {
					drop[pk] = true
				}
			}
		}
		for pk := range drop {
			pages[pk.page].lines[pk.idx].text = ""
		}
	}
}

// edgeLine returns the index of the top (or bottom) line of a page's main
// text, or -1.
func edgeLine(lines []line, top bool) int {
	best := -1
	for i, l := range lines {
		if !l.main || strings.TrimSpace(l.text) == "" {
			continue
		}
		if best < 0 || (top && l.y > lines[best].y) || (!top && l.y < lines[best].y) {
			best = i
		}
	}
	return best
}

// runningKey normalizes a line for comparison: lowercase, digits and
// roman page numbers as #, single spaces.
func runningKey(s string) string {
	f := strings.Fields(strings.ToLower(s))
	for i, w := range f {
		if isRoman(w) {
			f[i] = "#"
			continue
		}
		f[i] = strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) {
				return '#'
			}
			return r
		}, w)
	}
	k := strings.Join(f, " ")
	for strings.Contains(k, "##") {
		k = strings.ReplaceAll(k, "##", "#")
	}
	return k
}

func isRoman(w string) bool {
	if w == "" || len(w) > 7 {
		return false
	}
	for _, r := range w {
		if !strings.ContainsRune("ivxlc", r) {
			return false
		}
	}
	return true
}

// firstPageTitle takes a title from the first page: its largest line(s),
// when they are larger than the page's other text.
func firstPageTitle(doc *doctext.Document, lineAt [][]lineOffset) string {
	for _, page := range lineAt {
		if len(page) == 0 {
			continue
		}
		big, second := 0.0, 0.0
		for _, l := range page {
			if l.size > big {
				big, second = l.size, big
			} else if l.size < big && l.size > second {
				second = l.size
			}
		}
		if second == 0 || big < second*1.15 {
			return ""
		}
		var parts []string
		for _, l := range page {
			if l.size == big && len(parts) < 3 {
				parts = append(parts, doc.Text[l.off:l.end])
			}
		}
		if t := doctext.CleanTitle(strings.Join(parts, " ")); len(t) <= 200 {
			return t
		}
		return ""
	}
	return ""
}
