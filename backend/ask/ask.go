// Package ask owns answering questions about a stored document: it finds
// the passages that match a question with the FTS5 index (BM25 ranking),
// keeps them within the model's room, and turns them into grounding for the
// chat — a system prompt that shows each passage under the citation marker
// the answer should use, "[p. 5]", "[pp. 12–14]" or "[§ Section]".
package ask

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/chapelapp/chapel/backend/chat"
	"github.com/chapelapp/chapel/backend/marker"
	"github.com/chapelapp/chapel/backend/store"
)

// MaxPassages is the most passages one answer is grounded on.
const MaxPassages = 6

// Retriever grounds a document conversation's turns on the document's
// passages. It implements chat.Grounder.
type Retriever struct {
	st *store.Store
}

// New returns a Retriever reading st.
func New(st *store.Store) *Retriever { return &Retriever{st: st} }

// Ground finds the passages of document documentID that best match
// question, at most maxChars of them (at least one), in document order.
func (r *Retriever) Ground(ctx context.Context, documentID int64, question string, maxChars int) (chat.Grounding, error) {
	doc, err := r.st.GetDocument(ctx, documentID)
	if err != nil {
		return chat.Grounding{}, err
	}
	hits, err := r.st.SearchChunks(ctx, documentID, question, MaxPassages)
	if err != nil {
		return chat.Grounding{}, err
	}
	chunks := make([]store.Chunk, 0, len(hits))
	for _, h := range hits {
		chunks = append(chunks, h.Chunk)
	}
	if len(chunks) == 0 {
		// Nothing matched (a question of common words): the beginning of
		// the document is the best guess.
		if chunks, err = r.st.Chunks(ctx, documentID, 0, 2); err != nil {
			return chat.Grounding{}, err
		}
	}
	chunks = fit(chunks, maxChars)
	sort.Slice(chunks, func(i, j int) bool { return chunks[i].Ord < chunks[j].Ord })

	var b strings.Builder
	fmt.Fprintf(&b, "Answer the user's question using only these passages from the document %q. ", doc.Name)
	b.WriteString("After each statement, copy the marker of the passage it comes from, exactly as written, e.g. ")
	var sources []string
	for _, c := range chunks {
		m := Marker(c)
		if len(sources) == 0 {
			b.WriteString(m + ". ")
			b.WriteString("If the passages do not answer the question, say so.\n")
		}
		if !slices.Contains(sources, m) {
			sources = append(sources, m)
		}
		fmt.Fprintf(&b, "\n%s\n%s\n", m, strings.TrimSpace(c.Text))
	}
	return chat.Grounding{System: b.String(), Sources: sources}, nil
}

// fit keeps the best-ranked chunks whose text fits maxChars (the first one
// always, cut to fit).
func fit(chunks []store.Chunk, maxChars int) []store.Chunk {
	if maxChars <= 0 {
		maxChars = 4000
	}
	var out []store.Chunk
	used := 0
	for _, c := range chunks {
		if used+len(c.Text) > maxChars {
			if len(out) == 0 {
				c.Text = cutRunes(c.Text, maxChars)
				out = append(out, c)
			}
			break
		}
		used += len(c.Text)
		out = append(out, c)
	}
	return out
}

// Marker is the citation marker of a chunk, as summaries write it.
func Marker(c store.Chunk) string { return marker.Chunk(c) }

func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
