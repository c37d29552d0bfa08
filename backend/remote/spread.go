package remote

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
)

// member is one engine a batch is spread over.
type member struct {
	eng    engine.Engine
	slots  int         // requests it takes at once
	failed func(error) // told when it is dropped from a batch (may be nil)
}

// Done reports, for a spread batch, which engine answered a request.
type Done struct {
	Index  int    // the request's index in the batch
	Engine string // the engine's description (its String, or "local")
}

// Report hears, for a batch, that the engine named engine (its String, or
// "local") took request i (res nil) or answered it (res its result, after
// its text reached onPiece). A request taken by an engine that then failed
// is taken again by another. (Callers outside the package pass a plain
// func of this shape, so that an interface of theirs can name it.)
type Report = func(i int, engine string, res *engine.Result)

// spread runs a batch over several engines as a work queue: a free engine
// takes its share of the requests still waiting (up to its slots), and
// when it finishes takes more. An engine that fails (an endpoint that went
// away) is dropped, and the requests it had go back to the queue for the
// others; only when every engine failed does the batch fail. A request's
// text reaches onPiece once it has succeeded, so a retried request never
// shows a failed attempt's words. report (which may be nil) hears each
// request an engine takes (again for another engine after a failure) and
// each it answered, by the engine's description.
func spread(ctx context.Context, members []member, reqs []engine.Request, onPiece func(int, string), report Report) ([]engine.Result, error) {
	results := make([]engine.Result, len(reqs))
	if len(reqs) == 0 {
		return results, nil
	}
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	queue := make([]int, len(reqs))
	for i := range queue {
		queue[i] = i
	}
	pending, live, idle := len(reqs), len(members), len(members)
	var lastErr error
	var wg sync.WaitGroup
	// The first shares are handed out in the members' order (the caller
	// rotates it, so that batches of one request take turns); after that a
	// member that is free takes a fair share of what still waits.
	first := make([][]int, len(members))
	for j, m := range members {
		k := min(m.slots, (len(queue)+len(members)-j-1)/(len(members)-j), len(queue))
		if k > 0 {
			first[j], queue = queue[:k:k], queue[k:]
			idle--
		}
	}
	for j, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			take := first[j]
			for {
				if take == nil {
					for len(queue) == 0 && pending > 0 && ctx.Err() == nil {
						cond.Wait()
					}
					if pending == 0 || ctx.Err() != nil {
						idle--
						cond.Broadcast()
						return
					}
					k := min(m.slots, (len(queue)+idle-1)/idle, len(queue))
					take = append([]int(nil), queue[:k]...)
					queue = queue[k:]
					idle--
				}
				name := describe(m.eng)
				if report != nil {
					for _, i := range take {
						report(i, name, nil)
					}
				}
				mu.Unlock()
				got, err := runShare(ctx, m.eng, reqs, take)
				mu.Lock()
				idle++
				for _, i := range take {
					r, ok := got[i]
					switch {
					case ok:
						results[i] = r.res
						pending--
						if r.text != "" {
							onPiece(i, r.text)
						}
						if report != nil {
							res := r.res
							report(i, name, &res)
						}
					default:
						queue = append(queue, i) // for the others
					}
				}
				take = nil
				cond.Broadcast()
				if err != nil && ctx.Err() == nil {
					lastErr = err
					if m.failed != nil {
						m.failed(err)
					}
					live--
					idle--
					if live == 0 {
						pending = 0 // nobody is left to answer
						cond.Broadcast()
					}
					return
				}
			}
		}()
	}
	// Wake the waiters when ctx ends.
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		cond.Broadcast()
		mu.Unlock()
	})
	wg.Wait()
	stop()
	if ctx.Err() != nil {
		for i := range results {
			if results[i].StopReason == "" {
				results[i].StopReason = engine.StopCanceled
			}
		}
		return results, nil
	}
	if len(queue) > 0 {
		if lastErr == nil {
			lastErr = errors.New("no engine is left")
		}
		return nil, apperr.Wrap(apperr.CodeOf(lastErr), lastErr, "every engine of the batch failed")
	}
	return results, nil
}

type answer struct {
	res  engine.Result
	text string
}

// runShare runs the requests take on one engine and returns those that
// succeeded. An endpoint runs each as its own request (so one failing
// stream loses only itself); another engine runs them as one batch.
func runShare(ctx context.Context, eng engine.Engine, reqs []engine.Request, take []int) (map[int]answer, error) {
	out := map[int]answer{}
	if e, ok := eng.(*Engine); ok {
		var mu sync.Mutex
		var first error
		var wg sync.WaitGroup
		for _, i := range take {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var b strings.Builder
				res, err := e.Generate(ctx, reqs[i], func(s string) { b.WriteString(s) })
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					if first == nil {
						first = err
					}
				case res.StopReason != engine.StopCanceled:
					out[i] = answer{res, b.String()}
				}
			}()
		}
		wg.Wait()
		return out, first
	}
	batch := make([]engine.Request, len(take))
	for j, i := range take {
		batch[j] = reqs[i]
	}
	texts := make([]strings.Builder, len(take))
	res, err := eng.GenerateBatch(ctx, batch, func(j int, s string) {
		if j >= 0 && j < len(texts) {
			texts[j].WriteString(s)
		}
	})
	if err != nil || len(res) != len(take) {
		if err == nil {
			err = apperr.New(apperr.Internal, "the engine answered %d of %d requests", len(res), len(take))
		}
		return out, err
	}
	for j, i := range take {
		if res[j].StopReason != engine.StopCanceled {
			out[i] = answer{res[j], texts[j].String()}
		}
	}
	return out, nil
}

func describe(e engine.Engine) string {
	if s, ok := e.(interface{ String() string }); ok {
		return s.String()
	}
	return "local"
}
