package store

import (
	"context"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
)

func TestSaveDraft(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a, err := s.CreateConversation(ctx, "a", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateConversation(ctx, "b", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   int64
		text string
		code apperr.Code // "" when saved
		want map[int64]string
	}{
		{"first draft", a.ID, "Dear Sir,\n\nI write", "", map[int64]string{a.ID: "Dear Sir,\n\nI write"}},
		{"replaced", a.ID, "Dear Madam,", "", map[int64]string{a.ID: "Dear Madam,"}},
		{"the box with no conversation", 0, "a new thought", "", map[int64]string{0: "a new thought", a.ID: "Dear Madam,"}},
		{"another conversation", b.ID, "🙂 ünïcode", "", map[int64]string{0: "a new thought", a.ID: "Dear Madam,", b.ID: "🙂 ünïcode"}},
		{"emptied box deletes", a.ID, "", "", map[int64]string{0: "a new thought", b.ID: "🙂 ünïcode"}},
		{"emptying twice is fine", a.ID, "", "", map[int64]string{0: "a new thought", b.ID: "🙂 ünïcode"}},
		{"no such conversation", 9999, "lost?", apperr.NotFound, map[int64]string{0: "a new thought", b.ID: "🙂 ünïcode"}},
		{"negative id", -1, "x", apperr.Invalid, map[int64]string{0: "a new thought", b.ID: "🙂 ünïcode"}},
		{"too long", b.ID, strings.Repeat("x", MaxDraftBytes+1), apperr.Invalid, map[int64]string{0: "a new thought", b.ID: "🙂 ünïcode"}},
		{"not text", b.ID, "a\xffb", apperr.Invalid, map[int64]string{0: "a new thought", b.ID: "🙂 ünïcode"}},
		{"at the limit", 0, strings.Repeat("y", MaxDraftBytes), "", map[int64]string{0: strings.Repeat("y", MaxDraftBytes), b.ID: "🙂 ünïcode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.SaveDraft(ctx, tt.id, tt.text)
			if got := apperr.CodeOf(err); (tt.code == "" && err != nil) || (tt.code != "" && got != tt.code) {
				t.Fatalf("SaveDraft err = %v (code %q), want code %q", err, got, tt.code)
			}
			ds, err := s.Drafts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := map[int64]string{}
			for _, d := range ds {
				got[d.ConversationID] = d.Text
				if d.UpdatedAt <= 0 {
					t.Errorf("draft %d has no time", d.ConversationID)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("drafts = %d %v, want %d", len(got), keys(got), len(tt.want))
			}
			for id, text := range tt.want {
				if got[id] != text {
					t.Errorf("draft %d = %.40q, want %.40q", id, got[id], text)
				}
			}
		})
	}
}

func keys(m map[int64]string) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A conversation's draft goes with it, whoever deletes it; the box with no
// conversation keeps its own.
func TestDraftGoesWithItsConversation(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, err := s.CreateConversation(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for id, text := range map[int64]string{c.ID: "unsent", 0: "elsewhere"} {
		if err := s.SaveDraft(ctx, id, text); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteConversation(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM drafts WHERE conversation_id = ?`, c.ID).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("draft rows of the deleted conversation = %d (%v), want 0", rows, err)
	}
	ds, err := s.Drafts(ctx)
	if err != nil || len(ds) != 1 || ds[0].ConversationID != 0 {
		t.Fatalf("Drafts = %+v, %v; want only the box with no conversation", ds, err)
	}
}
