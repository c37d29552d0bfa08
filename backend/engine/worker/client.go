package worker

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
)

const (
	// cancelGrace is how long a cancelled Generate waits for the worker's
	// own result before it returns without it (the engine contract is 100 ms).
	cancelGrace = 80 * time.Millisecond
	// closeTimeout is how long Close waits for the worker to exit.
	closeTimeout = 5 * time.Second
)

// Client is an engine.Engine that runs the engine in a worker process. It
// starts the worker on first use and runs one call at a time (a second
// Generate waits, as with engine.Local). When the worker dies, the call
// that was running fails with "the engine stopped: …" and the next call
// starts a new worker, reloading the model that was loaded.
type Client struct {
	newCmd func() *exec.Cmd
	log    *slog.Logger
	turn   chan struct{} // holds a token while a call runs

	mu    sync.Mutex
	proc  *proc
	model *loaded // nil: no model
	// lost says why the model loaded last is not loaded any more: a new
	// worker (after a crash) could not load it again. Cleared by a Load.
	lost   error
	onLost []func(path string, err error)
}

// OnModelLost calls fn (outside any lock of the Client, while the call that
// found it holds the engine) when a restarted worker could not load the
// model again: the model is then not loaded, and whoever shows it as
// loaded must say so. Call it before the first use.
func (c *Client) OnModelLost(fn func(path string, err error)) { c.onLost = append(c.onLost, fn) }

// Lost says why the model loaded last is not loaded any more (a restarted
// worker could not load it again), or nil.
func (c *Client) Lost() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lost
}

// loaded is what the worker has loaded, to reload it after a restart.
type loaded struct {
	path string
	opts engine.LoadOptions
	info engine.ModelInfo
}

// New returns a Client that starts workers with cmd (which must run Serve on
// its stdin and stdout). The worker's stderr goes to log; log may be nil.
// On Linux the worker gets SIGKILL when the thread that started it ends
// (Pdeathsig), and it exits when its stdin closes, so it never outlives the app.
func New(cmd func() *exec.Cmd, log *slog.Logger) *Client {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{newCmd: cmd, log: log, turn: make(chan struct{}, 1)}
}

func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) release() { <-c.turn }

// Load implements engine.Engine. The file is checked here, before any
// worker starts, with the same messages as engine.Local.
func (c *Client) Load(ctx context.Context, path string, opts engine.LoadOptions) (engine.ModelInfo, error) {
	if err := ctx.Err(); err != nil {
		return engine.ModelInfo{}, err
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if _, err := engine.CheckModelFile(path); err != nil {
		return engine.ModelInfo{}, err
	}
	if err := c.acquire(ctx); err != nil {
		return engine.ModelInfo{}, err
	}
	defer c.release()
	p, _, err := c.running()
	if err != nil {
		return engine.ModelInfo{}, err
	}
	info, err := c.load(ctx, p, path, opts)
	if err != nil {
		c.restore(ctx)
		return engine.ModelInfo{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.model, c.lost = &loaded{path: path, opts: opts, info: info}, nil
	return info, nil
}

// restore reloads the model that was loaded before a failed Load (the
// worker unloads before it loads, as Local does, and a bad file may even
// end the worker), so a model that cannot load leaves the previous one
// running. If that fails too, no model is loaded.
func (c *Client) restore(ctx context.Context) {
	c.mu.Lock()
	prev := c.model
	c.mu.Unlock()
	if prev == nil {
		return
	}
	info, err := func() (engine.ModelInfo, error) {
		p, _, err := c.running() // a new worker if the failed load ended this one
		if err != nil {
			return engine.ModelInfo{}, err
		}
		return c.load(context.WithoutCancel(ctx), p, prev.path, prev.opts)
	}()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.model != prev {
		return
	}
	if err != nil {
		c.log.Warn("the previous model could not be reloaded after a failed load", "model", prev.path, "err", err)
		c.model = nil
		return
	}
	prev.info = info
}

// Model implements engine.Engine. It reports the model loaded last, also
// while the worker is restarting (the model is reloaded on the next call).
func (c *Client) Model(ctx context.Context) (engine.ModelInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.model == nil {
		return engine.ModelInfo{}, false
	}
	return c.model.info, true
}

// Generate implements engine.Engine.
func (c *Client) Generate(ctx context.Context, req engine.Request, onPiece func(string)) (engine.Result, error) {
	if err := c.acquire(ctx); err != nil {
		return engine.Result{StopReason: engine.StopCanceled}, nil
	}
	defer c.release()
	p, err := c.ready(ctx)
	if err != nil {
		return engine.Result{}, err
	}
	if ctx.Err() != nil {
		return engine.Result{StopReason: engine.StopCanceled}, nil
	}
	return c.generate(ctx, p, req, onPiece)
}

// Close implements engine.Engine: it ends the worker (a close request, then
// a kill if it has not exited within 5 s) and forgets the model. A later
// Load starts a new worker.
func (c *Client) Close() error {
	c.mu.Lock()
	p := c.proc
	c.proc, c.model, c.lost = nil, nil, nil
	c.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.stop(closeTimeout)
}

// String describes the engine for logs.
func (c *Client) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil || !c.proc.alive() {
		return "engine worker (not running)"
	}
	return fmt.Sprintf("engine worker (pid %d)", c.proc.cmd.Process.Pid)
}

// running returns the live worker, starting one if needed (started).
func (c *Client) running() (p *proc, started bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc != nil && c.proc.alive() {
		return c.proc, false, nil
	}
	p, err = startProc(c.newCmd(), c.log)
	if err != nil {
		return nil, false, err
	}
	c.proc = p
	c.log.Info("engine worker started", "pid", p.cmd.Process.Pid)
	return p, true, nil
}

// ready returns a live worker with the model loaded: after a crash, a new
// worker that has reloaded the last model.
func (c *Client) ready(ctx context.Context) (*proc, error) {
	c.mu.Lock()
	m, lost := c.model, c.lost
	c.mu.Unlock()
	if m == nil {
		if lost != nil {
			return nil, lost
		}
		return nil, apperr.New(apperr.Unavailable, "no model is loaded; choose a model first")
	}
	p, started, err := c.running()
	if err != nil || !started {
		return p, err
	}
	start := time.Now()
	info, err := c.load(ctx, p, m.path, m.opts)
	if err != nil {
		c.mu.Lock()
		gone := p.alive() && c.model == m
		if gone {
			// The model cannot be loaded any more (a file that changed or went).
			c.model = nil
			c.lost = apperr.New(apperr.CodeOf(err), "%s could not be loaded again after the engine restarted: %s; choose a model again",
				filepath.Base(m.path), apperr.Message(err))
			err = c.lost
		}
		c.mu.Unlock()
		if gone {
			c.log.Warn("engine worker restarted; the model could not be loaded again", "model", m.path, "err", err)
			for _, fn := range c.onLost {
				fn(m.path, err)
			}
		}
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.model == m {
		m.info = info
	}
	c.log.Info("engine worker restarted; model reloaded", "model", m.path, "took", time.Since(start).Round(time.Millisecond))
	return p, nil
}

// load asks p to load a model and waits for its answer. A cancelled ctx
// is passed on, but llama.cpp cannot stop a load half way: the answer is
// still awaited, so the Client knows what is loaded.
func (c *Client) load(ctx context.Context, p *proc, path string, opts engine.LoadOptions) (engine.ModelInfo, error) {
	m, err := c.await(ctx, p, Message{Kind: KindLoad, Path: path, Options: &opts}, KindLoaded)
	if err != nil {
		return engine.ModelInfo{}, err
	}
	if m.Info == nil {
		return engine.ModelInfo{}, apperr.New(apperr.Internal, "the engine worker answered a load without the model's details")
	}
	return *m.Info, nil
}

// await sends req to p and waits for its answer of kind want, or an error
// frame. A cancelled ctx is passed on as a cancel request and the answer
// still awaited; a worker that dies is reported as stopped.
func (c *Client) await(ctx context.Context, p *proc, req Message, want string) (Message, error) {
	call, err := p.begin(req)
	if err != nil {
		return Message{}, p.stopped()
	}
	defer p.end(call)
	answer := func(m Message) (bool, error) {
		switch m.Kind {
		case KindError:
			return true, decodeError(m.Error)
		case want:
			return true, nil
		}
		return false, nil
	}
	ctxDone := ctx.Done()
	for {
		select {
		case m := <-call.ch:
			if done, err := answer(m); done {
				return m, err
			}
		case <-ctxDone:
			ctxDone = nil
			_ = p.send(Message{Kind: KindCancel, ID: call.id})
		case <-p.exited:
			select {
			case m := <-call.ch:
				if done, err := answer(m); done {
					return m, err
				}
			default:
			}
			return Message{}, p.stopped()
		}
	}
}

// CountTokens implements engine.Engine.
func (c *Client) CountTokens(ctx context.Context, texts []string) ([]int, error) {
	if len(texts) == 0 {
		return []int{}, nil
	}
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	defer c.release()
	p, err := c.ready(ctx)
	if err != nil {
		return nil, err
	}
	m, err := c.await(ctx, p, Message{Kind: KindCount, Texts: texts}, KindCounted)
	if err != nil {
		return nil, err
	}
	if len(m.Counts) != len(texts) {
		return nil, apperr.New(apperr.Internal, "the engine worker counted %d texts of %d", len(m.Counts), len(texts))
	}
	return m.Counts, nil
}

// generate runs req on p, passing pieces to onPiece in order.
func (c *Client) generate(ctx context.Context, p *proc, req engine.Request, onPiece func(string)) (engine.Result, error) {
	final, pieces, err := c.stream(ctx, p, Message{Kind: KindGenerate, Request: &req}, func(_ int, s string) { onPiece(s) })
	if final == nil {
		return engine.Result{StopReason: stopReason(ctx, err), CompletionTokens: pieces}, err
	}
	var res engine.Result
	if final.Result != nil {
		res = *final.Result
	}
	c.noteTuned(res.TunedThreads)
	return res, err
}

// noteTuned keeps the thread counts the worker's tuner settled on in the
// loaded model's details (ModelInfo.TunedThreads, which the app saves for
// the next start), and as the start of a reload after a crash.
func (c *Client) noteTuned(t engine.ThreadCounts) {
	if t == (engine.ThreadCounts{}) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.model != nil {
		c.model.info.TunedThreads = t
		c.model.opts.StartThreads = t
	}
}

// GenerateBatch implements engine.Engine: the requests run as parallel
// sequences in the worker.
func (c *Client) GenerateBatch(ctx context.Context, reqs []engine.Request, onPiece func(i int, piece string)) ([]engine.Result, error) {
	canceled := func() []engine.Result {
		out := make([]engine.Result, len(reqs))
		for i := range out {
			out[i].StopReason = engine.StopCanceled
		}
		return out
	}
	if err := c.acquire(ctx); err != nil {
		return canceled(), nil
	}
	defer c.release()
	p, err := c.ready(ctx)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return canceled(), nil
	}
	final, _, err := c.stream(ctx, p, Message{Kind: KindBatch, Requests: reqs}, func(i int, s string) {
		if i >= 0 && i < len(reqs) {
			onPiece(i, s)
		}
	})
	if final == nil || len(final.Results) != len(reqs) {
		if err == nil && ctx.Err() == nil {
			err = p.stopped()
		}
		if ctx.Err() != nil {
			return canceled(), nil
		}
		return nil, err
	}
	if len(final.Results) > 0 {
		c.noteTuned(final.Results[0].TunedThreads)
	}
	return final.Results, err
}

// stopReason is the stop reason of a call that ended without a result.
func stopReason(ctx context.Context, err error) string {
	if err == nil && ctx.Err() != nil {
		return engine.StopCanceled
	}
	return ""
}

// stream sends a generation request and passes its pieces to onPiece (with
// their sequence) in order until the result. It returns the final result or
// error frame (nil when there was none: cancelled past the grace period, or
// the worker died), the number of pieces, and the call's error.
func (c *Client) stream(ctx context.Context, p *proc, req Message, onPiece func(seq int, s string)) (*Message, int, error) {
	call, err := p.begin(req)
	if err != nil {
		return nil, 0, p.stopped()
	}
	defer p.end(call)
	pieces := 0
	// handle applies one response; done reports the end of the generation.
	handle := func(m Message) (done bool, err error) {
		switch m.Kind {
		case KindPiece:
			for _, s := range m.Pieces {
				onPiece(m.Seq, s)
			}
			pieces += len(m.Pieces)
			return false, nil
		case KindResult:
			return true, nil
		case KindError:
			return true, decodeError(m.Error)
		}
		return false, nil
	}
	ctxDone := ctx.Done()
	var graceOver <-chan time.Time
	for {
		select {
		case m := <-call.ch:
			if done, err := handle(m); done {
				return &m, pieces, err
			}
		case <-ctxDone:
			ctxDone = nil
			if err := p.send(Message{Kind: KindCancel, ID: call.id}); err != nil {
				continue // the worker is gone; exited tells
			}
			t := time.NewTimer(cancelGrace)
			defer t.Stop()
			graceOver = t.C
		case <-graceOver:
			c.log.Warn("the engine worker did not stop in time; its answer will be ignored", "after", cancelGrace)
			return nil, pieces, nil
		case <-p.exited:
			for drained := false; !drained; { // what the worker wrote before it died
				select {
				case m := <-call.ch:
					if done, err := handle(m); done {
						return &m, pieces, err
					}
				default:
					drained = true
				}
			}
			if ctx.Err() != nil {
				return nil, pieces, nil
			}
			return nil, pieces, p.stopped()
		}
	}
}

var _ engine.Engine = (*Client)(nil)
