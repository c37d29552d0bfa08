package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/gguf"
)

// Templates for the tiny model: its vocabulary has <s> (BOS), </s> and the
// ChatML tokens.
const (
	bosChatML = "{{ bos_token }}" + gguf.ChatMLTemplate
	// gemmaLike rejects a system prompt, as Gemma 2's template does.
	gemmaLike = "{{ bos_token }}{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}" +
		"{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
	// opensThink writes <think> into the generation prompt (DeepSeek-R1).
	opensThink = gguf.ChatMLTemplate + "{% if add_generation_prompt %}{{ '<think>\\n' }}{% endif %}"
	// thinkFlag closes the thinking block when thinking is off (Qwen3).
	thinkFlag = gguf.ChatMLTemplate + "{% if add_generation_prompt and enable_thinking is defined and enable_thinking is false %}{{ '<think>\\n\\n</think>\\n\\n' }}{% endif %}"
	// oneTurn takes a single message only (no adaptation makes three one).
	oneTurn = "{% if messages | length > 1 %}{{ raise_exception('Only one message is supported') }}{% endif %}" + gguf.ChatMLTemplate
	// notJinja is no valid Jinja, but llama.cpp recognises ChatML in it.
	notJinja = "{% for message in messages %}<|im_start|>{{ message.role }\n{{ message.content }}<|im_end|>\n{% endfor %}<|im_start|>assistant"
	// unknown is valid Jinja in no format llama.cpp knows and renders
	// nothing the engine could use.
	unknown = "{{ messages | nosuchfilter }}"
	// refuses raises on every conversation (a template that names roles
	// it does not know, damaged).
	refuses = "{{ raise_exception('Only user and assistant roles are supported!') }}"
	// cutShort is a template cut off in the middle, in no format
	// llama.cpp knows.
	cutShort = "{% for m in messages %}{{ m.content }{% endfor"
)

func TestTemplateModes(t *testing.T) {
	cases := []struct {
		name, tmpl, mode string
		reasoning        bool
		thinkSwitch      string
		// unusable: the file has a template, set aside (the status line
		// must not say the model has none)
		unusable bool
	}{
		{"no template", "", TemplatePlain, false, "", false},
		{"chatml", gguf.ChatMLTemplate, TemplateJinja, false, "", false},
		{"jinja the engine cannot parse, known to llama.cpp", notJinja, TemplateBuiltin, false, "", false},
		{"neither", unknown, TemplatePlain, false, "", true},
		{"refuses every conversation", refuses, TemplatePlain, false, "", true},
		{"cut short", cutShort, TemplatePlain, false, "", true},
		{"reasoning with a switch", thinkFlag, TemplateJinja, true, "flag", false},
		{"reasoning that always thinks", opensThink, TemplateJinja, true, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := load(t, tinyModel(t, c.tmpl))
			info, _ := e.Model(context.Background())
			if info.TemplateMode != c.mode || info.HasTemplate != (c.mode != TemplatePlain) {
				t.Errorf("mode %q has_template %v, want %q", info.TemplateMode, info.HasTemplate, c.mode)
			}
			if info.Reasoning != c.reasoning || info.ThinkSwitch != c.thinkSwitch {
				t.Errorf("reasoning %v switch %q, want %v %q", info.Reasoning, info.ThinkSwitch, c.reasoning, c.thinkSwitch)
			}
			if info.TemplateUnusable != c.unusable {
				t.Errorf("template_unusable %v, want %v", info.TemplateUnusable, c.unusable)
			}
			req := greedy(4)
			req.Messages = []Message{{Role: RoleUser, Content: "the cat"}}
			if _, res := generate(t, e, req); res.PromptTokens == 0 {
				t.Errorf("result %+v", res)
			}
		})
	}
}

// TestBOSOnce: the prompt starts with exactly one BOS token, whether the
// template writes bos_token itself or leaves it to the tokenizer.
func TestBOSOnce(t *testing.T) {
	for _, tmpl := range []string{"", gguf.ChatMLTemplate, bosChatML, gemmaLike} {
		e := load(t, tinyModel(t, tmpl))
		req := greedy(1)
		req.Messages = []Message{{Role: RoleSystem, Content: "be kind"}, {Role: RoleUser, Content: "the cat"}}
		toks, _, err := e.fitPrompt(req)
		if err != nil {
			t.Fatal(err)
		}
		bos := e.model.BOS()
		n := 0
		for _, tok := range toks {
			if tok == bos {
				n++
			}
		}
		if n != 1 || toks[0] != bos {
			t.Errorf("template %q: %d BOS tokens, first token %d: want one, first", tmpl, n, toks[0])
		}
		if tmpl == bosChatML && e.format.addBOS("<s><|im_start|>user") {
			t.Error("a text that starts with the BOS text must not get another")
		}
	}
}

// TestAdaptedConversation: a template that rejects the system prompt still
// answers, and the result says how the conversation was changed.
func TestAdaptedConversation(t *testing.T) {
	e := load(t, tinyModel(t, gemmaLike))
	req := greedy(4)
	req.Messages = []Message{{Role: RoleSystem, Content: "be kind"}, {Role: RoleUser, Content: "the cat"}}
	_, res := generate(t, e, req)
	if res.TemplateNote == "" || !strings.Contains(res.TemplateNote, "system prompt") {
		t.Errorf("template note %q, want one about the system prompt", res.TemplateNote)
	}
	req.Messages = req.Messages[1:]
	if _, res := generate(t, e, req); res.TemplateNote != "" {
		t.Errorf("an accepted conversation has note %q", res.TemplateNote)
	}
}

// TestRefusedConversationStillAnswers: a conversation the template refuses
// even adapted is written in llama.cpp's built-in format, and the result
// says so; the chat does not fail.
func TestRefusedConversationStillAnswers(t *testing.T) {
	e := load(t, tinyModel(t, oneTurn))
	if info, _ := e.Model(context.Background()); info.TemplateMode != TemplateJinja {
		t.Fatalf("mode %q", info.TemplateMode)
	}
	req := greedy(4)
	req.Messages = []Message{{Role: RoleUser, Content: "the cat"}, {Role: RoleAssistant, Content: "sat"}, {Role: RoleUser, Content: "and then?"}}
	r, err := e.format.render(req.Messages, nil)
	if err != nil || !strings.HasSuffix(r.text, "<|im_start|>assistant\n") || !strings.Contains(r.text, "and then?") {
		t.Fatalf("prompt %q, %v", r.text, err)
	}
	_, res := generate(t, e, req)
	if !strings.Contains(res.TemplateNote, "built-in") {
		t.Errorf("template note %q", res.TemplateNote)
	}
}

// TestThinkingPrompt: a generation prompt that opens <think> streams that
// marker first (in Generate and GenerateBatch), and Request.Thinking
// reaches enable_thinking.
func TestThinkingPrompt(t *testing.T) {
	no, yes := false, true
	cases := []struct {
		name, tmpl string
		thinking   *bool
		first      string // want the first piece to be this, or not "<think>" when ""
		promptEnd  string
	}{
		{"opened by the prompt", opensThink, nil, "<think>", "<think>\n"},
		{"thinking off closes it", thinkFlag, &no, "", "<think>\n\n</think>\n\n"},
		{"thinking on leaves it to the model", thinkFlag, &yes, "", "<|im_start|>assistant\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := load(t, tinyModel(t, c.tmpl))
			msgs := []Message{{Role: RoleUser, Content: "the cat"}}
			r, err := e.format.render(msgs, c.thinking)
			if err != nil || !strings.HasSuffix(r.text, c.promptEnd) {
				t.Fatalf("prompt %q (%v), want it to end with %q", r.text, err, c.promptEnd)
			}
			req := greedy(3)
			req.Messages, req.Thinking = msgs, c.thinking
			var pieces []string
			if _, err := e.Generate(context.Background(), req, func(s string) { pieces = append(pieces, s) }); err != nil {
				t.Fatal(err)
			}
			firsts := map[int]string{}
			if _, err := e.GenerateBatch(context.Background(), []Request{req, req}, func(i int, s string) {
				if _, ok := firsts[i]; !ok {
					firsts[i] = s
				}
			}); err != nil {
				t.Fatal(err)
			}
			if len(pieces) == 0 || len(firsts) != 2 {
				t.Fatalf("pieces %q, batch first pieces %v", pieces, firsts)
			}
			for _, first := range []string{pieces[0], firsts[0], firsts[1]} {
				if c.first != "" && first != c.first {
					t.Errorf("first piece %q, want %q", first, c.first)
				}
				if c.first == "" && first == "<think>" {
					t.Errorf("first piece %q: the prompt did not open thinking", first)
				}
			}
		})
	}
}

// TestWholeOrFitted: a conversation too long for the context loses its
// oldest turns (or the start of a message too long alone) for the window,
// and is refused, saying by how much, when the request asks for it whole
// (the API).
func TestWholeOrFitted(t *testing.T) {
	e := NewLocal()
	t.Cleanup(func() { e.Close() })
	if _, err := e.Load(context.Background(), tinyModel(t, gguf.ChatMLTemplate), LoadOptions{ContextSize: 256, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("the cat sat on the mat and looked at the dog ", 40)
	turns := []Message{
		{Role: RoleUser, Content: long}, {Role: RoleAssistant, Content: "yes"},
		{Role: RoleUser, Content: "and then?"},
	}
	cases := []struct {
		name    string
		msgs    []Message
		whole   bool
		dropped int
		cut     bool
		refused bool
	}{
		{"fits", []Message{{Role: RoleUser, Content: "the cat"}}, true, 0, false, false},
		{"oldest message left out", turns, false, 1, false, false},
		{"oldest turn needed whole", turns, true, 0, false, true},
		{"one message too long, its end kept", []Message{{Role: RoleUser, Content: long}}, false, 0, true, false},
		{"one message too long, whole", []Message{{Role: RoleUser, Content: long}}, true, 0, false, true},
		// 221 tokens: over the window's budget (192, a quarter kept for the
		// reply), within the API's (240 with the 16 asked for).
		{"whole, fits with the reply asked for", []Message{{Role: RoleUser, Content: strings.Repeat("the cat ", 50)}}, true, 0, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := greedy(16)
			req.Messages, req.Whole = c.msgs, c.whole
			toks, fit, err := e.fitPrompt(req)
			if c.refused {
				if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(apperr.Message(err), "context of 256 tokens") {
					t.Fatalf("err = %v, want invalid naming the context", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fit.dropped != c.dropped || len(toks) > 256-16 || !c.whole && len(toks) > 256-min(max(16, 256), 256/4) {
				t.Errorf("dropped %d turns, %d tokens; want %d dropped and a prompt within the budget", fit.dropped, len(toks), c.dropped)
			}
			if (fit.cut > 0) != c.cut {
				t.Errorf("cut %d tokens, want a cut: %v", fit.cut, c.cut)
			}
		})
	}
}
