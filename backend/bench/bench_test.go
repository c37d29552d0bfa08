package bench

import "testing"

// TestPairedRatio: the median of the rounds' ratios, each round's pair
// taken together.
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
			if got := PairedRatio(tc.a, tc.b); got != tc.want {
				t.Errorf("PairedRatio(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}
