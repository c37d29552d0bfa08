package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/apperr"
)

// Title limits.
const (
	MaxTitleLen  = 200                // characters
	DefaultTitle = "New conversation" // used when a conversation is created without one
)

// MaxInstructionsBytes bounds a conversation's instructions (as the
// system prompt in Settings is bounded).
const MaxInstructionsBytes = 32 << 10

const conversationColumns = `c.id, c.title, c.model, c.document_id, c.pinned, coalesce(c.leaf_id, 0),
	c.created_at, c.updated_at, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id), c.instructions`

// CreateConversation starts a conversation. An empty title becomes
// DefaultTitle; model is the path of the model it is started with.
func (s *Store) CreateConversation(ctx context.Context, title, model string) (Conversation, error) {
	if strings.TrimSpace(title) == "" {
		title = DefaultTitle
	}
	title, err := cleanTitle(title)
	if err != nil {
		return Conversation{}, err
	}
	var c Conversation
	err = s.inTx(ctx, "could not create the conversation", func(tx *sql.Tx) error {
		var err error
		c, err = insertConversation(ctx, tx, title, model, s.nowMS())
		return err
	})
	return c, err
}

// DocumentConversation returns the most recent conversation attached to a
// document, creating one titled after the document when there is none.
func (s *Store) DocumentConversation(ctx context.Context, documentID int64, model string) (Conversation, error) {
	var c Conversation
	err := s.inTx(ctx, "could not open the document's conversation", func(tx *sql.Tx) error {
		d, err := getDocument(ctx, tx, documentID)
		if err != nil {
			return err
		}
		row := tx.QueryRowContext(ctx, `SELECT `+conversationColumns+` FROM conversations c WHERE c.document_id = ?
			ORDER BY c.updated_at DESC, c.id DESC LIMIT 1`, documentID)
		c, err = scanConversation(row)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		title, err := cleanTitle(truncateRunes("About "+d.Name, MaxTitleLen))
		if err != nil {
			return err
		}
		if c, err = insertConversation(ctx, tx, title, model, s.nowMS()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET document_id = ? WHERE id = ?`, documentID, c.ID); err != nil {
			return err
		}
		c.DocumentID = &documentID
		return nil
	})
	return c, err
}

// GetConversation returns one conversation.
func (s *Store) GetConversation(ctx context.Context, id int64) (Conversation, error) {
	var c Conversation
	err := s.readTx(ctx, "could not read the conversation", func(tx *sql.Tx) error {
		var err error
		c, err = getConversation(ctx, tx, id)
		return err
	})
	return c, err
}

// ListConversations returns every conversation, pinned ones first, then
// most recently updated first.
func (s *Store) ListConversations(ctx context.Context) ([]Conversation, error) {
	var cs []Conversation
	err := s.readTx(ctx, "could not list the conversations", func(tx *sql.Tx) error {
		var err error
		cs, err = listConversations(ctx, tx)
		return err
	})
	return cs, err
}

// RenameConversation sets a conversation's title: whitespace is collapsed,
// and an empty title or one longer than MaxTitleLen characters is refused.
// Renaming does not change UpdatedAt, so the conversation keeps its place.
func (s *Store) RenameConversation(ctx context.Context, id int64, title string) (Conversation, error) {
	title, err := cleanTitle(title)
	if err != nil {
		return Conversation{}, err
	}
	var c Conversation
	err = s.inTx(ctx, "could not rename the conversation", func(tx *sql.Tx) error {
		if err := setTitle(ctx, tx, id, title); err != nil {
			return err
		}
		var err error
		c, err = getConversation(ctx, tx, id)
		return err
	})
	return c, err
}

// DeleteConversation deletes a conversation and its messages.
func (s *Store) DeleteConversation(ctx context.Context, id int64) error {
	return s.deleteTx(ctx, "could not delete the conversation", func(tx *sql.Tx) error {
		return deleteConversation(ctx, tx, id)
	})
}

// ConversationDetail returns a conversation and the path of messages it
// shows, first message first, with the versions of each.
func (s *Store) ConversationDetail(ctx context.Context, id int64) (ConversationDetail, error) {
	var d ConversationDetail
	err := s.readTx(ctx, "could not read the conversation", func(tx *sql.Tx) error {
		var err error
		d, err = conversationDetail(ctx, tx, id)
		return err
	})
	return d, err
}

// DropEmptyConversations deletes the conversations nobody wrote in: no
// message, no unsent draft, no instructions of its own, the default
// title, not pinned, not about a document. New chat makes its conversation at once (its draft and the
// model chosen for it belong to it), so one left empty would otherwise
// stay in the list for good. Only the process that owns the data folder calls it, when it
// starts, and only for conversations made before olderThan (Unix ms): a
// window that started while another process owned the folder may have
// just made one, and still show it. It returns how many went.
func (s *Store) DropEmptyConversations(ctx context.Context, olderThan int64) (int, error) {
	var n int64
	err := s.inTx(ctx, "could not tidy the empty conversations", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM conversations
			WHERE title = ? AND pinned = 0 AND document_id IS NULL AND instructions = '' AND created_at < ?
			AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id)
			AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.conversation_id = conversations.id)`, DefaultTitle, olderThan)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// SetPinned pins a conversation to the top of the list or unpins it.
// Pinning does not change UpdatedAt.
func (s *Store) SetPinned(ctx context.Context, id int64, pinned bool) (Conversation, error) {
	var c Conversation
	err := s.inTx(ctx, "could not pin the conversation", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE conversations SET pinned = ? WHERE id = ?`, pinned, id)
		if err := mustAffect(res, err, notFoundConversation(id)); err != nil {
			return err
		}
		c, err = getConversation(ctx, tx, id)
		return err
	})
	return c, err
}

// SetInstructions gives a conversation its own instructions, sent to the
// model in place of the system prompt of Settings; an empty text removes
// them. Like renaming, it does not move the conversation in the list.
func (s *Store) SetInstructions(ctx context.Context, id int64, text string) (Conversation, error) {
	text, err := cleanInstructions(text)
	if err != nil {
		return Conversation{}, err
	}
	var c Conversation
	err = s.inTx(ctx, "could not save the conversation's instructions", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE conversations SET instructions = ? WHERE id = ?`, text, id)
		if err := mustAffect(res, err, notFoundConversation(id)); err != nil {
			return err
		}
		c, err = getConversation(ctx, tx, id)
		return err
	})
	return c, err
}

// cleanInstructions trims a conversation's instructions and refuses what
// cannot be a system prompt: more than MaxInstructionsBytes, or not text.
func cleanInstructions(text string) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case len(text) > MaxInstructionsBytes:
		return "", apperr.New(apperr.Invalid, "the instructions are too long (%d KB; at most %d KB)", (len(text)+1023)>>10, MaxInstructionsBytes>>10)
	case !utf8.ValidString(text) || strings.ContainsRune(text, 0):
		return "", apperr.New(apperr.Invalid, "the instructions are not valid text")
	}
	return text, nil
}

// cleanTitle collapses runs of whitespace (newlines included) to one space
// and refuses an empty title or one longer than MaxTitleLen characters.
func cleanTitle(title string) (string, error) {
	title = strings.Join(strings.Fields(title), " ")
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		return "", apperr.New(apperr.Invalid, "a conversation title cannot be empty")
	case n > MaxTitleLen:
		return "", apperr.New(apperr.Invalid, "a conversation title can be at most %d characters (this one has %d)", MaxTitleLen, n)
	}
	return title, nil
}

func notFoundConversation(id int64) error {
	return apperr.New(apperr.NotFound, "conversation %d not found", id)
}

func insertConversation(ctx context.Context, tx *sql.Tx, title, model string, now int64) (Conversation, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO conversations (title, model, created_at, updated_at) VALUES (?, ?, ?, ?)`,
		title, model, now, now)
	if err != nil {
		return Conversation{}, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Conversation{}, err
	}
	return Conversation{ID: id, Title: title, Model: model, CreatedAt: now, UpdatedAt: now}, nil
}

func getConversation(ctx context.Context, tx *sql.Tx, id int64) (Conversation, error) {
	row := tx.QueryRowContext(ctx, `SELECT `+conversationColumns+` FROM conversations c WHERE c.id = ?`, id)
	c, err := scanConversation(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Conversation{}, notFoundConversation(id)
	}
	return c, err
}

func listConversations(ctx context.Context, tx *sql.Tx) ([]Conversation, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+conversationColumns+` FROM conversations c ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cs := []Conversation{}
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

// setTitle renames a conversation without moving it in the list: renaming
// is not activity.
func setTitle(ctx context.Context, tx *sql.Tx, id int64, title string) error {
	res, err := tx.ExecContext(ctx, `UPDATE conversations SET title = ? WHERE id = ?`, title, id)
	return mustAffect(res, err, notFoundConversation(id))
}

// touchConversation marks a conversation as just updated and, when model
// is not empty, records it as the model last used in it.
func touchConversation(ctx context.Context, tx *sql.Tx, id int64, model string, now int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE conversations
		SET updated_at = max(updated_at, ?), model = CASE WHEN ? = '' THEN model ELSE ? END
		WHERE id = ?`, now, model, model, id)
	return mustAffect(res, err, notFoundConversation(id))
}

func deleteConversation(ctx context.Context, tx *sql.Tx, id int64) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM conversations WHERE id = ?`, id)
	return mustAffect(res, err, notFoundConversation(id))
}

// mustAffect turns "no row changed" into notFound.
func mustAffect(res sql.Result, err error, notFound error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}

type rowScanner interface{ Scan(dest ...any) error }

func scanConversation(r rowScanner) (Conversation, error) {
	var c Conversation
	err := r.Scan(&c.ID, &c.Title, &c.Model, &c.DocumentID, &c.Pinned, &c.LeafID, &c.CreatedAt, &c.UpdatedAt, &c.MessageCount, &c.Instructions)
	return c, err
}

// truncateBytes cuts s to at most n bytes, at a character boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
