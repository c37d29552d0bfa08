package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/chapelapp/chapel/backend/apperr"
)

// ImportedConversation is a conversation brought from elsewhere (an export
// of Chapel's, ChatGPT's, Open WebUI's), with its whole tree. Its messages
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
}

// ImportResult says what an import added.
type ImportResult struct {
	Conversations   int     `json:"conversations"`
	Messages        int     `json:"messages"`
	ConversationIDs []int64 `json:"conversation_ids"`
}

// ImportConversations adds conversations, all or none, in one transaction:
// a bad conversation anywhere leaves the database as it was. Replies that
// were still streaming where they came from are saved as stopped.
func (s *Store) ImportConversations(ctx context.Context, cs []ImportedConversation) (ImportResult, error) {
	res := ImportResult{ConversationIDs: []int64{}}
	for i := range cs {
		if err := checkImported(&cs[i], i); err != nil {
			return res, err
		}
	}
	err := s.inTx(ctx, "could not import the conversations", func(tx *sql.Tx) error {
		now := s.nowMS()
		for _, ic := range cs {
			id, err := importConversation(ctx, tx, ic, now)
			if err != nil {
				return err
			}
			res.Conversations++
			res.Messages += len(ic.Messages)
			res.ConversationIDs = append(res.ConversationIDs, id)
		}
		return nil
	})
	if err != nil {
		return ImportResult{ConversationIDs: []int64{}}, err
	}
	return res, nil
}

// checkImported tidies an imported conversation and refuses one whose
// tree is broken.
func checkImported(ic *ImportedConversation, n int) error {
	title := strings.Join(strings.Fields(ic.Title), " ")
	if title == "" {
		title = DefaultTitle
	}
	ic.Title = truncateRunes(title, MaxTitleLen)
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

func importConversation(ctx context.Context, tx *sql.Tx, ic ImportedConversation, now int64) (int64, error) {
	created, updated := ic.CreatedAt, ic.UpdatedAt
	if created <= 0 {
		created = now
	}
	if updated < created {
		updated = created
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO conversations (title, model, pinned, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		ic.Title, ic.Model, ic.Pinned, created, updated)
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
