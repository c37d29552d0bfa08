package app

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/ingest"
	"github.com/chapelapp/chapel/backend/paths"
	"github.com/chapelapp/chapel/backend/store"
)

// filesHolding lists the files under dir whose bytes hold word (any case).
func filesHolding(t *testing.T, dir, word string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(word))) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestDeleteCommands: `chapel conversations delete ID` and `chapel
// documents delete ID` delete what they name, and its text leaves the data
// folder (database, WAL, stored copy); an unknown ID is an error naming it.
func TestDeleteCommands(t *testing.T) {
	const marker = "wombatmarker"
	ctx := context.Background()
	home := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(home, paths.DatabaseName))
	if err != nil {
		t.Fatal(err)
	}
	conv, err := st.CreateConversation(ctx, "About the "+marker, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMessage(ctx, store.Message{ConversationID: conv.ID, Role: "user", Content: strings.Repeat("Tell me of the "+marker+". ", 50)}); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "notes.md")
	if err := os.WriteFile(src, []byte(strings.Repeat("The "+marker+" digs burrows.\n\n", 200)), 0o600); err != nil {
		t.Fatal(err)
	}
	svc := ingest.New(st, filepath.Join(home, paths.DocumentsName), nil)
	out, err := svc.Ingest(ctx, []string{src}, nil)
	if err != nil || len(out.Documents) != 1 {
		t.Fatalf("ingest: %v %+v", err, out)
	}
	doc := out.Documents[0]
	svc.Close()
	st.Close()
	if len(filesHolding(t, home, marker)) == 0 {
		t.Fatal("the marker is nowhere before deleting: the test would prove nothing")
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"conversations", "delete", strconv.FormatInt(conv.ID, 10), strconv.FormatInt(conv.ID, 10)}, "deleted conversation " + strconv.FormatInt(conv.ID, 10)},
		{[]string{"documents", "delete", strconv.FormatInt(doc.ID, 10)}, "deleted document " + strconv.FormatInt(doc.ID, 10)},
	} {
		got, err := chapelCmd(home, c.args...).CombinedOutput()
		if err != nil || strings.TrimSpace(string(got)) != c.want {
			t.Errorf("chapel %s: %v, %q; want %q", strings.Join(c.args, " "), err, got, c.want)
		}
	}
	if left := filesHolding(t, home, marker); len(left) > 0 {
		t.Errorf("after deleting, the marker is still in %v", left)
	}
	for _, args := range [][]string{{"conversations", "--json"}, {"documents", "--json"}} {
		got, err := chapelCmd(home, args...).Output()
		if err != nil || strings.TrimSpace(string(got)) != "[]" {
			t.Errorf("chapel %s: %v %q, want []", strings.Join(args, " "), err, got)
		}
	}

	got, err := chapelCmd(home, "documents", "delete", "999").CombinedOutput()
	if err == nil || !strings.Contains(string(got), "document 999 not found") {
		t.Errorf("deleting an unknown document: %v %q", err, got)
	}
	got, err = chapelCmd(home, "conversations", "delete", "seven").CombinedOutput()
	if err == nil || !strings.Contains(string(got), `"seven" is not a conversation ID`) {
		t.Errorf("deleting with a bad ID: %v %q", err, got)
	}
}
