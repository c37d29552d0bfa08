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

// TestReserveFitsItsDisk: the reserve is reserveBytes, or a fifth of a
// small disk; one already big enough stays as it is.
func TestReserveFitsItsDisk(t *testing.T) {
	const size = 1 << 20
	tests := []struct {
		name     string
		existing int64 // bytes of reserve there before; -1: none
		disk     int64 // the disk's size; -1: unknown
		want     int64
	}{
		{"a big disk", -1, 500 << 30, size},
		{"a disk of five reserves", -1, 5 * size, size},
		{"a small disk", -1, 2 * size, 2 * size / reserveShare},
		{"size unknown", -1, -1, size},
		{"made before", size, 500 << 30, size},
		{"half made", size / 2, 500 << 30, size},
		{"made before, larger than this disk now allows: shrunk", size, 2 * size, 2 * size / reserveShare},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "chapel.db"+reserveSuffix)
			if tt.existing >= 0 {
				if err := os.WriteFile(path, make([]byte, tt.existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			r := reserve{path: path, size: size, diskSize: func(string) (int64, error) {
				if tt.disk < 0 {
					return -1, os.ErrPermission
				}
				return tt.disk, nil
			}}
			r.ensure()
			fi, err := os.Stat(path)
			if err != nil || fi.Size() != tt.want {
				t.Errorf("reserve = %v, %v; want %d bytes", fi, err, tt.want)
			}
			if _, err := os.Stat(path + ".tmp"); err == nil {
				t.Error("a .tmp file is left")
			}
		})
	}
}
