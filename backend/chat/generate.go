package chat

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

// Stream event types.
const (
	EventToken = "token" // more text
	EventDone  = "done"  // the reply ended: complete or stopped
	EventError = "error" // the reply failed; Message keeps the text so far
)

// StreamEvent is the payload of the events on a reply's stream. Token
// events carry the new Text (coalesced, at most one per ~30 ms) and Seq,
// numbered from 1; the stream ends with one done or error event.
type StreamEvent struct {
	Type             string         `json:"type"`
	Seq              int            `json:"seq,omitempty"`
	Text             string         `json:"text,omitempty"`
	Thinking         string         `json:"thinking,omitempty"` // a reasoning model's thinking since the last event (Text is the answer)
	CompletionTokens int            `json:"completion_tokens,omitempty"`
	TokensPerSecond  float64        `json:"tps,omitempty"`
	Message          *store.Message `json:"message,omitempty"`
	Result           *engine.Result `json:"result,omitempty"`
	Error            *ErrorInfo     `json:"error,omitempty"`
}

// ErrorInfo is an error as the UI shows it.
type ErrorInfo struct {
	Code    apperr.Code `json:"code"`
	Message string      `json:"message"`
}

func errorInfo(err error) *ErrorInfo {
	return &ErrorInfo{Code: apperr.CodeOf(err), Message: apperr.Message(err)}
}

// finishTimeout bounds saving the end of a reply, which must happen even
// when the reply was cancelled.
const finishTimeout = 10 * time.Second

// run is one reply being generated. The generation goroutine appends
// pieces; the flush loop emits and saves them; ActiveReply reads them.
type run struct {
	conversationID int64
	cancel         context.CancelFunc
	done           chan struct{} // closed once the reply is saved

	mu        sync.Mutex
	messageID int64  // set once, before generation starts
	stream    string // StreamName(messageID)
	text      strings.Builder
	pieces    int
	first     time.Time // when the first piece came
	last      time.Time // when the latest piece came
	emitted   int       // bytes of text already sent on the stream
	seq       int       // number of the last token event

	// The answer goes to text; thinking stays in split (thinking.go).
	split        *thinkingSplit
	thoughts     int // bytes of thinking already sent on the stream
	thoughtSaved int // bytes of thinking already saved while streaming
}

func (r *run) add(piece string) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pieces == 0 {
		r.first = now
	}
	r.last = now
	r.pieces++
	r.text.WriteString(r.splitter().push(piece, now))
}

// splitter is the reply's thinking split, made on first use; r.mu is held.
func (r *run) splitter() *thinkingSplit {
	if r.split == nil {
		r.split = newThinkingSplit()
	}
	return r.split
}

// end takes the text the split held back, once the reply has ended, and
// returns the answer and thinking to save with the thinking's duration.
func (r *run) end() (answer, thinking string, ms int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sp := r.splitter()
	r.text.WriteString(sp.flush(time.Now()))
	answer, thinking = sp.finalText(r.text.String())
	return answer, thinking, sp.ms()
}

// tps is the generation speed so far; r.mu is held.
func (r *run) tps() float64 {
	if d := r.last.Sub(r.first).Seconds(); r.pieces > 1 && d > 0 {
		return float64(r.pieces-1) / d
	}
	return 0
}

// pending takes the text not yet emitted as the next token event.
func (r *run) pending() (StreamEvent, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	all, thought := r.text.String(), r.splitter().text()
	if r.emitted == len(all) && r.thoughts == len(thought) {
		return StreamEvent{}, false
	}
	r.seq++
	ev := StreamEvent{Type: EventToken, Seq: r.seq, Text: all[r.emitted:], Thinking: thought[r.thoughts:],
		CompletionTokens: r.pieces, TokensPerSecond: r.tps()}
	r.emitted, r.thoughts = len(all), len(thought)
	return ev, true
}

// snapshot returns all the text so far, the piece count and the speed.
func (r *run) snapshot() (string, int, float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.text.String(), r.pieces, r.tps()
}

// setMessage records the reply's message once it is saved.
func (r *run) setMessage(id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.messageID, r.stream = id, StreamName(id)
}

func (r *run) active() (Active, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Active{
		ConversationID: r.conversationID, MessageID: r.messageID, Stream: r.stream,
		Content: r.text.String()[:r.emitted], Thinking: r.splitter().text()[:r.thoughts], Seq: r.seq,
		CompletionTokens: r.pieces, TokensPerSecond: r.tps(),
	}, r.messageID != 0
}

// generate runs the engine for j, streams and saves the reply, and ends it
// as complete, stopped or failed. ctx cancelled means stopped.
func (s *Service) generate(ctx context.Context, j *job, onPiece func(string)) (store.Message, engine.Result, error) {
	r := j.run
	dbCtx := context.WithoutCancel(ctx) // saving must outlive a Stop
	stop, flushed := make(chan struct{}), make(chan struct{})
	go s.flushLoop(dbCtx, r, stop, flushed)

	res, genErr := s.eng.Generate(ctx, j.req, func(piece string) {
		r.add(piece)
		if onPiece != nil {
			onPiece(piece)
		}
	})
	close(stop)
	<-flushed
	if ev, ok := r.pending(); ok {
		s.em.Emit(r.stream, ev)
	}

	status, errText := outcome(ctx, res, genErr)
	if status == store.StatusFailed {
		s.log.Error("reply failed", "conversation", r.conversationID, "message", r.messageID, "err", genErr)
	}
	_, pieces, tps := r.snapshot()
	content, thinking, thinkingMS := r.end()
	content = withSources(content, j.sources) // citations are read from the answer alone
	if res.CompletionTokens == 0 {
		res.CompletionTokens = pieces
	}
	if res.TokensPerSecond == 0 {
		res.TokensPerSecond = tps
	}
	fctx, cancel := context.WithTimeout(dbCtx, finishTimeout)
	msg, saveErr := s.st.FinishMessage(fctx, r.messageID, status, content, errText,
		res.PromptTokens, res.CompletionTokens, res.TokensPerSecond)
	msg, saveErr = s.saveThinking(fctx, msg, saveErr, thinking, thinkingMS)
	msg, saveErr = s.endReply(fctx, j, msg, saveErr, status, res)
	cancel()
	if saveErr != nil {
		s.log.Error("could not save the end of a reply", "conversation", r.conversationID, "message", r.messageID, "err", saveErr)
		msg = j.result.AssistantMessage
		msg.Status, msg.Content, msg.Error = status, content, errText
		msg.PromptTokens, msg.CompletionTokens, msg.TokensPerSecond = res.PromptTokens, res.CompletionTokens, res.TokensPerSecond
	}
	s.unregister(r.conversationID, r)

	var err error
	switch {
	case saveErr != nil:
		err = saveErr
	case status == store.StatusFailed:
		err = genErr
	}
	if err != nil {
		s.em.Emit(r.stream, StreamEvent{Type: EventError, Message: &msg, Result: &res, Error: errorInfo(err)})
	} else {
		s.em.Emit(r.stream, StreamEvent{Type: EventDone, Message: &msg, Result: &res})
	}
	s.em.Emit(EventConversationsChanged, nil)
	return msg, res, err
}

// outcome decides how a reply ends: stopped when its context was cancelled,
// failed (with a sentence for the UI) when the engine failed, else complete.
func outcome(ctx context.Context, res engine.Result, err error) (status, errText string) {
	switch {
	case err == nil && res.StopReason == engine.StopCanceled:
		return store.StatusStopped, ""
	case err == nil:
		return store.StatusComplete, ""
	case ctx.Err() != nil:
		return store.StatusStopped, ""
	default:
		return store.StatusFailed, apperr.Message(err)
	}
}

// flushLoop emits the text gathered since the last event every
// s.emitEvery and saves the reply when it changed and s.saveEvery has
// passed since the last save, until stop is closed.
func (s *Service) flushLoop(ctx context.Context, r *run, stop <-chan struct{}, flushed chan<- struct{}) {
	defer close(flushed)
	tick := time.NewTicker(s.emitEvery)
	defer tick.Stop()
	lastSave, saved := time.Now(), 0
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			if ev, ok := r.pending(); ok {
				s.em.Emit(r.stream, ev)
			}
			if now.Sub(lastSave) < s.saveEvery {
				continue
			}
			content, pieces, tps := r.snapshot()
			if s.saveThinkingSoFar(ctx, r) {
				lastSave = now
			}
			if len(content) == saved {
				continue
			}
			if err := s.st.UpdateMessageContent(ctx, r.messageID, content, pieces, tps); err != nil {
				s.log.Warn("could not save a reply while it streams", "message", r.messageID, "err", err)
			}
			lastSave, saved = now, len(content)
		}
	}
}

// withSources ends a document answer that cites none of the passages it
// was given with the list of them, so every answer says where it looked.
func withSources(content string, sources []string) string {
	if len(sources) == 0 || strings.TrimSpace(content) == "" {
		return content
	}
	for _, m := range sources {
		if strings.Contains(content, m) {
			return content
		}
	}
	return strings.TrimRight(content, " \n") + "\n\nSources: " + strings.Join(sources, " ")
}
