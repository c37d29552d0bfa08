package engine

import (
	"slices"
	"time"

	"github.com/chapelapp/chapel/backend/llama"
)

// Why the engine tunes its thread count while it runs: ggml's threads meet
// at a spinning barrier after every operation of the graph. When another
// process takes a core, the thread on that core is preempted for a whole
// scheduler slice while the others spin, and two threads on two cores fell
// from 1,181 to 28 tok/s (stories260K) where one thread kept 1,366. No
// fixed count is right: idle, every core helps; under load, fewer threads
// than cores are faster. So each decode is timed, and the tuner moves to
// whichever thread count gives the shortest time per token, checking the
// others now and then and at once when a step suddenly takes much longer.
// What the operating system says other programs take of the cores moves
// the count too, before a decode pays for it (threads_sense.go).
// What a tuner settled on outlives its load, as the next load's start
// (threads_memory.go).

// Decode sizes are tuned apart: one token (a reply's steps), a few tokens
// (parallel sequences' steps) and prompt batches differ in cost per token
// and in how much a preempted thread hurts.
const (
	classToken = iota
	classSteps
	classPrompt
	nClasses
)

func sizeClass(nTokens int) int {
	switch {
	case nTokens <= 1:
		return classToken
	case nTokens < 32:
		return classSteps
	}
	return classPrompt
}

// tunerWindow is how many recent timings are kept per thread count.
const tunerWindow = 8

// threadTuner chooses the threads for each decode from measured times. It
// is owned by the goroutine that owns the llama context.
type threadTuner struct {
	max     int
	fixed   bool // LoadOptions.FixedThreads: never change
	blind   bool // LoadOptions.IgnoreMachineLoad: timings alone move the counts
	tiny    bool // a small model's (small): trials of taken cores wait longer
	classes [nClasses]tunerArm
	sensed  uint64 // the last cpuReading applied (threads_sense.go)
}

type tunerArm struct {
	cur       int                     // thread count in use
	times     map[int][]time.Duration // recent time per token, by thread count
	ratio     map[int]float64         // a count's last trial: its time per token ÷ the count in use then
	since     int                     // decodes since the last probe
	period    int                     // decodes between probes (doubles while cur stays best)
	probe     int                     // thread count under trial; 0 = none
	probeLeft int
	turn      int  // which kind of trial comes next: one more, one fewer, half
	settled   bool // cur was measured (or remembered from an earlier run), not just the ceiling
	assumed   int  // how many of times[cur]'s oldest entries are baseline's, not measured
	// paired classes: the trial decode's time per token, waiting (with
	// probe still set) for its control decode at cur; 0: none waits
	pairTrial time.Duration
	// the count to go back to when the cores other programs took are
	// free again (threads_sense.go); 0: none was given up
	held int
}

// probe schedule per class: decodes between probes at first and at most,
// and how many decodes a trial lasts.
// A scheduled trial also waits for `known` timings of the count in use:
// one slow first step (cold caches) must not make a worse count look better.
// A paired class's trial is one short decode (pairTokens) at the count
// under trial followed by one as short at the count in use, the two judged
// against each other: a prompt batch is up to 512 tokens, and a trial of
// one thread on an idle 2-core machine took 7.1 s where two threads took
// 3.8 (the 1B) — a sixth of a short summary's prompt time went on one
// trial. Same-size decodes back to back compare fairly; a short one
// against the window of full batches would not (short batches cost more
// per token).
var tunerSchedule = [nClasses]schedule{
	classToken:  {first: 1, most: 1 << 16, trial: 3, known: 4},
	classSteps:  {first: 2, most: 1 << 14, trial: 3, known: 4},
	classPrompt: {first: 1, most: 1 << 10, trial: 1, known: 2, paired: true},
}

type schedule struct {
	first, most, trial, known int
	paired                    bool
}

// pairTokens is how many tokens a paired trial's two decodes hold each
// (still a prompt batch: at least 32).
const pairTokens = 64

// probeBudget is the share of the time trials may cost. A thread count
// whose last trial took r times as long per token as the count in use is
// tried again only after r·trial/probeBudget decodes: a count that
// collapsed 600-fold (a tiny model on a busy machine) waits tens of
// thousands of steps, one that lost 20 % is tried again after about a
// hundred.
const probeBudget = 0.03

// spikeFactor: a step this many times slower than the usual one at the
// same thread count means something else took a core: probe fewer threads.
const spikeFactor = 2.5

// betterBy: a trial of more threads wins when its time per token is at
// least this much shorter (noise alone must not flip the choice); a trial
// of fewer threads wins when it is no slower (fewerBy). Ties go to fewer:
// with one of two cores busy, two threads ran a summary's prompts about as
// fast as one (67 against 70 tok/s, the 1B) and a 5 % margin kept them,
// where one thread is never slower, leaves the other process its core and
// cannot collapse.
const (
	betterBy = 0.95
	fewerBy  = 1.0
)

func newThreadTuner(max int) *threadTuner {
	t := &threadTuner{max: max}
	for c := range t.classes {
		t.classes[c] = tunerArm{cur: max, times: map[int][]time.Duration{}, ratio: map[int]float64{}, period: tunerSchedule[c].first}
	}
	return t
}

// smallModelBytes: a model file below this size makes a token step of well
// under a millisecond (stories260K, 1 MB: 0.3 ms), where the barriers cost
// as much as a second thread gains: on the 2-core EPYC one thread made
// 3,400-7,000 tok/s, two at best the same idle and 190-650 whenever the
// host took a core for a moment. A 107 MB model (SmolLM2-135M's shape)
// gained 1.4× from the second thread, so the cut lies well below it.
const smallModelBytes = 16 << 20

// doubtfulRatio is what a trial of more threads is assumed to cost where
// it is expected to lose, until one is measured (its time per token ÷ the
// count in use's): a small model's, or a count above the cores other
// programs left free (threads_sense.go). With the probe budget, the first
// trial comes after 400 steps, not at once.
const doubtfulRatio = 4

// tinyDoubtfulRatio is doubtfulRatio for a small model (smallModelBytes)
// where other programs took cores (threads_sense.go): its steps are so
// short that one step with a preempted thread costs a hundred good ones
// (stories260K on the 2-core EPYC with one core busy: one thread 3,960
// tok/s, two 23-41). With doubtfulRatio its first trial of two threads came
// after 400 steps and its one collapsed step made a 256-token reply 0.66×
// as fast as one thread (`make bench`, 2026-12-04); this one waits 10,000
// steps, a few seconds of such a model's reply.
const tinyDoubtfulRatio = 100

// small makes a tuner for a small model (smallModelBytes) start its step
// classes at one thread, trying more only after doubtfulRatio's wait: a
// short reply at the ceiling would pay for the barriers and, on a busy
// machine, for a collapsed step that costs as much as dozens of good ones.
// Prompts start at the ceiling as for any model (a batch's work hides the
// barriers); a remembered count (start) still comes over this.
func (t *threadTuner) small() {
	if t.fixed || t.max <= 1 {
		return
	}
	t.tiny = true
	for _, c := range []int{classToken, classSteps} {
		a := &t.classes[c]
		a.cur = 1
		for n := 2; n <= t.max; n++ {
			a.ratio[n] = doubtfulRatio
		}
	}
}

// start makes the tuner begin from counts where they are known (what it
// settled on the last time): only a start, the trials still come as
// early as from the ceiling, so a machine that became idle (or busy) since
// is found within a few dozen steps.
func (t *threadTuner) start(counts ThreadCounts) {
	if t.fixed {
		return
	}
	for c, n := range counts.byClass() {
		if n > 0 {
			t.classes[c].cur, t.classes[c].settled = min(n, t.max), true
		}
	}
}

// usualSteps returns, per size class, the typical time per token of the
// count settled() reports, where the tuner has measured it (0 elsewhere).
func (t *threadTuner) usualSteps() [nClasses]time.Duration {
	var u [nClasses]time.Duration
	if t.fixed {
		return u
	}
	for c, a := range t.classes {
		if n := a.lasting(); len(a.times[n]) >= tunerSchedule[c].known {
			d, _ := median(a.times[n])
			u[c] = d
		}
	}
	return u
}

// baseline gives the tuner, for classes whose start is a remembered count,
// the typical step that count took then, as if measured: a first step far
// slower than it (another process took a core since) is then a spike at
// once, and the tuner tries fewer threads after one step instead of paying
// the `known` steps a judgement otherwise waits for. A tiny model's steps
// collapse 40-fold with a preempted thread, so those first steps were most
// of a short reply's time. Fresh timings replace these within tunerWindow
// steps.
func (t *threadTuner) baseline(usual [nClasses]time.Duration) {
	if t.fixed {
		return
	}
	for c := range t.classes {
		a := &t.classes[c]
		if usual[c] <= 0 || !a.settled || len(a.times[a.cur]) > 0 {
			continue
		}
		for range tunerSchedule[c].known {
			a.times[a.cur] = append(a.times[a.cur], usual[c])
		}
		a.assumed = tunerSchedule[c].known
	}
}

// settled returns, per size class, the count the tuner uses after
// measuring (or the remembered start it has not measured yet, or the
// count it gave up to other programs' load: lasting); 0 where it knows
// nothing, and all 0 when it does not tune.
func (t *threadTuner) settled() ThreadCounts {
	var n [nClasses]int
	if !t.fixed && t.max > 1 {
		for c, a := range t.classes {
			if a.settled || a.held > 0 {
				n[c] = a.lasting()
			}
		}
	}
	return ThreadCounts{Step: n[classToken], Steps: n[classSteps], Prompt: n[classPrompt]}
}

// byClass is c indexed by the tuner's size classes.
func (c ThreadCounts) byClass() [nClasses]int {
	return [nClasses]int{classToken: c.Step, classSteps: c.Steps, classPrompt: c.Prompt}
}

// threads returns the thread count for the next decode of nTokens tokens.
func (t *threadTuner) threads(nTokens int) int {
	a := &t.classes[sizeClass(nTokens)]
	if a.probe > 0 && a.pairTrial == 0 {
		return a.probe
	}
	return a.cur
}

// batchCap is how many tokens the next prompt decode may hold, at most
// limit: fewer while a paired trial or its control is due.
func (t *threadTuner) batchCap(limit int) int {
	a := &t.classes[classPrompt]
	if !t.fixed && tunerSchedule[classPrompt].paired && a.probe > 0 {
		return min(limit, pairTokens)
	}
	return limit
}

// current is the thread count single-token steps use now (for reports).
func (t *threadTuner) current() int { return t.classes[classToken].cur }

// observe records that a decode of nTokens tokens with n threads took d.
func (t *threadTuner) observe(nTokens, n int, d time.Duration) {
	if t.fixed || t.max <= 1 || nTokens <= 0 {
		return
	}
	c := sizeClass(nTokens)
	a, sched := &t.classes[c], tunerSchedule[c]
	per := d / time.Duration(nTokens)
	// usual, the typical step of the count in use, tells a spike; cost, its
	// mean step, is what the user waits for and what trials are judged by:
	// under load a count whose steps are mostly quick but now and then
	// collapse has a quick median and a slow mean. The baseline's assumed
	// steps count for usual (so the first collapsed step is a spike) but
	// not for cost once one is measured: a loaded machine's prompts ran
	// twice as slow as the remembered idle ones (14.8 against 7.4 ms a
	// token, the 1B, under the spike line), and judged against the mean of
	// that and two assumed idle steps, one thread (14.0 ms) lost its trial.
	usual, known := median(a.times[a.cur])
	cost, _ := mean(a.measured())
	if sched.paired && a.probe > 0 {
		if a.pairTrial == 0 {
			a.pairTrial = per // the trial; its control comes next
		} else {
			// The control: the count in use on a decode as short, just now.
			a.judge(a.pairTrial, per, true, sched)
			a.pairTrial = 0
		}
		return
	}
	w := append(a.times[n], per)
	if len(w) > tunerWindow {
		if n == a.cur {
			a.assumed = max(0, a.assumed-(len(w)-tunerWindow))
		}
		w = w[len(w)-tunerWindow:]
	}
	a.times[n] = w
	if n == a.cur && len(w) >= sched.known {
		a.settled = true
	}
	if a.probe > 0 {
		// A trial far slower than the usual count ends at once: on a busy
		// machine one collapsed step costs as much as dozens of good ones.
		hopeless := known && float64(per) > spikeFactor*float64(usual)
		if a.probeLeft--; a.probeLeft > 0 && !hopeless {
			return
		}
		trial, _ := mean(w[max(0, len(w)-sched.trial):])
		a.judge(trial, cost, known, sched)
		return
	}
	a.since++
	spike := known && len(a.times[a.cur]) >= 4 && n == a.cur && float64(per) > spikeFactor*float64(usual)
	switch {
	case spike && a.cur > 1:
		// Something took cores: try half the threads; the regular trials
		// then climb back up one at a time to the best count. Like every
		// trial it is judged against measured steps only (measured): a
		// step that collapsed threefold (the 1B on a loaded 2-core
		// machine: 86 against 28 ms) averaged with four assumed idle ones
		// made one thread (38 ms) look no better.
		a.startProbe(max(1, a.cur/2), sched.trial)
	case len(a.times[a.cur]) < sched.known:
		// Not enough timings of the count in use to judge a trial against.
	default:
		// Trials take turns: one thread more, one fewer, and half (which
		// leaves a plateau where every nearby count collapses alike); each
		// waits as long as its last trial's cost asks.
		for k := range 3 {
			turn := (a.turn + k) % 3
			next := [3]int{a.cur + 1, a.cur - 1, a.cur / 2}[turn]
			if next < 1 || next > t.max || next == a.cur {
				continue
			}
			wait := max(a.period, int(a.ratio[next]*float64(sched.trial)/probeBudget))
			if a.since >= min(wait, sched.most) {
				a.turn = (turn + 1) % 3
				a.startProbe(next, sched.trial)
				break
			}
		}
	}
}

// judge ends the trial of a.probe, whose time per token was trial against
// cost for the count in use: the trial's count is taken when it is enough
// faster (betterBy for more threads, fewerBy for fewer), and otherwise
// waits longer for its next trial.
func (a *tunerArm) judge(trial, cost time.Duration, known bool, sched schedule) {
	margin := betterBy
	if a.probe < a.cur {
		margin = fewerBy
	}
	switch {
	case !known || cost <= 0 || trial <= 0:
		a.cur, a.period, a.assumed = a.probe, sched.first, 0
	case float64(trial) <= margin*float64(cost):
		// The old count's timings describe a machine that changed.
		delete(a.times, a.cur)
		a.ratio[a.cur] = float64(cost) / float64(trial)
		a.cur, a.period, a.settled, a.assumed = a.probe, sched.first, true, 0
	default:
		a.ratio[a.probe] = float64(trial) / float64(cost)
		a.period = min(2*a.period, sched.most)
	}
	a.probe, a.since = 0, 0
}

// measured is the count in use's timings without the baseline's assumed
// steps, or all of them while none is measured yet.
func (a *tunerArm) measured() []time.Duration {
	w := a.times[a.cur]
	if m := w[min(a.assumed, len(w)):]; len(m) > 0 {
		return m
	}
	return w
}

func (a *tunerArm) startProbe(n, trial int) {
	a.probe, a.probeLeft, a.since = n, trial, 0
	a.times[n] = nil // only fresh timings judge the trial
}

// mean of ds, and whether there was any.
func mean(ds []time.Duration) (time.Duration, bool) {
	if len(ds) == 0 {
		return 0, false
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds)), true
}

// median of ds, and whether there was any.
func median(ds []time.Duration) (time.Duration, bool) {
	if len(ds) == 0 {
		return 0, false
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2], true
}

// timedDecode runs one llama_decode of b with the thread count the tuner
// picks, and tells the tuner how long it took.
func (e *Local) timedDecode(b *llama.Batch) error { return e.timedDecodeOn(e.lctx, &e.threadsSet, b) }

// timedDecodeOn is timedDecode on context c, whose thread count is *set.
func (e *Local) timedDecodeOn(c *llama.Context, set *int, b *llama.Batch) error {
	n := b.Len()
	e.tune.sensedDecode(time.Now())
	th := e.tune.threads(n)
	if th != *set {
		c.SetThreads(th, th)
		*set = th
	}
	start := time.Now()
	err := c.Decode(b)
	if err == nil {
		e.tune.observe(n, th, time.Since(start))
	}
	return err
}
