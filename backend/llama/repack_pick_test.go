package llama

import (
	"testing"
	"time"
)

// TestPickKernel: the kernel a build does not start with is taken only
// when it took at most 90 % of the default's time.
func TestPickKernel(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name          string
		chapel, ggml  time.Duration
		chapelDefault bool
		want          bool
	}{
		{"Chapel's default, Chapel's faster", 10 * ms, 14 * ms, true, true},
		{"Chapel's default, ggml's a little faster: noise", 10 * ms, 9500 * time.Microsecond, true, true},
		{"Chapel's default, ggml's clearly faster", 10 * ms, 8 * ms, true, false},
		{"ggml's default, Chapel's a little faster: noise", 9500 * time.Microsecond, 10 * ms, false, false},
		{"ggml's default, Chapel's at exactly 90 %", 9 * ms, 10 * ms, false, true},
		{"ggml's default, Chapel's clearly faster", 7 * ms, 10 * ms, false, true},
		{"ggml's default, ggml's faster", 12 * ms, 10 * ms, false, false},
		{"no time measured keeps the default", 0, 10 * ms, false, false},
		{"no time measured keeps Chapel's default", 10 * ms, 0, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := pickKernel([2]time.Duration{tc.chapel, tc.ggml}, tc.chapelDefault); got != tc.want {
				t.Errorf("pickKernel(%v, %v, default Chapel %v) = %v, want %v", tc.chapel, tc.ggml, tc.chapelDefault, got, tc.want)
			}
		})
	}
}

// TestRepackChoiceString: the line `chapel bench` prints and the About box
// shows, for each way the kernels can have been chosen.
func TestRepackChoiceString(t *testing.T) {
	ms := time.Millisecond
	times := RepackTimes{OneRow: [2]time.Duration{10 * ms, 18 * ms}, FourRows: [2]time.Duration{20 * ms, 16 * ms}}
	for _, tc := range []struct {
		name string
		c    RepackChoice
		want string
	}{
		{"not compiled", RepackChoice{}, "ggml's (this build has no Chapel repack kernels)"},
		{"measured, AVX512-VNNI",
			RepackChoice{Compiled: true, Flavour: "AVX512-VNNI", OneRow: true, Measured: true, Times: times, MeasuredIn: 23 * ms},
			"Q4_0 generation (one row): Chapel's (AVX512-VNNI), 1.80× ggml's speed; Q4_0 prompts (four rows): ggml's, Chapel's (AVX512-VNNI) at 0.80× its speed; measured at start in 23 ms"},
		{"measured, with the Q4_K kernel",
			RepackChoice{Compiled: true, Flavour: "AVX512-VNNI", OneRow: true, FourRows: true, Measured: true, Times: times, MeasuredIn: 35 * ms,
				KQuants: []KQuantChoice{{Name: "Q4_K prompts", Chapel: true, Times: [2]time.Duration{10 * ms, 17 * ms}}, {Name: "Q6_K prompts", Times: [2]time.Duration{10 * ms, 5 * ms}}}},
			"Q4_0 generation (one row): Chapel's (AVX512-VNNI), 1.80× ggml's speed; Q4_0 prompts (four rows): Chapel's (AVX512-VNNI), 0.80× ggml's speed; Q4_K prompts: Chapel's (AVX512-VNNI), 1.70× ggml's speed; Q6_K prompts: ggml's, Chapel's (AVX512-VNNI) at 0.50× its speed; measured at start in 35 ms"},
		{"with the key product",
			RepackChoice{Compiled: true, Flavour: "AVX2", OneRow: true, FourRows: true, Forced: "chapel", KeyScores: "Chapel's"},
			"Q4_0 generation (one row): Chapel's (AVX2); Q4_0 prompts (four rows): Chapel's (AVX2); attention scores over Q8_0 keys (one query and batches): Chapel's; chosen by CHAPEL_REPACK_DRIVER=chapel"},
		{"with every attention kernel",
			RepackChoice{Compiled: true, Flavour: "AVX2", OneRow: true, FourRows: true, Forced: "chapel", KeyScores: "Chapel's", F16Attention: "Chapel's", Softmax: "ggml's (CHAPEL_SOFTMAX_DRIVER=ggml)"},
			"Q4_0 generation (one row): Chapel's (AVX2); Q4_0 prompts (four rows): Chapel's (AVX2); attention scores over Q8_0 keys (one query and batches): Chapel's; attention over F16 values and keys (one query): Chapel's; attention softmax: ggml's (CHAPEL_SOFTMAX_DRIVER=ggml); chosen by CHAPEL_REPACK_DRIVER=chapel"},
		{"the Q4_K kernel compiled, its measurement failed",
			RepackChoice{Compiled: true, Flavour: "AVX512-VNNI", Measured: true, Times: times, MeasuredIn: 20 * ms, KQuants: []KQuantChoice{{Name: "Q4_K prompts", Chapel: true}}},
			"Q4_0 generation (one row): ggml's, Chapel's (AVX512-VNNI) at 1.80× its speed; Q4_0 prompts (four rows): ggml's, Chapel's (AVX512-VNNI) at 0.80× its speed; Q4_K prompts: Chapel's (AVX512-VNNI); measured at start in 20 ms"},
		{"forced, AVX2",
			RepackChoice{Compiled: true, Flavour: "AVX2", OneRow: true, FourRows: true, Forced: "chapel"},
			"Q4_0 generation (one row): Chapel's (AVX2); Q4_0 prompts (four rows): Chapel's (AVX2); chosen by CHAPEL_REPACK_DRIVER=chapel"},
		{"the build's default, no flavour named",
			RepackChoice{Compiled: true, FourRows: true},
			"Q4_0 generation (one row): ggml's; Q4_0 prompts (four rows): Chapel's; the build's default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.String(); got != tc.want {
				t.Errorf("String() =\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}
