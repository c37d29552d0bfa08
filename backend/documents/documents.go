// Package documents owns a document once it is added: its page in the
// window (its sections and summaries), its passages (a range of chunks, or
// the chunks a citation marker stands for) and its deletion (its summaries
// stopped, its stored file and its rows removed). Adding documents is
// package ingest's; making summaries is package summarize's.
package documents

import (
	"context"
	"fmt"
	"strings"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
	"github.com/chapelapp/chapel/backend/summarize"
)

// Files removes the stored copy of a document (package ingest's Service).
type Files interface {
	// Release removes the stored file of a document about to be deleted.
	Release(hash string)
	// Forget removes the stored file of a deleted document, unless
	// another document still uses it.
	Forget(ctx context.Context, hash string)
}

// Service serves the documents in a store. It is safe for concurrent use.
type Service struct {
	st        *store.Store
	summaries *summarize.Service
	files     Files
}

// New returns a Service over st whose documents' summaries are made by
// summaries and whose stored files are kept by files.
func New(st *store.Store, summaries *summarize.Service, files Files) *Service {
	return &Service{st: st, summaries: summaries, files: files}
}

// Section is a heading of a document, for its table of contents.
type Section struct {
	Title string `json:"title"`
	Level int    `json:"level"`
	Page  int    `json:"page"`
}

// Detail is a document with its sections and its summaries.
type Detail struct {
	Document  store.Document   `json:"document"`
	Sections  []Section        `json:"sections"`
	Summaries []summarize.View `json:"summaries"`
}

// Passage is the text of chunks first..last of a document, which a
// citation points at.
type Passage struct {
	DocumentID int64  `json:"document_id"`
	FirstChunk int    `json:"first_chunk"`
	LastChunk  int    `json:"last_chunk"`
	PageStart  int    `json:"page_start"`
	PageEnd    int    `json:"page_end"`
	Section    string `json:"section"`
	Text       string `json:"text"`
}

// Detail returns a document with its sections and summaries (most recently
// updated first).
func (s *Service) Detail(ctx context.Context, documentID int64) (Detail, error) {
	doc, err := s.st.GetDocument(ctx, documentID)
	if err != nil {
		return Detail{}, err
	}
	_, secs, err := s.st.DocumentStructure(ctx, documentID)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Document: doc, Sections: make([]Section, len(secs))}
	for i, sec := range secs {
		d.Sections[i] = Section{Title: sec.Title, Level: sec.Level, Page: sec.Page}
	}
	if d.Summaries, err = s.summaries.List(ctx, documentID); err != nil {
		return Detail{}, err
	}
	return d, nil
}

// Passage returns the text of chunks first..last of a document.
func (s *Service) Passage(ctx context.Context, documentID int64, first, last int) (Passage, error) {
	if first < 0 || last < first {
		return Passage{}, apperr.New(apperr.Invalid, "passages %d to %d do not make a range", first, last)
	}
	cs, err := s.st.Chunks(ctx, documentID, first, last)
	if err != nil {
		return Passage{}, err
	}
	if len(cs) == 0 {
		return Passage{}, apperr.New(apperr.NotFound, "document %d has no passage %d", documentID, first)
	}
	p := Passage{DocumentID: documentID, FirstChunk: cs[0].Ord, LastChunk: cs[len(cs)-1].Ord, Section: cs[0].Section}
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.Text)
		if c.PageStart > 0 && (p.PageStart == 0 || c.PageStart < p.PageStart) {
			p.PageStart = c.PageStart
		}
		p.PageEnd = max(p.PageEnd, c.PageEnd, c.PageStart)
	}
	p.Text = pageBreaks(b.String(), p.PageStart)
	return p, nil
}

// pageBreaks shows each page break (a form feed in the extracted text) in
// a passage starting on page first as a line naming the next page.
func pageBreaks(text string, first int) string {
	if first <= 0 || !strings.Contains(text, "\f") {
		return strings.ReplaceAll(text, "\f", "\n\n")
	}
	var b strings.Builder
	page := first
	for i, part := range strings.Split(text, "\f") {
		if i > 0 {
			page++
			fmt.Fprintf(&b, "\n\n— page %d —\n\n", page)
		}
		b.WriteString(strings.Trim(part, "\n"))
	}
	return b.String()
}

// PassageFor returns the passage a citation marker written in an answer
// stands for (summarize.CitedChunks reads it).
func (s *Service) PassageFor(ctx context.Context, documentID int64, marker string) (Passage, error) {
	chunks, err := s.st.Chunks(ctx, documentID, 0, -1)
	if err != nil {
		return Passage{}, err
	}
	first, last, err := summarize.CitedChunks(chunks, marker)
	if err != nil {
		return Passage{}, err
	}
	return s.Passage(ctx, documentID, first, last)
}

// Delete deletes a document: its stored copy first (on a full disk that is
// the room the delete needs), then, once its summaries stopped, its rows
// with its chunks and summaries; last the stored file is forgotten (kept
// while another document uses it).
func (s *Service) Delete(ctx context.Context, documentID int64) error {
	doc, err := s.st.GetDocument(ctx, documentID)
	if err != nil {
		return err
	}
	s.files.Release(doc.Blake3)
	if err := s.summaries.StopDocument(ctx, documentID); err != nil {
		return err
	}
	if err := s.st.DeleteDocument(ctx, documentID); err != nil {
		return err
	}
	s.files.Forget(ctx, doc.Blake3)
	return nil
}
