package engine

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func TestCPUReadingFreeCores(t *testing.T) {
	tests := []struct {
		cores        int
		others       float64
		lower, raise int
	}{
		{2, 0, 2, 2},
		{2, 0.2, 2, 2},
		{2, 0.3, 2, 1}, // taken for raising, not for lowering: hysteresis
		{2, 0.5, 1, 1},
		{2, 1.0, 1, 1},
		{2, 3.0, 1, 1}, // never below one
		{8, 1.2, 7, 7},
		{8, 2.6, 5, 5},
		{1, 0.9, 1, 1},
	}
	for _, tc := range tests {
		r := cpuReading{cores: tc.cores, others: tc.others}
		if l, h := r.freeToLower(), r.freeToRaise(); l != tc.lower || h != tc.raise {
			t.Errorf("%d cores, others %.1f: lower to %d, raise to %d; want %d, %d", tc.cores, tc.others, l, h, tc.lower, tc.raise)
		}
	}
}

// The sensor's arithmetic on samples: others' time is the busy time less
// this process's, over the window; windows shorter than senseWindow keep
// the last reading.
func TestCPUSensorWindows(t *testing.T) {
	t0 := time.Unix(1000, 0)
	samples := []cpuSample{
		{busy: 10 * time.Second, self: 1 * time.Second},
		{busy: 10*time.Second + 600*time.Millisecond, self: 1*time.Second + 200*time.Millisecond}, // +400 ms: 1.0 others, 0.5 self
		{busy: 11 * time.Second, self: 1*time.Second + 600*time.Millisecond},                      // +400 ms: all own
	}
	i := 0
	s := &cpuSensor{cores: 2, read: func() (cpuSample, bool) { i++; return samples[i-1], true }}
	if _, ok := s.latest(t0); ok {
		t.Fatal("a reading from one sample")
	}
	steps := []struct {
		at     time.Duration
		others float64
		seq    uint64
	}{
		{400 * time.Millisecond, 1.0, 1},
		{500 * time.Millisecond, 1.0, 1}, // too soon: the same reading
		{800 * time.Millisecond, 0, 2},
	}
	for _, st := range steps {
		r, ok := s.latest(t0.Add(st.at))
		if !ok || r.seq != st.seq || r.others < st.others-1e-9 || r.others > st.others+1e-9 {
			t.Fatalf("at %v: reading %+v (%v), want others %.1f, seq %d", st.at, r, ok, st.others, st.seq)
		}
	}
	if i != 3 {
		t.Fatalf("%d samples taken, want 3", i)
	}
}

// TestHelperSpin is the spinning child of TestCPUSensorSeesAnotherProcess.
func TestHelperSpin(t *testing.T) {
	if os.Getenv("CHAPEL_TEST_SPIN") != "1" {
		t.Skip("the spinning child of TestCPUSensorSeesAnotherProcess")
	}
	runtime.GOMAXPROCS(1)
	done := make(chan struct{})
	go func() { b := make([]byte, 1); os.Stdin.Read(b); close(done) }()
	for {
		end := time.Now().Add(10 * time.Millisecond)
		spinUntil(func() bool { return time.Now().After(end) })
		select {
		case <-done:
			return
		default:
		}
	}
}

// spinUntil spins the calling goroutine until done says so.
func spinUntil(done func() bool) {
	x := uint64(1)
	for !done() {
		for range 1 << 12 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	if x == 0 {
		println(x)
	}
}
