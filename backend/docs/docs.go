// Package docs owns document text extraction: it turns a PDF, DOCX, ODT,
// EPUB, HTML, Markdown, plain-text or RTF file into plain text that keeps the
// structure a summary needs to cite its sources: pages (PDF), sections
// (headings, or the PDF outline) and paragraphs, all as byte offsets into one
// text. It is pure Go, reads untrusted files defensively (size, entry-count
// and nesting limits, no panics) and reports failures as one sentence a
// person can read.
//
// docs detects a file's format, refuses what it cannot read, and holds the
// readers of every format but PDF, whose reader is backend/docs/pdf. The
// Document, Limits and Error types are backend/docs/doctext's, which the
// readers share; they are named here, so callers need only this package.
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

	"github.com/chapelapp/chapel/backend/docs/doctext"
	"github.com/chapelapp/chapel/backend/docs/pdf"
)

// The document model and the failures are doctext's, shared with the
// format readers (backend/docs/pdf); they are named here so that callers
// need only this package.
type (
	// Format is a document format Chapel can read.
	Format = doctext.Format
	// Span is a range of bytes [Start, End) in Document.Text.
	Span = doctext.Span
	// Section is a heading and the text it governs.
	Section = doctext.Section
	// Page is one page of a paginated document (PDF).
	Page = doctext.Page
	// Document is the extracted text of one file with its structure.
	Document = doctext.Document
	// Limits bound the work and memory one file may cost.
	Limits = doctext.Limits
	// Kind classifies an extraction failure.
	Kind = doctext.Kind
	// Error is an extraction failure: one sentence about the file, with
	// its cause kept for logs and errors.Is.
	Error = doctext.Error
	// UnsupportedError is a file whose format Chapel does not read.
	UnsupportedError = doctext.UnsupportedError
)

// The formats.
const (
	PDF      = doctext.PDF
	DOCX     = doctext.DOCX
	ODT      = doctext.ODT
	EPUB     = doctext.EPUB
	HTML     = doctext.HTML
	Markdown = doctext.Markdown
	Text     = doctext.Text
	RTF      = doctext.RTF
)

// The kinds of failure.
const (
	Damaged        = doctext.Damaged        // the file is truncated or corrupt
	Empty          = doctext.Empty          // the file has no bytes
	Encrypted      = doctext.Encrypted      // the file needs a password
	TooLarge       = doctext.TooLarge       // the file expands past Limits.MaxInflated
	TooManyEntries = doctext.TooManyEntries // a zip-based file holds more than Limits.MaxEntries files
	TooDeep        = doctext.TooDeep        // nesting deeper than Limits.MaxDepth
	TooManyPages   = doctext.TooManyPages   // a PDF with more than Limits.MaxPages pages
	NoText         = doctext.NoText         // a file with no text to read (a PDF of scanned images, a text file of blanks)
	Unreadable     = doctext.Unreadable     // reading the file failed (it vanished, a disk error)
	Internal       = doctext.Internal       // a bug in a reader, caught
	Binary         = doctext.Binary         // a file named as text that holds binary data
)

// DefaultLimits suits a desktop app: generous for real documents, fatal
// for bombs.
func DefaultLimits() Limits { return doctext.DefaultLimits() }

// KindOf returns the Kind of err, or 0 when err is not an *Error.
func KindOf(err error) Kind { return doctext.KindOf(err) }

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
			doc, err = nil, &Error{Kind: Internal, Msg: "Chapel could not read this file because of a bug in its reader",
				Err: fmt.Errorf("panic: %v\n%s", p, debug.Stack())}
		}
	}()
	lim = lim.WithDefaults()
	if size == 0 {
		return nil, &Error{Kind: Empty, Msg: "the file is empty"}
	}
	head := make([]byte, min(size, 1024))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, doctext.ReadError(err)
	}
	f, err := Detect(name, head)
	if err != nil {
		return nil, err
	}
	if err := checkText(f, head); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := &extractor{ctx: ctx, lim: lim, format: f}
	switch f {
	case PDF:
		doc, err = pdf.Extract(ctx, r, size, lim)
	case DOCX, ODT, EPUB:
		doc, err = extractZip(ctx, e, r, size)
	case Text, Markdown:
		// Decoded as it is read: the file's bytes are never held whole.
		if err = doctext.SizeError(f, size, lim); err != nil {
			break
		}
		if f == Text {
			doc, err = readText(e, r, size)
			break
		}
		var text string
		if text, err = readDecoded(ctx, r, size); err == nil {
			doc, err = extractMarkdown(e, text)
		}
	default:
		var data []byte
		data, err = doctext.ReadAll(r, size, lim, f)
		if err == nil {
			doc, err = extractFlat(e, data)
		}
	}
	if err != nil {
		return nil, err
	}
	if blank(doc.Text) {
		return nil, noTextError() // a PDF says why itself (scanned pages, pages lost)
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

// extractFlat reads the formats held in memory whole: HTML and RTF (plain
// text and Markdown stream, see Extract).
func extractFlat(e *extractor, data []byte) (*Document, error) {
	if e.format == RTF {
		return extractRTF(e, data)
	}
	return extractHTML(e, data)
}

// Admit tells, from a file's name, first bytes (up to a kilobyte) and size
// alone, whether Extract would refuse it at once: an *UnsupportedError for
// a format Chapel does not read, an *Error for an empty file, a text file
// holding binary data (Binary) or one larger
// than Chapel reads whole (every format but the zip-based ones, whose
// entries are inflated one at a time). Check it before copying a file.
func Admit(name string, head []byte, size int64, lim Limits) (Format, error) {
	lim = lim.WithDefaults()
	if size == 0 {
		return "", &Error{Kind: Empty, Msg: "the file is empty"}
	}
	f, err := Detect(name, head)
	if err != nil {
		return "", err
	}
	if err := checkText(f, head); err != nil {
		return f, err
	}
	if err := doctext.SizeError(f, size, lim); err != nil {
		return f, err
	}
	return f, nil
}
