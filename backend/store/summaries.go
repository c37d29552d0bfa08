package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/chapelapp/chapel/backend/apperr"
)

// Summary statuses.
const (
	SummaryRunning  = "running"
	SummaryComplete = "complete"
	SummaryPartial  = "partial" // finished, but some pieces failed
	SummaryFailed   = "failed"
	SummaryCanceled = "canceled"
)

// Piece statuses.
const (
	PieceComplete = "complete"
	PieceFailed   = "failed"
)

// Summary is one summary of a document in one style, made with the model
// and settings its CacheKey names. Citations is JSON, owned by the
// summarize package.
type Summary struct {
	ID          int64           `json:"id"`
	DocumentID  int64           `json:"document_id"`
	Style       string          `json:"style"`
	CacheKey    string          `json:"cache_key"`
	Model       string          `json:"model"`
	Status      string          `json:"status"`
	Text        string          `json:"text"`
	Coverage    string          `json:"coverage"`
	Citations   json.RawMessage `json:"citations"`
	Error       string          `json:"error"`
	PiecesTotal int             `json:"pieces_total"`
	PiecesDone  int             `json:"pieces_done"`
	// MapPlan is the JSON list of the current plan's map steps, and
	// TokenCounts how its tokens were counted (both owned by the
	// summarize package).
	MapPlan     json.RawMessage `json:"map_plan"`
	TokenCounts string          `json:"token_counts"`
	CreatedAt   int64           `json:"created_at"`
	UpdatedAt   int64           `json:"updated_at"`
}

// SummaryPiece is one saved partial summary. Level 0 summarises chunks
// First..Last (part Part of Parts when one chunk is split); level n > 0
// combines pieces First..Last of level n-1.
type SummaryPiece struct {
	SummaryID        int64  `json:"summary_id"`
	Level            int    `json:"level"`
	Ord              int    `json:"ord"`
	First            int    `json:"first"`
	Last             int    `json:"last"`
	Part             int    `json:"part"`
	Parts            int    `json:"parts"`
	Status           string `json:"status"`
	Text             string `json:"text"`
	Error            string `json:"error"`
	PromptTokens     int    `json:"prompt_tokens"`
	CompletionTokens int    `json:"completion_tokens"`
	Engine           string `json:"engine"`     // the engine that wrote it ("local", an endpoint's description; "" before 0006)
	CreatedAt        int64  `json:"created_at"` // when it was saved (set by SavePiece)
}

const summaryColumns = `s.id, s.document_id, s.style, s.cache_key, s.model, s.status, s.text, s.coverage, s.citations,
	s.error, s.pieces_total, (SELECT count(*) FROM summary_pieces p WHERE p.summary_id = s.id AND p.status = 'complete'),
	s.map_plan, s.token_counts, s.created_at, s.updated_at`

// StartSummary returns the summary of a document in a style with a cache
// key, creating it if needed, with the pieces already saved. A finished
// summary is returned as it is; the caller decides whether to run it again
// (ReopenSummary).
func (s *Store) StartSummary(ctx context.Context, documentID int64, style, cacheKey, model string) (Summary, []SummaryPiece, error) {
	var sum Summary
	var pieces []SummaryPiece
	err := s.inTx(ctx, "could not start the summary", func(tx *sql.Tx) error {
		if _, err := getDocument(ctx, tx, documentID); err != nil {
			return err
		}
		now := s.nowMS()
		if _, err := tx.ExecContext(ctx, `INSERT INTO summaries (document_id, style, cache_key, model, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'running', ?, ?) ON CONFLICT (document_id, style, cache_key) DO NOTHING`,
			documentID, style, cacheKey, model, now, now); err != nil {
			return err
		}
		var err error
		sum, err = scanSummary(tx.QueryRowContext(ctx, `SELECT `+summaryColumns+` FROM summaries s
			WHERE s.document_id = ? AND s.style = ? AND s.cache_key = ?`, documentID, style, cacheKey))
		if err != nil {
			return err
		}
		pieces, err = listPieces(ctx, tx, sum.ID)
		return err
	})
	return sum, pieces, err
}

// ReopenSummary marks a summary running again and forgets its failed pieces
// so they are retried; complete pieces are kept. Its updated_at always
// moves on (by 1 ms at least), so that AbandonSummary, given the time read
// before, never stops the run that reopened it.
func (s *Store) ReopenSummary(ctx context.Context, id int64) error {
	return s.inTx(ctx, "could not resume the summary", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE summaries SET status = 'running', error = '', updated_at = max(?, updated_at + 1) WHERE id = ?`, s.nowMS(), id)
		if err := mustAffect(res, err, notFoundSummary(id)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM summary_pieces WHERE summary_id = ? AND status = 'failed'`, id)
		return err
	})
}

// SetSummaryTotal records how many pieces the summary is expected to take.
func (s *Store) SetSummaryTotal(ctx context.Context, id int64, total int) error {
	return s.inTx(ctx, "could not save the summary's progress", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE summaries SET pieces_total = ?, updated_at = ? WHERE id = ?`, total, s.nowMS(), id)
		return mustAffect(res, err, notFoundSummary(id))
	})
}

// SavePiece saves a partial summary (replacing one at the same level and ord).
func (s *Store) SavePiece(ctx context.Context, p SummaryPiece) error {
	if p.Status != PieceComplete && p.Status != PieceFailed {
		return apperr.New(apperr.Invalid, "a summary piece cannot be saved as %q", p.Status)
	}
	return s.inTx(ctx, "could not save part of the summary", func(tx *sql.Tx) error {
		now := s.nowMS()
		res, err := tx.ExecContext(ctx, `UPDATE summaries SET updated_at = ? WHERE id = ?`, now, p.SummaryID)
		if err := mustAffect(res, err, notFoundSummary(p.SummaryID)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO summary_pieces
			(summary_id, level, ord, first_chunk, last_chunk, part, parts, status, text, error, prompt_tokens, completion_tokens, engine, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.SummaryID, p.Level, p.Ord, p.First, p.Last, p.Part, max(p.Parts, 1), p.Status, p.Text, p.Error,
			p.PromptTokens, p.CompletionTokens, p.Engine, now)
		return err
	})
}

// SetSummaryPlan records a summary's map plan (JSON, see Summary.MapPlan)
// and how its tokens were counted.
func (s *Store) SetSummaryPlan(ctx context.Context, id int64, plan json.RawMessage, counts string) error {
	if len(plan) == 0 {
		plan = json.RawMessage("[]")
	}
	return s.inTx(ctx, "could not save the summary's plan", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE summaries SET map_plan = ?, token_counts = ?, updated_at = ? WHERE id = ?`,
			string(plan), counts, s.nowMS(), id)
		return mustAffect(res, err, notFoundSummary(id))
	})
}

// DeletePieces forgets the pieces of a level from ord on (a plan changed).
func (s *Store) DeletePieces(ctx context.Context, summaryID int64, level, fromOrd int) error {
	return s.inTx(ctx, "could not update the summary", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM summary_pieces WHERE summary_id = ? AND (level > ? OR (level = ? AND ord >= ?))`,
			summaryID, level, level, fromOrd)
		return err
	})
}

// FinishSummary saves the final text, coverage line and citations (JSON)
// with a final status. A canceled or failed summary that brings neither
// text nor a coverage line keeps those it had (from an earlier run).
func (s *Store) FinishSummary(ctx context.Context, id int64, status, text, coverage string, citations json.RawMessage, errText string) error {
	switch status {
	case SummaryComplete, SummaryPartial, SummaryFailed, SummaryCanceled:
	default:
		return apperr.New(apperr.Invalid, "a summary cannot end as %q", status)
	}
	if len(citations) == 0 {
		citations = json.RawMessage("[]")
	}
	return s.inTx(ctx, "could not save the summary", func(tx *sql.Tx) error {
		if (status == SummaryCanceled || status == SummaryFailed) && text == "" && coverage == "" {
			// A stopped or failed re-run keeps the text an earlier run made.
			res, err := tx.ExecContext(ctx, `UPDATE summaries SET status = ?, error = ?, updated_at = ? WHERE id = ?`,
				status, errText, s.nowMS(), id)
			return mustAffect(res, err, notFoundSummary(id))
		}
		res, err := tx.ExecContext(ctx, `UPDATE summaries SET status = ?, text = ?, coverage = ?, citations = ?, error = ?, updated_at = ?
			WHERE id = ?`, status, text, coverage, string(citations), errText, s.nowMS(), id)
		return mustAffect(res, err, notFoundSummary(id))
	})
}

// GetSummary returns one summary.
func (s *Store) GetSummary(ctx context.Context, id int64) (Summary, error) {
	var sum Summary
	err := s.readTx(ctx, "could not read the summary", func(tx *sql.Tx) error {
		var err error
		sum, err = scanSummary(tx.QueryRowContext(ctx, `SELECT `+summaryColumns+` FROM summaries s WHERE s.id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFoundSummary(id)
		}
		return err
	})
	return sum, err
}

// ListSummaries returns a document's summaries, most recently updated first.
func (s *Store) ListSummaries(ctx context.Context, documentID int64) ([]Summary, error) {
	var out []Summary
	err := s.readTx(ctx, "could not list the summaries", func(tx *sql.Tx) error {
		var err error
		out, err = selectSummaries(ctx, tx, `WHERE s.document_id = ? ORDER BY s.updated_at DESC, s.id DESC`, documentID)
		return err
	})
	return out, err
}

// Pieces returns a summary's saved pieces by level, then ord.
func (s *Store) Pieces(ctx context.Context, summaryID int64) ([]SummaryPiece, error) {
	var ps []SummaryPiece
	err := s.readTx(ctx, "could not read the summary's pieces", func(tx *sql.Tx) error {
		var err error
		ps, err = listPieces(ctx, tx, summaryID)
		return err
	})
	return ps, err
}

// RunningSummaries returns the summaries marked running: made now by a
// process, or left so by one that ended without finishing them.
func (s *Store) RunningSummaries(ctx context.Context) ([]Summary, error) {
	var out []Summary
	err := s.readTx(ctx, "could not list the unfinished summaries", func(tx *sql.Tx) error {
		var err error
		out, err = selectSummaries(ctx, tx, `WHERE s.status = 'running' ORDER BY s.id`)
		return err
	})
	return out, err
}

// selectSummaries reads the summaries that where (a WHERE and ORDER BY
// clause over summaries s) picks.
func selectSummaries(ctx context.Context, tx *sql.Tx, where string, args ...any) ([]Summary, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+summaryColumns+` FROM summaries s `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		sum, err := scanSummary(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sum)
	}
	return out, rows.Err()
}

// AbandonSummary records as stopped a summary left running by a process
// that ended without finishing it (its pieces are kept, to resume). seen
// is its updated_at when the caller found its lock free, so no live
// process was making it: a summary reopened since (ReopenSummary moves
// updated_at on) or not running is left as it is.
func (s *Store) AbandonSummary(ctx context.Context, id, seen int64) error {
	return s.inTx(ctx, "could not record the unfinished summary", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE summaries SET status = 'canceled', error = 'Chapel stopped before the summary was finished', updated_at = ?
			WHERE id = ? AND status = 'running' AND updated_at = ?`, s.nowMS(), id, seen)
		return err
	})
}

func notFoundSummary(id int64) error {
	return apperr.New(apperr.NotFound, "summary %d not found", id)
}

func listPieces(ctx context.Context, tx *sql.Tx, summaryID int64) ([]SummaryPiece, error) {
	rows, err := tx.QueryContext(ctx, `SELECT summary_id, level, ord, first_chunk, last_chunk, part, parts, status, text, error,
		prompt_tokens, completion_tokens, engine, created_at FROM summary_pieces WHERE summary_id = ? ORDER BY level, ord`, summaryID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ps := []SummaryPiece{}
	for rows.Next() {
		var p SummaryPiece
		if err := rows.Scan(&p.SummaryID, &p.Level, &p.Ord, &p.First, &p.Last, &p.Part, &p.Parts, &p.Status, &p.Text,
			&p.Error, &p.PromptTokens, &p.CompletionTokens, &p.Engine, &p.CreatedAt); err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

func scanSummary(r rowScanner) (Summary, error) {
	var s Summary
	var cites, plan string
	err := r.Scan(&s.ID, &s.DocumentID, &s.Style, &s.CacheKey, &s.Model, &s.Status, &s.Text, &s.Coverage, &cites,
		&s.Error, &s.PiecesTotal, &s.PiecesDone, &plan, &s.TokenCounts, &s.CreatedAt, &s.UpdatedAt)
	s.Citations, s.MapPlan = json.RawMessage(cites), json.RawMessage(plan)
	return s, err
}
