package engine

import (
	"os"
	"sync"
	"time"
)

// Why the tuner's counts outlive a load: a new tuner starts at the thread
// ceiling, and a short reply on a busy machine pays its first steps there
// (a tiny model's steps collapse 40-fold with a preempted thread). The
// engine worker loads the same model again (a settings change, `chapel
// bench` for each run), so what a tuner settled on is kept per model file
// and ceiling for the life of the process, and a load starts from it. The
// app keeps it across restarts too (LoadOptions.StartThreads); the count
// remembered here is the fresher one and comes first.

// FileStamp is a model file as it is on disk now (its size and change
// time): what a measurement made on it stays valid for. The tuner's counts
// kept here and those the app keeps across restarts are both stamped.
type FileStamp struct {
	Size    int64 `json:"size"`
	ModNano int64 `json:"mod_unix_nano"`
}

// StampOf is the stamp of the file at path; ok is false when the file
// cannot be looked at.
func StampOf(path string) (FileStamp, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return FileStamp{}, false
	}
	return FileStamp{Size: st.Size(), ModNano: st.ModTime().UnixNano()}, true
}

// tuneKey is one model file (as it is on disk now) run with one ceiling.
type tuneKey struct {
	path    string
	stamp   FileStamp
	ceiling int
}

// tuneKeyOf is the key of the model at path (absolute) with ceiling
// threads; ok is false when the file cannot be looked at.
func tuneKeyOf(path string, ceiling int) (tuneKey, bool) {
	stamp, ok := StampOf(path)
	return tuneKey{path: path, stamp: stamp, ceiling: ceiling}, ok
}

// tunedMemory holds what tuners settled on, by model file and ceiling,
// with the typical step each settled count took (threadTuner.baseline).
var tunedMemory struct {
	sync.Mutex
	m map[tuneKey]tunedEntry
}

type tunedEntry struct {
	counts ThreadCounts
	usual  [nClasses]time.Duration
}

// recall returns the counts remembered for k (zero: none).
func recall(k tuneKey) ThreadCounts { return recallEntry(k).counts }

func recallEntry(k tuneKey) tunedEntry {
	tunedMemory.Lock()
	defer tunedMemory.Unlock()
	return tunedMemory.m[k]
}

// remember keeps counts for k; a class counts leaves at 0 keeps what was
// remembered for it. usual is the typical step of each class's count (0:
// not measured; the count's old time is then dropped, it may belong to
// another count).
func remember(k tuneKey, counts ThreadCounts, usual [nClasses]time.Duration) {
	tunedMemory.Lock()
	defer tunedMemory.Unlock()
	if tunedMemory.m == nil {
		tunedMemory.m = map[tuneKey]tunedEntry{}
	}
	e := tunedMemory.m[k]
	for c, n := range counts.byClass() {
		if n > 0 {
			e.usual[c] = usual[c]
		}
	}
	e.counts = overlay(e.counts, counts)
	tunedMemory.m[k] = e
}

// overlay returns base with the counts top knows put over it.
func overlay(base, top ThreadCounts) ThreadCounts {
	if top.Step > 0 {
		base.Step = top.Step
	}
	if top.Steps > 0 {
		base.Steps = top.Steps
	}
	if top.Prompt > 0 {
		base.Prompt = top.Prompt
	}
	return base
}

// RememberedThreads returns the counts this process's engines settled on
// for the model at path (absolute) with ceiling threads, which its next
// load starts from; zero when none did.
func RememberedThreads(path string, ceiling int) ThreadCounts {
	k, ok := tuneKeyOf(path, ceiling)
	if !ok {
		return ThreadCounts{}
	}
	return recall(k)
}

// startTuner makes e's tuner for the model at path: from opts.StartThreads,
// overlaid with what this process remembers for the file and ceiling.
func (e *Local) startTuner(path string, opts LoadOptions) {
	e.tune, e.threadsSet = newThreadTuner(opts.Threads), opts.Threads
	e.tune.fixed, e.tune.blind = opts.FixedThreads, opts.IgnoreMachineLoad
	e.tuneKey, e.tuneKeyOK = tuneKeyOf(path, opts.Threads)
	if e.tuneKeyOK && e.tuneKey.stamp.Size < smallModelBytes {
		e.tune.small()
	}
	start := opts.StartThreads
	var mem tunedEntry
	if e.tuneKeyOK {
		mem = recallEntry(e.tuneKey)
		start = overlay(start, mem.counts)
	}
	e.tune.start(start)
	// The memory's counts come over the start, so where it has a step time
	// the count in use is the one that took it (same file, same ceiling).
	e.tune.baseline(mem.usual)
}

// keepTuned remembers what e's tuner settled on (at unload).
func (e *Local) keepTuned() {
	if e.tune == nil || !e.tuneKeyOK {
		return
	}
	if s := e.tune.settled(); s != (ThreadCounts{}) {
		remember(e.tuneKey, s, e.tune.usualSteps())
	}
}

// tuned is what e's tuner settled on, for results (zero: it does not tune).
func (e *Local) tuned() ThreadCounts {
	if e.tune == nil {
		return ThreadCounts{}
	}
	return e.tune.settled()
}
