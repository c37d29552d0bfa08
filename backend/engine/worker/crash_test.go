package worker

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/chat"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

// longRequest generates until the context is full: long enough to be
// killed part way.
func longRequest() engine.Request {
	req := request("Once upon a time", 0)
	req.IgnoreEOS = true
	return req
}

// TestKilledWorkerRecovers kills the worker mid-stream 20 times in a row:
// each time the call fails with "the engine stopped", the pieces before the
// kill were delivered in order, and the next call works on a new worker
// that reloaded the model.
func TestKilledWorkerRecovers(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	client, sp := newClient(t)
	info := load(t, client, tinyPlain(t))
	short := request("Once upon a time", 16)
	want := text(t, client, short)
	full := text(t, client, longRequest())

	const kills = 20
	for i := 0; i < kills; i++ {
		var got []string
		res, err := client.Generate(context.Background(), longRequest(), func(s string) {
			if got = append(got, s); len(got) == 3 {
				if err := sp.last().Process.Kill(); err != nil {
					t.Errorf("kill: %v", err)
				}
			}
		})
		if err == nil {
			t.Fatalf("kill %d: the generation ended well (%+v) despite the kill", i, res)
		}
		if !strings.HasPrefix(err.Error(), "the engine stopped: killed by signal 9") || apperr.CodeOf(err) != apperr.Internal {
			t.Fatalf("kill %d: err = %v (%s)", i, err, apperr.CodeOf(err))
		}
		if len(got) < 3 || !strings.HasPrefix(full, strings.Join(got, "")) {
			t.Fatalf("kill %d: delivered %q, want at least 3 pieces starting %q", i, got, full[:min(len(full), 40)])
		}
		if got, ok := client.Model(context.Background()); !ok || !sameModel(got, info) {
			t.Fatalf("kill %d: model after the crash = %+v, %v", i, got, ok)
		}
		if out := text(t, client, short); out != want {
			t.Fatalf("kill %d: after the restart %q, want %q", i, out, want)
		}
	}
	if sp.count() != kills+1 {
		t.Errorf("%d workers started, want %d", sp.count(), kills+1)
	}
	client.Close()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		t.Errorf("%d goroutines after Close, %d before the client", n, goroutines)
	}
}

// TestChatKeepsTheTextOfACrashedReply: the chat service marks the reply
// failed with the text so far, and the next message works.
func TestChatKeepsTheTextOfACrashedReply(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "chapel.db"))
	if err != nil {
		t.Fatal(err)
	}
	client, sp := newClient(t)
	svc := chat.New(st, client, nil, nil)
	t.Cleanup(func() {
		if err := svc.Close(ctx); err != nil {
			t.Error(err)
		}
		st.Close()
	})
	load(t, client, tinyChatML(t))
	opts := chat.Options{MaxTokens: 0, IgnoreEOS: true, Sampling: engine.Sampling{Temperature: 0.8, Seed: 3}}

	var streamed strings.Builder
	pieces := 0
	sent, _, err := svc.SendSync(ctx, 0, "Tell me a story", opts, func(s string) {
		streamed.WriteString(s)
		if pieces++; pieces == 5 {
			sp.last().Process.Kill()
		}
	})
	if err == nil || !strings.HasPrefix(err.Error(), "the engine stopped: ") {
		t.Fatalf("SendSync: %v", err)
	}
	d, err := st.ConversationDetail(ctx, sent.Conversation.ID)
	if err != nil {
		t.Fatal(err)
	}
	reply := d.Messages[len(d.Messages)-1]
	if reply.Status != store.StatusFailed || reply.Content == "" || reply.Content != streamed.String() ||
		!strings.HasPrefix(reply.Error, "the engine stopped: killed by signal 9") {
		t.Errorf("saved reply: status %q, content %q (streamed %q), error %q", reply.Status, reply.Content, streamed.String(), reply.Error)
	}

	opts.MaxTokens, opts.IgnoreEOS = 12, false
	next, _, err := svc.SendSync(ctx, sent.Conversation.ID, "and then?", opts, nil)
	if err != nil {
		t.Fatalf("the message after the crash: %v", err)
	}
	if next.AssistantMessage.Status != store.StatusComplete || next.AssistantMessage.Content == "" {
		t.Errorf("the reply after the crash: %+v", next.AssistantMessage)
	}
	if sp.count() != 2 {
		t.Errorf("%d workers started, want 2", sp.count())
	}
}
