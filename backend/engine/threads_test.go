package engine

import (
	"math/rand/v2"
	"testing"
	"time"
)

// machine models how long one token takes with n threads: idle, each
// thread helps; with k cores taken by another process, a thread count above
// the free cores collapses (the spinning barrier waits a scheduler slice).
type machine struct {
	cores, busy int
	perThread   time.Duration // one token's work on one thread
	collapse    float64       // how many times slower a step is with a preempted thread (default 40, as stories260K measured)
	// flaky > 0: a thread count above the free cores collapses on only this
	// share of its steps, the others run as if idle (the busy process was
	// off its core): a quick median, a slow mean.
	flaky float64
	rng   *rand.Rand
	// speedup > 0: how much faster two threads are than one on free cores
	// (each further thread adds as much); 0: n threads are n times faster,
	// less a tenth of overhead.
	speedup float64
}

func (m machine) step(n int) time.Duration {
	free := m.cores - m.busy
	if n > free && m.flaky > 0 && m.rng.Float64() >= m.flaky {
		free = m.cores
	}
	if n > free {
		c := m.collapse
		if c == 0 {
			c = 40
		}
		return time.Duration(c * float64(m.perThread)) // preempted threads: a slice lost at every barrier
	}
	if m.speedup > 0 {
		return time.Duration(float64(m.perThread) / (1 + float64(n-1)*(m.speedup-1)))
	}
	return m.perThread / time.Duration(n) * 11 / 10 // a little overhead per thread
}

// run feeds the tuner steps decodes of nTokens tokens on machine m and
// returns the thread count it ends on and the total time.
func run(t *threadTuner, m machine, steps, nTokens int) (int, time.Duration) {
	var total time.Duration
	for range steps {
		n := t.threads(nTokens)
		d := m.step(n) * time.Duration(nTokens)
		total += d
		t.observe(nTokens, n, d)
	}
	return t.threads(nTokens), total
}

func TestThreadTunerFindsTheFastestCount(t *testing.T) {
	tests := []struct {
		name    string
		max     int
		phases  []machine // the machine changes between phases
		nTokens int
		want    []int // thread count at the end of each phase (-1: either)
	}{
		{"idle two cores keep two", 2, []machine{{cores: 2, perThread: time.Millisecond}}, 1, []int{2}},
		{"one core taken: one thread", 2, []machine{{cores: 2, busy: 1, perThread: time.Millisecond}}, 1, []int{1}},
		// A model whose steps lose 2× with a preempted thread (1b-sized):
		// trials are cheap, so the tuner follows the load both ways soon.
		{"load comes and goes", 2, []machine{
			{cores: 2, perThread: time.Millisecond, collapse: 2},
			{cores: 2, busy: 1, perThread: time.Millisecond, collapse: 2},
			{cores: 2, perThread: time.Millisecond, collapse: 2},
		}, 1, []int{2, 1, 2}},
		// A 40× collapse makes a trial of two threads cost 40 steps: after
		// the load, the tuner tries two again only after thousands of steps.
		{"load comes and goes, 40× collapse", 2, []machine{
			{cores: 2, perThread: time.Millisecond},
			{cores: 2, busy: 1, perThread: time.Millisecond},
			{cores: 2, perThread: time.Millisecond},
			{cores: 2, perThread: time.Millisecond},
		}, 1, []int{2, 1, -1, 2}},
		{"eight cores, two taken", 8, []machine{{cores: 8, busy: 2, perThread: time.Millisecond}}, 1, []int{6}},
		{"prompt batches under load", 2, []machine{
			{cores: 2, perThread: time.Millisecond},
			{cores: 2, busy: 1, perThread: time.Millisecond},
		}, 512, []int{2, 1}},
		// Under load two threads may run a prompt just as fast as one (the
		// 1B's summary map steps: 67 against 70 tok/s): a tie goes to one.
		{"prompt batches under load, two as fast as one", 2, []machine{
			{cores: 2, busy: 1, perThread: time.Millisecond, speedup: 1.5, collapse: 1},
		}, 512, []int{1}},
		{"idle, two a little faster than one: two", 2, []machine{
			{cores: 2, perThread: time.Millisecond, speedup: 1.08},
		}, 512, []int{2}},
		{"parallel steps under load", 4, []machine{{cores: 4, busy: 1, perThread: time.Millisecond}}, 4, []int{3}},
		{"one thread allowed", 1, []machine{{cores: 2, busy: 1, perThread: time.Millisecond}}, 1, []int{1}},
		// Two threads under load: quick on 85 % of the steps, 30× slower on
		// the rest: 5 ms a token on average against one thread's 1 ms,
		// though their median step is the quicker (judged by medians, the
		// tuner kept two threads here).
		{"one core busy, two threads collapse now and then", 2, []machine{
			{cores: 2, busy: 1, perThread: time.Millisecond, collapse: 30, flaky: 0.15, rng: rand.New(rand.NewPCG(1, 2))},
		}, 1, []int{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tu := newThreadTuner(tc.max)
			steps := 3000
			if tc.nTokens >= 32 {
				steps = 80 // a summary's prompt batches
			}
			for i, m := range tc.phases {
				got, _ := run(tu, m, steps, tc.nTokens)
				if tc.want[i] >= 0 && got != tc.want[i] {
					t.Fatalf("phase %d (%d of %d cores busy): ends on %d threads, want %d", i, m.busy, m.cores, got, tc.want[i])
				}
			}
		})
	}
}

// The tuner must not cost much where nothing changes: its trials of other
// counts on an idle machine, and its slower start under load, stay within
// a few per cent of always using the best count.
func TestThreadTunerCostIsSmall(t *testing.T) {
	tests := []struct {
		name  string
		m     machine
		best  int
		limit float64 // most the tuner's total may exceed the best fixed count's
	}{
		{"idle", machine{cores: 2, perThread: time.Millisecond}, 2, 1.05},
		// A 40× collapse (a tiny model): each trial of two threads costs 40
		// steps' worth, so the early trials weigh.
		{"one core busy, steps collapse 40×", machine{cores: 2, busy: 1, perThread: time.Millisecond}, 1, 1.1},
		// A larger model loses less (1b: about 2×): trials cost little.
		{"one core busy, steps collapse 2×", machine{cores: 2, busy: 1, perThread: time.Millisecond, collapse: 2}, 1, 1.05},
		// Two threads collapse on one step in ten: their median is quick,
		// their mean 4.5 times one thread's (judged by medians: 3.2×).
		{"one core busy, two threads collapse on 30 % of steps", machine{cores: 2, busy: 1, perThread: time.Millisecond, collapse: 40, flaky: 0.1, rng: rand.New(rand.NewPCG(3, 4))}, 1, 1.1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const steps = 2000
			_, tuned := run(newThreadTuner(2), tc.m, steps, 1)
			best := tc.m.step(tc.best) * steps
			if r := float64(tuned) / float64(best); r > tc.limit {
				t.Fatalf("tuned run took %.3f× the best fixed count's time, want ≤ %.2f×", r, tc.limit)
			}
		})
	}
}

func TestFixedThreadsNeverChange(t *testing.T) {
	tu := newThreadTuner(2)
	tu.fixed = true
	if got, _ := run(tu, machine{cores: 2, busy: 1, perThread: time.Millisecond}, 500, 1); got != 2 {
		t.Fatalf("fixed tuner moved to %d threads", got)
	}
}

// A remembered count is only a start: from it the tuner still tries the
// others at once, so a machine that changed since is found within a few
// dozen steps, and the first steps of a load on an unchanged machine run at
// the count that was best.
func TestThreadTunerStartsFromRemembered(t *testing.T) {
	idle := machine{cores: 2, perThread: time.Millisecond, speedup: 1.6}
	loaded := machine{cores: 2, busy: 1, perThread: time.Millisecond}
	tests := []struct {
		name    string
		max     int
		start   ThreadCounts
		m       machine
		nTokens int
		want    int // the count it must reach…
		within  int // …by this decode, and keep
	}{
		{"remembered 1, now idle: back to 2", 2, ThreadCounts{Step: 1}, idle, 1, 2, 12},
		{"remembered 2, now loaded: down to 1", 2, ThreadCounts{Step: 2}, loaded, 1, 1, 12},
		{"remembered 2, now loaded, 2× collapse: down to 1", 2, ThreadCounts{Step: 2}, machine{cores: 2, busy: 1, perThread: time.Millisecond, collapse: 2}, 1, 1, 12},
		{"remembered 1, still loaded: stays", 2, ThreadCounts{Step: 1}, loaded, 1, 1, 0},
		{"remembered 2, still idle: stays", 2, ThreadCounts{Step: 2}, idle, 1, 2, 0},
		{"nothing remembered, loaded: from the ceiling", 2, ThreadCounts{}, loaded, 1, 1, 12},
		{"remembered 3 of 4, one core busy of 4", 4, ThreadCounts{Step: 3}, machine{cores: 4, busy: 1, perThread: time.Millisecond}, 1, 3, 0},
		{"remembered more than the ceiling: the ceiling", 2, ThreadCounts{Step: 6}, idle, 1, 2, 0},
		{"prompt batches remembered 1, now idle", 2, ThreadCounts{Prompt: 1}, idle, 512, 2, 6},
		{"parallel steps remembered 1, now idle", 2, ThreadCounts{Steps: 1}, idle, 4, 2, 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tu := newThreadTuner(tc.max)
			tu.start(tc.start)
			reached := -1
			for i := range 400 {
				if tu.classes[sizeClass(tc.nTokens)].cur != tc.want {
					reached = -1
				} else if reached < 0 {
					reached = i
				}
				run(tu, tc.m, 1, tc.nTokens)
			}
			switch {
			case reached < 0:
				t.Fatalf("ends on %d threads, want %d", tu.classes[sizeClass(tc.nTokens)].cur, tc.want)
			case reached > tc.within:
				t.Fatalf("reached %d threads after %d decodes, want within %d", tc.want, reached, tc.within)
			}
		})
	}
}

// What the tuner reports it settled on: measured classes, and remembered
// starts it has not measured yet; nothing for a tuner that does not tune.
func TestThreadTunerSettled(t *testing.T) {
	loaded := machine{cores: 2, busy: 1, perThread: time.Millisecond}
	tests := []struct {
		name  string
		max   int
		fixed bool
		start ThreadCounts
		steps int // single-token decodes on the loaded machine
		want  ThreadCounts
	}{
		{"new, nothing measured", 2, false, ThreadCounts{}, 0, ThreadCounts{}},
		{"two steps are not enough", 2, false, ThreadCounts{}, 2, ThreadCounts{}},
		{"measured under load", 2, false, ThreadCounts{}, 200, ThreadCounts{Step: 1}},
		{"remembered, not measured yet", 2, false, ThreadCounts{Step: 1, Prompt: 2}, 0, ThreadCounts{Step: 1, Prompt: 2}},
		{"measured over remembered; other classes kept", 2, false, ThreadCounts{Step: 2, Prompt: 1}, 200, ThreadCounts{Step: 1, Prompt: 1}},
		{"fixed threads", 2, true, ThreadCounts{Step: 1}, 200, ThreadCounts{}},
		{"one thread allowed", 1, false, ThreadCounts{}, 200, ThreadCounts{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tu := newThreadTuner(tc.max)
			tu.fixed = tc.fixed
			tu.start(tc.start)
			run(tu, loaded, tc.steps, 1)
			if got := tu.settled(); got != tc.want {
				t.Fatalf("settled %+v, want %+v", got, tc.want)
			}
		})
	}
}

// With the remembered count's typical step as a baseline, a machine that
// became busy since is seen at the first collapsed step: the tuner tries
// fewer threads after it, instead of paying the four steps a judgement
// waits for without one. Counted: steps run at the collapsed count.
func TestThreadTunerBaselineSeesCollapseAtOnce(t *testing.T) {
	idle := machine{cores: 2, perThread: time.Millisecond, speedup: 1.3}
	loaded := machine{cores: 2, busy: 1, perThread: time.Millisecond}
	usual := idle.step(2)
	for _, tc := range []struct {
		name     string
		baseline bool
		m        machine
		most     int // collapsed steps allowed in the first 64
	}{
		{"with the baseline, now loaded", true, loaded, 1},
		{"without it, now loaded", false, loaded, 6},
		{"with the baseline, still idle: no needless trial of 1 costs much", true, idle, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tu := newThreadTuner(2)
			tu.start(ThreadCounts{Step: 2})
			if tc.baseline {
				tu.baseline([nClasses]time.Duration{classToken: usual})
			}
			collapsed := 0
			var total time.Duration
			for range 64 {
				n := tu.threads(1)
				d := tc.m.step(n)
				if d > 10*usual {
					collapsed++
				}
				total += d
				tu.observe(1, n, d)
			}
			t.Logf("collapsed steps %d, total %v, ends on %d threads", collapsed, total, tu.current())
			if collapsed > tc.most {
				t.Errorf("%d collapsed steps, want at most %d", collapsed, tc.most)
			}
		})
	}
}

// A remembered count whose steps now collapse less than threefold (the 1B on a
// loaded 2-core machine: 86 ms a step with 2 threads, 38 with 1, 28 idle)
// is left at the first collapsed step: judged against the baseline's
// assumed idle steps too, one thread looked no better: the tuner ran
// another collapsed step here before the next spike tried again, and on the
// real machine, whose loaded steps vary, a next step below the spike line
// left two collapsing threads in use until the next scheduled trial, about
// a hundred steps later. Idle, the count stays, after the start's trials.
func TestThreadTunerLeavesAModerateCollapse(t *testing.T) {
	idle := machine{cores: 2, perThread: time.Millisecond, speedup: 1.35}
	loaded := machine{cores: 2, busy: 1, perThread: time.Millisecond, speedup: 1.35, collapse: 2}
	usual := idle.step(2)
	for _, tc := range []struct {
		name      string
		m         machine
		ends      int // the count it ends on
		most      int // steps at the other count, of 64
		mostAfter int // of those, after the first 16
	}{
		{"now loaded", loaded, 1, 1, 0},
		{"idle", idle, 2, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tu := newThreadTuner(2)
			tu.start(ThreadCounts{Step: 2})
			tu.baseline([nClasses]time.Duration{classToken: usual})
			other, after := 0, 0
			for i := range 64 {
				n := tu.threads(1)
				d := tc.m.step(n)
				if n != tc.ends {
					other++
					if i >= 16 {
						after++
					}
				}
				tu.observe(1, n, d)
			}
			if got := tu.current(); got != tc.ends || other > tc.most || after > tc.mostAfter {
				t.Errorf("ends on %d threads (want %d), %d steps at the other count (want ≤ %d), %d after the first 16 (want ≤ %d)",
					got, tc.ends, other, tc.most, after, tc.mostAfter)
			}
		})
	}
}

// A small model starts its steps at one thread and tries two only after
// hundreds of steps: a short reply never pays for a collapsed step, and two
// threads that really help (idle, a model whose step is not that small
// after all) still win once tried. A remembered count comes over the start,
// prompts start at the ceiling, and a large model is not touched.
func TestThreadTunerStartsSmallModelsAtOneThread(t *testing.T) {
	same := machine{cores: 2, perThread: 300 * time.Microsecond, speedup: 1.0}
	faster := machine{cores: 2, perThread: 300 * time.Microsecond, speedup: 1.6}
	loaded := machine{cores: 2, busy: 1, perThread: 300 * time.Microsecond}
	for _, tc := range []struct {
		name        string
		small       bool
		remembered  int
		m           machine
		steps       int
		firstAt     int // steps before the first at two threads (0: the first)
		ends        int
		twoAtMost   int // steps at two threads in all
		promptStart int
	}{
		{"small, two no faster", true, 0, same, 1000, 400, 1, 20, 2},
		{"small, two faster", true, 0, faster, 1000, 400, 2, 1000, 2},
		{"small, loaded: one collapsed step in 1,000", true, 0, loaded, 1000, 400, 1, 1, 2},
		{"small, remembered two", true, 2, faster, 100, 0, 2, 100, 2},
		{"large model, at the ceiling", false, 0, faster, 100, 0, 2, 100, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tu := newThreadTuner(2)
			if tc.small {
				tu.small()
			}
			if tc.remembered > 0 {
				tu.start(ThreadCounts{Step: tc.remembered})
			}
			if got := tu.threads(512); got != tc.promptStart {
				t.Errorf("a prompt starts at %d threads, want %d", got, tc.promptStart)
			}
			first, two := -1, 0
			for i := range tc.steps {
				n := tu.threads(1)
				if n == 2 {
					two++
					if first < 0 {
						first = i
					}
				}
				tu.observe(1, n, tc.m.step(n))
			}
			if first < tc.firstAt || tu.current() != tc.ends || two > tc.twoAtMost {
				t.Errorf("first step at two threads: %d (want ≥ %d); ends on %d (want %d); %d steps at two (want ≤ %d)",
					first, tc.firstAt, tu.current(), tc.ends, two, tc.twoAtMost)
			}
		})
	}
}

// A summary's prompts on a machine that became busy: two threads run them
// twice as slow as the remembered idle ones, under the spike line, and one
// thread a little faster still (the 1B: 14.8 and 14.0 against 7.4 ms a
// token). The trial of one thread is judged against a fresh control decode
// (the prompt class's paired trials), not the baseline's assumed idle
// steps, and wins at once. (measured() keeps the same true for the
// unpaired classes: TestThreadTunerLeavesAModerateCollapse.)
func TestThreadTunerPromptTrialIgnoresAssumedSteps(t *testing.T) {
	idle := machine{cores: 2, perThread: 14 * time.Millisecond, speedup: 1.9}
	loaded := machine{cores: 2, busy: 1, perThread: 14 * time.Millisecond, speedup: 1.9, collapse: 1.06}
	tu := newThreadTuner(2)
	tu.start(ThreadCounts{Prompt: 2})
	tu.baseline([nClasses]time.Duration{classPrompt: idle.step(2)})
	two := 0
	for range 8 {
		n := tu.threads(512)
		if n == 2 {
			two++
		}
		tu.observe(512, n, loaded.step(n)*512)
	}
	if got := tu.threads(512); got != 1 || two > 2 {
		t.Fatalf("ends on %d threads after %d of 8 prompt batches at two; want 1 after at most 2", got, two)
	}
}

// Prompt trials are paired: a short decode at the count under trial, then
// one as short at the count in use, judged against each other. Short
// decodes cost more per token (here 1.3×), which must not count against
// the trial, and only the pair's tokens run at the other count.
func TestThreadTunerPairsPromptTrials(t *testing.T) {
	for _, tc := range []struct {
		name        string
		m           machine
		ends        int
		otherAtMost int // tokens at the other count, of 40 batches' worth
	}{
		{"idle: two, trials short", machine{cores: 2, perThread: 14 * time.Millisecond, speedup: 1.9}, 2, 4 * pairTokens},
		{"loaded, one as fast as two: one", machine{cores: 2, busy: 1, perThread: 14 * time.Millisecond, speedup: 1.9, collapse: 1.06}, 1, 3*512 + 2*pairTokens},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tu := newThreadTuner(2)
			other := 0
			for range 40 {
				n := tu.batchCap(512)
				th := tu.threads(n)
				d := tc.m.step(th) * time.Duration(n)
				if n < 512 {
					d = d * 13 / 10
				}
				if th != tc.ends {
					other += n
				}
				tu.observe(n, th, d)
			}
			if got := tu.threads(512); got != tc.ends || other > tc.otherAtMost {
				t.Fatalf("ends on %d threads (want %d), %d tokens at the other count (want ≤ %d)", got, tc.ends, other, tc.otherAtMost)
			}
		})
	}
}
