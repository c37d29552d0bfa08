package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/paths"
	"github.com/chapelapp/chapel/backend/store"
)

// summaryRow is the one summary in home's database.
func summaryRow(t *testing.T, home string) store.Summary {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(home, "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	docs, err := st.ListDocuments(ctx)
	if err != nil || len(docs) != 1 {
		t.Fatalf("documents: %v, %v", docs, err)
	}
	sums, err := st.ListSummaries(ctx, docs[0].ID)
	if err != nil || len(sums) != 1 {
		t.Fatalf("summaries: %v, %v", sums, err)
	}
	return sums[0]
}

// `chapel summarize` on a summary another Chapel is making is refused with
// one sentence and exit code 1, touching nothing; the other process's lock
// goes with it, and the same command then runs.
func TestSummaryBusyInAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the CLI on a real model")
	}
	home := t.TempDir()
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	doc := filepath.Join(t.TempDir(), "valleys.md")
	if err := os.WriteFile(doc, []byte(longText(4)), 0o644); err != nil {
		t.Fatal(err)
	}
	summarize := func(args ...string) (string, error) {
		cmd := chapelCmd(home, append([]string{"summarize", "--model", model}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		return stderr.String(), err
	}
	if stderr, err := summarize(doc); err != nil {
		t.Fatalf("first summary: %v\n%s", err, stderr)
	}
	sum := summaryRow(t, home)
	made := savedPieces(t, home)

	release, ok, err := paths.TryLockSummary(home, sum.ID) // this test process plays the other Chapel
	if !ok || err != nil {
		t.Fatalf("lock: %v, %v", ok, err)
	}
	cases := []struct {
		name string
		args []string
		// refused: the command needs to run the summary; without --force the
		// complete one is printed as it is, running nothing.
		refused bool
	}{
		{"again: the saved summary", []string{doc}, false},
		{"again from the start", []string{"--force", doc}, true},
	}
	for _, c := range cases {
		stderr, err := summarize(c.args...)
		var exit *exec.ExitError
		switch {
		case !c.refused && err != nil:
			t.Errorf("%s: %v\n%s", c.name, err, stderr)
		case c.refused && (!errors.As(err, &exit) || exit.ExitCode() != 1):
			t.Errorf("%s: %v, want exit code 1\n%s", c.name, err, stderr)
		case c.refused:
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			want := "chapel: valleys.md: This summary is being made in another Chapel window or command; summarise again once that has finished"
			if last := lines[len(lines)-1]; last != want || strings.Count(stderr, "being made") != 1 {
				t.Errorf("%s: stderr\n%s\nwant it to end with the one line %q", c.name, stderr, want)
			}
		}
	}
	if got := summaryRow(t, home); got.Status != store.SummaryComplete {
		t.Errorf("the refused run left the summary %q", got.Status)
	}
	after := savedPieces(t, home)
	for k, at := range made {
		if after[k] != at {
			t.Errorf("the refused run touched piece %v", k)
		}
	}
	release()
	if stderr, err := summarize("--force", doc); err != nil {
		t.Errorf("after the other process let go: %v\n%s", err, stderr)
	}
}
