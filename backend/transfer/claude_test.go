package transfer

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/store"
)

func TestParseClaude(t *testing.T) {
	cases := []struct {
		name, conv string
		path       []string // the branch shown, role: text
		all        int      // messages kept
	}{
		{"no parents: one branch in order", `{"name": "x", "chat_messages": [
			{"uuid": "a", "sender": "human", "text": "one"},
			{"uuid": "b", "sender": "assistant", "text": "two"},
			{"uuid": "c", "sender": "human", "text": "three"}]}`,
			[]string{"user: one", "assistant: two", "user: three"}, 3},
		{"the leaf named", `{"current_leaf_message_uuid": "b1", "chat_messages": [
			{"uuid": "q", "parent_message_uuid": "00000000-0000-4000-8000-000000000000", "sender": "human", "text": "q"},
			{"uuid": "b1", "parent_message_uuid": "q", "sender": "assistant", "text": "first", "created_at": "2024-01-01T00:00:01Z"},
			{"uuid": "b2", "parent_message_uuid": "q", "sender": "assistant", "text": "second", "created_at": "2024-01-01T00:00:02Z"}]}`,
			[]string{"user: q", "assistant: first"}, 3},
		{"no leaf named: the newest", `{"chat_messages": [
			{"uuid": "q", "parent_message_uuid": "00000000-0000-4000-8000-000000000000", "sender": "human", "text": "q"},
			{"uuid": "b1", "parent_message_uuid": "q", "sender": "assistant", "text": "first", "created_at": "2024-01-01T00:00:05Z"},
			{"uuid": "b2", "parent_message_uuid": "q", "sender": "assistant", "text": "second", "created_at": "2024-01-01T00:00:02Z"}]}`,
			[]string{"user: q", "assistant: first"}, 3},
		{"a leaf that is not there: the newest", `{"current_leaf_message_uuid": "gone", "chat_messages": [
			{"uuid": "q", "parent_message_uuid": "00000000-0000-4000-8000-000000000000", "sender": "human", "text": "q"},
			{"uuid": "b1", "parent_message_uuid": "q", "sender": "assistant", "text": "first", "created_at": "2024-01-01T00:00:01Z"},
			{"uuid": "b2", "parent_message_uuid": "q", "sender": "assistant", "text": "second", "created_at": "2024-01-01T00:00:02Z"}]}`,
			[]string{"user: q", "assistant: second"}, 3},
		{"thinking, tools and empty messages left out", `{"chat_messages": [
			{"uuid": "a", "sender": "human", "content": [{"type": "text", "text": "hi"}]},
			{"uuid": "b", "sender": "assistant", "text": "", "content": [{"type": "thinking", "thinking": "hmm"}, {"type": "tool_use"}]},
			{"uuid": "c", "sender": "assistant", "content": [{"type": "text", "text": "hello"}, {"type": "text", "text": "again"}]}]}`,
			[]string{"user: hi", "assistant: hello\n\nagain"}, 2},
		{"attachments' text kept, named", `{"chat_messages": [
			{"uuid": "a", "sender": "human", "text": "see", "attachments": [{"file_name": "notes.txt", "extracted_content": "abc\n"}, {"file_name": "img.png"}]}]}`,
			[]string{"user: see\n\nAttached notes.txt:\n\nabc"}, 1},
		{"repeated and missing ids each a message", `{"chat_messages": [
			{"uuid": "a", "sender": "human", "text": "one"},
			{"uuid": "a", "sender": "assistant", "text": "two"},
			{"sender": "human", "text": "three"}]}`,
			[]string{"user: one", "assistant: two", "user: three"}, 3},
		{"a loop of parents: the messages in order", `{"chat_messages": [
			{"uuid": "a", "parent_message_uuid": "b", "sender": "human", "text": "one"},
			{"uuid": "b", "parent_message_uuid": "a", "sender": "assistant", "text": "two"}]}`,
			[]string{"user: one", "assistant: two"}, 2},
		{"uploaded files named where they were", `{"chat_messages": [
			{"uuid": "a", "sender": "human", "text": "what is this?", "files": [{"file_name": "photo.png"}, {"file_name": " "}]},
			{"uuid": "b", "sender": "human", "text": "", "files": [{"file_name": "scan.pdf"}]}]}`,
			[]string{"user: what is this?\n\n[File not imported: photo.png]\n\n[File not imported]", "user: [File not imported: scan.pdf]"}, 2},
		{"unknown senders left out", `{"chat_messages": [{"uuid": "a", "sender": "system", "text": "x"}, {"uuid": "b", "sender": "human", "text": "y"}]}`,
			[]string{"user: y"}, 1},
		{"a parent the export lacks: after the message before", `{"current_leaf_message_uuid": "c", "chat_messages": [
			{"uuid": "a", "parent_message_uuid": "00000000-0000-4000-8000-000000000000", "sender": "human", "text": "one"},
			{"uuid": "b", "parent_message_uuid": "a", "sender": "assistant", "text": "two"},
			{"uuid": "c", "parent_message_uuid": "gone", "sender": "human", "text": "three"}]}`,
			[]string{"user: one", "assistant: two", "user: three"}, 3},
		{"only some name parents", `{"chat_messages": [
			{"uuid": "a", "sender": "human", "text": "one"},
			{"uuid": "b", "parent_message_uuid": "a", "sender": "assistant", "text": "two"},
			{"uuid": "c", "sender": "human", "text": "three"}]}`,
			[]string{"user: one", "assistant: two", "user: three"}, 3},
		{"a made-up id never taken twice", `{"chat_messages": [
			{"uuid": "\u00001.0", "sender": "human", "text": "one"},
			{"sender": "assistant", "text": "two"},
			{"sender": "human", "text": "three"}]}`,
			[]string{"user: one", "assistant: two", "user: three"}, 3},
		{"a leaf with nothing to show: the answer beside it", `{"current_leaf_message_uuid": "e", "chat_messages": [
			{"uuid": "q", "parent_message_uuid": "00000000-0000-4000-8000-000000000000", "sender": "human", "text": "one"},
			{"uuid": "r", "parent_message_uuid": "q", "sender": "assistant", "text": "other"},
			{"uuid": "e", "parent_message_uuid": "q", "sender": "assistant", "content": [{"type": "tool_use"}]}]}`,
			[]string{"user: one", "assistant: other"}, 2},
		{"no messages", `{"name": "empty", "chat_messages": []}`, nil, 0},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ic, err := parseClaude(json.RawMessage(c.conv), i)
			if err != nil {
				t.Fatal(err)
			}
			if len(ic.Messages) != c.all {
				t.Errorf("%d messages, want %d: %+v", len(ic.Messages), c.all, ic.Messages)
			}
			if got := branch(ic); !reflect.DeepEqual(got, c.path) {
				t.Errorf("branch %q, want %q", got, c.path)
			}
		})
	}
	if _, err := parseClaude(json.RawMessage(`{"name": "x"}`), 4); err == nil || !strings.Contains(err.Error(), "conversation 5 of the Claude export has no messages") {
		t.Errorf("no chat_messages: %v", err)
	}
}

// branch is the path from the root to an imported conversation's leaf.
func branch(ic store.ImportedConversation) []string {
	byID := map[int64]store.Message{}
	for _, m := range ic.Messages {
		byID[m.ID] = m
	}
	var out []string
	for id := ic.LeafID; id != 0; id = byID[id].ParentID {
		m, ok := byID[id]
		if !ok {
			break
		}
		out = append([]string{m.Role + ": " + m.Content}, out...)
	}
	return out
}
