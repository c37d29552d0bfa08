package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
)

// replay serves one recorded server on 127.0.0.1. cut > 0 ends the stream
// after that many events; hard also drops the connection there.
type replay struct {
	s        server
	key      string
	cut      int
	hard     bool
	midError bool

	mu     sync.Mutex
	bodies []map[string]any // chat request bodies received
}

func (rp *replay) start(t *testing.T) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(rp)
	t.Cleanup(ts.Close)
	return ts
}

func (rp *replay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rp.key != "" && r.Header.Get("Authorization") != "Bearer "+rp.key {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, rp.s.unauth)
		return
	}
	switch r.URL.Path {
	case "/v1/models":
		io.WriteString(w, rp.s.models)
	case "/props":
		if rp.s.props == "" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, rp.s.props)
	case "/tokenize":
		if rp.s.tokenize == "" {
			http.NotFound(w, r) // "404 page not found", as Ollama's router answers
			return
		}
		io.WriteString(w, rp.s.tokenize)
	case "/v1/chat/completions":
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
			return
		}
		rp.mu.Lock()
		rp.bodies = append(rp.bodies, body)
		rp.mu.Unlock()
		if !strings.Contains(rp.s.models, fmt.Sprintf(`"id":%q`, body["model"])) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, rp.s.notFound)
			return
		}
		rp.stream(w)
	default:
		http.NotFound(w, r)
	}
}

func (rp *replay) stream(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl := w.(http.Flusher)
	for i, ev := range rp.s.stream {
		if rp.cut > 0 && i == rp.cut {
			if rp.midError {
				fmt.Fprintf(w, "data: %s\n\n", rp.s.midError)
				fl.Flush()
				return
			}
			if rp.hard {
				fl.Flush()
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
			}
			return
		}
		fmt.Fprintf(w, "data: %s\n\n", ev)
		fl.Flush()
	}
}

func newEngine(t *testing.T, url, key, model string) *Engine {
	t.Helper()
	e, err := New(Config{ID: "test", Name: "the test server", BaseURL: url, APIKey: key, Model: model})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// firstModel is the id of the first model a recorded server lists.
func firstModel(t *testing.T, s server) string {
	var body struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(s.models), &body); err != nil || len(body.Data) == 0 {
		t.Fatalf("%s: bad models transcript: %v", s.name, err)
	}
	return body.Data[0].ID
}

func collect(t *testing.T, e *Engine, ctx context.Context) (string, engine.Result, error) {
	t.Helper()
	var b strings.Builder
	res, err := e.Generate(ctx, engine.Request{
		Messages:  []engine.Message{{Role: engine.RoleUser, Content: "Tell me a story"}},
		Sampling:  engine.Sampling{Temperature: 0, TopK: 40, TopP: 0.9, MinP: 0.05, RepeatPenalty: 1.1, Seed: 7},
		MaxTokens: 64,
	}, func(s string) { b.WriteString(s) })
	return b.String(), res, err
}

func TestGenerateTranscripts(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			rp := &replay{s: s, key: "sekrit"}
			ts := rp.start(t)
			model := firstModel(t, s)
			e := newEngine(t, ts.URL, "sekrit", "")
			info, err := e.Load(context.Background(), model, engine.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if r, ok := ParseRef(info.Path); !ok || r.Model != model || r.Endpoint != "test" {
				t.Errorf("model path %q does not name endpoint test, model %q", info.Path, model)
			}
			if s.contextLen > 0 && info.ContextSize != s.contextLen {
				t.Errorf("context %d, want %d", info.ContextSize, s.contextLen)
			}
			text, res, err := collect(t, e, context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if text != s.text {
				t.Errorf("text %q, want %q", text, s.text)
			}
			if res.StopReason != s.stop {
				t.Errorf("stop reason %q, want %q", res.StopReason, s.stop)
			}
			if res.PromptTokens != s.prompt || res.CompletionTokens != s.completion || res.CachedTokens != s.cached {
				t.Errorf("usage prompt %d completion %d cached %d, want %d %d %d",
					res.PromptTokens, res.CompletionTokens, res.CachedTokens, s.prompt, s.completion, s.cached)
			}
			if res.ContextUsed != s.prompt+s.completion {
				t.Errorf("context used %d, want %d", res.ContextUsed, s.prompt+s.completion)
			}
			rp.mu.Lock()
			body := rp.bodies[0]
			rp.mu.Unlock()
			so, _ := body["stream_options"].(map[string]any)
			if body["stream"] != true || so["include_usage"] != true || body["model"] != model ||
				body["max_tokens"] != float64(64) || body["seed"] != float64(7) || body["temperature"] != float64(0) {
				t.Errorf("request body %v lacks stream, include_usage, model, max_tokens, seed or temperature 0", body)
			}
		})
	}
}

func TestStreamStopsHalfway(t *testing.T) {
	for _, s := range servers {
		for _, hard := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/hard=%v", s.name, hard), func(t *testing.T) {
				// Cut after the first two events (the first text).
				rp := &replay{s: s, cut: 2, hard: hard}
				ts := rp.start(t)
				e := newEngine(t, ts.URL, "", firstModel(t, s))
				if _, err := e.Load(context.Background(), "", engine.LoadOptions{}); err != nil {
					t.Fatal(err)
				}
				text, res, err := collect(t, e, context.Background())
				if err == nil {
					t.Fatalf("a stream cut half-way ended without an error (text %q)", text)
				}
				if !strings.Contains(err.Error(), "ended in the middle of the reply") {
					t.Errorf("error %q does not say the stream stopped half-way", err)
				}
				if text == "" || !strings.HasPrefix(s.text, text) || text == s.text {
					t.Errorf("partial text %q is not a strict prefix of %q", text, s.text)
				}
				if res.StopReason == engine.StopEOG || res.StopReason == engine.StopCanceled {
					t.Errorf("stop reason %q for a failed stream", res.StopReason)
				}
			})
		}
	}
}

func TestErrorEventInStream(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			rp := &replay{s: s, cut: 2, midError: true}
			ts := rp.start(t)
			e := newEngine(t, ts.URL, "", firstModel(t, s))
			if _, err := e.Load(context.Background(), "", engine.LoadOptions{}); err != nil {
				t.Fatal(err)
			}
			_, _, err := collect(t, e, context.Background())
			want := serverMessage([]byte(s.midError))
			if err == nil || want == "" || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v does not carry the server's message %q", err, want)
			}
		})
	}
}

func TestHTTPErrors(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			rp := &replay{s: s, key: "right"}
			ts := rp.start(t)
			model := firstModel(t, s)
			cases := []struct {
				name, key, model, want string
				code                   apperr.Code
			}{
				{"no key", "", model, "needs an API key", apperr.Invalid},
				{"wrong key", "wrong", model, "refused the API key", apperr.Invalid},
				{"unlisted model", "right", "no-such-model", "has no model \"no-such-model\"; it serves " + model, apperr.NotFound},
			}
			for _, c := range cases {
				e := newEngine(t, ts.URL, c.key, "")
				_, err := e.Load(context.Background(), c.model, engine.LoadOptions{})
				if err == nil || !strings.Contains(err.Error(), c.want) || apperr.CodeOf(err) != c.code {
					t.Errorf("%s: error %v (code %s), want one saying %q (code %s)", c.name, err, apperr.CodeOf(err), c.want, c.code)
				}
				if err != nil && strings.Contains(err.Error(), "right") {
					t.Errorf("%s: the error shows the key: %v", c.name, err)
				}
			}
			// A model the list had but the server no longer has: its 404 body.
			e := newEngine(t, ts.URL, "right", "")
			if _, err := e.Load(context.Background(), model, engine.LoadOptions{}); err != nil {
				t.Fatal(err)
			}
			e.mu.Lock()
			e.info.Name = "gone-model"
			e.mu.Unlock()
			_, _, err := collect(t, e, context.Background())
			if err == nil || apperr.CodeOf(err) != apperr.NotFound || !strings.Contains(err.Error(), `"gone-model"`) {
				t.Errorf("a 404 for the model gave %v (code %s)", err, apperr.CodeOf(err))
			}
		})
	}
}

func TestConnectionErrors(t *testing.T) {
	// A port nothing listens on: listen, note the address, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/v1"
	ln.Close()

	tlsServer := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsServer.Close()
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()

	cases := []struct{ name, url, want string }{
		{"refused", refused, "connection refused"},
		{"untrusted certificate", tlsServer.URL, "certificate is signed by an authority this computer does not trust"},
		{"https to a plain server", strings.Replace(plain.URL, "http://", "https://", 1), "does not speak TLS"},
		{"wrong path", plain.URL + "/api", "has no page /api/models"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEngine(t, c.url, "", "m")
			_, err := e.Test(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}

func TestCancelClosesRequest(t *testing.T) {
	closed := make(chan time.Time, 1)
	started := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/models" {
			io.WriteString(w, servers[0].models)
			return
		}
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r) // /props: this server does not say its context
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: %s\n\n", servers[0].stream[1])
		w.(http.Flusher).Flush()
		close(started)
		<-r.Context().Done() // a server stops generating when the client goes
		closed <- time.Now()
	}))
	defer ts.Close()
	e := newEngine(t, ts.URL, "", "tiny.gguf")
	if _, err := e.Load(context.Background(), "", engine.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; time.Sleep(20 * time.Millisecond); cancel() }()
	text, res, err := collect(t, e, ctx)
	returned := time.Now()
	if err != nil || res.StopReason != engine.StopCanceled || text != "Once" {
		t.Fatalf("cancelled: text %q, stop %q, err %v; want \"Once\", canceled, nil", text, res.StopReason, err)
	}
	select {
	case at := <-closed:
		if d := at.Sub(returned); d > 500*time.Millisecond {
			t.Errorf("the server saw the request closed %v after Generate returned", d)
		}
	case <-time.After(2 * time.Second):
		t.Error("the server never saw the request closed")
	}
}

func TestGenerateBatchBoundedParallelism(t *testing.T) {
	var inFlight, peak atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/models" {
			io.WriteString(w, servers[2].models)
			return
		}
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		var body struct {
			Messages []engine.Message `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		time.Sleep(60 * time.Millisecond)
		w.Header().Set("Content-Type", "text/event-stream")
		content, _ := json.Marshal(strings.ToUpper(body.Messages[0].Content))
		fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":%s},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n", content)
	}))
	defer ts.Close()
	e, err := New(Config{BaseURL: ts.URL, Model: "Qwen/Qwen2.5-0.5B-Instruct", Parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Load(context.Background(), "", engine.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	reqs := make([]engine.Request, 6)
	for i := range reqs {
		reqs[i].Messages = []engine.Message{{Role: engine.RoleUser, Content: fmt.Sprintf("piece %d", i)}}
	}
	got := make([]string, len(reqs))
	res, err := e.GenerateBatch(context.Background(), reqs, func(i int, s string) { got[i] += s })
	if err != nil {
		t.Fatal(err)
	}
	for i := range reqs {
		if want := fmt.Sprintf("PIECE %d", i); got[i] != want || res[i].StopReason != engine.StopEOG {
			t.Errorf("request %d: %q (%s), want %q (eog)", i, got[i], res[i].StopReason, want)
		}
	}
	if p := peak.Load(); p != 2 {
		t.Errorf("at most %d requests ran at once, want exactly the endpoint's 2", p)
	}
}

func TestCountTokens(t *testing.T) {
	texts := []string{"Once upon a time", "there was a fox", "who ran", "far away", "and back"}
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			rp := &replay{s: s}
			ts := rp.start(t)
			e := newEngine(t, ts.URL+"/v1/", "", firstModel(t, s)) // a trailing slash, too
			if _, err := e.Load(context.Background(), "", engine.LoadOptions{}); err != nil {
				t.Fatal(err)
			}
			counts, err := e.CountTokens(context.Background(), texts)
			if err != nil {
				t.Fatal(err)
			}
			for i, n := range counts {
				want := s.tokens
				if s.tokenize == "" {
					want = Estimate(texts[i])
				}
				if n != want {
					t.Errorf("%q: %d tokens, want %d", texts[i], n, want)
				}
			}
			if est := e.TokenCountsEstimated(); est != (s.tokenize == "") {
				t.Errorf("TokenCountsEstimated %v for a server whose tokenizer is %q", est, s.tokenize)
			}
		})
	}
}

func TestEstimate(t *testing.T) {
	cases := []struct {
		text string
		want int
	}{
		{"", 0},
		{"cat", 1},
		{"cats", 2},
		{"The cat sat.", 4},       // a token a word, the full stop
		{"12345", 5},              // every digit
		{"héllo", 3},              // h, é, llo
		{"a\nb", 3},               // the line break counts
		{"日本語", 3},                // a token per character
		{"   spaces   only  ", 4}, // two tokens a word, spaces free
	}
	for _, c := range cases {
		if got := Estimate(c.text); got != c.want {
			t.Errorf("Estimate(%q) = %d, want %d", c.text, got, c.want)
		}
	}
}

func TestParseBaseURL(t *testing.T) {
	cases := []struct{ in, base, root, err string }{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/v1", "http://127.0.0.1:8080", ""},
		{"http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1", "http://127.0.0.1:8080", ""},
		{"https://box.lan/api/v1", "https://box.lan/api/v1", "https://box.lan/api", ""},
		{"https://box.lan/openai", "https://box.lan/openai", "https://box.lan/openai", ""},
		{"", "", "", "needs a base URL"},
		{"127.0.0.1:8080", "", "", "must start with http"},
		{"ftp://x/v1", "", "", "must start with http"},
		{"http://user:pw@x/v1", "", "", "not in the URL"},
	}
	for _, c := range cases {
		b, r, err := ParseBaseURL(c.in)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.in, err, c.err)
			}
		case err != nil:
			t.Errorf("%q: %v", c.in, err)
		case b.String() != c.base || r.String() != c.root:
			t.Errorf("%q: base %s root %s, want %s %s", c.in, b, r, c.base, c.root)
		}
	}
}

func TestRef(t *testing.T) {
	r := Ref{Endpoint: "box", Model: "Qwen/Qwen2.5-0.5B-Instruct"}
	got, ok := ParseRef(r.String())
	if !ok || got != r {
		t.Errorf("ParseRef(%q) = %v %v", r.String(), got, ok)
	}
	for _, s := range []string{"/models/tiny.gguf", "endpoint:", "endpoint:box", "endpoint:/m"} {
		if _, ok := ParseRef(s); ok {
			t.Errorf("ParseRef(%q) accepted it", s)
		}
	}
}

func TestTestSummary(t *testing.T) {
	rp := &replay{s: servers[1]}
	ts := rp.start(t)
	e := newEngine(t, ts.URL, "", "")
	res, err := e.Test(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Summary(); !strings.HasPrefix(got, "connected: 2 models, ") || !strings.HasSuffix(got, " ms") {
		t.Errorf("summary %q", got)
	}
	if _, err := e.CountTokens(context.Background(), []string{"x"}); err == nil || apperr.CodeOf(err) != apperr.Unavailable {
		t.Errorf("counting with no model chosen: %v", err)
	}
	var target *apperr.Error
	if _, err := e.Generate(context.Background(), engine.Request{}, func(string) {}); !errors.As(err, &target) {
		t.Errorf("generating with no model chosen: %v", err)
	}
}

func TestForbiddenAndBusy(t *testing.T) {
	cases := []struct {
		status int
		body   string
		want   string
		code   apperr.Code
	}{
		{403, `{"error":{"message":"this key may not list models","type":"permission_error"}}`, "refused access (403 Forbidden): this key may not list models", apperr.Invalid},
		{503, `{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}`, "is busy (503 Service Unavailable): Loading model; try again", apperr.Unavailable},
		{500, `<html>oops</html>`, "failed (500 Internal Server Error)", apperr.Unavailable},
		{422, `{"detail":"field required"}`, "refused the request (422 Unprocessable Entity): field required", apperr.Invalid},
	}
	for _, c := range cases {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(c.status)
			io.WriteString(w, c.body)
		}))
		e := newEngine(t, ts.URL, "k", "m")
		_, err := e.Test(context.Background())
		if err == nil || !strings.Contains(err.Error(), c.want) || apperr.CodeOf(err) != c.code {
			t.Errorf("%d: %v (code %s), want %q (%s)", c.status, err, apperr.CodeOf(err), c.want, c.code)
		}
		ts.Close()
	}
}
