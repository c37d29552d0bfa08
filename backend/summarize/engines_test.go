package summarize

import (
	"cmp"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/remote"
	"github.com/chapelapp/chapel/backend/serve"
)

const endpointToken = "summary-test-token"

// realLocal loads the tiny model in an engine of this process.
func realLocal(t *testing.T, ctxSize int) engine.Engine {
	t.Helper()
	e := engine.NewLocal()
	t.Cleanup(func() { e.Close() })
	if _, err := e.Load(context.Background(), testmodel.Tiny(t, gguf.ChatMLTemplate), engine.LoadOptions{ContextSize: ctxSize, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	return e
}

// endpoint serves a second real engine over loopback HTTP as `chapel serve`
// does; without tokenizer its POST /tokenize answers 404, as a server
// without one does. It returns the base URL and the model's id.
func endpoint(t *testing.T, tokenizer bool) (string, string) {
	t.Helper()
	return endpointWith(t, tokenizer, 2048)
}

// endpointWith is endpoint with its engine's context.
func endpointWith(t *testing.T, tokenizer bool, ctxSize int) (string, string) {
	t.Helper()
	q := serve.NewQueue(realLocal(t, ctxSize))
	srv, err := serve.New(q.Background(), serve.Config{Addr: "127.0.0.1:0", Token: endpointToken})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !tokenizer && strings.HasSuffix(r.URL.Path, "/tokenize") {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	e, err := remote.New(remote.Config{BaseURL: ts.URL + "/v1", APIKey: endpointToken})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ms, err := e.Models(context.Background())
	if err != nil || len(ms) != 1 {
		t.Fatalf("the endpoint's models: %v %v", ms, err)
	}
	return ts.URL + "/v1", ms[0].ID
}

// A summary whose map steps are spread over the local engine and an
// endpoint (both real engines on the tiny model): every piece is saved with
// the engine that made it, each map piece is announced when an engine takes
// it and again when it is saved, and the progress tallies each engine.
func TestPiecesByEngine(t *testing.T) {
	ctx := context.Background()
	url, model := endpoint(t, true)
	sw := remote.NewSwitch(realLocal(t, 2048), nil)
	t.Cleanup(func() { sw.Close() })
	ref, err := sw.Register(remote.Config{ID: "second", Name: "Second", BaseURL: url, APIKey: endpointToken, Parallel: 2}, model)
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.ShareBatches(ctx, []string{ref}, nil); err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	doc := pagedDoc(40, 6, 3).add(t, st, "spread")
	s := New(st, sw, nil)
	s.SetOptions(Options{MaxAnswerTokens: 12})

	var mu sync.Mutex
	var events []Piece
	var progress []Progress
	final := make(chan View, 1)
	v, err := s.Start(doc.ID, "brief", func(name string, payload any) {
		mu.Lock()
		defer mu.Unlock()
		switch p := payload.(type) {
		case Piece:
			if name != PieceEvent(p.SummaryID) {
				t.Errorf("piece on %q", name)
			}
			events = append(events, p)
		case Progress:
			progress = append(progress, p)
			if p.View != nil {
				final <- *p.View
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	var got View
	select {
	case got = <-final:
	case <-time.After(5 * time.Minute): // a guard against a hang, not a measure
		t.Fatal("the summary did not end")
	}
	if got.Status != StatusComplete || got.ID != v.ID {
		t.Fatalf("%+v", got)
	}
	ps := pieces(t, st, v.ID)
	byEngine := map[string]int{}
	tokens := map[string]int{}
	maps := 0
	for _, p := range ps {
		if p.Engine != LocalEngine && !strings.HasPrefix(p.Engine, "Second (") {
			t.Errorf("piece %d/%d made by %q", p.Level, p.Ord, p.Engine)
		}
		byEngine[p.Engine]++
		tokens[p.Engine] += p.CompletionTokens
		if p.Level == 0 {
			maps++
		}
	}
	if maps < 4 || len(byEngine) != 2 {
		t.Fatalf("%d map pieces, by engine %v: want at least 4, made by both engines", maps, byEngine)
	}

	// Each map piece: taken (running, by an engine), then saved by the same engine.
	taken := map[int]string{}
	saved := map[int]Piece{}
	for _, e := range events {
		switch e.Status {
		case PieceRunning:
			taken[e.Ord] = e.Engine
		case PieceDone:
			if taken[e.Ord] != e.Engine || e.Engine == "" {
				t.Errorf("piece %d saved by %q, taken by %q", e.Ord, e.Engine, taken[e.Ord])
			}
			if e.Text == "" || !strings.HasPrefix(e.Label, "Page") {
				t.Errorf("saved piece %+v", e)
			}
			saved[e.Ord] = e
		default:
			t.Errorf("piece event %+v", e)
		}
	}
	if len(saved) != maps {
		t.Errorf("%d pieces announced as saved, %d map pieces", len(saved), maps)
	}

	// The progress: both engines tallied; some moment had pieces in flight;
	// at the end nothing is, the counts match the pieces and a speed is given
	// for an engine that wrote tokens.
	last := progress[len(progress)-1]
	inFlight := 0
	for _, p := range progress {
		for _, e := range p.Engines {
			inFlight = max(inFlight, e.InFlight)
		}
	}
	if inFlight == 0 || len(last.Engines) != 2 {
		t.Fatalf("in flight at most %d; last engines %+v", inFlight, last.Engines)
	}
	for _, e := range last.Engines {
		if e.InFlight != 0 || e.Done != byEngine[e.Engine] || (tokens[e.Engine] > 0) != (e.TokensPerSecond > 0) {
			t.Errorf("engine %+v at the end: saved %d pieces of %d tokens", e, byEngine[e.Engine], tokens[e.Engine])
		}
	}

	// Afterwards the outline has every map piece done, in document order,
	// each with its engine, and tallies the engines from the saved pieces.
	o, err := s.Outline(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Pieces) != maps || len(o.Engines) != 2 || o.TokenCounts != CountsTokenizer || !strings.Contains(o.Plan, "tokenizer") {
		t.Fatalf("outline: %d pieces, engines %+v, counts %q, plan %q", len(o.Pieces), o.Engines, o.TokenCounts, o.Plan)
	}
	prev := 0
	for i, p := range o.Pieces {
		if p.Ord != i || p.Status != PieceDone || p.Engine != saved[i].Engine || p.FirstChunk < prev {
			t.Errorf("outline piece %d: %+v", i, p)
		}
		prev = p.LastChunk + 1
	}
	t.Logf("%d pieces by engine %v; plan %q", len(ps), byEngine, o.Plan)
}

// An endpoint that cannot take the steps sits the summary out, and the
// progress says why on its line, so that the user sees why the endpoint
// they ticked takes none: its context is shorter than the steps were
// planned for (it would cut the prompts or refuse them), or its server no
// longer has the model. This computer makes every piece.
func TestEndpointSitsOutAndSaysWhy(t *testing.T) {
	cases := []struct {
		name  string
		ctx   int    // the endpoint's context
		model string // the model asked of it ("": the one it has)
		want  string
	}{
		{"a small context", 256, "", "its context (256 tokens) is shorter than a step needs ("},
		{"a model it no longer has", 2048, "gone-model", `Box has no model "gone-model"; it serves `},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			url, model := endpointWith(t, true, c.ctx)
			sw := remote.NewSwitch(realLocal(t, 2048), nil)
			t.Cleanup(func() { sw.Close() })
			ref, err := sw.Register(remote.Config{ID: "box", Name: "Box", BaseURL: url, APIKey: endpointToken, Parallel: 2}, cmp.Or(c.model, model))
			if err != nil {
				t.Fatal(err)
			}
			sw.ShareFrom(func(context.Context) ([]string, error) { return []string{ref}, nil }) // as the settings do
			st := openStore(t)
			doc := pagedDoc(12, 6, 3).add(t, st, "sits out")
			s := New(st, sw, nil)
			s.SetOptions(Options{MaxAnswerTokens: 12})
			var progress []Progress
			v, err := s.Summarize(ctx, doc.ID, "brief", func(p Progress) { progress = append(progress, p) })
			if err != nil || v.Status != StatusComplete {
				t.Fatalf("%+v %v", v, err)
			}
			for _, p := range pieces(t, st, v.ID) {
				if p.Engine != LocalEngine {
					t.Errorf("piece %d/%d made by %q", p.Level, p.Ord, p.Engine)
				}
			}
			var line *EngineProgress
			for _, p := range progress {
				for _, e := range p.Engines {
					if strings.HasPrefix(e.Engine, "Box (") {
						line = &e
					}
				}
			}
			if line == nil || line.Done != 0 || line.InFlight != 0 || !strings.HasPrefix(line.SitsOut, c.want) {
				t.Fatalf("the endpoint's line %+v; want no pieces and a note starting %q", line, c.want)
			}
			t.Logf("%s: %s", line.Engine, line.SitsOut)
		})
	}
}

// Token counts for the plan: the local model's tokenizer, an endpoint's
// /tokenize, or a conservative estimate when the endpoint has none; the
// plan line says which, and the summary keeps it.
func TestTokenCounts(t *testing.T) {
	cases := []struct {
		name     string
		remote   bool
		tokenize bool
		want     string
		says     string
	}{
		{"local model", false, false, CountsTokenizer, "token counts from the model's tokenizer"},
		{"endpoint with /tokenize", true, true, CountsServer, "token counts from the server's tokenizer"},
		{"endpoint without a tokenizer", true, false, CountsEstimate, "token counts are estimates"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			sw := remote.NewSwitch(realLocal(t, 2048), nil)
			t.Cleanup(func() { sw.Close() })
			if c.remote {
				url, model := endpoint(t, c.tokenize)
				ref, err := sw.Register(remote.Config{ID: "ep", BaseURL: url, APIKey: endpointToken}, model)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := sw.Load(ctx, ref, engine.LoadOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			st := openStore(t)
			doc := pagedDoc(6, 4, 3).add(t, st, "counts")
			s := New(st, sw, nil)
			s.SetOptions(Options{MaxAnswerTokens: 8})
			var plan string
			v, err := s.Summarize(ctx, doc.ID, "brief", func(p Progress) {
				if p.Plan != "" && plan == "" {
					plan = p.Plan
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if v.Status != StatusComplete || v.TokenCounts != c.want || !strings.Contains(v.Plan, c.says) || !strings.Contains(plan, c.says) {
				t.Fatalf("status %s, counts %q, plan %q (while running %q): want %q saying %q", v.Status, v.TokenCounts, v.Plan, plan, c.want, c.says)
			}
		})
	}
}
