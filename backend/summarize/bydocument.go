package summarize

import (
	"context"
	"strings"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
)

// StopDocument stops the summaries of a document that are running and
// waits for them to end (their pieces saved), or for ctx to end: what a
// delete of the document needs first.
func (s *Service) StopDocument(ctx context.Context, documentID int64) error {
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
	return nil
}

// CitedChunks returns the first and last chunk (by Ord) of a document's
// chunks that a citation marker written in an answer stands for: the chunks
// on its pages, of its section ("[§ Title (2)]" for the second run of a
// title, as summaries write it), or its passage numbers. Markers are read
// as summaries read them (markerRe, parseMarker).
func CitedChunks(chunks []store.Chunk, marker string) (first, last int, err error) {
	marker = strings.TrimSpace(marker)
	m := markerRe.FindStringSubmatch(marker)
	var p parsed
	if m != nil && m[0] == marker {
		p = parseMarker(m)
	}
	if p.kind == 0 {
		return 0, 0, apperr.New(apperr.Invalid, "%q is not a citation Chapel can look up", marker)
	}
	lb := newLabels(chunks)
	first, last = -1, -1
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
		return 0, 0, apperr.New(apperr.NotFound, "the document has no passage for %s", marker)
	}
	return first, last, nil
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
