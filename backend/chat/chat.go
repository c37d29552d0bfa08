// Package chat owns conversations with a model: it saves the user's turn,
// streams the model's reply to the UI as events while saving it to the store
// as it grows, and ends the reply as complete, stopped or failed, so no text
// is lost when the user presses Stop, the engine fails or Chapel quits.
package chat

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

// EventConversationsChanged is emitted (payload nil) when the list of
// conversations or their order may have changed.
const EventConversationsChanged = "conversations:changed"

// StreamName is the event name a reply streams on: chat:stream:<message id>.
func StreamName(messageID int64) string { return fmt.Sprintf("chat:stream:%d", messageID) }

// Emitter sends events to the UI. The app implements it with the Wails
// runtime; tests record the events.
type Emitter interface {
	Emit(name string, payload any)
}

// Grounding is what a reply in a document's conversation is grounded on:
// a system prompt holding the passages that match the question, and the
// citation markers of those passages.
type Grounding struct {
	System  string
	Sources []string
}

// Grounder finds a document's passages for a question, within maxChars.
type Grounder interface {
	Ground(ctx context.Context, documentID int64, question string, maxChars int) (Grounding, error)
}

// Options tune one reply. A zero Sampling means engine.DefaultSampling.
type Options struct {
	Sampling     engine.Sampling `json:"sampling"`
	MaxTokens    int             `json:"max_tokens"`    // 0 = until the model stops or the context is full
	SystemPrompt string          `json:"system_prompt"` // sent first when not empty
	IgnoreEOS    bool            `json:"ignore_eos"`    // write until MaxTokens or a full context
	ThinkingOff  []string        `json:"thinking_off"`  // paths of reasoning models told not to think (where their template allows)
}

// SendResult is what Send saved: the conversation (new or existing), the
// user's message, the reply (streaming for Send, final for SendSync) and the
// event name the reply streams on.
type SendResult struct {
	Conversation     store.Conversation `json:"conversation"`
	UserMessage      store.Message      `json:"user_message"`
	AssistantMessage store.Message      `json:"assistant_message"`
	Stream           string             `json:"stream"`
}

// Service runs chats. It is safe for concurrent use; each conversation
// generates at most one reply at a time.
type Service struct {
	st  *store.Store
	eng engine.Engine
	em  Emitter
	log *slog.Logger

	grounder Grounder        // nil: conversations attached to a document are plain chats
	perModel ModelSettings   // nil: every model runs with the same settings
	locks    TurnLocks       // nil: turns are serialised in this process only
	held     map[*run]func() // the cross-process lock each run holds, to release

	emitEvery time.Duration // coalesce stream events to at most one per emitEvery
	saveEvery time.Duration // save a growing reply at least this often

	mu     sync.Mutex
	runs   map[int64]*run // by conversation id
	closed bool
	wg     sync.WaitGroup // one per run
}

// New returns a Service. em and log may be nil.
func New(st *store.Store, eng engine.Engine, em Emitter, log *slog.Logger) *Service {
	if em == nil {
		em = nopEmitter{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{
		st: st, eng: eng, em: em, log: log,
		emitEvery: 30 * time.Millisecond,
		saveEvery: time.Second,
		runs:      map[int64]*run{},
		held:      map[*run]func(){},
	}
}

// TurnLocks serialise turns per conversation across processes: the window
// and a CLI command (or two CLI commands) on one data folder must not both
// add a turn to a conversation at once, or the second builds on the first
// one's half-written reply.
type TurnLocks interface {
	// TryLock takes conversation id's lock for one reply; it fails with a
	// sentence when another process holds it.
	TryLock(conversationID int64) (release func(), err error)
}

// SetTurnLocks makes each reply hold its conversation's cross-process lock.
// Call it before the first Send.
func (s *Service) SetTurnLocks(l TurnLocks) { s.locks = l }

// SetGrounder makes replies in conversations attached to a document answer
// from its passages. Call it before the first Send.
func (s *Service) SetGrounder(g Grounder) { s.grounder = g }

// Ask sends a question about a document: in the document's conversation
// (the latest one, created when there is none), grounded on its passages.
func (s *Service) Ask(ctx context.Context, documentID int64, text string, opts Options) (SendResult, error) {
	if s.grounder == nil {
		return SendResult{}, apperr.New(apperr.Unavailable, "asking about documents is not available")
	}
	if strings.TrimSpace(text) == "" {
		return SendResult{}, apperr.New(apperr.Invalid, "Type a question first")
	}
	info, ok := s.eng.Model(ctx)
	if !ok {
		return SendResult{}, apperr.New(apperr.Unavailable, "Choose a model first")
	}
	c, err := s.st.DocumentConversation(ctx, documentID, info.Path)
	if err != nil {
		return SendResult{}, err
	}
	return s.Send(ctx, c.ID, text, opts)
}

type nopEmitter struct{}

func (nopEmitter) Emit(string, any) {}

// Send saves text as the user's turn in conversation conversationID (0
// starts a new conversation titled from text) with an empty streaming
// reply, starts generating the reply and returns at once. The reply streams
// as StreamEvents on result.Stream and ends with a "done" or "error" event.
func (s *Service) Send(ctx context.Context, conversationID int64, text string, opts Options) (SendResult, error) {
	// The reply outlives this call: its context keeps ctx's values but not
	// its cancellation. Only the cancel func is kept, for Stop and Close.
	genCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	j, err := s.prepare(ctx, conversationID, text, opts, cancel)
	if err != nil {
		cancel()
		return SendResult{}, err
	}
	go func() {
		defer s.wg.Done()
		defer cancel()
		s.generate(genCtx, j, nil)
	}()
	return j.result, nil
}

// SendSync is Send for the CLI: it blocks until the reply ends, passing each
// piece of text to onPiece (which may be nil) as it comes. Cancelling ctx
// stops the reply, which is saved as stopped. The result holds the final
// reply; the error is the engine's when the reply failed.
func (s *Service) SendSync(ctx context.Context, conversationID int64, text string, opts Options,
	onPiece func(piece string)) (SendResult, engine.Result, error) {
	genCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	j, err := s.prepare(ctx, conversationID, text, opts, cancel)
	if err != nil {
		return SendResult{}, engine.Result{}, err
	}
	defer s.wg.Done()
	msg, res, err := s.generate(genCtx, j, onPiece)
	out := j.result
	out.AssistantMessage = msg
	if c, cerr := s.st.GetConversation(context.WithoutCancel(ctx), j.conversationID); cerr == nil {
		out.Conversation = c
	}
	return out, res, err
}

// Stop stops the reply being generated in a conversation and waits (until
// ctx ends) for it to be saved as stopped. Stopping a conversation that is
// not generating does nothing.
func (s *Service) Stop(ctx context.Context, conversationID int64) error {
	s.mu.Lock()
	r := s.runs[conversationID]
	s.mu.Unlock()
	if r == nil {
		return nil
	}
	r.cancel()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return apperr.Wrap(apperr.Canceled, ctx.Err(), "stopped waiting for the reply to end")
	}
}

// Delete stops any reply being written in a conversation, then deletes it.
func (s *Service) Delete(ctx context.Context, conversationID int64) error {
	if err := s.Stop(ctx, conversationID); err != nil {
		return err
	}
	return s.st.DeleteConversation(ctx, conversationID)
}

// Generating reports whether a reply is being generated in a conversation.
func (s *Service) Generating(conversationID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs[conversationID] != nil
}

// Active describes a reply being generated, for a UI that subscribes to its
// stream late (after Send returned, or on switching back to the
// conversation): Content is the text already sent on Stream, up to and
// including the event numbered Seq; later events continue it.
type Active struct {
	ConversationID   int64   `json:"conversation_id"`
	MessageID        int64   `json:"message_id"`
	Stream           string  `json:"stream"`
	Content          string  `json:"content"`
	Thinking         string  `json:"thinking,omitempty"` // a reasoning model's thinking so far (Content is the answer)
	Seq              int     `json:"seq"`
	CompletionTokens int     `json:"completion_tokens"`
	TokensPerSecond  float64 `json:"tps"`
}

// ActiveReply returns the reply being generated in a conversation, if any.
func (s *Service) ActiveReply(conversationID int64) (Active, bool) {
	s.mu.Lock()
	r := s.runs[conversationID]
	s.mu.Unlock()
	if r == nil {
		return Active{}, false
	}
	return r.active()
}

// Wait blocks until every reply has ended. Use it when no Send can start
// meanwhile; Close does both.
func (s *Service) Wait() { s.wg.Wait() }

// Close stops every reply, refuses new ones and waits (until ctx ends) for
// the replies to be saved as stopped. The app calls it when it quits,
// before closing the store.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for _, r := range s.runs {
		r.cancel()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return apperr.Wrap(apperr.Internal, ctx.Err(), "replies were still being saved when Chapel quit")
	}
}

// job is one prepared reply.
type job struct {
	conversationID int64
	result         SendResult
	req            engine.Request
	run            *run
	sources        []string // citation markers of the passages a document answer is grounded on
	priorTokens    int      // a continued reply's tokens before it was continued (tree.go)
}

// prepare validates a send, saves the user's turn and the empty reply and
// registers the run (with s.wg.Add). On error nothing stays registered.
func (s *Service) prepare(ctx context.Context, conversationID int64, text string, opts Options,
	cancel context.CancelFunc) (*job, error) {
	text = strings.TrimLeft(strings.TrimRight(text, " \t\r\n"), "\r\n")
	if strings.TrimSpace(text) == "" {
		return nil, apperr.New(apperr.Invalid, "Type a message first")
	}
	info, ok := s.eng.Model(ctx)
	if !ok {
		return nil, apperr.New(apperr.Unavailable, "Choose a model first")
	}
	if err := s.canStart(conversationID); err != nil {
		return nil, err
	}

	created := false
	if conversationID == 0 {
		c, err := s.st.CreateConversation(ctx, TitleFrom(text), info.Path)
		if err != nil {
			return nil, err
		}
		conversationID, created = c.ID, true
	}
	r, err := s.register(conversationID, cancel)
	if err != nil {
		s.dropCreated(ctx, created, conversationID)
		return nil, err
	}
	j, err := s.saveTurn(ctx, conversationID, text, opts, info, r)
	if err != nil {
		s.unregister(conversationID, r)
		s.wg.Done()
		s.dropCreated(ctx, created, conversationID)
		return nil, err
	}
	s.em.Emit(EventConversationsChanged, nil)
	return j, nil
}

// saveTurn reads the history, then saves the user's message and the empty
// streaming reply together.
func (s *Service) saveTurn(ctx context.Context, conversationID int64, text string, opts Options,
	info engine.ModelInfo, r *run) (*job, error) {
	detail, err := s.st.ConversationDetail(ctx, conversationID)
	if err != nil {
		return nil, err
	}
	// A document's conversation answers from its passages; they are found
	// before anything is saved, so a failure leaves no half-saved turn.
	system, sources := systemPrompt(detail.Conversation, opts), []string(nil)
	if doc := detail.Conversation.DocumentID; doc != nil && s.grounder != nil {
		// About 1.5 bytes per token at worst (CJK text, tables of numbers):
		// the passages take at most about half the context; the rest holds
		// the conversation and the answer.
		g, err := s.grounder.Ground(ctx, *doc, text, info.ContextSize*3/2)
		if err != nil {
			return nil, fmt.Errorf("find the passages for the question: %w", err)
		}
		system = strings.TrimSpace(strings.TrimSpace(system) + "\n\n" + g.System)
		sources = g.Sources
	}
	ms, err := s.st.AddMessages(ctx,
		store.Message{ConversationID: conversationID, Role: engine.RoleUser, Content: text, Status: store.StatusComplete},
		store.Message{ConversationID: conversationID, Role: engine.RoleAssistant, Status: store.StatusStreaming, Model: info.Path})
	if err != nil {
		return nil, err
	}
	// An empty conversation made with "New chat" takes its title from its
	// first message, as one started by sending does.
	if len(detail.Messages) == 0 && detail.Conversation.Title == store.DefaultTitle {
		if _, err := s.st.RenameConversation(ctx, conversationID, TitleFrom(text)); err != nil {
			return nil, err
		}
	}
	conv, err := s.st.GetConversation(ctx, conversationID)
	if err != nil {
		return nil, err
	}
	sampling := opts.Sampling
	if sampling == (engine.Sampling{}) {
		sampling = engine.DefaultSampling()
	}
	r.setMessage(ms[1].ID)
	return &job{
		conversationID: conversationID,
		result:         SendResult{Conversation: conv, UserMessage: ms[0], AssistantMessage: ms[1], Stream: StreamName(ms[1].ID)},
		req:            engine.Request{Messages: History(detail.Messages, system, text), Sampling: sampling, MaxTokens: opts.MaxTokens, IgnoreEOS: opts.IgnoreEOS, Thinking: thinkingFor(opts, info)},
		run:            r,
		sources:        sources,
	}, nil
}

func (s *Service) canStart(conversationID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startErr(conversationID)
}

// startErr says why a reply cannot start in a conversation; s.mu is held.
func (s *Service) startErr(conversationID int64) error {
	if s.closed {
		return apperr.New(apperr.Unavailable, "Chapel is shutting down")
	}
	if s.runs[conversationID] != nil {
		return apperr.New(apperr.Conflict, "This conversation is still writing a reply; stop it or wait for it to finish")
	}
	return nil
}

// register reserves a conversation for one run and counts it in s.wg.
func (s *Service) register(conversationID int64, cancel context.CancelFunc) (*run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.startErr(conversationID); err != nil {
		return nil, err
	}
	r := &run{conversationID: conversationID, cancel: cancel, done: make(chan struct{})}
	if s.locks != nil {
		release, err := s.locks.TryLock(conversationID)
		if err != nil {
			return nil, err
		}
		s.held[r] = release
	}
	s.runs[conversationID] = r
	s.wg.Add(1)
	return r, nil
}

// unregister frees the conversation for the next reply and wakes Stop.
func (s *Service) unregister(conversationID int64, r *run) {
	s.mu.Lock()
	if s.runs[conversationID] == r {
		delete(s.runs, conversationID)
	}
	release := s.held[r]
	delete(s.held, r)
	s.mu.Unlock()
	if release != nil {
		release()
	}
	close(r.done)
}

// dropCreated deletes a conversation Send created when the send failed.
func (s *Service) dropCreated(ctx context.Context, created bool, conversationID int64) {
	if !created {
		return
	}
	if err := s.st.DeleteConversation(context.WithoutCancel(ctx), conversationID); err != nil {
		s.log.Warn("could not delete the conversation of a failed send", "conversation", conversationID, "err", err)
	}
}
