package engine

import (
	"strings"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/chattmpl"
	"github.com/chapelapp/chapel/backend/llama"
)

// Template modes, as ModelInfo.TemplateMode reports them.
const (
	TemplateJinja   = "jinja"   // the model's own Jinja template, rendered as Hugging Face does
	TemplateBuiltin = "builtin" // llama.cpp's built-in formatting for the template it recognises
	TemplatePlain   = "plain"   // no usable template: plain completion
)

// chatFormat is how the loaded model's conversations become prompt text.
type chatFormat struct {
	mode  string
	src   string             // the model's template source (jinja and builtin)
	jinja *chattmpl.Template // mode jinja
	bos   string             // the BOS token's text, "" when the model has none
	// unusable: mode plain although the model has a template (src), which
	// neither the Jinja engine nor llama.cpp's formatting could render
	unusable bool
}

// newChatFormat picks the best way to format conversations for a model
// with template src: its Jinja template when the Jinja engine can parse
// and render it, else llama.cpp's built-in detection, else plain text.
func newChatFormat(src, bos, eos string) chatFormat {
	probe := []Message{{Role: RoleUser, Content: "hi"}}
	if src == "" {
		return chatFormat{mode: TemplatePlain, bos: bos}
	}
	if t, err := chattmpl.Parse(src, bos, eos); err == nil {
		f := chatFormat{mode: TemplateJinja, src: src, jinja: t, bos: bos}
		if _, err := f.render(probe, nil); err == nil {
			return f
		}
	}
	f := chatFormat{mode: TemplateBuiltin, src: src, bos: bos}
	if _, err := f.render(probe, nil); err == nil {
		return f
	}
	return chatFormat{mode: TemplatePlain, bos: bos, unusable: true}
}

// templated reports whether prompts carry a chat template's control
// tokens (which the tokenizer must then parse as such).
func (f chatFormat) templated() bool { return f.mode != TemplatePlain }

// reasoning reports whether the model thinks before answering, and how
// thinking can be turned off ("" when it cannot).
func (f chatFormat) reasoning() (bool, string) {
	if f.jinja != nil {
		return f.jinja.Reasoning(), string(f.jinja.ThinkSwitch())
	}
	return f.src != "" && chattmpl.IsReasoning(f.src), ""
}

// rendered is a conversation as prompt text.
type rendered struct {
	text    string
	opened  string   // the thinking marker the prompt opened for the reply, or ""
	adapted []string // what was changed for the template (chattmpl.Adapt…)
}

// render turns messages into prompt text: with the model's chat template
// when it has one, or as plain text for a completion model (the turns
// joined, each assistant turn continuing the text before it). thinking nil
// leaves thinking as the template does by default. A conversation that
// ends with the assistant's turn continues that turn (Continue): a Jinja
// template renders it cut where its text ends (chattmpl); with llama.cpp's
// built-in formatting the generation prompt opens the reply and its text
// follows, left open.
func (f chatFormat) render(msgs []Message, thinking *bool) (rendered, error) {
	if n := len(msgs); f.mode == TemplateBuiltin && n > 1 && msgs[n-1].Role == RoleAssistant {
		head, err := f.render(msgs[:n-1], thinking)
		if err != nil {
			return rendered{}, err
		}
		head.text += msgs[n-1].Content
		return head, nil
	}
	switch f.mode {
	case TemplateJinja:
		cm := make([]chattmpl.Message, len(msgs))
		for i, m := range msgs {
			cm[i] = chattmpl.Message{Role: m.Role, Content: m.Content}
		}
		p, err := f.jinja.RenderChat(cm, chattmpl.Options{AddGenerationPrompt: true, EnableThinking: thinking})
		if err != nil {
			// The template refuses this conversation even adapted: the chat
			// goes on in llama.cpp's built-in format rather than failing.
			r, err2 := chatFormat{mode: TemplateBuiltin, src: f.src, bos: f.bos}.render(msgs, thinking)
			if err2 != nil {
				return rendered{}, err
			}
			r.adapted = []string{chattmpl.AdaptOtherFormat}
			return r, nil
		}
		return rendered{text: p.Text, opened: p.ThinkOpened, adapted: p.Adapted}, nil
	case TemplateBuiltin:
		cm := make([]llama.ChatMessage, len(msgs))
		for i, m := range msgs {
			cm[i] = llama.ChatMessage{Role: m.Role, Content: m.Content}
		}
		text, err := llama.ApplyChatTemplate(f.src, cm, true)
		return rendered{text: text}, err
	}
	var b strings.Builder
	for i, m := range msgs {
		if i > 0 && m.Role != RoleAssistant {
			b.WriteString("\n")
		}
		b.WriteString(m.Content)
	}
	return rendered{text: b.String()}, nil
}

// addBOS says whether tokenizing text should add the model's BOS token.
// Most templates write "{{ bos_token }}" themselves, so the rendered text
// already starts with the BOS token's text, which the tokenizer turns into
// the BOS token (special tokens are parsed); adding another would give the
// model two, which it never saw in training. So BOS is added only when the
// text does not start with it, and then only where the model's tokenizer
// adds one at all (llama.cpp's add_bos_token decides).
func (f chatFormat) addBOS(text string) bool {
	return f.bos == "" || !f.templated() || !strings.HasPrefix(text, f.bos)
}

// promptFit is what fitting a conversation into the context decided.
type promptFit struct {
	dropped int    // oldest turns left out
	cut     int    // tokens left out from the start of a message too long alone
	opened  string // the thinking marker the prompt opened for the reply, or ""
	note    string // one sentence on how the conversation was adapted to the template, or ""
}

// fitPrompt renders and tokenizes req so that the prompt plus room for the
// reply fits the context, dropping the oldest turns (never the system
// prompt or the last message) when it does not.
func (e *Local) fitPrompt(req Request) ([]llama.Token, promptFit, error) {
	nctx := e.lctx.NCtx()
	if len(req.Tokens) > 0 {
		if len(req.Tokens)+req.MaxTokens > nctx {
			return nil, promptFit{}, apperr.New(apperr.Invalid, "a prompt of %d tokens and %d to generate do not fit a context of %d", len(req.Tokens), req.MaxTokens, nctx)
		}
		toks := make([]llama.Token, len(req.Tokens))
		for i, t := range req.Tokens {
			if t < 0 || int(t) >= e.model.NVocab() {
				return nil, promptFit{}, apperr.New(apperr.Invalid, "token %d is not in the vocabulary", t)
			}
			toks[i] = llama.Token(t)
		}
		return toks, promptFit{}, nil
	}
	reserve := min(max(req.MaxTokens, 256), nctx/4)
	if req.Whole {
		// An API client says how long the reply may be: a prompt that fits
		// with that room is answered. A reply asked longer than a quarter
		// of the context gets the quarter, and goes on past it by shifting.
		reserve = min(max(req.MaxTokens, 1), nctx/4)
	}
	budget := nctx - reserve
	msgs := req.Messages
	dropped := 0
	for {
		r, err := e.format.render(msgs, req.Thinking)
		if err != nil {
			return nil, promptFit{}, apperr.Wrap(apperr.Invalid, err, "the conversation could not be formatted for this model")
		}
		toks, err := e.model.Tokenize(r.text, e.format.addBOS(r.text), e.format.templated())
		if err != nil {
			return nil, promptFit{}, apperr.Wrap(apperr.Internal, err, "tokenize the prompt")
		}
		if len(toks) >= 2 && toks[0] == e.model.BOS() && toks[1] == toks[0] {
			toks = toks[1:] // a template that writes BOS after its own start; never two
		}
		fit := promptFit{dropped: dropped, opened: r.opened, note: chattmpl.AdaptNote(r.adapted)}
		if len(toks) <= budget {
			return toks, fit, nil
		}
		if req.Whole {
			return nil, promptFit{}, apperr.New(apperr.Invalid,
				"the prompt is %d tokens; this model's context of %d tokens holds %d of them with %d kept for the reply: shorten the conversation, or load the model with a larger context",
				len(toks), nctx, budget, reserve)
		}
		first := 0
		for first < len(msgs) && msgs[first].Role == RoleSystem {
			first++
		}
		if first >= len(msgs)-1 {
			// One message alone is too long: keep its end, and say how much went.
			fit.cut = len(toks) - budget
			return append([]llama.Token{toks[0]}, toks[len(toks)-budget+1:]...), fit, nil
		}
		msgs = append(append([]Message{}, msgs[:first]...), msgs[first+1:]...)
		dropped++
	}
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
