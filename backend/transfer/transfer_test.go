package transfer

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// seed makes a conversation with two versions of a reply and an edited
// question, the first reply's branch shown.
func seed(t *testing.T, st *store.Store) store.Conversation {
	t.Helper()
	ctx := context.Background()
	c, err := st.CreateConversation(ctx, "Bread", "/models/tiny.gguf")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := st.AddMessages(ctx,
		store.Message{ConversationID: c.ID, Role: "user", Content: "How do I bake bread?"},
		store.Message{ConversationID: c.ID, Role: "assistant", Content: "Knead, rise, bake.", Model: "/models/tiny.gguf"},
		store.Message{ConversationID: c.ID, Role: "user", Content: "How hot?"},
		store.Message{ConversationID: c.ID, Role: "assistant", Status: store.StatusStreaming})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.FinishMessage(ctx, ms[3].ID, store.StatusComplete, "230 °C for", "", 9, 4, 30); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EndReply(ctx, ms[3].ID, store.StopLength, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMessagesAfter(ctx, ms[0].ID, store.Message{ConversationID: c.ID, Role: "assistant", Content: "Mix flour and water."}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMessagesAfter(ctx, ms[1].ID, store.Message{ConversationID: c.ID, Role: "user", Content: "How long?"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SelectMessage(ctx, ms[3].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetPinned(ctx, c.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetInstructions(ctx, c.ID, "Answer like a baker."); err != nil {
		t.Fatal(err)
	}
	return c
}

// shape is a tree as comparable values: each message's role, content,
// status, stop reason and its parent's content; plus the path shown.
type shape struct {
	Title        string
	Pinned       bool
	Instructions string
	Messages     []string
	Path         []string
}

func shapeOf(t *testing.T, st *store.Store, id int64) shape {
	t.Helper()
	ctx := context.Background()
	tree, err := st.ConversationTree(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]store.Message{}
	for _, m := range tree.Messages {
		byID[m.ID] = m
	}
	s := shape{Title: tree.Conversation.Title, Pinned: tree.Conversation.Pinned, Instructions: tree.Conversation.Instructions}
	for _, m := range tree.Messages {
		s.Messages = append(s.Messages, strings.Join([]string{m.Role, m.Content, m.Status, m.StopReason, byID[m.ParentID].Content}, "|"))
	}
	d, err := st.ConversationDetail(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range d.Messages {
		s.Path = append(s.Path, m.Content)
	}
	return s
}

func TestChapelJSONRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := openStore(t)
	c := seed(t, src)
	var buf bytes.Buffer
	ex := Exporter{Store: src, Settings: map[string]any{"temperature": 0.7, "max_tokens": 1024}}
	if err := ex.ConversationJSON(ctx, c.ID, &buf); err != nil {
		t.Fatal(err)
	}
	var doc Conversation
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Format != FormatConversation || len(doc.Messages) != 6 || doc.Model != "/models/tiny.gguf" || !strings.Contains(string(doc.Settings), "max_tokens") {
		t.Fatalf("exported %+v", doc)
	}
	dst := openStore(t)
	res, err := Import(ctx, dst, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != SourceChapel || res.Conversations != 1 || res.Messages != 6 {
		t.Errorf("import result %+v", res)
	}
	want, got := shapeOf(t, src, c.ID), shapeOf(t, dst, res.ConversationIDs[0])
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip changed the tree\n got %+v\nwant %+v", got, want)
	}
	// The times come along.
	imported, _ := dst.GetConversation(ctx, res.ConversationIDs[0])
	if imported.CreatedAt != doc.CreatedAt || imported.UpdatedAt != doc.UpdatedAt {
		t.Errorf("times %d %d, want %d %d", imported.CreatedAt, imported.UpdatedAt, doc.CreatedAt, doc.UpdatedAt)
	}
}

func TestArchiveRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := openStore(t)
	a := seed(t, src)
	if _, err := src.CreateConversation(ctx, "Empty", ""); err != nil {
		t.Fatal(err)
	}
	nd := store.NewDocument{Blake3: strings.Repeat("a", 64), Name: "oven manual.pdf", Format: "pdf", Text: "Preheat.",
		Chunks: []store.Chunk{{Ord: 0, Start: 0, End: 8, Text: "Preheat.", PageStart: 1, PageEnd: 1}}}
	doc, _, err := src.AddDocument(ctx, nd)
	if err != nil {
		t.Fatal(err)
	}
	sum, _, err := src.StartSummary(ctx, doc.ID, "brief", "k", "/models/tiny.gguf")
	if err != nil {
		t.Fatal(err)
	}
	cites := json.RawMessage(`[{"marker":"[p. 1]","first_chunk":0,"last_chunk":0,"page_start":1,"page_end":1}]`)
	if err := src.FinishSummary(ctx, sum.ID, "complete", "Preheat the oven [p. 1].", "Covers page 1 of 1", cites, ""); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	man, err := Exporter{Store: src}.Archive(ctx, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if man.Conversations != 2 || man.Documents != 1 {
		t.Errorf("manifest %+v", man)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var md string
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "documents/") {
			rc, _ := f.Open()
			var b bytes.Buffer
			b.ReadFrom(rc)
			rc.Close()
			md = b.String()
		}
	}
	for _, want := range []string{"Preheat the oven [p. 1].", "*Covers page 1 of 1*", "- [p. 1]: page 1 of oven manual.pdf"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary Markdown lacks %q:\n%s", want, md)
		}
	}
	dst := openStore(t)
	res, err := Import(ctx, dst, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != SourceArchive || res.Conversations != 2 || res.Messages != 6 {
		t.Fatalf("import %+v", res)
	}
	titles := map[string]int64{}
	for _, id := range res.ConversationIDs {
		c, _ := dst.GetConversation(ctx, id)
		titles[c.Title] = id
	}
	if !reflect.DeepEqual(shapeOf(t, dst, titles["Bread"]), shapeOf(t, src, a.ID)) || titles["Empty"] == 0 {
		t.Errorf("archive round trip: %v", titles)
	}
}

func TestConversationMarkdown(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	c := seed(t, st)
	var buf bytes.Buffer
	if err := (Exporter{Store: st}).ConversationMarkdown(ctx, c.ID, &buf); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{"# Bread\n", "Model: tiny.gguf", "## Instructions\n\nAnswer like a baker.\n", "## You\n\nHow do I bake bread?", "## Chapel (version 1 of 2)\n\nKnead, rise, bake.",
		"## You (version 1 of 2)\n\nHow hot?", "*Stopped at 4 tokens*"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "Mix flour") {
		t.Error("a version not shown is in the Markdown")
	}
}

// chatGPTExport is a conversations.json written from the format's
// documented structure: a regenerated reply (two children of one
// question), a hidden system node at the root, a tool message, and
// current_node the last question, on the second reply's branch.
const chatGPTExport = `[{
  "title": "Sourdough", "create_time": 1700000000.5, "update_time": 1700000900.25, "current_node": "u2",
  "mapping": {
    "root": {"id": "root", "message": null, "parent": null, "children": ["sys"]},
    "sys": {"id": "sys", "parent": "root", "children": ["ctx"],
      "message": {"author": {"role": "system"}, "content": {"content_type": "text", "parts": [""]}, "metadata": {"is_visually_hidden_from_conversation": true}}},
    "ctx": {"id": "ctx", "parent": "sys", "children": ["u1"],
      "message": {"author": {"role": "user"}, "content": {"content_type": "user_editable_context",
        "user_profile": "The user provided the following information about themselves. ...\nUser profile:\n` + "```" + `I bake at home.` + "```" + `",
        "user_instructions": "The user provided the additional info about how they would like you to respond:\n` + "```" + `Answer in metric units.` + "```" + `"},
        "metadata": {"is_visually_hidden_from_conversation": true, "is_user_system_message": true,
          "user_context_message_data": {"about_user_message": "I bake at home.", "about_model_message": "Answer in metric units."}}}},
    "u1": {"id": "u1", "parent": "ctx", "children": ["a1", "a2"],
      "message": {"author": {"role": "user"}, "create_time": 1700000001, "content": {"content_type": "text", "parts": ["How do I feed a starter?"]}}},
    "a1": {"id": "a1", "parent": "u1", "children": [],
      "message": {"author": {"role": "assistant"}, "create_time": 1700000002, "content": {"content_type": "text", "parts": ["Flour and water."]}, "metadata": {"model_slug": "gpt-4o"}}},
    "a2": {"id": "a2", "parent": "u1", "children": ["t1"],
      "message": {"author": {"role": "assistant"}, "create_time": 1700000003, "content": {"content_type": "text", "parts": ["Equal weights of flour and water, daily."]}, "metadata": {"model_slug": "gpt-4o"}}},
    "t1": {"id": "t1", "parent": "a2", "children": ["u2"],
      "message": {"author": {"role": "tool"}, "content": {"content_type": "execution_output", "text": "ok"}}},
    "u2": {"id": "u2", "parent": "t1", "children": [],
      "message": {"author": {"role": "user"}, "create_time": 1700000004, "content": {"content_type": "multimodal_text", "parts": [{"content_type": "image_asset_pointer", "asset_pointer": "file-service://file-1"}, {"asset_pointer": "file-2"}, "What about rye?"]}}}
  }
}, {
  "title": "Empty chat", "create_time": 1700001000, "update_time": 1700001000, "current_node": "r",
  "mapping": {"r": {"id": "r", "message": null, "parent": null, "children": []}}
}]`

// openWebUIExport is an Open WebUI chat export from its documented
// structure: history.messages by id with parentId and childrenIds, and
// currentId on the edited question's branch.
const openWebUIExport = `[{
  "id": "c1", "title": "Rye", "created_at": 1700002000, "updated_at": 1700002100, "pinned": true,
  "chat": {"title": "Rye", "models": ["llama3.2:3b"], "params": {"system": "You are a baker.", "temperature": 0.7},
    "history": {"currentId": "m4", "messages": {
      "m1": {"id": "m1", "parentId": null, "childrenIds": ["m2"], "role": "user", "content": "Is rye harder?", "timestamp": 1700002001},
      "m2": {"id": "m2", "parentId": "m1", "childrenIds": [], "role": "assistant", "content": "A little.", "timestamp": 1700002002, "model": "llama3.2:3b"},
      "m3": {"id": "m3", "parentId": null, "childrenIds": ["m4"], "role": "user", "content": "Is rye bread harder to bake?", "timestamp": 1700002003},
      "m4": {"id": "m4", "parentId": "m3", "childrenIds": [], "role": "assistant", "content": "Yes: it holds less gas.", "timestamp": 1700002004, "model": "llama3.2:3b"}
    }},
    "messages": []}
}]`

// claudeExport is Claude's conversations.json from its observed structure:
// messages naming their parents (the root sentinel first), a retried reply
// (two children of one question), current_leaf_message_uuid on the first
// reply's branch, thinking and tool blocks beside the text, and a long
// paste as an attachment with its text.
const claudeExport = `[{
  "uuid": "c-1", "name": "Rye starter", "created_at": "2024-05-01T10:00:00.000000Z", "updated_at": "2024-05-01T10:05:00Z",
  "account": {"uuid": "a"}, "current_leaf_message_uuid": "m4",
  "chat_messages": [
    {"uuid": "m1", "parent_message_uuid": "00000000-0000-4000-8000-000000000000", "sender": "human", "created_at": "2024-05-01T10:00:01Z",
      "text": "", "content": [{"type": "text", "text": "Can I make a rye starter?"}],
      "attachments": [{"file_name": "", "file_type": "txt", "extracted_content": "my notes on rye"}], "files": []},
    {"uuid": "m2", "parent_message_uuid": "m1", "sender": "assistant", "created_at": "2024-05-01T10:00:02Z",
      "text": "Yes.", "content": [{"type": "thinking", "thinking": "PRIVATE"}, {"type": "text", "text": "Yes: rye flour and water."}]},
    {"uuid": "m3", "parent_message_uuid": "m1", "sender": "assistant", "created_at": "2024-05-01T10:00:03Z",
      "text": "", "content": [{"type": "tool_use", "name": "search"}, {"type": "text", "text": "Yes, and it ferments fast."}]},
    {"uuid": "m4", "parent_message_uuid": "m2", "sender": "human", "created_at": "2024-05-01T10:00:04Z",
      "text": "How warm?", "content": []}
  ]
}]`

func TestImportForeignExports(t *testing.T) {
	ctx := context.Background()
	zippedClaude := zipped(t, "users.json", "[]", "projects.json", "[]", "conversations.json", claudeExport)
	cases := []struct {
		name, data, format string
		convs, msgs        int
		title              string
		path               []string
		versions           []int // versions of each message on the path
		model              string
		pinned             bool
		instructions       string
	}{
		{"ChatGPT", chatGPTExport, SourceChatGPT, 2, 4, "Sourdough",
			[]string{"How do I feed a starter?", "Equal weights of flour and water, daily.", "What about rye?"}, []int{1, 2, 1}, "gpt-4o", false,
			"About the user:\nI bake at home.\n\nAnswer in metric units."},
		{"Open WebUI", openWebUIExport, SourceOpenWebU, 1, 4, "Rye",
			[]string{"Is rye bread harder to bake?", "Yes: it holds less gas."}, []int{2, 1}, "llama3.2:3b", true, "You are a baker."},
		{"Claude", claudeExport, SourceClaude, 1, 4, "Rye starter",
			[]string{"Can I make a rye starter?\n\nAttached text:\n\nmy notes on rye", "Yes: rye flour and water.", "How warm?"},
			[]int{1, 2, 1}, "", false, ""},
		{"Claude's zip", string(zippedClaude), SourceClaude, 1, 4, "Rye starter",
			[]string{"Can I make a rye starter?\n\nAttached text:\n\nmy notes on rye", "Yes: rye flour and water.", "How warm?"},
			[]int{1, 2, 1}, "", false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := openStore(t)
			res, err := Import(ctx, st, []byte(c.data))
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != c.format || res.Conversations != c.convs || res.Messages != c.msgs {
				t.Fatalf("result %+v", res)
			}
			d, err := st.ConversationDetail(ctx, res.ConversationIDs[0])
			if err != nil {
				t.Fatal(err)
			}
			var path []string
			var versions []int
			for i, m := range d.Messages {
				path = append(path, m.Content)
				versions = append(versions, len(d.Versions[i]))
			}
			if d.Conversation.Title != c.title || !reflect.DeepEqual(path, c.path) || !reflect.DeepEqual(versions, c.versions) {
				t.Errorf("%q path %q versions %v", d.Conversation.Title, path, versions)
			}
			if d.Conversation.Instructions != c.instructions {
				t.Errorf("instructions %q, want %q", d.Conversation.Instructions, c.instructions)
			}
			if d.Conversation.Model != c.model || d.Conversation.Pinned != c.pinned || d.Conversation.CreatedAt < 1_700_000_000_000 {
				t.Errorf("conversation %+v", d.Conversation)
			}
			if c.format == SourceClaude && d.Conversation.CreatedAt != 1714557600000 {
				t.Errorf("created at %d", d.Conversation.CreatedAt)
			}
			if hits, _ := st.SearchMessages(ctx, "rye", 10); len(hits) == 0 {
				t.Error("imported messages are not searchable")
			}
		})
	}
}

func TestBadImportsAddNothing(t *testing.T) {
	ctx := context.Background()
	valid := `{"format":"chapel.conversation","version":1,"title":"ok","messages":[{"id":1,"parent_id":0,"role":"user","content":"hi","status":"complete"}]}`
	brokenTree := `{"format":"chapel.conversation","version":1,"title":"broken","messages":[{"id":2,"parent_id":7,"role":"user","content":"hi"}]}`
	badRole := `{"format":"chapel.conversation","version":1,"title":"robot","messages":[{"id":1,"role":"robot","content":"beep"}]}`
	cases := []struct {
		name, data, msg string
	}{
		{"not JSON", "hello, world", "not a Chapel, ChatGPT"},
		{"empty", "  \n", "empty"},
		{"truncated JSON", chatGPTExport[:200], "not valid JSON"},
		{"another app's JSON", `{"users": []}`, "not a Chapel, ChatGPT"},
		{"no conversations", "[]", "no conversations"},
		{"a tree that points nowhere, after a good one", "[" + valid + "," + brokenTree + "]", "follows a message that is not before it"},
		{"an unknown role", badRole, "unknown message role"},
		{"a newer Chapel", strings.Replace(valid, `"version":1`, `"version":9`, 1), "newer Chapel"},
		{"a damaged zip", "PK\x03\x04garbage", "damaged"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := openStore(t)
			_, err := Import(ctx, st, []byte(c.data))
			if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(apperr.Message(err), c.msg) {
				t.Fatalf("error %v (%s), want invalid with %q", err, apperr.CodeOf(err), c.msg)
			}
			if list, _ := st.ListConversations(ctx); len(list) != 0 {
				t.Errorf("a failed import added %d conversations", len(list))
			}
		})
	}
	// A huge file is refused before it is read.
	st := openStore(t)
	huge := filepath.Join(t.TempDir(), "conversations.json")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxImportBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = ImportFile(ctx, st, huge)
	if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(apperr.Message(err), "imports files up to 256 MB") {
		t.Errorf("huge file: %v", err)
	}
	_, err = ImportFile(ctx, st, filepath.Join(t.TempDir(), "missing.json"))
	if apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("missing file: %v", err)
	}
}
