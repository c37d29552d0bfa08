package bench

import (
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/llama"
)

// TestParseSynthetic: the names `chapel bench --synthetic` and `make bench`
// (BENCH_MODELS) take, and the message for one it does not.
func TestParseSynthetic(t *testing.T) {
	for _, tc := range []struct {
		name  string
		shape string
		ft    llama.FileType
	}{
		{"1b-q4_0", "1b", llama.FileTypeQ4_0},
		{"1B-Q4_K_M", "1b", llama.FileTypeQ4_K_M},
		{"0.5b-q8_0", "0.5b", llama.FileTypeQ8_0},
		{"tiny-f32", "tiny", llama.FileTypeF32},
		{"135m-f16", "135m", llama.FileTypeF16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shape, ft, err := ParseSynthetic(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if want := gguf.Shapes[tc.shape]; shape.Name != want.Name || shape.Embd != want.Embd || ft != tc.ft {
				t.Errorf("ParseSynthetic(%q) = %q, %v; want shape %q, type %v", tc.name, shape.Name, ft, want.Name, tc.ft)
			}
		})
	}
	for _, bad := range []string{"1b", "1b-q5_k", "2b-q4_0", "", "-q4_0"} {
		if _, _, err := ParseSynthetic(bad); err == nil || !strings.Contains(err.Error(), "q4_k_m") {
			t.Errorf("ParseSynthetic(%q): error %v, want one that lists the types", bad, err)
		}
	}
}
