package store

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
)

// TestCloseWaitsForWriters: a write under way when the store closes
// finishes and is saved; Close returns after it; a write that comes after
// Close fails cleanly (unavailable: "Chapel is closing"), never with
// "sql: database is closed" and never with a panic.
func TestCloseWaitsForWriters(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/chapel.db"
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateConversation(ctx, "Shutdown", "")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := s.AddMessages(ctx, Message{ConversationID: c.ID, Role: "user", Content: "hi"},
		Message{ConversationID: c.ID, Role: "assistant", Status: StatusStreaming})
	if err != nil {
		t.Fatal(err)
	}
	reply := ms[1].ID

	// A writer inside its transaction when Close is called.
	inside, release := make(chan struct{}), make(chan struct{})
	wrote := make(chan error, 1)
	go func() {
		wrote <- s.inTx(ctx, "could not save the reply", func(tx *sql.Tx) error {
			close(inside)
			<-release
			return setContent(ctx, tx, reply, "the reply so far", 4, 1, s.nowMS())
		})
	}()
	<-inside
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a write was under way", err)
	case <-time.After(200 * time.Millisecond):
	}
	// A write that begins once Close has started is refused cleanly.
	_, err = s.FinishMessage(ctx, reply, StatusStopped, "late", "", 1, 1, 1)
	if apperr.CodeOf(err) != apperr.Unavailable || !strings.Contains(apperr.Message(err), "Chapel is closing") {
		t.Errorf("a write after Close: %v (%s), want unavailable, Chapel is closing", err, apperr.CodeOf(err))
	}
	close(release)
	if err := <-wrote; err != nil {
		t.Errorf("the write under way: %v", err)
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := s.ListConversations(ctx); apperr.CodeOf(err) != apperr.Unavailable {
		t.Errorf("a read after Close: %v, want unavailable", err)
	}

	again, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	m, err := again.GetMessage(ctx, reply)
	if err != nil || m.Content != "the reply so far" || m.Status != StatusStreaming {
		t.Errorf("after reopening: %+v, %v; want the write under way saved", m, err)
	}
}
