package summarize

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/engine"
)

// LocalEngine is the name of the engine on this computer in
// EngineProgress.Engine and Piece.Engine (an endpoint is named by its
// description, "Name (URL)").
const LocalEngine = "local"

// EngineProgress is what one engine did in the run under way: pieces it
// answered, pieces it is making now and its speed (completion tokens per
// second of the time it had a piece in flight).
type EngineProgress struct {
	Engine          string  `json:"engine"`
	Done            int     `json:"done"`
	InFlight        int     `json:"in_flight"`
	TokensPerSecond float64 `json:"tokens_per_second"`
	// SitsOut says why an endpoint that takes part in summaries sat the
	// last batch out ("its context (2,048 tokens) is shorter than a step
	// needs (4,096)"); "" while it takes its share.
	SitsOut string `json:"sits_out,omitempty"`
}

// reporter is an engine that says which engine took and which answered
// each request of a batch (remote.Switch, spreading a batch over the local
// engine and endpoints), and which endpoints sat the batch out and why.
// res is nil when engine took request i, and the request's result when
// engine answered it.
type reporter interface {
	GenerateBatchReport(ctx context.Context, reqs []engine.Request, onPiece func(int, string),
		report func(i int, engine string, res *engine.Result), out func(engine, why string)) ([]engine.Result, error)
}

// estimator is an engine that can say its token counts are estimates (an
// endpoint without a tokenizer).
type estimator interface{ TokenCountsEstimated() bool }

// remoteArchitecture is the ModelInfo.Architecture of an endpoint's model.
const remoteArchitecture = "remote"

// Token counts, as View.TokenCounts and Progress.TokenCounts name them.
const (
	CountsTokenizer = "tokenizer" // the local model's own tokenizer
	CountsServer    = "server"    // the endpoint's POST /tokenize
	CountsEstimate  = "estimate"  // a conservative estimate: the endpoint has no tokenizer
)

// tokenCounts says how the current engine counted the plan's tokens.
func tokenCounts(eng Engine, info engine.ModelInfo) string {
	if e, ok := eng.(estimator); ok && e.TokenCountsEstimated() {
		return CountsEstimate
	}
	if info.Architecture == remoteArchitecture {
		return CountsServer
	}
	return CountsTokenizer
}

// live is what a running summary is doing now, read by the window (Outline)
// while the run goes on: the map pieces in flight and each engine's tally.
type live struct {
	mu       sync.Mutex
	inFlight map[int]string // map piece ord → engine making it
	order    []string
	stats    map[string]*engineStat
	plan     string
	counts   string
}

type engineStat struct {
	done, inFlight, tokens int
	busy                   time.Duration
	since                  time.Time // when inFlight last went from 0 to 1
	sitsOut                string    // why it sat the last batch out
}

func newLive() *live { return &live{inFlight: map[int]string{}, stats: map[string]*engineStat{}} }

func (l *live) stat(name string) *engineStat {
	s := l.stats[name]
	if s == nil {
		s = &engineStat{}
		l.stats[name] = s
		l.order = append(l.order, name)
	}
	return s
}

// took records that engine name started on st (maybe after another engine
// dropped it).
func (l *live) took(st *step, name string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st.taker != "" {
		l.release(st.taker, now)
	}
	st.taker = name
	s := l.stat(name)
	s.sitsOut = ""
	if s.inFlight == 0 {
		s.since = now
	}
	s.inFlight++
	if st.level == 0 {
		l.inFlight[st.ord] = name
	}
}

// answered records that the engine that took st answered it with tokens.
func (l *live) answered(st *step, tokens int, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st.taker == "" {
		return
	}
	s := l.stat(st.taker)
	s.done++
	s.tokens += tokens
	l.release(st.taker, now)
	st.taker = ""
	if st.level == 0 {
		delete(l.inFlight, st.ord)
	}
}

// satOut records that engine name sat a batch out, and why; the note
// goes when it takes a piece again.
func (l *live) satOut(name, why string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stat(name).sitsOut = why
}

// settle forgets what is still in flight of a batch that ended (failed or
// stopped steps).
func (l *live) settle(batch []*step, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, st := range batch {
		if st.taker != "" {
			l.release(st.taker, now)
			st.taker = ""
		}
		if st.level == 0 {
			delete(l.inFlight, st.ord)
		}
	}
}

func (l *live) release(name string, now time.Time) {
	s := l.stat(name)
	if s.inFlight == 0 {
		return
	}
	s.inFlight--
	if s.inFlight == 0 {
		s.busy += now.Sub(s.since)
	}
}

// engines lists each engine's tally, in the order they first took a piece
// or sat a batch out.
func (l *live) engines(now time.Time) []EngineProgress {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]EngineProgress, 0, len(l.order))
	for _, name := range l.order {
		s := l.stats[name]
		busy := s.busy
		if s.inFlight > 0 {
			busy += now.Sub(s.since)
		}
		e := EngineProgress{Engine: name, Done: s.done, InFlight: s.inFlight, SitsOut: s.sitsOut}
		if busy > 0 {
			e.TokensPerSecond = math.Round(float64(s.tokens)/busy.Seconds()*10) / 10
		}
		out = append(out, e)
	}
	return out
}

// making returns the engine making map piece ord now, if any.
func (l *live) making(ord int) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	name, ok := l.inFlight[ord]
	return name, ok
}

func (l *live) setPlan(plan, counts string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.plan, l.counts = plan, counts
}

func (l *live) planned() (plan, counts string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.plan, l.counts
}

// emit reports progress: tokens per second over the run's wall time, the
// time left from the seconds per generated piece so far, and each engine's
// tally.
func (r *runner) emit(status string, v *View) {
	if r.hear.progress == nil {
		return
	}
	now := time.Now()
	elapsed := now.Sub(r.start).Seconds()
	p := Progress{SummaryID: r.j.sum.ID, DocumentID: r.j.doc.ID, Status: status, PiecesDone: r.done,
		PiecesTotal: max(r.total, r.done), Level: r.level, ETASeconds: -1, Engines: r.j.live.engines(now),
		Plan: r.plan, TokenCounts: r.counts, View: v}
	if elapsed > 0 {
		p.TokensPerSecond = math.Round(float64(r.tokens)/elapsed*10) / 10
	}
	switch {
	case status != StatusRunning:
		p.ETASeconds = 0
	case r.generated > 0:
		p.ETASeconds = math.Round(elapsed / float64(r.generated) * float64(max(0, r.total-r.done)))
	}
	r.hear.progress(p)
}

// take records that engine name started on st; a map piece says so.
func (r *runner) take(st *step, name string) {
	r.j.live.took(st, name, time.Now())
	if st.level == 0 && r.hear.piece != nil {
		r.hear.piece(r.pieceOf(st))
	}
}

// pieceOf is a map step as the window shows it.
func (r *runner) pieceOf(st *step) Piece {
	pc := Piece{SummaryID: r.j.sum.ID, Ord: st.ord, FirstChunk: st.first, LastChunk: st.last, Part: st.part, Parts: st.parts,
		Label: r.lb.label(r.chunks, st.first, st.last, st.part, st.parts), Status: PieceRunning, Engine: st.taker,
		Citations: []Citation{}}
	switch {
	case st.failed != "":
		pc.Status, pc.Engine, pc.Error = PieceFailed, st.engine, st.failed
	case st.done:
		pc.Status, pc.Engine, pc.Text = PieceDone, st.engine, st.text
		pc.Citations = citations(st.text, r.lb.index(r.chunks, []unit{{first: st.first, last: st.last}}))
	}
	return pc
}
