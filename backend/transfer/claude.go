package transfer

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
)

// claudeRoot is the parent Claude names for a conversation's first
// messages (a sentinel, not a message).
const claudeRoot = "00000000-0000-4000-8000-000000000000"

// claudeConversation is one item of Claude's conversations.json.
type claudeConversation struct {
	UUID         string          `json:"uuid"`
	Name         string          `json:"name"`
	CreatedAt    string          `json:"created_at"`
	UpdatedAt    string          `json:"updated_at"`
	Model        string          `json:"model"`
	CurrentLeaf  string          `json:"current_leaf_message_uuid"`
	ChatMessages []claudeMessage `json:"chat_messages"`
}

// claudeMessage is one of a Claude conversation's chat_messages.
type claudeMessage struct {
	UUID      string `json:"uuid"`
	Parent    string `json:"parent_message_uuid"`
	Sender    string `json:"sender"` // human or assistant
	Text      string `json:"text"`
	CreatedAt string `json:"created_at"`
	Content   []struct {
		Type string `json:"type"` // text, thinking, tool_use, tool_result, …
		Text string `json:"text"`
	} `json:"content"`
	// Long pastes and text files come as attachments with their text.
	Attachments []struct {
		FileName         string `json:"file_name"`
		ExtractedContent string `json:"extracted_content"`
	} `json:"attachments"`
	// Images and other uploads: named, not held in conversations.json.
	Files []struct {
		FileName string `json:"file_name"`
	} `json:"files"`
}

// parseClaude reads conversation i (from 0) of Claude's export. Its
// messages form a tree when they name their parents (edits and retries
// are branches), with current_leaf_message_uuid the one shown last; an
// export without parents is one branch, in order.
func parseClaude(raw json.RawMessage, i int) (store.ImportedConversation, error) {
	var c claudeConversation
	if err := json.Unmarshal(raw, &c); err != nil {
		return store.ImportedConversation{}, jsonError(err)
	}
	if c.ChatMessages == nil {
		return store.ImportedConversation{}, apperr.New(apperr.Invalid, "conversation %d of the Claude export has no messages (no chat_messages)", i+1)
	}
	started := isoMillis(c.CreatedAt)
	tree := false
	for _, m := range c.ChatMessages {
		if m.Parent != "" {
			tree = true
		}
	}
	nodes, leaf, shown := claudeNodes(c, tree, started)
	msgs, leafID, err := build(c.Name, nodes, leaf)
	if err == nil && tree && len(msgs) < shown {
		// Parents that loop: the messages in order instead, not a
		// conversation with some of them lost.
		nodes, leaf, _ = claudeNodes(c, false, started)
		msgs, leafID, err = build(c.Name, nodes, leaf)
	}
	if err != nil {
		return store.ImportedConversation{}, err
	}
	return store.ImportedConversation{Title: c.Name, Model: c.Model, CreatedAt: started,
		UpdatedAt: cmp.Or(isoMillis(c.UpdatedAt), started), Messages: msgs, LeafID: leafID}, nil
}

// claudeNodes are the messages of conversation c as tree nodes: by the
// parents they name (tree), or each following the one before; with the
// node shown last and how many nodes hold something to show. In a tree, a
// message that names no parent, or one the export lacks, follows the
// message before it (a first message names the root).
func claudeNodes(c claudeConversation, tree bool, started int64) (map[string]*treeNode, string, int) {
	nodes := make(map[string]*treeNode, len(c.ChatMessages))
	order := make([]string, 0, len(c.ChatMessages))
	shown := 0
	for k, m := range c.ChatMessages {
		id := m.UUID
		for n := 0; id == "" || nodes[id] != nil; n++ {
			id = fmt.Sprintf("\x00%d.%d", k, n) // no id, or a repeated one: an id of its own
		}
		// parent is the one the message names until the loop below settles it.
		tn := &treeNode{id: id, parent: m.Parent, created: cmp.Or(isoMillis(m.CreatedAt), started)}
		switch m.Sender {
		case "human":
			tn.role = "user"
		case "assistant":
			tn.role = "assistant"
		}
		if tn.content = claudeText(m); tn.content == "" {
			tn.role = ""
		}
		if tn.role != "" {
			shown++
		}
		nodes[id] = tn
		order = append(order, id)
	}
	for k, id := range order {
		prev := ""
		if k > 0 {
			prev = order[k-1]
		}
		p := nodes[id].parent
		switch {
		case !tree:
			p = prev
		case p == claudeRoot:
			p = ""
		case p == id || nodes[p] == nil:
			p = prev
		}
		nodes[id].parent = p
	}
	// Children in the export's order (Claude lists a conversation's
	// messages oldest first), so versions keep theirs.
	for _, id := range order {
		if p := nodes[nodes[id].parent]; p != nil {
			p.children = append(p.children, id)
		}
	}
	leaf := c.CurrentLeaf
	if nodes[leaf] == nil || !tree {
		leaf = newestLeaf(nodes, order)
	}
	return nodes, leaf, shown
}

// claudeText is a message's text: its text blocks (not its thinking or
// tool calls), else its plain text, then the text of its attachments, and
// a line for each uploaded file it does not hold.
func claudeText(m claudeMessage) string {
	var parts []string
	for _, b := range m.Content {
		if b.Type == "text" && strings.TrimSpace(b.Text) != "" {
			parts = append(parts, b.Text)
		}
	}
	if len(parts) == 0 && strings.TrimSpace(m.Text) != "" {
		parts = append(parts, m.Text)
	}
	for _, a := range m.Attachments {
		if strings.TrimSpace(a.ExtractedContent) == "" {
			continue
		}
		// Plain text, as a message shows it (a user's message is not Markdown).
		name := cmp.Or(strings.TrimSpace(a.FileName), "text")
		parts = append(parts, fmt.Sprintf("Attached %s:\n\n%s", name, strings.TrimRight(a.ExtractedContent, "\n")))
	}
	for _, f := range m.Files {
		parts = append(parts, fileNotImported(f.FileName))
	}
	return strings.Join(parts, "\n\n")
}

// newestLeaf is the message no other follows that was written last (the
// last in the export's order among equals): the one shown when the export
// does not say.
func newestLeaf(nodes map[string]*treeNode, order []string) string {
	best := ""
	for _, id := range order {
		if len(nodes[id].children) > 0 {
			continue
		}
		if best == "" || nodes[id].created >= nodes[best].created {
			best = id
		}
	}
	return best
}

// isoMillis is an RFC 3339 time in Unix milliseconds, 0 when it is not one.
func isoMillis(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0
	}
	return t.UnixMilli()
}

// fileNotImported is the line a message holds where Claude's export names
// an uploaded file (an image, a PDF) it does not hold: "[File not
// imported: photo.png]", or without the name when it has none.
func fileNotImported(name string) string {
	if name = strings.TrimSpace(name); name != "" {
		return "[File not imported: " + name + "]"
	}
	return "[File not imported]"
}
