package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"unicode"

	"github.com/chapelapp/chapel/backend/apperr"
)

// Document is a stored file: its BLAKE3 content hash, the name it was first
// added under, its format and size, and the counts a list shows.
type Document struct {
	ID        int64  `json:"id"`
	Blake3    string `json:"blake3"`
	Name      string `json:"name"`
	Format    string `json:"format"`
	SizeBytes int64  `json:"size_bytes"`
	Title     string `json:"title"`
	Pages     int    `json:"pages"` // page count (PDF); 0 when the format has none
	// PagesAnnounced is the page count a PDF states (0 when it states none);
	// PagesLost, that its page tree could not be read: a file cut short.
	PagesAnnounced int   `json:"pages_announced"`
	PagesLost      bool  `json:"pages_lost"`
	Chunks         int   `json:"chunks"`
	CreatedAt      int64 `json:"created_at"`
	UpdatedAt      int64 `json:"updated_at"`
}

// DocumentPage is one page's byte range in the extracted text.
type DocumentPage struct {
	Number int `json:"number"`
	Start  int `json:"start"`
	End    int `json:"end"`
}

// DocumentSection is a heading and the byte range it governs.
type DocumentSection struct {
	Title string `json:"title"`
	Level int    `json:"level"`
	Page  int    `json:"page"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// Chunk is a passage of a document. A document's chunks cover its text in
// order without gaps; summaries cite them and FTS5 searches them.
type Chunk struct {
	ID         int64  `json:"id"`
	DocumentID int64  `json:"document_id"`
	Ord        int    `json:"ord"`
	Start      int    `json:"start"`
	End        int    `json:"end"`
	PageStart  int    `json:"page_start"`
	PageEnd    int    `json:"page_end"`
	Section    string `json:"section"`
	Text       string `json:"text"`
}

// NewDocument is what AddDocument stores.
type NewDocument struct {
	Blake3    string
	Name      string
	Format    string
	SizeBytes int64
	Title     string
	Text      string
	Pages     []DocumentPage
	// PagesAnnounced and PagesLost as in Document.
	PagesAnnounced int
	PagesLost      bool
	Sections       []DocumentSection
	Chunks         []Chunk // Ord, Start, End, pages, Section and Text; IDs are assigned
}

// ChunkHit is a chunk found by SearchChunks, best first (lower Rank is better).
type ChunkHit struct {
	Chunk
	Rank float64 `json:"rank"`
}

const documentColumns = `d.id, d.blake3, d.name, d.format, d.size_bytes, d.title, d.pages, d.pages_announced, d.pages_lost,
	(SELECT count(*) FROM chunks c WHERE c.document_id = d.id), d.created_at, d.updated_at`

const chunkColumns = `c.id, c.document_id, c.ord, c.start, c."end", c.page_start, c.page_end, c.section, c.text`

// AddDocument stores a document unless one with the same hash exists, in
// which case that one is returned with created false: the same bytes under
// another name are one document.
func (s *Store) AddDocument(ctx context.Context, nd NewDocument) (doc Document, created bool, err error) {
	if err := validateNewDocument(nd); err != nil {
		return Document{}, false, err
	}
	err = s.inTx(ctx, "could not save the document", func(tx *sql.Tx) error {
		d, found, err := documentByHash(ctx, tx, nd.Blake3)
		if err != nil || found {
			doc = d
			return err
		}
		if doc, err = insertDocument(ctx, tx, nd, s.nowMS()); err != nil {
			return err
		}
		created = true
		return nil
	})
	return doc, created, err
}

// DocumentByHash finds the document with the given BLAKE3 hash.
func (s *Store) DocumentByHash(ctx context.Context, hash string) (doc Document, found bool, err error) {
	err = s.readTx(ctx, "could not look up the document", func(tx *sql.Tx) error {
		doc, found, err = documentByHash(ctx, tx, hash)
		return err
	})
	return doc, found, err
}

// GetDocument returns one document.
func (s *Store) GetDocument(ctx context.Context, id int64) (Document, error) {
	var d Document
	err := s.readTx(ctx, "could not read the document", func(tx *sql.Tx) error {
		var err error
		d, err = getDocument(ctx, tx, id)
		return err
	})
	return d, err
}

// ListDocuments returns every document, newest first.
func (s *Store) ListDocuments(ctx context.Context) ([]Document, error) {
	var ds []Document
	err := s.readTx(ctx, "could not list the documents", func(tx *sql.Tx) error {
		var err error
		ds, err = listDocuments(ctx, tx)
		return err
	})
	return ds, err
}

// DeleteDocument deletes a document with its chunks and summaries;
// conversations about it stay, detached.
func (s *Store) DeleteDocument(ctx context.Context, id int64) error {
	return s.deleteTx(ctx, "could not delete the document", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM documents WHERE id = ?`, id)
		return mustAffect(res, err, notFoundDocument(id))
	})
}

// DocumentText returns a document's whole extracted text.
func (s *Store) DocumentText(ctx context.Context, id int64) (string, error) {
	var text string
	err := s.readTx(ctx, "could not read the document's text", func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT text FROM document_texts WHERE document_id = ?`, id).Scan(&text)
		if errors.Is(err, sql.ErrNoRows) {
			return notFoundDocument(id)
		}
		return err
	})
	return text, err
}

// DocumentStructure returns a document's pages and sections in order.
func (s *Store) DocumentStructure(ctx context.Context, id int64) (pages []DocumentPage, sections []DocumentSection, err error) {
	err = s.readTx(ctx, "could not read the document's structure", func(tx *sql.Tx) error {
		if _, err := getDocument(ctx, tx, id); err != nil {
			return err
		}
		if pages, err = listPages(ctx, tx, id); err != nil {
			return err
		}
		sections, err = listSections(ctx, tx, id)
		return err
	})
	return pages, sections, err
}

// Chunks returns a document's chunks with ord in [first, last], in order;
// last < 0 means to the end.
func (s *Store) Chunks(ctx context.Context, documentID int64, first, last int) ([]Chunk, error) {
	var cs []Chunk
	err := s.readTx(ctx, "could not read the document's passages", func(tx *sql.Tx) error {
		if _, err := getDocument(ctx, tx, documentID); err != nil {
			return err
		}
		var err error
		cs, err = listChunks(ctx, tx, documentID, first, last)
		return err
	})
	return cs, err
}

// SearchChunks finds up to limit chunks of a document matching the words of
// query, best first by BM25. Words are matched as prefixes, any of them.
func (s *Store) SearchChunks(ctx context.Context, documentID int64, query string, limit int) ([]ChunkHit, error) {
	match := ftsQuery(query)
	hits := []ChunkHit{}
	if match == "" || limit <= 0 {
		return hits, nil
	}
	err := s.readTx(ctx, "could not search the document", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+chunkColumns+`, bm25(chunks_fts, 1.0, 0.5)
			FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid
			WHERE chunks_fts MATCH ? AND c.document_id = ?
			ORDER BY bm25(chunks_fts, 1.0, 0.5), c.ord LIMIT ?`, match, documentID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h ChunkHit
			if err := scanChunkInto(rows, &h.Chunk, &h.Rank); err != nil {
				return err
			}
			hits = append(hits, h)
		}
		return rows.Err()
	})
	return hits, err
}

// ftsQuery turns free text into an FTS5 query: each word (letters and
// digits) quoted as a prefix term, joined with OR, so no user input is ever
// parsed as FTS5 syntax.
func ftsQuery(q string) string {
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	seen := map[string]bool{}
	var terms []string
	for _, w := range words {
		w = strings.ToLower(w)
		if len([]rune(w)) < 2 || seen[w] || stopWords[w] {
			continue
		}
		seen[w] = true
		terms = append(terms, `"`+w+`"*`)
		if len(terms) == 32 {
			break
		}
	}
	return strings.Join(terms, " OR ")
}

// stopWords are left out of searches: they match nearly every chunk.
var stopWords = map[string]bool{
	"the": true, "and": true, "of": true, "to": true, "in": true, "is": true, "it": true, "a": true,
	"an": true, "for": true, "on": true, "that": true, "this": true, "with": true, "as": true, "are": true,
	"be": true, "by": true, "or": true, "at": true, "what": true, "how": true, "does": true, "do": true,
	"about": true, "which": true, "who": true, "why": true, "when": true, "where": true, "can": true,
	"you": true, "me": true, "tell": true, "document": true, "say": true, "says": true,
}

func validateNewDocument(nd NewDocument) error {
	if len(nd.Blake3) != 64 {
		return apperr.New(apperr.Invalid, "a document needs its 64-digit BLAKE3 hash")
	}
	if strings.TrimSpace(nd.Name) == "" {
		return apperr.New(apperr.Invalid, "a document needs a name")
	}
	pos := 0
	for i, c := range nd.Chunks {
		if c.Ord != i || c.Start != pos || c.End < c.Start || c.End > len(nd.Text) {
			return apperr.New(apperr.Invalid, "the passages of %s do not cover its text in order (passage %d)", nd.Name, i)
		}
		pos = c.End
	}
	if pos != len(nd.Text) {
		return apperr.New(apperr.Invalid, "the passages of %s stop at byte %d of %d", nd.Name, pos, len(nd.Text))
	}
	return nil
}

func notFoundDocument(id int64) error {
	return apperr.New(apperr.NotFound, "document %d not found", id)
}

func insertDocument(ctx context.Context, tx *sql.Tx, nd NewDocument, now int64) (Document, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO documents (blake3, name, format, size_bytes, title, pages, pages_announced, pages_lost, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, nd.Blake3, nd.Name, nd.Format, nd.SizeBytes, nd.Title, len(nd.Pages), nd.PagesAnnounced, nd.PagesLost, now, now)
	if err != nil {
		return Document{}, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Document{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO document_texts (document_id, text) VALUES (?, ?)`, id, nd.Text); err != nil {
		return Document{}, err
	}
	if err := insertRows(ctx, tx, `INSERT INTO document_pages (document_id, number, start, "end") VALUES (?, ?, ?, ?)`,
		len(nd.Pages), func(i int) []any { p := nd.Pages[i]; return []any{id, p.Number, p.Start, p.End} }); err != nil {
		return Document{}, err
	}
	if err := insertRows(ctx, tx, `INSERT INTO document_sections (document_id, ord, title, level, page, start, "end") VALUES (?, ?, ?, ?, ?, ?, ?)`,
		len(nd.Sections), func(i int) []any {
			s := nd.Sections[i]
			return []any{id, i, s.Title, s.Level, s.Page, s.Start, s.End}
		}); err != nil {
		return Document{}, err
	}
	if err := insertRows(ctx, tx, `INSERT INTO chunks (document_id, ord, start, "end", page_start, page_end, section, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		len(nd.Chunks), func(i int) []any {
			c := nd.Chunks[i]
			return []any{id, c.Ord, c.Start, c.End, c.PageStart, c.PageEnd, c.Section, c.Text}
		}); err != nil {
		return Document{}, err
	}
	return getDocument(ctx, tx, id)
}

// insertRows runs one prepared insert n times.
func insertRows(ctx context.Context, tx *sql.Tx, query string, n int, args func(i int) []any) error {
	if n == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := range n {
		if _, err := stmt.ExecContext(ctx, args(i)...); err != nil {
			return err
		}
	}
	return nil
}

func documentByHash(ctx context.Context, tx *sql.Tx, hash string) (Document, bool, error) {
	d, err := scanDocument(tx.QueryRowContext(ctx, `SELECT `+documentColumns+` FROM documents d WHERE d.blake3 = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return Document{}, false, nil
	}
	return d, err == nil, err
}

func getDocument(ctx context.Context, tx *sql.Tx, id int64) (Document, error) {
	d, err := scanDocument(tx.QueryRowContext(ctx, `SELECT `+documentColumns+` FROM documents d WHERE d.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Document{}, notFoundDocument(id)
	}
	return d, err
}

func listDocuments(ctx context.Context, tx *sql.Tx) ([]Document, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+documentColumns+` FROM documents d ORDER BY d.created_at DESC, d.id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ds := []Document{}
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	return ds, rows.Err()
}

func listPages(ctx context.Context, tx *sql.Tx, id int64) ([]DocumentPage, error) {
	rows, err := tx.QueryContext(ctx, `SELECT number, start, "end" FROM document_pages WHERE document_id = ? ORDER BY number`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ps := []DocumentPage{}
	for rows.Next() {
		var p DocumentPage
		if err := rows.Scan(&p.Number, &p.Start, &p.End); err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

func listSections(ctx context.Context, tx *sql.Tx, id int64) ([]DocumentSection, error) {
	rows, err := tx.QueryContext(ctx, `SELECT title, level, page, start, "end" FROM document_sections WHERE document_id = ? ORDER BY ord`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ss := []DocumentSection{}
	for rows.Next() {
		var s DocumentSection
		if err := rows.Scan(&s.Title, &s.Level, &s.Page, &s.Start, &s.End); err != nil {
			return nil, err
		}
		ss = append(ss, s)
	}
	return ss, rows.Err()
}

func listChunks(ctx context.Context, tx *sql.Tx, documentID int64, first, last int) ([]Chunk, error) {
	if last < 0 {
		last = int(^uint32(0) >> 1)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+chunkColumns+` FROM chunks c
		WHERE c.document_id = ? AND c.ord BETWEEN ? AND ? ORDER BY c.ord`, documentID, first, last)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cs := []Chunk{}
	for rows.Next() {
		var c Chunk
		if err := scanChunkInto(rows, &c); err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

func scanDocument(r rowScanner) (Document, error) {
	var d Document
	err := r.Scan(&d.ID, &d.Blake3, &d.Name, &d.Format, &d.SizeBytes, &d.Title, &d.Pages, &d.PagesAnnounced, &d.PagesLost, &d.Chunks, &d.CreatedAt, &d.UpdatedAt)
	return d, err
}

func scanChunkInto(r rowScanner, c *Chunk, extra ...any) error {
	dest := append([]any{&c.ID, &c.DocumentID, &c.Ord, &c.Start, &c.End, &c.PageStart, &c.PageEnd, &c.Section, &c.Text}, extra...)
	return r.Scan(dest...)
}
