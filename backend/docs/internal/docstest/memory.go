package docstest

import (
	"bytes"
	"io"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"time"
)

// Allocated returns the bytes fn allocates on the heap (TotalAlloc, which
// bounds how far the heap can grow while fn runs).
func Allocated(fn func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// PeakHeap runs fn with the collector eager (GOGC=10) and samples the live
// heap every millisecond: the most it held above where it started.
func PeakHeap(fn func()) uint64 {
	old := debug.SetGCPercent(10)
	defer debug.SetGCPercent(old)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return peak - min(base, peak)
}

// Spaces streams n spaces between a head and a tail, without holding them:
// the filler of a bomb.
func Spaces(head string, n int64, tail string) io.Reader {
	fill := bytes.Repeat([]byte{' '}, 64<<10)
	var parts []io.Reader
	parts = append(parts, strings.NewReader(head))
	for n > 0 {
		k := min(n, int64(len(fill)))
		parts = append(parts, bytes.NewReader(fill[:k]))
		n -= k
	}
	return io.MultiReader(append(parts, strings.NewReader(tail))...)
}
