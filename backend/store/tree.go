package store

import (
	"context"
	"database/sql"
	"slices"

	"github.com/chapelapp/chapel/backend/apperr"
)

// A conversation is a tree of messages: each message follows its parent
// (none for a first message), a regenerated reply or an edited question is
// a sibling of the message it replaces, and the conversation shows one path
// from a first message down to its leaf. Each message remembers the child
// last shown below it, so switching to a version brings back the branch
// under it as it was left.

// MessagePath returns the messages from the first one down to id: the
// history a reply at id is written from.
func (s *Store) MessagePath(ctx context.Context, id int64) ([]Message, error) {
	var ms []Message
	err := s.readTx(ctx, "could not read the conversation", func(tx *sql.Tx) error {
		var err error
		ms, err = pathTo(ctx, tx, id)
		if err == nil && len(ms) == 0 {
			err = notFoundMessage(id)
		}
		return err
	})
	return ms, err
}

// SelectMessage shows the branch through message id: the path from the
// first message down to id, then on through the children last shown below
// it. It returns the conversation as it now shows.
func (s *Store) SelectMessage(ctx context.Context, id int64) (ConversationDetail, error) {
	var d ConversationDetail
	err := s.inTx(ctx, "could not switch to that version", func(tx *sql.Tx) error {
		m, err := getMessage(ctx, tx, id)
		if err != nil {
			return err
		}
		leaf, err := descend(ctx, tx, m.ConversationID, id)
		if err != nil {
			return err
		}
		if err := setLeaf(ctx, tx, m.ConversationID, leaf); err != nil {
			return err
		}
		d, err = conversationDetail(ctx, tx, m.ConversationID)
		return err
	})
	return d, err
}

// ReopenReply makes a finished reply streaming again so that more text can
// be appended to it (Continue), and shows it. Only an assistant reply with
// nothing below it can be reopened.
func (s *Store) ReopenReply(ctx context.Context, id int64) (Message, error) {
	var m Message
	err := s.inTx(ctx, "could not continue the reply", func(tx *sql.Tx) error {
		var err error
		if m, err = getMessage(ctx, tx, id); err != nil {
			return err
		}
		switch {
		case m.Role != "assistant":
			return apperr.New(apperr.Invalid, "only a reply can be continued")
		case m.Status == StatusStreaming:
			return apperr.New(apperr.Conflict, "this reply is still being written")
		}
		var children int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE conversation_id = ? AND parent_id = ?`,
			m.ConversationID, id).Scan(&children); err != nil {
			return err
		}
		if children > 0 {
			return apperr.New(apperr.Conflict, "this reply already has messages after it; regenerate it instead")
		}
		now := s.nowMS()
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET status = ?, error = '', stop_reason = '', updated_at = ? WHERE id = ?`,
			StatusStreaming, now, id); err != nil {
			return err
		}
		if err := setLeaf(ctx, tx, m.ConversationID, id); err != nil {
			return err
		}
		if err := touchConversation(ctx, tx, m.ConversationID, "", now); err != nil {
			return err
		}
		m, err = getMessage(ctx, tx, id)
		return err
	})
	return m, err
}

// EndReply records why a finished reply ended (StopEOG, StopLength,
// StopContext, StopCanceled) and adds priorTokens to its token count: the
// tokens it already had when it was continued.
func (s *Store) EndReply(ctx context.Context, id int64, reason string, priorTokens int) (Message, error) {
	switch reason {
	case "", StopEOG, StopLength, StopContext, StopCanceled:
	default:
		return Message{}, apperr.New(apperr.Invalid, "unknown stop reason %q", reason)
	}
	var m Message
	err := s.inTx(ctx, "could not save the reply", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE messages SET stop_reason = ?, completion_tokens = completion_tokens + ? WHERE id = ?`,
			reason, max(priorTokens, 0), id)
		if err := mustAffect(res, err, notFoundMessage(id)); err != nil {
			return err
		}
		m, err = getMessage(ctx, tx, id)
		return err
	})
	return m, err
}

// DeleteMessage deletes message id with every message below it (the
// replies to a question go with it: they answer nothing once it is gone).
// When the path shown ran through it, the conversation shows the version
// before it (or after it, when it was the first), else ends at its parent.
// It returns the conversation as it now shows and how many messages went.
func (s *Store) DeleteMessage(ctx context.Context, id int64) (ConversationDetail, int, error) {
	var d ConversationDetail
	var n int
	err := s.deleteTx(ctx, "could not delete the message", func(tx *sql.Tx) error {
		m, err := getMessage(ctx, tx, id)
		if err != nil {
			return err
		}
		c, err := getConversation(ctx, tx, m.ConversationID)
		if err != nil {
			return err
		}
		links, err := treeLinks(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		gone := subtree(links, id)
		onPath := slices.Contains(gone, c.LeafID)
		for _, g := range gone {
			if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE id = ?`, g); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET selected_child_id = NULL WHERE conversation_id = ? AND selected_child_id = ?`,
			c.ID, id); err != nil {
			return err
		}
		n = len(gone)
		if onPath {
			leaf := m.ParentID
			if sib := nearestSibling(links, m); sib != 0 {
				if leaf, err = descend(ctx, tx, c.ID, sib); err != nil {
					return err
				}
			}
			if err := setLeaf(ctx, tx, c.ID, leaf); err != nil {
				return err
			}
		}
		if err := touchConversation(ctx, tx, c.ID, "", s.nowMS()); err != nil {
			return err
		}
		d, err = conversationDetail(ctx, tx, c.ID)
		return err
	})
	return d, n, err
}

// ConversationTree returns a conversation with every message of every
// branch, oldest first.
func (s *Store) ConversationTree(ctx context.Context, id int64) (ConversationTree, error) {
	var t ConversationTree
	err := s.readTx(ctx, "could not read the conversation", func(tx *sql.Tx) error {
		var err error
		t, err = conversationTree(ctx, tx, id)
		return err
	})
	return t, err
}

func conversationTree(ctx context.Context, tx *sql.Tx, id int64) (ConversationTree, error) {
	c, err := getConversation(ctx, tx, id)
	if err != nil {
		return ConversationTree{}, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages WHERE conversation_id = ? ORDER BY id`, id)
	if err != nil {
		return ConversationTree{}, err
	}
	defer rows.Close()
	t := ConversationTree{Conversation: c, Messages: []Message{}}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return ConversationTree{}, err
		}
		t.Messages = append(t.Messages, m)
	}
	return t, rows.Err()
}

// conversationDetail reads a conversation, the path it shows and the
// versions of each message on it.
func conversationDetail(ctx context.Context, tx *sql.Tx, id int64) (ConversationDetail, error) {
	c, err := getConversation(ctx, tx, id)
	if err != nil {
		return ConversationDetail{}, err
	}
	d := ConversationDetail{Conversation: c, Messages: []Message{}, Versions: [][]int64{}}
	if c.LeafID != 0 {
		if d.Messages, err = pathTo(ctx, tx, c.LeafID); err != nil {
			return d, err
		}
	}
	links, err := treeLinks(ctx, tx, id)
	if err != nil {
		return d, err
	}
	if len(d.Messages) == 0 && len(links) > 0 {
		// The leaf is missing (it should not be): show the newest branch.
		leaf, err := descend(ctx, tx, id, lastRoot(links))
		if err != nil {
			return d, err
		}
		if d.Messages, err = pathTo(ctx, tx, leaf); err != nil {
			return d, err
		}
	}
	for _, m := range d.Messages {
		d.Versions = append(d.Versions, siblings(links, m.ParentID))
	}
	return d, nil
}

// pathTo returns the messages from the first one down to id (none when id
// does not exist).
func pathTo(ctx context.Context, tx *sql.Tx, id int64) ([]Message, error) {
	rows, err := tx.QueryContext(ctx, `WITH RECURSIVE up (id, depth) AS (
			SELECT ?, 0
			UNION ALL
			SELECT m.parent_id, up.depth + 1 FROM messages m JOIN up ON m.id = up.id WHERE m.parent_id IS NOT NULL
		)
		SELECT `+messageColumns+` FROM messages JOIN up USING (id) ORDER BY up.depth DESC`, id)
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

// descend follows the children last shown from id down to a message with
// none (the newest child where none was shown or it is gone), and returns
// that leaf.
func descend(ctx context.Context, tx *sql.Tx, conversationID, id int64) (int64, error) {
	for {
		var next sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT coalesce(
				(SELECT c.id FROM messages c JOIN messages p ON p.selected_child_id = c.id
				 WHERE p.id = ?1 AND c.conversation_id = ?2 AND c.parent_id = ?1),
				(SELECT max(c.id) FROM messages c WHERE c.conversation_id = ?2 AND c.parent_id = ?1))`,
			id, conversationID).Scan(&next)
		if err != nil {
			return 0, err
		}
		if !next.Valid {
			return id, nil
		}
		id = next.Int64
	}
}

// setLeaf makes leaf (0: none) the end of the path a conversation shows,
// and has every message on the path remember the child it leads to.
func setLeaf(ctx context.Context, tx *sql.Tx, conversationID, leaf int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE conversations SET leaf_id = ? WHERE id = ?`, nullID(leaf), conversationID)
	if err := mustAffect(res, err, notFoundConversation(conversationID)); err != nil {
		return err
	}
	if leaf == 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, `WITH RECURSIVE up (id, parent) AS (
			SELECT id, parent_id FROM messages WHERE id = ?
			UNION ALL
			SELECT m.id, m.parent_id FROM messages m JOIN up ON m.id = up.parent
		)
		UPDATE messages SET selected_child_id = (SELECT up.id FROM up WHERE up.parent = messages.id)
		WHERE id IN (SELECT parent FROM up WHERE parent IS NOT NULL)`, leaf)
	return err
}

// link is one message's place in the tree.
type link struct{ id, parent int64 }

// treeLinks returns every message of a conversation with its parent, in id
// order.
func treeLinks(ctx context.Context, tx *sql.Tx, conversationID int64) ([]link, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, coalesce(parent_id, 0) FROM messages WHERE conversation_id = ? ORDER BY id`, conversationID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ls []link
	for rows.Next() {
		var l link
		if err := rows.Scan(&l.id, &l.parent); err != nil {
			return nil, err
		}
		ls = append(ls, l)
	}
	return ls, rows.Err()
}

// siblings returns the ids of the messages below parent (0: the first
// messages), oldest first.
func siblings(links []link, parent int64) []int64 {
	var ids []int64
	for _, l := range links {
		if l.parent == parent {
			ids = append(ids, l.id)
		}
	}
	return ids
}

// subtree returns id and every message below it. Children have larger ids
// than their parents, so one pass in id order finds them all.
func subtree(links []link, id int64) []int64 {
	in := map[int64]bool{id: true}
	out := []int64{id}
	for _, l := range links {
		if in[l.parent] && !in[l.id] {
			in[l.id] = true
			out = append(out, l.id)
		}
	}
	return out
}

// nearestSibling is the version before m (the one after it when m is the
// first), or 0 when m has no other version.
func nearestSibling(links []link, m Message) int64 {
	sibs := siblings(links, m.ParentID)
	i := slices.Index(sibs, m.ID)
	switch {
	case i > 0:
		return sibs[i-1]
	case i == 0 && len(sibs) > 1:
		return sibs[1]
	}
	return 0
}

// lastRoot is the newest first message.
func lastRoot(links []link) int64 {
	var root int64
	for _, l := range links {
		if l.parent == 0 {
			root = l.id
		}
	}
	return root
}

// nullID stores 0 as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
