package summarize

import (
	"context"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/engine"
)

// thought is what the reasoning fake thinks before each answer.
const thought = "<think>\nTHOUGHT: the reader wants pages cited, like [p. 1]; keep it short, THOUGHT ends.\n</think>\n\n"

// thinkingFake is the fake engine as a reasoning model: unless a request
// turns thinking off, every reply starts with a <think> block, streamed in
// small pieces that cut its markers apart.
type thinkingFake struct {
	*fakeEngine
	sw       string // the ThinkSwitch the model reports
	reqs     []engine.Request
	thoughts int // replies that thought
}

func (f *thinkingFake) Model(ctx context.Context) (engine.ModelInfo, bool) {
	info, ok := f.fakeEngine.Model(ctx)
	info.Reasoning, info.ThinkSwitch = true, f.sw
	return info, ok
}

func (f *thinkingFake) GenerateBatch(ctx context.Context, reqs []engine.Request, onPiece func(int, string)) ([]engine.Result, error) {
	n := len(strings.Fields(thought))
	inner := make([]engine.Request, len(reqs))
	thinks := make([]bool, len(reqs))
	f.mu.Lock()
	for i, r := range reqs {
		f.reqs = append(f.reqs, r)
		inner[i] = r
		thinks[i] = r.Thinking == nil || *r.Thinking
		if thinks[i] {
			inner[i].MaxTokens = max(1, r.MaxTokens-n) // the thinking used its tokens
		}
	}
	f.mu.Unlock()
	started := make([]bool, len(reqs))
	res, err := f.fakeEngine.GenerateBatch(ctx, inner, func(i int, piece string) {
		if thinks[i] && !started[i] {
			started[i] = true
			f.thoughts++
			for j := 0; j < len(thought); j += 3 {
				onPiece(i, thought[j:min(j+3, len(thought))])
			}
		}
		onPiece(i, piece)
	})
	for i := range res {
		if thinks[i] {
			res[i].CompletionTokens += n
		}
	}
	return res, err
}

// TestSummaryWithoutThinking: with a reasoning model, no thinking reaches a
// saved summary piece or the summary: thinking is turned off where the
// template allows, else cut from each reply, with room to think given.
func TestSummaryWithoutThinking(t *testing.T) {
	cases := []struct {
		name    string
		sw      string
		thinkOf bool // requests turn thinking off
	}{
		{"enable_thinking turns it off", "flag", true},
		{"/no_think turns it off", "/no_think", true},
		{"no switch: cut from the replies", "", false},
	}
	// The plain model's first step, for the room a thinking step gets.
	plain := &recordingFake{fakeEngine: newFake(4096)}
	{
		st := openStore(t)
		doc := pagedDoc(30, 6, 4).add(t, st, "plain")
		if _, err := New(st, plain, nil).Summarize(context.Background(), doc.ID, "brief", nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := openStore(t)
			f := &thinkingFake{fakeEngine: newFake(4096), sw: c.sw}
			doc := pagedDoc(30, 6, 4).add(t, st, c.name)
			v, err := New(st, f, nil).Summarize(context.Background(), doc.ID, "brief", nil)
			if err != nil {
				t.Fatal(err)
			}
			if v.Status != StatusComplete {
				t.Fatalf("status %q (%s)", v.Status, v.Error)
			}
			texts := []string{v.Text}
			for _, p := range pieces(t, st, v.ID) {
				texts = append(texts, p.Text)
			}
			for _, s := range texts {
				if strings.Contains(s, "THOUGHT") || strings.Contains(s, "think>") {
					t.Fatalf("thinking reached the summary:\n%s", s)
				}
			}
			checkCitations(t, v, doc, chunksOf(t, st, doc.ID))
			for _, r := range f.reqs {
				off := r.Thinking != nil && !*r.Thinking
				if off != c.thinkOf {
					t.Fatalf("a request with Thinking %v; want off %v", r.Thinking, c.thinkOf)
				}
			}
			if c.thinkOf && f.thoughts != 0 || !c.thinkOf && f.thoughts == 0 {
				t.Errorf("%d replies thought", f.thoughts)
			}
			if !c.thinkOf && f.reqs[0].MaxTokens <= plain.reqs[0].MaxTokens {
				t.Errorf("a thinking step may write %d tokens, a plain one %d: no room to think", f.reqs[0].MaxTokens, plain.reqs[0].MaxTokens)
			}
		})
	}
}

// recordingFake is the plain fake, recording the requests.
type recordingFake struct {
	*fakeEngine
	reqs []engine.Request
}

func (f *recordingFake) GenerateBatch(ctx context.Context, reqs []engine.Request, onPiece func(int, string)) ([]engine.Result, error) {
	f.reqs = append(f.reqs, reqs...)
	return f.fakeEngine.GenerateBatch(ctx, reqs, onPiece)
}

func TestAnswerOf(t *testing.T) {
	cases := []struct{ reply, want string }{
		{"  A plain answer [p. 2].\n", "  A plain answer [p. 2].\n"},
		{"<think>x [p. 1]</think>\n\nThe answer [p. 2].", "The answer [p. 2]."},
		{"thought opened by the prompt</think>The answer.", "The answer."},
		{"<think>cut before the answer", ""},
	}
	for _, c := range cases {
		if got := answerOf(c.reply); got != c.want {
			t.Errorf("answerOf(%q) = %q, want %q", c.reply, got, c.want)
		}
	}
}
