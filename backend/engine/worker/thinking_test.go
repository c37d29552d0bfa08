package worker

import (
	"context"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/gguf"
)

// TestTemplatesAcrossTheWorker: the template mode, the reasoning switch,
// a prompt-opened thinking block (its marker streamed first), the thinking
// setting and the note on an adapted conversation cross the pipe to the
// worker and back as the in-process engine gives them.
func TestTemplatesAcrossTheWorker(t *testing.T) {
	no := false
	opensThink := gguf.ChatMLTemplate + "{% if add_generation_prompt and not (enable_thinking is defined and enable_thinking is false) %}{{ '<think>\\n' }}{% endif %}"
	noSystem := "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}" +
		"{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
	cases := []struct {
		name        string
		tmpl        string
		msgs        []engine.Message
		thinking    *bool
		mode        string
		switcher    string
		firstPiece  string // "" = anything but "<think>"
		noteContain string
	}{
		{"thinking opened by the prompt", opensThink, []engine.Message{{Role: engine.RoleUser, Content: "the cat"}}, nil, engine.TemplateJinja, "flag", "<think>", ""},
		{"thinking turned off", opensThink, []engine.Message{{Role: engine.RoleUser, Content: "the cat"}}, &no, engine.TemplateJinja, "flag", "", ""},
		{"a system prompt the template refuses", noSystem, []engine.Message{{Role: engine.RoleSystem, Content: "be kind"}, {Role: engine.RoleUser, Content: "the cat"}},
			nil, engine.TemplateJinja, "", "", "system prompt"},
		{"no template", "", []engine.Message{{Role: engine.RoleUser, Content: "the cat"}}, nil, engine.TemplatePlain, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client, _ := newClient(t)
			info := load(t, client, tinyModel(t, c.tmpl))
			if info.TemplateMode != c.mode || info.ThinkSwitch != c.switcher {
				t.Errorf("model info mode %q switch %q, want %q %q", info.TemplateMode, info.ThinkSwitch, c.mode, c.switcher)
			}
			req := engine.Request{Messages: c.msgs, MaxTokens: 3, Thinking: c.thinking}
			var pieces []string
			res, err := client.Generate(context.Background(), req, func(s string) { pieces = append(pieces, s) })
			if err != nil || len(pieces) == 0 {
				t.Fatalf("generate: %v, %d pieces", err, len(pieces))
			}
			if c.firstPiece != "" && pieces[0] != c.firstPiece || c.firstPiece == "" && pieces[0] == "<think>" {
				t.Errorf("first piece %q, want %q", pieces[0], c.firstPiece)
			}
			if (c.noteContain == "") != (res.TemplateNote == "") || !strings.Contains(res.TemplateNote, c.noteContain) {
				t.Errorf("template note %q, want one with %q", res.TemplateNote, c.noteContain)
			}
		})
	}
}
