package llama

/*
extern int chapel_repack_driver;
extern int chapel_repack_taken;
int chapel_repack_compiled(void);
int chapel_repack_measure(int rounds, double *out);
int chapel_repack_vnni(void);
int chapel_repack_compare(int n, int nc, int rows, unsigned seed);
*/
import "C"

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// RepackCompiled reports whether this build carries Chapel's kernels for
// ggml's repacked Q4_0 weights (repack_q4.cpp: x86-64 with AVX2, Linux and
// Windows).
func RepackCompiled() bool { return C.chapel_repack_compiled() != 0 }

// RepackFlavour names the instructions Chapel's kernels were built with:
// "AVX512-VNNI" (x86-64-v4 builds with VNNI: vpdpbusd on 512-bit vectors),
// "AVX2", or "" without them.
func RepackFlavour() string {
	switch {
	case !RepackCompiled():
		return ""
	case C.chapel_repack_vnni() != 0:
		return "AVX512-VNNI"
	}
	return "AVX2"
}

// SetRepackKernels chooses who multiplies repacked Q4_0 weights, for the
// one-row product (every generated token) and the four-row product (prompt
// batches) apart: true is Chapel's kernel, false ggml's. It clears what
// RepackTaken reports.
func SetRepackKernels(oneRow, fourRows bool) {
	d := 0
	if oneRow && RepackCompiled() {
		d |= 1
	}
	if fourRows && RepackCompiled() {
		d |= 2
	}
	C.chapel_repack_driver, C.chapel_repack_taken = C.int(d), 0
}

// RepackKernels reports which of Chapel's kernels are in use.
func RepackKernels() (oneRow, fourRows bool) {
	return C.chapel_repack_driver&1 != 0, C.chapel_repack_driver&2 != 0
}

// SetRepackDriver chooses Chapel's kernels (true) or ggml's for both
// products. The tests compare the two.
func SetRepackDriver(chapel bool) { SetRepackKernels(chapel, chapel) }

// RepackTaken reports which of Chapel's kernels ran since SetRepackKernels:
// the one-row kernel and the four-row kernel.
func RepackTaken() (oneRow, fourRows bool) {
	return C.chapel_repack_taken&1 != 0, C.chapel_repack_taken&2 != 0
}

// CompareRepack runs Chapel's and ggml's kernels on the same made-up
// weights, nc columns (a multiple of 8) of n values (a multiple of 32), for
// one row or a multiple of four rows, and returns how many of the rows × nc
// results differ in any bit.
func CompareRepack(n, nc, rows int, seed uint32) (int, error) {
	if !RepackCompiled() {
		return 0, fmt.Errorf("this build has no Chapel repack kernels")
	}
	d := C.chapel_repack_compare(C.int(n), C.int(nc), C.int(rows), C.uint(seed))
	if d < 0 {
		return 0, fmt.Errorf("compare the repack kernels: %d rows of %d × %d is not a shape they take", rows, n, nc)
	}
	return int(d), nil
}

// RepackTimes are both drivers' median times for the same products on
// one thread (chapel_repack_measure): [0] Chapel's kernel, [1] ggml's.
type RepackTimes struct {
	OneRow, FourRows [2]time.Duration
}

// MeasureRepack times both drivers' kernels in the given number of
// alternating rounds (about 3 ms a round on the AMD EPYC, AVX2, where it
// was written).
func MeasureRepack(rounds int) (RepackTimes, error) {
	if !RepackCompiled() {
		return RepackTimes{}, fmt.Errorf("this build has no Chapel repack kernels")
	}
	var out [4]C.double
	if C.chapel_repack_measure(C.int(rounds), &out[0]) != 0 {
		return RepackTimes{}, fmt.Errorf("measure the repack kernels: %d rounds is too few", rounds)
	}
	ns := func(v C.double) time.Duration { return time.Duration(v) }
	return RepackTimes{OneRow: [2]time.Duration{ns(out[0]), ns(out[1])}, FourRows: [2]time.Duration{ns(out[2]), ns(out[3])}}, nil
}

// switchBy: the kernel a build does not start with is taken only when it
// took at most this share of the default's time, so that noise on a
// shared machine cannot flip the choice back and forth between runs.
const switchBy = 0.9

// pickKernel returns whether Chapel's kernel should run, given the two
// times ([0] Chapel's, [1] ggml's) and the build's default.
func pickKernel(t [2]time.Duration, chapelDefault bool) bool {
	if t[0] <= 0 || t[1] <= 0 {
		return chapelDefault
	}
	if chapelDefault {
		return float64(t[1]) > switchBy*float64(t[0])
	}
	return float64(t[0]) <= switchBy*float64(t[1])
}

// RepackChoice is who multiplies repacked Q4_0 weights in this process,
// and why.
type RepackChoice struct {
	Compiled                       bool
	Flavour                        string      // RepackFlavour
	OneRow, FourRows               bool        // Chapel's kernel in use
	Measured                       bool        // chosen by MeasureRepack's times
	Times                          RepackTimes // when Measured
	Forced                         string      // CHAPEL_REPACK_DRIVER's value, when it chose
	MeasuredIn                     time.Duration
	DefaultOneRow, DefaultFourRows bool // the build's defaults

	// The K-quant kernels this build carries (KQuantKernels), chosen the
	// same way.
	KQuants []KQuantChoice

	// Who computes attention scores over Q8_0 keys, for a reply step's
	// query and for batches (attn_rows.cpp): "Chapel's", "ggml's
	// (CHAPEL_KQ_DRIVER=ggml)", or "" where the build has no such kernel.
	// Not measured at start: bit for bit ggml's, with fewer calls for one
	// query and 1.5× tinyBLAS's speed for batches (TestKQProducts's log).
	KeyScores string

	// Who computes a reply step's products with F16 attention caches, the
	// values and unquantised keys (attn_f16.cpp): "Chapel's", "ggml's
	// (CHAPEL_KQV_DRIVER=ggml)", or "" where the build has no such kernel.
	// Measured in `chapel bench --pp 2048` against CHAPEL_KQV_DRIVER=ggml
	// (README); bit for bit ggml's.
	F16Attention string

	// Who computes the softmax of attention scores (softmax.cpp):
	// "Chapel's", "ggml's (CHAPEL_SOFTMAX_DRIVER=ggml)", or "" where the
	// build has no such kernel. Bit for bit ggml's.
	Softmax string
}

// KQuantChoice is who multiplies one kind of K-quant weights, and why.
type KQuantChoice struct {
	Name    string           // KQuantKernel.Name
	Chapel  bool             // Chapel's kernel in use
	Default bool             // the build's default
	Times   [2]time.Duration // when Measured: [0] Chapel's, [1] ggml's
}

// String says it in a line, for `chapel bench`, the engine's load and the
// About box: "Q4_0 generation (one row): Chapel's (AVX2), 1.76× ggml's
// speed; Q4_0 prompts (four rows): Chapel's (AVX2), 2.08× ggml's speed;
// measured at start in 26 ms", with a part for each K-quant kernel the
// build carries ("Q4_K prompts: …") before the last.
func (c RepackChoice) String() string {
	if !c.Compiled {
		return "ggml's (this build has no Chapel repack kernels)"
	}
	ours := "Chapel's"
	if c.Flavour != "" {
		ours += " (" + c.Flavour + ")"
	}
	part := func(what string, chapel bool, t [2]time.Duration) string {
		measured := c.Measured && t[0] > 0 && t[1] > 0
		switch {
		case !measured && chapel:
			return what + ": " + ours
		case !measured:
			return what + ": ggml's"
		case chapel:
			return fmt.Sprintf("%s: %s, %.2f× ggml's speed", what, ours, float64(t[1])/float64(t[0]))
		}
		return fmt.Sprintf("%s: ggml's, %s at %.2f× its speed", what, ours, float64(t[1])/float64(t[0]))
	}
	s := part("Q4_0 generation (one row)", c.OneRow, c.Times.OneRow) + "; " + part("Q4_0 prompts (four rows)", c.FourRows, c.Times.FourRows)
	for _, k := range c.KQuants {
		s += "; " + part(k.Name, k.Chapel, k.Times)
	}
	if c.KeyScores != "" {
		s += "; attention scores over Q8_0 keys (one query and batches): " + c.KeyScores
	}
	if c.F16Attention != "" {
		s += "; attention over F16 values and keys (one query): " + c.F16Attention
	}
	if c.Softmax != "" {
		s += "; attention softmax: " + c.Softmax
	}
	switch {
	case c.Measured:
		return s + fmt.Sprintf("; measured at start in %d ms", c.MeasuredIn.Milliseconds())
	case c.Forced != "":
		return s + "; chosen by CHAPEL_REPACK_DRIVER=" + c.Forced
	}
	return s + "; the build's default"
}

// repackDefault is the build's choice (repack_q4.cpp), read before any
// SetRepackKernels.
var repackDefault = C.chapel_repack_driver

var (
	repackOnce   sync.Once
	repackChoice RepackChoice
)

// Repack chooses who multiplies repacked Q4_0 weights (and, where the build
// carries them, Q4_K and Q6_K weights: KQuantKernels) in this process, the
// first time it is called (the local engine's Load, before the model's
// first decode), and reports it. Processes that load no model never pay
// for the measurement.
func Repack() RepackChoice {
	repackOnce.Do(chooseRepack)
	return repackChoice
}

// repackRounds: 7 alternating rounds take about 20 ms.
const repackRounds = 7

// chooseRepack: CHAPEL_REPACK_DRIVER=ggml|chapel picks a driver for every
// product; otherwise each product gets the kernel MeasureRepack (and each
// K-quant kernel's Measure) finds faster on this CPU, the build's default
// unless the other is clearly faster (switchBy). The results are the same
// either way.
func chooseRepack() {
	Init()
	c := RepackChoice{Compiled: RepackCompiled(), Flavour: RepackFlavour(), DefaultOneRow: repackDefault&1 != 0, DefaultFourRows: repackDefault&2 != 0}
	c.KeyScores, c.F16Attention, c.Softmax = KQ.driverName(), KQV.driverName(), Softmax.driverName()
	kernels := KQuantKernels()
	c.KQuants = make([]KQuantChoice, len(kernels))
	for i, k := range kernels {
		c.KQuants[i] = KQuantChoice{Name: k.Name, Default: k.def}
	}
	switch v := os.Getenv("CHAPEL_REPACK_DRIVER"); v {
	case "ggml", "chapel":
		SetRepackDriver(v == "chapel")
		for _, k := range kernels {
			k.Set(v == "chapel")
		}
		c.Forced = v
	default:
		if !c.Compiled {
			break
		}
		start := time.Now()
		t, err := MeasureRepack(repackRounds)
		if err != nil {
			break
		}
		for i, k := range kernels {
			if kt, err := k.Measure(repackRounds); err == nil {
				c.KQuants[i].Times = kt
			}
			k.Set(pickKernel(c.KQuants[i].Times, k.def))
		}
		c.Measured, c.Times, c.MeasuredIn = true, t, time.Since(start)
		SetRepackKernels(pickKernel(t.OneRow, c.DefaultOneRow), pickKernel(t.FourRows, c.DefaultFourRows))
	}
	c.OneRow, c.FourRows = RepackKernels()
	for i, k := range kernels {
		c.KQuants[i].Chapel = k.On()
	}
	repackChoice = c
}
