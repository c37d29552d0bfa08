package transfer

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
)

// zipped is a zip archive of the named files.
func zipped(t *testing.T, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i < len(files); i += 2 {
		w, err := zw.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[i+1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bigChatGPT is a ChatGPT conversations.json of n conversations, each a
// question and its answer twice over.
func bigChatGPT(n int) []byte {
	var b bytes.Buffer
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		created := 1_700_000_000 + i*60
		nodes := map[string]any{"root": map[string]any{"id": "root", "message": nil, "parent": nil, "children": []string{"n1"}}}
		for k := 1; k <= 4; k++ {
			role := map[bool]string{true: "user", false: "assistant"}[k%2 == 1]
			children := []string{}
			if k < 4 {
				children = []string{fmt.Sprintf("n%d", k+1)}
			}
			parent := "root"
			if k > 1 {
				parent = fmt.Sprintf("n%d", k-1)
			}
			nodes[fmt.Sprintf("n%d", k)] = map[string]any{"id": fmt.Sprintf("n%d", k), "parent": parent, "children": children,
				"message": map[string]any{"author": map[string]string{"role": role}, "create_time": created + k,
					"content": map[string]any{"content_type": "text", "parts": []string{fmt.Sprintf("Message %d of conversation %d: %s", k, i, strings.Repeat("lorem ipsum ", 8))}}}}
		}
		item, _ := json.Marshal(map[string]any{"title": fmt.Sprintf("Conversation %d", i), "create_time": created,
			"update_time": created + 5, "current_node": "n4", "mapping": nodes})
		b.Write(item)
	}
	b.WriteString("]")
	return b.Bytes()
}

// TestImportAgainSkips: importing an export a second time adds nothing and
// says how many conversations were already here, for every format; a
// conversation continued at the source since is added as a new one.
func TestImportAgainSkips(t *testing.T) {
	ctx := context.Background()
	src := openStore(t)
	seed(t, src)
	var chapelJSON, archive bytes.Buffer
	if err := (Exporter{Store: src}).ConversationJSON(ctx, 1, &chapelJSON); err != nil {
		t.Fatal(err)
	}
	if _, err := (Exporter{Store: src}).Archive(ctx, &archive); err != nil {
		t.Fatal(err)
	}
	extended := strings.Replace(chatGPTExport, `"u2": {"id": "u2", "parent": "t1", "children": []`, `"u2": {"id": "u2", "parent": "t1", "children": ["a3"]`, 1)
	extended = strings.Replace(extended, `"mapping": {
    "root"`, `"mapping": {
    "a3": {"id": "a3", "parent": "u2", "children": [], "message": {"author": {"role": "assistant"}, "content": {"content_type": "text", "parts": ["Rye needs more water."]}}},
    "root"`, 1)
	cases := []struct {
		name, first, second string
		added, skipped      int
	}{
		{"ChatGPT", chatGPTExport, chatGPTExport, 0, 2},
		{"ChatGPT's zip after its conversations.json", chatGPTExport, string(zipped(t, "conversations.json", chatGPTExport)), 0, 2},
		{"Open WebUI", openWebUIExport, openWebUIExport, 0, 1},
		{"Chapel JSON", chapelJSON.String(), chapelJSON.String(), 0, 1},
		{"Chapel archive", archive.String(), archive.String(), 0, 1},
		{"ChatGPT, one conversation continued there since", chatGPTExport, extended, 1, 1},
	}
	// A conversation begun in a Chapel, exported and imported back into it.
	t.Run("Chapel's own export into the Chapel it came from", func(t *testing.T) {
		for _, file := range []string{chapelJSON.String(), archive.String()} {
			before, err := src.ListConversations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Import(ctx, src, []byte(file))
			if err != nil || res.Conversations != 0 || res.Skipped == 0 {
				t.Errorf("import back: %+v, %v; want every conversation skipped", res, err)
			}
			after, _ := src.ListConversations(ctx)
			if len(after) != len(before) {
				t.Errorf("%d conversations after importing back, want %d", len(after), len(before))
			}
		}
		// Written in since that import, exported again and imported back: still one.
		d, err := src.ConversationDetail(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		last := d.Messages[len(d.Messages)-1]
		if _, err := src.AddMessagesAfter(ctx, last.ID, store.Message{ConversationID: 1, Role: "user", Content: "And in winter?"}); err != nil {
			t.Fatal(err)
		}
		var again bytes.Buffer
		if err := (Exporter{Store: src}).ConversationJSON(ctx, 1, &again); err != nil {
			t.Fatal(err)
		}
		if res, err := Import(ctx, src, again.Bytes()); err != nil || res.Conversations != 0 || res.Skipped != 1 {
			t.Errorf("import back after writing in it: %+v, %v; want it skipped", res, err)
		}
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := openStore(t)
			first, err := Import(ctx, st, []byte(c.first))
			if err != nil || first.Conversations == 0 || first.Skipped != 0 {
				t.Fatalf("first import: %+v, %v", first, err)
			}
			res, err := Import(ctx, st, []byte(c.second))
			if err != nil {
				t.Fatal(err)
			}
			if res.Conversations != c.added || res.Skipped != c.skipped {
				t.Errorf("second import %+v, want %d added, %d skipped", res, c.added, c.skipped)
			}
			if list, _ := st.ListConversations(ctx); len(list) != first.Conversations+c.added {
				t.Errorf("%d conversations after importing %d and then %d", len(list), first.Conversations, c.added)
			}
		})
	}

	// What came through another Chapel is the same conversation as the
	// original export's: ChatGPT → Chapel A → its archive → Chapel B, then
	// ChatGPT's export into B adds nothing.
	a, b := openStore(t), openStore(t)
	if _, err := Import(ctx, a, []byte(chatGPTExport)); err != nil {
		t.Fatal(err)
	}
	var fromA bytes.Buffer
	if _, err := (Exporter{Store: a}).Archive(ctx, &fromA); err != nil {
		t.Fatal(err)
	}
	if res, err := Import(ctx, b, fromA.Bytes()); err != nil || res.Conversations != 2 {
		t.Fatalf("A's archive into B: %+v, %v", res, err)
	}
	if res, err := Import(ctx, b, []byte(chatGPTExport)); err != nil || res.Conversations != 0 || res.Skipped != 2 {
		t.Errorf("ChatGPT's export into B after A's archive: %+v, %v", res, err)
	}
}

// TestImportStops: a cancelled ctx stops the import of a large export,
// while it reads the file or adds what it read, and leaves the database
// as it was; the same file imports whole afterwards.
func TestImportStops(t *testing.T) {
	const n = 3000
	dir := t.TempDir()
	plain := filepath.Join(dir, "conversations.json")
	data := bigChatGPT(n)
	if err := os.WriteFile(plain, data, 0o600); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "chatgpt-export.zip")
	if err := os.WriteFile(archive, zipped(t, "conversations.json", string(data)), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, file string
		stopAt     int // cancel once this many conversations were read; 0: before the start
	}{
		{"conversations.json, partway", plain, 1000},
		{"the zip, partway", archive, 1000},
		{"the zip, near the end", archive, n},
		{"conversations.json, before the start", plain, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := openStore(t)
			keep := seed(t, st)
			before := shapeOf(t, st, keep.ID)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if c.stopAt == 0 {
				cancel()
			}
			read := 0
			res, err := ImportFileWith(ctx, st, c.file, Options{Progress: func(r int) {
				if read = r; r == c.stopAt {
					cancel()
				}
			}})
			if apperr.CodeOf(err) != apperr.Canceled || res.Conversations != 0 {
				t.Fatalf("cancelled import: %+v, %v (%s)", res, err, apperr.CodeOf(err))
			}
			if read != c.stopAt {
				t.Errorf("read %d conversations after the cancel at %d", read, c.stopAt)
			}
			list, _ := st.ListConversations(context.Background())
			if len(list) != 1 || list[0].ID != keep.ID {
				t.Fatalf("a stopped import left %d conversations", len(list))
			}
			if hits, _ := st.SearchMessages(context.Background(), "lorem", 5); len(hits) != 0 {
				t.Errorf("a stopped import left searchable messages: %+v", hits)
			}
			if after := shapeOf(t, st, keep.ID); !equalShape(before, after) {
				t.Errorf("a stopped import changed a conversation:\n%+v\n%+v", before, after)
			}
			if c.stopAt == 1000 && c.file == plain {
				res, err := ImportFile(context.Background(), st, c.file)
				if err != nil || res.Conversations != n || res.Messages != 4*n || res.Skipped != 0 {
					t.Errorf("the same file afterwards: %d conversations, %d messages, %d skipped, %v", res.Conversations, res.Messages, res.Skipped, err)
				}
			}
		})
	}
}

func equalShape(a, b shape) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// TestBadJSONSaysItsCauseOnce: what is wrong with a malformed file is said
// once, after where it is.
func TestBadJSONSaysItsCauseOnce(t *testing.T) {
	ctx := context.Background()
	good := string(bigChatGPT(2))
	cases := []struct {
		name, data, want string
	}{
		{"truncated", chatGPTExport[:47], "the file is not valid JSON (at byte 47): it ends in the middle of a value (is the file complete?)"},
		{"truncated after a good conversation", good[:len(good)-40], "the file is not valid JSON (at byte "},
		{"garbage between conversations", strings.Replace(good, ",\n", " x ", 1), "the file is not valid JSON (at byte "},
		{"more after the list", good + " {}", "more follows the end of the export"},
		{"a title that is a number", `[{"title": 7, "mapping": {}}]`, "the file does not have the structure of an export: json: cannot unmarshal"},
		{"a damaged zip", "PK\x03\x04garbage", "the archive is damaged: "},
		{"a zip's truncated conversations.json", string(zipped(t, "conversations.json", good[:100])), "the file is not valid JSON (at byte 100)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := openStore(t)
			_, err := Import(ctx, st, []byte(c.data))
			msg := apperr.Message(err)
			if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(msg, c.want) {
				t.Fatalf("%q (%s), want invalid with %q", msg, apperr.CodeOf(err), c.want)
			}
			var ae *apperr.Error
			if errors.As(err, &ae) && ae.Err != nil {
				if cause := ae.Err.Error(); strings.Count(msg, cause) != 1 {
					t.Errorf("%q says its cause %q %d times", msg, cause, strings.Count(msg, cause))
				}
			}
			if list, _ := st.ListConversations(ctx); len(list) != 0 {
				t.Errorf("a failed import added %d conversations", len(list))
			}
		})
	}
}

// farthest is a ReaderAt that remembers the farthest byte read.
type farthest struct {
	r   *bytes.Reader
	max int64
}

func (f *farthest) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.r.ReadAt(p, off)
	f.max = max(f.max, off+int64(n))
	return n, err
}

// TestImportReadsAsItGoes: the conversations of an export are read one at
// a time; the first is there before much of the file was read.
func TestImportReadsAsItGoes(t *testing.T) {
	const n = 1000
	data := bigChatGPT(n)
	r := &farthest{r: bytes.NewReader(data)}
	src, err := open(context.Background(), r, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	first, err := src.next()
	if err != nil || first.Title != "Conversation 0" || len(first.Messages) != 4 {
		t.Fatalf("first: %+v, %v", first, err)
	}
	if r.max > int64(len(data))/4 {
		t.Errorf("read %d of %d bytes for the first conversation", r.max, len(data))
	}
	count := 1
	for {
		ic, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if count++; ic.Title != fmt.Sprintf("Conversation %d", count-1) {
			t.Fatalf("conversation %d is %q", count, ic.Title)
		}
	}
	if count != n || r.max != int64(len(data)) {
		t.Errorf("read %d conversations, %d of %d bytes", count, r.max, len(data))
	}
}
