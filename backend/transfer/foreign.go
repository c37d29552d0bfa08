package transfer

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
)

// ChatGPT, Open WebUI and Claude keep a conversation as a tree of nodes by id,
// each naming its parent and children, with the node shown last. treeNode
// is one such node, read from either; build turns nodes into Chapel
// messages, parents first, skipping nodes that hold nothing to show (their
// children then follow the nearest shown ancestor). A node is visited once,
// so a tree that loops cannot make it run forever.
type treeNode struct {
	id, parent string
	children   []string
	role       string // "" for a node to skip
	content    string
	model      string
	created    int64
}

func build(title string, nodes map[string]*treeNode, current string) ([]store.Message, int64, error) {
	var roots []string
	for id, n := range nodes {
		if n.parent == "" || nodes[n.parent] == nil {
			roots = append(roots, id)
		}
	}
	sort.Slice(roots, func(i, j int) bool {
		a, b := nodes[roots[i]], nodes[roots[j]]
		return a.created < b.created || a.created == b.created && a.id < b.id
	})
	var out []store.Message
	ids := map[string]int64{} // node id → message id (or its nearest kept ancestor's)
	visited := map[string]bool{}
	var walk func(id string, parent int64) error
	walk = func(id string, parent int64) error {
		n := nodes[id]
		if n == nil || visited[id] {
			return nil
		}
		visited[id] = true
		self := parent
		if n.role != "" {
			self = int64(len(out) + 1)
			out = append(out, store.Message{ID: self, ParentID: parent, Role: n.role, Content: n.content,
				Model: n.model, Status: store.StatusComplete, CreatedAt: n.created, UpdatedAt: n.created})
		}
		ids[id] = self
		for _, c := range n.children {
			if nodes[c] != nil && nodes[c].parent != "" && nodes[c].parent != id {
				continue // a child that names another parent belongs there
			}
			if err := walk(c, self); err != nil {
				return err
			}
		}
		return nil
	}
	for _, r := range roots {
		if err := walk(r, 0); err != nil {
			return nil, 0, err
		}
	}
	leaf := ids[current]
	if n := nodes[current]; n != nil && n.role == "" {
		// The node shown last holds nothing to show (an empty reply, a
		// tool call): the newest message below the one it hangs from, not
		// a question opened without the answer it has.
		leaf = newestBelow(out, leaf)
	}
	return out, leaf, nil
}

// newestBelow follows the last-added child from message id (0: the first
// messages) down to a message with none.
func newestBelow(msgs []store.Message, id int64) int64 {
	last := map[int64]int64{} // message id → its last-added child
	for _, m := range msgs {
		last[m.ParentID] = m.ID // ids grow as messages are added
	}
	for {
		c, ok := last[id]
		if !ok {
			return id
		}
		id = c
	}
}

// ChatGPT's conversations.json: a list of conversations, each a mapping of
// node id → {message: {author: {role}, content: {content_type, parts}},
// parent, children}, with current_node the node shown last.
type gptConversation struct {
	Title       string             `json:"title"`
	CreateTime  float64            `json:"create_time"`
	UpdateTime  float64            `json:"update_time"`
	Mapping     map[string]gptNode `json:"mapping"`
	CurrentNode string             `json:"current_node"`
}

type gptNode struct {
	ID       string      `json:"id"`
	Message  *gptMessage `json:"message"`
	Parent   *string     `json:"parent"`
	Children []string    `json:"children"`
}

type gptMessage struct {
	Author struct {
		Role string `json:"role"`
	} `json:"author"`
	CreateTime *float64 `json:"create_time"`
	Content    struct {
		ContentType string            `json:"content_type"`
		Parts       []json.RawMessage `json:"parts"`
		Text        string            `json:"text"`
		// The custom instructions (content_type user_editable_context), as
		// ChatGPT gave them to its model: the user's words inside its own.
		// Read loosely (looseString), as are those below: a field of
		// another type leaves the instructions out, not the conversation.
		UserProfile      json.RawMessage `json:"user_profile"`
		UserInstructions json.RawMessage `json:"user_instructions"`
	} `json:"content"`
	Metadata struct {
		ModelSlug string `json:"model_slug"`
		Hidden    bool   `json:"is_visually_hidden_from_conversation"`
		// The custom instructions as the user wrote them:
		// {about_user_message, about_model_message}.
		UserContext json.RawMessage `json:"user_context_message_data"`
	} `json:"metadata"`
}

// parseChatGPT reads conversation i (from 0) of a ChatGPT export.
func parseChatGPT(raw json.RawMessage, i int) (store.ImportedConversation, error) {
	var c gptConversation
	if err := json.Unmarshal(raw, &c); err != nil {
		return store.ImportedConversation{}, jsonError(err)
	}
	if c.Mapping == nil {
		return store.ImportedConversation{}, apperr.New(apperr.Invalid, "conversation %d of the ChatGPT export has no messages (no mapping)", i+1)
	}
	nodes := make(map[string]*treeNode, len(c.Mapping))
	model := ""
	contexts := map[string]string{} // node id → the custom instructions it holds
	for id, n := range c.Mapping {
		tn := &treeNode{id: id, children: n.Children}
		if n.Parent != nil {
			tn.parent = *n.Parent
		}
		if m := n.Message; m != nil {
			tn.role, tn.content = gptText(m)
			tn.model = m.Metadata.ModelSlug
			if text := gptInstructions(m); text != "" {
				contexts[id] = text
			}
			if m.CreateTime != nil {
				tn.created = seconds(*m.CreateTime)
			}
			if tn.model != "" && tn.role == "assistant" {
				model = tn.model
			}
		}
		if tn.created == 0 {
			tn.created = seconds(c.CreateTime)
		}
		nodes[id] = tn
	}
	msgs, leaf, err := build(c.Title, nodes, c.CurrentNode)
	if err != nil {
		return store.ImportedConversation{}, err
	}
	return store.ImportedConversation{Title: c.Title, Model: model, CreatedAt: seconds(c.CreateTime),
		UpdatedAt: seconds(c.UpdateTime), Messages: msgs, LeafID: leaf,
		Instructions: chooseInstructions(c, contexts)}, nil
}

// gptInstructions is the text of a ChatGPT custom-instructions message
// (its "What should ChatGPT know about you?" and "How should it
// respond?"), or "" for any other message. The user's own words are
// preferred to the wrapped version ChatGPT sent its model, which older
// exports alone hold.
func gptInstructions(m *gptMessage) string {
	if m.Content.ContentType != "user_editable_context" {
		return ""
	}
	about, respond := looseString(m.Content.UserProfile), looseString(m.Content.UserInstructions)
	var u struct {
		AboutUser  json.RawMessage `json:"about_user_message"`
		AboutModel json.RawMessage `json:"about_model_message"`
	}
	_ = json.Unmarshal(m.Metadata.UserContext, &u) // absent or not an object: the wrapped text
	if au, am := looseString(u.AboutUser), looseString(u.AboutModel); strings.TrimSpace(au+am) != "" {
		about, respond = au, am
		if about = strings.TrimSpace(about); about != "" {
			about = "About the user:\n" + about
		}
	}
	var parts []string
	for _, p := range []string{about, respond} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "\n\n")
}

// chooseInstructions picks the custom instructions of a ChatGPT
// conversation: the ones on the path to the message shown last (nearest
// the start), else, when they lie on another branch only, the first by
// node id, so the same export always gives the same.
func chooseInstructions(c gptConversation, contexts map[string]string) string {
	if len(contexts) == 0 {
		return ""
	}
	found := ""
	seen := map[string]bool{}
	for id := c.CurrentNode; id != "" && !seen[id]; {
		seen[id] = true
		if text, ok := contexts[id]; ok {
			found = text
		}
		n, ok := c.Mapping[id]
		if !ok || n.Parent == nil {
			break
		}
		id = *n.Parent
	}
	if found != "" {
		return found
	}
	return contexts[slices.Min(slices.Collect(maps.Keys(contexts)))]
}

// gptText is the role and text of a ChatGPT message worth showing, or ""
// for one to skip (tool calls, hidden system context, reasoning, images).
func gptText(m *gptMessage) (role, text string) {
	role = m.Author.Role
	if role != "user" && role != "assistant" || m.Metadata.Hidden {
		return "", ""
	}
	var parts []string
	switch m.Content.ContentType {
	case "text", "multimodal_text":
		// Images are left out without a trace: an import of the same
		// export again recognises a conversation by its messages' text
		// (store.importKey), so a line in their place would make every
		// conversation with a picture, imported by an earlier Chapel, come
		// in a second time.
		for _, p := range m.Content.Parts {
			var s string
			if json.Unmarshal(p, &s) == nil && s != "" {
				parts = append(parts, s)
			}
		}
	case "code":
		if m.Content.Text != "" {
			parts = append(parts, fmt.Sprintf("```\n%s\n```", m.Content.Text))
		}
	}
	text = strings.Join(parts, "\n\n")
	if strings.TrimSpace(text) == "" {
		return "", ""
	}
	return role, text
}

// Open WebUI's chat export: a list of {title, chat: {title, models,
// history: {messages: {id: {parentId, childrenIds, role, content,
// timestamp, model}}, currentId}}, created_at, updated_at}.
type owuChat struct {
	Title     string  `json:"title"`
	CreatedAt float64 `json:"created_at"`
	UpdatedAt float64 `json:"updated_at"`
	Pinned    bool    `json:"pinned"`
	Chat      *struct {
		Title  string   `json:"title"`
		Models []string `json:"models"`
		// The chat's own system prompt (Chat Controls); older versions kept
		// it as system.
		// Read loosely: a field of another type leaves the prompt out,
		// not the chat.
		Params  json.RawMessage `json:"params"`
		System  json.RawMessage `json:"system"`
		History struct {
			Messages  map[string]owuMessage `json:"messages"`
			CurrentID string                `json:"currentId"`
		} `json:"history"`
	} `json:"chat"`
}

type owuMessage struct {
	ID          string   `json:"id"`
	ParentID    *string  `json:"parentId"`
	ChildrenIDs []string `json:"childrenIds"`
	Role        string   `json:"role"`
	Content     any      `json:"content"`
	Timestamp   float64  `json:"timestamp"`
	Model       string   `json:"model"`
}

// parseOpenWebUI reads chat i (from 0) of an Open WebUI export.
func parseOpenWebUI(raw json.RawMessage, i int) (store.ImportedConversation, error) {
	var c owuChat
	if err := json.Unmarshal(raw, &c); err != nil {
		return store.ImportedConversation{}, jsonError(err)
	}
	if c.Chat == nil {
		return store.ImportedConversation{}, apperr.New(apperr.Invalid, "item %d of the Open WebUI export has no chat", i+1)
	}
	title := c.Title
	if title == "" {
		title = c.Chat.Title
	}
	nodes := make(map[string]*treeNode, len(c.Chat.History.Messages))
	for id, m := range c.Chat.History.Messages {
		tn := &treeNode{id: id, children: m.ChildrenIDs, model: m.Model, created: seconds(m.Timestamp)}
		if m.ParentID != nil {
			tn.parent = *m.ParentID
		}
		if text, ok := m.Content.(string); ok && strings.TrimSpace(text) != "" && (m.Role == "user" || m.Role == "assistant" || m.Role == "system") {
			tn.role, tn.content = m.Role, text
		}
		nodes[id] = tn
	}
	msgs, leaf, err := build(title, nodes, c.Chat.History.CurrentID)
	if err != nil {
		return store.ImportedConversation{}, err
	}
	model := ""
	if len(c.Chat.Models) > 0 {
		model = c.Chat.Models[0]
	}
	return store.ImportedConversation{Title: title, Model: model, Pinned: c.Pinned,
		CreatedAt: seconds(c.CreatedAt), UpdatedAt: seconds(c.UpdatedAt), Messages: msgs, LeafID: leaf,
		Instructions: owuInstructions(c.Chat.Params, c.Chat.System)}, nil
}

// owuInstructions is an Open WebUI chat's system prompt: params.system,
// else the older system; "" when neither holds text.
func owuInstructions(params, system json.RawMessage) string {
	var p struct {
		System json.RawMessage `json:"system"`
	}
	_ = json.Unmarshal(params, &p) // not an object: no prompt there
	for _, raw := range []json.RawMessage{p.System, system} {
		if text := strings.TrimSpace(looseString(raw)); text != "" {
			return text
		}
	}
	return ""
}

// looseString is the JSON string in raw, "" when raw is absent or another
// type.
func looseString(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}
