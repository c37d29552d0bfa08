package docs

import (
	"bytes"
	"io"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// extractHTML reads a web page: its charset from the BOM, <meta> or a
// guess; headings h1–h6; paragraphs from block elements; no scripts,
// styles, navigation, page headers or footers.
func extractHTML(e *extractor, data []byte) (*Document, error) {
	b := &doctext.Builder{}
	title, err := htmlInto(e, decodeHTML(data), b)
	if err != nil {
		return nil, err
	}
	b.Title = title
	return b.Finish(), nil
}

// decodeHTML converts a page to UTF-8 using its BOM or declared charset.
func decodeHTML(data []byte) []byte {
	enc, name, _ := charset.DetermineEncoding(data, "text/html")
	if name == "utf-8" || enc == nil {
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		return bytes.ToValidUTF8(data, []byte("\uFFFD"))
	}
	out, err := io.ReadAll(enc.NewDecoder().Reader(bytes.NewReader(data)))
	if err != nil {
		return bytes.ToValidUTF8(data, []byte("\uFFFD"))
	}
	return out
}

// charsetReader decodes an XML document declared in a non-UTF-8 charset.
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	return charset.NewReaderLabel(label, r)
}

var htmlBlocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Li: true, atom.Dt: true, atom.Dd: true, atom.Blockquote: true,
	atom.Pre: true, atom.Section: true, atom.Article: true, atom.Main: true, atom.Table: true, atom.Tr: true,
	atom.Ul: true, atom.Ol: true, atom.Dl: true, atom.Figure: true, atom.Figcaption: true, atom.Address: true,
	atom.Details: true, atom.Summary: true, atom.Caption: true, atom.Hr: true, atom.Body: true, atom.Center: true,
	atom.Fieldset: true, atom.Legend: true, atom.Tbody: true, atom.Thead: true, atom.Tfoot: true,
}

// htmlSkip are elements whose content is not the document's text.
var htmlSkip = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true, atom.Nav: true,
	atom.Svg: true, atom.Math: false, atom.Iframe: true, atom.Object: true, atom.Select: true,
	atom.Button: true, atom.Head: true, atom.Textarea: true, atom.Canvas: true, atom.Map: true,
}

// htmlInto streams a page's tokens into b and returns its <title>. It
// builds no tree, so hostile nesting costs nothing.
func htmlInto(e *extractor, data []byte, b *doctext.Builder) (string, error) {
	z := html.NewTokenizer(bytes.NewReader(data))
	w := &htmlWalker{b: b, skip: map[atom.Atom]int{}}
	for n := 0; ; n++ {
		if n&4095 == 0 {
			if err := e.ctx.Err(); err != nil {
				return "", err
			}
		}
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			w.start(tok, tt == html.StartTagToken)
		case html.EndTagToken:
			w.end(tok.DataAtom)
		case html.TextToken:
			w.text(tok.Data)
		}
	}
	endRow(b, &w.para, &w.cells, &w.inCell)
	w.flush()
	return doctext.CleanTitle(w.title.String()), nil
}

// htmlWalker turns the tokens of a page into paragraphs, headings and
// table rows on a builder.
type htmlWalker struct {
	b            *doctext.Builder
	para         strings.Builder // the paragraph being collected
	heading      int             // level of the open heading, 0 when none
	skip         map[atom.Atom]int
	skipping     int
	pre          int
	inTitle      bool
	title        strings.Builder
	contentDepth int // open <article> and <main>: their <header>s are content
	cells        []string
	inCell       bool
}

// flush ends the paragraph (or heading, or table cell) being collected.
func (w *htmlWalker) flush() {
	s := w.para.String()
	w.para.Reset()
	if w.inCell {
		w.cells[len(w.cells)-1] += " " + s
		return
	}
	if w.pre == 0 {
		s = normSpace(s)
	} else {
		s = strings.Trim(s, "\n")
	}
	if w.heading > 0 {
		w.b.Heading(w.heading, s)
	} else {
		w.b.Para(s)
	}
}

// start handles a start tag (open is false for a self-closing one).
func (w *htmlWalker) start(tok html.Token, open bool) {
	a := tok.DataAtom
	if a == atom.Title {
		w.inTitle = open
		return
	}
	if a == atom.Article || a == atom.Main {
		w.contentDepth++
	}
	if h := w.skip[atom.Head]; h > 0 && (a == atom.Body || htmlBlocks[a] || headingAtom(a) > 0) {
		w.skip[atom.Head], w.skipping = 0, w.skipping-h // an unclosed <head>
	}
	if htmlSkip[a] || isBoilerplate(tok, w.contentDepth) {
		if open && !voidElement(a) {
			w.skip[a]++
			w.skipping++
		}
		return
	}
	if w.skipping > 0 {
		return
	}
	switch {
	case headingAtom(a) > 0:
		w.flush()
		w.heading = headingAtom(a)
	case a == atom.Br:
		w.para.WriteByte('\n')
	case a == atom.Td || a == atom.Th:
		flushCell(&w.para, &w.cells, &w.inCell)
		w.cells = append(w.cells, "")
		w.inCell = true
	case htmlBlocks[a]:
		if a == atom.Tr {
			endRow(w.b, &w.para, &w.cells, &w.inCell)
		}
		w.flush()
		if a == atom.Pre {
			w.pre++
		}
	}
}

// end handles an end tag.
func (w *htmlWalker) end(a atom.Atom) {
	if a == atom.Title {
		w.inTitle = false
		return
	}
	if w.skip[a] > 0 {
		w.skip[a]--
		w.skipping--
		return
	}
	if a == atom.Article || a == atom.Main {
		w.contentDepth = max(0, w.contentDepth-1)
	}
	if w.skipping > 0 {
		return
	}
	switch {
	case headingAtom(a) > 0:
		w.flush()
		w.heading = 0
	case a == atom.Td || a == atom.Th:
		flushCell(&w.para, &w.cells, &w.inCell)
	case a == atom.Tr || a == atom.Table:
		endRow(w.b, &w.para, &w.cells, &w.inCell)
	case htmlBlocks[a]:
		w.flush()
		if a == atom.Pre && w.pre > 0 {
			w.pre--
		}
	}
}

// text handles the text between tags.
func (w *htmlWalker) text(s string) {
	if w.inTitle {
		w.title.WriteString(s)
		return
	}
	if w.skipping > 0 {
		return
	}
	w.para.WriteString(s)
}

func flushCell(text *strings.Builder, cells *[]string, inCell *bool) {
	if *inCell && len(*cells) > 0 {
		(*cells)[len(*cells)-1] += " " + text.String()
		text.Reset()
	}
	*inCell = false
}

// endRow emits a table row's cells as one paragraph.
func endRow(b *doctext.Builder, text *strings.Builder, cells *[]string, inCell *bool) {
	flushCell(text, cells, inCell)
	if *cells == nil {
		return
	}
	row := make([]string, len(*cells))
	for i, c := range *cells {
		row[i] = normSpace(c)
	}
	b.Para(joinCells(row))
	*cells = nil
}

func headingAtom(a atom.Atom) int {
	switch a {
	case atom.H1:
		return 1
	case atom.H2:
		return 2
	case atom.H3:
		return 3
	case atom.H4:
		return 4
	case atom.H5:
		return 5
	case atom.H6:
		return 6
	}
	return 0
}

func voidElement(a atom.Atom) bool {
	switch a {
	case atom.Br, atom.Img, atom.Hr, atom.Input, atom.Meta, atom.Link, atom.Area, atom.Base, atom.Col,
		atom.Embed, atom.Source, atom.Track, atom.Wbr, atom.Param:
		return true
	}
	return false
}

// isBoilerplate tells page chrome: <header> and <footer> outside an
// article, and ARIA navigation, banner and footer roles.
func isBoilerplate(t html.Token, contentDepth int) bool {
	switch t.DataAtom {
	case atom.Header, atom.Footer:
		return contentDepth == 0
	}
	switch attrVal(t, "role") {
	case "navigation", "banner", "contentinfo", "search":
		return true
	}
	for _, c := range strings.Fields(strings.ToLower(attrVal(t, "class") + " " + attrVal(t, "id"))) {
		switch c {
		case "navheader", "navfooter", "navbar", "breadcrumb", "breadcrumbs", "skip-link", "skiplink", "cookie-banner":
			return true
		}
	}
	return false
}

func attrVal(t html.Token, key string) string {
	for _, a := range t.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
