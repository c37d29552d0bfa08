package store

import (
	"context"
	"strings"
	"testing"
)

func TestSearch(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, _ := s.CreateConversation(ctx, "Baking", "")
	if _, err := s.AddMessages(ctx,
		Message{ConversationID: c.ID, Role: "user", Content: "How do I bake sourdough bread at home?"},
		Message{ConversationID: c.ID, Role: "assistant", Content: "Feed the starter, then bake the dough in a hot oven. Bread needs steam."},
	); err != nil {
		t.Fatal(err)
	}
	other, _ := s.CreateConversation(ctx, "Café", "")
	if _, err := s.AddMessages(ctx, Message{ConversationID: other.ID, Role: "user", Content: "Où est le café? Ça coûte combien?"}); err != nil {
		t.Fatal(err)
	}
	nd := NewDocument{Blake3: strings.Repeat("b", 64), Name: "oven.txt", Format: "text"}
	for i, text := range []string{"Bread goes in ovens, slowly.", "Oven hot, oven ready.", "Flour.", "Water.", "Salt."} {
		section := ""
		if i == 1 {
			section = "Baking"
		}
		nd.Chunks = append(nd.Chunks, Chunk{Ord: i, Start: len(nd.Text), End: len(nd.Text) + len(text), Text: text, Section: section})
		nd.Text += text
	}
	if _, _, err := s.AddDocument(ctx, nd); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query            string
		messages, passes int
		snippet          string // in the first message hit
	}{
		{"bread", 2, 1, "\x02bread\x03"},
		{"BAKE bread", 2, 0, ""},
		{"sourd", 1, 0, "\x02sourdough\x03"},
		{"cafe", 1, 0, "\x02café\x03"},
		{"oven", 1, 2, ""},
		{`"unbalanced AND (`, 0, 0, ""},
		{"  ", 0, 0, ""},
		{"nothing-matches-this", 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r, err := s.Search(ctx, tt.query, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Messages) != tt.messages || len(r.Passages) != tt.passes {
				t.Fatalf("%d messages, %d passages; want %d, %d: %+v", len(r.Messages), len(r.Passages), tt.messages, tt.passes, r)
			}
			if tt.snippet != "" && !strings.Contains(r.Messages[0].Snippet, tt.snippet) {
				t.Errorf("snippet %q lacks %q", r.Messages[0].Snippet, tt.snippet)
			}
			for _, h := range r.Messages {
				if h.ConversationTitle == "" || h.Role == "" {
					t.Errorf("hit %+v", h)
				}
			}
		})
	}
	// Ranked: the passage that says "oven" twice comes first.
	r, _ := s.Search(ctx, "oven", 10)
	if r.Passages[0].ChunkOrd != 1 || r.Passages[0].Section != "Baking" || r.Passages[0].DocumentName != "oven.txt" {
		t.Errorf("passages %+v", r.Passages)
	}
	// A reply is re-indexed as its text grows.
	m, _ := s.AddMessage(ctx, Message{ConversationID: c.ID, Role: "assistant", Status: StatusStreaming})
	if err := s.UpdateMessageContent(ctx, m.ID, "crumb structure", 2, 1); err != nil {
		t.Fatal(err)
	}
	if hits, _ := s.SearchMessages(ctx, "crumb", 5); len(hits) != 1 || hits[0].MessageID != m.ID {
		t.Errorf("streamed text not found: %+v", hits)
	}
}
