package app

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/store"
)

// `chapel summarize` says its plan; run again it answers from the saved
// summary, and with --force it makes every piece again.
func TestSummarizeForce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the CLI three times on a real model")
	}
	home := t.TempDir()
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	doc := filepath.Join(t.TempDir(), "valleys.md")
	if err := os.WriteFile(doc, []byte(longText(8)), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (summaryJSON, string) {
		t.Helper()
		cmd := chapelCmd(home, append([]string{"summarize", "--model", model, "--json"}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("summarize %v: %v\n%s", args, err, stderr.String())
		}
		var got summaryJSON
		if err := json.Unmarshal(out, &got); err != nil || got.Status != store.SummaryComplete {
			t.Fatalf("summarize %v printed %q (%v)", args, out, err)
		}
		return got, stderr.String()
	}
	cases := []struct {
		name   string
		args   []string
		redone bool // every saved piece made again
		plan   bool // the plan line is printed
	}{
		{"first run", []string{doc}, true, true},
		{"again: the saved summary", []string{doc}, false, false},
		{"again with --force", []string{"--force", doc}, true, true},
	}
	before := map[pieceKey]int64{}
	for _, c := range cases {
		got, stderr := run(c.args...)
		after := savedPieces(t, home)
		redone := 0
		for k, at := range after {
			if before[k] != at {
				redone++
			}
		}
		if c.redone != (redone == len(after)) || len(after) == 0 || (!c.redone && redone != 0) {
			t.Errorf("%s: %d of %d pieces made in this run", c.name, redone, len(after))
		}
		if hasPlan := strings.Contains(stderr, "plan for valleys.md: ") && strings.Contains(stderr, "token counts from the model's tokenizer"); hasPlan != c.plan {
			t.Errorf("%s: plan line printed %v, want %v:\n%s", c.name, hasPlan, c.plan, stderr)
		}
		if got.Summary == "" || got.Coverage == "" {
			t.Errorf("%s: %+v", c.name, got)
		}
		before = after
	}
}
