// Package summarize owns document summaries: it plans a map-reduce over a
// document's chunks that fits the loaded model's context (every chunk is read
// by exactly one map step), runs the steps as parallel sequences through the
// engine, saves every partial summary as it completes so a stopped or failed
// summary resumes where it left off, and ends with a text whose every claim
// carries a citation marker ("[p. 5]", "[pp. 12–14]", "[§ Title]",
// "[¶ 3–5]") that points at existing chunks, plus a coverage line saying
// which parts of the document the summary covers.
//
// The prompts are plain files, one per style, in prompts/.
package summarize

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"

	"lukechampine.com/blake3"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

// Summary statuses, as View.Status and Progress.Status report them.
const (
	StatusPending  = "pending" // not started (for lists of styles without a summary yet)
	StatusRunning  = store.SummaryRunning
	StatusComplete = store.SummaryComplete
	StatusPartial  = store.SummaryPartial // some pieces failed
	StatusFailed   = store.SummaryFailed
	StatusCanceled = store.SummaryCanceled
)

// Styles a summary can be written in.
var Styles = []string{"brief", "detailed", "keypoints"}

// Engine is what summaries need from the engine.
type Engine interface {
	Model(ctx context.Context) (engine.ModelInfo, bool)
	CountTokens(ctx context.Context, texts []string) ([]int, error)
	GenerateBatch(ctx context.Context, reqs []engine.Request, onPiece func(int, string)) ([]engine.Result, error)
}

// Citation is one marker used in a summary and the chunks it points at.
type Citation struct {
	Marker     string `json:"marker"`
	FirstChunk int    `json:"first_chunk"`
	LastChunk  int    `json:"last_chunk"`
	PageStart  int    `json:"page_start"`
	PageEnd    int    `json:"page_end"`
	Section    string `json:"section"`
}

// View is one summary of one document in one style.
type View struct {
	ID          int64      `json:"id"`
	DocumentID  int64      `json:"document_id"`
	Style       string     `json:"style"`
	Model       string     `json:"model"`
	Status      string     `json:"status"`
	Text        string     `json:"text"`
	Coverage    string     `json:"coverage"`
	Citations   []Citation `json:"citations"`
	PiecesDone  int        `json:"pieces_done"`
	PiecesTotal int        `json:"pieces_total"`
	// ChunksSummarized counts the chunks whose map pieces are done (all of
	// them when complete).
	ChunksSummarized int    `json:"chunks_summarized"`
	Error            string `json:"error"`
	// Plan says what the plan is ("9 parts, then 3 steps combining them ·
	// token counts …"); TokenCounts how its tokens were counted
	// (CountsTokenizer, CountsServer, CountsEstimate; "" when unknown).
	Plan        string `json:"plan"`
	TokenCounts string `json:"token_counts"`
	CreatedAt   int64  `json:"created_at"`
	UpdatedAt   int64  `json:"updated_at"`
	// Elsewhere: another Chapel process (a window, a CLI command) is making
	// this summary now; this one cannot run it until that one lets go.
	Elsewhere bool `json:"elsewhere"`
}

// Progress is the payload of the summary:progress:<summary id> events. The
// final event (Status not "running") carries the finished View.
type Progress struct {
	SummaryID       int64   `json:"summary_id"`
	DocumentID      int64   `json:"document_id"`
	Status          string  `json:"status"`
	PiecesDone      int     `json:"pieces_done"`
	PiecesTotal     int     `json:"pieces_total"`
	Level           int     `json:"level"`
	TokensPerSecond float64 `json:"tokens_per_second"`
	ETASeconds      float64 `json:"eta_seconds"` // -1 until a piece has been generated
	// Engines is what each engine did in this run, in the order they first
	// took a piece (one entry, "local", when nothing is spread).
	Engines     []EngineProgress `json:"engines"`
	Plan        string           `json:"plan"`
	TokenCounts string           `json:"token_counts"`
	View        *View            `json:"view,omitempty"`
}

// ProgressEvent is the event name a summary's progress is emitted on.
func ProgressEvent(summaryID int64) string { return fmt.Sprintf("summary:progress:%d", summaryID) }

// Request names a summary to make: a document in a style, with the model
// loaded now. Force makes it again from the start: saved pieces are not
// reused, and a complete summary is made anew. The text of the summary
// made before stays until the new one completes (a forced run that is
// stopped or fails keeps it; summarising again then resumes the new run).
type Request struct {
	DocumentID int64
	Style      string
	Force      bool
}

// listener hears a run: its progress, and each map piece taken and saved.
type listener struct {
	progress func(Progress)
	piece    func(Piece)
}

// Options tune the summaries a Service makes. They are part of the cache
// key: a change makes new summaries.
type Options struct {
	MaxAnswerTokens int // most tokens one step may write; 0 = 256
}

// Service makes summaries. It is safe for concurrent use; one summary (a
// document, style and model) runs at most once at a time.
type Service struct {
	st   *store.Store
	eng  Engine
	log  *slog.Logger
	opts Options

	locks RunLocks // nil: runs are kept apart in this process only

	mu     sync.Mutex
	runs   map[int64]*active // by summary id
	closed bool
	wg     sync.WaitGroup
}

type active struct {
	documentID int64
	cancel     context.CancelFunc
	done       chan struct{} // closed when the run has ended
	live       *live
	release    func() // drops the run's cross-process lock
}

// New returns a Service. log may be nil.
func New(st *store.Store, eng Engine, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: st, eng: eng, log: log, runs: map[int64]*active{}}
}

// SetOptions changes the options of summaries started from now on.
func (s *Service) SetOptions(o Options) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts = o
}

// Summarize makes (or resumes, or returns the cached) summary of a document
// in a style and returns it when it is finished. onProgress may be nil.
// Cancelling ctx stops it: the View comes back canceled with the pieces done
// so far kept, and the error is nil.
func (s *Service) Summarize(ctx context.Context, documentID int64, style string, onProgress func(Progress)) (View, error) {
	return s.SummarizeRequest(ctx, Request{DocumentID: documentID, Style: style}, onProgress)
}

// SummarizeRequest is Summarize for a Request (Force: made again).
func (s *Service) SummarizeRequest(ctx context.Context, req Request, onProgress func(Progress)) (View, error) {
	j, err := s.prepare(ctx, req)
	if err != nil {
		return View{}, err
	}
	if j.cached {
		return j.view(), nil
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := s.register(j, cancel); err != nil {
		return View{}, err
	}
	defer s.wg.Done()
	defer s.unregister(j.sum.ID)
	return s.execute(runCtx, j, listener{progress: onProgress})
}

// Start begins (or resumes) a summary and returns at once: the cached View
// when a complete one exists, else a running View whose progress is emitted
// as Progress on ProgressEvent(view.ID), the last event carrying the
// finished View, and each map piece as Piece on PieceEvent(view.ID) when an
// engine takes it and when it is saved. A summary already running comes
// back as it is.
func (s *Service) Start(documentID int64, style string, emit func(name string, payload any)) (View, error) {
	return s.StartRequest(Request{DocumentID: documentID, Style: style}, emit)
}

// StartRequest is Start for a Request (Force: made again).
func (s *Service) StartRequest(req Request, emit func(name string, payload any)) (View, error) {
	ctx := context.Background()
	j, err := s.prepare(ctx, req)
	if err != nil {
		return View{}, err
	}
	if j.cached {
		return j.view(), nil
	}
	runCtx, cancel := context.WithCancel(ctx)
	if err := s.register(j, cancel); err != nil {
		cancel()
		if errors.Is(err, ErrElsewhere) {
			// Another process makes it: say so, with what it has saved.
			v, verr := s.view(ctx, j.sum.ID)
			if verr != nil {
				v = j.view()
			}
			v.Elsewhere = true
			return v, nil
		}
		if apperr.CodeOf(err) == apperr.Conflict {
			return j.view(), nil
		}
		return View{}, err
	}
	if err := s.reopen(ctx, j); err != nil {
		s.unregister(j.sum.ID)
		s.wg.Done()
		cancel()
		return View{}, err
	}
	v := j.view()
	v.Status, v.Error = StatusRunning, ""
	name, pieceName := ProgressEvent(j.sum.ID), PieceEvent(j.sum.ID)
	hear := listener{progress: func(p Progress) { emit(name, p) }, piece: func(p Piece) { emit(pieceName, p) }}
	go func() {
		defer s.wg.Done()
		defer s.unregister(j.sum.ID)
		defer cancel()
		if _, err := s.execute(runCtx, j, hear); err != nil {
			s.log.Error("summary failed", "summary", j.sum.ID, "err", err)
			// The summary could not be recorded: say it failed all the same.
			v, verr := s.view(context.Background(), j.sum.ID)
			if verr != nil {
				v = j.view()
			}
			if v.Status == StatusRunning || verr != nil {
				v.Status, v.Error = StatusFailed, apperr.Message(err)
			}
			emit(name, Progress{SummaryID: v.ID, DocumentID: v.DocumentID, Status: v.Status, PiecesDone: v.PiecesDone,
				PiecesTotal: v.PiecesTotal, ETASeconds: -1, Engines: []EngineProgress{}, Plan: v.Plan, TokenCounts: v.TokenCounts, View: &v})
		}
	}()
	return v, nil
}

// Stop stops the summaries of a document that are running; the pieces done
// so far are kept. Stopping when nothing runs is not an error.
func (s *Service) Stop(documentID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.runs {
		if a.documentID == documentID {
			a.cancel()
		}
	}
	return nil
}

// Close stops every running summary and waits for them to save what they
// have, or for ctx to end.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for _, a := range s.runs {
		a.cancel()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return apperr.Wrap(apperr.Unavailable, ctx.Err(), "summaries were still saving when Chapel closed")
	}
}

// List returns the summaries of a document, most recently updated first.
func (s *Service) List(ctx context.Context, documentID int64) ([]View, error) {
	sums, err := s.st.ListSummaries(ctx, documentID)
	if err != nil {
		return nil, err
	}
	out := make([]View, len(sums))
	for i, sum := range sums {
		if sum.Status == StatusRunning {
			if sum, err = s.settle(ctx, sum); err != nil {
				return nil, err
			}
		}
		ps, err := s.st.Pieces(ctx, sum.ID)
		if err != nil {
			return nil, err
		}
		out[i] = viewOf(sum, ps)
		out[i].Elsewhere = sum.Status == StatusRunning && s.locks != nil && s.liveOf(sum.ID) == nil
	}
	return out, nil
}

// job is a summary about to run: what prepare found.
type job struct {
	doc    store.Document
	info   engine.ModelInfo
	style  string
	pr     prompt
	opts   Options
	sum    store.Summary
	pieces []store.SummaryPiece // saved complete pieces
	cached bool                 // sum is complete: nothing to run
	force  bool                 // made again: saved pieces are forgotten when it starts
	live   *live
	// reopened: the summary is marked running (reopen), before Start
	// returns, so that the window reads it as it runs.
	reopened bool
}

func (j *job) view() View { return viewOf(j.sum, j.pieces) }

// prepare checks the request and finds or creates the summary row; a
// complete summary comes back with cached set: nothing to run.
func (s *Service) prepare(ctx context.Context, req Request) (*job, error) {
	documentID, style := req.DocumentID, req.Style
	pr, ok := prompts[style]
	if !ok {
		return nil, apperr.New(apperr.Invalid, "there is no %q summary style; choose brief, detailed or keypoints", style)
	}
	info, ok := s.eng.Model(ctx)
	if !ok {
		return nil, apperr.New(apperr.Unavailable, "no model is loaded; choose a model first")
	}
	doc, err := s.st.GetDocument(ctx, documentID)
	if err != nil {
		return nil, err
	}
	if doc.Chunks == 0 {
		return nil, apperr.New(apperr.Invalid, "%s has no text to summarise (a scanned document needs text recognition first)", doc.Name)
	}
	s.mu.Lock()
	opts, closed := s.opts, s.closed
	s.mu.Unlock()
	if closed {
		return nil, apperr.New(apperr.Unavailable, "Chapel is closing")
	}
	key := cacheKey(doc, info, pr, opts)
	sum, pieces, err := s.st.StartSummary(ctx, documentID, style, key, info.Name)
	if err != nil {
		return nil, err
	}
	j := &job{doc: doc, info: info, style: style, pr: pr, opts: opts, sum: sum, force: req.Force, live: newLive()}
	for _, p := range pieces {
		if p.Status == store.PieceComplete && !req.Force {
			j.pieces = append(j.pieces, p)
		}
	}
	if sum.Status == StatusComplete && !req.Force {
		j.cached = true
	}
	return j, nil
}

// errRunning refuses a second run of a summary in this process (Start
// joins the first instead).
func errRunning() error { return apperr.New(apperr.Conflict, "this summary is already being made") }

// register records a run of j's summary, refusing a second one in this
// process (errRunning) or while another process makes it (ErrElsewhere).
// The run holds the summary's cross-process lock until unregister.
func (s *Service) register(j *job, cancel context.CancelFunc) error {
	if err := s.registrable(j.sum.ID); err != nil {
		return err
	}
	// Taken without s.mu: a held lock is asked for again after a pause.
	release, ok, err := s.tryLock(j.sum.ID)
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, err, "could not lock the summary")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok {
		if _, here := s.runs[j.sum.ID]; here {
			return errRunning() // a run in this process took it meanwhile
		}
		return ErrElsewhere
	}
	if err := s.registrableLocked(j.sum.ID); err != nil {
		release()
		return err
	}
	s.runs[j.sum.ID] = &active{documentID: j.doc.ID, cancel: cancel, done: make(chan struct{}), live: j.live, release: release}
	s.wg.Add(1)
	return nil
}

func (s *Service) registrable(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.registrableLocked(id)
}

func (s *Service) registrableLocked(id int64) error {
	if s.closed {
		return apperr.New(apperr.Unavailable, "Chapel is closing")
	}
	if _, ok := s.runs[id]; ok {
		return errRunning()
	}
	return nil
}

func (s *Service) unregister(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.runs[id]; a != nil {
		close(a.done)
		a.release()
	}
	delete(s.runs, id)
}

// liveOf returns what the run of summary id is doing, or nil when it is
// not running.
func (s *Service) liveOf(id int64) *live {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.runs[id]; a != nil {
		return a.live
	}
	return nil
}

func (s *Service) view(ctx context.Context, id int64) (View, error) {
	sum, err := s.st.GetSummary(ctx, id)
	if err != nil {
		return View{}, err
	}
	ps, err := s.st.Pieces(ctx, id)
	if err != nil {
		return View{}, err
	}
	return viewOf(sum, ps), nil
}

func viewOf(sum store.Summary, pieces []store.SummaryPiece) View {
	v := View{ID: sum.ID, DocumentID: sum.DocumentID, Style: sum.Style, Model: sum.Model, Status: sum.Status,
		Text: sum.Text, Coverage: sum.Coverage, Citations: []Citation{}, PiecesDone: sum.PiecesDone,
		PiecesTotal: sum.PiecesTotal, ChunksSummarized: chunksDone(pieces), Error: sum.Error,
		TokenCounts: sum.TokenCounts, CreatedAt: sum.CreatedAt, UpdatedAt: sum.UpdatedAt}
	if len(sum.Citations) > 0 {
		_ = json.Unmarshal(sum.Citations, &v.Citations) // written by this package; a bad value shows none
	}
	var plan []planStep
	_ = json.Unmarshal(sum.MapPlan, &plan) // written by this package; a bad value says nothing of the plan
	v.Plan = planText(len(plan), sum.PiecesTotal, sum.TokenCounts)
	return v
}

// planVersion changes when planning or post-processing changes what a
// summary says, so older cached summaries are not reused.
const planVersion = "2" // 2: page breaks reach the model as blank lines

// cacheKey names everything that changes a summary's text: the document,
// the model, the style's prompts and the planning parameters.
func cacheKey(doc store.Document, info engine.ModelInfo, pr prompt, opts Options) string {
	h := blake3.New(32, nil)
	fmt.Fprintf(h, "plan %s\ndoc %s\nmodel %s|%d|%s\nstyle %s\nprompts %s\nctx %d\nsampling %+v\nanswer %d\n",
		planVersion, doc.Blake3, info.Name, info.SizeBytes, filepath.Base(info.Path), pr.style, pr.version,
		info.ContextSize, sampling, maxAnswer(opts))
	if info.Reasoning {
		// Thinking turned off, or stripped with room for it, changes the text.
		fmt.Fprintf(h, "thinking %q\n", info.ThinkSwitch)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sampling is deterministic enough that a summary made twice reads the same.
var sampling = engine.Sampling{Temperature: 0.2, TopK: 40, TopP: 0.9, MinP: 0.05, RepeatPenalty: 1.1, RepeatLastN: 64, Seed: 42}

func maxAnswer(o Options) int {
	if o.MaxAnswerTokens > 0 {
		return o.MaxAnswerTokens
	}
	return 256
}
