package remote

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"unicode"
	"unicode/utf8"
)

// tokenizeState records whether the server counts tokens for us.
type tokenizeState int

const (
	tokUnknown  tokenizeState = iota
	tokServer                 // POST /tokenize works
	tokEstimate               // no tokenizer: counts are estimates
)

// countParallel is how many /tokenize requests run at once.
const countParallel = 4

// CountTokens implements engine.Engine: with the server's tokenizer where it
// has one (llama-server's and vLLM's POST /tokenize at the server's root),
// else with a conservative estimate (see Estimate); TokenCountsEstimated
// then reports true.
func (e *Engine) CountTokens(ctx context.Context, texts []string) ([]int, error) {
	out := make([]int, len(texts))
	if len(texts) == 0 {
		return out, nil
	}
	model, err := e.model()
	if err != nil {
		return nil, err
	}
	if e.tokenizer() != tokEstimate {
		// The first text tells whether the server has a tokenizer.
		n, ok, err := e.tokenize(ctx, model, texts[0])
		if err != nil {
			return nil, err
		}
		if ok {
			out[0] = n
			return out, e.tokenizeRest(ctx, model, texts, out)
		}
	}
	for i, t := range texts {
		out[i] = Estimate(t)
	}
	return out, nil
}

// tokenizeRest counts texts[1:] with the server, a few at a time.
func (e *Engine) tokenizeRest(ctx context.Context, model string, texts []string, out []int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	next := make(chan int)
	for range min(countParallel, len(texts)-1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				n, ok, err := e.tokenize(ctx, model, texts[i])
				if err == nil && !ok {
					n = Estimate(texts[i])
				}
				if err != nil {
					once.Do(func() { first = err; cancel() })
					continue
				}
				out[i] = n
			}
		}()
	}
feed:
	for i := 1; i < len(texts); i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// TokenCountsEstimated reports whether CountTokens estimates (the server
// has no tokenizer, or it has not been asked yet and may have none).
func (e *Engine) TokenCountsEstimated() bool { return e.tokenizer() != tokServer }

func (e *Engine) tokenizer() tokenizeState {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tok
}

func (e *Engine) setTokenizer(s tokenizeState) {
	e.mu.Lock()
	e.tok = s
	e.mu.Unlock()
}

// tokenize counts one text with the server; ok is false when the server
// has no tokenizer (404, 405, 501), which is then remembered.
func (e *Engine) tokenize(ctx context.Context, model, text string) (n int, ok bool, err error) {
	// llama-server reads "content"; vLLM reads "prompt" (and the model).
	b, err := json.Marshal(map[string]any{
		"model": model, "content": text, "prompt": text,
		"add_special": false, "add_special_tokens": false,
	})
	if err != nil {
		return 0, false, err
	}
	var body struct {
		Tokens []json.RawMessage `json:"tokens"`
		Count  *int              `json:"count"`
	}
	err = e.sendJSON(ctx, http.MethodPost, e.rootEndpoint("tokenize"), b, &body)
	var he *httpError
	switch {
	case asHTTP(err, &he) && (he.status == http.StatusNotFound || he.status == http.StatusMethodNotAllowed ||
		he.status == http.StatusNotImplemented):
		e.setTokenizer(tokEstimate)
		return 0, false, nil
	case err != nil:
		return 0, false, err
	case body.Tokens == nil && body.Count == nil:
		e.setTokenizer(tokEstimate) // something answered, but not a tokenizer
		return 0, false, nil
	}
	e.setTokenizer(tokServer)
	if body.Count != nil {
		return *body.Count, true, nil
	}
	return len(body.Tokens), true, nil
}

// Estimate is a conservative token count for text when no tokenizer is at
// hand: it should come out at or above what the tokenizers of common
// models count, so a plan made with it never overfills a context. A run
// of ASCII letters costs one token per three letters (tokenizers average
// about four), every digit, punctuation mark and non-ASCII character one
// token, and a line break one.
func Estimate(text string) int {
	n, letters := 0, 0
	flush := func() {
		n += (letters + 2) / 3
		letters = 0
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		switch {
		case r < utf8.RuneSelf && (unicode.IsLetter(r)):
			letters++
			continue
		case r == '\n':
			n++
		case r == ' ' || r == '\t' || r == '\r':
		default: // digits, punctuation, anything outside ASCII
			n++
		}
		flush()
	}
	flush()
	return n
}
