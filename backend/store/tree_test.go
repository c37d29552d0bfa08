package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
)

// treeFixture builds a conversation:
//
//	u1 ─ a1 ─ u2 ─ a2
//	   └ a1b            (a regenerated reply)
//
// and returns the ids by name.
func treeFixture(t *testing.T, s *Store) (Conversation, map[string]int64) {
	t.Helper()
	ctx := context.Background()
	c, err := s.CreateConversation(ctx, "tree", "")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	add := func(parent int64, names ...string) {
		t.Helper()
		var ms []Message
		for _, n := range names {
			role := "user"
			if n[0] == 'a' {
				role = "assistant"
			}
			ms = append(ms, Message{ConversationID: c.ID, Role: role, Content: n})
		}
		var saved []Message
		if parent < 0 {
			saved, err = s.AddMessages(ctx, ms...)
		} else {
			saved, err = s.AddMessagesAfter(ctx, parent, ms...)
		}
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range saved {
			ids[names[i]] = m.ID
		}
	}
	add(-1, "u1", "a1", "u2", "a2")
	add(ids["u1"], "a1b")
	return c, ids
}

// contents is the path a detail shows, as message contents.
func contents(ms []Message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Content)
	}
	return out
}

func TestTreeBranchesAndSwitching(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, ids := treeFixture(t, s)

	d, err := s.ConversationDetail(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	// A new version becomes the path shown.
	if got := contents(d.Messages); !reflect.DeepEqual(got, []string{"u1", "a1b"}) {
		t.Fatalf("path after regenerating = %v", got)
	}
	if want := [][]int64{{ids["u1"]}, {ids["a1"], ids["a1b"]}}; !reflect.DeepEqual(d.Versions, want) {
		t.Errorf("versions = %v, want %v", d.Versions, want)
	}
	if d.Conversation.LeafID != ids["a1b"] || d.Messages[1].ParentID != ids["u1"] || d.Messages[0].ParentID != 0 {
		t.Errorf("leaf %d, parents %d %d", d.Conversation.LeafID, d.Messages[0].ParentID, d.Messages[1].ParentID)
	}

	steps := []struct {
		name    string
		select_ string
		want    []string
	}{
		{"back to the first reply brings its branch back", "a1", []string{"u1", "a1", "u2", "a2"}},
		{"the second version again", "a1b", []string{"u1", "a1b"}},
		{"selecting a first message follows what was last shown", "u1", []string{"u1", "a1b"}},
		{"a message in the middle of a branch", "u2", []string{"u1", "a1", "u2", "a2"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			d, err := s.SelectMessage(ctx, ids[st.select_])
			if err != nil {
				t.Fatal(err)
			}
			if got := contents(d.Messages); !reflect.DeepEqual(got, st.want) {
				t.Errorf("path = %v, want %v", got, st.want)
			}
			again, _ := s.ConversationDetail(ctx, c.ID)
			if !reflect.DeepEqual(contents(again.Messages), st.want) {
				t.Errorf("the switch was not saved: %v", contents(again.Messages))
			}
		})
	}

	path, err := s.MessagePath(ctx, ids["u2"])
	if err != nil || !reflect.DeepEqual(contents(path), []string{"u1", "a1", "u2"}) {
		t.Errorf("MessagePath(u2) = %v, %v", contents(path), err)
	}
	_, err = s.MessagePath(ctx, 999)
	wantCode(t, err, apperr.NotFound)
	_, err = s.SelectMessage(ctx, 999)
	wantCode(t, err, apperr.NotFound)
}

func TestEditingTheFirstMessageMakesAnotherRoot(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, ids := treeFixture(t, s)
	edited, err := s.AddMessagesAfter(ctx, 0,
		Message{ConversationID: c.ID, Role: "user", Content: "u1 edited"},
		Message{ConversationID: c.ID, Role: "assistant", Content: "a1 again"})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := s.ConversationDetail(ctx, c.ID)
	if got := contents(d.Messages); !reflect.DeepEqual(got, []string{"u1 edited", "a1 again"}) {
		t.Fatalf("path = %v", got)
	}
	if want := []int64{ids["u1"], edited[0].ID}; !reflect.DeepEqual(d.Versions[0], want) {
		t.Errorf("first message versions = %v, want %v", d.Versions[0], want)
	}
	// Another conversation's message cannot be a parent.
	other, _ := s.CreateConversation(ctx, "other", "")
	_, err = s.AddMessagesAfter(ctx, ids["u1"], Message{ConversationID: other.ID, Role: "user", Content: "x"})
	wantCode(t, err, apperr.Invalid)
	_, err = s.AddMessagesAfter(ctx, 999, Message{ConversationID: c.ID, Role: "user", Content: "x"})
	wantCode(t, err, apperr.NotFound)
	_, err = s.AddMessages(ctx, Message{ConversationID: c.ID, Role: "user"}, Message{ConversationID: other.ID, Role: "user"})
	wantCode(t, err, apperr.Invalid)
}

func TestDeleteMessage(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		show     string // selected before deleting
		del      string
		deleted  int
		want     []string
		versions int // versions of the second message afterwards
	}{
		{"a reply with its branch: the other version shows", "a1", "a1", 3, []string{"u1", "a1b"}, 1},
		{"the newer version: the older one shows", "a1b", "a1b", 1, []string{"u1", "a1", "u2", "a2"}, 1},
		{"the last reply: the path ends at its question", "a2", "a2", 1, []string{"u1", "a1", "u2"}, 2},
		{"a question in the middle takes its replies", "a2", "u2", 2, []string{"u1", "a1"}, 2},
		{"a branch not shown leaves the path alone", "a1b", "u2", 2, []string{"u1", "a1b"}, 2},
		{"the first message takes everything", "a2", "u1", 5, []string{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			c, ids := treeFixture(t, s)
			if _, err := s.SelectMessage(ctx, ids[tt.show]); err != nil {
				t.Fatal(err)
			}
			d, n, err := s.DeleteMessage(ctx, ids[tt.del])
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.deleted {
				t.Errorf("deleted %d messages, want %d", n, tt.deleted)
			}
			if got := contents(d.Messages); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("path = %v, want %v", got, tt.want)
			}
			if len(d.Versions) > 1 && len(d.Versions[1]) != tt.versions {
				t.Errorf("versions = %v", d.Versions)
			}
			tree, _ := s.ConversationTree(ctx, c.ID)
			if len(tree.Messages) != 5-tt.deleted || tree.Conversation.MessageCount != 5-tt.deleted {
				t.Errorf("%d messages left (count %d), want %d", len(tree.Messages), tree.Conversation.MessageCount, 5-tt.deleted)
			}
			left := map[int64]bool{}
			for _, m := range tree.Messages {
				left[m.ID] = true
			}
			hits, _ := s.SearchMessages(ctx, tt.del, 10)
			for _, h := range hits {
				if !left[h.MessageID] {
					t.Errorf("a deleted message is still found: %+v", h)
				}
			}
		})
	}
	s := openTest(t)
	_, _, err := s.DeleteMessage(ctx, 42)
	wantCode(t, err, apperr.NotFound)
}

func TestReopenReply(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	_, ids := treeFixture(t, s)
	if _, err := s.SelectMessage(ctx, ids["a1"]); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		msg  string
		code apperr.Code
	}{
		{"a question", "u2", apperr.Invalid},
		{"a reply with messages after it", "a1", apperr.Conflict},
		{"missing", "nothing", apperr.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.ReopenReply(ctx, ids[tt.msg])
			wantCode(t, err, tt.code)
		})
	}
	m, err := s.ReopenReply(ctx, ids["a1b"])
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != StatusStreaming || m.Content != "a1b" {
		t.Errorf("reopened %+v", m)
	}
	d, _ := s.ConversationDetail(ctx, m.ConversationID)
	if d.Conversation.LeafID != m.ID {
		t.Errorf("the continued reply is not shown: leaf %d", d.Conversation.LeafID)
	}
	_, err = s.ReopenReply(ctx, m.ID)
	wantCode(t, err, apperr.Conflict)
	if _, err := s.FinishMessage(ctx, m.ID, StatusComplete, "a1b and more", "", 0, 9, 0); err != nil {
		t.Fatal(err)
	}
	got, err := s.EndReply(ctx, m.ID, StopLength, 4)
	if err != nil || got.StopReason != StopLength || got.Content != "a1b and more" || got.CompletionTokens != 13 {
		t.Errorf("after EndReply %+v, %v", got, err)
	}
	_, err = s.EndReply(ctx, m.ID, "tired", 0)
	wantCode(t, err, apperr.Invalid)
}

func TestPinned(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a, _ := s.CreateConversation(ctx, "a", "")
	b, _ := s.CreateConversation(ctx, "b", "")
	order := func() []int64 {
		cs, err := s.ListConversations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		return ids
	}
	if got := order(); !reflect.DeepEqual(got, []int64{b.ID, a.ID}) {
		t.Fatalf("order %v", got)
	}
	p, err := s.SetPinned(ctx, a.ID, true)
	if err != nil || !p.Pinned || p.UpdatedAt != a.UpdatedAt {
		t.Fatalf("pinned %+v, %v", p, err)
	}
	if got := order(); !reflect.DeepEqual(got, []int64{a.ID, b.ID}) {
		t.Errorf("pinned conversation not first: %v", got)
	}
	if p, _ := s.SetPinned(ctx, a.ID, false); p.Pinned {
		t.Error("still pinned")
	}
	_, err = s.SetPinned(ctx, 99, true)
	wantCode(t, err, apperr.NotFound)
}

// TestLinearConversationsBecomeChains opens a database made before the
// tree migration and finds each old conversation as one chain, ending at
// its last message, searchable.
func TestLinearConversationsBecomeChains(t *testing.T) {
	ctx := context.Background()
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "chapel.db")
	db, err := sql.Open("sqlite3", path+"?"+dsnParams)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, db, ms[:2], time.Now); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO conversations (id, title, created_at, updated_at) VALUES (1, 'old', 1, 1), (2, 'other', 1, 1), (3, 'empty', 1, 1)`,
		`INSERT INTO messages (id, conversation_id, role, content, status, created_at, updated_at) VALUES
			(10, 1, 'user', 'hello there', 'complete', 1, 1),
			(11, 2, 'user', 'elsewhere', 'complete', 1, 1),
			(12, 1, 'assistant', 'general kenobi', 'stopped', 1, 1),
			(13, 1, 'user', 'again', 'complete', 1, 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s := openAt(t, path)
	tests := []struct {
		conv    int64
		want    []string
		parents []int64
	}{
		{1, []string{"hello there", "general kenobi", "again"}, []int64{0, 10, 12}},
		{2, []string{"elsewhere"}, []int64{0}},
		{3, []string{}, []int64{}},
	}
	for _, tt := range tests {
		d, err := s.ConversationDetail(ctx, tt.conv)
		if err != nil {
			t.Fatal(err)
		}
		parents := []int64{}
		for _, m := range d.Messages {
			parents = append(parents, m.ParentID)
		}
		if got := contents(d.Messages); !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(parents, tt.parents) {
			t.Errorf("conversation %d: path %v parents %v, want %v %v", tt.conv, got, parents, tt.want, tt.parents)
		}
	}
	if m, _ := s.GetMessage(ctx, 12); m.StopReason != StopCanceled {
		t.Errorf("an old stopped reply has stop reason %q", m.StopReason)
	}
	hits, err := s.SearchMessages(ctx, "kenobi", 10)
	if err != nil || len(hits) != 1 || hits[0].MessageID != 12 {
		t.Errorf("old messages not searchable: %+v, %v", hits, err)
	}
}
