package store

import (
	"context"
	"database/sql"
	"strings"
	"unicode"
)

// Search finds words across everything Chapel keeps: every message of
// every conversation (all branches) and every passage of every document,
// through their FTS5 indexes, best first by BM25.

// Snippet markers: a snippet's matched words stand between HitStart and
// HitEnd. They are control characters no text Chapel stores contains, so a
// UI can escape the snippet and then turn them into highlighting.
const (
	HitStart = "\x02"
	HitEnd   = "\x03"
)

// MessageHit is a message that matches a search.
type MessageHit struct {
	MessageID         int64   `json:"message_id"`
	ConversationID    int64   `json:"conversation_id"`
	ConversationTitle string  `json:"conversation_title"`
	Role              string  `json:"role"`
	Snippet           string  `json:"snippet"`
	Rank              float64 `json:"rank"` // BM25: lower is better
	CreatedAt         int64   `json:"created_at"`
}

// PassageHit is a document passage that matches a search.
type PassageHit struct {
	DocumentID   int64   `json:"document_id"`
	DocumentName string  `json:"document_name"`
	ChunkOrd     int     `json:"chunk_ord"`
	PageStart    int     `json:"page_start"`
	PageEnd      int     `json:"page_end"`
	Section      string  `json:"section"`
	Snippet      string  `json:"snippet"`
	Rank         float64 `json:"rank"`
}

// SearchResults are the hits of one search, each list best first.
type SearchResults struct {
	Query    string       `json:"query"`
	Messages []MessageHit `json:"messages"`
	Passages []PassageHit `json:"passages"`
}

// snippetWords is how many words a snippet shows around the matches.
const snippetWords = 16

// Search finds up to limit messages and up to limit passages containing
// every word of query (as word prefixes, in any order).
func (s *Store) Search(ctx context.Context, query string, limit int) (SearchResults, error) {
	res := SearchResults{Query: query, Messages: []MessageHit{}, Passages: []PassageHit{}}
	match := searchQuery(query)
	if match == "" || limit <= 0 {
		return res, nil
	}
	err := s.readTx(ctx, "could not search", func(tx *sql.Tx) error {
		var err error
		if res.Messages, err = searchMessages(ctx, tx, match, limit); err != nil {
			return err
		}
		res.Passages, err = searchPassages(ctx, tx, match, limit)
		return err
	})
	return res, err
}

// SearchMessages finds up to limit messages containing every word of query.
func (s *Store) SearchMessages(ctx context.Context, query string, limit int) ([]MessageHit, error) {
	r, err := s.Search(ctx, query, limit)
	return r.Messages, err
}

func searchMessages(ctx context.Context, tx *sql.Tx, match string, limit int) ([]MessageHit, error) {
	rows, err := tx.QueryContext(ctx, `SELECT m.id, m.conversation_id, c.title, m.role,
			snippet(messages_fts, 0, ?, ?, '…', ?), bm25(messages_fts), m.created_at
		FROM messages_fts
		JOIN messages m ON m.id = messages_fts.rowid
		JOIN conversations c ON c.id = m.conversation_id
		WHERE messages_fts MATCH ?
		ORDER BY bm25(messages_fts), m.id DESC LIMIT ?`, HitStart, HitEnd, snippetWords, match, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	hits := []MessageHit{}
	for rows.Next() {
		var h MessageHit
		if err := rows.Scan(&h.MessageID, &h.ConversationID, &h.ConversationTitle, &h.Role, &h.Snippet, &h.Rank, &h.CreatedAt); err != nil {
			return nil, err
		}
		hits = append(hits, h)
	}
	return hits, rows.Err()
}

func searchPassages(ctx context.Context, tx *sql.Tx, match string, limit int) ([]PassageHit, error) {
	rows, err := tx.QueryContext(ctx, `SELECT d.id, d.name, ch.ord, ch.page_start, ch.page_end, ch.section,
			snippet(chunks_fts, 0, ?, ?, '…', ?), bm25(chunks_fts, 1.0, 0.5)
		FROM chunks_fts
		JOIN chunks ch ON ch.id = chunks_fts.rowid
		JOIN documents d ON d.id = ch.document_id
		WHERE chunks_fts MATCH ?
		ORDER BY bm25(chunks_fts, 1.0, 0.5), d.id DESC, ch.ord LIMIT ?`, HitStart, HitEnd, snippetWords, match, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	hits := []PassageHit{}
	for rows.Next() {
		var h PassageHit
		if err := rows.Scan(&h.DocumentID, &h.DocumentName, &h.ChunkOrd, &h.PageStart, &h.PageEnd, &h.Section, &h.Snippet, &h.Rank); err != nil {
			return nil, err
		}
		hits = append(hits, h)
	}
	return hits, rows.Err()
}

// searchQuery turns what a person typed into an FTS5 query that needs every
// word (letters and digits), each as a quoted prefix, so nothing typed is
// ever parsed as FTS5 syntax.
func searchQuery(q string) string {
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	seen := map[string]bool{}
	var terms []string
	for _, w := range words {
		w = strings.ToLower(w)
		if seen[w] {
			continue
		}
		seen[w] = true
		terms = append(terms, `"`+w+`"*`)
		if len(terms) == 16 {
			break
		}
	}
	return strings.Join(terms, " ")
}
