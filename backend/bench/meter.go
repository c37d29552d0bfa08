package bench

import (
	"context"
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/engine"
)

// Meter wraps an engine and adds up what a pipeline (summaries) asks of it:
// how many prompt tokens its batches decoded and how long that took (from
// the call until the first generated piece), how many tokens it generated,
// and how long the engine was busy at all. The summary benchmark compares
// its prompt rate with the engine's own, measured alone: the pipeline must
// not waste the engine.
type Meter struct {
	engine.Engine

	mu           sync.Mutex
	Calls        int
	Steps        int           // requests over all calls (a call holds up to engine.MaxParallel)
	PromptTokens int           // decoded (cached tokens left out)
	PromptTime   time.Duration // call start → first piece, summed over calls
	Completion   int
	EngineTime   time.Duration // inside GenerateBatch, summed
	Started      time.Time     // when the first GenerateBatch began
}

// Lanes passes on how many engines the wrapped engine spreads a batch over
// (a remote.Switch), so the pipeline fills its batches as it would unmetered.
func (m *Meter) Lanes(ctx context.Context) int {
	if l, ok := m.Engine.(interface{ Lanes(context.Context) int }); ok {
		return l.Lanes(ctx)
	}
	return 1
}

// GenerateBatch implements summarize.Engine, timing the call.
func (m *Meter) GenerateBatch(ctx context.Context, reqs []engine.Request, onPiece func(int, string)) ([]engine.Result, error) {
	start := time.Now()
	m.mu.Lock()
	if m.Started.IsZero() {
		m.Started = start
	}
	m.mu.Unlock()
	var first time.Duration
	res, err := m.Engine.GenerateBatch(ctx, reqs, func(i int, s string) {
		if first == 0 {
			first = time.Since(start)
		}
		onPiece(i, s)
	})
	total := time.Since(start)
	if first == 0 {
		first = total
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil {
		m.Calls++
		m.Steps += len(res)
		m.PromptTime += first
		m.EngineTime += total
		for _, r := range res {
			m.PromptTokens += r.PromptTokens - r.CachedTokens
			m.Completion += r.CompletionTokens
		}
	}
	return res, err
}

// PromptTPS is the prompt tokens per second inside the pipeline.
func (m *Meter) PromptTPS() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.PromptTime <= 0 {
		return 0
	}
	return float64(m.PromptTokens) / m.PromptTime.Seconds()
}
