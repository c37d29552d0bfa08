package bench

import "testing"

// TestPairedRatio: the median of the rounds' ratios, each round's pair
// taken together.
func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []float64
		want float64
	}{
		{"none", nil, 0},
		{"one", []float64{7}, 7},
		{"odd count, unsorted", []float64{9, 1, 5}, 5},
		{"even count: the mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
		{"two", []float64{10, 20}, 15},
		{"repeats", []float64{2, 2, 9, 2}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]float64(nil), tc.xs...)
			if got := Median(tc.xs); got != tc.want {
				t.Errorf("Median(%v) = %v, want %v", tc.xs, got, tc.want)
			}
			for i := range in {
				if in[i] != tc.xs[i] {
					t.Fatalf("Median reordered its argument: %v, was %v", tc.xs, in)
				}
			}
		})
	}
}

func TestPairedRatio(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []float64
		want float64
	}{
		{"rounds paired in order", []float64{10, 40, 90}, []float64{10, 20, 30}, 2},
		{"drift cancels", []float64{100, 200, 300}, []float64{100, 200, 300}, 1},
		{"a round without its pair is left out", []float64{2, 4, 6, 8}, []float64{1, 1}, 3},
		{"a zero reference is left out", []float64{5, 6, 9}, []float64{0, 3, 3}, 2.5},
		{"nothing to compare", nil, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PairedRatio(tc.a, tc.b); got != tc.want {
				t.Errorf("PairedRatio(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}
