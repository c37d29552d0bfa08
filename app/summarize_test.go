package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/paths"
	"github.com/chapelapp/chapel/backend/store"
)

// TestMain lets the test binary stand in for the chapel binary: with
// CHAPEL_TEST_MAIN set it runs Main on its arguments (the CLI, and the
// engine worker the CLI starts by re-executing itself).
func TestMain(m *testing.M) {
	if os.Getenv("CHAPEL_TEST_MAIN") != "" {
		os.Exit(Main(os.Args[1:], nil, nil, "test"))
	}
	os.Exit(m.Run())
}

// chapelCmd is the chapel CLI (this test binary) with args, one engine
// thread and CHAPEL_HOME set to home.
func chapelCmd(home string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CHAPEL_TEST_MAIN=1", "CHAPEL_HOME="+home, "CHAPEL_THREADS=1")
	return cmd
}

// runJSON runs cmd and decodes its standard output, one JSON value, into
// v; the test fails with the command's standard error if either fails.
func runJSON(t *testing.T, cmd *exec.Cmd, v any) {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, stderr.String())
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
}

// longText is a plain-text document of n sections, big enough to need
// many summary pieces.
func longText(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "# Chapter %d\n\n", i)
		for j := 0; j < 6; j++ {
			fmt.Fprintf(&b, "In chapter %d the farmers of valley %d counted %d sheep and planted barley near the river. ", i, j, i*j+3)
		}
		b.WriteString("\n\n")
	}
	return b.String()
}

type pieceKey struct{ level, ord int }

// savedPieces reads the complete pieces of every summary in home's
// database with the time each was saved.
func savedPieces(t *testing.T, home string) map[pieceKey]int64 {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(home, "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	out := map[pieceKey]int64{}
	docs, err := st.ListDocuments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		sums, err := st.ListSummaries(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sums {
			ps, err := st.Pieces(ctx, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				if p.Status == store.PieceComplete {
					out[pieceKey{p.Level, p.Ord}] = p.CreatedAt
				}
			}
		}
	}
	return out
}

// TestSummarizeResumesAfterSIGKILL kills `chapel summarize` in the middle
// of a summary, runs it again, and checks that no saved piece was made
// again and that the summary covers the whole document.
func TestSummarizeResumesAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the CLI twice on a real model")
	}
	home := t.TempDir()
	model := testmodel.Tiny(t, gguf.ChatMLTemplate)
	doc := filepath.Join(t.TempDir(), "valleys.md")
	if err := os.WriteFile(doc, []byte(longText(40)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home, "chapel.db")); err == nil {
		t.Fatal("home is not fresh")
	}

	first := chapelCmd(home, "summarize", "--model", model, "--json", doc)
	var stderr bytes.Buffer
	first.Stderr = &stderr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for some pieces to be saved, then kill the CLI without warning.
	deadline := time.Now().Add(60 * time.Second)
	var before map[pieceKey]int64
	for {
		time.Sleep(50 * time.Millisecond)
		if _, err := os.Stat(filepath.Join(home, "chapel.db")); err == nil {
			if before = savedPieces(t, home); len(before) >= 3 {
				break
			}
		}
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatalf("no pieces saved within a minute; stderr:\n%s", stderr.String())
		}
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	before = savedPieces(t, home) // pieces saved up to the kill

	second := chapelCmd(home, "summarize", "--model", model, "--json", doc)
	out, err := second.Output()
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	var got summaryJSON
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if got.Status != store.SummaryComplete || got.ChunksSummarized != got.Chunks || !strings.HasPrefix(got.Coverage, "Covers ") ||
		len(got.Citations) == 0 || got.Summary == "" || len(got.Blake3) != 64 {
		t.Errorf("second run printed %+v", got)
	}
	after := savedPieces(t, home)
	redone := 0
	for k, at := range before {
		if after[k] != at {
			redone++
		}
	}
	if redone > 0 {
		t.Errorf("%d of the %d pieces saved before the kill were made again", redone, len(before))
	}
	if len(after) <= len(before) {
		t.Errorf("the second run saved no new pieces (%d before, %d after): was the first one finished already?", len(before), len(after))
	}
	t.Logf("killed after %d pieces; %d pieces in the end; coverage %q", len(before), len(after), got.Coverage)

	// A third run is answered from the cache.
	third := chapelCmd(home, "summarize", "--model", model, "--json", doc)
	out3, err := third.Output()
	if err != nil {
		t.Fatalf("third run: %v", err)
	}
	var cached summaryJSON
	if err := json.Unmarshal(out3, &cached); err != nil || cached.Summary != got.Summary || cached.DocumentID != got.DocumentID {
		t.Errorf("the cached run printed %+v (%v), want the same summary", cached, err)
	}
	if final := savedPieces(t, home); len(final) != len(after) {
		t.Errorf("the cached run saved pieces: %d → %d", len(after), len(final))
	}
}

// TestSecondProcessLeavesRunningWorkAlone: a CLI command run while another
// Chapel holds the data folder must not mark that process's streaming reply
// as failed; once the folder is free, the next start does.
func TestSecondProcessLeavesRunningWorkAlone(t *testing.T) {
	home := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(home, "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.CreateConversation(ctx, "busy", "")
	if err != nil {
		t.Fatal(err)
	}
	reply, err := st.AddMessage(ctx, store.Message{ConversationID: c.ID, Role: "assistant", Status: store.StatusStreaming, Content: "so far"})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	status := func() string {
		st, err := store.Open(ctx, filepath.Join(home, "chapel.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		m, err := st.GetMessage(ctx, reply.ID)
		if err != nil {
			t.Fatal(err)
		}
		return m.Status
	}
	window, err := paths.LockDataDir(home) // this test plays the open window
	if err != nil || !window.Owner() {
		t.Fatalf("lock: %v", err)
	}
	if out, err := chapelCmd(home, "conversations").CombinedOutput(); err != nil {
		t.Fatalf("conversations: %v\n%s", err, out)
	}
	if got := status(); got != store.StatusStreaming {
		t.Errorf("a second process marked the window's streaming reply %q", got)
	}
	window.Release()
	if out, err := chapelCmd(home, "conversations").CombinedOutput(); err != nil {
		t.Fatalf("conversations: %v\n%s", err, out)
	}
	if got := status(); got != store.StatusFailed {
		t.Errorf("after the window quit, the abandoned reply is %q, want failed", got)
	}
}
