package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
)

const token = "test-token-123456"

// recorder is the real engine with a log of the generations it ran.
type recorder struct {
	engine.Engine
	mu      sync.Mutex
	started []string // the first message of each generation, in order
	results []engine.Result
	done    chan engine.Result
}

func (r *recorder) Generate(ctx context.Context, req engine.Request, onPiece func(string)) (engine.Result, error) {
	r.mu.Lock()
	if len(req.Messages) > 0 {
		r.started = append(r.started, req.Messages[len(req.Messages)-1].Content)
	}
	r.mu.Unlock()
	res, err := r.Engine.Generate(ctx, req, onPiece)
	r.mu.Lock()
	r.results = append(r.results, res)
	r.mu.Unlock()
	select {
	case r.done <- res:
	default:
	}
	return res, err
}

// fixture is a server on 127.0.0.1 in front of the tiny model.
type fixture struct {
	url   string
	rec   *recorder
	queue *Queue
	model string
}

func start(t *testing.T, maxBody int64) *fixture {
	t.Helper()
	local := engine.NewLocal()
	info, err := local.Load(context.Background(), testmodel.Tiny(t, gguf.ChatMLTemplate), engine.LoadOptions{ContextSize: 512, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Engine: local, done: make(chan engine.Result, 1)}
	q := NewQueue(rec)
	s, err := New(q.Background(), Config{Token: token, MaxBody: maxBody})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); local.Close() })
	return &fixture{url: ts.URL, rec: rec, queue: q, model: info.Name}
}

func (f *fixture) post(t *testing.T, path, tok string, body any) (*http.Response, []byte) {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		b, _ = json.Marshal(v)
	}
	req, _ := http.NewRequest(http.MethodPost, f.url+path, bytes.NewReader(b))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

func (f *fixture) get(t *testing.T, path, tok string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.url+path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

func chatReq(text string, max int, stream bool) map[string]any {
	return map[string]any{
		"model":    "",
		"messages": []map[string]any{{"role": "user", "content": text}},
		"stream":   stream, "max_tokens": max, "temperature": 0, "ignore_eos": true,
		"stream_options": map[string]bool{"include_usage": true},
	}
}

// sse reads a stream's events' data, up to and without [DONE]; done says
// whether [DONE] came.
func sse(t *testing.T, body []byte) (events []map[string]any, done bool) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if line == "[DONE]" {
			return events, true
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("event %q: %v", line, err)
		}
		events = append(events, m)
	}
	return events, false
}

func errMessage(body []byte) string {
	var e apiError
	json.Unmarshal(body, &e)
	return e.Error.Message
}

func TestModels(t *testing.T) {
	f := start(t, 0)
	resp, body := f.get(t, "/v1/models", token)
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID         string `json:"id"`
			ContextLen int    `json:"context_length"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %s: %v", resp.StatusCode, body, err)
	}
	if list.Object != "list" || len(list.Data) != 1 || list.Data[0].ID != f.model || list.Data[0].ContextLen != 512 {
		t.Errorf("models %s, want one model %q with context 512", body, f.model)
	}
}

func TestChatCompletions(t *testing.T) {
	f := start(t, 0)
	resp, body := f.post(t, "/v1/chat/completions", token, chatReq("Hello", 8, false))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var whole struct {
		Object  string `json:"object"`
		Model   string `json:"model"`
		Choices []struct {
			Message      engine.Message `json:"message"`
			FinishReason string         `json:"finish_reason"`
		} `json:"choices"`
		Usage usage `json:"usage"`
	}
	if err := json.Unmarshal(body, &whole); err != nil {
		t.Fatal(err)
	}
	if whole.Object != "chat.completion" || whole.Model != f.model || len(whole.Choices) != 1 ||
		whole.Choices[0].Message.Role != "assistant" || whole.Choices[0].Message.Content == "" ||
		whole.Choices[0].FinishReason != "length" || whole.Usage.CompletionTokens != 8 || whole.Usage.PromptTokens == 0 {
		t.Fatalf("answer %s", body)
	}

	// The same request streamed: the same text (greedy), in the usual shape.
	resp, body = f.post(t, "/v1/chat/completions", token, chatReq("Hello", 8, true))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	events, done := sse(t, body)
	if !done || len(events) < 4 {
		t.Fatalf("stream of %d events, [DONE] %v: %s", len(events), done, body)
	}
	first := events[0]["choices"].([]any)[0].(map[string]any)["delta"].(map[string]any)
	if first["role"] != "assistant" || first["content"] != "" {
		t.Errorf("first chunk %v is not role-only", first)
	}
	var text strings.Builder
	for _, ev := range events[1 : len(events)-2] {
		c := ev["choices"].([]any)[0].(map[string]any)
		text.WriteString(c["delta"].(map[string]any)["content"].(string))
		if c["finish_reason"] != nil {
			t.Errorf("a content chunk has finish_reason %v", c["finish_reason"])
		}
	}
	if text.String() != whole.Choices[0].Message.Content {
		t.Errorf("streamed %q, whole %q", text.String(), whole.Choices[0].Message.Content)
	}
	last := events[len(events)-2]["choices"].([]any)[0].(map[string]any)
	if last["finish_reason"] != "length" || len(last["delta"].(map[string]any)) != 0 {
		t.Errorf("finish chunk %v", last)
	}
	u := events[len(events)-1]
	if len(u["choices"].([]any)) != 0 || u["usage"].(map[string]any)["completion_tokens"] != float64(8) {
		t.Errorf("usage chunk %v", u)
	}
}

func TestCompletions(t *testing.T) {
	f := start(t, 0)
	req := map[string]any{"prompt": "Once upon a time", "max_tokens": 5, "temperature": 0, "ignore_eos": true}
	resp, body := f.post(t, "/v1/completions", token, req)
	var whole struct {
		Object  string `json:"object"`
		Choices []struct {
			Text         string `json:"text"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage usage `json:"usage"`
	}
	if err := json.Unmarshal(body, &whole); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %s %v", resp.StatusCode, body, err)
	}
	if whole.Object != "text_completion" || whole.Choices[0].Text == "" || whole.Usage.CompletionTokens != 5 || whole.Choices[0].FinishReason != "length" {
		t.Fatalf("answer %s", body)
	}
	req["stream"] = true
	req["prompt"] = []string{"Once upon a time"}
	resp, body = f.post(t, "/v1/completions", token, req)
	events, done := sse(t, body)
	var text strings.Builder
	for _, ev := range events {
		text.WriteString(ev["choices"].([]any)[0].(map[string]any)["text"].(string))
	}
	if resp.StatusCode != 200 || !done || text.String() != whole.Choices[0].Text {
		t.Errorf("streamed %q (done %v), whole %q", text.String(), done, whole.Choices[0].Text)
	}
}

func TestEmbeddingsAndTokenize(t *testing.T) {
	f := start(t, 0)
	resp, body := f.post(t, "/v1/embeddings", token, map[string]any{"input": "hi", "model": f.model})
	if resp.StatusCode != http.StatusNotImplemented || !strings.Contains(errMessage(body), "cannot make embeddings") {
		t.Errorf("embeddings: %d %s", resp.StatusCode, body)
	}
	local := f.rec.Engine
	want, err := local.CountTokens(context.Background(), []string{"Once upon a time there was a fox"})
	if err != nil {
		t.Fatal(err)
	}
	resp, body = f.post(t, "/tokenize", token, map[string]any{"content": "Once upon a time there was a fox"})
	var c struct{ Count int }
	json.Unmarshal(body, &c)
	if resp.StatusCode != 200 || c.Count != want[0] {
		t.Errorf("tokenize: %d %s, want count %d", resp.StatusCode, body, want[0])
	}
}

func TestAuth(t *testing.T) {
	f := start(t, 0)
	for _, c := range []struct{ name, tok, want string }{
		{"missing", "", "needs its API token"},
		{"wrong", token + "x", "token is wrong"},
		{"short", "t", "token is wrong"},
	} {
		for _, path := range []string{"/v1/models", "/v1/chat/completions", "/v1/completions", "/v1/embeddings"} {
			var resp *http.Response
			var body []byte
			if path == "/v1/models" {
				resp, body = f.get(t, path, c.tok)
			} else {
				resp, body = f.post(t, path, c.tok, chatReq("hi", 1, false))
			}
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(errMessage(body), c.want) ||
				resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s token on %s: %d %s", c.name, path, resp.StatusCode, body)
			}
		}
	}
	if n := len(f.rec.started); n != 0 {
		t.Errorf("%d generations ran without the token", n)
	}
	if resp, _ := f.get(t, "/health", ""); resp.StatusCode != 200 {
		t.Errorf("health: %d", resp.StatusCode)
	}
}

func TestBadRequests(t *testing.T) {
	f := start(t, 0)
	cases := []struct {
		name, body, want string
	}{
		{"not json", `{"messages": [`, "not valid JSON"},
		{"garbage", `hello`, "not valid JSON"},
		{"empty", ``, "no body"},
		{"wrong type", `{"messages": "hi"}`, `the field "messages" should be an array, not a string`},
		{"a sampling field of the wrong type", `{"messages": [{"role": "user", "content": "x"}], "max_tokens": "abc"}`,
			`the field "max_tokens" should be a whole number, not a string`},
		{"a number where a flag goes", `{"messages": [{"role": "user", "content": "x"}], "stream": 1}`, `the field "stream" should be true or false, not a number`},
		{"no messages", `{"messages": []}`, "at least one message"},
		{"tool role", `{"messages": [{"role": "tool", "content": "x"}]}`, `role "tool"`},
		{"image part", `{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}`, `"image_url"`},
		{"temperature", `{"messages": [{"role": "user", "content": "x"}], "temperature": 9}`, "between 0 and 2"},
		{"stop", `{"messages": [{"role": "user", "content": "x"}], "stop": ["\n"]}`, "stop sequences"},
		{"too long for the context", `{"messages": [{"role": "user", "content": "` + strings.Repeat("the cat sat on the mat ", 300) + `"}]}`, "context of 512 tokens"},
		{"too long, streamed: still an HTTP error", `{"stream": true, "messages": [{"role": "user", "content": "` + strings.Repeat("the cat sat on the mat ", 300) + `"}]}`,
			"context of 512 tokens"},
	}
	for _, c := range cases {
		resp, body := f.post(t, "/v1/chat/completions", token, c.body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(errMessage(body), c.want) {
			t.Errorf("%s: %d %s, want 400 saying %q", c.name, resp.StatusCode, body, c.want)
		}
	}
	resp, body := f.post(t, "/v1/chat/completions", token, `{"model": "gpt-9", "messages": [{"role": "user", "content": "x"}]}`)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(errMessage(body), f.model) {
		t.Errorf("unknown model: %d %s", resp.StatusCode, body)
	}
	// Text parts are read.
	resp, body = f.post(t, "/v1/chat/completions", token,
		`{"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}], "max_tokens": 2}`)
	if resp.StatusCode != 200 {
		t.Errorf("text parts: %d %s", resp.StatusCode, body)
	}
}

func TestBodyTooLarge(t *testing.T) {
	f := start(t, 4<<10)
	big := chatReq(strings.Repeat("word ", 2000), 1, false)
	resp, body := f.post(t, "/v1/chat/completions", token, big)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(errMessage(body), "larger than") {
		t.Errorf("big body: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.post(t, "/v1/chat/completions", token, chatReq("small", 1, false)); resp.StatusCode != 200 {
		t.Errorf("small body after a big one: %d %s", resp.StatusCode, body)
	}
}

func TestClientDisconnectStopsGeneration(t *testing.T) {
	f := start(t, 0)
	// A reply that would run for a very long time: it goes past the context.
	b, _ := json.Marshal(chatReq("Hello", 1_000_000, true))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.url+"/v1/chat/completions", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(resp.Body)
	for pieces := 0; pieces < 5; {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "data: ") {
			pieces++
		}
	}
	gone := time.Now()
	cancel() // the client goes away mid-stream
	resp.Body.Close()
	select {
	case res := <-f.rec.done:
		if res.StopReason != engine.StopCanceled {
			t.Errorf("the generation ended %q, want canceled", res.StopReason)
		}
		if d := time.Since(gone); d > time.Second {
			t.Errorf("the generation stopped %v after the client left", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the generation went on after the client left")
	}
}

func TestConcurrentClients(t *testing.T) {
	f := start(t, 0)
	const n = 20
	var wg sync.WaitGroup
	answers := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := i%2 == 1
			b, _ := json.Marshal(chatReq(fmt.Sprintf("client %d", i), 3, stream))
			req, _ := http.NewRequest(http.MethodPost, f.url+"/v1/chat/completions", bytes.NewReader(b))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 {
				errs[i] = fmt.Errorf("%d %s", resp.StatusCode, body)
				return
			}
			if stream {
				if !bytes.Contains(body, []byte("data: [DONE]")) {
					errs[i] = fmt.Errorf("stream without [DONE]: %s", body)
				}
				answers[i] = string(body)
				return
			}
			var whole struct {
				Choices []struct{ Message engine.Message } `json:"choices"`
				Usage   usage                              `json:"usage"`
			}
			json.Unmarshal(body, &whole)
			if whole.Usage.CompletionTokens != 3 {
				errs[i] = fmt.Errorf("%d tokens: %s", whole.Usage.CompletionTokens, body)
			}
			answers[i] = whole.Choices[0].Message.Content
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || answers[i] == "" {
			t.Errorf("client %d: %v (answer %q)", i, errs[i], answers[i])
		}
	}
	f.rec.mu.Lock()
	defer f.rec.mu.Unlock()
	if len(f.rec.started) != n {
		t.Errorf("%d generations for %d clients", len(f.rec.started), n)
	}
}

// With no model loaded the API answers 503, saying why when the app knows
// (the model could not be loaded again after the engine restarted).
func TestNoModelSaysWhy(t *testing.T) {
	tests := []struct {
		name string
		why  func() string
		want string
	}{
		{"nothing known", nil, "no model is loaded in this Chapel; start it with --model PATH"},
		{"nothing to say", func() string { return "" }, "no model is loaded in this Chapel; start it with --model PATH"},
		{"lost after a restart", func() string {
			return "mine.gguf could not be loaded again after the engine restarted: the file is truncated; choose a model again"
		}, "no model is loaded in this Chapel: mine.gguf could not be loaded again after the engine restarted: the file is truncated; choose a model again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local := engine.NewLocal() // nothing loaded
			t.Cleanup(func() { local.Close() })
			s, err := New(local, Config{Token: token, NoModel: tt.why})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(s.Handler())
			t.Cleanup(ts.Close)
			f := &fixture{url: ts.URL}
			resp, body := f.post(t, "/v1/chat/completions", token, chatReq("hi", 4, false))
			if resp.StatusCode != http.StatusServiceUnavailable || errMessage(body) != tt.want {
				t.Errorf("%d %q, want 503 %q", resp.StatusCode, errMessage(body), tt.want)
			}
		})
	}
}
