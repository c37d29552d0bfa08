package worker

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/engine"
)

// overheadOpts: the model's default context, one thread. With two threads
// on a two-core machine any other load (here: the other engine's spinning
// ggml threads, other processes) stalls ggml's thread barrier and swamps
// what is measured; one thread measures the streaming, not the scheduler.
var overheadOpts = engine.LoadOptions{Threads: 1}

// overheadRequest is the measured generation: greedy, 256 tokens.
func overheadRequest() engine.Request {
	req := request("Once upon a time", 256)
	req.Sampling = engine.Sampling{Temperature: 0}
	req.IgnoreEOS = true
	return req
}

// timeGeneration returns the wall-clock tokens per second of one generation
// as the caller sees it (prompt, streaming and all) and the engine's own
// generation speed.
func timeGeneration(t testing.TB, e engine.Engine) (wall, engineTPS float64) {
	t.Helper()
	start := time.Now()
	res, err := e.Generate(context.Background(), overheadRequest(), func(string) {})
	took := time.Since(start)
	if err != nil || res.CompletionTokens != 256 {
		t.Fatalf("generate: %+v, %v", res, err)
	}
	return float64(res.CompletionTokens) / took.Seconds(), res.TokensPerSecond
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestStreamingOverhead logs the speed of engine.Local and of the Client on
// the same model (one thread), interleaved in alternating order, median of
// 3. It asserts nothing about time: the figures are for reading (the target
// is < 2 % overhead). Two figures: the end-to-end overhead (wall-clock tok/s
// as the caller sees it), which on a shared machine also holds the noise in
// the engine's own speed, and the protocol's share: how much further the
// caller's speed falls below the engine-reported speed through the worker
// than in process (request, frames, delivery).
func TestStreamingOverhead(t *testing.T) {
	cases := []struct {
		name  string
		model func(testing.TB) string
	}{
		{"tiny", tinyPlain},
		{"stories260K", storiesModel},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := c.model(t)
			local := engine.NewLocal()
			defer local.Close()
			client, _ := newClient(t)
			if _, err := local.Load(context.Background(), path, overheadOpts); err != nil {
				t.Fatal(err)
			}
			if _, err := client.Load(context.Background(), path, overheadOpts); err != nil {
				t.Fatal(err)
			}
			timeGeneration(t, local) // warm up both
			timeGeneration(t, client)
			const runs = 3
			var lw, le, cw, ce []float64
			for i := 0; i < runs; i++ {
				runLocal := func() {
					w, e := timeGeneration(t, local)
					lw, le = append(lw, w), append(le, e)
				}
				runClient := func() {
					w, e := timeGeneration(t, client)
					cw, ce = append(cw, w), append(ce, e)
				}
				if i%2 == 0 {
					runLocal()
					runClient()
				} else {
					runClient()
					runLocal()
				}
			}
			l, w := median(lw), median(cw)
			share := 100 * (1 - (w/median(ce))/(l/median(le)))
			t.Logf("%s, greedy 256 tokens, 1 thread, median of %d: local %.0f tok/s, worker %.0f tok/s (wall clock, prompt included): "+
				"overhead %.2f%%; engine-reported: local %.0f, worker %.0f tok/s; the protocol's share: %.2f%%",
				c.name, runs, l, w, 100*(l-w)/l, median(le), median(ce), share)
		})
	}
}

// BenchmarkStreamingOverhead measures the same generation in process and
// through the worker: compare the tok/s metrics of local and worker.
func BenchmarkStreamingOverhead(b *testing.B) {
	for _, m := range []struct {
		name  string
		model func(testing.TB) string
	}{{"tiny", tinyPlain}, {"stories260K", storiesModel}} {
		b.Run(m.name, func(b *testing.B) {
			path := m.model(b)
			engines := []struct {
				name string
				eng  func(b *testing.B) engine.Engine
			}{
				{"local", func(b *testing.B) engine.Engine {
					e := engine.NewLocal()
					b.Cleanup(func() { e.Close() })
					return e
				}},
				{"worker", func(b *testing.B) engine.Engine { c, _ := newClient(b); return c }},
			}
			for _, e := range engines {
				b.Run(e.name, func(b *testing.B) {
					eng := e.eng(b)
					if _, err := eng.Load(context.Background(), path, overheadOpts); err != nil {
						b.Fatal(err)
					}
					timeGeneration(b, eng)
					tokens := 0
					start := time.Now()
					for b.Loop() {
						res, err := eng.Generate(context.Background(), overheadRequest(), func(string) {})
						if err != nil {
							b.Fatal(err)
						}
						tokens += res.CompletionTokens
					}
					b.ReportMetric(float64(tokens)/time.Since(start).Seconds(), "tok/s")
				})
			}
		})
	}
}
