package engine

import (
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/gguf"
)

func TestEstimateMemoryAndFit(t *testing.T) {
	hdr, err := gguf.ReadFile(tinyModel(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	m := EstimateMemory(hdr, 1024)
	// tiny: 2 layers, 2 KV heads of 16 dims, keys and values in F16.
	if want := int64(1024 * 2 * 2 * (16 + 16) * 2); m.KVCache != want {
		t.Errorf("KV cache %d, want %d", m.KVCache, want)
	}
	if m.Weights != int64(hdr.TensorDataBytes()) || m.Total() <= m.Weights {
		t.Errorf("estimate %+v", m)
	}
	cases := []struct {
		name      string
		available int64
		fits      bool
	}{
		{"unknown", -1, true},
		{"plenty", 64 << 30, true},
		{"exactly", m.Total(), true},
		{"too little", m.Total() - 1, false},
	}
	for _, c := range cases {
		err := checkFits("/models/tiny.gguf", m, c.available)
		if (err == nil) != c.fits {
			t.Errorf("%s: err = %v", c.name, err)
		}
		if err != nil && (apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "needs about") || !strings.Contains(err.Error(), "available")) {
			t.Errorf("%s: message %q", c.name, err)
		}
	}
}

// A batch context's cache is checked against the memory available before
// it is made: four sequences of 2,048 tokens at 32 KiB a token need 256 MiB
// and the compute buffers.
func TestBatchContextFits(t *testing.T) {
	const perToken, n, perSeq = 32 << 10, 4, 2048
	need := int64(perToken*n*perSeq + batchCompute)
	for _, c := range []struct {
		name      string
		available int64
		fits      bool
	}{
		{"unknown", -1, true},
		{"plenty", 8 << 30, true},
		{"exactly", need, true},
		{"too little", need - 1, false},
		{"none", 0, false},
	} {
		err := checkBatchFits(perToken, n, perSeq, c.available)
		if (err == nil) != c.fits {
			t.Errorf("%s: err = %v", c.name, err)
		}
		if err != nil && (apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "4 passages at once") || !strings.Contains(err.Error(), "0.3 GB")) {
			t.Errorf("%s: message %q", c.name, err)
		}
	}
}
