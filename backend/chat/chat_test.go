package chat

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); err == nil || got != code {
		t.Fatalf("got error %v (%s), want %s", err, got, code)
	}
}

func TestFirstMessageCreatesConversation(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, newFake("Once", " upon", " a", " time."))
	res, err := f.svc.Send(ctx, 0, "Tell me a story about a dragon who learns to bake bread\nplease", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Conversation.ID == 0 || res.Conversation.Title != "Tell me a story about a dragon who learns to…" {
		t.Errorf("conversation %+v", res.Conversation)
	}
	if res.Conversation.Model != "/models/fake.gguf" || res.Conversation.MessageCount != 2 {
		t.Errorf("conversation %+v", res.Conversation)
	}
	if res.UserMessage.Role != "user" || res.UserMessage.Status != store.StatusComplete ||
		res.AssistantMessage.Status != store.StatusStreaming || res.AssistantMessage.Content != "" {
		t.Errorf("messages %+v %+v", res.UserMessage, res.AssistantMessage)
	}
	if want := StreamName(res.AssistantMessage.ID); res.Stream != want {
		t.Errorf("stream %q, want %q", res.Stream, want)
	}
	end := f.em.waitEnd(t, res.Stream)
	if end.Type != EventDone || end.Message.Status != store.StatusComplete || end.Message.Content != "Once upon a time." {
		t.Fatalf("end event %+v %+v", end, end.Message)
	}
	if end.Result.StopReason != engine.StopEOG || end.Message.CompletionTokens != 4 || end.Message.PromptTokens != 5 {
		t.Errorf("result %+v, message %+v", end.Result, end.Message)
	}
	d, err := f.st.ConversationDetail(ctx, res.Conversation.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Messages) != 2 || d.Messages[1].Content != "Once upon a time." || d.Messages[1].Status != store.StatusComplete {
		t.Errorf("stored %+v", d.Messages)
	}
	f.svc.Wait()
	if n := f.em.count(EventConversationsChanged); n != 2 {
		t.Errorf("%d conversations:changed events, want 2 (sent, finished)", n)
	}
}

func TestEmptyConversationTakesTitleFromFirstMessage(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, newFake("Hi."))
	cases := []struct {
		name, title, want string
	}{
		{"new chat gets a title", store.DefaultTitle, "What is a chapel?"},
		{"a title the user chose stays", "My notes", "My notes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conv, err := f.st.CreateConversation(ctx, c.title, "")
			if err != nil {
				t.Fatal(err)
			}
			res, err := f.svc.Send(ctx, conv.ID, "What is a chapel?", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Conversation.Title != c.want {
				t.Errorf("title %q, want %q", res.Conversation.Title, c.want)
			}
			f.em.waitEnd(t, res.Stream)
			f.svc.Wait()
		})
	}
}

func TestEventsStreamThenEnd(t *testing.T) {
	pieces := strings.Split(strings.Repeat("word ", 40), " ")
	eng := newFake(pieces...)
	eng.delay = 2 * time.Millisecond
	f := newFixture(t, eng)
	res, err := f.svc.Send(context.Background(), 0, "hello", Options{})
	if err != nil {
		t.Fatal(err)
	}
	end := f.em.waitEnd(t, res.Stream)
	evs := f.em.on(res.Stream)
	if evs[len(evs)-1] != end || end.Type != EventDone {
		t.Fatalf("stream does not end with done: %+v", evs[len(evs)-1])
	}
	tokens := evs[:len(evs)-1]
	if len(tokens) == 0 || len(tokens) >= len(pieces) {
		t.Errorf("%d token events for %d pieces: not coalesced", len(tokens), len(pieces))
	}
	for i, e := range tokens {
		if e.Type != EventToken || e.Seq != i+1 || e.Text == "" || e.CompletionTokens == 0 {
			t.Fatalf("token event %d: %+v", i, e)
		}
	}
	if got, want := texts(tokens), strings.Join(pieces, ""); got != want {
		t.Errorf("streamed %q, want %q", got, want)
	}
	if end.Message.Content != strings.Join(pieces, "") {
		t.Errorf("final content %q", end.Message.Content)
	}
}

func TestReplyIsSavedWhileStreaming(t *testing.T) {
	ctx := context.Background()
	eng := newFake("Once", " upon", " a", " time")
	eng.holdBefore(2)
	f := newFixture(t, eng)
	res, err := f.svc.Send(ctx, 0, "story", Options{})
	if err != nil {
		t.Fatal(err)
	}
	<-eng.held
	start := time.Now()
	for {
		m, err := f.st.GetMessage(ctx, res.AssistantMessage.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Content == "Once upon" {
			if m.Status != store.StatusStreaming || m.CompletionTokens != 2 {
				t.Errorf("mid-stream message %+v", m)
			}
			break
		}
		if time.Since(start) > 1500*time.Millisecond {
			t.Fatalf("after %v the store holds %q, want %q", time.Since(start), m.Content, "Once upon")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("saved %v after the pieces", time.Since(start))
	if a, ok := f.svc.ActiveReply(res.Conversation.ID); !ok || a.Content != "Once upon" || a.Seq == 0 || a.Stream != res.Stream {
		t.Errorf("ActiveReply = %+v, %v", a, ok)
	}
	eng.release()
	if end := f.em.waitEnd(t, res.Stream); end.Message.Content != "Once upon a time" {
		t.Errorf("final %q", end.Message.Content)
	}
}

func TestStopKeepsPartialText(t *testing.T) {
	ctx := context.Background()
	eng := newFake("Once", " upon", " a", " time")
	eng.holdBefore(2)
	f := newFixture(t, eng)
	res, err := f.svc.Send(ctx, 0, "story", Options{})
	if err != nil {
		t.Fatal(err)
	}
	<-eng.held
	if !f.svc.Generating(res.Conversation.ID) {
		t.Error("Generating = false while generating")
	}
	if err := f.svc.Stop(ctx, res.Conversation.ID); err != nil {
		t.Fatal(err)
	}
	// Stop returns once the reply is saved: the conversation is free again.
	if f.svc.Generating(res.Conversation.ID) {
		t.Error("Generating = true after Stop")
	}
	m, _ := f.st.GetMessage(ctx, res.AssistantMessage.ID)
	if m.Status != store.StatusStopped || m.Content != "Once upon" || m.Error != "" {
		t.Errorf("stopped message %+v", m)
	}
	end := f.em.waitEnd(t, res.Stream)
	if end.Type != EventDone || end.Message.Status != store.StatusStopped || end.Result.StopReason != engine.StopCanceled {
		t.Errorf("end %+v %+v", end, end.Message)
	}
	if got := texts(f.em.on(res.Stream)); got != "Once upon" {
		t.Errorf("streamed %q", got)
	}
	for range 2 { // idempotent
		if err := f.svc.Stop(ctx, res.Conversation.ID); err != nil {
			t.Error(err)
		}
	}
}

func TestEngineErrorKeepsText(t *testing.T) {
	ctx := context.Background()
	eng := newFake("Once", " upon")
	eng.err = apperr.Wrap(apperr.Internal, errEngine, "the engine failed while generating")
	f := newFixture(t, eng)
	res, err := f.svc.Send(ctx, 0, "story", Options{})
	if err != nil {
		t.Fatal(err)
	}
	end := f.em.waitEnd(t, res.Stream)
	if end.Type != EventError || end.Error == nil || end.Error.Code != apperr.Internal ||
		end.Error.Message != "the engine failed while generating" {
		t.Fatalf("end %+v (error %+v)", end, end.Error)
	}
	m, _ := f.st.GetMessage(ctx, res.AssistantMessage.ID)
	if m.Status != store.StatusFailed || m.Content != "Once upon" || m.Error != "the engine failed while generating" {
		t.Errorf("failed message %+v", m)
	}
	if *end.Message != m {
		t.Errorf("event message %+v, stored %+v", *end.Message, m)
	}
}

func TestSendErrors(t *testing.T) {
	ctx := context.Background()
	eng := newFake("a", "b")
	eng.holdBefore(1)
	f := newFixture(t, eng)
	busy, err := f.svc.Send(ctx, 0, "first", Options{})
	if err != nil {
		t.Fatal(err)
	}
	<-eng.held

	noModel := newFixture(t, &fakeEngine{})
	tests := []struct {
		name string
		svc  *Service
		conv int64
		text string
		code apperr.Code
		msg  string
	}{
		{"empty text", f.svc, 0, " \n\t ", apperr.Invalid, "Type a message first"},
		{"generating already", f.svc, busy.Conversation.ID, "second", apperr.Conflict, "still writing a reply"},
		{"missing conversation", f.svc, 999, "hi", apperr.NotFound, "conversation 999 not found"},
		{"no model", noModel.svc, 0, "hi", apperr.Unavailable, "Choose a model first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.svc.Send(ctx, tt.conv, tt.text, Options{})
			wantCode(t, err, tt.code)
			if !strings.Contains(apperr.Message(err), tt.msg) {
				t.Errorf("message %q, want %q", apperr.Message(err), tt.msg)
			}
		})
	}
	// Failed sends leave nothing behind: only the busy conversation exists.
	for _, st := range []*store.Store{f.st, noModel.st} {
		cs, _ := st.ListConversations(ctx)
		if st == f.st && (len(cs) != 1 || cs[0].MessageCount != 2) || st == noModel.st && len(cs) != 0 {
			t.Errorf("conversations after failed sends: %+v", cs)
		}
	}
	// Another conversation may generate meanwhile (the engine queues it).
	other, err := f.svc.Send(ctx, 0, "other", Options{})
	if err != nil {
		t.Fatalf("send to another conversation: %v", err)
	}
	eng.release()
	f.em.waitEnd(t, busy.Stream)
	f.em.waitEnd(t, other.Stream)
	if _, err := f.svc.Send(ctx, busy.Conversation.ID, "again", Options{}); err != nil {
		t.Errorf("send after the reply ended: %v", err)
	}
}

func TestHistorySentToEngine(t *testing.T) {
	ctx := context.Background()
	eng := newFake("Paris.")
	f := newFixture(t, eng)
	first, err := f.svc.Send(ctx, 0, "Capital of France?", Options{SystemPrompt: "Be brief."})
	if err != nil {
		t.Fatal(err)
	}
	f.em.waitEnd(t, first.Stream)
	if got := eng.lastRequest().Sampling; got != engine.DefaultSampling() {
		t.Errorf("zero sampling sent as %+v, want the defaults", got)
	}
	// A reply that failed before its first word is left out.
	eng.pieces, eng.err = nil, errEngine
	failed, err := f.svc.Send(ctx, first.Conversation.ID, "And Spain?", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if end := f.em.waitEnd(t, failed.Stream); end.Type != EventError || end.Error.Code != apperr.Internal {
		t.Fatalf("end %+v", end)
	}
	eng.pieces, eng.err = []string{"Madrid."}, nil
	sampling := engine.Sampling{Temperature: 0, TopK: 1, TopP: 1, RepeatPenalty: 1, Seed: 7}
	third, err := f.svc.Send(ctx, first.Conversation.ID, "And Spain?", Options{SystemPrompt: "Be brief.", Sampling: sampling, MaxTokens: 64})
	if err != nil {
		t.Fatal(err)
	}
	f.em.waitEnd(t, third.Stream)
	req := eng.lastRequest()
	want := []engine.Message{
		{Role: "system", Content: "Be brief."},
		{Role: "user", Content: "Capital of France?"},
		{Role: "assistant", Content: "Paris."},
		{Role: "user", Content: "And Spain?"},
		{Role: "user", Content: "And Spain?"},
	}
	if !reflect.DeepEqual(req.Messages, want) {
		t.Errorf("history\n got %+v\nwant %+v", req.Messages, want)
	}
	if req.Sampling != sampling || req.MaxTokens != 64 {
		t.Errorf("sampling %+v max %d", req.Sampling, req.MaxTokens)
	}
}

func TestCloseStopsAndWaits(t *testing.T) {
	ctx := context.Background()
	eng := newFake("Once", " upon", " a")
	eng.holdBefore(1)
	f := newFixture(t, eng)
	res, err := f.svc.Send(ctx, 0, "story", Options{})
	if err != nil {
		t.Fatal(err)
	}
	<-eng.held
	if err := f.svc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Close returned: the reply is already saved as stopped.
	m, _ := f.st.GetMessage(ctx, res.AssistantMessage.ID)
	if m.Status != store.StatusStopped || m.Content != "Once" {
		t.Errorf("after Close %+v", m)
	}
	_, err = f.svc.Send(ctx, 0, "more", Options{})
	wantCode(t, err, apperr.Unavailable)
}

func TestSendSync(t *testing.T) {
	ctx := context.Background()
	eng := newFake("Once", " upon", " a", " time")
	f := newFixture(t, eng)
	var got []string
	res, gen, err := f.svc.SendSync(ctx, 0, "story", Options{}, func(p string) { got = append(got, p) })
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != "Once| upon| a| time" {
		t.Errorf("pieces %q", got)
	}
	if res.AssistantMessage.Status != store.StatusComplete || res.AssistantMessage.Content != "Once upon a time" ||
		gen.StopReason != engine.StopEOG || res.Conversation.MessageCount != 2 {
		t.Errorf("result %+v %+v", res, gen)
	}

	// Cancelling ctx (Ctrl-C in the CLI) ends the reply as stopped.
	eng.holdBefore(2)
	cctx, cancel := context.WithCancel(ctx)
	go func() { <-eng.held; cancel() }()
	res, gen, err = f.svc.SendSync(cctx, res.Conversation.ID, "again", Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.AssistantMessage.Status != store.StatusStopped || res.AssistantMessage.Content != "Once upon" || gen.StopReason != engine.StopCanceled {
		t.Errorf("cancelled result %+v %+v", res.AssistantMessage, gen)
	}

	// An engine failure is returned and saved.
	eng.hold, eng.err = nil, errEngine
	res, _, err = f.svc.SendSync(ctx, res.Conversation.ID, "third", Options{}, nil)
	if err == nil || res.AssistantMessage.Status != store.StatusFailed || res.AssistantMessage.Content != "Once upon a time" {
		t.Errorf("failed result %+v, err %v", res.AssistantMessage, err)
	}
}

func TestTitleFrom(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hello there", "Hello there"},
		{"  spaced   out\ttitle  ", "spaced out title"},
		{"\n\nfirst line\nsecond line", "first line"},
		{"# Heading\nbody", "Heading"},
		{"> quoted question", "quoted question"},
		{"```go\nfunc main() {}\n```", "func main() {}"},
		{"Tell me a story about a dragon who learns to bake bread", "Tell me a story about a dragon who learns to…"},
		{strings.Repeat("x", 60), strings.Repeat("x", 47) + "…"},
		{"Wer hat an der Uhr gedreht, ist es wirklich schon so spät, fragt sich", "Wer hat an der Uhr gedreht, ist es wirklich…"},
		{strings.Repeat("日本語", 20), string([]rune(strings.Repeat("日本語", 20))[:47]) + "…"},
		{"```\n```", store.DefaultTitle},
	}
	for _, tt := range tests {
		got := TitleFrom(tt.in)
		if got != tt.want {
			t.Errorf("TitleFrom(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if n := len([]rune(got)); n > TitleMax {
			t.Errorf("TitleFrom(%q) has %d characters", tt.in, n)
		}
	}
}

func TestHistory(t *testing.T) {
	saved := []store.Message{
		{Role: "user", Content: "a", Status: store.StatusComplete},
		{Role: "assistant", Content: "b", Status: store.StatusStopped},
		{Role: "user", Content: "c", Status: store.StatusComplete},
		{Role: "assistant", Content: "", Status: store.StatusFailed, Error: "boom"},
		{Role: "user", Content: "d", Status: store.StatusComplete},
		{Role: "assistant", Content: "partial", Status: store.StatusFailed},
		{Role: "assistant", Content: "still going", Status: store.StatusStreaming},
	}
	got := History(saved, "  ", "e")
	msg := func(role, content string) engine.Message { return engine.Message{Role: role, Content: content} }
	want := []engine.Message{msg("user", "a"), msg("assistant", "b"), msg("user", "c"), msg("user", "d"), msg("assistant", "partial"), msg("user", "e")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestWithSources(t *testing.T) {
	cases := []struct{ content, want string }{
		{"Wheat grows north [p. 1].", "Wheat grows north [p. 1]."},
		{"Wheat grows north.\n", "Wheat grows north.\n\nSources: [p. 1] [pp. 3–4]"},
		{"  ", "  "},
	}
	for _, c := range cases {
		if got := withSources(c.content, []string{"[p. 1]", "[pp. 3–4]"}); got != c.want {
			t.Errorf("withSources(%q) = %q, want %q", c.content, got, c.want)
		}
	}
	if got := withSources("plain chat", nil); got != "plain chat" {
		t.Errorf("a plain chat reply changed: %q", got)
	}
}

type failingGrounder struct{}

func (failingGrounder) Ground(context.Context, int64, string, int) (Grounding, error) {
	return Grounding{}, apperr.New(apperr.Unavailable, "the database is busy")
}

// A question whose passages cannot be found saves nothing: no question
// without an answer, no reply left streaming. An empty question makes no
// conversation.
func TestAskSavesNothingWhenGroundingFails(t *testing.T) {
	f := newFixture(t, newFake("never"))
	f.svc.SetGrounder(failingGrounder{})
	ctx := context.Background()
	nd := store.NewDocument{Blake3: strings.Repeat("d", 64), Name: "d.txt", Format: "text", Text: "words",
		Chunks: []store.Chunk{{Ord: 0, Start: 0, End: 5, Text: "words"}}}
	doc, _, err := f.st.AddDocument(ctx, nd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Ask(ctx, doc.ID, "  ", Options{}); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("empty question: %v", err)
	}
	if list, _ := f.st.ListConversations(ctx); len(list) != 0 {
		t.Errorf("an empty question made conversations: %+v", list)
	}
	if _, err := f.svc.Ask(ctx, doc.ID, "what words?", Options{}); apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("ask = %v, want the grounding error", err)
	}
	list, err := f.st.ListConversations(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("conversations = %+v, %v", list, err)
	}
	if d, err := f.st.ConversationDetail(ctx, list[0].ID); err != nil || len(d.Messages) != 0 {
		t.Errorf("messages saved for a failed question: %+v, %v", d.Messages, err)
	}
}
