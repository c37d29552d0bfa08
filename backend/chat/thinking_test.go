package chat

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

// thinkings joins the thinking of the token events.
func thinkings(evs []StreamEvent) string {
	var b strings.Builder
	for _, e := range evs {
		if e.Type == EventToken {
			b.WriteString(e.Thinking)
		}
	}
	return b.String()
}

// TestThinkingApart: a reasoning model's thinking streams beside the
// answer, is saved apart from it with its duration, and the next turn's
// history carries the answer alone.
func TestThinkingApart(t *testing.T) {
	cases := []struct {
		name                          string
		pieces                        []string
		streamedAnswer, streamedThink string
		content, thinking             string
	}{
		{"markers split across pieces", []string{"<th", "ink>\nThe user", " greets me.</th", "ink>\n\nHel", "lo!"},
			"Hello!", "The user greets me.", "Hello!", "The user greets me."},
		{"a prompt that opened thinking (the engine's first piece)", []string{"<think>", "\n17 × 23 = 391", "\n</think>", "\n\n**391**"},
			"**391**", "17 × 23 = 391\n", "**391**", "17 × 23 = 391"},
		{"a closing marker with no opening", []string{"plan it", "</think>", "Answer."},
			"plan it</think>Answer.", "", "Answer.", "plan it"},
		{"no thinking", []string{"Once", " upon"}, "Once upon", "", "Once upon", ""},
		{"cut while thinking", []string{"<think>", "still going"}, "", "still going", "", "still going"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			eng := newFake(c.pieces...)
			eng.delay = 3 * time.Millisecond
			f := newFixture(t, eng)
			res, err := f.svc.Send(ctx, 0, "hello", Options{})
			if err != nil {
				t.Fatal(err)
			}
			end := f.em.waitEnd(t, res.Stream)
			evs := f.em.on(res.Stream)
			if got := texts(evs); got != c.streamedAnswer {
				t.Errorf("streamed answer %q, want %q", got, c.streamedAnswer)
			}
			if got := thinkings(evs); got != c.streamedThink {
				t.Errorf("streamed thinking %q, want %q", got, c.streamedThink)
			}
			saved, err := f.st.GetMessage(ctx, res.AssistantMessage.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range []struct {
				what              string
				content, thinking string
				ms                int64
			}{{"done event", end.Message.Content, end.Message.Thinking, end.Message.ThinkingMS}, {"store", saved.Content, saved.Thinking, saved.ThinkingMS}} {
				if m.content != c.content || m.thinking != c.thinking {
					t.Errorf("%s: content %q thinking %q; want %q, %q", m.what, m.content, m.thinking, c.content, c.thinking)
				}
				// Thinking streamed over several pieces, then an answer: it took time.
				if wantMS := c.streamedThink != "" && c.content != ""; (m.ms > 0) != wantMS {
					t.Errorf("%s: thought for %d ms", m.what, m.ms)
				}
			}
			if c.content == "" {
				return
			}
			// The next turn sends the answer back, never the thinking.
			next, err := f.svc.Send(ctx, res.Conversation.ID, "and then?", Options{})
			if err != nil {
				t.Fatal(err)
			}
			f.em.waitEnd(t, next.Stream)
			hist := eng.lastRequest().Messages
			if got := hist[len(hist)-2]; got.Role != engine.RoleAssistant || got.Content != c.content {
				t.Errorf("history sent %+v, want the answer %q", got, c.content)
			}
		})
	}
}

// TestThinkBeforeAnswering: the per-model switch reaches the engine only
// for a model whose template can turn thinking off.
func TestThinkBeforeAnswering(t *testing.T) {
	no := false
	cases := []struct {
		name     string
		switcher string
		off      []string
		want     *bool
	}{
		{"turned off for this model", "flag", []string{"/models/fake.gguf"}, &no},
		{"turned off with /no_think", "/no_think", []string{"/models/fake.gguf"}, &no},
		{"turned off for another model", "flag", []string{"/models/other.gguf"}, nil},
		{"a template that cannot turn it off", "", []string{"/models/fake.gguf"}, nil},
		{"on", "flag", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eng := newFake("ok")
			eng.switcher = c.switcher
			f := newFixture(t, eng)
			set := DefaultSettings()
			set.ThinkingOff = c.off
			if _, err := SaveSettings(context.Background(), f.st, set); err != nil {
				t.Fatal(err)
			}
			res, err := f.svc.SendWithSettings(context.Background(), 0, "hello")
			if err != nil {
				t.Fatal(err)
			}
			f.em.waitEnd(t, res.Stream)
			// A regenerated reply asks the same.
			again, err := f.svc.Regenerate(context.Background(), res.AssistantMessage.ID, set.Options())
			if err != nil {
				t.Fatal(err)
			}
			f.em.waitEnd(t, again.Stream)
			for i, r := range eng.requests {
				got := r.Thinking
				if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
					t.Errorf("request %d: Thinking = %v, want %v", i, got, c.want)
				}
			}
		})
	}
}

type fixedGrounder struct{ sources []string }

func (g fixedGrounder) Ground(context.Context, int64, string, int) (Grounding, error) {
	return Grounding{System: "Answer from the passages.", Sources: g.sources}, nil
}

// TestDocumentAnswerCitesTheAnswerOnly: a marker the model wrote while
// thinking is no citation; the answer without one gets the sources list.
func TestDocumentAnswerCitesTheAnswerOnly(t *testing.T) {
	cases := []struct {
		name    string
		pieces  []string
		content string
	}{
		{"cited only in thinking", []string{"<think>The passage [p. 1] says wheat.</think>", "Wheat grows north."},
			"Wheat grows north.\n\nSources: [p. 1] [p. 2]"},
		{"cited in the answer", []string{"<think>see [p. 2]</think>", "Wheat grows north [p. 1]."}, "Wheat grows north [p. 1]."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, newFake(c.pieces...))
			f.svc.SetGrounder(fixedGrounder{sources: []string{"[p. 1]", "[p. 2]"}})
			nd := store.NewDocument{Blake3: strings.Repeat("e", 64), Name: "w.txt", Format: "text", Text: "wheat",
				Chunks: []store.Chunk{{Ord: 0, Start: 0, End: 5, Text: "wheat"}}}
			doc, _, err := f.st.AddDocument(ctx, nd)
			if err != nil {
				t.Fatal(err)
			}
			res, err := f.svc.Ask(ctx, doc.ID, "where does wheat grow?", Options{})
			if err != nil {
				t.Fatal(err)
			}
			end := f.em.waitEnd(t, res.Stream)
			if end.Message.Content != c.content || end.Message.Thinking == "" || strings.Contains(end.Message.Content, "think") {
				t.Errorf("content %q thinking %q; want content %q", end.Message.Content, end.Message.Thinking, c.content)
			}
		})
	}
}

// TestThinkingSavedWhileStreaming: a reply still thinking has its thinking
// saved as it grows, so a crash keeps it.
func TestThinkingSavedWhileStreaming(t *testing.T) {
	ctx := context.Background()
	eng := newFake("<think>", "\nstep one,", " step two", "</think>", "Done.")
	eng.holdBefore(3)
	f := newFixture(t, eng)
	res, err := f.svc.Send(ctx, 0, "think", Options{})
	if err != nil {
		t.Fatal(err)
	}
	<-eng.held
	deadline := time.Now().Add(3 * time.Second)
	for {
		m, err := f.st.GetMessage(ctx, res.AssistantMessage.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Thinking == "step one, step two" {
			if m.Status != "streaming" || m.Content != "" {
				t.Errorf("mid-stream message %+v", m)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store holds thinking %q while the reply thinks", m.Thinking)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if a, ok := f.svc.ActiveReply(res.Conversation.ID); !ok || a.Thinking != "step one, step two" || a.Content != "" {
		t.Errorf("ActiveReply = %+v, %v", a, ok)
	}
	eng.release()
	if end := f.em.waitEnd(t, res.Stream); end.Message.Content != "Done." || end.Message.Thinking != "step one, step two" {
		t.Errorf("final %q / %q", end.Message.Content, end.Message.Thinking)
	}
}
