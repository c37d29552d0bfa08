package engine

import (
	"math"
	"runtime"
	"sync"
	"time"
)

// Why the engine looks at what else the machine runs: the tuner
// (threads.go) learns a count's speed by timing it, so a load that was
// already there when a request starts is found only after the first
// decodes ran at the remembered idle count (a summary's first 512-token
// batch at two threads on a two-core machine with one core busy), and when
// the load goes the tuner waits for a trial of more threads, which after a
// collapse is hundreds of steps away. The operating system knows both: the
// CPU time the machine spent, less this process's own, is what other
// programs (and, in a virtual machine, the host) took. Read between
// decodes over a window of at least senseWindow, it says how many cores are
// free for the engine's threads.

// senseWindow is the shortest window a reading covers: Linux counts CPU
// time in 10 ms ticks per core, so two cores over 200 ms are 40 ticks, and
// a core taken by another program (1.0) stands well clear of a tick's
// rounding (±0.1).
const senseWindow = 200 * time.Millisecond

// cpuSample is one reading of the clocks: the CPU time all programs spent
// on the cores this process may use, and this process's own.
type cpuSample struct {
	at         time.Time
	busy, self time.Duration
}

// cpuReading is what the sensor saw over one window: how many cores'
// worth of CPU time other programs took (others) of the cores this process
// may use; seq tells one window's reading from the next.
type cpuReading struct {
	seq    uint64
	cores  int
	others float64
}

// Where a core counts as taken: the engine gives one up when the others
// took at least half a core's time more than it leaves (takenAt), and asks
// for it back only when they take a quarter or less (freeAt), so a load
// near the line does not move the count at every window.
const (
	takenAt = 0.5
	freeAt  = 0.25
)

// freeToLower is how many cores the others leave free by takenAt; at
// least one (this process always gets a core's share).
func (r cpuReading) freeToLower() int {
	return max(1, r.cores-int(math.Floor(max(0, r.others)+1-takenAt)))
}

// freeToRaise is how many cores the others leave free by freeAt.
func (r cpuReading) freeToRaise() int {
	return max(1, r.cores-int(math.Ceil(max(0, r.others-freeAt))))
}

// cpuSensor reads the clocks for every engine in the process (the machine
// is one): the reading is over the window since the previous sample, which
// is taken at a decode at most every senseWindow. After an idle spell that
// window is the whole spell, its mean load.
type cpuSensor struct {
	mu      sync.Mutex
	last    cpuSample // zero: none taken yet
	cores   int       // the cores this process may use
	reading cpuReading
	// read takes a sample; ok is false where the system does not say
	// (then the sensor never reads anything).
	read func() (cpuSample, bool)
}

var sensor = &cpuSensor{cores: runtime.NumCPU(), read: readCPUSample}

// latest returns the reading of the latest window, first taking a new
// sample when the last is senseWindow old; ok is false while there is no
// reading. It costs two small reads (a /proc file and getrusage on Linux)
// at most every senseWindow, and a lock otherwise.
func (s *cpuSensor) latest(now time.Time) (cpuReading, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last.at.IsZero() || now.Sub(s.last.at) >= senseWindow {
		if cur, ok := s.read(); ok {
			cur.at = now
			if !s.last.at.IsZero() {
				s.reading = cpuReading{seq: s.reading.seq + 1, cores: s.cores, others: othersOf(s.last, cur)}
			}
			s.last = cur
		}
	}
	return s.reading, s.reading.seq > 0
}

// othersOf is how many cores' worth of time programs other than this one
// took between samples a and b.
func othersOf(a, b cpuSample) float64 {
	wall := b.at.Sub(a.at)
	if wall <= 0 {
		return 0
	}
	return max(0, float64((b.busy-a.busy)-(b.self-a.self))/float64(wall))
}
