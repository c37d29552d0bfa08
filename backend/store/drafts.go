package store

import (
	"context"
	"database/sql"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/apperr"
)

// MaxDraftBytes bounds an unsent draft: a message box holding more is
// refused rather than written on every keystroke.
const MaxDraftBytes = 1 << 20

// Draft is the unsent text of a conversation's message box.
type Draft struct {
	ConversationID int64  `json:"conversation_id"` // 0: the box with no conversation open
	Text           string `json:"text"`
	UpdatedAt      int64  `json:"updated_at"`
}

// SaveDraft keeps text as the unsent draft of conversation id (0: the box
// with no conversation open); an empty text deletes the draft. A draft for
// a conversation that is gone is refused as not found.
func (s *Store) SaveDraft(ctx context.Context, id int64, text string) error {
	switch {
	case id < 0:
		return apperr.New(apperr.Invalid, "there is no conversation %d", id)
	case len(text) > MaxDraftBytes:
		return apperr.New(apperr.Invalid, "the unsent message is too long to keep (%d KB; at most %d KB)", len(text)>>10, MaxDraftBytes>>10)
	case !utf8.ValidString(text):
		return apperr.New(apperr.Invalid, "the unsent message is not valid text")
	}
	return s.inTx(ctx, "could not keep the unsent message", func(tx *sql.Tx) error {
		if text == "" {
			return deleteDraft(ctx, tx, id)
		}
		if id != 0 {
			if _, err := getConversation(ctx, tx, id); err != nil {
				return err
			}
		}
		return putDraft(ctx, tx, id, text, s.nowMS())
	})
}

// Drafts returns every unsent draft, of the conversations that still exist.
func (s *Store) Drafts(ctx context.Context) ([]Draft, error) {
	var out []Draft
	err := s.readTx(ctx, "could not read the unsent messages", func(tx *sql.Tx) error {
		var err error
		out, err = listDrafts(ctx, tx)
		return err
	})
	return out, err
}

func putDraft(ctx context.Context, tx *sql.Tx, id int64, text string, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO drafts (conversation_id, text, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (conversation_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at`, id, text, now)
	return err
}

func deleteDraft(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM drafts WHERE conversation_id = ?`, id)
	return err
}

func listDrafts(ctx context.Context, tx *sql.Tx) ([]Draft, error) {
	rows, err := tx.QueryContext(ctx, `SELECT d.conversation_id, d.text, d.updated_at FROM drafts d
		WHERE d.conversation_id = 0 OR EXISTS (SELECT 1 FROM conversations c WHERE c.id = d.conversation_id)
		ORDER BY d.conversation_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Draft{}
	for rows.Next() {
		var d Draft
		if err := rows.Scan(&d.ConversationID, &d.Text, &d.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
