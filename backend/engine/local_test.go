package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
)

func tinyModel(t *testing.T, tmpl string) string { return testmodel.Tiny(t, tmpl) }

func storiesModel(t *testing.T) string { return testmodel.Stories(t) }

// load loads path with one thread: go test runs packages side by side, and
// llama.cpp's spinning threads slow down many times over when they outnumber
// the free cores.
func load(t *testing.T, path string) *Local {
	t.Helper()
	e := NewLocal()
	t.Cleanup(func() { e.Close() })
	if _, err := e.Load(context.Background(), path, LoadOptions{ContextSize: 1024, Threads: 1}); err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return e
}

func greedy(max int) Request {
	return Request{Sampling: Sampling{Temperature: 0}, MaxTokens: max}
}

func generate(t *testing.T, e *Local, req Request) (string, Result) {
	t.Helper()
	var b strings.Builder
	res, err := e.Generate(context.Background(), req, func(s string) {
		if !utf8.ValidString(s) {
			t.Errorf("piece %q is not valid UTF-8", s)
		}
		b.WriteString(s)
	})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	return b.String(), res
}

func TestTinyModelGenerates(t *testing.T) {
	cases := []struct {
		name     string
		tmpl     string
		template bool
	}{
		{"plain completion", "", false},
		{"chatml template", gguf.ChatMLTemplate, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := load(t, tinyModel(t, c.tmpl))
			info, ok := e.Model(context.Background())
			if !ok || info.HasTemplate != c.template || info.ContextSize != 1024 || info.Architecture != "llama" {
				t.Fatalf("model info = %+v", info)
			}
			req := greedy(24)
			req.Messages = []Message{{Role: RoleUser, Content: "Once upon a time"}}
			out1, res := generate(t, e, req)
			if res.CompletionTokens == 0 || res.CompletionTokens > 24 || res.PromptTokens == 0 {
				t.Fatalf("result = %+v", res)
			}
			if res.StopReason == StopLength && res.CompletionTokens != 24 {
				t.Errorf("stopped for length after %d tokens", res.CompletionTokens)
			}
			out2, _ := generate(t, e, req)
			if out1 != out2 {
				t.Errorf("greedy decoding is not deterministic:\n%q\n%q", out1, out2)
			}
		})
	}
}

func TestSeededSamplingIsRepeatable(t *testing.T) {
	e := load(t, tinyModel(t, ""))
	req := Request{Messages: []Message{{Role: RoleUser, Content: "the cat"}}, MaxTokens: 16, Sampling: DefaultSampling()}
	req.Sampling.Seed = 42
	a, _ := generate(t, e, req)
	b, _ := generate(t, e, req)
	if a != b {
		t.Errorf("same seed gave %q and %q", a, b)
	}
}

func TestPrefixReuse(t *testing.T) {
	e := load(t, tinyModel(t, gguf.ChatMLTemplate))
	req := greedy(8)
	req.Messages = []Message{{Role: RoleUser, Content: "the big dog went home and the little cat saw the sun"}}
	reply, first := generate(t, e, req)
	req.Messages = append(req.Messages, Message{Role: RoleAssistant, Content: reply}, Message{Role: RoleUser, Content: "and then?"})
	_, second := generate(t, e, req)
	if second.CachedTokens < first.PromptTokens-1 {
		t.Errorf("follow-up reused %d tokens of the cache, want at least the %d of the first prompt", second.CachedTokens, first.PromptTokens-1)
	}
	if second.CachedTokens >= second.PromptTokens {
		t.Errorf("cached %d of %d prompt tokens: the new turn must be decoded", second.CachedTokens, second.PromptTokens)
	}
}

func TestLongConversationIsTrimmed(t *testing.T) {
	e := load(t, tinyModel(t, gguf.ChatMLTemplate))
	var msgs []Message
	for i := 0; i < 40; i++ {
		msgs = append(msgs, Message{Role: RoleUser, Content: strings.Repeat("the little girl saw the big tree ", 6)},
			Message{Role: RoleAssistant, Content: strings.Repeat("she was happy ", 6)})
	}
	msgs = append([]Message{{Role: RoleSystem, Content: "be kind"}}, append(msgs, Message{Role: RoleUser, Content: "the end"})...)
	req := greedy(8)
	req.Messages = msgs
	_, res := generate(t, e, req)
	if res.DroppedMessages == 0 || res.PromptTokens > 1024 {
		t.Errorf("result = %+v, want old turns dropped to fit 1024 tokens", res)
	}
}

func TestCancelStopsQuickly(t *testing.T) {
	e := load(t, tinyModel(t, ""))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled time.Time
	pieces := 0
	req := Request{Messages: []Message{{Role: RoleUser, Content: "once"}}, Sampling: Sampling{Temperature: 1, Seed: 1}}
	res, err := e.Generate(ctx, req, func(string) {
		pieces++
		if pieces == 3 {
			cancelled = time.Now()
			cancel()
		}
	})
	took := time.Since(cancelled)
	if err != nil {
		t.Fatal(err)
	}
	if res.StopReason != StopCanceled {
		t.Fatalf("stop reason = %q after %d tokens", res.StopReason, res.CompletionTokens)
	}
	if took > 100*time.Millisecond {
		t.Errorf("generation ended %v after the cancel, want within 100ms", took)
	}
	// The engine is usable after a cancel.
	req.MaxTokens = 4
	if _, res := generate(t, e, req); res.CompletionTokens == 0 {
		t.Error("no tokens after a cancelled generation")
	}
}

func TestBadModelFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, err := os.ReadFile(tinyModel(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		path string
		code apperr.Code
		want string
	}{
		{"missing", filepath.Join(dir, "nope.gguf"), apperr.NotFound, "was not found"},
		{"folder", dir, apperr.Invalid, "is a folder"},
		{"empty", write("empty.gguf", nil), apperr.Invalid, "too short"},
		{"text file", write("notes.gguf", []byte("these are my notes, not a model at all")), apperr.Invalid, "not a GGUF file"},
		{"truncated", write("cut.gguf", good[:len(good)/2]), apperr.Invalid, "truncated"},
		{"garbage after magic", write("junk.gguf", append([]byte("GGUF\x03\x00\x00\x00"), make([]byte, 64)...)), apperr.Invalid, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := NewLocal()
			defer e.Close()
			_, err := e.Load(context.Background(), c.path, LoadOptions{})
			if err == nil {
				t.Fatal("loaded a bad model file")
			}
			if apperr.CodeOf(err) != c.code || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v (code %s), want code %s mentioning %q", err, apperr.CodeOf(err), c.code, c.want)
			}
			if _, ok := e.Model(context.Background()); ok {
				t.Error("a model is loaded after a failed load")
			}
		})
	}
}

func TestGenerateWithoutModel(t *testing.T) {
	_, err := NewLocal().Generate(context.Background(), Request{Messages: []Message{{Role: RoleUser, Content: "hi"}}}, func(string) {})
	if apperr.CodeOf(err) != apperr.Unavailable {
		t.Errorf("err = %v, want unavailable", err)
	}
}

func TestStoriesModelTellsAStory(t *testing.T) {
	e := load(t, storiesModel(t))
	info, _ := e.Model(context.Background())
	if info.HasTemplate {
		t.Error("stories260K has no chat template; the engine must run it as plain completion")
	}
	req := greedy(64)
	req.Messages = []Message{{Role: RoleUser, Content: "Once upon a time"}}
	out1, res := generate(t, e, req)
	out2, _ := generate(t, e, req)
	if out1 != out2 {
		t.Errorf("greedy decoding is not deterministic:\n%q\n%q", out1, out2)
	}
	words := strings.Fields(out1)
	common := 0
	for _, w := range words {
		switch strings.ToLower(strings.Trim(w, ".,!?\"'")) {
		case "the", "a", "was", "she", "he", "and", "to", "her", "his", "they", "there", "girl", "boy", "little", "day":
			common++
		}
	}
	if len(words) < 10 || common < 3 {
		t.Errorf("expected an English story, got %q", out1)
	}
	t.Logf("story (%d tokens, %.0f tok/s): %s", res.CompletionTokens, res.TokensPerSecond, out1)
}

func TestStoriesModelCancelWithin100ms(t *testing.T) {
	e := load(t, storiesModel(t))
	for i := 0; i < 5; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		var at time.Time
		n := 0
		res, err := e.Generate(ctx, Request{Messages: []Message{{Role: RoleUser, Content: "Once upon a time"}}, Sampling: DefaultSampling()}, func(string) {
			if n++; n == 10 {
				at = time.Now()
				cancel()
			}
		})
		took := time.Since(at)
		cancel()
		if err != nil || res.StopReason != StopCanceled {
			t.Fatalf("res = %+v, err = %v", res, err)
		}
		if took > 100*time.Millisecond {
			t.Errorf("ended %v after cancel", took)
		}
	}
}

func TestIgnoreEOSRunsToTheLimit(t *testing.T) {
	e := load(t, storiesModel(t))
	req := greedy(300)
	req.IgnoreEOS = true
	req.Messages = []Message{{Role: RoleUser, Content: "Once upon a time"}}
	_, res := generate(t, e, req)
	if res.CompletionTokens != 300 || res.StopReason != StopLength {
		t.Errorf("result = %+v, want 300 tokens and a length stop", res)
	}
}

func TestCountTokens(t *testing.T) {
	e := load(t, tinyModel(t, gguf.ChatMLTemplate))
	texts := []string{"", "the", "the big dog went home", "<|im_start|>user", "héllo wörld ✓"}
	counts, err := e.CountTokens(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != len(texts) || counts[0] != 0 || counts[1] < 1 || counts[2] <= counts[1] {
		t.Errorf("counts = %v for %q", counts, texts)
	}
	// Special tokens are counted as plain text, never parsed.
	if counts[3] < 2 {
		t.Errorf("%q counted as %d tokens: special tokens must not be parsed", texts[3], counts[3])
	}
	if _, err := NewLocal().CountTokens(context.Background(), texts); err == nil {
		t.Error("counting without a model succeeded")
	}
}

func TestReplyLongerThanTheContextGoesOn(t *testing.T) {
	e := NewLocal()
	t.Cleanup(func() { e.Close() })
	if _, err := e.Load(context.Background(), tinyModel(t, gguf.ChatMLTemplate), LoadOptions{ContextSize: 128, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		system string
	}{
		{"no system prompt", ""},
		{"system prompt kept", "You are a careful assistant who answers briefly."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := greedy(300)
			req.IgnoreEOS = true
			if c.system != "" {
				req.Messages = append(req.Messages, Message{Role: RoleSystem, Content: c.system})
			}
			req.Messages = append(req.Messages, Message{Role: RoleUser, Content: "tell me a long story"})
			prompt, _, err := e.fitPrompt(req)
			if err != nil {
				t.Fatal(err)
			}
			keep := e.systemPrefix(req, prompt)
			_, res := generate(t, e, req)
			if res.CompletionTokens != 300 || res.StopReason != StopLength || res.ShiftedTokens == 0 {
				t.Errorf("result = %+v, want 300 tokens written past a short context by shifting", res)
			}
			if res.ContextUsed > res.ContextSize || 300 < res.ContextSize {
				t.Errorf("context used %d of %d: the test needs a context shorter than the reply", res.ContextUsed, res.ContextSize)
			}
			if c.system != "" && keep < 8 {
				t.Errorf("system prefix is %d tokens, want the whole system turn", keep)
			}
			for i := range keep {
				if e.cached[i] != prompt[i] {
					t.Fatalf("token %d of the system prompt was shifted out", i)
				}
			}
		})
	}
}

// TestQuantizedKeys runs a model whose key heads (32 values) let the KV
// cache hold keys as Q8_0, through a context shift and a batch; the tiny
// model's 16-value heads keep F16 keys (Q8_0 there aborts llama.cpp).
func TestQuantizedKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "heads32.gguf")
	shape := gguf.Shape{Name: "heads32", Embd: 128, Layers: 2, Heads: 4, HeadsKV: 2, FF: 256, Vocab: 512, ContextLen: 1024}
	if err := gguf.WriteSynthetic(path, shape, gguf.SynthOptions{Type: gguf.F32, Seed: 3, ChatTemplate: gguf.ChatMLTemplate}); err != nil {
		t.Fatal(err)
	}
	e := NewLocal()
	t.Cleanup(func() { e.Close() })
	if _, err := e.Load(context.Background(), path, LoadOptions{ContextSize: 128, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	if !e.quantK {
		t.Fatal("keys of 32-value heads are not quantised")
	}
	req := greedy(300)
	req.IgnoreEOS = true
	req.Messages = []Message{{Role: RoleSystem, Content: "be brief"}, {Role: RoleUser, Content: "tell me a long story"}}
	if _, res := generate(t, e, req); res.CompletionTokens != 300 || res.ShiftedTokens == 0 {
		t.Errorf("result = %+v, want 300 tokens through a context shift", res)
	}
	reqs := []Request{greedy(8), greedy(8)}
	reqs[0].Messages = []Message{{Role: RoleUser, Content: "the big dog"}}
	reqs[1].Messages = []Message{{Role: RoleUser, Content: "the little cat"}}
	if _, err := e.GenerateBatch(context.Background(), reqs, func(int, string) {}); err != nil {
		t.Fatal(err)
	}
	tiny := load(t, tinyModel(t, gguf.ChatMLTemplate))
	if tiny.quantK {
		t.Error("the tiny model's 16-value key heads were quantised")
	}
}
