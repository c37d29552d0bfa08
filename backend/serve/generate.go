package serve

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
)

// samplingFields are the sampler settings both generation endpoints take.
// Past OpenAI's set: top_k, min_p, repeat_penalty and ignore_eos, as
// llama-server reads them.
type samplingFields struct {
	Model               string          `json:"model"`
	Stream              bool            `json:"stream"`
	StreamOptions       *streamOptions  `json:"stream_options"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Temperature         *float32        `json:"temperature"`
	TopP                *float32        `json:"top_p"`
	TopK                *int            `json:"top_k"`
	MinP                *float32        `json:"min_p"`
	RepeatPenalty       *float32        `json:"repeat_penalty"`
	Seed                *int64          `json:"seed"`
	IgnoreEOS           bool            `json:"ignore_eos"`
	N                   *int            `json:"n"`
	Stop                json.RawMessage `json:"stop"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type wireMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type chatBody struct {
	samplingFields
	Messages []wireMessage `json:"messages"`
}

type completionBody struct {
	samplingFields
	Prompt json.RawMessage `json:"prompt"`
}

// request turns the sampler fields into an engine request; a non-empty
// message says why it cannot.
func (f samplingFields) request() (engine.Request, string) {
	s := engine.DefaultSampling()
	if f.Temperature != nil {
		s.Temperature = *f.Temperature
	}
	if f.TopP != nil {
		s.TopP = *f.TopP
	}
	if f.TopK != nil {
		s.TopK = *f.TopK
	}
	if f.MinP != nil {
		s.MinP = *f.MinP
	}
	if f.RepeatPenalty != nil {
		s.RepeatPenalty = *f.RepeatPenalty
	}
	if f.Seed != nil {
		s.Seed = uint32(*f.Seed)
	}
	// API clients are told when a conversation does not fit (400), as from
	// other OpenAI-compatible servers, instead of answering from part of it.
	req := engine.Request{Sampling: s, IgnoreEOS: f.IgnoreEOS, Whole: true}
	max := f.MaxTokens
	if f.MaxCompletionTokens != nil {
		max = f.MaxCompletionTokens
	}
	switch {
	case max != nil && *max < 0:
		return req, "max_tokens cannot be negative"
	case max != nil:
		req.MaxTokens = *max
	}
	switch {
	case s.Temperature < 0 || s.Temperature > 2:
		return req, "temperature must be between 0 and 2"
	case s.TopP < 0 || s.TopP > 1:
		return req, "top_p must be between 0 and 1"
	case f.N != nil && *f.N != 1:
		return req, "this Chapel makes one choice per request; leave n out or set it to 1"
	}
	if stop := bytes.TrimSpace(f.Stop); len(stop) > 0 && string(stop) != "null" && string(stop) != "[]" && string(stop) != `""` {
		return req, "stop sequences are not supported by this Chapel; leave stop out"
	}
	return req, ""
}

// messages reads the conversation; a non-empty message says what is wrong.
func messages(in []wireMessage) ([]engine.Message, string) {
	if len(in) == 0 {
		return nil, "messages must hold at least one message"
	}
	out := make([]engine.Message, 0, len(in))
	for i, m := range in {
		role := m.Role
		if role == "developer" {
			role = engine.RoleSystem
		}
		if role != engine.RoleSystem && role != engine.RoleUser && role != engine.RoleAssistant {
			return nil, fmt.Sprintf("messages[%d] has the role %q; this Chapel takes system, user and assistant messages", i, m.Role)
		}
		text, msg := content(m.Content)
		if msg != "" {
			return nil, fmt.Sprintf("messages[%d]: %s", i, msg)
		}
		out = append(out, engine.Message{Role: role, Content: text})
	}
	return out, ""
}

// content reads a message's content: a string, or an array of text parts.
func content(raw json.RawMessage) (string, string) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, ""
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", "content must be a string or an array of text parts"
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			return "", fmt.Sprintf("content parts of type %q are not supported; this Chapel reads text", p.Type)
		}
		b.WriteString(p.Text)
	}
	return b.String(), ""
}

// prompt reads a completion's prompt: a string or an array of one string.
func prompt(raw json.RawMessage) (string, string) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, ""
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil && len(list) == 1 {
		return list[0], ""
	}
	return "", "prompt must be a string (or an array of one string)"
}

func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	var body chatBody
	if !s.decode(w, r, &body) {
		return
	}
	req, msg := body.request()
	if msg == "" {
		req.Messages, msg = messages(body.Messages)
	}
	if msg != "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", msg)
		return
	}
	s.generate(w, r, body.samplingFields, req, true)
}

// completions runs a plain prompt. For a model without a chat template the
// prompt is the text continued; a model with one sees it as a user turn.
func (s *Server) completions(w http.ResponseWriter, r *http.Request) {
	var body completionBody
	if !s.decode(w, r, &body) {
		return
	}
	req, msg := body.request()
	var text string
	if msg == "" {
		text, msg = prompt(body.Prompt)
	}
	if msg != "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", msg)
		return
	}
	req.Messages = []engine.Message{{Role: engine.RoleUser, Content: text}}
	s.generate(w, r, body.samplingFields, req, false)
}

// usage is the token count in answers.
type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

func usageOf(res engine.Result) usage {
	return usage{res.PromptTokens, res.CompletionTokens, res.PromptTokens + res.CompletionTokens}
}

// finishReason maps Chapel's stop reason to OpenAI's.
func finishReason(stop string) string {
	if stop == engine.StopLength {
		return "length"
	}
	return "stop"
}

func newID(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// generate runs req and answers it, streamed or whole; chat picks the chat
// completion's shapes over the text completion's.
func (s *Server) generate(w http.ResponseWriter, r *http.Request, f samplingFields, req engine.Request, chat bool) {
	info, ok := s.loaded(w, r, f.Model)
	if !ok {
		return
	}
	id, object := newID("cmpl-"), "text_completion"
	if chat {
		id, object = newID("chatcmpl-"), "chat.completion"
	}
	ctx := r.Context() // cancelled when the client goes: the generation stops
	base := map[string]any{"id": id, "created": time.Now().Unix(), "model": modelID(info)}
	if !f.Stream {
		var text strings.Builder
		res, err := s.eng.Generate(ctx, req, func(p string) { text.WriteString(p) })
		if err != nil {
			s.engineError(w, err)
			return
		}
		if ctx.Err() != nil {
			return // nobody to answer
		}
		choice := map[string]any{"index": 0, "finish_reason": finishReason(res.StopReason)}
		if chat {
			choice["message"] = map[string]string{"role": engine.RoleAssistant, "content": text.String()}
		} else {
			choice["text"], choice["logprobs"] = text.String(), nil
		}
		base["object"], base["choices"], base["usage"] = object, []any{choice}, usageOf(res)
		writeJSON(w, http.StatusOK, base)
		return
	}

	ev := newEvents(w)
	chunk := func(delta any, finish *string) map[string]any {
		c := map[string]any{"index": 0, "finish_reason": finish}
		if chat {
			c["delta"] = delta
		} else {
			c["text"], c["logprobs"] = delta, nil
		}
		m := map[string]any{"object": object + ".chunk", "choices": []any{c}}
		if !chat {
			m["object"] = object
		}
		for k, v := range base {
			m[k] = v
		}
		return m
	}
	if chat {
		ev.later(chunk(map[string]any{"role": engine.RoleAssistant, "content": ""}, nil))
	}
	res, err := s.eng.Generate(ctx, req, func(p string) {
		if chat {
			ev.send(chunk(map[string]string{"content": p}, nil))
		} else {
			ev.send(chunk(p, nil))
		}
	})
	switch {
	case ctx.Err() != nil:
		return
	case err != nil && !ev.started:
		// Refused before a word was written (a prompt too long for the
		// context, a bad request): an HTTP error, as without streaming.
		s.engineError(w, err)
		return
	case err != nil:
		s.log.Warn("API stream failed", "err", err)
		ev.send(errorBody(http.StatusInternalServerError, "server_error", apperrMessage(err)))
		return
	}
	fr := finishReason(res.StopReason)
	if chat {
		ev.send(chunk(map[string]any{}, &fr))
	} else {
		ev.send(chunk("", &fr))
	}
	if f.StreamOptions != nil && f.StreamOptions.IncludeUsage {
		m := map[string]any{"object": object + ".chunk", "choices": []any{}, "usage": usageOf(res)}
		for k, v := range base {
			m[k] = v
		}
		ev.send(m)
	}
	ev.done()
}

// events writes server-sent events.
// The stream starts (200 and its headers) with the first event sent, so
// an error before any (the prompt refused) can still be an HTTP status.
type events struct {
	w       http.ResponseWriter
	fl      http.Flusher
	started bool
	pending []any // sent when the stream starts
}

func newEvents(w http.ResponseWriter) *events {
	fl, _ := w.(http.Flusher)
	return &events{w: w, fl: fl}
}

// later queues v to go first when the stream starts.
func (e *events) later(v any) { e.pending = append(e.pending, v) }

func (e *events) start() {
	if e.started {
		return
	}
	e.started = true
	e.w.Header().Set("Content-Type", "text/event-stream")
	e.w.Header().Set("Cache-Control", "no-cache")
	e.w.Header().Set("X-Accel-Buffering", "no")
	e.w.WriteHeader(http.StatusOK)
	pending := e.pending
	e.pending = nil
	for _, v := range pending {
		e.write(v)
	}
}

func (e *events) send(v any) {
	e.start()
	e.write(v)
}

func (e *events) write(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	fmt.Fprintf(e.w, "data: %s\n\n", b)
	if e.fl != nil {
		e.fl.Flush()
	}
}

func (e *events) done() {
	e.start()
	fmt.Fprint(e.w, "data: [DONE]\n\n")
	if e.fl != nil {
		e.fl.Flush()
	}
}

func apperrMessage(err error) string { return apperr.Message(err) }
