package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
)

// Pieces are sent in batches: a batch goes out when it holds maxBatch
// pieces, or flushEvery after the previous one. A piece that comes later
// than flushEvery after the previous batch goes out at once, so a slow model
// streams each piece as it comes and a fast one pays one frame per batch.
const (
	flushEvery = 8 * time.Millisecond
	maxBatch   = 64
)

// Serve is the worker loop: it reads requests from in, runs them on eng and
// writes the responses to out, until in ends (the app closed the pipe or
// died), a close request comes, ctx ends or writing fails. Load, model and
// generate requests each run on their own goroutine, so a cancel can arrive
// while a generation runs; it cancels that request's context. Serve owns
// eng: it stops the running requests and closes eng before it returns.
//
// In the worker process out is the protocol channel: nothing else may write
// to it (see ProtocolOutput); logs go to stderr. When Serve returns for a
// reason other than the end of in, its reading goroutine ends once in is
// closed.
func Serve(ctx context.Context, in io.Reader, out io.Writer, eng engine.Engine) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	s := &server{eng: eng, out: out, fail: stop, running: map[uint64]context.CancelFunc{}}
	defer s.shutdown(stop)

	frames := make(chan Message)
	readErr := make(chan error, 1)
	go func() {
		r := bufio.NewReaderSize(in, 64<<10)
		for {
			m, err := ReadFrame(r)
			if err != nil {
				readErr <- err
				return
			}
			select {
			case frames <- m:
			case <-ctx.Done():
				return
			}
		}
	}()

	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case err := <-readErr:
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read a request: %w", err)
		case m := <-frames:
			switch m.Kind {
			case KindClose:
				return nil
			case KindCancel:
				s.cancel(m.ID)
			case KindLoad, KindModel, KindGenerate, KindBatch, KindCount:
				s.start(ctx, m)
			default:
				s.send(Message{Kind: KindError, ID: m.ID, Error: encodeError(
					apperr.New(apperr.Internal, "the engine worker cannot answer a %q message", m.Kind))})
			}
		}
	}
}

// server is the state of one Serve call.
type server struct {
	eng  engine.Engine
	fail context.CancelCauseFunc // ends Serve when out is broken

	wmu sync.Mutex // one frame at a time on out
	out io.Writer

	mu      sync.Mutex
	running map[uint64]context.CancelFunc
	wg      sync.WaitGroup
}

// send writes one frame. A failed write ends Serve: the app is gone.
func (s *server) send(m Message) {
	b, err := encodeFrame(m)
	if err != nil {
		// A message that cannot be encoded becomes an error the app can show.
		b, err = encodeFrame(Message{Kind: KindError, ID: m.ID,
			Error: encodeError(apperr.Wrap(apperr.Internal, err, "the engine worker could not send its answer"))})
		if err != nil {
			s.fail(err)
			return
		}
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := s.out.Write(b); err != nil {
		s.fail(fmt.Errorf("write a %s frame: %w", m.Kind, err))
	}
}

// start runs request m on its own goroutine with a context its cancel
// request (or the end of Serve) cancels.
func (s *server) start(ctx context.Context, m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.running[m.ID]; dup {
		s.send(Message{Kind: KindError, ID: m.ID, Error: encodeError(
			apperr.New(apperr.Internal, "the engine worker is already running request %d", m.ID))})
		return
	}
	rctx, cancel := context.WithCancel(ctx)
	s.running[m.ID] = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.running, m.ID)
			s.mu.Unlock()
			cancel()
		}()
		s.handle(rctx, m)
	}()
}

func (s *server) cancel(id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cancel, ok := s.running[id]; ok {
		cancel()
	}
}

// shutdown cancels the running requests, waits for them and closes the engine.
func (s *server) shutdown(stop context.CancelCauseFunc) {
	stop(nil)
	s.wg.Wait()
	s.eng.Close()
}

func (s *server) handle(ctx context.Context, m Message) {
	switch m.Kind {
	case KindLoad:
		var opts engine.LoadOptions
		if m.Options != nil {
			opts = *m.Options
		}
		info, err := s.eng.Load(ctx, m.Path, opts)
		if err != nil {
			s.send(Message{Kind: KindError, ID: m.ID, Error: encodeError(err)})
			return
		}
		s.send(Message{Kind: KindLoaded, ID: m.ID, Info: &info, Loaded: true})
	case KindCount:
		counts, err := s.eng.CountTokens(ctx, m.Texts)
		if err != nil {
			s.send(Message{Kind: KindError, ID: m.ID, Error: encodeError(err)})
			return
		}
		s.send(Message{Kind: KindCounted, ID: m.ID, Counts: counts})
	case KindModel:
		info, ok := s.eng.Model(ctx)
		s.send(Message{Kind: KindLoaded, ID: m.ID, Info: &info, Loaded: ok})
	case KindGenerate:
		b := &batcher{s: s, id: m.ID}
		res, err := s.eng.Generate(ctx, *m.Request, b.add)
		b.stop()
		if err != nil {
			s.send(Message{Kind: KindError, ID: m.ID, Error: encodeError(err), Result: &res})
			return
		}
		s.send(Message{Kind: KindResult, ID: m.ID, Result: &res})
	case KindBatch:
		bs := make([]*batcher, len(m.Requests))
		for i := range bs {
			bs[i] = &batcher{s: s, id: m.ID, seq: i}
		}
		res, err := s.eng.GenerateBatch(ctx, m.Requests, func(i int, piece string) { bs[i].add(piece) })
		for _, b := range bs {
			b.stop()
		}
		if err != nil {
			s.send(Message{Kind: KindError, ID: m.ID, Error: encodeError(err), Results: res})
			return
		}
		s.send(Message{Kind: KindResult, ID: m.ID, Results: res})
	}
}

// batcher gathers one generation's pieces into piece frames, in order.
type batcher struct {
	s   *server
	id  uint64
	seq int // the request's index in a batch

	mu      sync.Mutex
	pending []string
	last    time.Time // when the last batch went out
	timer   *time.Timer
	armed   bool
	stopped bool
}

// add is the engine's onPiece.
func (b *batcher) add(piece string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = append(b.pending, piece)
	since := time.Since(b.last)
	if len(b.pending) >= maxBatch || since >= flushEvery {
		b.flush()
		return
	}
	if b.armed {
		return
	}
	b.armed = true
	if b.timer == nil {
		b.timer = time.AfterFunc(flushEvery-since, b.tick)
	} else {
		b.timer.Reset(flushEvery - since)
	}
}

func (b *batcher) tick() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.armed = false
	if !b.stopped {
		b.flush()
	}
}

// flush sends the pending pieces; b.mu is held.
func (b *batcher) flush() {
	if len(b.pending) == 0 {
		return
	}
	b.s.send(Message{Kind: KindPiece, ID: b.id, Seq: b.seq, Pieces: b.pending})
	b.pending = b.pending[:0]
	b.last = time.Now()
}

// stop sends what is pending; no piece frame of this generation follows.
func (b *batcher) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = true
	if b.timer != nil {
		b.timer.Stop()
	}
	b.flush()
}
