// Package docs owns document text extraction: it turns a PDF, DOCX, ODT,
// EPUB, HTML, Markdown, plain-text or RTF file into plain text that keeps the
// structure a summary needs to cite its sources: pages (PDF), sections
// (headings, or the PDF outline) and paragraphs, all as byte offsets into one
// text. It is pure Go, reads untrusted files defensively (size, entry-count
// and nesting limits, no panics) and reports failures as one sentence a
// person can read.
package docs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unicode/utf8"
)

// Format is a document format Chapel can read.
type Format string

const (
	PDF      Format = "pdf"
	DOCX     Format = "docx"
	ODT      Format = "odt"
	EPUB     Format = "epub"
	HTML     Format = "html"
	Markdown Format = "markdown"
	Text     Format = "text"
	RTF      Format = "rtf"
)

// Span is a range of bytes [Start, End) in Document.Text.
type Span struct{ Start, End int }

// Section is a heading and the text it governs: from its own start to the
// start of the next heading of the same or a higher level.
type Section struct {
	Title string
	Level int // 1 = top level
	Page  int // 1-based page the heading is on (PDF), else 0
	Start int // byte offset into Document.Text
	End   int
}

// Page is one page of a paginated document (PDF): its byte range in
// Document.Text, which excludes the "\f" that separates pages.
type Page struct {
	Number int // 1-based
	Start  int
	End    int
}

// Document is the extracted text of one file with its structure.
type Document struct {
	Format     Format
	Title      string
	Text       string
	Pages      []Page    // PDF only
	Sections   []Section // in text order
	Paragraphs []Span    // in text order
	// PagesAnnounced is the page count a PDF's page tree states (/Count);
	// more than len(Pages) when pages could not be read (a file cut short).
	// 0 when the file states none (or its page tree is lost), and for
	// other formats.
	PagesAnnounced int
	// PagesLost says a PDF's page tree could not be read (a file cut short):
	// Pages are the page objects found, and others may be missing.
	PagesLost bool
}

// PageAt returns the 1-based page holding byte offset off, or 0 when the
// document has no pages.
func (d *Document) PageAt(off int) int {
	lo, hi := 0, len(d.Pages)
	for lo < hi {
		m := (lo + hi) / 2
		if d.Pages[m].End < off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(d.Pages) {
		return d.Pages[lo].Number
	}
	if len(d.Pages) > 0 {
		return d.Pages[len(d.Pages)-1].Number
	}
	return 0
}

// Limits bound the work and memory one file may cost.
type Limits struct {
	MaxInflated int64 // bytes a file may expand to (zip entries, PDF streams), and the largest file read whole
	MaxEntries  int   // entries in a zip-based file
	MaxDepth    int   // nesting of XML elements, PDF objects and form XObjects
	MaxPages    int   // pages of a PDF

	// Progress, when set, is called as the pages of a PDF are read, with
	// the pages done so far, last with pagesDone == pagesTotal. Other
	// formats do not call it.
	Progress func(pagesDone, pagesTotal int)
}

// DefaultLimits suits a desktop app: generous for real documents, fatal
// for bombs.
func DefaultLimits() Limits {
	return Limits{MaxInflated: 256 << 20, MaxEntries: 10000, MaxDepth: 256, MaxPages: 10000}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxInflated <= 0 {
		l.MaxInflated = d.MaxInflated
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxPages <= 0 {
		l.MaxPages = d.MaxPages
	}
	return l
}

// Detect names the format of a file from its first bytes (magic numbers
// first) and then its name's extension. An unknown format is an
// *UnsupportedError.
func Detect(name string, head []byte) (Format, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(name), "."))
	byExt := map[string]Format{
		"pdf": PDF, "docx": DOCX, "docm": DOCX, "odt": ODT, "epub": EPUB,
		"html": HTML, "htm": HTML, "xhtml": HTML, "md": Markdown, "markdown": Markdown,
		"mdown": Markdown, "mkd": Markdown, "txt": Text, "text": Text, "rtf": RTF,
	}
	h := head
	if len(h) > 1024 {
		h = h[:1024]
	}
	switch {
	case indexPDFHeader(h) >= 0:
		return PDF, nil
	case strings.HasPrefix(string(h), "{\\rtf"):
		return RTF, nil
	case strings.HasPrefix(string(h), "PK\x03\x04"):
		if f := zipFormat(h); f != "" {
			return f, nil
		}
		if f := byExt[ext]; f == DOCX || f == ODT || f == EPUB {
			return f, nil
		}
		return "", &UnsupportedError{Ext: ext}
	}
	if f, ok := byExt[ext]; ok {
		if (f == PDF || f == RTF || f == DOCX || f == ODT || f == EPUB) && looksHTML(h) {
			return HTML, nil // a web page saved under the wrong name
		}
		return f, nil // for a binary format, its reader reports a damaged file
	}
	if looksHTML(h) {
		return HTML, nil
	}
	if ext == "" && looksText(h) {
		return Text, nil
	}
	return "", &UnsupportedError{Ext: ext}
}

// indexPDFHeader finds "%PDF-" within the first kilobyte (some files carry
// junk before it).
func indexPDFHeader(h []byte) int { return strings.Index(string(h), "%PDF-") }

// zipFormat reads the mimetype entry ODF and EPUB files store first.
func zipFormat(h []byte) Format {
	s := string(h)
	switch {
	case strings.Contains(s, "mimetypeapplication/epub+zip"):
		return EPUB
	case strings.Contains(s, "mimetypeapplication/vnd.oasis.opendocument.text"):
		return ODT
	case strings.Contains(s, "[Content_Types].xml") || strings.Contains(s, "word/"):
		return DOCX
	}
	return ""
}

func looksHTML(h []byte) bool {
	s := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(string(h), "\ufeff")))
	return strings.HasPrefix(s, "<!doctype html") || strings.HasPrefix(s, "<html")
}

// looksText accepts a head without NUL bytes that is mostly UTF-8.
func looksText(h []byte) bool {
	if len(h) == 0 || bytes.IndexByte(h, 0) >= 0 {
		return false
	}
	return utf8.Valid(h[:max(0, len(h)-4)]) || bytes.HasPrefix(h, []byte{0xEF, 0xBB, 0xBF})
}

// Extract reads the file r of the given size (name gives its extension) and
// returns its text and structure. Failures are *Error or *UnsupportedError
// with a sentence for the user, or ctx.Err() when ctx is cancelled.
func Extract(ctx context.Context, r io.ReaderAt, size int64, name string, lim Limits) (doc *Document, err error) {
	defer func() {
		if p := recover(); p != nil {
			if fault, ok := p.(interface{ Addr() uintptr }); ok { // a mapped file shrank while read
				doc, err = nil, readError(fmt.Errorf("memory fault at %#x: %v", fault.Addr(), p))
				return
			}
			doc, err = nil, &Error{Kind: Internal, Msg: "Chapel could not read this file because of a bug in its reader",
				Err: fmt.Errorf("panic: %v\n%s", p, debug.Stack())}
		}
	}()
	lim = lim.withDefaults()
	if size == 0 {
		return nil, &Error{Kind: Empty, Msg: "the file is empty"}
	}
	head := make([]byte, min(size, 1024))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, readError(err)
	}
	f, err := Detect(name, head)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := &extractor{ctx: ctx, lim: lim, format: f}
	switch f {
	case PDF:
		doc, err = extractPDF(ctx, r, size, lim)
	case DOCX, ODT, EPUB:
		doc, err = extractZip(ctx, e, r, size)
	default:
		var data []byte
		data, err = readAll(r, size, lim, f)
		if err == nil {
			doc, err = extractFlat(e, data)
		}
	}
	if err != nil {
		return nil, err
	}
	doc.Format = f
	return doc, nil
}

// extractor carries what every format's reader needs.
type extractor struct {
	ctx    context.Context
	lim    Limits
	format Format
}

func extractFlat(e *extractor, data []byte) (*Document, error) {
	switch e.format {
	case HTML:
		return extractHTML(e, data)
	case Markdown:
		return extractMarkdown(e, data)
	case RTF:
		return extractRTF(e, data)
	default:
		return extractText(e, data)
	}
}

// Admit tells, from a file's name, first bytes (up to a kilobyte) and size
// alone, whether Extract would refuse it at once: an *UnsupportedError for
// a format Chapel does not read, an *Error for an empty file or one larger
// than Chapel reads whole (every format but the zip-based ones, whose
// entries are inflated one at a time). Check it before copying a file.
func Admit(name string, head []byte, size int64, lim Limits) (Format, error) {
	lim = lim.withDefaults()
	if size == 0 {
		return "", &Error{Kind: Empty, Msg: "the file is empty"}
	}
	f, err := Detect(name, head)
	if err != nil {
		return "", err
	}
	if err := sizeError(f, size, lim); err != nil {
		return f, err
	}
	return f, nil
}

// sizeError refuses a file of a format read whole when it is larger than
// lim.MaxInflated.
func sizeError(f Format, size int64, lim Limits) error {
	switch f {
	case DOCX, ODT, EPUB:
		return nil
	}
	if size > lim.MaxInflated {
		return &Error{Kind: TooLarge, Msg: fmt.Sprintf("this %s is larger than %d MB; Chapel stops there", formatNoun(f), lim.MaxInflated>>20)}
	}
	return nil
}

// readAll reads a whole file no larger than lim.MaxInflated.
func readAll(r io.ReaderAt, size int64, lim Limits, f Format) ([]byte, error) {
	if err := sizeError(f, size, lim); err != nil {
		return nil, err
	}
	data := make([]byte, size)
	n, err := r.ReadAt(data, 0)
	if err != nil && !(errors.Is(err, io.EOF) && int64(n) == size) {
		return nil, readError(err)
	}
	return data, nil
}

// formatNoun names a format in a sentence: "PDF", "DOCX file", …
func formatNoun(f Format) string {
	switch f {
	case PDF:
		return "PDF"
	case DOCX:
		return "DOCX file"
	case ODT:
		return "ODT file"
	case EPUB:
		return "EPUB book"
	case HTML:
		return "web page"
	case Markdown:
		return "Markdown file"
	case RTF:
		return "RTF file"
	}
	return "text file"
}
