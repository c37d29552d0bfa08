package chat

import (
	"context"
	"strings"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/store"
)

// A conversation is a tree (see store): regenerating a reply or editing a
// question adds a version beside the old one, and the history sent to the
// model is always the path the conversation shows. These operations run
// like Send: they save what they add, start the reply and return at once;
// the reply streams on the result's Stream.

// Regenerate writes a new version of reply messageID (also a failed or
// stopped one: Retry), from the history before it. Given a question with
// no reply (its reply was deleted), it writes one.
func (s *Service) Regenerate(ctx context.Context, messageID int64, opts Options) (SendResult, error) {
	m, err := s.st.GetMessage(ctx, messageID)
	if err != nil {
		return SendResult{}, err
	}
	question := m.ID
	if m.Role == engine.RoleAssistant {
		question = m.ParentID
	}
	if question == 0 {
		return SendResult{}, apperr.New(apperr.Invalid, "there is nothing before this reply to answer")
	}
	return s.start(ctx, m.ConversationID, opts, func(ctx context.Context, info engine.ModelInfo, ground func(string) error) (treeTurn, error) {
		path, err := s.st.MessagePath(ctx, question)
		if err != nil {
			return treeTurn{}, err
		}
		q := path[len(path)-1]
		if err := ground(q.Content); err != nil {
			return treeTurn{}, err
		}
		ms, err := s.st.AddMessagesAfter(ctx, q.ID, reply(m.ConversationID, info))
		if err != nil {
			return treeTurn{}, err
		}
		return treeTurn{history: path[:len(path)-1], question: q, reply: ms[0]}, nil
	})
}

// Edit saves text as a new version of question messageID and writes a
// reply to it; the old question and its replies stay as the other version.
func (s *Service) Edit(ctx context.Context, messageID int64, text string, opts Options) (SendResult, error) {
	text = strings.TrimLeft(strings.TrimRight(text, " \t\r\n"), "\r\n")
	if strings.TrimSpace(text) == "" {
		return SendResult{}, apperr.New(apperr.Invalid, "Type a message first")
	}
	m, err := s.st.GetMessage(ctx, messageID)
	if err != nil {
		return SendResult{}, err
	}
	if m.Role != engine.RoleUser {
		return SendResult{}, apperr.New(apperr.Invalid, "only your own messages can be edited; regenerate a reply instead")
	}
	return s.start(ctx, m.ConversationID, opts, func(ctx context.Context, info engine.ModelInfo, ground func(string) error) (treeTurn, error) {
		if err := ground(text); err != nil {
			return treeTurn{}, err
		}
		var history []store.Message
		if m.ParentID != 0 {
			if history, err = s.st.MessagePath(ctx, m.ParentID); err != nil {
				return treeTurn{}, err
			}
		}
		ms, err := s.st.AddMessagesAfter(ctx, m.ParentID,
			store.Message{ConversationID: m.ConversationID, Role: engine.RoleUser, Content: text, Status: store.StatusComplete},
			reply(m.ConversationID, info))
		if err != nil {
			return treeTurn{}, err
		}
		return treeTurn{history: history, question: ms[0], reply: ms[1]}, nil
	})
}

// Continue appends to reply messageID (one that stopped at its token limit
// or a full context, or was stopped): the model goes on from its last word.
// The reply streams the new text only; its saved content grows.
func (s *Service) Continue(ctx context.Context, messageID int64, opts Options) (SendResult, error) {
	m, err := s.st.GetMessage(ctx, messageID)
	if err != nil {
		return SendResult{}, err
	}
	if m.Role != engine.RoleAssistant {
		return SendResult{}, apperr.New(apperr.Invalid, "only a reply can be continued")
	}
	return s.start(ctx, m.ConversationID, opts, func(ctx context.Context, info engine.ModelInfo, ground func(string) error) (treeTurn, error) {
		path, err := s.st.MessagePath(ctx, m.ID)
		if err != nil {
			return treeTurn{}, err
		}
		if len(path) < 2 {
			return treeTurn{}, apperr.New(apperr.Invalid, "there is nothing before this reply to answer")
		}
		if err := ground(path[len(path)-2].Content); err != nil {
			return treeTurn{}, err
		}
		reopened, err := s.st.ReopenReply(ctx, m.ID)
		if err != nil {
			return treeTurn{}, err
		}
		return treeTurn{history: path[:len(path)-2], question: path[len(path)-2], reply: reopened, continued: true}, nil
	})
}

// SwitchVersion shows the branch through message messageID (one of the
// versions of its turn) and returns the conversation as it now shows. The
// next reply is written from that branch; the engine reuses the cached
// tokens of the prefix the branches share.
func (s *Service) SwitchVersion(ctx context.Context, messageID int64) (store.ConversationDetail, error) {
	m, err := s.st.GetMessage(ctx, messageID)
	if err != nil {
		return store.ConversationDetail{}, err
	}
	if s.Generating(m.ConversationID) {
		return store.ConversationDetail{}, apperr.New(apperr.Conflict, "This conversation is still writing a reply; stop it or wait for it to finish")
	}
	return s.st.SelectMessage(ctx, messageID)
}

// DeleteMessage deletes a message and everything below it (a question's
// replies go with it) and returns the conversation as it now shows. A reply
// being written in the conversation is stopped first.
func (s *Service) DeleteMessage(ctx context.Context, messageID int64) (store.ConversationDetail, error) {
	m, err := s.st.GetMessage(ctx, messageID)
	if err != nil {
		return store.ConversationDetail{}, err
	}
	if err := s.Stop(ctx, m.ConversationID); err != nil {
		return store.ConversationDetail{}, err
	}
	d, _, err := s.st.DeleteMessage(ctx, messageID)
	if err == nil {
		s.em.Emit(EventConversationsChanged, nil)
	}
	return d, err
}

// saveFunc saves a tree operation's messages. It calls ground with the
// question before saving anything, so a document conversation whose
// passages cannot be found saves nothing.
type saveFunc func(ctx context.Context, info engine.ModelInfo, ground func(question string) error) (treeTurn, error)

// treeTurn is what a tree operation saved: the history before the
// question, the question and the reply to write (new, or reopened to be
// continued).
type treeTurn struct {
	history   []store.Message
	question  store.Message
	reply     store.Message
	continued bool
}

func reply(conversationID int64, info engine.ModelInfo) store.Message {
	return store.Message{ConversationID: conversationID, Role: engine.RoleAssistant, Status: store.StatusStreaming, Model: info.Path}
}

// start reserves the conversation, has save add the messages, and starts
// the reply in the background, as Send does.
func (s *Service) start(ctx context.Context, conversationID int64, opts Options,
	save saveFunc) (SendResult, error) {
	info, ok := s.eng.Model(ctx)
	if !ok {
		return SendResult{}, apperr.New(apperr.Unavailable, "Choose a model first")
	}
	genCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r, err := s.register(conversationID, cancel)
	if err != nil {
		cancel()
		return SendResult{}, err
	}
	j, err := s.treeJob(ctx, conversationID, opts, info, r, save)
	if err != nil {
		s.unregister(conversationID, r)
		s.wg.Done()
		cancel()
		return SendResult{}, err
	}
	s.em.Emit(EventConversationsChanged, nil)
	go func() {
		defer s.wg.Done()
		defer cancel()
		s.generate(genCtx, j, nil)
	}()
	return j.result, nil
}

// treeJob saves the turn and builds the request from the path it is on.
func (s *Service) treeJob(ctx context.Context, conversationID int64, opts Options, info engine.ModelInfo, r *run,
	save saveFunc) (*job, error) {
	c, err := s.st.GetConversation(ctx, conversationID)
	if err != nil {
		return nil, err
	}
	system, sources := systemPrompt(c, opts), []string(nil)
	grounding := func(question string) error {
		if c.DocumentID == nil || s.grounder == nil {
			return nil
		}
		g, err := s.grounder.Ground(ctx, *c.DocumentID, question, info.ContextSize*3/2)
		if err != nil {
			return err
		}
		system = strings.TrimSpace(strings.TrimSpace(system) + "\n\n" + g.System)
		sources = g.Sources
		return nil
	}
	t, err := save(ctx, info, grounding)
	if err != nil {
		return nil, err
	}
	msgs := History(t.history, system, t.question.Content)
	if t.question.Role != engine.RoleUser {
		msgs[len(msgs)-1].Role = t.question.Role
	}
	if t.continued {
		msgs = append(msgs, engine.Message{Role: engine.RoleAssistant, Content: t.reply.Content})
		r.prefill(t.reply.Content)
	}
	if c, err = s.st.GetConversation(ctx, conversationID); err != nil {
		return nil, err
	}
	sampling := opts.Sampling
	if sampling == (engine.Sampling{}) {
		sampling = engine.DefaultSampling()
	}
	r.setMessage(t.reply.ID)
	j := &job{
		conversationID: conversationID,
		result:         SendResult{Conversation: c, UserMessage: t.question, AssistantMessage: t.reply, Stream: StreamName(t.reply.ID)},
		req:            engine.Request{Messages: msgs, Sampling: sampling, MaxTokens: opts.MaxTokens, IgnoreEOS: opts.IgnoreEOS, Thinking: thinkingFor(opts, info)},
		run:            r,
		sources:        sources,
	}
	if t.continued {
		j.priorTokens = t.reply.CompletionTokens
	}
	return j, nil
}

// prefill starts a continued reply's text with what it already says; the
// stream sends only what follows.
func (r *run) prefill(text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.text.WriteString(text)
	r.emitted = len(text)
}

// endReply saves why the reply ended and, for a continued reply, counts
// the tokens it had before.
func (s *Service) endReply(ctx context.Context, j *job, msg store.Message, saveErr error, status string, res engine.Result) (store.Message, error) {
	if saveErr != nil {
		return msg, saveErr
	}
	saved, err := s.st.EndReply(ctx, msg.ID, stopReason(status, res, j.req), j.priorTokens)
	if err != nil {
		return msg, err
	}
	return saved, nil
}

// stopReason says why a reply ended, as stored: the engine's reason, with
// "length" told apart into the reply's token limit and a full context.
func stopReason(status string, res engine.Result, req engine.Request) string {
	switch {
	case status == store.StatusStopped:
		return store.StopCanceled
	case status == store.StatusFailed:
		return ""
	case res.StopReason == engine.StopEOG:
		return store.StopEOG
	case res.StopReason == engine.StopLength && req.MaxTokens > 0 && res.CompletionTokens >= req.MaxTokens:
		return store.StopLength
	case res.StopReason == engine.StopLength:
		return store.StopContext
	}
	return ""
}

// SavedOptions are the options of a reply written with the user's saved
// generation settings.
func (s *Service) SavedOptions(ctx context.Context) (Options, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return Options{}, err
	}
	return set.Options(), nil
}
