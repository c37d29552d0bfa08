package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// holding lists which of the database's files hold word (any case).
func holding(t *testing.T, s *Store, word string) []string {
	t.Helper()
	var out []string
	for _, p := range []string{s.Path(), s.Path() + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(word))) {
			out = append(out, filepath.Base(p))
		}
	}
	return out
}

// TestDeleteMessageLeavesNoTrace: deleting one message (a question and the
// replies under it) takes its words out of the database, its full-text
// index and the WAL, while the rest of the conversation stays searchable.
func TestDeleteMessageLeavesNoTrace(t *testing.T) {
	const marker = "Platypusmarker"
	ctx := context.Background()
	s := openTest(t)
	c, err := s.CreateConversation(ctx, "Animals", "")
	if err != nil {
		t.Fatal(err)
	}
	kept, err := s.AddMessage(ctx, Message{ConversationID: c.ID, Role: "user", Content: "Tell me about echidnas."})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := s.AddMessage(ctx, Message{ConversationID: c.ID, Role: "user", Content: strings.Repeat("And the "+marker+"? ", 300)})
	if err != nil {
		t.Fatal(err)
	}
	if len(holding(t, s, marker)) == 0 {
		t.Fatal("the marker is nowhere before the delete: the test would prove nothing")
	}
	if _, _, err := s.DeleteMessage(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	if got := holding(t, s, marker); len(got) > 0 {
		t.Errorf("after deleting the message, the marker is still in %v", got)
	}
	res, err := s.Search(ctx, "echidnas", 5)
	if err != nil || len(res.Messages) != 1 || res.Messages[0].MessageID != kept.ID {
		t.Errorf("searching what stayed: %+v, %v", res, err)
	}
}
