package chat

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/chapelapp/chapel/backend/chattmpl"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

// Reasoning models write their thinking before the answer. A reply keeps
// the two apart as it streams: the message's content is the answer alone
// (so the history sent back to the model, summaries and citations never
// see thinking), and the thinking is saved beside it with how long it took.

// thinkingSplit separates one reply's thinking from its answer and times
// the thinking. Its owner (run) serialises the calls.
type thinkingSplit struct {
	sp       *chattmpl.Splitter
	thinking strings.Builder
	began    time.Time // the first thinking text
	ended    time.Time // the first answer text after thinking
	last     time.Time // the latest thinking text
}

func newThinkingSplit() *thinkingSplit { return &thinkingSplit{sp: chattmpl.NewSplitter()} }

// push takes a piece at time now and returns its answer text; its
// thinking text is kept.
func (t *thinkingSplit) push(piece string, now time.Time) string {
	th, an := t.sp.Push(piece)
	t.note(th, an, now)
	return an
}

// flush ends the reply, returning the answer text that was held back.
func (t *thinkingSplit) flush(now time.Time) string {
	th, an := t.sp.Flush()
	t.note(th, an, now)
	return an
}

func (t *thinkingSplit) note(th, an string, now time.Time) {
	if th != "" {
		if t.began.IsZero() {
			t.began = now
		}
		t.last = now
		t.thinking.WriteString(th)
	}
	if an != "" && !t.began.IsZero() && t.ended.IsZero() {
		t.ended = now
	}
}

// text is the thinking so far.
func (t *thinkingSplit) text() string { return t.thinking.String() }

// ms is how long the model thought: from its first thinking text to its
// first answer text (or its last thinking, when it never answered).
func (t *thinkingSplit) ms() int64 {
	if t.began.IsZero() {
		return 0
	}
	end := t.ended
	if end.IsZero() {
		end = t.last
	}
	// A small model can think for less than a millisecond over several
	// pieces: it still thought, so say 1 ms rather than nothing.
	d := end.Sub(t.began)
	if d <= 0 {
		return 0
	}
	return max(1, d.Milliseconds())
}

// finalText is the reply's answer and thinking as they are saved, trimmed.
// A reply that closed a thinking block it never opened ("…</think>answer":
// a template opened it in a way the engine did not see) is split at the
// closing marker then.
func (t *thinkingSplit) finalText(answer string) (string, string) {
	thinking := t.text()
	if !t.sp.Thought() {
		if th, rest := chattmpl.SplitUnopened(answer); th != "" {
			return rest, th
		}
	}
	if thinking == "" {
		return answer, ""
	}
	return strings.TrimSpace(answer), strings.TrimSpace(thinking)
}

// thinkingFor is the request's thinking setting for the loaded model: off
// when the user turned it off for this model and its template allows it,
// else the template's default (nil).
func thinkingFor(opts Options, info engine.ModelInfo) *bool {
	if info.ThinkSwitch == "" || !slices.Contains(opts.ThinkingOff, info.Path) {
		return nil
	}
	off := false
	return &off
}

// saveThinking saves a finished reply's thinking beside its answer, when it
// has any and the reply itself was saved.
func (s *Service) saveThinking(ctx context.Context, msg store.Message, saveErr error, thinking string, ms int64) (store.Message, error) {
	if saveErr != nil || thinking == "" {
		return msg, saveErr
	}
	saved, err := s.st.SetMessageThinking(ctx, msg.ID, thinking, ms)
	if err != nil {
		msg.Thinking, msg.ThinkingMS = thinking, ms
		return msg, err
	}
	return saved, nil
}

// saveThinkingSoFar saves the thinking of a streaming reply when it grew
// since the last save, so a reply cut short by a crash keeps it; it reports
// whether it saved.
func (s *Service) saveThinkingSoFar(ctx context.Context, r *run) bool {
	r.mu.Lock()
	thinking, ms := r.splitter().text(), r.splitter().ms()
	grew := len(thinking) > r.thoughtSaved
	r.thoughtSaved = len(thinking)
	r.mu.Unlock()
	if !grew {
		return false
	}
	if _, err := s.st.SetMessageThinking(ctx, r.messageID, thinking, ms); err != nil {
		s.log.Warn("could not save a reply's thinking while it streams", "message", r.messageID, "err", err)
	}
	return true
}
