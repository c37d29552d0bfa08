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

const messageColumns = `id, conversation_id, coalesce(parent_id, 0), role, content, status, error, stop_reason, model,
	prompt_tokens, completion_tokens, tokens_per_second, created_at, updated_at, thinking, thinking_ms`

// AddMessage appends m to its conversation, after the last message of the
// path it shows, and marks the conversation as updated (and, when m.Model
// is set, as last used with that model). ID, parent and times are assigned;
// an empty Status means complete.
func (s *Store) AddMessage(ctx context.Context, m Message) (Message, error) {
	ms, err := s.AddMessages(ctx, m)
	if err != nil {
		return Message{}, err
	}
	return ms[0], nil
}

// AddMessages appends several messages of one conversation at once, all
// or none, each following the one before, the first after the path's last
// message (for example a user's turn and the empty reply that will stream
// into it). The last one becomes the path's end.
func (s *Store) AddMessages(ctx context.Context, ms ...Message) ([]Message, error) {
	return s.addChain(ctx, -1, ms)
}

// AddMessagesAfter is AddMessages with the first message following
// parentID (0: a new first message) instead of the path's last message: a
// new version of the turn after parentID. The new messages become the path
// shown.
func (s *Store) AddMessagesAfter(ctx context.Context, parentID int64, ms ...Message) ([]Message, error) {
	if parentID < 0 {
		return nil, apperr.New(apperr.Invalid, "message %d not found", parentID)
	}
	return s.addChain(ctx, parentID, ms)
}

// addChain saves ms as a chain below parent (-1: the conversation's leaf).
func (s *Store) addChain(ctx context.Context, parent int64, ms []Message) ([]Message, error) {
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
		if ms[i].ConversationID != ms[0].ConversationID {
			return nil, apperr.New(apperr.Invalid, "messages added together must belong to one conversation")
		}
		ms[i].ID, ms[i].CreatedAt, ms[i].UpdatedAt = 0, 0, 0
	}
	out := make([]Message, 0, len(ms))
	err := s.inTx(ctx, "could not save the message", func(tx *sql.Tx) error {
		var err error
		out, err = insertChain(ctx, tx, parent, ms, s.nowMS())
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// insertChain inserts ms below parent (-1: the conversation's leaf; 0: as
// a first message), each after the one before, and makes the last the leaf.
func insertChain(ctx context.Context, tx *sql.Tx, parent int64, ms []Message, now int64) ([]Message, error) {
	conv := ms[0].ConversationID
	c, err := getConversation(ctx, tx, conv)
	if err != nil {
		return nil, err
	}
	if parent < 0 {
		parent = c.LeafID
	} else if parent > 0 {
		p, err := getMessage(ctx, tx, parent)
		if err != nil {
			return nil, err
		}
		if p.ConversationID != conv {
			return nil, apperr.New(apperr.Invalid, "message %d is not in conversation %d", parent, conv)
		}
	}
	out := make([]Message, 0, len(ms))
	for _, m := range ms {
		if err := touchConversation(ctx, tx, conv, m.Model, now); err != nil {
			return nil, err
		}
		m.ParentID = parent
		saved, err := insertMessage(ctx, tx, m, now)
		if err != nil {
			return nil, err
		}
		out = append(out, saved)
		parent = saved.ID
	}
	return out, setLeaf(ctx, tx, conv, parent)
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

// insertMessage inserts m below m.ParentID (0: a first message). Times are
// now unless m carries its own (an import).
func insertMessage(ctx context.Context, tx *sql.Tx, m Message, now int64) (Message, error) {
	if m.CreatedAt == 0 {
		m.CreatedAt = now
	}
	if m.UpdatedAt == 0 {
		m.UpdatedAt = m.CreatedAt
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO messages (conversation_id, parent_id, role, content, status, error, stop_reason, model,
		prompt_tokens, completion_tokens, tokens_per_second, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ConversationID, nullID(m.ParentID), m.Role, m.Content, m.Status, m.Error, m.StopReason, m.Model,
		m.PromptTokens, m.CompletionTokens, m.TokensPerSecond, m.CreatedAt, m.UpdatedAt)
	if err != nil {
		return Message{}, err
	}
	if m.ID, err = res.LastInsertId(); err != nil {
		return Message{}, err
	}
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

func scanMessage(r rowScanner) (Message, error) {
	var m Message
	err := r.Scan(&m.ID, &m.ConversationID, &m.ParentID, &m.Role, &m.Content, &m.Status, &m.Error, &m.StopReason, &m.Model,
		&m.PromptTokens, &m.CompletionTokens, &m.TokensPerSecond, &m.CreatedAt, &m.UpdatedAt, &m.Thinking, &m.ThinkingMS)
	return m, err
}
