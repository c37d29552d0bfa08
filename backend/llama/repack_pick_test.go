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
