package ingest

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/store"
)

// traces lists the files under root, but not under skip (the user's own
// input files), holding marker (as written, or lowercased as the full-text
// index keeps it), with how often.
func traces(t *testing.T, root, skip, marker string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if d != nil && d.IsDir() && p == skip {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("read %s: %v", p, err)
			return nil
		}
		if n := bytes.Count(asciiLower(b), []byte(strings.ToLower(marker))); n > 0 {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel+" ×"+fmtInt(n))
		}
		return nil
	})
	return out
}

// asciiLower lowercases A to Z only, keeping every offset.
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

func fmtInt(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestDeletedTextLeavesNoTrace: after a conversation and a document are
// deleted, their words are nowhere in the data folder: not in chapel.db
// (secure_delete zeroes freed cells and pages; the full-text index's
// secure-delete removes them from its pages), not in the WAL (checkpointed
// and truncated after the delete), not in documents/ (the stored copy goes
// too), neither while Chapel runs nor after it closes. What was not deleted
// stays findable.
func TestDeletedTextLeavesNoTrace(t *testing.T) {
	const marker = "Quokkamarker"
	ctx := context.Background()
	e := newEnv(t)
	root := filepath.Dir(e.dir)

	// A document long enough to need overflow pages and several passages,
	// and one that stays.
	var md strings.Builder
	md.WriteString("# The " + marker + " report\n\n")
	for i := range 400 {
		md.WriteString("Paragraph " + fmtInt(i) + " mentions the " + marker + " and other words of the report.\n\n")
	}
	out, _, err := e.ingest(ctx, nil, e.write("secret.md", []byte(md.String())), e.write("keep.md", markdownFile("keptword")))
	if err != nil || len(out.Documents) != 2 {
		t.Fatalf("ingest: %v, %+v", err, out)
	}
	doc, kept := out.Documents[0], out.Documents[1]
	if doc.Name != "secret.md" {
		doc, kept = kept, doc
	}
	sum, _, err := e.st.StartSummary(ctx, doc.ID, "brief", "k", "m")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.SavePiece(ctx, store.SummaryPiece{SummaryID: sum.ID, Status: store.PieceComplete, Text: "The " + marker + " piece."}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.FinishSummary(ctx, sum.ID, store.SummaryComplete, "All about the "+marker+".", "", nil, ""); err != nil {
		t.Fatal(err)
	}
	conv, err := e.st.CreateConversation(ctx, "Talking about "+marker, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := e.st.AddMessage(ctx, store.Message{ConversationID: conv.ID, Role: "user",
			Content: strings.Repeat("What does the "+marker+" say? ", 40+i)}); err != nil {
			t.Fatal(err)
		}
	}
	other, err := e.st.CreateConversation(ctx, "A conversation that stays", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.AddMessage(ctx, store.Message{ConversationID: other.ID, Role: "user", Content: "keptword here"}); err != nil {
		t.Fatal(err)
	}
	if got := traces(t, root, e.in, marker); len(got) == 0 {
		t.Fatal("the marker is nowhere before the deletes: the test would prove nothing")
	} else {
		t.Logf("before the deletes: %v", got)
	}

	if err := e.st.DeleteConversation(ctx, conv.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.st.DeleteDocument(ctx, doc.ID); err != nil {
		t.Fatal(err)
	}
	e.svc.Forget(ctx, doc.Blake3)
	if got := traces(t, root, e.in, marker); len(got) > 0 {
		t.Errorf("after the deletes, Chapel running: the marker is still in %v", got)
	}
	e.mustFind(kept, "keptword")
	if c, err := e.st.ConversationDetail(ctx, other.ID); err != nil || len(c.Messages) != 1 {
		t.Errorf("the other conversation: %+v, %v", c, err)
	}

	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	if got := traces(t, root, e.in, marker); len(got) > 0 {
		t.Errorf("after a clean close: the marker is still in %v", got)
	}
	st, err := store.Open(ctx, filepath.Join(root, "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if hits, err := st.SearchChunks(ctx, kept.ID, "keptword", 3); err != nil || len(hits) == 0 {
		t.Errorf("after reopening, the kept document: %d hits, %v", len(hits), err)
	}
}
