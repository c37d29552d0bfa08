package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/chapelapp/chapel/backend/apperr"
)

// RecoveredError is the error given to replies found streaming at startup:
// the app ended (or was killed) while they were being written.
const RecoveredError = "Chapel closed before this reply finished"

const messageColumns = `id, conversation_id, role, content, status, error, model,
	prompt_tokens, completion_tokens, tokens_per_second, created_at, updated_at`

// AddMessage appends m to its conversation and marks the conversation as
// updated (and, when m.Model is set, as last used with that model). ID and
// times are assigned; an empty Status means complete.
func (s *Store) AddMessage(ctx context.Context, m Message) (Message, error) {
	ms, err := s.AddMessages(ctx, m)
	if err != nil {
		return Message{}, err
	}
	return ms[0], nil
}

// AddMessages appends several messages at once, all or none, in order (for
// example a user's turn and the empty reply that will stream into it).
func (s *Store) AddMessages(ctx context.Context, ms ...Message) ([]Message, error) {
	if len(ms) == 0 {
		return nil, apperr.New(apperr.Invalid, "no messages to add")
	}
	for i := range ms {
		if ms[i].Status == "" {
			ms[i].Status = StatusComplete
		}
		if err := validateMessage(ms[i]); err != nil {
			return nil, err
		}
	}
	out := make([]Message, 0, len(ms))
	err := s.inTx(ctx, "could not save the message", func(tx *sql.Tx) error {
		now := s.nowMS()
		for _, m := range ms {
			if err := touchConversation(ctx, tx, m.ConversationID, m.Model, now); err != nil {
				return err
			}
			saved, err := insertMessage(ctx, tx, m, now)
			if err != nil {
				return err
			}
			out = append(out, saved)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetMessage returns one message.
func (s *Store) GetMessage(ctx context.Context, id int64) (Message, error) {
	var m Message
	err := s.readTx(ctx, "could not read the message", func(tx *sql.Tx) error {
		var err error
		m, err = getMessage(ctx, tx, id)
		return err
	})
	return m, err
}

// UpdateMessageContent saves the text of a reply while it streams, with the
// tokens generated so far and the speed. The message must be streaming.
func (s *Store) UpdateMessageContent(ctx context.Context, id int64, content string, completionTokens int, tps float64) error {
	return s.inTx(ctx, "could not save the reply", func(tx *sql.Tx) error {
		m, err := getMessage(ctx, tx, id)
		if err != nil {
			return err
		}
		if m.Status != StatusStreaming {
			return apperr.New(apperr.Conflict, "message %d is %s, not streaming", id, m.Status)
		}
		return setContent(ctx, tx, id, content, completionTokens, tps, s.nowMS())
	})
}

// FinishMessage ends a streaming reply with status complete, stopped or
// failed (errText says why), its final text and counts, and marks the
// conversation as updated. Finishing a message that is not streaming is a
// conflict.
func (s *Store) FinishMessage(ctx context.Context, id int64, status, content, errText string,
	promptTokens, completionTokens int, tps float64) (Message, error) {
	if !validTransition(StatusStreaming, status) {
		return Message{}, apperr.New(apperr.Invalid, "a reply cannot finish with status %q", status)
	}
	var m Message
	err := s.inTx(ctx, "could not save the reply", func(tx *sql.Tx) error {
		cur, err := getMessage(ctx, tx, id)
		if err != nil {
			return err
		}
		if !validTransition(cur.Status, status) {
			return apperr.New(apperr.Conflict, "message %d is already %s", id, cur.Status)
		}
		now := s.nowMS()
		cur.Status, cur.Content, cur.Error = status, content, errText
		cur.PromptTokens, cur.CompletionTokens, cur.TokensPerSecond = promptTokens, completionTokens, tps
		if err := setFinal(ctx, tx, cur, now); err != nil {
			return err
		}
		if err := touchConversation(ctx, tx, cur.ConversationID, "", now); err != nil {
			return err
		}
		m, err = getMessage(ctx, tx, id)
		return err
	})
	return m, err
}

// RecoverStreaming marks every reply still streaming as failed with
// RecoveredError, keeping its text. Call it once at startup, before any
// generation starts; it returns how many replies it recovered.
func (s *Store) RecoverStreaming(ctx context.Context) (int, error) {
	var n int64
	err := s.inTx(ctx, "could not recover unfinished replies", func(tx *sql.Tx) error {
		var err error
		n, err = failStreaming(ctx, tx, RecoveredError, s.nowMS())
		return err
	})
	return int(n), err
}

// validTransition reports whether a message may go from status from to to:
// only a streaming reply changes, and only to complete, stopped or failed.
func validTransition(from, to string) bool {
	if from != StatusStreaming {
		return false
	}
	switch to {
	case StatusComplete, StatusStopped, StatusFailed:
		return true
	}
	return false
}

func validateMessage(m Message) error {
	switch m.Role {
	case "user", "assistant", "system":
	default:
		return apperr.New(apperr.Invalid, "unknown message role %q", m.Role)
	}
	switch m.Status {
	case StatusComplete, StatusStreaming, StatusStopped, StatusFailed:
	default:
		return apperr.New(apperr.Invalid, "unknown message status %q", m.Status)
	}
	if m.ConversationID <= 0 {
		return apperr.New(apperr.Invalid, "a message needs a conversation")
	}
	return nil
}

func notFoundMessage(id int64) error {
	return apperr.New(apperr.NotFound, "message %d not found", id)
}

func insertMessage(ctx context.Context, tx *sql.Tx, m Message, now int64) (Message, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO messages (conversation_id, role, content, status, error, model,
		prompt_tokens, completion_tokens, tokens_per_second, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ConversationID, m.Role, m.Content, m.Status, m.Error, m.Model,
		m.PromptTokens, m.CompletionTokens, m.TokensPerSecond, now, now)
	if err != nil {
		return Message{}, err
	}
	if m.ID, err = res.LastInsertId(); err != nil {
		return Message{}, err
	}
	m.CreatedAt, m.UpdatedAt = now, now
	return m, nil
}

func setContent(ctx context.Context, tx *sql.Tx, id int64, content string, completionTokens int, tps float64, now int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE messages
		SET content = ?, completion_tokens = ?, tokens_per_second = ?, updated_at = ?
		WHERE id = ?`, content, completionTokens, tps, now, id)
	return err
}

// setFinal writes m's status, text, error and counts.
func setFinal(ctx context.Context, tx *sql.Tx, m Message, now int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE messages
		SET status = ?, content = ?, error = ?, prompt_tokens = ?, completion_tokens = ?,
		    tokens_per_second = ?, updated_at = ?
		WHERE id = ?`, m.Status, m.Content, m.Error, m.PromptTokens, m.CompletionTokens, m.TokensPerSecond, now, m.ID)
	return err
}

// failStreaming marks every streaming message as failed with errText.
func failStreaming(ctx context.Context, tx *sql.Tx, errText string, now int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE messages SET status = ?, error = ?, updated_at = ? WHERE status = ?`,
		StatusFailed, errText, now, StatusStreaming)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func getMessage(ctx context.Context, tx *sql.Tx, id int64) (Message, error) {
	row := tx.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages WHERE id = ?`, id)
	m, err := scanMessage(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, notFoundMessage(id)
	}
	return m, err
}

func listMessages(ctx context.Context, tx *sql.Tx, conversationID int64) ([]Message, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages WHERE conversation_id = ? ORDER BY id`, conversationID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ms := []Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

func scanMessage(r rowScanner) (Message, error) {
	var m Message
	err := r.Scan(&m.ID, &m.ConversationID, &m.Role, &m.Content, &m.Status, &m.Error, &m.Model,
		&m.PromptTokens, &m.CompletionTokens, &m.TokensPerSecond, &m.CreatedAt, &m.UpdatedAt)
	return m, err
}
