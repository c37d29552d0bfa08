package app

import (
	"testing"

	"github.com/chapelapp/chapel/backend/bench"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
)

// `chapel bench --under-load` runs every configuration once a round, idle
// rounds and then loaded ones, and compares the default with one thread
// round by round: each row carries every round's speed, and the ratios are
// the median of the rounds' ratios.
func TestBenchUnderLoadRounds(t *testing.T) {
	if testing.Short() {
		t.Skip("keeps a core busy for a while")
	}
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	var rep struct {
		Rows               []loadRow `json:"rows"`
		DefaultVsOneIdle   float64   `json:"default_vs_one_idle"`
		DefaultVsOneLoaded float64   `json:"default_vs_one_loaded"`
	}
	runJSON(t, chapelCmd(t.TempDir(), "bench", "--under-load", "--model", model, "--threads", "2", "--pp", "8", "--tg", "8", "--reps", "3", "--json"), &rep)
	if len(rep.Rows) != 3 {
		t.Fatalf("rows %+v, want default, one thread, all threads fixed", rep.Rows)
	}
	for _, r := range rep.Rows {
		if len(r.IdleRuns) != 3 || len(r.LoadRuns) != 3 {
			t.Errorf("%s: idle runs %v, loaded runs %v, want 3 rounds each", r.Config, r.IdleRuns, r.LoadRuns)
		}
		if r.IdleTPS != median3(r.IdleRuns) || r.LoadTPS != median3(r.LoadRuns) {
			t.Errorf("%s: idle %v loaded %v, want the medians of %v and %v", r.Config, r.IdleTPS, r.LoadTPS, r.IdleRuns, r.LoadRuns)
		}
	}
	def, one := rep.Rows[0], rep.Rows[1]
	if want := bench.PairedRatio(def.IdleRuns, one.IdleRuns); rep.DefaultVsOneIdle != want || want <= 0 {
		t.Errorf("default vs one thread idle %v, want %v from the rounds", rep.DefaultVsOneIdle, want)
	}
	if want := bench.PairedRatio(def.LoadRuns, one.LoadRuns); rep.DefaultVsOneLoaded != want || want <= 0 {
		t.Errorf("default vs one thread loaded %v, want %v from the rounds", rep.DefaultVsOneLoaded, want)
	}
	t.Logf("default vs one thread: idle %.2f×, loaded %.2f×", rep.DefaultVsOneIdle, rep.DefaultVsOneLoaded)
}

// median3 is the middle of three values.
func median3(xs []float64) float64 {
	if len(xs) != 3 {
		return -1
	}
	a, b, c := xs[0], xs[1], xs[2]
	return max(min(a, b), min(max(a, b), c))
}

// `chapel bench --parallel N --history H`: each round runs one sequence
// right before the N together, and the follow-up right before the same new
// tokens alone; the gain and the follow-up ratio are the medians of the
// rounds' ratios, which the report carries.
func TestBenchParallelAndFollowUpRounds(t *testing.T) {
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	var rep bench.Report
	runJSON(t, chapelCmd(t.TempDir(), "bench", "--model", model, "--threads", "1", "--pp", "8", "--tg", "8", "--reps", "3",
		"--parallel", "2", "--history", "64", "--json"), &rep)
	if rep.Parallel != 2 || rep.ParallelTGTPS <= 0 || rep.ParallelOneTPS <= 0 {
		t.Fatalf("parallel: %d sequences, %v tok/s together, %v alone", rep.Parallel, rep.ParallelTGTPS, rep.ParallelOneTPS)
	}
	for _, c := range []struct {
		name   string
		rounds []float64
		got    float64
	}{
		{"parallel gain", rep.ParallelRounds, rep.ParallelGain},
		{"follow-up ratio", rep.FollowUpRounds, rep.FollowUpRatio},
	} {
		if len(c.rounds) != 3 || c.got != bench.Median(c.rounds) || c.got <= 0 {
			t.Errorf("%s %v, rounds %v: want the median of 3 rounds", c.name, c.got, c.rounds)
		}
	}
	if rep.History != 64 || rep.FollowUpTTFTMS <= 0 || rep.AloneTTFTMS <= 0 {
		t.Errorf("follow-up: history %d, %v ms after it, %v ms alone", rep.History, rep.FollowUpTTFTMS, rep.AloneTTFTMS)
	}
}
