package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/paths"
	"github.com/chapelapp/chapel/backend/store"
	"github.com/chapelapp/chapel/backend/transfer"
)

func TestImportSummary(t *testing.T) {
	cases := []struct {
		res  store.ImportResult
		want string
	}{
		{store.ImportResult{Conversations: 4, Messages: 8}, "imported 4 conversations and 8 messages from ChatGPT"},
		{store.ImportResult{Conversations: 1, Messages: 1}, "imported 1 conversation and 1 message from ChatGPT"},
		{store.ImportResult{Skipped: 4}, "imported 0 conversations from ChatGPT (4 already here, skipped)"},
		{store.ImportResult{Conversations: 1, Messages: 3, Skipped: 3}, "imported 1 conversation and 3 messages from ChatGPT (3 already here, skipped)"},
		{store.ImportResult{}, "imported 0 conversations and 0 messages from ChatGPT"},
	}
	for _, c := range cases {
		if got := importSummary(transfer.Result{ImportResult: c.res, Format: "ChatGPT"}); got != c.want {
			t.Errorf("%+v: %q, want %q", c.res, got, c.want)
		}
	}
}

// chatGPTFile writes a ChatGPT conversations.json of n conversations of
// two messages each into dir.
func chatGPTFile(t *testing.T, dir, name string, n int) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		text := fmt.Sprintf("Question %d: %s", i, strings.Repeat("how do I bake bread? ", 10))
		item, _ := json.Marshal(map[string]any{"title": fmt.Sprintf("Bread %d", i), "create_time": 1_700_000_000 + i, "current_node": "a",
			"mapping": map[string]any{
				"q": map[string]any{"id": "q", "children": []string{"a"},
					"message": map[string]any{"author": map[string]string{"role": "user"}, "content": map[string]any{"content_type": "text", "parts": []string{text}}}},
				"a": map[string]any{"id": "a", "parent": "q",
					"message": map[string]any{"author": map[string]string{"role": "assistant"}, "content": map[string]any{"content_type": "text", "parts": []string{"Knead, rise, bake."}}}},
			}})
		b.Write(item)
	}
	b.WriteString("]")
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func countConversations(t *testing.T, home string) int {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(home, paths.DatabaseName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, err := st.ListConversations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// TestImportCommand: `chapel import` twice adds the conversations once and
// says the second time that they are already here; Ctrl+C (SIGINT) stops a
// large import, which then adds nothing.
func TestImportCommand(t *testing.T) {
	home := t.TempDir()
	small := chatGPTFile(t, t.TempDir(), "conversations.json", 3)
	for _, want := range []string{
		"imported 3 conversations and 6 messages from ChatGPT",
		"imported 0 conversations from ChatGPT (3 already here, skipped)",
	} {
		got, err := chapelCmd(home, "import", small).CombinedOutput()
		if err != nil || strings.TrimSpace(string(got)) != want {
			t.Errorf("chapel import: %v, %q; want %q", err, got, want)
		}
	}
	if n := countConversations(t, home); n != 3 {
		t.Errorf("%d conversations after importing 3 twice", n)
	}

	big := chatGPTFile(t, t.TempDir(), "big.json", 20_000)
	cmd := chapelCmd(home, "import", big)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Signal once the import is writing (its transaction fills the WAL), not
	// after a fixed time: earlier, Ctrl+C would find no import to stop.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if fi, err := os.Stat(filepath.Join(home, "chapel.db-wal")); err == nil && fi.Size() > 1<<20 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the import never started writing: %q", out.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 || strings.TrimSpace(out.String()) != "chapel: stopped; nothing was imported" {
		t.Fatalf("chapel import after SIGINT: %v, %q; want exit code 130 and that it stopped", err, out.String())
	}
	if d := time.Since(stopped); d > 30*time.Second {
		t.Errorf("the import took %s to stop", d)
	}
	if n := countConversations(t, home); n != 3 {
		t.Errorf("%d conversations after a stopped import, want the 3 from before", n)
	}
}
