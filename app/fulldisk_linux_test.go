//go:build linux

package app

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/chapelapp/chapel/backend/paths"
	"github.com/chapelapp/chapel/backend/store"
	"github.com/chapelapp/chapel/backend/testdisk"
)

// TestOpensOnAFullDisk: a run died on a full disk with a reply streaming
// (the likeliest way a run dies there). With the disk still full to the
// last byte, Chapel opens all the same: the tidying it cannot write waits
// for the next start, and its conversations can be read and deleted to
// make room. It used to refuse every command, deleting included, with
// "could not recover unfinished replies: the disk is full".
func TestOpensOnAFullDisk(t *testing.T) {
	disk := testdisk.Small(t, 48<<20)
	t.Setenv(paths.EnvHome, filepath.Join(disk, "home"))
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)

	dead, err := openServices(ctx, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := dead.store.CreateConversation(ctx, "Kept", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dead.store.AddMessages(ctx,
		store.Message{ConversationID: kept.ID, Role: "user", Content: "Tell me about lighthouses"},
		store.Message{ConversationID: kept.ID, Role: "assistant", Status: store.StatusStreaming, Content: "The keeper climbed"}); err != nil {
		t.Fatal(err)
	}
	spare, err := dead.store.CreateConversation(ctx, "Spare", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dead.store.AddMessage(ctx, store.Message{ConversationID: spare.ID, Role: "user", Content: "hello"}); err != nil {
		t.Fatal(err)
	}
	// The run dies: its lock goes, its database is never closed (the WAL stays).
	dead.lock.Release()
	t.Cleanup(func() { dead.store.Close() })
	testdisk.Fill(t, filepath.Join(disk, "filler"))
	if _, err := dead.store.CreateConversation(ctx, "one more", ""); err == nil {
		t.Fatal("the disk is not full: the test would prove nothing")
	}

	svc, err := openServices(ctx, log, nil)
	if err != nil {
		t.Fatalf("opening on the full disk: %v", err)
	}
	defer svc.close()
	cs, err := svc.store.ListConversations(ctx)
	if err != nil || len(cs) != 2 {
		t.Fatalf("conversations on the full disk: %d, %v", len(cs), err)
	}
	d, err := svc.store.ConversationDetail(ctx, kept.ID)
	if err != nil || len(d.Messages) != 2 || d.Messages[1].Content != "The keeper climbed" {
		t.Fatalf("the conversation on the full disk: %+v, %v", d.Messages, err)
	}
	if err := svc.store.DeleteConversation(ctx, spare.ID); err != nil {
		t.Fatalf("deleting on the full disk: %v", err)
	}
}
