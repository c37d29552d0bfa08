// Package remote owns talking to OpenAI-compatible HTTP servers
// (llama.cpp's llama-server, Ollama's /v1, vLLM, LM Studio, another
// Chapel's `chapel serve`): listing their models, streaming chat
// completions, counting tokens, and turning what goes wrong on the way into
// sentences. Its Engine implements engine.Engine, so chats and summaries run
// on an endpoint the user added just as they run on the local model.
//
// Nothing here opens a connection until a method is called: an endpoint is
// contacted only when the user uses it.
package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
)

// DefaultParallel is how many requests one endpoint runs at once unless told.
const DefaultParallel = 4

// defaultContext is the context assumed for a model whose server does not
// say how long its context is.
const defaultContext = 4096

// Config says how to reach one endpoint.
type Config struct {
	ID       string       // the endpoint's id in Chapel, for model references (no slash; the host when empty)
	Name     string       // shown in messages; the host when empty
	BaseURL  string       // e.g. http://127.0.0.1:8080/v1 (a URL without a path gets /v1)
	APIKey   string       // sent as a bearer token when set; never logged
	Model    string       // the model Load picks when given no name
	Parallel int          // requests at once (0 = DefaultParallel)
	Client   *http.Client // nil: a client with no overall timeout (replies stream for minutes)
}

// Engine is an engine.Engine that runs on an OpenAI-compatible server.
// Generate and GenerateBatch run up to Parallel requests at once.
type Engine struct {
	cfg  Config
	base *url.URL // ends in the API's prefix (usually /v1), no trailing slash
	root *url.URL // the server's root: where llama-server's /tokenize and /props live
	hc   *http.Client
	sem  chan struct{}

	mu     sync.Mutex
	info   engine.ModelInfo
	loaded bool
	tok    tokenizeState
}

// New checks cfg and returns an engine with no model loaded. It opens no
// connection.
func New(cfg Config) (*Engine, error) {
	base, root, err := ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = DefaultParallel
	}
	if cfg.Name == "" {
		cfg.Name = base.Host
	}
	if cfg.ID == "" {
		cfg.ID = base.Host
	}
	hc := cfg.Client
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil // an endpoint the user added is reached directly
		// A host that is down answers nothing: give up on connecting after 10 s.
		tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		tr.MaxIdleConnsPerHost = cfg.Parallel
		tr.ResponseHeaderTimeout = 10 * time.Minute // a long prompt is evaluated before the first byte
		hc = &http.Client{Transport: tr}
	}
	return &Engine{cfg: cfg, base: base, root: root, hc: hc, sem: make(chan struct{}, cfg.Parallel)}, nil
}

// ParseBaseURL checks an endpoint's base URL and returns it normalised (a
// URL without a path gets /v1) with the server's root (the base without a
// trailing /v1).
func ParseBaseURL(raw string) (base, root *url.URL, err error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil, apperr.New(apperr.Invalid, "the endpoint needs a base URL, such as http://127.0.0.1:8080/v1")
	}
	if !strings.Contains(raw, "://") {
		return nil, nil, apperr.New(apperr.Invalid, "%q must start with http:// or https://", raw)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, nil, apperr.New(apperr.Invalid, "%q is not a URL; write it like http://127.0.0.1:8080/v1", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, nil, apperr.New(apperr.Invalid, "%q must start with http:// or https://", raw)
	}
	if u.User != nil {
		return nil, nil, apperr.New(apperr.Invalid, "put the API key in its own field, not in the URL")
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	if u.Path == "" {
		u.Path = "/v1"
	}
	r := *u
	r.Path = strings.TrimSuffix(u.Path, "/v1")
	return u, &r, nil
}

// String names the endpoint for logs and messages (never the key).
func (e *Engine) String() string { return fmt.Sprintf("%s (%s)", e.cfg.Name, e.base.Redacted()) }

// BaseURL is the endpoint's normalised base URL.
func (e *Engine) BaseURL() string { return e.base.String() }

// RemoteModel describes one model an endpoint lists.
type RemoteModel struct {
	ID          string `json:"id"`
	ContextSize int    `json:"context_size,omitempty"` // 0: the server does not say
	// trained: ContextSize is the model's training context (llama-server's
	// n_ctx_train), not the context the server runs it with (its -c).
	trained bool
}

// Models lists the endpoint's models (GET /v1/models).
func (e *Engine) Models(ctx context.Context) ([]RemoteModel, error) {
	var body struct {
		Data []struct {
			ID          string `json:"id"`
			MaxModelLen int    `json:"max_model_len"` // vLLM
			ContextLen  int    `json:"context_length"`
			Meta        struct {
				NCtxTrain int `json:"n_ctx_train"` // llama-server
			} `json:"meta"`
		} `json:"data"`
	}
	if err := e.getJSON(ctx, e.endpoint("models"), &body); err != nil {
		return nil, err
	}
	out := make([]RemoteModel, 0, len(body.Data))
	for _, d := range body.Data {
		m := RemoteModel{ID: d.ID, ContextSize: d.MaxModelLen}
		if m.ContextSize == 0 {
			m.ContextSize = d.ContextLen
		}
		if m.ContextSize == 0 {
			m.ContextSize, m.trained = d.Meta.NCtxTrain, d.Meta.NCtxTrain > 0
		}
		out = append(out, m)
	}
	return out, nil
}

// TestResult is what Test found.
type TestResult struct {
	Models  []RemoteModel `json:"models"`
	Latency time.Duration `json:"latency"`
}

// Summary says it in a few words: "connected: 3 models, 41 ms".
func (t TestResult) Summary() string {
	noun := "models"
	if len(t.Models) == 1 {
		noun = "model"
	}
	return fmt.Sprintf("connected: %d %s, %d ms", len(t.Models), noun, t.Latency.Milliseconds())
}

// Test lists the endpoint's models and times the round trip.
func (e *Engine) Test(ctx context.Context) (TestResult, error) {
	start := time.Now()
	ms, err := e.Models(ctx)
	if err != nil {
		return TestResult{}, err
	}
	return TestResult{Models: ms, Latency: time.Since(start)}, nil
}

// Load implements engine.Engine: path is the model's name on the server (or
// a Ref string; empty means the configured model). It checks that the
// server lists the model and opens no connection beyond that.
func (e *Engine) Load(ctx context.Context, path string, opts engine.LoadOptions) (engine.ModelInfo, error) {
	name := path
	if r, ok := ParseRef(path); ok {
		name = r.Model
	}
	if name == "" {
		name = e.cfg.Model
	}
	if name == "" {
		return engine.ModelInfo{}, apperr.New(apperr.Invalid, "choose which of %s's models to use", e.cfg.Name)
	}
	ms, err := e.Models(ctx)
	var he *httpError
	switch {
	case asHTTP(err, &he) && he.status == http.StatusNotFound:
		ms = nil // no model list (an older server): the first reply will tell
	case err != nil:
		return engine.ModelInfo{}, err
	}
	ctxSize, trained := opts.ContextSize, false
	if ms != nil {
		found := false
		for _, m := range ms {
			if m.ID == name {
				found = true
				if ctxSize <= 0 {
					ctxSize, trained = m.ContextSize, m.trained
				}
			}
		}
		if !found {
			return engine.ModelInfo{}, e.noModel(name, ms)
		}
	}
	if ctxSize <= 0 || trained {
		// llama-server runs a model with the context it was started with
		// (per slot), often far below the one the model was trained for.
		if n := e.serverContext(ctx); n > 0 && (ctxSize <= 0 || n < ctxSize) {
			ctxSize = n
		}
	}
	if ctxSize <= 0 {
		ctxSize = e.ollamaContext(ctx, name) // 0: not Ollama
	}
	if ctxSize <= 0 {
		ctxSize = defaultContext
	}
	info := engine.ModelInfo{
		Path: Ref{Endpoint: e.cfg.ID, Model: name}.String(), Name: name,
		Description: "on " + e.cfg.Name, Architecture: "remote",
		ContextSize: ctxSize, TrainContext: ctxSize, HasTemplate: true,
	}
	e.mu.Lock()
	e.info, e.loaded = info, true
	e.mu.Unlock()
	return info, nil
}

// noModel is the error for a model the endpoint does not list.
func (e *Engine) noModel(name string, ms []RemoteModel) error {
	if len(ms) == 0 {
		return apperr.New(apperr.NotFound, "%s has no model %q; it lists no models at all", e.cfg.Name, name)
	}
	ids := make([]string, 0, min(len(ms), 8))
	for _, m := range ms[:min(len(ms), 8)] {
		ids = append(ids, m.ID)
	}
	more := ""
	if len(ms) > 8 {
		more = fmt.Sprintf(" and %d more", len(ms)-8)
	}
	return apperr.New(apperr.NotFound, "%s has no model %q; it serves %s%s", e.cfg.Name, name, strings.Join(ids, ", "), more)
}

// serverContext asks llama-server's /props for the context it runs with;
// 0 when the server has no such page.
func (e *Engine) serverContext(ctx context.Context) int {
	var props struct {
		Settings struct {
			NCtx int `json:"n_ctx"`
		} `json:"default_generation_settings"`
	}
	if err := e.getJSON(ctx, e.rootEndpoint("props"), &props); err != nil {
		return 0
	}
	return props.Settings.NCtx
}

// Model implements engine.Engine.
func (e *Engine) Model(ctx context.Context) (engine.ModelInfo, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.info, e.loaded
}

// Close implements engine.Engine: it forgets the model and closes idle
// connections. Requests under way end with their contexts.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.info, e.loaded = engine.ModelInfo{}, false
	e.mu.Unlock()
	e.hc.CloseIdleConnections()
	return nil
}

func (e *Engine) model() (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.loaded {
		return "", apperr.New(apperr.Unavailable, "no model of %s is chosen; choose one first", e.cfg.Name)
	}
	return e.info.Name, nil
}

func (e *Engine) endpoint(p string) string {
	u := *e.base
	u.Path += "/" + p
	return u.String()
}

func (e *Engine) rootEndpoint(p string) string {
	u := *e.root
	u.Path += "/" + p
	return u.String()
}

// newRequest builds a request with the key and JSON headers.
func (e *Engine) newRequest(ctx context.Context, method, u string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "could not build a request to %s", e.cfg.Name)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, text/event-stream")
	if e.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+e.cfg.APIKey)
	}
	return req, nil
}

// do sends req and returns the response when its status is 2xx; any other
// status becomes an error with the server's own message.
func (e *Engine) do(req *http.Request) (*http.Response, error) {
	resp, err := e.hc.Do(req)
	if err != nil {
		return nil, e.transportError(req.Context(), err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, e.statusError(resp)
	}
	return resp, nil
}

// getJSON GETs u and decodes its JSON body into v.
func (e *Engine) getJSON(ctx context.Context, u string, v any) error {
	return e.sendJSON(ctx, http.MethodGet, u, nil, v)
}

func (e *Engine) sendJSON(ctx context.Context, method, u string, body []byte, v any) error {
	req, err := e.newRequest(ctx, method, u, body)
	if err != nil {
		return err
	}
	resp, err := e.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(limitBody(resp.Body)).Decode(v); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return apperr.Wrap(apperr.Unavailable, err, "%s answered something that is not the JSON an OpenAI-compatible server sends", e.cfg.Name)
	}
	return nil
}

var _ engine.Engine = (*Engine)(nil)
