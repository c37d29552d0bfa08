package chattmpl

import (
	"runtime/metrics"
	"sync"
	"time"
)

// A chat template comes from a model file, and the Jinja engine has no
// limits of its own: a string doubled in a loop, "a" * 10**12 or a long
// join asks for gigabytes in a few steps, a macro that calls itself grows
// the stack without end, and a Go render cannot be stopped from outside.
// A process that can end itself (the engine worker, the CLI tools that
// render) sets a guard: while a render runs, the heap is looked at every
// guardEvery, and when it has grown past the limit, runaway is called
// (from the guard's goroutine) to end the process with its reason. Real
// templates take kilobytes.

// guardEvery is how often a guarded render's heap is looked at. Copying a
// string of 64 MB takes longer than this, so a doubling string is caught
// within a step or two past the limit.
const guardEvery = time.Millisecond

var guard struct {
	mu      sync.Mutex
	limit   uint64
	runaway func(grew uint64)
}

// SetRenderGuard guards every render from now on: runaway(grew) is called
// once the heap has grown by more than limit bytes while a render runs.
// runaway must end the process (the render goes on otherwise); it is for
// the engine worker, whose end the app reports. A limit of 0 removes the
// guard.
func SetRenderGuard(limit uint64, runaway func(grew uint64)) {
	guard.mu.Lock()
	defer guard.mu.Unlock()
	guard.limit, guard.runaway = limit, runaway
}

// watchRender starts the guard for one render; the returned func stops it.
func watchRender() (stop func()) {
	guard.mu.Lock()
	limit, runaway := guard.limit, guard.runaway
	guard.mu.Unlock()
	if limit == 0 || runaway == nil {
		return func() {}
	}
	// The heap's objects and the goroutine stacks: a macro that calls
	// itself grows its stack until Go ends the process ("stack overflow",
	// at 1 GB), and the guard says why first.
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}
	heap := func() uint64 {
		metrics.Read(sample)
		var n uint64
		for _, s := range sample {
			if s.Value.Kind() == metrics.KindUint64 {
				n += s.Value.Uint64()
			}
		}
		return n
	}
	base := heap()
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(guardEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if now := heap(); now > base && now-base > limit {
					runaway(now - base)
					return
				}
			}
		}
	}()
	return func() {
		close(done)
		<-ended
		// One look at the end too: the ticker's goroutine may not have run
		// during the render (a 2 GB string written in one piece on a loaded
		// machine finished before its first look, and the render returned
		// "unguarded"). A render that grew past the limit is a runaway
		// whether or not a tick saw it.
		if now := heap(); now > base && now-base > limit {
			runaway(now - base)
		}
	}
}
