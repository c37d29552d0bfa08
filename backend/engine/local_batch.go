package engine

import (
	"context"
	"errors"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/llama"
)

// MaxParallel is how many sequences one GenerateBatch runs together.
const MaxParallel = 4

// seqState is one sequence of a batch generation.
type seqState struct {
	req     Request
	prompt  []llama.Token
	sampler *llama.Sampler
	text    textAssembler
	pos     int
	logit   int    // index in the last batch of this sequence's logits; -1 when done
	opened  string // the thinking marker the prompt opened for the reply, or ""
	res     Result
	done    bool
}

// GenerateBatch generates replies to up to MaxParallel requests at once, as
// parallel sequences in one batch: each step decodes one token of every
// unfinished sequence together, so the weights are read once per step for
// all of them. onPiece receives (request index, text). The batch runs in a
// context of its own (batchContext), so the chat's cached conversation
// survives it.
func (e *Local) GenerateBatch(ctx context.Context, reqs []Request, onPiece func(i int, piece string)) ([]Result, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.model == nil {
		return nil, apperr.New(apperr.Unavailable, "no model is loaded; choose a model first")
	}
	if len(reqs) == 0 || len(reqs) > MaxParallel {
		return nil, apperr.New(apperr.Invalid, "a batch takes 1 to %d requests, not %d", MaxParallel, len(reqs))
	}
	seqs := make([]*seqState, len(reqs))
	total, longest := 0, 0
	for i, req := range reqs {
		prompt, fit, err := e.fitPrompt(req)
		if err != nil {
			return nil, err
		}
		seqs[i] = &seqState{req: req, prompt: prompt, sampler: e.newSampler(req), logit: -1, opened: fit.opened,
			res: Result{PromptTokens: len(prompt), DroppedMessages: fit.dropped, CutTokens: fit.cut, ContextSize: e.lctx.NCtx(), TemplateNote: fit.note}}
		defer seqs[i].sampler.Close()
		need := len(prompt) + max(req.MaxTokens, 1)
		total, longest = total+need, max(longest, need)
	}
	if total > e.lctx.NCtx() {
		return nil, apperr.New(apperr.Invalid, "%d parallel requests need %d tokens of context; the model runs with %d", len(reqs), total, e.lctx.NCtx())
	}
	c, err := e.batchContext(len(reqs), longest)
	if err != nil {
		return nil, err
	}
	c.ClearMemory()

	stop := abortOnCancel(ctx, c)
	defer func() {
		stop()
		c.ClearMemory()
	}()
	batch := llama.NewBatch(max(e.batch.Cap(), len(reqs)), 1)
	defer batch.Close()

	start := time.Now()
	if err := e.decodePrompts(c, batch, seqs); err != nil {
		return e.results(seqs), e.batchError(ctx, err)
	}
	genStart := time.Now()
	for i, s := range seqs {
		s.res.PromptTPS = rate(len(s.prompt), genStart.Sub(start))
		if s.opened != "" {
			onPiece(i, s.opened) // the reply starts inside the thinking block the prompt opened
		}
	}
	for {
		if ctx.Err() != nil {
			return e.results(seqs), e.batchError(ctx, ctx.Err())
		}
		batch.Clear()
		for i, s := range seqs {
			if s.done {
				continue
			}
			tok, end := e.next(c, s.sampler, s.logit, &s.res, &s.text, start, s.req.MaxTokens, func(t string) { onPiece(i, t) })
			if end != "" {
				s.finish(end, genStart, onPiece, i)
				continue
			}
			s.logit = batch.Len()
			if err := batch.Add(tok, s.pos, i, true); err != nil {
				return e.results(seqs), err
			}
			s.pos++
		}
		if batch.Len() == 0 {
			return e.results(seqs), nil
		}
		if err := e.timedDecodeOn(c, &e.bthreads, batch); err != nil {
			if errors.Is(err, llama.ErrNoKVSlot) {
				for i, s := range seqs {
					if !s.done {
						s.finish(StopLength, genStart, onPiece, i)
					}
				}
				return e.results(seqs), nil
			}
			return e.results(seqs), e.batchError(ctx, err)
		}
	}
}

// decodePrompts feeds every sequence's prompt through the model, packing
// tokens of several sequences into each batch. Only the last decode's
// logits survive it, so the last token of every prompt goes into one final
// batch together, with logits.
func (e *Local) decodePrompts(c *llama.Context, batch *llama.Batch, seqs []*seqState) error {
	batch.Clear()
	for i, s := range seqs {
		// Each sequence's prompt goes in batches of its own: in separate KV
		// streams llama.cpp splits a batch that mixes sequences into steps
		// with equally many tokens of each, smaller ones.
		if batch.Len() > 0 {
			if err := e.timedDecodeOn(c, &e.bthreads, batch); err != nil {
				return err
			}
			batch.Clear()
		}
		limit := e.tune.batchCap(batch.Cap()) // shorter while a paired trial is due
		for j, tok := range s.prompt[:len(s.prompt)-1] {
			if batch.Len() >= limit {
				if err := e.timedDecodeOn(c, &e.bthreads, batch); err != nil {
					return err
				}
				batch.Clear()
				limit = e.tune.batchCap(batch.Cap())
			}
			if err := batch.Add(tok, j, i, false); err != nil {
				return err
			}
		}
	}
	if err := e.timedDecodeOn(c, &e.bthreads, batch); err != nil {
		return err
	}
	batch.Clear()
	for i, s := range seqs {
		s.logit = batch.Len()
		if err := batch.Add(s.prompt[len(s.prompt)-1], len(s.prompt)-1, i, true); err != nil {
			return err
		}
		s.pos = len(s.prompt)
	}
	return e.timedDecodeOn(c, &e.bthreads, batch)
}

func (s *seqState) finish(reason string, genStart time.Time, onPiece func(int, string), i int) {
	if t := s.text.flush(); t != "" {
		onPiece(i, t)
	}
	s.done = true
	s.res.StopReason = reason
	s.res.TokensPerSecond = rate(s.res.CompletionTokens, time.Since(genStart))
	s.res.ContextUsed = s.pos
}

func (e *Local) batchError(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, llama.ErrAborted) {
		return nil
	}
	return apperr.Wrap(apperr.Internal, err, "the engine failed while generating")
}

func (e *Local) results(seqs []*seqState) []Result {
	out := make([]Result, len(seqs))
	for i, s := range seqs {
		out[i] = s.res
		out[i].TunedThreads = e.tuned()
		if !s.done {
			out[i].StopReason = StopCanceled
			out[i].ContextUsed = s.pos
		}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// next is one step of a reply's decode loop, shared by Generate and each
// sequence of GenerateBatch: it samples the next token from the logits at
// index logit, times the first one (from start), and either ends the reply
// (StopEOG at the model's end of turn, StopLength once limit tokens are
// written; limit 0 is no limit) or counts the token and passes on the text
// it completes. The caller decodes tok when end is "".
func (e *Local) next(c *llama.Context, sampler *llama.Sampler, logit int, res *Result, text *textAssembler, start time.Time, limit int,
	onPiece func(string)) (tok llama.Token, end string) {
	tok = sampler.Sample(c, logit)
	if res.CompletionTokens == 0 {
		res.TimeToFirstMS = ms(time.Since(start))
	}
	if e.model.IsEOG(tok) {
		return tok, StopEOG
	}
	res.CompletionTokens++
	if t := text.push(e.model.TokenBytes(tok, false)); t != "" {
		onPiece(t)
	}
	if limit > 0 && res.CompletionTokens >= limit {
		return tok, StopLength
	}
	return tok, ""
}

// batchContext returns the context GenerateBatch runs in, with room for n
// sequences of at least perSeq tokens each, made on first use and again
// when a batch needs more or longer sequences, or fewer (it is made to the
// batch's size, not kept larger). Its sequences have KV streams of their
// own (not unified): attention then covers only a sequence's own cells. In
// the chat's unified cache, without flash attention, every token of a batch
// was computed against every cell of all four sequences, the others masked:
// a summary's map steps ran at 0.81 of the engine's prompt rate on one
// sequence (Xeon, 1B Q4_0, 573-token steps). A summary's pieces are planned
// alike, so n streams of the longest hold about the total GenerateBatch
// checks against the chat's context; uneven requests hold more.
func (e *Local) batchContext(n, perSeq int) (*llama.Context, error) {
	perSeq = (perSeq + 255) / 256 * 256
	if e.bctx != nil && e.bctxN == n && e.bctxSeq >= perSeq {
		return e.bctx, nil
	}
	e.bctx.Close()
	e.bctx = nil
	if err := checkBatchFits(e.kvPerToken, n, perSeq, availableMemory()); err != nil {
		return nil, err
	}
	c, err := llama.NewContext(e.model, llama.ContextParams{NCtx: perSeq * n, NBatch: e.opts.BatchSize,
		NUBatch: min(e.opts.BatchSize, physicalBatch), Threads: e.threadsSet, NSeqMax: n, QuantizedK: e.quantK})
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "start the context for parallel sequences")
	}
	e.bctx, e.bctxN, e.bctxSeq, e.bthreads = c, n, perSeq, e.threadsSet
	return c, nil
}
