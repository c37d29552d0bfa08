package documents

// A passage's source is what the passage panel shows around a citation: for
// a PDF the page itself, read from the copy of the file Chapel keeps (the
// window renders it), with the passage's text on each of its pages to find
// and highlight there; for other formats the extracted text around the
// passage. The stored copy, not the file where it was dropped from, is what
// is read: it is content-addressed by the BLAKE3 hash the document is known
// by, so it is the very bytes the text was extracted from, and it is there
// after the original was moved, edited or deleted. It goes with the document.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
)

// Stored opens the copy of a document's file kept under its BLAKE3 hash
// (package ingest's Service).
type Stored interface {
	OpenStored(hash string) (*os.File, os.FileInfo, error)
}

// Sources reads what the passage panel shows around a passage. It holds no
// state of its own: it is safe for concurrent use and cheap to make.
type Sources struct {
	st    *store.Store
	files Stored
}

// NewSources returns the sources of the documents in st, whose stored files
// files opens.
func NewSources(st *store.Store, files Stored) *Sources { return &Sources{st: st, files: files} }

// Bounds of what a source carries.
const (
	// contextChunks is how many passages before and after are read for
	// the text around a passage; contextBytes bounds each side's text.
	contextChunks = 3
	contextBytes  = 3000
	// MaxRangeBytes bounds one read of a stored file (the window asks for
	// the parts of a PDF it needs, in pieces below this).
	MaxRangeBytes = 8 << 20
)

// FileURLPrefix is where the window reads a document's stored file:
// FileURLPrefix + id + "?start=S&end=E" answers bytes [S, E).
const FileURLPrefix = "/chapel-document/"

// File is a document's stored file as the page view sees it.
type File struct {
	Available bool   `json:"available"`
	Reason    string `json:"reason"` // why it cannot be shown, one sentence; "" when available
	Size      int64  `json:"size"`
	URL       string `json:"url"` // FileURLPrefix + id; "" when not available
}

// PageText is the part of a passage on one page.
type PageText struct {
	Page int    `json:"page"`
	Text string `json:"text"`
}

// Source is what the passage panel shows around chunks first..last.
type Source struct {
	DocumentID int64  `json:"document_id"`
	Format     string `json:"format"`
	FirstChunk int    `json:"first_chunk"`
	LastChunk  int    `json:"last_chunk"`
	// A PDF: its stored file, and the passage's text on each of its pages.
	File  *File      `json:"file"`
	Pages []PageText `json:"pages"`
	// The passage and the extracted text before and after it (at most
	// contextBytes each); More* say the document goes on past them.
	Before     string `json:"before"`
	Text       string `json:"text"`
	After      string `json:"after"`
	MoreBefore bool   `json:"more_before"`
	MoreAfter  bool   `json:"more_after"`
}

// Source returns what the passage panel shows for chunks first..last of a
// document.
func (s *Sources) Source(ctx context.Context, documentID int64, first, last int) (Source, error) {
	if first < 0 || last < first {
		return Source{}, apperr.New(apperr.Invalid, "passages %d to %d do not make a range", first, last)
	}
	doc, err := s.st.GetDocument(ctx, documentID)
	if err != nil {
		return Source{}, err
	}
	lo := max(0, first-contextChunks)
	cs, err := s.st.Chunks(ctx, documentID, lo, last+contextChunks)
	if err != nil {
		return Source{}, err
	}
	var before, text, after strings.Builder
	src := Source{DocumentID: documentID, Format: doc.Format, FirstChunk: -1, LastChunk: -1, Pages: []PageText{}}
	for _, c := range cs {
		switch {
		case c.Ord < first:
			before.WriteString(c.Text)
		case c.Ord > last:
			after.WriteString(c.Text)
		default:
			if src.FirstChunk < 0 {
				src.FirstChunk = c.Ord
			}
			src.LastChunk = c.Ord
			text.WriteString(c.Text)
			src.Pages = addPages(src.Pages, c)
		}
	}
	if src.FirstChunk < 0 {
		return Source{}, apperr.New(apperr.NotFound, "document %d has no passage %d", documentID, first)
	}
	src.Text = strings.ReplaceAll(text.String(), "\f", "\n\n")
	src.Before, src.MoreBefore = tail(strings.ReplaceAll(before.String(), "\f", "\n\n"), contextBytes)
	src.MoreBefore = src.MoreBefore || lo > 0
	src.After, src.MoreAfter = head(strings.ReplaceAll(after.String(), "\f", "\n\n"), contextBytes)
	src.MoreAfter = src.MoreAfter || (len(cs) > 0 && cs[len(cs)-1].Ord < doc.Chunks-1)
	if doc.Format == "pdf" {
		f := s.file(doc)
		src.File = &f
	}
	return src, nil
}

// addPages adds chunk c's text to the per-page parts of a passage: a form
// feed in the extracted text is a page break, and c starts on c.PageStart.
func addPages(pages []PageText, c store.Chunk) []PageText {
	if c.PageStart <= 0 {
		return pages
	}
	for i, part := range strings.Split(c.Text, "\f") {
		page := c.PageStart + i
		if n := len(pages); n > 0 && pages[n-1].Page == page {
			pages[n-1].Text += part
		} else if strings.TrimSpace(part) != "" || i == 0 {
			pages = append(pages, PageText{Page: page, Text: part})
		}
	}
	return pages
}

// file says whether a document's stored file can be shown, and where.
func (s *Sources) file(doc store.Document) File {
	f, fi, reason := s.openFile(doc)
	if f == nil {
		return File{Reason: reason}
	}
	f.Close()
	return File{Available: true, Size: fi.Size(), URL: fmt.Sprintf("%s%d", FileURLPrefix, doc.ID)}
}

// openFile opens a document's stored file, or says in a sentence why it
// cannot be shown.
func (s *Sources) openFile(doc store.Document) (*os.File, os.FileInfo, string) {
	f, fi, err := s.files.OpenStored(doc.Blake3)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, "Chapel's copy of this PDF is no longer in its documents folder, so the page can't be shown; add the file again to see its pages."
	case err != nil:
		return nil, nil, "Chapel's copy of this PDF could not be opened, so the page can't be shown."
	case fi.Size() != doc.SizeBytes:
		f.Close()
		return nil, nil, "Chapel's copy of this PDF has changed since it was added, so the page can't be shown; add the file again to see its pages."
	}
	return f, fi, ""
}

// Part is bytes [Start, End) of a document's stored file, to be read and closed.
type Part struct {
	io.Reader
	Start, End int64
	Size       int64 // of the whole file
	f          *os.File
}

// Close closes the stored file.
func (p *Part) Close() error { return p.f.Close() }

// Open opens bytes [start, end) of a PDF document's stored file; end past
// the file's end is cut to it, and a range longer than MaxRangeBytes is
// refused.
func (s *Sources) Open(ctx context.Context, documentID, start, end int64) (*Part, error) {
	if start < 0 || end <= start {
		return nil, apperr.New(apperr.Invalid, "bytes %d to %d do not make a range", start, end)
	}
	if end-start > MaxRangeBytes {
		return nil, apperr.New(apperr.Invalid, "at most %d bytes can be read at once", MaxRangeBytes)
	}
	doc, err := s.st.GetDocument(ctx, documentID)
	if err != nil {
		return nil, err
	}
	if doc.Format != "pdf" {
		return nil, apperr.New(apperr.NotFound, "only a PDF's pages are shown from its file")
	}
	f, fi, reason := s.openFile(doc)
	if f == nil {
		return nil, apperr.New(apperr.NotFound, "%s", reason)
	}
	if start >= fi.Size() {
		f.Close()
		return nil, apperr.New(apperr.Invalid, "byte %d is past the end of the file (%d bytes)", start, fi.Size())
	}
	end = min(end, fi.Size())
	return &Part{Reader: io.NewSectionReader(f, start, end-start), Start: start, End: end, Size: fi.Size(), f: f}, nil
}

// tail returns at most n bytes of the end of s, from a word boundary, and
// whether it cut.
func tail(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	cut := len(s) - n
	for cut < len(s) && !utf8.RuneStart(s[cut]) {
		cut++
	}
	if i := strings.IndexAny(s[cut:], " \n\t"); i >= 0 && i < 80 {
		cut += i + 1
	}
	return s[cut:], true
}

// head returns at most n bytes of the start of s, up to a word boundary,
// and whether it cut.
func head(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if i := strings.LastIndexAny(s[:cut], " \n\t"); i >= 0 && cut-i < 80 {
		cut = i
	}
	return s[:cut], true
}
