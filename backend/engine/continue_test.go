package engine

import (
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/gguf"
)

// TestContinueLastTurn: a conversation ending with the assistant's turn
// continues it — the prompt is the reply opened by the template with its
// text left open — and the cached prompt and reply are reused.
func TestContinueLastTurn(t *testing.T) {
	for name, tmpl := range map[string]string{"none": "", "chatml (jinja)": gguf.ChatMLTemplate, "chatml (llama.cpp built-in)": notJinja} {
		t.Run(name, func(t *testing.T) {
			e := load(t, tinyModel(t, tmpl))
			user := Message{Role: RoleUser, Content: "the cat sat"}
			req := greedy(6)
			req.IgnoreEOS = true
			req.Messages = []Message{user}
			reply, first := generate(t, e, req)
			if reply == "" {
				t.Fatal("no reply to continue")
			}
			head, err := e.format.render([]Message{user}, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Messages = []Message{user, {Role: RoleAssistant, Content: reply}}
			cont, err := e.format.render(req.Messages, nil)
			if err != nil {
				t.Fatal(err)
			}
			if cont.text != head.text+reply {
				t.Errorf("continue prompt %q, want %q", cont.text, head.text+reply)
			}
			more, res := generate(t, e, req)
			if more == "" || res.CompletionTokens != 6 {
				t.Errorf("continued with %q (%d tokens)", more, res.CompletionTokens)
			}
			// The first prompt is reused whole (the reply's tokens may
			// tokenize differently as text).
			if res.CachedTokens < first.PromptTokens-1 {
				t.Errorf("cached %d tokens, want at least the first prompt's %d", res.CachedTokens, first.PromptTokens-1)
			}
			if strings.HasSuffix(cont.text, "<|im_end|>\n") {
				t.Error("the continued turn was closed")
			}
		})
	}
}
