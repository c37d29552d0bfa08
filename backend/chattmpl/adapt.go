package chattmpl

import (
	"errors"
	"strings"
)

// Adaptations a template may need, as Prompt.Adapted reports them.
const (
	AdaptSystemFolded = "system-folded" // the system prompt went to the start of the first user turn
	AdaptTurnsMerged  = "turns-merged"  // consecutive turns from one side became one
	// AdaptOtherFormat: the template refused the conversation even so; the
	// caller formatted it another way (llama.cpp's built-in format).
	AdaptOtherFormat = "other-format"
)

// Prompt is a rendered conversation.
type Prompt struct {
	Text string
	// Adapted lists what was changed in the conversation because the
	// template rejected it as it was (AdaptSystemFolded, AdaptTurnsMerged);
	// empty when the template took it unchanged.
	Adapted []string
	// ThinkOpened is the thinking marker the text ends with ("<think>"
	// when the template opened the block for the model, so the reply
	// starts as thinking), or "".
	ThinkOpened string
}

// Note is one sentence for the user about how the conversation was
// adapted, or "" when it was not.
func (p Prompt) Note() string { return AdaptNote(p.Adapted) }

// AdaptNote says in one sentence what the adaptations in list mean.
func AdaptNote(list []string) string {
	var parts []string
	for _, a := range list {
		switch a {
		case AdaptSystemFolded:
			parts = append(parts, "the system prompt was put at the start of the first message")
		case AdaptTurnsMerged:
			parts = append(parts, "messages in a row from the same side were joined")
		case AdaptOtherFormat:
			parts = append(parts, "it was written in llama.cpp's built-in chat format instead")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "This model's chat template does not take the conversation as it is: " + strings.Join(parts, ", and ") + "."
}

// RenderChat renders a conversation for generation. When the template
// rejects it (raise_exception), the conversation is adapted (turns from one
// side merged, the system prompt folded into the first user turn) and
// rendered again; Prompt.Adapted says what changed. Thinking off on a
// template without an enable_thinking flag but with Qwen3's "/no_think"
// convention adds that marker to the last user turn.
func (t *Template) RenderChat(msgs []Message, opts Options) (Prompt, error) {
	if opts.EnableThinking != nil && !*opts.EnableThinking && t.ThinkSwitch() == SwitchNoThink {
		msgs = withNoThink(msgs)
	}
	if opts.EnableThinking != nil && t.ThinkSwitch() != SwitchFlag {
		opts.EnableThinking = nil // the template does not read it; keep it undefined
	}
	text, err := t.renderTurn(msgs, opts)
	if err == nil {
		return t.prompt(text, nil), nil
	}
	var te *TemplateError
	if !errors.As(err, &te) {
		return Prompt{}, err
	}
	steps := [][]string{{AdaptTurnsMerged}, {AdaptSystemFolded}, {AdaptSystemFolded, AdaptTurnsMerged}}
	for _, step := range steps {
		adapted := msgs
		for _, a := range step {
			switch a {
			case AdaptTurnsMerged:
				adapted = mergeTurns(adapted)
			case AdaptSystemFolded:
				adapted = foldSystem(adapted)
			}
		}
		if sameMessages(adapted, msgs) {
			continue
		}
		if text, err2 := t.renderTurn(adapted, opts); err2 == nil {
			return t.prompt(text, step), nil
		}
	}
	return Prompt{}, err
}

// continueMark stands in for the reply being continued while the template
// renders it; the text is cut there and the reply's own text put back.
const continueMark = "\x00chapel-continue\x00"

// renderTurn renders msgs for the model's next words. A conversation that
// ends with an assistant turn is that reply being continued: the prompt
// ends with the reply's text, not with its end-of-turn and a new turn (the
// template renders it as a finished turn, cut where its text starts).
func (t *Template) renderTurn(msgs []Message, opts Options) (string, error) {
	n := len(msgs)
	if n == 0 || msgs[n-1].Role != "assistant" || !opts.AddGenerationPrompt {
		return t.Render(msgs, opts)
	}
	marked := append([]Message{}, msgs...)
	marked[n-1].Content = continueMark
	closed := opts
	closed.AddGenerationPrompt = false
	text, err := t.Render(marked, closed)
	if err != nil {
		return "", err
	}
	i := strings.Index(text, continueMark)
	if i < 0 || strings.Count(text, continueMark) > 1 {
		// The template rewrote the reply's text: render it as it stands.
		return t.Render(msgs, opts)
	}
	return text[:i] + msgs[n-1].Content, nil
}

func (t *Template) prompt(text string, adapted []string) Prompt {
	tail := strings.TrimRight(text, " \t\r\n")
	open := ""
	for _, p := range thinkPairs {
		if p.prefill && strings.HasSuffix(tail, p.open) {
			open = p.open
		}
	}
	return Prompt{Text: text, Adapted: adapted, ThinkOpened: open}
}

// mergeTurns joins consecutive messages with the same role into one,
// their texts separated by a blank line.
func mergeTurns(msgs []Message) []Message {
	out := make([]Message, 0, len(msgs))
	for _, m := range msgs {
		if n := len(out); n > 0 && out[n-1].Role == m.Role {
			out[n-1].Content = joinTexts(out[n-1].Content, m.Content)
			continue
		}
		out = append(out, m)
	}
	return out
}

// foldSystem moves the system messages into the start of the first user
// turn (or makes them a user turn when there is none).
func foldSystem(msgs []Message) []Message {
	var sys []string
	var rest []Message
	for _, m := range msgs {
		if m.Role == "system" {
			if strings.TrimSpace(m.Content) != "" {
				sys = append(sys, m.Content)
			}
			continue
		}
		rest = append(rest, m)
	}
	if len(sys) == 0 {
		return rest
	}
	prefix := strings.Join(sys, "\n\n")
	for i, m := range rest {
		if m.Role == "user" {
			out := append([]Message{}, rest...)
			out[i].Content = joinTexts(prefix, m.Content)
			return out
		}
	}
	return append([]Message{{Role: "user", Content: prefix}}, rest...)
}

func joinTexts(a, b string) string {
	switch {
	case strings.TrimSpace(a) == "":
		return b
	case strings.TrimSpace(b) == "":
		return a
	}
	return a + "\n\n" + b
}

// withNoThink ends the last user turn with Qwen3's "/no_think" switch.
func withNoThink(msgs []Message) []Message {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			out := append([]Message{}, msgs...)
			out[i].Content = strings.TrimRight(out[i].Content, " \n") + " /no_think"
			return out
		}
	}
	return msgs
}

func sameMessages(a, b []Message) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
