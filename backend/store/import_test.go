package store

import (
	"context"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/apperr"
)

// bread is a source conversation as an export holds it; edit changes a copy.
func bread(edit func(ic *ImportedConversation)) ImportedConversation {
	ic := ImportedConversation{Title: "Bread", CreatedAt: 1_690_000_000_000, Messages: []Message{
		{ID: 1, Role: "user", Content: "How do I bake bread?"},
		{ID: 2, ParentID: 1, Role: "assistant", Content: "Knead, rise, bake."},
	}}
	if edit != nil {
		edit(&ic)
	}
	return ic
}

var rye = ImportedConversation{Title: "Rye", CreatedAt: 1_690_000_100_000, Messages: []Message{{ID: 7, Role: "user", Content: "Is rye harder?"}}}

func TestImportSkipsWhatAnEarlierImportBrought(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name           string
		first          []ImportedConversation
		between        func(t *testing.T, s *Store, ids []int64) // done here after the first import
		second         []ImportedConversation
		added, skipped int
	}{
		{"the same export again", []ImportedConversation{bread(nil), rye}, nil,
			[]ImportedConversation{bread(nil), rye}, 0, 2},
		{"renamed where it came from", []ImportedConversation{bread(nil)}, nil,
			[]ImportedConversation{bread(func(ic *ImportedConversation) { ic.Title = "Baking" }), rye}, 1, 1},
		{"extended where it came from: a new conversation", []ImportedConversation{bread(nil)}, nil,
			[]ImportedConversation{bread(func(ic *ImportedConversation) {
				ic.Messages = append(ic.Messages, Message{ID: 3, ParentID: 2, Role: "user", Content: "How hot?"})
			})}, 1, 0},
		{"a reply edited where it came from", []ImportedConversation{bread(nil)}, nil,
			[]ImportedConversation{bread(func(ic *ImportedConversation) { ic.Messages[1].Content = "Mix, knead, bake." })}, 1, 0},
		{"a branch moved where it came from", []ImportedConversation{bread(nil)}, nil,
			[]ImportedConversation{bread(func(ic *ImportedConversation) { ic.Messages[1].ParentID = 0 })}, 1, 0},
		{"begun at another time", []ImportedConversation{bread(nil)}, nil,
			[]ImportedConversation{bread(func(ic *ImportedConversation) { ic.CreatedAt++ })}, 1, 0},
		{"continued and renamed here", []ImportedConversation{bread(nil)}, func(t *testing.T, s *Store, ids []int64) {
			if _, err := s.AddMessage(ctx, Message{ConversationID: ids[0], Role: "user", Content: "And rye?"}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.RenameConversation(ctx, ids[0], "My bread"); err != nil {
				t.Fatal(err)
			}
		}, []ImportedConversation{bread(nil)}, 0, 1},
		{"deleted here since", []ImportedConversation{bread(nil)}, func(t *testing.T, s *Store, ids []int64) {
			if err := s.DeleteConversation(ctx, ids[0]); err != nil {
				t.Fatal(err)
			}
		}, []ImportedConversation{bread(nil)}, 1, 0},
		{"twice in one file", nil, nil, []ImportedConversation{bread(nil), rye, bread(nil)}, 2, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := openTest(t)
			if c.first != nil {
				res, err := s.ImportConversations(ctx, c.first)
				if err != nil || res.Conversations != len(c.first) || res.Skipped != 0 {
					t.Fatalf("first import: %+v, %v", res, err)
				}
				if c.between != nil {
					c.between(t, s, res.ConversationIDs)
				}
			}
			before, _ := s.ListConversations(ctx)
			res, err := s.ImportConversations(ctx, c.second)
			if err != nil {
				t.Fatal(err)
			}
			if res.Conversations != c.added || res.Skipped != c.skipped || len(res.ConversationIDs) != c.added {
				t.Errorf("second import %+v, want %d added and %d skipped", res, c.added, c.skipped)
			}
			if after, _ := s.ListConversations(ctx); len(after) != len(before)+c.added {
				t.Errorf("%d conversations after, %d before, %d added", len(after), len(before), c.added)
			}
		})
	}
}

// TestImportStreamAllOrNothing: an import that stops partway (ctx
// cancelled, the source failing, a broken conversation) leaves the
// database as it was, and the same import afterwards adds everything.
func TestImportStreamAllOrNothing(t *testing.T) {
	broken := ImportedConversation{Title: "Broken", Messages: []Message{{ID: 2, ParentID: 9, Role: "user", Content: "hi"}}}
	cases := []struct {
		name string
		at   int // the source's call at which it goes wrong (from 0)
		fail func(cancel context.CancelFunc) (ImportedConversation, error)
		code apperr.Code
	}{
		{"ctx cancelled partway", 3, func(cancel context.CancelFunc) (ImportedConversation, error) {
			cancel()
			return bread(func(ic *ImportedConversation) { ic.CreatedAt = 42 }), nil
		}, apperr.Canceled},
		{"ctx cancelled before the start", 0, func(cancel context.CancelFunc) (ImportedConversation, error) {
			cancel()
			return rye, nil
		}, apperr.Canceled},
		{"the source fails", 3, func(context.CancelFunc) (ImportedConversation, error) {
			return ImportedConversation{}, apperr.New(apperr.Invalid, "the archive's conversations.json is damaged")
		}, apperr.Invalid},
		{"the source is stopped", 3, func(context.CancelFunc) (ImportedConversation, error) {
			return ImportedConversation{}, context.Canceled
		}, apperr.Canceled},
		{"a broken conversation", 4, func(context.CancelFunc) (ImportedConversation, error) { return broken, nil }, apperr.Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := openTest(t)
			ctx := context.Background()
			if _, err := s.ImportConversations(ctx, []ImportedConversation{rye}); err != nil {
				t.Fatal(err)
			}
			source := func(cancel context.CancelFunc, fail bool) ImportSource {
				n := 0
				return func() (ImportedConversation, error) {
					n++
					switch {
					case fail && n-1 == c.at:
						return c.fail(cancel)
					case n > 6:
						return ImportedConversation{}, io.EOF
					}
					return bread(func(ic *ImportedConversation) { ic.CreatedAt += int64(n) }), nil
				}
			}
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			res, err := s.ImportStream(cctx, source(cancel, true))
			wantCode(t, err, c.code)
			if res.Conversations != 0 || len(res.ConversationIDs) != 0 {
				t.Errorf("a failed import says it added %+v", res)
			}
			if list, _ := s.ListConversations(ctx); len(list) != 1 || list[0].Title != "Rye" {
				t.Errorf("after a failed import: %+v", list)
			}
			res, err = s.ImportStream(ctx, source(func() {}, false))
			if err != nil || res.Conversations != 6 || res.Skipped != 0 {
				t.Errorf("the same import afterwards: %+v, %v", res, err)
			}
		})
	}
}

// TestImportTidiesInstructions: another app's instructions come in cut to
// the limit at a character, without NUL bytes, rather than keeping the
// conversation out.
func TestImportTidiesInstructions(t *testing.T) {
	ctx := context.Background()
	long := "a" + strings.Repeat("é", MaxInstructionsBytes) // two bytes each after one: the limit falls inside a character
	cases := []struct {
		name, in string
		check    func(got string) bool
	}{
		{"NUL bytes dropped", " a\x00b ", func(got string) bool { return got == "ab" }},
		{"too long: cut at a character", long, func(got string) bool {
			return len(got) <= MaxInstructionsBytes && len(got) >= MaxInstructionsBytes-4 && utf8.ValidString(got)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := openTest(t)
			res, err := s.ImportConversations(ctx, []ImportedConversation{bread(func(ic *ImportedConversation) { ic.Instructions = c.in })})
			if err != nil {
				t.Fatal(err)
			}
			conv, err := s.GetConversation(ctx, res.ConversationIDs[0])
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(conv.Instructions) {
				t.Errorf("%d bytes, valid %v: %.40q", len(conv.Instructions), utf8.ValidString(conv.Instructions), conv.Instructions)
			}
		})
	}
}
