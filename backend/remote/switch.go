package remote

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
)

// Resolver finds what it takes to reach an endpoint by its id.
type Resolver func(ctx context.Context, id string) (Config, error)

// Switch is the engine the app runs on: the local engine, or an endpoint's
// model when Load is given a Ref ("endpoint:ID/MODEL"). Generation goes to
// whichever was loaded last; a generation already running keeps the engine
// it started on. An endpoint is contacted only when one of its models is
// loaded or used.
type Switch struct {
	local   engine.Engine
	resolve Resolver

	mu      sync.Mutex
	current engine.Engine      // local or one of remotes
	remotes map[string]*Engine // by endpoint id, with the config they were made with
	configs map[string]Config
	fixed   map[string]Config                           // endpoints given for this run only (the CLI's --endpoint)
	sharing []string                                    // refs of the endpoints' models that share batches (summaries)
	shareFn func(ctx context.Context) ([]string, error) // more such refs, read at each batch (settings)
	onDone  func(Done)
	turn    int             // which engine a spread batch starts with
	rests   map[string]rest // endpoints that failed a batch: left out for a while
}

// NewSwitch starts on local; resolve looks endpoints up (nil: none).
func NewSwitch(local engine.Engine, resolve Resolver) *Switch {
	return &Switch{local: local, resolve: resolve, current: local, remotes: map[string]*Engine{}, configs: map[string]Config{},
		fixed: map[string]Config{}}
}

// Local is the engine on this computer.
func (s *Switch) Local() engine.Engine { return s.local }

func (s *Switch) cur() engine.Engine {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// Remote reports whether an endpoint's model is the current one.
func (s *Switch) Remote() bool { _, ok := s.cur().(*Engine); return ok }

// remote returns the engine for endpoint id, made anew when its settings
// changed since.
func (s *Switch) remote(ctx context.Context, id string) (*Engine, error) {
	s.mu.Lock()
	cfg, ok := s.fixed[id]
	s.mu.Unlock()
	if !ok && s.resolve == nil {
		return nil, errNoEndpoints
	}
	if !ok {
		var err error
		if cfg, err = s.resolve(ctx, id); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.remotes[id]; ok && s.configs[id] == cfg {
		return e, nil
	}
	e, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if old, ok := s.remotes[id]; ok {
		old.hc.CloseIdleConnections()
	}
	s.remotes[id], s.configs[id] = e, cfg
	return e, nil
}

// Register makes an endpoint that is not saved usable for this run under
// cfg.ID (which must have no slash); it returns the Ref of its model.
func (s *Switch) Register(cfg Config, model string) (string, error) {
	if cfg.ID == "" || strings.Contains(cfg.ID, "/") {
		return "", apperr.New(apperr.Invalid, "an endpoint id cannot be empty or hold a slash")
	}
	if _, _, err := ParseBaseURL(cfg.BaseURL); err != nil {
		return "", err
	}
	s.mu.Lock()
	s.fixed[cfg.ID] = cfg
	s.mu.Unlock()
	return Ref{Endpoint: cfg.ID, Model: model}.String(), nil
}

// Load implements engine.Engine.
func (s *Switch) Load(ctx context.Context, path string, opts engine.LoadOptions) (engine.ModelInfo, error) {
	ref, ok := ParseRef(path)
	if !ok {
		info, err := s.local.Load(ctx, path, opts)
		if err == nil {
			s.mu.Lock()
			s.current = s.local
			s.mu.Unlock()
		}
		return info, err
	}
	e, err := s.remote(ctx, ref.Endpoint)
	if err != nil {
		return engine.ModelInfo{}, err
	}
	info, err := e.Load(ctx, ref.Model, engine.LoadOptions{})
	if err != nil {
		return engine.ModelInfo{}, err
	}
	s.mu.Lock()
	s.current = e
	s.mu.Unlock()
	return info, nil
}

// Model implements engine.Engine.
func (s *Switch) Model(ctx context.Context) (engine.ModelInfo, bool) { return s.cur().Model(ctx) }

// Generate implements engine.Engine.
func (s *Switch) Generate(ctx context.Context, req engine.Request, onPiece func(string)) (engine.Result, error) {
	return s.cur().Generate(ctx, req, onPiece)
}

// GenerateBatch implements engine.Engine. With helpers, the batch is
// spread over the current engine and them as a work queue (see spread);
// chats (Generate) stay on the current engine.
func (s *Switch) GenerateBatch(ctx context.Context, reqs []engine.Request, onPiece func(int, string)) ([]engine.Result, error) {
	return s.GenerateBatchReport(ctx, reqs, onPiece, nil, nil)
}

// SitsOut hears that the endpoint named engine (its description), which
// takes part in batches, sits this one out, and why in a few words ("its
// context (2,048 tokens) is shorter than a step needs (4,096)"). (A plain
// func type, as Report.)
type SitsOut = func(engine, why string)

// GenerateBatchReport is GenerateBatch telling report (which may be nil)
// which engine took and which answered each request (see Report), the
// local engine named "local" and an endpoint by its description, and out
// (which may be nil) which endpoints sit the batch out: what a summary's
// progress shows per engine.
func (s *Switch) GenerateBatchReport(ctx context.Context, reqs []engine.Request, onPiece func(int, string), report Report, out SitsOut) ([]engine.Result, error) {
	s.mu.Lock()
	cur, sharing, onDone := s.current, s.sharing, s.onDone
	turn := s.turn
	s.turn++
	s.mu.Unlock()
	sharing = s.withSettings(ctx, sharing)
	// A caller that asked Lanes filled the batch for that many engines: the
	// current one takes its share at a time (a local context holds that many
	// sequences), also when an endpoint sits the batch out.
	lanes := s.lanes(cur, sharing)
	if out == nil {
		out = func(string, string) {}
	}
	helpers := roomy(ctx, s.helpers(ctx, sharing, out), reqs, out)
	localName := describe(s.local)
	both := func(i int, name string, res *engine.Result) {
		if res != nil && onDone != nil {
			onDone(Done{Index: i, Engine: name})
		}
		if report != nil {
			if name == localName {
				name = "local"
			}
			report(i, name, res)
		}
	}
	if len(helpers) == 0 && lanes == 1 {
		name := describe(cur)
		for i := range reqs {
			both(i, name, nil)
		}
		res, err := cur.GenerateBatch(ctx, reqs, onPiece)
		if err == nil {
			for i := range res {
				if res[i].StopReason != engine.StopCanceled {
					both(i, name, &res[i])
				}
			}
		}
		return res, err
	}
	members := []member{{eng: cur, slots: min(slotsOf(cur), (len(reqs)+lanes-1)/lanes)}}
	for _, h := range helpers {
		if h != cur {
			id := h.cfg.ID
			members = append(members, member{eng: h, slots: h.cfg.Parallel, failed: func(err error) {
				s.rest(id, "it failed a step ("+apperr.Message(err)+")")
			}})
		}
	}
	// Each batch starts with the next engine, so small batches take turns.
	k := turn % len(members)
	members = append(members[k:], members[:k]...)
	return spread(ctx, members, reqs, onPiece, both)
}

// withSettings adds the refs ShareFrom's function lists now to sharing.
func (s *Switch) withSettings(ctx context.Context, sharing []string) []string {
	if fn := s.shareFn; fn != nil {
		if more, err := fn(ctx); err == nil {
			for _, r := range more {
				if !slices.Contains(sharing, r) {
					sharing = append(sharing, r)
				}
			}
		}
	}
	return sharing
}

// Lanes is how many engines a batch is spread over now: the current one
// and each endpoint taking part in batches that is not left out after a
// failure. Nobody is contacted. A caller (summaries) fills a batch with as
// many requests for each engine as it would give one engine alone.
func (s *Switch) Lanes(ctx context.Context) int {
	s.mu.Lock()
	cur, sharing := s.current, s.sharing
	s.mu.Unlock()
	return s.lanes(cur, s.withSettings(ctx, sharing))
}

// lanes counts cur and the endpoints of refs that are not resting.
func (s *Switch) lanes(cur engine.Engine, refs []string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 1
	seen := map[string]bool{}
	for _, ref := range refs {
		r, ok := ParseRef(ref)
		if !ok || seen[r.Endpoint] || time.Now().Before(s.rests[r.Endpoint].until) {
			continue
		}
		seen[r.Endpoint] = true
		if e, known := s.remotes[r.Endpoint]; known && engine.Engine(e) == cur {
			continue
		}
		n++
	}
	return n
}

// helpers returns the engines of the sharing refs with their models
// loaded; an endpoint is contacted here, when a batch first needs it. One
// that cannot be reached or lacks the model sits this batch out, and out
// hears why (an endpoint no longer in the settings is not named).
func (s *Switch) helpers(ctx context.Context, refs []string, out SitsOut) []*Engine {
	var hs []*Engine
	for _, ref := range refs {
		r, ok := ParseRef(ref)
		if !ok {
			continue
		}
		if rs, ok := s.resting(r.Endpoint); ok {
			if e := s.known(r.Endpoint); e != nil {
				out(describe(e), fmt.Sprintf("%s; it is asked again after %s", rs.why, rs.until.Format("15:04:05")))
			}
			continue
		}
		e, err := s.remote(ctx, r.Endpoint)
		if err != nil {
			continue
		}
		if info, ok := e.Model(ctx); !ok || info.Name != r.Model {
			if _, err := e.Load(ctx, r.Model, engine.LoadOptions{}); err != nil {
				s.rest(r.Endpoint, apperr.Message(err))
				out(describe(e), apperr.Message(err))
				continue
			}
		}
		hs = append(hs, e)
	}
	return hs
}

// known returns the engine of endpoint id made so far, if any.
func (s *Switch) known(id string) *Engine {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remotes[id]
}

// roomy returns the helpers whose context holds every request of the
// batch as its caller planned it (Request.ContextNeeded): a summary's
// steps are cut to the current engine's context, and an endpoint with a
// smaller one would fail them (llama-server) or, worse, cut the prompt to
// fit and summarise part of it (Ollama), while the summary says it covered
// every page. Such an endpoint sits the batch out; the current engine,
// whose context the steps were planned for, takes its share.
func roomy(ctx context.Context, helpers []*Engine, reqs []engine.Request, out SitsOut) []*Engine {
	need := 0
	for _, r := range reqs {
		need = max(need, r.ContextNeeded)
	}
	if need == 0 {
		return helpers
	}
	fit := helpers[:0:0]
	for _, h := range helpers {
		if info, ok := h.Model(ctx); ok && info.ContextSize > 0 && info.ContextSize < need {
			out(describe(h), fmt.Sprintf("its context (%s tokens) is shorter than a step needs (%s)", grouped(info.ContextSize), grouped(need)))
			continue
		}
		fit = append(fit, h)
	}
	return fit
}

// grouped writes n with thousands separated: 32,768.
func grouped(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// restFor is how long an endpoint that failed a batch is left out of the
// next ones (so one that is down costs a summary one failed connection a
// minute, not one per step).
const restFor = time.Minute

// rest is an endpoint's time out: until when, and why in a few words.
type rest struct {
	until time.Time
	why   string
}

func (s *Switch) rest(id, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rests == nil {
		s.rests = map[string]rest{}
	}
	s.rests[id] = rest{until: time.Now().Add(restFor), why: why}
}

// resting returns endpoint id's time out, if it is in one now.
func (s *Switch) resting(id string) (rest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rests[id]
	return r, time.Now().Before(r.until)
}

func slotsOf(e engine.Engine) int {
	if r, ok := e.(*Engine); ok {
		return r.cfg.Parallel
	}
	return engine.MaxParallel
}

// ShareBatches makes the endpoints behind refs (model references) take
// part in every batch from now on: each is loaded now, so an endpoint that
// is down or lacks the model says so at once. onDone, which may be nil,
// hears which engine answered each request.
func (s *Switch) ShareBatches(ctx context.Context, refs []string, onDone func(Done)) error {
	for _, ref := range refs {
		r, ok := ParseRef(ref)
		if !ok {
			return apperr.New(apperr.Invalid, "%q does not name an endpoint's model", ref)
		}
		e, err := s.remote(ctx, r.Endpoint)
		if err != nil {
			return err
		}
		if _, err := e.Load(ctx, r.Model, engine.LoadOptions{}); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.sharing, s.onDone = refs, onDone
	s.mu.Unlock()
	return nil
}

// ShareFrom makes the refs fn lists (read at each batch, such as the
// endpoints ticked in Settings → Engines) share batches too. Nobody is
// contacted until a batch runs. Call it before the first batch.
func (s *Switch) ShareFrom(fn func(ctx context.Context) ([]string, error)) { s.shareFn = fn }

// CountTokens implements engine.Engine.
func (s *Switch) CountTokens(ctx context.Context, texts []string) ([]int, error) {
	return s.cur().CountTokens(ctx, texts)
}

// TokenCountsEstimated reports whether CountTokens estimates (an endpoint
// without a tokenizer is current).
func (s *Switch) TokenCountsEstimated() bool {
	if e, ok := s.cur().(*Engine); ok {
		return e.TokenCountsEstimated()
	}
	return false
}

// Close implements engine.Engine: it closes the local engine and forgets
// the endpoints.
func (s *Switch) Close() error {
	s.mu.Lock()
	for _, e := range s.remotes {
		e.Close()
	}
	s.remotes, s.configs, s.current, s.sharing = map[string]*Engine{}, map[string]Config{}, s.local, nil
	s.mu.Unlock()
	return s.local.Close()
}

var _ engine.Engine = (*Switch)(nil)

var errNoEndpoints = apperr.New(apperr.Unavailable, "this Chapel has no endpoints to use")
