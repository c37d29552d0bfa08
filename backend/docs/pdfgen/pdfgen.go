// Package pdfgen writes small PDFs for the document readers' tests: numbered
// objects with a classic xref table or, in the PDF 1.5 form, an object
// stream and a compressed xref stream; pages of Helvetica text lines; a file
// exercising composite and simple fonts, a form XObject and an outline.
// Only tests import it (the readers', and those of documents and app).
package pdfgen

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
)

// File is a PDF being written: numbered objects, then a classic xref table
// (or an xref stream with object streams), then the trailer.
type File struct {
	Trailer string // extra trailer entries, such as "/Encrypt 7 0 R"

	objs []string // bodies; object i+1
}

// Add appends an object and returns its number.
func (g *File) Add(body string) int {
	g.objs = append(g.objs, body)
	return len(g.objs)
}

// Set replaces object n's body (objects can be reserved, then filled).
func (g *File) Set(n int, body string) { g.objs[n-1] = body }

// Len is the number of objects so far.
func (g *File) Len() int { return len(g.objs) }

// Stream is the body of a stream object with dictionary entries dict.
func Stream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

// Flate is the body of a stream object holding data compressed with
// /FlateDecode.
func Flate(dict string, data []byte) string {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(data)
	w.Close()
	return Stream(dict+" /Filter /FlateDecode", b.Bytes())
}

// Bytes renders the file with a classic xref table; rootNum is the catalog.
func (g *File) Bytes(rootNum int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(g.objs))
	for i, body := range g.objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, body)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(g.objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d 0 R %s >>\nstartxref\n%d\n%%%%EOF\n", len(g.objs)+1, rootNum, g.Trailer, xref)
	return b.Bytes()
}

// Compact renders a PDF 1.5 file: every non-stream object goes into one
// object stream, and the xref is a compressed stream with a PNG predictor.
func (g *File) Compact(rootNum int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.5\n")
	n := len(g.objs)
	stmNum := n + 1
	xrefNum := n + 2
	type entry struct{ typ, f2, f3 int }
	entries := make([]entry, n+3)
	entries[0] = entry{0, 0, 65535}
	var header, body bytes.Buffer
	k := 0
	for i, o := range g.objs {
		if strings.Contains(o, "stream\n") {
			continue
		}
		fmt.Fprintf(&header, "%d %d ", i+1, body.Len())
		body.WriteString(o + "\n")
		entries[i+1] = entry{2, stmNum, k}
		k++
	}
	for i, o := range g.objs {
		if !strings.Contains(o, "stream\n") {
			continue
		}
		entries[i+1] = entry{1, b.Len(), 0}
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	entries[stmNum] = entry{1, b.Len(), 0}
	data := append(header.Bytes(), body.Bytes()...)
	fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", stmNum, Flate(fmt.Sprintf("/Type /ObjStm /N %d /First %d", k, header.Len()), data))
	entries[xrefNum] = entry{1, b.Len(), 0}
	// Rows of 1+4+2 bytes, each behind a PNG "Up" filter byte.
	var rows bytes.Buffer
	prev := make([]byte, 7)
	for _, e := range entries {
		row := []byte{byte(e.typ), byte(e.f2 >> 24), byte(e.f2 >> 16), byte(e.f2 >> 8), byte(e.f2), byte(e.f3 >> 8), byte(e.f3)}
		rows.WriteByte(2)
		for j := range row {
			rows.WriteByte(row[j] - prev[j])
		}
		prev = row
	}
	dict := fmt.Sprintf("/Type /XRef /Size %d /W [1 4 2] /Root %d 0 R /DecodeParms << /Predictor 12 /Columns 7 >> %s", n+3, rootNum, g.Trailer)
	xrefOff := b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\nstartxref\n%d\n%%%%EOF\n", xrefNum, Flate(dict, rows.Bytes()), xrefOff)
	return b.Bytes()
}

// Page is one page of test text: lines drawn top down in Helvetica.
type Page struct {
	Lines []string // an empty line leaves a paragraph gap
	X     float64  // left margin (default 72)
	Size  float64  // font size (default 12)
	Extra string   // more content, appended
}

// Escape escapes a string for a PDF literal.
func Escape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	return r.Replace(s)
}

// Content draws the page's lines; an empty line leaves a paragraph gap.
func (p Page) Content() string {
	x, size := p.X, p.Size
	if x == 0 {
		x = 72
	}
	if size == 0 {
		size = 12
	}
	var b strings.Builder
	y := 740.0
	for _, l := range p.Lines {
		if l == "" {
			y -= size * 1.2
			continue
		}
		fmt.Fprintf(&b, "BT /F1 %g Tf %g %g Td (%s) Tj ET\n", size, x, y, Escape(l))
		y -= size * 1.2
	}
	b.WriteString(p.Extra)
	return b.String()
}

// Simple builds a PDF of text pages using the standard Helvetica font
// with WinAnsiEncoding: the catalog, the page tree, the font, then for
// each page its content stream and the page (objects 4+2i and 5+2i).
func Simple(pages ...Page) *File {
	g := &File{}
	g.Add("<< /Type /Catalog /Pages 2 0 R >>")
	g.Add("") // the page tree, filled below
	font := g.Add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	var kids []string
	for _, p := range pages {
		c := g.Add(Flate("", []byte(p.Content())))
		pg := g.Add(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /Contents %d 0 R >>", c))
		kids = append(kids, fmt.Sprintf("%d 0 R", pg))
	}
	g.Set(2, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> >>",
		strings.Join(kids, " "), len(kids), font))
	return g
}

// Fonts is a PDF using a Type0 Identity-H font with a ToUnicode CMap (bfchar,
// bfrange with an array), a simple font with /Differences, a form XObject
// and an outline.
func Fonts() []byte {
	g := &File{}
	g.Add("<< /Type /Catalog /Pages 2 0 R /Outlines 10 0 R >>")
	g.Add("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	g.Add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /C 5 0 R /S 8 0 R >> /XObject << /X 9 0 R >> >> >>")
	content := "BT /C 12 Tf 72 700 Td <0001000200030003000400050006> Tj ET\n" +
		"BT /S 12 Tf 72 680 Td (\x01\x02\x03 ok) Tj ET\n" +
		"q 1 0 0 1 72 600 cm /X Do Q\n"
	g.Add(Stream("", []byte(content)))
	g.Add("<< /Type /Font /Subtype /Type0 /BaseFont /Test /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>")
	g.Add("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Test /DW 500 /W [1 [600 600] 3 6 550] >>")
	cmap := `/CIDInit /ProcSet findresource begin 12 dict begin begincmap
1 begincodespacerange <0000> <FFFF> endcodespacerange
2 beginbfchar <0001> <0048> <0002> <0065> endbfchar
2 beginbfrange <0003> <0004> <006C> <0005> <0006> [<006F> <D83DDE00>] endbfrange
endcmap CMapName currentdict /CMap defineresource pop end end`
	g.Add(Stream("", []byte(cmap)))
	g.Add("<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [1 /fi /eacute /uni263A] >> >>")
	g.Add(Stream("/Type /XObject /Subtype /Form /BBox [0 0 500 100] /Resources << /Font << /F 8 0 R >> >>", []byte("BT /F 12 Tf 0 0 Td (Inside a form) Tj ET")))
	g.Add("<< /Type /Outlines /First 11 0 R /Last 11 0 R /Count 1 >>")
	g.Add("<< /Title (Greeting) /Parent 10 0 R /Dest [3 0 R /XYZ 0 720 0] >>")
	return g.Bytes(1)
}
