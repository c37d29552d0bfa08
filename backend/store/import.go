package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/chapelapp/chapel/backend/apperr"
)

// ImportedConversation is a conversation brought from elsewhere (an export
// of Chapel's, ChatGPT's, Claude's, Open WebUI's), with its whole tree. Its messages
// carry the source's ids: ID unique and positive, ParentID 0 for a first
// message or the ID of a message listed before it.
type ImportedConversation struct {
	Title     string
	Model     string
	Pinned    bool
	CreatedAt int64 // Unix milliseconds; 0: now
	UpdatedAt int64
	Messages  []Message
	LeafID    int64 // the source id of the message shown last; 0: the newest branch
	// Instructions: the conversation's own system prompt ('' for none).
	Instructions string
}

// ImportResult says what an import added, and how many of the file's
// conversations it left out because an earlier import brought them already.
type ImportResult struct {
	Conversations   int     `json:"conversations"`
	Messages        int     `json:"messages"`
	Skipped         int     `json:"skipped"`
	ConversationIDs []int64 `json:"conversation_ids"`
}

// ImportSource yields the conversations of an import one at a time, and
// io.EOF after the last.
type ImportSource func() (ImportedConversation, error)

// ImportConversations adds conversations, all or none; see ImportStream.
func (s *Store) ImportConversations(ctx context.Context, cs []ImportedConversation) (ImportResult, error) {
	i := 0
	return s.ImportStream(ctx, func() (ImportedConversation, error) {
		if i == len(cs) {
			return ImportedConversation{}, io.EOF
		}
		i++
		return cs[i-1], nil
	})
}

// ImportStream adds the conversations next yields, all or none, in one
// transaction: a bad conversation anywhere, an error of next's or ctx
// ending leaves the database as it was. A conversation an earlier import
// brought already (the same import key: its creation time and messages)
// is skipped and counted in Skipped; one the source has changed since
// (a message more, an edit) is a different conversation and is added.
// Replies that were still streaming where they came from are saved as
// stopped.
func (s *Store) ImportStream(ctx context.Context, next ImportSource) (ImportResult, error) {
	res := ImportResult{ConversationIDs: []int64{}}
	// What each conversation here holds now, as its export would carry it:
	// read before the write transaction, which then holds the lock only
	// for the import itself.
	here, err := s.currentKeys(ctx)
	if err != nil {
		return res, err
	}
	err = s.inTx(ctx, "could not import the conversations", func(tx *sql.Tx) error {
		now := s.nowMS()
		for n := 0; ; n++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			ic, err := next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := checkImported(&ic, n); err != nil {
				return err
			}
			key := importKey(ic)
			var stored int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM conversations WHERE import_key = ?`, key).Scan(&stored); err != nil {
				return err
			}
			if stored > 0 || here[key] {
				res.Skipped++
				continue
			}
			id, err := importConversation(ctx, tx, ic, key, now)
			if err != nil {
				return err
			}
			res.Conversations++
			res.Messages += len(ic.Messages)
			res.ConversationIDs = append(res.ConversationIDs, id)
		}
	})
	if err != nil {
		if ctx.Err() != nil && apperr.CodeOf(err) != apperr.Canceled {
			err = apperr.Wrap(apperr.Canceled, ctx.Err(), "the import was stopped")
		}
		return ImportResult{ConversationIDs: []int64{}}, err
	}
	return res, nil
}

// importKey fingerprints a source conversation: its creation time and, in
// order, each message's role, text and the position of the message it
// follows. The title, the model and the times of messages are left out,
// so a rename where it came from does not make it a new conversation; the
// source's ids are left out, so the same conversation exported by another
// app (a Chapel that imported it) is recognised too.
func importKey(ic ImportedConversation) string {
	h := sha256.New()
	fmt.Fprintf(h, "chapel.import.1\x00%d\x00%d\x00", ic.CreatedAt, len(ic.Messages))
	pos := make(map[int64]int, len(ic.Messages))
	for i, m := range ic.Messages {
		pos[m.ID] = i + 1
		fmt.Fprintf(h, "%d\x00%s\x00%d\x00", pos[m.ParentID], m.Role, len(m.Content))
		io.WriteString(h, m.Content)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// currentKeys is the import key of every conversation here as it is now
// (its creation time and messages in the order written, as its export
// lists them): an export of this Chapel imported back, or a file imported
// before, is recognised even when the conversation has no stored key or
// has been written in since its key was stored.
func (s *Store) currentKeys(ctx context.Context) (map[string]bool, error) {
	keys := map[string]bool{}
	err := s.readTx(ctx, "could not read the conversations here", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT c.id, c.created_at, coalesce(m.id, 0), coalesce(m.parent_id, 0), coalesce(m.role, ''), coalesce(m.content, '')
			FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id ORDER BY c.id, m.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		var cur ImportedConversation
		id := int64(-1)
		for rows.Next() {
			var cid, created int64
			var m Message
			if err := rows.Scan(&cid, &created, &m.ID, &m.ParentID, &m.Role, &m.Content); err != nil {
				return err
			}
			if cid != id {
				if id >= 0 {
					keys[importKey(cur)] = true
				}
				id, cur = cid, ImportedConversation{CreatedAt: created}
			}
			if m.ID != 0 {
				cur.Messages = append(cur.Messages, m)
			}
		}
		if id >= 0 {
			keys[importKey(cur)] = true
		}
		return rows.Err()
	})
	return keys, err
}

// checkImported tidies an imported conversation and refuses one whose
// tree is broken. A title or instructions too long for Chapel are cut
// (another app's, however long, do not keep the conversation out), and
// NUL bytes leave the instructions.
func checkImported(ic *ImportedConversation, n int) error {
	title := strings.Join(strings.Fields(ic.Title), " ")
	if title == "" {
		title = DefaultTitle
	}
	ic.Title = truncateRunes(title, MaxTitleLen)
	instructions := strings.TrimSpace(strings.ReplaceAll(ic.Instructions, "\x00", ""))
	instructions, err := cleanInstructions(truncateBytes(instructions, MaxInstructionsBytes))
	if err != nil {
		return apperr.New(apperr.Invalid, "conversation %d (%q): %s", n+1, ic.Title, apperr.Message(err))
	}
	ic.Instructions = instructions
	seen := map[int64]bool{}
	for i := range ic.Messages {
		m := &ic.Messages[i]
		if m.ID <= 0 || seen[m.ID] {
			return apperr.New(apperr.Invalid, "conversation %d (%q): message %d has a missing or repeated id", n+1, ic.Title, i+1)
		}
		if m.ParentID != 0 && !seen[m.ParentID] {
			return apperr.New(apperr.Invalid, "conversation %d (%q): message %d follows a message that is not before it", n+1, ic.Title, i+1)
		}
		seen[m.ID] = true
		if m.Status == "" {
			m.Status = StatusComplete
		}
		if m.Status == StatusStreaming {
			m.Status = StatusStopped
		}
		m.ConversationID = 1 // checked by validateMessage; set for real on insert
		if err := validateMessage(*m); err != nil {
			return apperr.New(apperr.Invalid, "conversation %d (%q), message %d: %s", n+1, ic.Title, i+1, apperr.Message(err))
		}
		switch m.StopReason {
		case "", StopEOG, StopLength, StopContext, StopCanceled:
		default:
			m.StopReason = ""
		}
	}
	if ic.LeafID != 0 && !seen[ic.LeafID] {
		ic.LeafID = 0
	}
	return nil
}

func importConversation(ctx context.Context, tx *sql.Tx, ic ImportedConversation, key string, now int64) (int64, error) {
	created, updated := ic.CreatedAt, ic.UpdatedAt
	if created <= 0 {
		created = now
	}
	if updated < created {
		updated = created
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO conversations (title, model, pinned, created_at, updated_at, import_key, instructions)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, ic.Title, ic.Model, ic.Pinned, created, updated, key, ic.Instructions)
	if err != nil {
		return 0, err
	}
	conv, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	ids := map[int64]int64{} // source id → new id
	var newest int64
	for _, m := range ic.Messages {
		src := m.ID
		m.ID, m.ConversationID, m.ParentID = 0, conv, ids[m.ParentID]
		if m.CreatedAt <= 0 {
			m.CreatedAt = created
		}
		saved, err := insertMessage(ctx, tx, m, now)
		if err != nil {
			return 0, err
		}
		if m.Thinking != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE messages SET thinking = ?, thinking_ms = ? WHERE id = ?`,
				m.Thinking, m.ThinkingMS, saved.ID); err != nil {
				return 0, err
			}
		}
		ids[src] = saved.ID
		newest = saved.ID
	}
	leaf := ids[ic.LeafID]
	if leaf == 0 && newest != 0 {
		if leaf, err = descend(ctx, tx, conv, newest); err != nil {
			return 0, err
		}
	}
	return conv, setLeaf(ctx, tx, conv, leaf)
}
