package remote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
)

// chatRequest is the body of POST /v1/chat/completions. Fields past the
// OpenAI set (top_k, min_p, repeat_penalty, ignore_eos) are read by
// llama-server and vLLM and ignored by the others.
type chatRequest struct {
	Model         string           `json:"model"`
	Messages      []engine.Message `json:"messages"`
	Stream        bool             `json:"stream"`
	StreamOptions *streamOptions   `json:"stream_options,omitempty"`
	MaxTokens     int              `json:"max_tokens,omitempty"`
	Temperature   *float32         `json:"temperature,omitempty"`
	TopP          float32          `json:"top_p,omitempty"`
	TopK          int              `json:"top_k,omitempty"`
	MinP          float32          `json:"min_p,omitempty"`
	RepeatPenalty float32          `json:"repeat_penalty,omitempty"`
	Seed          *uint32          `json:"seed,omitempty"`
	IgnoreEOS     bool             `json:"ignore_eos,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// chunk is one server-sent event of a streamed chat completion.
type chunk struct {
	Choices []struct {
		Delta struct {
			Content *string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens        int `json:"prompt_tokens"`
		CompletionTokens    int `json:"completion_tokens"`
		PromptTokensDetails *struct {
			CachedTokens int `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
	} `json:"usage"`
	Timings *struct { // llama-server
		CacheN             int     `json:"cache_n"`
		PromptPerSecond    float64 `json:"prompt_per_second"`
		PredictedPerSecond float64 `json:"predicted_per_second"`
	} `json:"timings"`
	Error json.RawMessage `json:"error"`
}

// Generate implements engine.Engine. Cancelling ctx closes the request,
// which makes the server stop generating; it returns StopReason "canceled"
// with a nil error. A stream that ends before the server said why returns
// the Result so far and an error (the text already passed to onPiece is
// the partial reply).
func (e *Engine) Generate(ctx context.Context, req engine.Request, onPiece func(string)) (engine.Result, error) {
	if err := e.acquire(ctx); err != nil {
		return engine.Result{StopReason: engine.StopCanceled}, nil
	}
	defer e.release()
	return e.generate(ctx, req, onPiece)
}

// GenerateBatch implements engine.Engine: the requests run as concurrent
// HTTP requests, up to the endpoint's parallelism at once. When one fails
// the others still finish; the results come back with the first error.
func (e *Engine) GenerateBatch(ctx context.Context, reqs []engine.Request, onPiece func(i int, piece string)) ([]engine.Result, error) {
	if len(reqs) == 0 {
		return nil, apperr.New(apperr.Invalid, "a batch needs at least one request")
	}
	out := make([]engine.Result, len(reqs))
	errs := make([]error, len(reqs))
	var mu sync.Mutex // onPiece is called from one goroutine at a time
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.acquire(ctx); err != nil {
				out[i].StopReason = engine.StopCanceled
				return
			}
			defer e.release()
			out[i], errs[i] = e.generate(ctx, reqs[i], func(s string) {
				mu.Lock()
				defer mu.Unlock()
				onPiece(i, s)
			})
		}()
	}
	wg.Wait()
	return out, firstError(errs)
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) acquire(ctx context.Context) error {
	select {
	case e.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Engine) release() { <-e.sem }

// generate runs one streamed chat completion.
func (e *Engine) generate(ctx context.Context, req engine.Request, onPiece func(string)) (engine.Result, error) {
	model, err := e.model()
	if err != nil {
		return engine.Result{}, err
	}
	if len(req.Tokens) > 0 {
		return engine.Result{}, apperr.New(apperr.Invalid, "a prompt of raw token ids needs the local engine; %s takes messages", e.cfg.Name)
	}
	if ctx.Err() != nil {
		return engine.Result{StopReason: engine.StopCanceled}, nil
	}
	body := chatBody(model, req)
	start := time.Now()
	resp, err := e.postStream(ctx, body)
	if err != nil {
		if ctx.Err() != nil {
			return engine.Result{StopReason: engine.StopCanceled}, nil
		}
		return engine.Result{}, err
	}
	defer resp.Body.Close()
	res, err := e.readStream(ctx, resp.Body, start, onPiece)
	e.mu.Lock()
	res.ContextSize = e.info.ContextSize
	e.mu.Unlock()
	res.ContextUsed = res.PromptTokens + res.CompletionTokens
	return res, err
}

// postStream posts the request, once more without stream_options when the
// server refuses them (some older servers do).
func (e *Engine) postStream(ctx context.Context, body chatRequest) (*http.Response, error) {
	for {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "could not encode the request")
		}
		req, err := e.newRequest(ctx, http.MethodPost, e.endpoint("chat/completions"), b)
		if err != nil {
			return nil, err
		}
		resp, err := e.do(req)
		var he *httpError
		if asHTTP(err, &he) && he.status == http.StatusBadRequest && body.StreamOptions != nil &&
			strings.Contains(strings.ToLower(he.msg), "stream_options") {
			body.StreamOptions = nil
			continue
		}
		if asHTTP(err, &he) && he.status == http.StatusNotFound && isModelMessage(he.msg) {
			return nil, apperr.New(apperr.NotFound, "%s has no model %q%s", e.cfg.Name, body.Model, colon(he.msg))
		}
		return resp, err
	}
}

// chatBody maps an engine request to the wire.
func chatBody(model string, req engine.Request) chatRequest {
	s := req.Sampling
	if s == (engine.Sampling{}) {
		s = engine.DefaultSampling()
	}
	temp := s.Temperature
	body := chatRequest{
		Model: model, Messages: req.Messages, Stream: true,
		StreamOptions: &streamOptions{IncludeUsage: true},
		MaxTokens:     req.MaxTokens, Temperature: &temp,
		TopK: s.TopK, MinP: s.MinP, IgnoreEOS: req.IgnoreEOS,
	}
	if s.TopP > 0 && s.TopP < 1 {
		body.TopP = s.TopP
	}
	if s.RepeatPenalty > 0 && s.RepeatPenalty != 1 {
		body.RepeatPenalty = s.RepeatPenalty
	}
	if s.Seed != 0 {
		seed := s.Seed
		body.Seed = &seed
	}
	return body
}

// readStream reads server-sent events until "data: [DONE]" (or the end of
// the body after the finish reason came) and returns the Result.
func (e *Engine) readStream(ctx context.Context, body io.Reader, start time.Time, onPiece func(string)) (engine.Result, error) {
	var res engine.Result
	var first, last time.Time
	pieces := 0
	finished, done := false, false
	var serverTPS, promptTPS float64
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	var data bytes.Buffer // the data lines of the event being read
	dispatch := func() error {
		if data.Len() == 0 {
			return nil
		}
		payload := bytes.TrimSpace(data.Bytes())
		defer data.Reset()
		if string(payload) == "[DONE]" {
			done = true
			return nil
		}
		var c chunk
		if err := json.Unmarshal(payload, &c); err != nil {
			return apperr.Wrap(apperr.Unavailable, err, "%s sent a stream event that is not JSON", e.cfg.Name)
		}
		if len(c.Error) > 0 && string(c.Error) != "null" {
			return e.eventError(serverMessage(append(append([]byte(`{"error":`), c.Error...), '}')))
		}
		for _, ch := range c.Choices {
			if ch.Delta.Content != nil && *ch.Delta.Content != "" {
				now := time.Now()
				if first.IsZero() {
					first = now
				}
				last = now
				pieces++
				onPiece(*ch.Delta.Content)
			}
			if ch.FinishReason != nil && *ch.FinishReason != "" {
				finished = true
				res.StopReason = stopReason(*ch.FinishReason)
			}
		}
		if u := c.Usage; u != nil {
			res.PromptTokens, res.CompletionTokens = u.PromptTokens, u.CompletionTokens
			if u.PromptTokensDetails != nil {
				res.CachedTokens = u.PromptTokensDetails.CachedTokens
			}
		}
		if t := c.Timings; t != nil {
			res.CachedTokens = max(res.CachedTokens, t.CacheN)
			serverTPS, promptTPS = t.PredictedPerSecond, t.PromptPerSecond
		}
		return nil
	}
	var streamErr error
	for !done && sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			streamErr = dispatch()
		case line[0] == ':': // a comment (keep-alive)
		case bytes.HasPrefix(line, []byte("data:")):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.Write(bytes.TrimPrefix(bytes.TrimPrefix(line, []byte("data:")), []byte(" ")))
		}
		if streamErr != nil {
			break
		}
	}
	if streamErr == nil && !done {
		streamErr = dispatch() // a last event without its blank line
	}
	scanErr := sc.Err()
	if pieces > 0 {
		res.TimeToFirstMS = float64(first.Sub(start).Microseconds()) / 1000
	}
	if res.CompletionTokens == 0 {
		res.CompletionTokens = pieces
	}
	res.TokensPerSecond, res.PromptTPS = serverTPS, promptTPS
	if res.TokensPerSecond == 0 && pieces > 1 && last.After(first) {
		res.TokensPerSecond = float64(res.CompletionTokens-1) / last.Sub(first).Seconds()
	}
	switch {
	case ctx.Err() != nil:
		res.StopReason = engine.StopCanceled
		return res, nil
	case streamErr != nil:
		res.StopReason = ""
		return res, streamErr
	case !finished && !done:
		cause := scanErr
		if cause == nil {
			cause = io.ErrUnexpectedEOF
		}
		return res, e.streamError(cause)
	case !finished:
		res.StopReason = engine.StopEOG // [DONE] without a reason: the server ended the turn
	}
	return res, nil
}

// stopReason maps an OpenAI finish_reason to Chapel's stop reasons.
func stopReason(fr string) string {
	switch fr {
	case "length", "max_tokens":
		return engine.StopLength
	case "cancelled", "canceled", "abort":
		return engine.StopCanceled
	default: // "stop", "eos", "tool_calls", "function_call", "content_filter"
		return engine.StopEOG
	}
}
