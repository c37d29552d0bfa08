package ingest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"
)

// meter samples the heap (and on Linux the resident set) while something
// runs: the peak above the level when it started.
type meter struct {
	baseHeap, baseRSS uint64
	peakHeap, peakRSS uint64
	stop, done        chan struct{}
}

func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// procStatus reads a kB figure from /proc/self/status (0 when absent).
func procStatus(key string) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, key+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseUint(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}

func startMeter() *meter {
	runtime.GC()
	debug.FreeOSMemory()
	// Writing 5 resets the peak resident set (VmHWM) to the current one.
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	m := &meter{baseHeap: heapBytes(), baseRSS: procStatus("VmRSS"), stop: make(chan struct{}), done: make(chan struct{})}
	m.peakHeap, m.peakRSS = m.baseHeap, m.baseRSS
	go func() {
		defer close(m.done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			m.peakHeap = max(m.peakHeap, heapBytes())
			m.peakRSS = max(m.peakRSS, procStatus("VmRSS"))
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

// end returns the peak heap and resident set above the start, in MB.
func (m *meter) end() (heapMB, rssMB float64) {
	close(m.stop)
	<-m.done
	m.peakRSS = max(m.peakRSS, procStatus("VmHWM"))
	return float64(m.peakHeap-min(m.baseHeap, m.peakHeap)) / 1e6, float64(m.peakRSS-min(m.baseRSS, m.peakRSS)) / 1e6
}

// TestIngestMemory adds a 200 MB, 5,000-page PDF (each page a few lines of
// text and a 40 KB incompressible image) and checks the memory it costs
// stays under 300 MB above idle. It takes about ten seconds on two cores.
func TestIngestMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: generates and adds a 200 MB PDF")
	}
	e := newEnv(t)
	path := filepath.Join(t.TempDir(), "huge.pdf")
	start := time.Now()
	size := writePDFFile(t, path, pdfSpec{pages: 5000, imageBytes: 40 << 10, word: "hugeword"})
	if gen := time.Since(start); gen > 30*time.Second {
		t.Skipf("writing the PDF took %v: this disk is too slow for a test run", gen)
	}
	m := startMeter()
	start = time.Now()
	out, _, err := e.ingest(context.Background(), nil, path)
	took := time.Since(start)
	heapMB, rssMB := m.end()
	if err != nil || len(out.Failures) > 0 {
		t.Fatalf("err %v, failures %+v", err, out.Failures)
	}
	d := out.Documents[0]
	t.Logf("%.0f MB, %d pages, %d passages added in %v: peak heap +%.0f MB, peak resident set +%.0f MB above idle",
		float64(size)/1e6, d.Pages, d.Chunks, took.Round(time.Millisecond), heapMB, rssMB)
	if d.Pages != 5000 {
		t.Errorf("%d pages, want 5000", d.Pages)
	}
	e.mustFind(d, "hugeword")
	if heapMB > 300 || rssMB > 300 {
		t.Errorf("peak memory +%.0f MB heap, +%.0f MB resident: over 300 MB", heapMB, rssMB)
	}
}
