package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/gguf"
	"github.com/chapelapp/chapel/backend/llama"
)

// Local runs llama.cpp in this process. Its mutex makes one goroutine at a
// time the owner of the llama context; a second Generate waits.
type Local struct {
	mu         sync.Mutex
	model      *llama.Model
	lctx       *llama.Context
	batch      *llama.Batch
	info       ModelInfo
	format     chatFormat // how conversations become prompt text (prompt.go)
	opts       LoadOptions
	cached     []llama.Token // the tokens whose keys and values are in sequence 0
	eog        []llama.Token // the model's end-of-turn tokens, listed on first use
	quantK     bool          // keys are cached as Q8_0
	kvPerToken int64         // the cache's bytes per token (EstimateMemory), for batchContext's check

	bctx     *llama.Context // GenerateBatch's context (local_batch.go); nil until the first batch
	bctxN    int            // its sequences
	bctxSeq  int            // the tokens each of its sequences has room for
	bthreads int            // the thread count last given to it

	tune       *threadTuner // threads per decode, from measured times (threads.go)
	threadsSet int          // the thread count last given to the context
	tuneKey    tuneKey      // the model file and ceiling the tuner's counts are remembered by (threads_memory.go)
	tuneKeyOK  bool
}

// NewLocal returns an engine with no model loaded.
func NewLocal() *Local { return &Local{} }

// DefaultThreads is the number of threads the engine uses unless told:
// CHAPEL_THREADS, or one per core up to 8 (hyper-threads do not help).
func DefaultThreads() int {
	if n, err := strconv.Atoi(os.Getenv("CHAPEL_THREADS")); err == nil && n > 0 {
		return n
	}
	n := runtime.NumCPU()
	if n > 8 {
		n = max(8, n/2)
	}
	return max(1, n)
}

// CheckModelFile checks that path is a readable GGUF model before llama.cpp
// sees it, with a message a person can act on.
func CheckModelFile(path string) (*gguf.File, error) {
	base := filepath.Base(path)
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, apperr.New(apperr.NotFound, "model file %q was not found", path)
	case err != nil:
		return nil, apperr.Wrap(apperr.Invalid, err, "model file %q cannot be read", base)
	case st.IsDir():
		return nil, apperr.New(apperr.Invalid, "%q is a folder; choose a .gguf model file", base)
	}
	f, err := gguf.ReadFile(path)
	var fe *gguf.FormatError
	if errors.As(err, &fe) {
		return nil, apperr.New(apperr.Invalid, "model file %q is not a usable GGUF model: %s", base, fe.Reason)
	}
	if err != nil {
		return nil, apperr.Wrap(apperr.Invalid, err, "model file %q cannot be read", base)
	}
	return f, nil
}

// Load implements Engine.
func (e *Local) Load(ctx context.Context, path string, opts LoadOptions) (ModelInfo, error) {
	if err := ctx.Err(); err != nil {
		return ModelInfo{}, err
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	hdr, err := CheckModelFile(path)
	if err != nil {
		return ModelInfo{}, err
	}
	if err := checkFits(path, EstimateMemory(hdr, opts.ContextSize), availableMemory()); err != nil {
		return ModelInfo{}, err
	}
	kvPerToken := EstimateMemory(hdr, 1).KVCache
	kernels := llama.Repack() // chosen once per process, before any decode
	e.mu.Lock()
	defer e.mu.Unlock()
	e.unload()
	m, err := llama.LoadModel(path, llama.ModelParams{NoMmap: noMmap})
	if err != nil {
		return ModelInfo{}, apperr.Wrap(apperr.Invalid, err, "model %q could not be loaded", filepath.Base(path))
	}
	if opts.Threads <= 0 {
		opts.Threads = DefaultThreads()
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 512
	}
	if opts.ContextSize <= 0 {
		opts.ContextSize = min(m.NCtxTrain(), 4096)
		if opts.ContextSize <= 0 {
			opts.ContextSize = 4096
		}
	}
	// Keys are cached as Q8_0 when the model's key heads are a multiple of
	// Q8_0's 32-value block (llama.cpp aborts at the first decode otherwise):
	// attention over a long history then runs on the same int8 dot products
	// as the weights (a follow-up turn after 3,000 tokens got its first
	// token about 15 % sooner) and the keys take half the memory.
	quantK := quantizableKeys(hdr)
	// A Decode of up to BatchSize tokens is computed in steps of at most
	// physicalBatch: attention in one step covers that step's queries
	// against the cache, and without flash attention llama.cpp computes
	// every query against every cached key, the future ones masked, so a
	// 512-token prompt in one step wasted half of its attention. Measured on
	// a Xeon (1B Q4_0, 512-token prompt, 2 threads): 285 tok/s in one step of
	// 512, 300-306 in steps of 256, 280 in steps of 128 (with AMX); 106 and
	// 113 with the AVX-512 engine.
	lctx, err := llama.NewContext(m, llama.ContextParams{NCtx: opts.ContextSize, NBatch: opts.BatchSize,
		NUBatch: min(opts.BatchSize, physicalBatch), Threads: opts.Threads,
		NSeqMax: MaxParallel, KVUnified: true, QuantizedK: quantK})
	if err != nil {
		m.Close()
		return ModelInfo{}, apperr.Wrap(apperr.Invalid, err, "model %q could not be started", filepath.Base(path))
	}
	arch, _ := hdr.String("general.architecture")
	// general.name is often just the architecture; the file name says more then.
	name, _ := m.Meta("general.name")
	if name == "" || strings.EqualFold(name, arch) {
		name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	e.model, e.lctx, e.opts, e.quantK, e.kvPerToken = m, lctx, opts, quantK, kvPerToken
	e.startTuner(path, opts)
	e.batch = llama.NewBatch(opts.BatchSize, 1)
	// The template is tried now, not at the first message: a Jinja template
	// the engine cannot render falls back to llama.cpp's built-in
	// formatting, then to plain completion.
	e.format = newChatFormat(m.ChatTemplate(), m.TokenText(m.BOS()), m.TokenText(m.EOS()))
	reasoning, thinkSwitch := e.format.reasoning()
	e.info = ModelInfo{
		Path: path, Name: name, Description: m.Desc(), Architecture: arch, SizeBytes: hdr.FileSize,
		Params: m.NParams(), ContextSize: lctx.NCtx(), TrainContext: m.NCtxTrain(), HasTemplate: e.format.templated(),
		VocabSize: m.NVocab(), TemplateMode: e.format.mode, TemplateUnusable: e.format.unusable, Reasoning: reasoning, ThinkSwitch: thinkSwitch,
	}
	info := e.info
	info.TunedThreads = e.tuned() // where the tuner starts
	info.StartThreads = e.tune.threads(1)
	if kernels.Compiled {
		info.Kernels = kernels.String()
	}
	return info, nil
}

// physicalBatch is the most tokens llama.cpp computes in one step (see Load).
const physicalBatch = 256

// Model implements Engine.
func (e *Local) Model(ctx context.Context) (ModelInfo, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.model == nil {
		return e.info, false
	}
	info := e.info
	info.TunedThreads = e.tuned()
	return info, true
}

// CountTokens implements Engine.
func (e *Local) CountTokens(ctx context.Context, texts []string) ([]int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.model == nil {
		return nil, apperr.New(apperr.Unavailable, "no model is loaded; choose a model first")
	}
	counts := make([]int, len(texts))
	for i, t := range texts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		toks, err := e.model.Tokenize(t, false, false)
		if err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "count the tokens of a text")
		}
		counts[i] = len(toks)
	}
	return counts, nil
}

// Close implements Engine.
func (e *Local) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.unload()
	return nil
}

func (e *Local) unload() {
	e.keepTuned()
	e.tune = nil
	e.batch.Close()
	e.bctx.Close()
	e.lctx.Close()
	e.model.Close()
	e.bctx, e.bctxN, e.bctxSeq = nil, 0, 0
	e.batch, e.lctx, e.model, e.cached, e.eog, e.format, e.info = nil, nil, nil, nil, nil, chatFormat{}, ModelInfo{}
}

// Generate implements Engine.
func (e *Local) Generate(ctx context.Context, req Request, onPiece func(string)) (Result, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.model == nil {
		return Result{}, apperr.New(apperr.Unavailable, "no model is loaded; choose a model first")
	}
	if len(req.Messages) == 0 && len(req.Tokens) == 0 {
		return Result{}, apperr.New(apperr.Invalid, "there is nothing to reply to")
	}
	res := Result{ContextSize: e.lctx.NCtx()}
	prompt, fit, err := e.fitPrompt(req)
	if err != nil {
		return res, err
	}
	nKeep := -1 // the system prompt's tokens, kept by a context shift; found when one is needed
	res.DroppedMessages, res.CutTokens, res.TemplateNote = fit.dropped, fit.cut, fit.note
	res.PromptTokens = len(prompt)

	// Cancelling ctx raises the abort flag, which llama_decode polls.
	stop := e.abortOnCancel(ctx)
	defer func() {
		stop()
	}()

	start := time.Now()
	if err := e.prefill(prompt, &res, start); err != nil {
		return e.finish(res, ctx, err)
	}
	sampler := e.newSampler(req)
	defer sampler.Close()
	for _, t := range prompt[max(0, len(prompt)-64):] {
		sampler.Accept(t)
	}
	var text textAssembler
	genStart := time.Now()
	if fit.opened != "" {
		onPiece(fit.opened) // the reply starts inside the thinking block the prompt opened
	}
	// A reply that fills the context shifts it and goes on, but never runs
	// forever: without MaxTokens it ends after maxReplyContexts contexts'
	// worth, and IgnoreEOS without MaxTokens means "until the context is
	// full" (benchmarks, tests), so it does not shift.
	limit, shift := req.MaxTokens, !(req.IgnoreEOS && req.MaxTokens == 0)
	if limit == 0 {
		limit = maxReplyContexts * e.lctx.NCtx()
	}
	for {
		if ctx.Err() != nil {
			return e.finish(res, ctx, ctx.Err())
		}
		tok, end := e.next(e.lctx, sampler, e.batch.Len()-1, &res, &text, start, limit, onPiece)
		if end != "" {
			res.StopReason = end
			break
		}
		if len(e.cached) >= e.lctx.NCtx() {
			n := 0
			if shift {
				n = e.makeRoom(req, prompt, &nKeep)
			}
			if n == 0 {
				res.StopReason = StopLength
				break
			}
			res.ShiftedTokens += n
		}
		pos := len(e.cached)
		if err := e.decode([]llama.Token{tok}, pos); err != nil {
			if s := text.flush(); s != "" {
				onPiece(s)
			}
			res.TokensPerSecond = rate(res.CompletionTokens, time.Since(genStart))
			return e.finish(res, ctx, err)
		}
	}
	if s := text.flush(); s != "" {
		onPiece(s)
	}
	res.TokensPerSecond = rate(res.CompletionTokens, time.Since(genStart))
	res.ContextUsed = len(e.cached)
	res.Threads, res.TunedThreads = e.tune.current(), e.tuned()
	return res, nil
}

// prefill decodes the prompt after the part of it the KV cache already
// holds (res.CachedTokens), timing it from start (res.PromptTPS).
func (e *Local) prefill(prompt []llama.Token, res *Result, start time.Time) error {
	keep := e.reuse(prompt)
	res.CachedTokens = keep
	if err := e.decode(prompt[keep:], keep); err != nil {
		return err
	}
	res.PromptTPS = rate(len(prompt)-keep, time.Since(start))
	return nil
}

// makeRoom shifts a full context to go on with a reply, keeping the
// request's system prompt (its token count found once, in *nKeep, which
// starts at -1); it returns the tokens dropped, 0 when none could be.
func (e *Local) makeRoom(req Request, prompt []llama.Token, nKeep *int) int {
	if *nKeep < 0 {
		*nKeep = e.systemPrefix(req, prompt)
	}
	return e.shiftContext(*nKeep)
}

// maxReplyContexts bounds a reply without MaxTokens, in context lengths.
const maxReplyContexts = 4

// quantizableKeys reports whether the model's keys can be cached as Q8_0.
func quantizableKeys(hdr *gguf.File) bool {
	n := keyHeadSize(hdr)
	return n > 0 && n%32 == 0
}

// keyHeadSize is the size of one attention key head from the model's
// header (key_length, else embedding_length / head_count), or 0 when the
// header does not say.
func keyHeadSize(hdr *gguf.File) int {
	arch, _ := hdr.String("general.architecture")
	if n, ok := hdr.Uint(arch + ".attention.key_length"); ok {
		return int(n)
	}
	embd, ok1 := hdr.Uint(arch + ".embedding_length")
	heads, ok2 := hdr.Uint(arch + ".attention.head_count")
	if !ok1 || !ok2 || heads == 0 {
		return 0
	}
	return int(embd / heads)
}

// shiftContext makes room in a full context: it drops the older half of the
// tokens after the first nKeep (the system prompt) and moves the rest back,
// so a long reply goes on instead of stopping. It returns how many tokens
// were dropped (0 when the cache cannot shift or nothing can go).
func (e *Local) shiftContext(nKeep int) int {
	n := (len(e.cached) - nKeep) / 2
	if n <= 0 || !e.lctx.CanShift() {
		return 0
	}
	if !e.lctx.SeqRemove(0, nKeep, nKeep+n) {
		return 0
	}
	e.lctx.SeqShift(0, nKeep+n, -1, -n)
	e.cached = append(e.cached[:nKeep], e.cached[nKeep+n:]...)
	return n
}

// systemPrefix returns how many leading tokens of prompt belong to the
// system prompt (at least the BOS token): context shifting keeps them.
func (e *Local) systemPrefix(req Request, prompt []llama.Token) int {
	keep := 0
	if len(prompt) > 0 && prompt[0] == e.model.BOS() {
		keep = 1
	}
	var sys []Message
	for _, m := range req.Messages {
		if m.Role != RoleSystem {
			break
		}
		sys = append(sys, m)
	}
	if len(sys) == 0 {
		return keep
	}
	r, err := e.format.render(sys, req.Thinking)
	if err != nil {
		return keep
	}
	toks, err := e.model.Tokenize(r.text, e.format.addBOS(r.text), e.format.templated())
	if err != nil {
		return keep
	}
	// The rendered system turn may end with an assistant header the full
	// prompt does not have there: keep only what both share.
	return max(keep, min(commonPrefix(toks, prompt), len(prompt)/2))
}

// abortOnCancel raises the context's abort flag (polled by llama_decode)
// when ctx is cancelled. The returned stop clears the flag, after waiting for
// a callback already under way: a flag raised after the reset would stop the
// next generation before it starts.
func (e *Local) abortOnCancel(ctx context.Context) (stop func()) { return abortOnCancel(ctx, e.lctx) }

func abortOnCancel(ctx context.Context, c *llama.Context) (stop func()) {
	fired := make(chan struct{})
	stopAfter := context.AfterFunc(ctx, func() {
		c.SetAbort(true)
		close(fired)
	})
	return func() {
		if !stopAfter() {
			<-fired
		}
		c.SetAbort(false)
	}
}

// finish ends a generation that stopped early: a cancel is a normal stop,
// anything else an error.
func (e *Local) finish(res Result, ctx context.Context, err error) (Result, error) {
	// After an abort, the cache holds whatever llama.cpp kept.
	e.cached = e.cached[:min(len(e.cached), e.lctx.SeqPosMax(0)+1)]
	res.ContextUsed = len(e.cached)
	res.Threads, res.TunedThreads = e.tune.current(), e.tuned()
	if ctx.Err() != nil || errors.Is(err, llama.ErrAborted) {
		res.StopReason = StopCanceled
		return res, nil
	}
	if errors.Is(err, llama.ErrNoKVSlot) {
		res.StopReason = StopLength
		return res, nil
	}
	return res, apperr.Wrap(apperr.Internal, err, "the engine failed while generating")
}

// reuse keeps the longest prefix of prompt already in the KV cache and drops
// the rest; it returns how many tokens need no decoding. At least the last
// prompt token is always decoded, to get its logits.
func (e *Local) reuse(prompt []llama.Token) int {
	keep := min(commonPrefix(e.cached, prompt), len(prompt)-1)
	if !e.lctx.SeqRemove(0, keep, -1) {
		e.lctx.ClearMemory()
		keep = 0
	}
	e.cached = e.cached[:keep]
	return keep
}

// decode feeds toks (starting at position pos) through the model in batches,
// asking for logits of the last token only.
func (e *Local) decode(toks []llama.Token, pos int) error {
	for len(toks) > 0 {
		n := min(len(toks), e.tune.batchCap(e.batch.Cap()))
		e.batch.Clear()
		for i := 0; i < n; i++ {
			if err := e.batch.Add(toks[i], pos+i, 0, i == len(toks)-1); err != nil {
				return err
			}
		}
		if err := e.timedDecode(e.batch); err != nil {
			return err
		}
		e.cached = append(e.cached, toks[:n]...)
		toks, pos = toks[n:], pos+n
	}
	return nil
}

// newSampler builds req's sampler chain; with IgnoreEOS it never picks a
// token that ends the turn.
func (e *Local) newSampler(req Request) *llama.Sampler {
	sp := samplerParams(req.Sampling)
	if req.IgnoreEOS {
		if e.eog == nil {
			for t := range e.model.NVocab() {
				if e.model.IsEOG(llama.Token(t)) {
					e.eog = append(e.eog, llama.Token(t))
				}
			}
		}
		sp.Banned, sp.NVocab = e.eog, e.model.NVocab()
	}
	return llama.NewSampler(sp)
}

func samplerParams(s Sampling) llama.SamplerParams {
	return llama.SamplerParams{
		Temperature: s.Temperature, TopK: s.TopK, TopP: s.TopP, MinP: s.MinP,
		RepeatPenalty: s.RepeatPenalty, RepeatLastN: s.RepeatLastN, Seed: s.Seed,
	}
}

func rate(n int, d time.Duration) float64 {
	if n == 0 || d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

var _ Engine = (*Local)(nil)

// String describes the engine for logs.
func (e *Local) String() string { return fmt.Sprintf("local engine (%d threads)", e.opts.Threads) }

// noMmap reads weights into memory instead of mapping the file, except on
// macOS (where Metal shares the mapping). On the CPU backend llama.cpp
// repacks Q4_0/Q8_0 weights into its own buffers; a mapped file would then
// be resident twice (measured: 1.3 GB instead of 0.8 GB for a 0.64 GB model).
var noMmap = runtime.GOOS != "darwin"
