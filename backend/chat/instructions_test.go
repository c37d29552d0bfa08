package chat

import (
	"context"
	"testing"

	"github.com/chapelapp/chapel/backend/engine"
)

// A conversation's own instructions are the system prompt of every reply
// in it, whichever way the reply is asked for, in place of the one in
// Settings; without them Settings' applies.
func TestInstructionsSentToEngine(t *testing.T) {
	ctx := context.Background()
	opts := Options{SystemPrompt: "Be brief."}
	tests := []struct {
		name         string
		instructions string
		ask          func(f *fixture, conv, reply int64) (SendResult, error)
		want         string // the first message's content, "" for no system message
	}{
		{"send, with instructions", "Answer as a pirate.", func(f *fixture, conv, _ int64) (SendResult, error) {
			return f.svc.Send(ctx, conv, "And Spain?", opts)
		}, "Answer as a pirate."},
		{"regenerate, with instructions", "Answer as a pirate.", func(f *fixture, _, reply int64) (SendResult, error) {
			return f.svc.Regenerate(ctx, reply, opts)
		}, "Answer as a pirate."},
		{"continue, with instructions", "Answer in French.", func(f *fixture, _, reply int64) (SendResult, error) {
			return f.svc.Continue(ctx, reply, opts)
		}, "Answer in French."},
		{"send, instructions cleared", "", func(f *fixture, conv, _ int64) (SendResult, error) {
			return f.svc.Send(ctx, conv, "And Spain?", opts)
		}, "Be brief."},
		{"send, neither", "", func(f *fixture, conv, _ int64) (SendResult, error) {
			return f.svc.Send(ctx, conv, "And Spain?", Options{})
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newFake("Paris.")
			f := newFixture(t, eng)
			first, err := f.svc.Send(ctx, 0, "Capital of France?", opts)
			if err != nil {
				t.Fatal(err)
			}
			f.em.waitEnd(t, first.Stream)
			if _, err := f.st.SetInstructions(ctx, first.Conversation.ID, "placeholder"); err != nil {
				t.Fatal(err)
			}
			if _, err := f.st.SetInstructions(ctx, first.Conversation.ID, tt.instructions); err != nil {
				t.Fatal(err)
			}
			if _, err := tt.ask(f, first.Conversation.ID, first.AssistantMessage.ID); err != nil {
				t.Fatal(err)
			}
			f.svc.Wait() // a continuation streams on the reply's own stream, whose first end has passed
			ms := eng.lastRequest().Messages
			got := ""
			if len(ms) > 0 && ms[0].Role == engine.RoleSystem {
				got = ms[0].Content
			}
			if got != tt.want {
				t.Errorf("system prompt = %q, want %q (messages %+v)", got, tt.want, ms)
			}
		})
	}
}
