package chat

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/engine/testmodel"
	"github.com/chapelapp/chapel/backend/store"
)

// realFixture is a chat service on the real engine with the tiny
// random-weight model, one thread.
type realFixture struct {
	st  *store.Store
	em  *recorder
	svc *Service
}

func newRealFixture(t *testing.T) *realFixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.NewLocal()
	if _, err := eng.Load(ctx, testmodel.Tiny(t, ""), engine.LoadOptions{ContextSize: 1024, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	em := newRecorder()
	svc := New(st, eng, em, nil)
	t.Cleanup(func() {
		if err := svc.Close(ctx); err != nil {
			t.Error(err)
		}
		eng.Close()
		st.Close()
	})
	return &realFixture{st, em, svc}
}

// greedyOpts write n tokens with greedy sampling, never ending early.
func greedyOpts(n int) Options {
	return Options{Sampling: engine.Sampling{Temperature: 0, TopK: 1, TopP: 1, RepeatPenalty: 1}, MaxTokens: n, IgnoreEOS: true}
}

// wait waits for the reply of r to end and returns its end event.
func (f *realFixture) wait(t *testing.T, r SendResult, err error) StreamEvent {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	end := f.em.waitEnd(t, r.Stream)
	if end.Type != EventDone {
		t.Fatalf("reply ended with %+v (%+v)", end, end.Error)
	}
	f.svc.Wait()
	return end
}

func (f *realFixture) path(t *testing.T, conv int64) ([]string, store.ConversationDetail) {
	t.Helper()
	d, err := f.st.ConversationDetail(context.Background(), conv)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range d.Messages {
		out = append(out, m.Role[:1]+":"+m.Content)
	}
	return out, d
}

func TestRegenerateEditSwitchOnTheEngine(t *testing.T) {
	ctx := context.Background()
	f := newRealFixture(t)
	opts := greedyOpts(5)
	first, err := f.svc.Send(ctx, 0, "the cat sat", opts)
	e1 := f.wait(t, first, err)
	conv := first.Conversation.ID
	if e1.Message.StopReason != store.StopLength || e1.Message.CompletionTokens != 5 {
		t.Errorf("first reply %+v", e1.Message)
	}
	second, err := f.svc.Send(ctx, conv, "on the mat", opts)
	e2 := f.wait(t, second, err)

	// Regenerate the last reply: a second version, the first kept; the
	// prompt is the one already cached.
	regen, err := f.svc.Regenerate(ctx, second.AssistantMessage.ID, opts)
	e3 := f.wait(t, regen, err)
	if regen.UserMessage.ID != second.UserMessage.ID || regen.AssistantMessage.ParentID != second.UserMessage.ID {
		t.Errorf("regenerated under %d (parent %d), want %d", regen.UserMessage.ID, regen.AssistantMessage.ParentID, second.UserMessage.ID)
	}
	if e3.Result.CachedTokens < e2.Result.PromptTokens-1 {
		t.Errorf("regenerating reused %d cached tokens, want the whole prompt (%d)", e3.Result.CachedTokens, e2.Result.PromptTokens-1)
	}
	_, d := f.path(t, conv)
	if last := d.Versions[len(d.Versions)-1]; !reflect.DeepEqual(last, []int64{second.AssistantMessage.ID, regen.AssistantMessage.ID}) {
		t.Errorf("versions of the last reply %v", last)
	}

	// Edit the second question: a new branch from the first reply on.
	edit, err := f.svc.Edit(ctx, second.UserMessage.ID, "under the tree", opts)
	e4 := f.wait(t, edit, err)
	got, d := f.path(t, conv)
	want := []string{"u:the cat sat", "a:" + e1.Message.Content, "u:under the tree", "a:" + e4.Message.Content}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after editing, path %q, want %q", got, want)
	}
	if len(d.Versions[2]) != 2 {
		t.Errorf("the edited question has versions %v", d.Versions[2])
	}
	// The shared prefix (the first turn) came from the cache.
	if e4.Result.CachedTokens < e1.Result.PromptTokens-1 {
		t.Errorf("the edit reused %d cached tokens, want at least the first prompt's %d", e4.Result.CachedTokens, e1.Result.PromptTokens-1)
	}

	// Switch back to the original question: its branch, with the
	// regenerated reply it last showed.
	back, err := f.svc.SwitchVersion(ctx, second.UserMessage.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(back.Messages); n != 4 || back.Messages[3].ID != regen.AssistantMessage.ID {
		t.Fatalf("switched back to %+v", back.Messages)
	}
	// The next message is written from the branch on screen, and the
	// engine starts from the cache of the shared prefix.
	next, err := f.svc.Send(ctx, conv, "and then", opts)
	e5 := f.wait(t, next, err)
	if next.UserMessage.ParentID != regen.AssistantMessage.ID {
		t.Errorf("sent after %d, want after the shown reply %d", next.UserMessage.ParentID, regen.AssistantMessage.ID)
	}
	if e5.Result.CachedTokens < e1.Result.PromptTokens-1 {
		t.Errorf("after switching, %d cached tokens reused; want at least %d", e5.Result.CachedTokens, e1.Result.PromptTokens-1)
	}
}

func TestContinueAndDeleteOnTheEngine(t *testing.T) {
	ctx := context.Background()
	f := newRealFixture(t)
	r, err := f.svc.Send(ctx, 0, "once upon a time", greedyOpts(4))
	e1 := f.wait(t, r, err)
	if e1.Message.StopReason != store.StopLength {
		t.Fatalf("stop reason %q, want length", e1.Message.StopReason)
	}
	// The continuation streams on the reply's own stream name again.
	before := len(f.em.on(r.Stream))
	cont, err := f.svc.Continue(ctx, r.AssistantMessage.ID, greedyOpts(3))
	if err != nil {
		t.Fatal(err)
	}
	if cont.AssistantMessage.ID != r.AssistantMessage.ID || cont.AssistantMessage.Content != e1.Message.Content {
		t.Errorf("continue result %+v", cont.AssistantMessage)
	}
	f.svc.Wait()
	evs := f.em.on(cont.Stream)[before:]
	e2 := evs[len(evs)-1]
	if e2.Type != EventDone {
		t.Fatalf("continuation ended with %+v", e2)
	}
	streamed := texts(evs)
	if !strings.HasPrefix(e2.Message.Content, e1.Message.Content) || e2.Message.Content != e1.Message.Content+streamed || streamed == "" {
		t.Errorf("continued %q + streamed %q = %q", e1.Message.Content, streamed, e2.Message.Content)
	}
	if e2.Message.CompletionTokens != 7 || e2.Message.StopReason != store.StopLength || e2.Message.Status != store.StatusComplete {
		t.Errorf("continued reply %+v", e2.Message)
	}
	if e2.Result.CachedTokens < e1.Result.PromptTokens-1 {
		t.Errorf("continuing reused %d cached tokens, want at least %d", e2.Result.CachedTokens, e1.Result.PromptTokens-1)
	}

	// Deleting the reply leaves the question; Regenerate on it answers.
	d, err := f.svc.DeleteMessage(ctx, r.AssistantMessage.ID)
	if err != nil || len(d.Messages) != 1 || d.Messages[0].ID != r.UserMessage.ID {
		t.Fatalf("after delete %+v, %v", d.Messages, err)
	}
	again, err := f.svc.Regenerate(ctx, r.UserMessage.ID, greedyOpts(2))
	f.wait(t, again, err)
	if got, _ := f.path(t, r.Conversation.ID); len(got) != 2 {
		t.Errorf("path after answering again %q", got)
	}
}

func TestTreeOperationErrors(t *testing.T) {
	ctx := context.Background()
	eng := newFake("a", "b")
	f := newFixture(t, eng)
	r, err := f.svc.Send(ctx, 0, "hi", Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.em.waitEnd(t, r.Stream)
	f.svc.Wait()
	eng.holdBefore(1)
	busy, err := f.svc.Regenerate(ctx, r.AssistantMessage.ID, Options{})
	if err != nil {
		t.Fatal(err)
	}
	<-eng.held
	tests := []struct {
		name string
		call func() error
		code apperr.Code
	}{
		{"regenerate while writing", func() error { _, err := f.svc.Regenerate(ctx, r.AssistantMessage.ID, Options{}); return err }, apperr.Conflict},
		{"switch while writing", func() error { _, err := f.svc.SwitchVersion(ctx, r.AssistantMessage.ID); return err }, apperr.Conflict},
		{"edit a reply", func() error { _, err := f.svc.Edit(ctx, r.AssistantMessage.ID, "x", Options{}); return err }, apperr.Invalid},
		{"edit to nothing", func() error { _, err := f.svc.Edit(ctx, r.UserMessage.ID, "  ", Options{}); return err }, apperr.Invalid},
		{"continue a question", func() error { _, err := f.svc.Continue(ctx, r.UserMessage.ID, Options{}); return err }, apperr.Invalid},
		{"missing message", func() error { _, err := f.svc.Regenerate(ctx, 999, Options{}); return err }, apperr.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code) })
	}
	eng.release()
	f.em.waitEnd(t, busy.Stream)
	// Deleting the message being written stops it first.
	eng.holdBefore(1)
	w, err := f.svc.Regenerate(ctx, r.AssistantMessage.ID, Options{})
	if err != nil {
		t.Fatal(err)
	}
	<-eng.held
	if _, err := f.svc.DeleteMessage(ctx, w.AssistantMessage.ID); err != nil {
		t.Fatal(err)
	}
	if f.svc.Generating(r.Conversation.ID) {
		t.Error("still generating after deleting the reply")
	}
	if _, err := f.st.GetMessage(ctx, w.AssistantMessage.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("deleted reply still there: %v", err)
	}
}

func TestStopReason(t *testing.T) {
	cases := []struct {
		name   string
		status string
		res    engine.Result
		max    int
		want   string
	}{
		{"model ended", store.StatusComplete, engine.Result{StopReason: engine.StopEOG, CompletionTokens: 3}, 10, store.StopEOG},
		{"token limit", store.StatusComplete, engine.Result{StopReason: engine.StopLength, CompletionTokens: 10}, 10, store.StopLength},
		{"context full", store.StatusComplete, engine.Result{StopReason: engine.StopLength, CompletionTokens: 4}, 10, store.StopContext},
		{"context full, no limit", store.StatusComplete, engine.Result{StopReason: engine.StopLength, CompletionTokens: 4}, 0, store.StopContext},
		{"stopped", store.StatusStopped, engine.Result{StopReason: engine.StopCanceled}, 10, store.StopCanceled},
		{"failed", store.StatusFailed, engine.Result{}, 10, ""},
	}
	for _, c := range cases {
		if got := stopReason(c.status, c.res, engine.Request{MaxTokens: c.max}); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
