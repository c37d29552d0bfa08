package store

import (
	"context"
	"database/sql"
	"strings"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/apperr"
)

// maxThinking bounds the thinking kept with one reply.
const maxThinking = 4 << 20

// SetMessageThinking saves what a reasoning model thought before the
// answer of reply id, and for how long (ms), apart from its content: the
// content stays the answer alone. Only an assistant reply has thinking.
func (s *Store) SetMessageThinking(ctx context.Context, id int64, thinking string, ms int64) (Message, error) {
	thinking = strings.TrimSpace(thinking)
	if len(thinking) > maxThinking {
		thinking = thinking[:maxThinking]
		for !utf8.ValidString(thinking) {
			thinking = thinking[:len(thinking)-1] // a character cut in two
		}
	}
	var m Message
	err := s.inTx(ctx, "could not save the reply's thinking", func(tx *sql.Tx) error {
		cur, err := getMessage(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.Role != "assistant" {
			return apperr.New(apperr.Invalid, "only a reply has thinking; message %d is the %s's", id, cur.Role)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET thinking = ?, thinking_ms = ? WHERE id = ?`, thinking, max(ms, 0), id); err != nil {
			return err
		}
		m, err = getMessage(ctx, tx, id)
		return err
	})
	return m, err
}
