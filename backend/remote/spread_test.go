package remote

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
)

// A summary's batch spread over the local engine and a second Chapel in
// another process; then the second Chapel dies mid-batch and the local
// engine finishes its requests, nothing lost.
func TestSpreadOverEngines(t *testing.T) {
	model := testmodel.Tiny(t, "")
	url, kill := startChapel(t, model)
	sw := tinySwitch(t, model, 512, nil)
	ref, err := sw.Register(Config{ID: "second", BaseURL: url, APIKey: serveToken, Parallel: 2}, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	by := map[string]int{}
	onDone := func(d Done) {
		kind := "local"
		if strings.Contains(d.Engine, "127.0.0.1") {
			kind = "remote"
		}
		mu.Lock()
		by[kind]++
		mu.Unlock()
	}
	if err := sw.ShareBatches(context.Background(), []string{ref}, onDone); err == nil {
		t.Fatal("an endpoint's model that is not there was accepted")
	}
	res, err := New(Config{BaseURL: url, APIKey: serveToken})
	if err != nil {
		t.Fatal(err)
	}
	found, err := res.Models(context.Background())
	if err != nil || len(found) != 1 {
		t.Fatalf("models %v %v", found, err)
	}
	ref, _ = sw.Register(Config{ID: "second", BaseURL: url, APIKey: serveToken, Parallel: 2}, found[0].ID)
	if err := sw.ShareBatches(context.Background(), []string{ref}, onDone); err != nil {
		t.Fatal(err)
	}

	run := func(n, tokens int) ([]string, []engine.Result, error) {
		reqs := pieces(n, tokens, 0)
		texts := make([]string, n)
		out, err := sw.GenerateBatch(context.Background(), reqs, func(i int, s string) { texts[i] += s })
		return texts, out, err
	}
	check := func(what string, texts []string, out []engine.Result, err error, tokens int) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for i := range texts {
			if texts[i] == "" || out[i].CompletionTokens != tokens || out[i].StopReason != engine.StopLength {
				t.Errorf("%s: request %d: %q, %+v", what, i, texts[i], out[i])
			}
		}
	}
	texts, out, err := run(4, 8)
	check("both engines", texts, out, err, 8)
	mu.Lock()
	if by["local"] == 0 || by["remote"] == 0 || by["local"]+by["remote"] != 4 {
		t.Errorf("answered by %v, want both engines", by)
	}
	clear(by)
	mu.Unlock()

	// The second Chapel dies while the batch runs: the local engine takes its requests.
	go func() { time.Sleep(30 * time.Millisecond); kill() }()
	texts, out, err = run(4, 150)
	check("the endpoint killed mid-batch", texts, out, err, 150)
	for _, s := range texts {
		if strings.Contains(s, "\x00") {
			t.Errorf("a retried request shows a failed attempt's text: %q", s)
		}
	}
	// And with it gone, the next batch runs locally from the start.
	texts, out, err = run(3, 4)
	check("the endpoint gone", texts, out, err, 4)
	mu.Lock()
	if by["local"] < 3 {
		t.Errorf("answered by %v after the endpoint died", by)
	}
	mu.Unlock()
}

// Endpoints ticked for summaries are read at each batch and contacted only
// then; one that is down sits the batch out.
func TestShareFromSettings(t *testing.T) {
	st, dir := openStore(t)
	eps := NewEndpoints(st, newFileSecrets(filepath.Join(dir, "keys.json")))
	ctx := context.Background()
	rp := &replay{s: servers[0]}
	ts := rp.start(t)
	up, err := eps.Save(ctx, Endpoint{Name: "up", BaseURL: ts.URL, Model: "tiny.gguf", Summaries: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eps.Save(ctx, Endpoint{Name: "down", BaseURL: "http://127.0.0.1:1/v1", Model: "m", Summaries: true}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := eps.Save(ctx, Endpoint{Name: "not ticked", BaseURL: ts.URL, Model: "tiny.gguf"}, nil); err != nil {
		t.Fatal(err)
	}
	refs, err := eps.Sharing(ctx)
	if err != nil || len(refs) != 2 || refs[0] != up.Ref() {
		t.Fatalf("sharing %v %v", refs, err)
	}
	sw := tinySwitch(t, testmodel.Tiny(t, ""), 256, eps.Config)
	sw.ShareFrom(eps.Sharing)
	rp.mu.Lock()
	if len(rp.bodies) != 0 {
		t.Error("an endpoint was contacted before any batch")
	}
	rp.mu.Unlock()
	var mu sync.Mutex
	by := map[bool]int{}
	sw.onDone = func(d Done) { mu.Lock(); by[strings.Contains(d.Engine, "127.0.0.1")]++; mu.Unlock() }
	reqs := make([]engine.Request, 4)
	for i := range reqs {
		reqs[i] = engine.Request{Messages: []engine.Message{{Role: "user", Content: "x"}}, MaxTokens: 3, IgnoreEOS: true}
	}
	answerAllOut(t, sw, reqs)
	if by[true] == 0 || by[false] == 0 {
		t.Errorf("answered by %v, want the local engine and the endpoint that is up", by)
	}
}

// An endpoint whose context is smaller than a summary's steps were planned
// for sits the batch out (it would cut the prompts, or fail them); one with
// room takes part. The replayed llama-server runs with a context of 1,024.
func TestSharingLeavesOutSmallContexts(t *testing.T) {
	ctx := context.Background()
	model := testmodel.Tiny(t, "")
	for _, tc := range []struct {
		name     string
		needed   int
		endpoint bool   // whether the endpoint answers some of the batch
		sitsOut  string // why it sits out, as the summary shows it
	}{
		{"unplanned requests", 0, true, ""},
		{"steps that fit its context", 1024, true, ""},
		{"steps planned for a larger context", 1025, false, "its context (1,024 tokens) is shorter than a step needs (1,025)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rp := &replay{s: servers[0]}
			ts := rp.start(t)
			sw := tinySwitch(t, model, 256, nil)
			ref, err := sw.Register(Config{ID: "small", BaseURL: ts.URL, Parallel: 2}, "tiny.gguf")
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			by := map[bool]int{}
			if err := sw.ShareBatches(ctx, []string{ref}, func(d Done) {
				mu.Lock()
				by[strings.Contains(d.Engine, "127.0.0.1")]++
				mu.Unlock()
			}); err != nil {
				t.Fatal(err)
			}
			reqs := pieces(4, 3, tc.needed)
			out := answerAllOut(t, sw, reqs)
			var want []string
			if tc.sitsOut != "" {
				want = []string{"127.0.0.1: " + tc.sitsOut}
			}
			if fmt.Sprint(out) != fmt.Sprint(want) {
				t.Errorf("sat out: %q, want %q", out, want)
			}
			mu.Lock()
			defer mu.Unlock()
			if got := by[true] > 0; got != tc.endpoint || by[true]+by[false] != len(reqs) {
				t.Errorf("answered by the endpoint %d, locally %d; want the endpoint taking part: %v", by[true], by[false], tc.endpoint)
			}
			rp.mu.Lock()
			defer rp.mu.Unlock()
			if !tc.endpoint && len(rp.bodies) > 0 {
				t.Errorf("the endpoint was sent %d requests it has no room for", len(rp.bodies))
			}
		})
	}
}

// answerAllOut runs reqs as one batch on sw, checks that every request was
// answered with some text, and returns who sat the batch out and why
// ("127.0.0.1: why" for an endpoint on loopback).
func answerAllOut(t *testing.T, sw *Switch, reqs []engine.Request) []string {
	t.Helper()
	texts := make([]string, len(reqs))
	var out []string
	res, err := sw.GenerateBatchReport(context.Background(), reqs, func(i int, s string) { texts[i] += s }, nil, func(name, why string) {
		if strings.Contains(name, "127.0.0.1") {
			name = "127.0.0.1"
		}
		out = append(out, name+": "+why)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range res {
		if texts[i] == "" || res[i].StopReason == engine.StopCanceled {
			t.Errorf("request %d: %q %+v", i, texts[i], res[i])
		}
	}
	return out
}

// An endpoint that failed a batch sits out the next ones for a while, and
// the batch says until when; the local engine answers every request.
func TestRestingEndpointSaysUntilWhen(t *testing.T) {
	model := testmodel.Tiny(t, "")
	rp := &replay{s: servers[0], cut: 1, hard: true} // every stream breaks after its first event
	ts := rp.start(t)
	sw := tinySwitch(t, model, 256, nil)
	ref, err := sw.Register(Config{ID: "flaky", BaseURL: ts.URL, Parallel: 2}, "tiny.gguf")
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.ShareBatches(context.Background(), []string{ref}, nil); err != nil {
		t.Fatal(err)
	}
	reqs := pieces(4, 3, 0)
	if out := answerAllOut(t, sw, reqs); len(out) != 0 {
		t.Fatalf("the first batch: sat out %q, want none (the endpoint fails in it)", out)
	}
	out := answerAllOut(t, sw, reqs)
	want, again := "127.0.0.1: it failed a step (", "); it is asked again after "
	if len(out) != 1 || !strings.HasPrefix(out[0], want) || !strings.Contains(out[0], again) {
		t.Fatalf("the second batch: sat out %q, want one note starting %q, with %q", out, want, again)
	}
	t.Log(out[0])
	if strings.Contains(out[0], "text so far") {
		t.Errorf("the note %q speaks of a reply's text kept; a summary step that failed is handed on", out[0])
	}
	until, err := time.Parse("15:04:05", out[0][strings.LastIndex(out[0], again)+len(again):])
	if err != nil {
		t.Fatalf("the time in %q: %v", out[0], err)
	}
	now := time.Now()
	d := time.Date(now.Year(), now.Month(), now.Day(), until.Hour(), until.Minute(), until.Second(), 0, time.Local).Sub(now)
	if d < -12*time.Hour {
		d += 24 * time.Hour // past midnight
	}
	if d < restFor-5*time.Second || d > restFor {
		t.Errorf("asked again in %v, want about %v", d, restFor)
	}
}

// tinySwitch is a Switch over the local engine with model loaded on one
// thread (the Switch closes it), closed when the test ends.
func tinySwitch(t *testing.T, model string, contextSize int, resolve Resolver) *Switch {
	t.Helper()
	local := engine.NewLocal()
	if _, err := local.Load(context.Background(), model, engine.LoadOptions{ContextSize: contextSize, Threads: 1}); err != nil {
		local.Close()
		t.Fatal(err)
	}
	sw := NewSwitch(local, resolve)
	t.Cleanup(func() { sw.Close() })
	return sw
}

// pieces is n requests "piece 0", "piece 1", … of maxTokens each, each
// needing contextNeeded tokens of context (0: not planned).
func pieces(n, maxTokens, contextNeeded int) []engine.Request {
	reqs := make([]engine.Request, n)
	for i := range reqs {
		reqs[i] = engine.Request{Messages: []engine.Message{{Role: engine.RoleUser, Content: fmt.Sprintf("piece %d", i)}},
			MaxTokens: maxTokens, IgnoreEOS: true, ContextNeeded: contextNeeded}
	}
	return reqs
}
