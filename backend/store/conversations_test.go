package store

import (
	"context"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
)

func titles(cs []Conversation) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Title)
	}
	return out
}

func TestConversationCRUD(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)

	c, err := s.CreateConversation(ctx, "  Plans \n for   Sunday ", "/m/a.gguf")
	if err != nil {
		t.Fatal(err)
	}
	if c.ID == 0 || c.Title != "Plans for Sunday" || c.Model != "/m/a.gguf" || c.CreatedAt == 0 || c.UpdatedAt != c.CreatedAt {
		t.Fatalf("created %+v", c)
	}
	got, err := s.GetConversation(ctx, c.ID)
	if err != nil || got != c {
		t.Fatalf("GetConversation = %+v, %v; want %+v", got, err, c)
	}
	untitled, err := s.CreateConversation(ctx, "   ", "")
	if err != nil || untitled.Title != DefaultTitle {
		t.Fatalf("untitled = %+v, %v", untitled, err)
	}

	renamed, err := s.RenameConversation(ctx, c.ID, " Sunday ")
	if err != nil || renamed.Title != "Sunday" || renamed.UpdatedAt != c.UpdatedAt {
		t.Fatalf("renamed = %+v, %v", renamed, err)
	}

	if err := s.DeleteConversation(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetConversation(ctx, c.ID)
	wantCode(t, err, apperr.NotFound)
	if want := "conversation 1 not found"; apperr.Message(err) != want {
		t.Errorf("message = %q, want %q", apperr.Message(err), want)
	}
}

func TestConversationErrors(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, err := s.CreateConversation(ctx, "x", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
		code apperr.Code
	}{
		{"get missing", func() error { _, err := s.GetConversation(ctx, 99); return err }, apperr.NotFound},
		{"rename missing", func() error { _, err := s.RenameConversation(ctx, 99, "y"); return err }, apperr.NotFound},
		{"rename empty", func() error { _, err := s.RenameConversation(ctx, c.ID, " \n\t "); return err }, apperr.Invalid},
		{"rename too long", func() error {
			_, err := s.RenameConversation(ctx, c.ID, strings.Repeat("é", MaxTitleLen+1))
			return err
		}, apperr.Invalid},
		{"create too long", func() error { _, err := s.CreateConversation(ctx, strings.Repeat("a", 201), ""); return err }, apperr.Invalid},
		{"delete missing", func() error { return s.DeleteConversation(ctx, 99) }, apperr.NotFound},
		{"detail missing", func() error { _, err := s.ConversationDetail(ctx, 99); return err }, apperr.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code) })
	}
	// A title of exactly the limit is fine.
	if _, err := s.RenameConversation(ctx, c.ID, strings.Repeat("é", MaxTitleLen)); err != nil {
		t.Errorf("title of %d characters refused: %v", MaxTitleLen, err)
	}
}

func TestListConversationsMostRecentFirst(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if cs, err := s.ListConversations(ctx); err != nil || cs == nil || len(cs) != 0 {
		t.Fatalf("empty list = %#v, %v; want an empty, non-nil slice", cs, err)
	}
	ids := map[string]int64{}
	for _, title := range []string{"a", "b", "c"} {
		c, err := s.CreateConversation(ctx, title, "")
		if err != nil {
			t.Fatal(err)
		}
		ids[title] = c.ID
	}
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"newest first", func() error { return nil }, "c b a"},
		{"a message moves a to the top", func() error {
			_, err := s.AddMessage(ctx, Message{ConversationID: ids["a"], Role: "user", Content: "hi"})
			return err
		}, "a c b"},
		{"renaming does not move b", func() error { _, err := s.RenameConversation(ctx, ids["b"], "b2"); return err }, "a c b2"},
		{"deleting c", func() error { return s.DeleteConversation(ctx, ids["c"]) }, "a b2"},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		cs, err := s.ListConversations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(titles(cs), " "); got != st.want {
			t.Errorf("%s: order %q, want %q", st.name, got, st.want)
		}
	}
	cs, _ := s.ListConversations(ctx)
	if cs[0].MessageCount != 1 || cs[1].MessageCount != 0 {
		t.Errorf("message counts = %d, %d; want 1, 0", cs[0].MessageCount, cs[1].MessageCount)
	}
}

func TestDeleteConversationCascades(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	keep, _ := s.CreateConversation(ctx, "keep", "")
	gone, _ := s.CreateConversation(ctx, "gone", "")
	var goneIDs []int64
	for _, c := range []Conversation{keep, gone, gone} {
		m, err := s.AddMessage(ctx, Message{ConversationID: c.ID, Role: "user", Content: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if c.ID == gone.ID {
			goneIDs = append(goneIDs, m.ID)
		}
	}
	if err := s.DeleteConversation(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range goneIDs {
		_, err := s.GetMessage(ctx, id)
		wantCode(t, err, apperr.NotFound)
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM messages`).Scan(&n); err != nil || n != 1 {
		t.Errorf("messages left = %d (%v), want 1", n, err)
	}
}

func TestDropEmptyConversations(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	d, _, err := s.AddDocument(ctx, newDoc("1", "a.pdf", "alpha beta"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		make  func() (Conversation, error)
		stays bool
	}{
		{"new and empty", func() (Conversation, error) { return s.CreateConversation(ctx, "", "") }, false},
		{"a message written", func() (Conversation, error) {
			c, err := s.CreateConversation(ctx, "", "")
			if err == nil {
				_, err = s.AddMessage(ctx, Message{ConversationID: c.ID, Role: "user", Content: "hello"})
			}
			return c, err
		}, true},
		{"renamed", func() (Conversation, error) { return s.CreateConversation(ctx, "Ideas for later", "") }, true},
		{"an unsent draft", func() (Conversation, error) {
			c, err := s.CreateConversation(ctx, "", "")
			if err == nil {
				err = s.SaveDraft(ctx, c.ID, "half a thought")
			}
			return c, err
		}, true},
		{"its own instructions", func() (Conversation, error) {
			c, err := s.CreateConversation(ctx, "", "")
			if err == nil {
				c, err = s.SetInstructions(ctx, c.ID, "Answer in French.")
			}
			return c, err
		}, true},
		{"pinned", func() (Conversation, error) {
			c, err := s.CreateConversation(ctx, "", "")
			if err == nil {
				c, err = s.SetPinned(ctx, c.ID, true)
			}
			return c, err
		}, true},
		{"empty, but made after the cutoff", func() (Conversation, error) {
			c, err := s.CreateConversation(ctx, "", "")
			if err == nil {
				_, err = s.db.ExecContext(ctx, `UPDATE conversations SET created_at = ? WHERE id = ?`, int64(1)<<50, c.ID)
			}
			return c, err
		}, true},
		{"about a document", func() (Conversation, error) {
			c, err := s.DocumentConversation(ctx, d.ID, "")
			if err == nil {
				c, err = s.RenameConversation(ctx, c.ID, DefaultTitle)
			}
			return c, err
		}, true},
	}
	made := make([]Conversation, len(tests))
	for i, tt := range tests {
		c, err := tt.make()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		made[i] = c
	}
	cutoff := s.nowMS() + 1 // everything made above is older, but the one dated far ahead
	n, err := s.DropEmptyConversations(ctx, cutoff)
	if err != nil || n != 1 {
		t.Fatalf("DropEmptyConversations = %d, %v; want 1", n, err)
	}
	for i, tt := range tests {
		_, err := s.GetConversation(ctx, made[i].ID)
		if tt.stays && err != nil {
			t.Errorf("%s: gone (%v), want kept", tt.name, err)
		}
		if !tt.stays && apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("%s: GetConversation err = %v, want not found", tt.name, err)
		}
	}
	if n, err := s.DropEmptyConversations(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("second run = %d, %v; want 0", n, err)
	}
}

func TestSetInstructions(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, err := s.CreateConversation(ctx, "Plans", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   int64
		text string
		code apperr.Code // "" when saved
		want string      // the instructions afterwards
	}{
		{"set", c.ID, "  Answer as a pirate.\n", "", "Answer as a pirate."},
		{"replaced", c.ID, "Answer in French.", "", "Answer in French."},
		{"too long", c.ID, strings.Repeat("x", MaxInstructionsBytes+1), apperr.Invalid, "Answer in French."},
		{"not text", c.ID, "a\xffb", apperr.Invalid, "Answer in French."},
		{"a NUL", c.ID, "a\x00b", apperr.Invalid, "Answer in French."},
		{"no such conversation", 9999, "x", apperr.NotFound, "Answer in French."},
		{"at the limit", c.ID, strings.Repeat("y", MaxInstructionsBytes), "", strings.Repeat("y", MaxInstructionsBytes)},
		{"cleared", c.ID, "  \n", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.SetInstructions(ctx, tt.id, tt.text)
			if code := apperr.CodeOf(err); (tt.code == "" && err != nil) || (tt.code != "" && code != tt.code) {
				t.Fatalf("SetInstructions err = %v (code %q), want code %q", err, code, tt.code)
			}
			if err == nil && got.Instructions != tt.want {
				t.Errorf("returned %.30q, want %.30q", got.Instructions, tt.want)
			}
			read, err := s.GetConversation(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if read.Instructions != tt.want {
				t.Errorf("stored %.30q, want %.30q", read.Instructions, tt.want)
			}
			if read.UpdatedAt != c.UpdatedAt {
				t.Errorf("updated_at moved from %d to %d: instructions are not activity", c.UpdatedAt, read.UpdatedAt)
			}
		})
	}
}
