// Package chattmpl owns turning a conversation into prompt text with the
// model's own chat template: the Jinja source a GGUF file carries in
// tokenizer.chat_template, rendered as Hugging Face renders it (trim_blocks
// and lstrip_blocks on, bos_token, eos_token, raise_exception,
// strftime_now, tools and documents as none, enable_thinking where asked).
// It adapts a conversation a template rejects (a system prompt it does not
// take, two turns in a row from one side) instead of failing the chat, and
// it splits a reasoning model's output into thinking and answer.
package chattmpl

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ardanlabs/jinja"
)

// Message is one turn of a conversation.
type Message struct {
	Role    string
	Content string
}

// Template is a parsed chat template with the model's special tokens.
type Template struct {
	src string
	t   *jinja.Template
	bos string // "" = the model has none: bos_token stays undefined
	eos string
}

// Parse compiles a template's source. bos and eos are the texts of the
// model's beginning- and end-of-sequence tokens ("" when it has none).
// An error means the Jinja engine cannot read this template; the caller
// falls back to another way of formatting the conversation.
func Parse(src, bos, eos string) (*Template, error) {
	// Jinja drops one trailing newline of the source (keep_trailing_newline
	// is off by default, and transformers keeps that default).
	body := strings.TrimSuffix(src, "\n")
	t, err := jinja.Compile(body)
	if err != nil {
		return nil, fmt.Errorf("parse the chat template: %w", err)
	}
	return &Template{src: src, t: t, bos: bos, eos: eos}, nil
}

// Source is the template's text as given to Parse.
func (t *Template) Source() string { return t.src }

// BOS is the text of the model's beginning-of-sequence token, "" if none.
func (t *Template) BOS() string { return t.bos }

// TemplateError is an error the template raised itself (raise_exception),
// such as "System role not supported": the conversation, not the template,
// is what it objects to.
type TemplateError struct{ Message string }

func (e *TemplateError) Error() string { return e.Message }

// Options are the render settings besides the messages.
type Options struct {
	// AddGenerationPrompt ends the text with the opening of the
	// assistant's turn.
	AddGenerationPrompt bool
	// EnableThinking, when set, is passed as enable_thinking; nil leaves it
	// undefined, so the template's default applies.
	EnableThinking *bool
	// Now is the time strftime_now formats; zero means the clock.
	Now time.Time
}

// Execute renders the template with the standard environment plus vars
// (which may override any of it). messages, add_generation_prompt and the
// rest come from vars; it is the low-level entry that Render builds on and
// that tests feed with raw conversations.
func (t *Template) Execute(vars map[string]any, now time.Time) (out string, err error) {
	// A template comes from a model file: a fault in the Jinja engine on an
	// odd one is an error for this render, not a crash of the worker.
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("render the chat template: the Jinja engine failed: %v", r)
		}
	}()
	defer watchRender()() // see SetRenderGuard
	if now.IsZero() {
		now = time.Now()
	}
	vals := map[string]jinja.Value{
		"tools":     jinja.FromGoValue(nil),
		"documents": jinja.FromGoValue(nil),
		"raise_exception": jinja.NewCallable("raise_exception", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
			msg := "the chat template raised an error"
			if len(args) > 0 && args[0].IsString() {
				msg = args[0].AsString()
			}
			return jinja.Undefined(), &TemplateError{Message: msg}
		}),
		"strftime_now": jinja.NewCallable("strftime_now", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
			if len(args) == 0 || !args[0].IsString() {
				return jinja.Undefined(), errors.New("strftime_now needs a format string")
			}
			return jinja.NewString(strftime(now, args[0].AsString())), nil
		}),
		"add_generation_prompt": jinja.NewBool(false),
		"range":                 boundedRange(),
	}
	if t.bos != "" {
		vals["bos_token"] = jinja.NewString(t.bos)
	}
	if t.eos != "" {
		vals["eos_token"] = jinja.NewString(t.eos)
	}
	for k, v := range vars {
		vals[k] = jinja.FromGoValue(v)
	}
	out, err = t.t.RenderValues(vals)
	if err != nil {
		var te *TemplateError
		if errors.As(err, &te) {
			return "", err
		}
		return "", fmt.Errorf("render the chat template: %w", err)
	}
	return out, nil
}

// Render formats msgs exactly as the template does, or fails with the
// template's own error (a *TemplateError when the template raised it).
func (t *Template) Render(msgs []Message, opts Options) (string, error) {
	list := make([]any, len(msgs))
	for i, m := range msgs {
		list[i] = map[string]any{"role": m.Role, "content": m.Content}
	}
	vars := map[string]any{"messages": list, "add_generation_prompt": opts.AddGenerationPrompt}
	if opts.EnableThinking != nil {
		vars["enable_thinking"] = *opts.EnableThinking
	}
	return t.Execute(vars, opts.Now)
}
