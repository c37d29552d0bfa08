package summarize

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

// step is one piece of a summary: a map step (level 0) over a unit, or a
// combine step (level n > 0) over pieces first..last of level n-1.
type step struct {
	level, ord  int
	first, last int
	part, parts int
	final       bool // writes the summary itself, in the style's shape
	messages    []engine.Message
	sources     []source // what the model was shown, for citations
	markers     []string // the leaf markers it covers
	leaves      []int    // the map units whose text it carries
	answer      int      // MaxTokens
	promote     bool     // the only input of a non-final combine: its text kept as it is
	stale       bool     // an input was made in this run: a saved piece is out of date
	reused      bool     // taken from a saved piece
	taker       string   // the engine making it now (live.took)
	engine      string   // the engine that made it

	done       bool
	failed     string // why it failed
	text       string
	prompt     int
	completion int
}

func (st *step) piece(id int64) store.SummaryPiece {
	p := store.SummaryPiece{SummaryID: id, Level: st.level, Ord: st.ord, First: st.first, Last: st.last,
		Part: st.part, Parts: st.parts, Status: store.PieceComplete, Text: st.text,
		PromptTokens: st.prompt, CompletionTokens: st.completion, Engine: st.engine}
	if st.failed != "" {
		p.Status, p.Error, p.Text = store.PieceFailed, st.failed, ""
	}
	return p
}

// runner runs one summary.
type runner struct {
	s      *Service
	j      *job
	chunks []store.Chunk
	lb     *labels
	p      params
	units  []unit
	saved  map[[2]int]store.SummaryPiece
	hear   listener
	counts string // how the plan's tokens were counted
	plan   string // planText of the plan

	start     time.Time
	level     int
	total     int            // pieces expected
	done      int            // pieces finished (complete or failed), saved ones included
	generated int            // pieces the engine was asked for in this run
	tokens    int            // completion tokens of this run
	planned   int            // pieces of the levels planned so far
	why       map[int]string // map unit → why its text was lost
}

// errCanceled ends a run stopped by its context.
var errCanceled = errors.New("canceled")

// execute runs a job to its end and records it: complete, partial, failed
// or canceled. The error is for what kept the summary from being recorded.
func (s *Service) execute(ctx context.Context, j *job, hear listener) (View, error) {
	bg := context.WithoutCancel(ctx)
	if err := s.reopen(bg, j); err != nil {
		return View{}, err
	}
	r := &runner{s: s, j: j, hear: hear, start: time.Now(),
		saved: map[[2]int]store.SummaryPiece{}, why: map[int]string{}}
	for _, p := range j.pieces {
		r.saved[[2]int{p.Level, p.Ord}] = p
	}
	s.log.Info("summary started", "summary", j.sum.ID, "document", j.doc.ID, "style", j.style, "model", j.info.Name)
	final, err := r.safeRun(ctx)
	status, text, coverage, errText := StatusComplete, "", "", ""
	var cites []Citation
	switch {
	case errors.Is(err, errCanceled):
		status = StatusCanceled
		errText = "Stopped before any piece was done"
		if r.done > 0 {
			errText = fmt.Sprintf("Stopped; the %s done so far are kept and summarising again goes on from there",
				plural(r.done, "piece", "pieces"))
		}
	case err != nil:
		status, errText = StatusFailed, apperr.Message(err)
	default:
		lost := r.lost(final)
		blank, berr := s.blankPages(bg, j.doc.ID)
		if berr != nil {
			return View{}, berr
		}
		coverage = DamagedCoverage(j.doc, coverageLine(r.lb, r.chunks, j.doc.Pages, r.units, lost, blank))
		switch {
		case final == nil || final.failed != "":
			status = StatusFailed
			errText = firstReason(lost)
		case len(lost) > 0:
			status = StatusPartial
		}
		if final != nil && final.failed == "" {
			text = final.text
			cites = citations(text, r.lb.index(r.chunks, r.units))
		}
		r.total = r.done
		if serr := s.st.SetSummaryTotal(bg, j.sum.ID, r.total); serr != nil {
			return View{}, serr
		}
	}
	if cites == nil {
		cites = []Citation{}
	}
	raw, _ := json.Marshal(cites)
	if ferr := s.st.FinishSummary(bg, j.sum.ID, status, text, coverage, raw, errText); ferr != nil {
		return View{}, ferr
	}
	v, verr := s.view(bg, j.sum.ID)
	if verr != nil {
		return View{}, verr
	}
	s.log.Info("summary ended", "summary", j.sum.ID, "status", status, "pieces", r.done, "generated", r.generated,
		"seconds", time.Since(r.start).Seconds(), "err", err)
	r.emit(status, &v)
	return v, nil
}

// reopen marks j's summary running, once: its failed pieces forgotten and,
// made again (force), every saved piece. The text made before stays in the
// summary's row until FinishSummary replaces it.
func (s *Service) reopen(ctx context.Context, j *job) error {
	if j.reopened {
		return nil
	}
	if err := s.st.ReopenSummary(ctx, j.sum.ID); err != nil {
		return err
	}
	if j.force {
		if err := s.st.DeletePieces(ctx, j.sum.ID, 0, 0); err != nil {
			return err
		}
	}
	j.reopened = true
	return nil
}

// run plans and runs every level; it returns the final step (nil when every
// map step failed).
func (r *runner) run(ctx context.Context) (*step, error) {
	s, j := r.s, r.j
	var err error
	if r.chunks, err = s.st.Chunks(ctx, j.doc.ID, 0, -1); err != nil {
		return nil, r.stopped(ctx, err)
	}
	if len(r.chunks) == 0 {
		return nil, apperr.New(apperr.Invalid, "%s has no text to summarise", j.doc.Name)
	}
	r.lb = newLabels(r.chunks)
	over, err := countTokens(ctx, s.eng, j.pr.overheadTexts())
	if err != nil {
		return nil, r.stopped(ctx, err)
	}
	if r.p, err = chooseWithThinking(j.info, over[0], over[1], maxAnswer(j.opts)); err != nil {
		return nil, err
	}
	if r.units, err = planUnits(ctx, s.eng, r.lb, r.chunks, r.p.mapBudget); err != nil {
		return nil, r.stopped(ctx, err)
	}
	// The plan is kept, so that the window shows the pieces still to come
	// (also after a restart), with how its tokens were counted.
	r.counts = tokenCounts(s.eng, j.info)
	if err := s.st.SetSummaryPlan(context.WithoutCancel(ctx), j.sum.ID, planOf(r.units), r.counts); err != nil {
		return nil, err
	}
	steps := make([]*step, len(r.units))
	for i, u := range r.units {
		final := len(r.units) == 1
		steps[i] = &step{ord: i, first: u.first, last: u.last, part: u.part, parts: u.parts, final: final,
			messages: j.pr.mapMessages(final, u.markers, u.text), sources: u.sources, markers: u.markers,
			leaves: []int{i}, answer: r.p.mapAnswer}
	}
	for {
		if err := r.runLevel(ctx, steps); err != nil {
			return nil, err
		}
		var alive []*step
		for _, st := range steps {
			if st.failed == "" {
				alive = append(alive, st)
			}
		}
		switch {
		case len(alive) == 0:
			return nil, nil
		case len(steps) == 1 && steps[0].final:
			return steps[0], nil
		}
		if steps, err = r.nextLevel(ctx, steps); err != nil {
			return nil, r.stopped(ctx, err)
		}
	}
}

// stopped turns an error into errCanceled when the run was stopped.
func (r *runner) stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errCanceled
	}
	return err
}

// nextLevel plans the combine steps over a finished level.
func (r *runner) nextLevel(ctx context.Context, below []*step) ([]*step, error) {
	var ins []input
	var texts []string
	for _, st := range below {
		if st.failed == "" {
			texts = append(texts, st.text)
		}
	}
	counts, err := countTokens(ctx, r.s.eng, texts)
	if err != nil {
		return nil, err
	}
	k := 0
	for _, st := range below {
		in := input{ord: st.ord, alive: st.failed == ""}
		if in.alive {
			in.text, in.tokens = st.text, counts[k]+sepTokens
			k++
		}
		ins = append(ins, in)
	}
	groups := groupInputs(ins, fanIn(r.p), r.p.reduceBudget)
	level := below[0].level + 1
	steps := make([]*step, len(groups))
	for i, g := range groups {
		final := len(groups) == 1
		st := &step{level: level, ord: i, first: g.first, last: g.last, parts: 1, final: final, answer: r.p.reduceAnswer}
		for _, in := range below[g.first : g.last+1] {
			st.stale = st.stale || !in.reused
		}
		for k, o := range g.alive {
			in := below[o]
			st.markers = appendNew(st.markers, in.markers...)
			st.leaves = append(st.leaves, in.leaves...)
			st.sources = append(st.sources, segments(g.texts[k], in.markers)...)
		}
		switch {
		case len(g.alive) == 0:
			st.failed = "every piece it would combine failed" // it keeps its place in the plan
		case len(g.alive) == 1 && !final:
			st.promote, st.text = true, below[g.alive[0]].text
		default:
			st.messages = r.j.pr.combineMessages(final, g.texts)
		}
		steps[i] = st
	}
	return steps, nil
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

// runLevel runs the steps of one level: saved pieces that match the plan
// are taken as they are, the rest run through the engine, up to P at a time.
func (r *runner) runLevel(ctx context.Context, steps []*step) error {
	bg := context.WithoutCancel(ctx)
	r.level = steps[0].level
	if err := r.reconcile(bg, steps); err != nil {
		return err
	}
	if r.level == 0 {
		r.planned = len(steps)
	} else {
		r.planned += len(steps)
	}
	r.setTotal(bg, r.planned+r.stepsAfter(steps))
	if r.level == 0 {
		r.plan = planText(len(steps), r.total, r.counts)
		r.j.live.setPlan(r.plan, r.counts)
		r.s.log.Info("summary planned", "summary", r.j.sum.ID, "plan", r.plan)
	}
	r.emit(StatusRunning, nil)
	var pending []*step
	for _, st := range steps {
		switch {
		case st.done:
		case st.promote, st.failed != "":
			if err := r.finishStep(bg, st); err != nil {
				return err
			}
		default:
			pending = append(pending, st)
		}
	}
	for len(pending) > 0 {
		if ctx.Err() != nil {
			return errCanceled
		}
		n := min(len(pending), r.p.parallel*lanes(ctx, r.s.eng))
		if err := r.generate(ctx, pending[:n]); err != nil {
			return err
		}
		pending = pending[n:]
		r.emit(StatusRunning, nil)
	}
	return nil
}

// lanes is how many engines the engine spreads a batch over (a Switch with
// endpoints taking map steps): a batch then holds P steps for each, so that
// every engine has work, instead of P steps for all of them (with P = 1, a
// small model's, the engines took turns one step at a time).
func lanes(ctx context.Context, eng Engine) int {
	if l, ok := eng.(interface{ Lanes(context.Context) int }); ok {
		return max(1, l.Lanes(ctx))
	}
	return 1
}

// stepsAfter is the number of combine steps still to come after a level:
// exact, since groupInputs groups a fixed number of pieces per step.
func (r *runner) stepsAfter(steps []*step) int {
	if len(steps) == 1 && steps[0].final {
		return 0
	}
	return reduceSteps(len(steps), r.p)
}

// reconcile takes saved pieces that match the plan and forgets the saved
// pieces of this level from the first that does not (and all above).
func (r *runner) reconcile(ctx context.Context, steps []*step) error {
	level := steps[0].level
	mismatch := -1
	for _, st := range steps {
		sp, ok := r.saved[[2]int{level, st.ord}]
		if !ok {
			continue
		}
		if sp.First != st.first || sp.Last != st.last || sp.Part != st.part || max(sp.Parts, 1) != st.parts {
			mismatch = st.ord
			break
		}
		if st.stale {
			continue // made again, replacing the saved piece
		}
		st.done, st.reused, st.text = true, true, sp.Text
		st.prompt, st.completion = sp.PromptTokens, sp.CompletionTokens
		st.failed, st.promote = "", false
		r.done++
	}
	for key := range r.saved {
		if key[0] == level && key[1] >= len(steps) && mismatch < 0 {
			mismatch = len(steps)
		}
	}
	if mismatch < 0 {
		return nil
	}
	for key := range r.saved {
		if key[0] > level || (key[0] == level && key[1] >= mismatch) {
			delete(r.saved, key)
		}
	}
	return r.s.st.DeletePieces(ctx, r.j.sum.ID, level, mismatch)
}

// generate runs a batch of steps as parallel sequences and saves each piece
// as it ends: as soon as its engine answers it when the engine reports
// each answer (a batch spread over engines), else when the batch ends. A
// batch the engine refuses runs again one step at a time, so one failing
// step fails alone.
func (r *runner) generate(ctx context.Context, batch []*step) error {
	bg := context.WithoutCancel(ctx)
	if err := r.sameModel(ctx); err != nil {
		return err
	}
	reqs := make([]engine.Request, len(batch))
	for i, st := range batch {
		reqs[i] = r.stepRequest(st)
	}
	out := make([]strings.Builder, len(batch))
	onPiece := func(i int, piece string) {
		if i >= 0 && i < len(out) {
			out[i].WriteString(piece)
		}
	}
	defer func() { r.j.live.settle(batch, time.Now()) }()
	var saveErr error
	answered := func(i int, res engine.Result) {
		st := batch[i]
		if st.done || res.StopReason == engine.StopCanceled {
			return
		}
		st.engine = cmp.Or(st.taker, LocalEngine)
		r.j.live.answered(st, res.CompletionTokens, time.Now())
		st.text = cite(answerOf(out[i].String()), st.sources) // citations come from the answer, never the thinking
		if !hasWords(st.text) {
			st.text = extract(r.j.style, st.sources, st.answer*3/4)
		}
		st.prompt, st.completion = res.PromptTokens, res.CompletionTokens
		r.generated++
		r.tokens += res.CompletionTokens
		if err := r.finishStep(bg, st); err != nil {
			saveErr = cmp.Or(saveErr, err)
			return
		}
		r.emit(StatusRunning, nil)
	}
	var res []engine.Result
	var err error
	if rep, ok := r.s.eng.(reporter); ok {
		res, err = rep.GenerateBatchReport(ctx, reqs, onPiece, func(i int, name string, got *engine.Result) {
			switch {
			case i < 0 || i >= len(batch):
			case got == nil:
				r.take(batch[i], name)
			default:
				answered(i, *got)
			}
		}, func(name, why string) {
			r.j.live.satOut(name, why)
			r.emit(StatusRunning, nil)
		})
	} else {
		for _, st := range batch {
			r.take(st, LocalEngine)
		}
		res, err = r.s.eng.GenerateBatch(ctx, reqs, onPiece)
	}
	var left []*step // steps no answer was saved for yet
	for _, st := range batch {
		if !st.done {
			left = append(left, st)
		}
	}
	switch {
	case saveErr != nil:
		return saveErr
	case ctx.Err() != nil && err != nil:
		return errCanceled
	case err != nil && apperr.CodeOf(err) == apperr.Unavailable:
		return err
	case err != nil && len(left) > 1:
		r.s.log.Warn("summary batch failed; running its steps one at a time", "summary", r.j.sum.ID, "err", err)
		r.j.live.settle(left, time.Now())
		for _, st := range left {
			if err := r.generate(ctx, []*step{st}); err != nil {
				return err
			}
		}
		return nil
	case err != nil && len(left) == 1:
		r.s.log.Warn("summary piece failed", "summary", r.j.sum.ID, "level", left[0].level, "ord", left[0].ord, "err", err)
		left[0].failed = apperr.Message(err)
		left[0].engine = left[0].taker
		r.generated++
		return r.finishStep(bg, left[0])
	case err != nil:
		return nil // every step was answered before the engine failed
	case len(res) != len(batch):
		return apperr.New(apperr.Internal, "the engine answered %d of %d requests", len(res), len(batch))
	}
	canceled := false
	for i, st := range batch {
		if st.done {
			continue
		}
		if res[i].StopReason == engine.StopCanceled {
			canceled = true
			continue
		}
		if answered(i, res[i]); saveErr != nil {
			return saveErr
		}
	}
	if canceled || ctx.Err() != nil {
		return errCanceled
	}
	return nil
}

// sameModel checks that the model the summary is keyed to is still the one
// loaded: pieces from another model would be saved under the wrong key.
func (r *runner) sameModel(ctx context.Context) error {
	info, ok := r.s.eng.Model(ctx)
	switch {
	case !ok:
		return apperr.New(apperr.Unavailable, "the model was unloaded while summarising; choose a model and summarise again")
	case info.Path != r.j.info.Path || info.SizeBytes != r.j.info.SizeBytes || info.ContextSize != r.j.info.ContextSize:
		return apperr.New(apperr.Conflict, "the model was changed while summarising; summarise again to use the new one")
	}
	return nil
}

// finishStep saves a finished step's piece; a failed step's reason goes to
// the map units it carried.
func (r *runner) finishStep(ctx context.Context, st *step) error {
	if st.failed != "" {
		for _, l := range st.leaves {
			if r.why[l] == "" {
				r.why[l] = st.failed
			}
		}
	}
	if err := r.s.st.SavePiece(ctx, st.piece(r.j.sum.ID)); err != nil {
		return err
	}
	st.done = true
	r.done++
	if st.level == 0 && r.hear.piece != nil {
		r.hear.piece(r.pieceOf(st))
	}
	return nil
}

// lost maps each map unit whose text did not reach the final step to why.
func (r *runner) lost(final *step) map[int]string {
	reached := map[int]bool{}
	if final != nil && final.failed == "" {
		for _, l := range final.leaves {
			reached[l] = true
		}
	}
	lost := map[int]string{}
	for i := range r.units {
		if !reached[i] {
			lost[i] = r.why[i]
			if lost[i] == "" {
				lost[i] = "it was not summarised"
			}
		}
	}
	return lost
}

func firstReason(lost map[int]string) string {
	keys := sortedKeys(lost)
	if len(keys) == 0 {
		return ""
	}
	return lost[keys[0]]
}

func (r *runner) setTotal(ctx context.Context, total int) {
	if total == r.total {
		return
	}
	r.total = total
	if err := r.s.st.SetSummaryTotal(ctx, r.j.sum.ID, total); err != nil {
		r.s.log.Warn("could not save a summary's progress", "summary", r.j.sum.ID, "err", err)
	}
}

// safeRun is run with a bug caught: a panic while planning or combining
// ends the summary as failed (its pieces kept) instead of ending Chapel.
func (r *runner) safeRun(ctx context.Context) (final *step, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.s.log.Error("summary panicked", "summary", r.j.sum.ID, "panic", p, "stack", string(debug.Stack()))
			final, err = nil, apperr.New(apperr.Internal, "the summary stopped because of a bug in Chapel; the pieces done so far are kept")
		}
	}()
	return r.run(ctx)
}
