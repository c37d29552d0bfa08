package store

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/apperr"
)

func TestMessageThinking(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, _ := s.CreateConversation(ctx, "t", "")
	ms, err := s.AddMessages(ctx,
		Message{ConversationID: c.ID, Role: "user", Content: "What is 17 × 23?"},
		Message{ConversationID: c.ID, Role: "assistant", Content: "**391**", Status: StatusComplete})
	if err != nil {
		t.Fatal(err)
	}
	user, reply := ms[0], ms[1]
	if reply.Thinking != "" || reply.ThinkingMS != 0 {
		t.Fatalf("a new reply has thinking %q (%d ms)", reply.Thinking, reply.ThinkingMS)
	}
	long := "a" + strings.Repeat("é", maxThinking/2) // é is 2 bytes: the limit falls inside the last one
	cases := []struct {
		name     string
		id       int64
		thinking string
		ms       int64
		want     string
		wantMS   int64
		code     apperr.Code
	}{
		{"saved apart from the answer", reply.ID, "\n17 × 23 = 340 + 51\n", 2300, "17 × 23 = 340 + 51", 2300, ""},
		{"a negative duration is none", reply.ID, "hm", -5, "hm", 0, ""},
		{"cut to the limit on a character boundary", reply.ID, long, 1, long[:maxThinking-1], 1, ""},
		{"a user's turn has none", user.ID, "x", 1, "", 0, apperr.Invalid},
		{"no such message", reply.ID + 100, "x", 1, "", 0, apperr.NotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := s.SetMessageThinking(ctx, c.id, c.thinking, c.ms)
			if c.code != "" {
				if apperr.CodeOf(err) != c.code {
					t.Fatalf("err %v, want code %s", err, c.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.GetMessage(ctx, c.id)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range []Message{m, got} {
				if x.Thinking != c.want || x.ThinkingMS != c.wantMS || x.Content != "**391**" || !utf8.ValidString(x.Thinking) {
					t.Errorf("message has thinking of %d bytes (%d ms), content %q; want %d bytes (%d ms)", len(x.Thinking), x.ThinkingMS, x.Content, len(c.want), c.wantMS)
				}
			}
		})
	}
}
