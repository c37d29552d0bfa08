package engine

import (
	"strings"

	"github.com/chapelapp/chapel/backend/llama"
)

// renderPrompt turns messages into prompt text: with the model's chat
// template when it has one, or as plain text for a completion model (the
// turns joined, each assistant turn continuing the text before it).
func renderPrompt(tmpl string, msgs []Message) (string, error) {
	if tmpl == "" {
		var b strings.Builder
		for i, m := range msgs {
			if i > 0 && m.Role != RoleAssistant {
				b.WriteString("\n")
			}
			b.WriteString(m.Content)
		}
		return b.String(), nil
	}
	cm := make([]llama.ChatMessage, len(msgs))
	for i, m := range msgs {
		cm[i] = llama.ChatMessage{Role: m.Role, Content: m.Content}
	}
	return llama.ApplyChatTemplate(tmpl, cm, true)
}

// commonPrefix is the length of the shared prefix of a and b.
func commonPrefix(a, b []llama.Token) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
