package ask

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/chat"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/store"
)

// addDoc stores a document of the given pages (one chunk each) or, with
// pages false, sections.
func addDoc(t *testing.T, st *store.Store, hash string, paged bool, texts ...string) store.Document {
	t.Helper()
	nd := store.NewDocument{Blake3: strings.Repeat(hash, 64), Name: "farm report.pdf", Format: "pdf", SizeBytes: 10}
	for i, tx := range texts {
		start := len(nd.Text)
		nd.Text += tx
		c := store.Chunk{Ord: i, Start: start, End: len(nd.Text), Text: tx}
		if paged {
			c.PageStart, c.PageEnd = i+1, i+1
			nd.Pages = append(nd.Pages, store.DocumentPage{Number: i + 1, Start: start, End: len(nd.Text)})
		} else {
			c.Section = []string{"Crops", "Animals", "Weather [draft]"}[i%3]
		}
		nd.Chunks = append(nd.Chunks, c)
	}
	d, _, err := st.AddDocument(context.Background(), nd)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestGround(t *testing.T) {
	st := openStore(t)
	paged := addDoc(t, st, "a", true, "Wheat grows in the north. ", "Cattle graze in the valleys. ", "The wheat harvest was large in 2020.")
	sections := addDoc(t, st, "b", false, "Wheat grows in the north. ", "Cattle graze in the valleys. ", "Rain fell in May.")
	cases := []struct {
		name        string
		doc         int64
		question    string
		maxChars    int
		wantSources []string
	}{
		{"pages, best passages in document order", paged.ID, "Where does wheat grow and how was the harvest?", 0, []string{"[p. 1]", "[p. 3]"}},
		{"sections", sections.ID, "What about cattle?", 0, []string{"[§ Animals]"}},
		{"brackets in a title are made safe", sections.ID, "rain in may", 0, []string{"[§ Weather (draft)]"}},
		{"nothing matches: the beginning", paged.ID, "what is it about?", 0, []string{"[p. 1]", "[p. 2]", "[p. 3]"}},
		{"room for one passage only", paged.ID, "wheat harvest", 30, []string{"[p. 3]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := New(st).Ground(context.Background(), c.doc, c.question, c.maxChars)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(g.Sources, " ") != strings.Join(c.wantSources, " ") {
				t.Errorf("sources = %q, want %q", g.Sources, c.wantSources)
			}
			for _, m := range g.Sources {
				if !strings.Contains(g.System, m+"\n") {
					t.Errorf("system prompt does not show a passage under %s:\n%s", m, g.System)
				}
			}
		})
	}
	if _, err := New(st).Ground(context.Background(), 999, "x", 0); err == nil {
		t.Error("grounding on a missing document succeeded")
	}
}

// TestAskTheDocument asks a question through the chat service with the
// real engine: the answer is saved in the document's conversation and says
// which pages it looked at.
func TestAskTheDocument(t *testing.T) {
	st := openStore(t)
	doc := addDoc(t, st, "c", true, "Wheat grows in the north. ", "Cattle graze in the valleys. ", "The wheat harvest was large.")
	eng := engine.NewLocal()
	t.Cleanup(func() { eng.Close() })
	if _, err := eng.Load(context.Background(), testmodel.Tiny(t, gguf.ChatMLTemplate), engine.LoadOptions{ContextSize: 1024, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	svc := chat.New(st, eng, nil, nil)
	svc.SetGrounder(New(st))
	opts := chat.Options{Sampling: engine.Sampling{Temperature: 0}, MaxTokens: 12}
	res, err := svc.Ask(context.Background(), doc.ID, "How was the wheat harvest?", opts)
	if err != nil {
		t.Fatal(err)
	}
	svc.Wait()
	if res.Conversation.DocumentID == nil || *res.Conversation.DocumentID != doc.ID {
		t.Errorf("conversation = %+v, want it attached to document %d", res.Conversation, doc.ID)
	}
	reply, err := st.GetMessage(context.Background(), res.AssistantMessage.ID)
	if err != nil {
		t.Fatal(err)
	}
	if reply.Status != store.StatusComplete || !strings.Contains(reply.Content, "[p. 3]") {
		t.Errorf("reply = %q (%s), want it to cite page 3", reply.Content, reply.Status)
	}
	again, err := svc.Ask(context.Background(), doc.ID, "And cattle?", opts)
	if err != nil {
		t.Fatal(err)
	}
	svc.Wait()
	if again.Conversation.ID != res.Conversation.ID {
		t.Errorf("second question went to conversation %d, want %d", again.Conversation.ID, res.Conversation.ID)
	}
}
