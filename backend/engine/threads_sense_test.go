package engine

import (
	"testing"
	"time"
)

// The tuner's counts follow the sensor's readings: down at once when other
// programs take the cores a count needs, back to the count given up when
// they are free again, nothing in between (the hysteresis between takenAt
// and freeAt), each reading once.
func TestThreadTunerFollowsTheSensor(t *testing.T) {
	type want struct{ step, prompt, held int }
	tests := []struct {
		name     string
		max      int
		small    bool
		fixed    bool
		readings []cpuReading // applied in turn (seq 0 = same as the last)
		want     want
	}{
		{"idle machine: nothing moves", 2, false, false, []cpuReading{{cores: 2, others: 0.1}}, want{2, 2, 0}},
		{"a core taken: one thread", 2, false, false, []cpuReading{{cores: 2, others: 1.0}}, want{1, 1, 2}},
		{"half a core taken counts", 2, false, false, []cpuReading{{cores: 2, others: 0.55}}, want{1, 1, 2}},
		{"under half does not", 2, false, false, []cpuReading{{cores: 2, others: 0.45}}, want{2, 2, 0}},
		{"taken, then a third of a core: stays", 2, false, false, []cpuReading{{cores: 2, others: 1.0}, {cores: 2, others: 0.35}}, want{1, 1, 2}},
		{"taken, then free: back", 2, false, false, []cpuReading{{cores: 2, others: 1.0}, {cores: 2, others: 0.1}}, want{2, 2, 0}},
		{"both cores taken: still one", 2, false, false, []cpuReading{{cores: 2, others: 2.0}}, want{1, 1, 2}},
		{"eight cores, one taken", 8, false, false, []cpuReading{{cores: 8, others: 1.0}}, want{7, 7, 8}},
		{"eight cores, three taken, then one", 8, false, false, []cpuReading{{cores: 8, others: 3.0}, {cores: 8, others: 1.0}}, want{7, 7, 8}},
		{"ceiling under the free cores", 4, false, false, []cpuReading{{cores: 8, others: 3.0}}, want{4, 4, 0}},
		{"small model's steps already at one", 2, true, false, []cpuReading{{cores: 2, others: 1.0}, {cores: 2, others: 0}}, want{1, 2, 0}},
		{"fixed threads never move", 2, false, true, []cpuReading{{cores: 2, others: 1.0}}, want{2, 2, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tu := newThreadTuner(tc.max)
			tu.fixed = tc.fixed
			if tc.small {
				tu.small()
			}
			for i, r := range tc.readings {
				r.seq = uint64(i + 1)
				tu.sense(r)
			}
			got := want{tu.threads(1), tu.threads(512), tu.classes[classPrompt].held}
			if got != tc.want {
				t.Fatalf("steps at %d, prompts at %d, holding %d; want %+v", got.step, got.prompt, got.held, tc.want)
			}
		})
	}
}

// A reading is applied once: a trial that won against it (a low-priority
// program gives its core back while the engine runs) stands until the
// next window's reading.
func TestThreadTunerAppliesAReadingOnce(t *testing.T) {
	tu := newThreadTuner(2)
	loaded := cpuReading{seq: 1, cores: 2, others: 1.0}
	tu.sense(loaded)
	tu.classes[classToken].cur = 2 // as a won trial would
	tu.sense(loaded)
	if got := tu.threads(1); got != 2 {
		t.Fatalf("the same reading again moved the steps to %d threads", got)
	}
	loaded.seq++
	tu.sense(loaded)
	if got := tu.threads(1); got != 1 {
		t.Fatalf("a new loaded reading left the steps at %d threads", got)
	}
}

// What the tuner keeps for the next load is the count it gave up to the
// load, not the one the load forced: a machine idle again starts at its
// best count, a machine still loaded gives it up at the first reading.
func TestThreadTunerKeepsTheCountItGaveUp(t *testing.T) {
	tu := newThreadTuner(2)
	run(tu, machine{cores: 2, perThread: time.Millisecond}, 200, 1)
	tu.sense(cpuReading{seq: 1, cores: 2, others: 1.0})
	if got := tu.threads(1); got != 1 {
		t.Fatalf("under load the steps run at %d threads, want 1", got)
	}
	if got := tu.settled().Step; got != 2 {
		t.Fatalf("kept %d threads for the next load, want the 2 given up", got)
	}
	// A spike, trials and judgements work from the new count's own steps.
	run(tu, machine{cores: 2, busy: 1, perThread: time.Millisecond}, 1000, 1)
	if got := tu.classes[classToken].cur; got != 1 {
		t.Fatalf("after 1,000 loaded steps at %d threads, want 1", got)
	}
}

// A trial under way when the reading moves the count ends unjudged, and
// the timings of the machine as it was go: a paired prompt trial's decode
// would otherwise be judged against a control at another count.
func TestThreadTunerSensedMoveEndsTrial(t *testing.T) {
	tu := newThreadTuner(2)
	a := &tu.classes[classPrompt]
	a.times[2] = []time.Duration{time.Millisecond, time.Millisecond}
	a.startProbe(1, 1)
	a.pairTrial = time.Millisecond
	tu.sense(cpuReading{seq: 1, cores: 2, others: 1.0})
	if a.probe != 0 || a.pairTrial != 0 || len(a.times) != 0 {
		t.Fatalf("after the move: probe %d, pair trial %v, timings %v", a.probe, a.pairTrial, a.times)
	}
	if got := tu.batchCap(512); got != 512 {
		t.Fatalf("batch cap %d after the trial ended, want 512", got)
	}
}

// After the sensor gave cores up, a trial of them waits (it would
// collapse) but still comes: a low-priority program gives its core back.
func TestThreadTunerWaitsToTryTakenCores(t *testing.T) {
	tests := []struct {
		small            bool
		steps, wantAtTwo int // steps at two threads in the first steps
		atLeast          bool
	}{
		{false, 100, 0, false},
		{false, 2000, 1, true},
		// A small model's steps start at one thread and stay there far
		// longer: one collapsed step costs it a hundred good ones.
		{true, 5000, 0, false},
		{true, 20000, 1, true},
	}
	for _, tc := range tests {
		tu := newThreadTuner(2)
		if tc.small {
			tu.small()
		}
		tu.sense(cpuReading{seq: 1, cores: 2, others: 1.0})
		m := machine{cores: 2, busy: 1, perThread: time.Millisecond}
		atTwo := 0
		for range tc.steps {
			n := tu.threads(1)
			if n == 2 {
				atTwo++
			}
			tu.observe(1, n, m.step(n))
		}
		if atTwo < tc.wantAtTwo || (!tc.atLeast && atTwo > tc.wantAtTwo) {
			t.Errorf("%d steps after a core was taken (small model %v): %d at two threads, want %d (at least: %v)", tc.steps, tc.small, atTwo, tc.wantAtTwo, tc.atLeast)
		}
	}
}
