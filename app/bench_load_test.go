package app

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
)

func TestPairedRatio(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []float64
		want float64
	}{
		{"rounds paired in order", []float64{10, 40, 90}, []float64{10, 20, 30}, 2},
		{"drift cancels", []float64{100, 200, 300}, []float64{100, 200, 300}, 1},
		{"a round without its pair is left out", []float64{2, 4, 6, 8}, []float64{1, 1}, 4},
		{"a zero reference is left out", []float64{5, 6, 9}, []float64{0, 3, 3}, 3},
		{"nothing to compare", nil, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := pairedRatio(tc.a, tc.b); got != tc.want {
				t.Errorf("pairedRatio(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

// `chapel bench --under-load` runs every configuration once a round, idle
// rounds and then loaded ones, and compares the default with one thread
// round by round: each row carries every round's speed, and the ratios are
// the median of the rounds' ratios.
func TestBenchUnderLoadRounds(t *testing.T) {
	if testing.Short() {
		t.Skip("keeps a core busy for a while")
	}
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	cmd := chapelCmd(t.TempDir(), "bench", "--under-load", "--model", model, "--threads", "2", "--pp", "8", "--tg", "8", "--reps", "3", "--json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	var rep struct {
		Rows               []loadRow `json:"rows"`
		DefaultVsOneIdle   float64   `json:"default_vs_one_idle"`
		DefaultVsOneLoaded float64   `json:"default_vs_one_loaded"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
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
	if want := pairedRatio(def.IdleRuns, one.IdleRuns); rep.DefaultVsOneIdle != want || want <= 0 {
		t.Errorf("default vs one thread idle %v, want %v from the rounds", rep.DefaultVsOneIdle, want)
	}
	if want := pairedRatio(def.LoadRuns, one.LoadRuns); rep.DefaultVsOneLoaded != want || want <= 0 {
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
