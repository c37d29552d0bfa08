package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// modelFile is a file standing for a model: the memory looks only at its
// path, size and modification time. It is as large as a model that starts
// at the ceiling (smallModelBytes; sparse, so it costs no disk).
func modelFile(t *testing.T) string { return modelFileOf(t, smallModelBytes) }

// modelFileOf is such a file of size bytes.
func modelFileOf(t *testing.T, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.gguf")
	if err := os.WriteFile(p, []byte("GGUF"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, size); err != nil {
		t.Fatal(err)
	}
	return p
}

// settleLoaded drives e's tuner on a machine with one of two cores busy
// until it settles on one thread for every size class.
func settleLoaded(t *testing.T, e *Local) {
	t.Helper()
	m := machine{cores: 2, busy: 1, perThread: time.Millisecond}
	for _, n := range []int{1, 4, 512} {
		run(e.tune, m, 300, n)
	}
	if got := e.tune.settled(); got != (ThreadCounts{Step: 1, Steps: 1, Prompt: 1}) {
		t.Fatalf("the modelled load settled on %+v, want 1 thread everywhere", got)
	}
}

// Within a process, what a tuner settled on is the next load's start, for
// the same file and ceiling only; the app's StartThreads fill in where the
// process remembers nothing.
func TestThreadMemoryAcrossLoads(t *testing.T) {
	tests := []struct {
		name   string
		second LoadOptions
		change func(t *testing.T, path string) // what happens to the file between the loads
		want   ThreadCounts                    // the second tuner's start
	}{
		{"same file and ceiling: remembered", LoadOptions{Threads: 2}, nil, ThreadCounts{Step: 1, Steps: 1, Prompt: 1}},
		{"remembered over the app's start", LoadOptions{Threads: 2, StartThreads: ThreadCounts{Step: 2, Steps: 2, Prompt: 2}}, nil, ThreadCounts{Step: 1, Steps: 1, Prompt: 1}},
		{"another ceiling: the app's start, else the ceiling", LoadOptions{Threads: 3, StartThreads: ThreadCounts{Prompt: 2}}, nil, ThreadCounts{Step: 3, Steps: 3, Prompt: 2}},
		{"fixed threads: never a start", LoadOptions{Threads: 2, FixedThreads: true}, nil, ThreadCounts{Step: 2, Steps: 2, Prompt: 2}},
		{"the file changed: from the ceiling", LoadOptions{Threads: 2}, func(t *testing.T, p string) {
			if err := os.Chtimes(p, time.Now(), time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}, ThreadCounts{Step: 2, Steps: 2, Prompt: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := modelFile(t)
			first := &Local{}
			first.startTuner(path, LoadOptions{Threads: 2})
			settleLoaded(t, first)
			first.keepTuned() // what unload does
			if got := RememberedThreads(path, 2); got != (ThreadCounts{Step: 1, Steps: 1, Prompt: 1}) {
				t.Fatalf("RememberedThreads = %+v after the first load", got)
			}
			if tc.change != nil {
				tc.change(t, path)
			}
			second := &Local{}
			second.startTuner(path, tc.second)
			got := second.tune.starts()
			if got != tc.want {
				t.Fatalf("second load starts at %+v, want %+v", got, tc.want)
			}
		})
	}
}

// A tuner that measured only replies keeps what was remembered for prompt
// batches: the memory is overlaid class by class.
func TestThreadMemoryKeepsUnmeasuredClasses(t *testing.T) {
	path := modelFile(t)
	k, _ := tuneKeyOf(path, 2)
	remember(k, ThreadCounts{Step: 2, Steps: 2, Prompt: 1}, [nClasses]time.Duration{})
	e := &Local{}
	e.startTuner(path, LoadOptions{Threads: 2})
	run(e.tune, machine{cores: 2, busy: 1, perThread: time.Millisecond}, 300, 1)
	e.keepTuned()
	if got, want := RememberedThreads(path, 2), (ThreadCounts{Step: 1, Steps: 2, Prompt: 1}); got != want {
		t.Fatalf("remembered %+v, want %+v", got, want)
	}
}

// The typical step of a remembered count comes back with it, as the new
// tuner's baseline, and only for the class whose count it is: a count the
// tuner moved away from leaves its time behind.
func TestThreadMemoryKeepsUsualStep(t *testing.T) {
	path := modelFile(t)
	k, _ := tuneKeyOf(path, 2)
	first := &Local{}
	first.startTuner(path, LoadOptions{Threads: 2})
	run(first.tune, machine{cores: 2, perThread: time.Millisecond, speedup: 1.6}, 300, 1)
	first.keepTuned()
	mem := recallEntry(k)
	if mem.counts.Step != 2 || mem.usual[classToken] <= 0 {
		t.Fatalf("remembered %+v", mem)
	}
	second := &Local{}
	second.startTuner(path, LoadOptions{Threads: 2})
	a := second.tune.classes[classToken]
	if len(a.times[2]) != tunerSchedule[classToken].known || a.times[2][0] != mem.usual[classToken] {
		t.Fatalf("baseline %v, want %d × %v", a.times[2], tunerSchedule[classToken].known, mem.usual[classToken])
	}
	for n, ts := range second.tune.classes[classPrompt].times {
		if len(ts) > 0 {
			t.Fatalf("prompt batches got a baseline at %d threads without a remembered time: %v", n, ts)
		}
	}
}

// The real engine: a second Load of the same model in the same Local starts
// where the first load's tuner settled, and reports it. The tuner is fed
// modelled timings (no decode runs, so no timing is asserted); the
// ceiling is 2, but only one thread ever runs a decode here (none does).
func TestSecondLoadStartsAtRemembered(t *testing.T) {
	path := storiesModel(t)
	ctx := context.Background()
	e := NewLocal()
	t.Cleanup(func() { e.Close() })
	opts := LoadOptions{ContextSize: 256, Threads: 2}
	info, err := e.Load(ctx, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if info.TunedThreads != (ThreadCounts{}) {
		t.Fatalf("first load reports %+v settled, want nothing yet", info.TunedThreads)
	}
	// The stories model (or the tiny one standing in for it) is a small
	// file: its steps start at one thread, and the load says so.
	if info.StartThreads != 1 {
		t.Fatalf("first load reports its steps start at %d threads, want 1 (a small model file)", info.StartThreads)
	}
	settleLoaded(t, e)
	if cur, _ := e.Model(ctx); cur.TunedThreads.Step != 1 {
		t.Fatalf("Model reports %+v settled, want step 1", cur.TunedThreads)
	}
	info, err = e.Load(ctx, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.tune.threads(1); got != 1 {
		t.Fatalf("second load's steps start at %d threads, want the remembered 1", got)
	}
	if info.TunedThreads != (ThreadCounts{Step: 1, Steps: 1, Prompt: 1}) {
		t.Fatalf("second load reports %+v, want the remembered start", info.TunedThreads)
	}
	// One thread fixed: nothing is tuned, nothing remembered or reported.
	if info, err = e.Load(ctx, path, LoadOptions{ContextSize: 256, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	if info.TunedThreads != (ThreadCounts{}) || e.tune.threads(1) != 1 {
		t.Fatalf("a one-thread load reports %+v", info.TunedThreads)
	}
}

// The model file's size decides the start: below smallModelBytes, steps
// start at one thread (prompts at the ceiling); fixed threads stay fixed.
func TestSmallModelFileStartsAtOneThread(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  int64
		fixed bool
		want  ThreadCounts
	}{
		{"1 MB", 1 << 20, false, ThreadCounts{Step: 1, Steps: 1, Prompt: 2}},
		{"just below the cut", smallModelBytes - 1, false, ThreadCounts{Step: 1, Steps: 1, Prompt: 2}},
		{"at the cut", smallModelBytes, false, ThreadCounts{Step: 2, Steps: 2, Prompt: 2}},
		{"1 MB, fixed threads", 1 << 20, true, ThreadCounts{Step: 2, Steps: 2, Prompt: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &Local{}
			e.startTuner(modelFileOf(t, tc.size), LoadOptions{Threads: 2, FixedThreads: tc.fixed})
			got := e.tune.starts()
			if got != tc.want {
				t.Fatalf("starts at %+v, want %+v", got, tc.want)
			}
		})
	}
}

// starts is the count in use per size class (where a load starts, before
// any trial).
func (t *threadTuner) starts() ThreadCounts {
	return ThreadCounts{Step: t.classes[classToken].cur, Steps: t.classes[classSteps].cur, Prompt: t.classes[classPrompt].cur}
}
