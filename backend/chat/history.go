package chat

import (
	"strings"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

// History is what the model sees: the system prompt (when not blank), the
// conversation's finished messages oldest first, and the new user text.
// Replies still streaming and messages without text (a reply that failed
// before its first word) are left out; stopped and failed replies keep the
// text they have.
func History(saved []store.Message, systemPrompt, text string) []engine.Message {
	out := make([]engine.Message, 0, len(saved)+2)
	if strings.TrimSpace(systemPrompt) != "" {
		out = append(out, engine.Message{Role: engine.RoleSystem, Content: systemPrompt})
	}
	for _, m := range saved {
		if m.Status == store.StatusStreaming || strings.TrimSpace(m.Content) == "" {
			continue
		}
		out = append(out, engine.Message{Role: m.Role, Content: m.Content})
	}
	return append(out, engine.Message{Role: engine.RoleUser, Content: text})
}

// TitleMax is the longest title TitleFrom makes, ellipsis included.
const TitleMax = 48

// TitleFrom makes a conversation title from its first message: the first
// line with words (code fences skipped, markdown heading and quote marks
// dropped), cut at a word boundary with an ellipsis when longer than
// TitleMax characters.
func TitleFrom(text string) string {
	line := ""
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "```") || strings.HasPrefix(l, "~~~") {
			continue
		}
		l = strings.TrimSpace(strings.TrimLeft(l, "#> \t"))
		if l != "" {
			line = strings.Join(strings.Fields(l), " ")
			break
		}
	}
	if line == "" {
		return store.DefaultTitle
	}
	if utf8.RuneCountInString(line) <= TitleMax {
		return line
	}
	cut := string([]rune(line)[:TitleMax-1])
	if i := strings.LastIndexByte(cut, ' '); i > 0 && utf8.RuneCountInString(cut[:i]) >= TitleMax/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:!?-–—") + "…"
}

// systemPrompt is what a conversation's replies are told first: its own
// instructions when it has them (the store keeps them trimmed), else the
// system prompt of Settings.
func systemPrompt(c store.Conversation, opts Options) string {
	if c.Instructions != "" {
		return c.Instructions
	}
	return opts.SystemPrompt
}
