package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
)

func TestMessagesInOrderAndDetail(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, _ := s.CreateConversation(ctx, "t", "")
	ms, err := s.AddMessages(ctx,
		Message{ConversationID: c.ID, Role: "user", Content: "Tell me a story"},
		Message{ConversationID: c.ID, Role: "assistant", Status: StatusStreaming, Model: "/m/b.gguf"})
	if err != nil {
		t.Fatal(err)
	}
	if ms[0].Status != StatusComplete || ms[1].Status != StatusStreaming || ms[0].ID >= ms[1].ID {
		t.Fatalf("added %+v", ms)
	}
	d, err := s.ConversationDetail(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Messages) != 2 || d.Messages[0].Content != "Tell me a story" || d.Messages[1].Role != "assistant" {
		t.Fatalf("detail messages %+v", d.Messages)
	}
	if d.Conversation.Model != "/m/b.gguf" || d.Conversation.MessageCount != 2 || d.Conversation.UpdatedAt <= c.UpdatedAt {
		t.Errorf("conversation not updated by the messages: %+v", d.Conversation)
	}
	empty, _ := s.CreateConversation(ctx, "empty", "")
	if d, err := s.ConversationDetail(ctx, empty.ID); err != nil || d.Messages == nil || len(d.Messages) != 0 {
		t.Errorf("empty detail = %#v, %v; want an empty, non-nil slice", d.Messages, err)
	}
}

func TestAddMessageErrors(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, _ := s.CreateConversation(ctx, "t", "")
	tests := []struct {
		name string
		m    Message
		code apperr.Code
	}{
		{"missing conversation", Message{ConversationID: 42, Role: "user"}, apperr.NotFound},
		{"no conversation", Message{Role: "user"}, apperr.Invalid},
		{"bad role", Message{ConversationID: c.ID, Role: "robot"}, apperr.Invalid},
		{"bad status", Message{ConversationID: c.ID, Role: "user", Status: "done"}, apperr.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.AddMessage(ctx, tt.m)
			wantCode(t, err, tt.code)
		})
	}
	// All or none: a bad second message keeps the first out too.
	_, err := s.AddMessages(ctx, Message{ConversationID: c.ID, Role: "user"}, Message{ConversationID: c.ID, Role: "robot"})
	wantCode(t, err, apperr.Invalid)
	if d, _ := s.ConversationDetail(ctx, c.ID); len(d.Messages) != 0 {
		t.Errorf("a failed AddMessages left %d messages", len(d.Messages))
	}
}

func TestStatusTransitions(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, _ := s.CreateConversation(ctx, "t", "")
	statuses := []string{StatusStreaming, StatusComplete, StatusStopped, StatusFailed}
	for _, from := range statuses {
		for _, to := range statuses {
			t.Run(from+"→"+to, func(t *testing.T) {
				m, err := s.AddMessage(ctx, Message{ConversationID: c.ID, Role: "assistant", Status: from, Content: "so far"})
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.FinishMessage(ctx, m.ID, to, "final", "why", 7, 3, 12.5)
				switch {
				case to == StatusStreaming:
					wantCode(t, err, apperr.Invalid)
				case from != StatusStreaming:
					wantCode(t, err, apperr.Conflict)
					if want := fmt.Sprintf("message %d is already %s", m.ID, from); apperr.Message(err) != want {
						t.Errorf("message %q, want %q", apperr.Message(err), want)
					}
				default:
					if err != nil {
						t.Fatal(err)
					}
					if got.Status != to || got.Content != "final" || got.Error != "why" || got.PromptTokens != 7 ||
						got.CompletionTokens != 3 || got.TokensPerSecond != 12.5 || got.UpdatedAt <= m.UpdatedAt {
						t.Errorf("finished %+v", got)
					}
				}
				if from != StatusStreaming {
					wantCode(t, s.UpdateMessageContent(ctx, m.ID, "more", 1, 1), apperr.Conflict)
				}
			})
		}
	}
	_, err := s.FinishMessage(ctx, 999, StatusComplete, "", "", 0, 0, 0)
	wantCode(t, err, apperr.NotFound)
	wantCode(t, s.UpdateMessageContent(ctx, 999, "x", 1, 1), apperr.NotFound)
}

// TestReplySurvivesACrash saves a streaming reply, reads it from a second
// Store on the same file (as a second process would) mid-stream, then
// "crashes" without finishing and recovers at the next start.
func TestReplySurvivesACrash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chapel.db")
	writer := openAt(t, path)
	c, _ := writer.CreateConversation(ctx, "t", "")
	ms, err := writer.AddMessages(ctx,
		Message{ConversationID: c.ID, Role: "user", Content: "Tell me a story"},
		Message{ConversationID: c.ID, Role: "assistant", Status: StatusStreaming})
	if err != nil {
		t.Fatal(err)
	}
	reply := ms[1]
	reader := openAt(t, path)
	for i, text := range []string{"Once", "Once upon", "Once upon a time"} {
		if err := writer.UpdateMessageContent(ctx, reply.ID, text, i+1, 20); err != nil {
			t.Fatal(err)
		}
		got, err := reader.GetMessage(ctx, reply.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Content != text || got.Status != StatusStreaming || got.CompletionTokens != i+1 {
			t.Fatalf("mid-stream read %+v, want content %q", got, text)
		}
	}
	writer.Close() // the app dies here: no FinishMessage
	reader.Close()

	restarted := openAt(t, path)
	n, err := restarted.RecoverStreaming(ctx)
	if err != nil || n != 1 {
		t.Fatalf("RecoverStreaming = %d, %v; want 1", n, err)
	}
	got, _ := restarted.GetMessage(ctx, reply.ID)
	if got.Status != StatusFailed || got.Error != RecoveredError || got.Content != "Once upon a time" {
		t.Errorf("recovered %+v", got)
	}
	if n, err := restarted.RecoverStreaming(ctx); err != nil || n != 0 {
		t.Errorf("second RecoverStreaming = %d, %v; want 0", n, err)
	}
	user, _ := restarted.GetMessage(ctx, ms[0].ID)
	if user.Status != StatusComplete {
		t.Errorf("recovery touched a complete message: %+v", user)
	}
}
