package summarize

import (
	"context"
	"fmt"
	"strings"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
)

// Section is a heading of a document, for its table of contents.
type Section struct {
	Title string `json:"title"`
	Level int    `json:"level"`
	Page  int    `json:"page"`
}

// Detail is a document with its sections and its summaries.
type Detail struct {
	Document  store.Document `json:"document"`
	Sections  []Section      `json:"sections"`
	Summaries []View         `json:"summaries"`
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
	if d.Summaries, err = s.List(ctx, documentID); err != nil {
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

// Delete stops a document's summaries, waits for them to end and deletes
// the document with its chunks and summaries, then calls the function set
// with SetAfterDelete (which removes its stored file).
func (s *Service) Delete(ctx context.Context, documentID int64) error {
	s.mu.Lock()
	var waits []chan struct{}
	for _, a := range s.runs {
		if a.documentID == documentID {
			a.cancel()
			waits = append(waits, a.done)
		}
	}
	s.mu.Unlock()
	for _, w := range waits {
		select {
		case <-w:
		case <-ctx.Done():
			return apperr.Wrap(apperr.Unavailable, ctx.Err(), "the document's summary was still stopping")
		}
	}
	doc, err := s.st.GetDocument(ctx, documentID)
	if err != nil {
		return err
	}
	if err := s.st.DeleteDocument(ctx, documentID); err != nil {
		return err
	}
	s.mu.Lock()
	after := s.afterDelete
	s.mu.Unlock()
	if after != nil {
		after(ctx, doc)
	}
	return nil
}

// SetAfterDelete sets what Delete does after a document is deleted.
func (s *Service) SetAfterDelete(fn func(ctx context.Context, doc store.Document)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afterDelete = fn
}

// chunksDone counts the chunks whose map pieces (every part) are complete.
func chunksDone(pieces []store.SummaryPiece) int {
	parts := map[int]int{}
	n := 0
	for _, p := range pieces {
		if p.Level != 0 || p.Status != store.PieceComplete {
			continue
		}
		for c := p.First; c <= p.Last; c++ {
			parts[c]++
			if parts[c] == max(p.Parts, 1) {
				n++
			}
		}
	}
	return n
}

// PassageFor returns the passage a citation marker written in an answer
// stands for: the chunks on its pages, of its section ("[§ Title (2)]" for
// the second run of a title, as summaries write it), or its passage
// numbers. Markers are read as summaries read them (markerRe, parseMarker).
func (s *Service) PassageFor(ctx context.Context, documentID int64, marker string) (Passage, error) {
	marker = strings.TrimSpace(marker)
	m := markerRe.FindStringSubmatch(marker)
	var p parsed
	if m != nil && m[0] == marker {
		p = parseMarker(m)
	}
	if p.kind == 0 {
		return Passage{}, apperr.New(apperr.Invalid, "%q is not a citation Chapel can look up", marker)
	}
	chunks, err := s.st.Chunks(ctx, documentID, 0, -1)
	if err != nil {
		return Passage{}, err
	}
	lb := newLabels(chunks)
	first, last := -1, -1
	for i, c := range chunks {
		var cited bool
		switch p.kind {
		case 'p':
			cited = c.PageStart > 0 && c.PageStart <= p.b && max(c.PageEnd, c.PageStart) >= p.a
		case '¶':
			cited = c.Ord+1 >= p.a && c.Ord+1 <= p.b
		case '§':
			cited = lb.kind == bySections && lb.section[i] == p.title
		}
		if cited {
			if first < 0 {
				first = c.Ord
			}
			last = c.Ord
		}
	}
	if first < 0 {
		return Passage{}, apperr.New(apperr.NotFound, "the document has no passage for %s", marker)
	}
	return s.Passage(ctx, documentID, first, last)
}
