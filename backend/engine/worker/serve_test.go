package worker

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
)

// served is Serve running in this process over pipes, with a real engine.
type served struct {
	t    *testing.T
	in   *io.PipeWriter
	out  *io.PipeReader
	done chan error
}

func serveInProcess(t *testing.T) *served {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &served{t: t, in: inW, out: outR, done: make(chan error, 1)}
	go func() {
		err := Serve(context.Background(), inR, outW, engine.NewLocal())
		outW.Close()
		s.done <- err
	}()
	t.Cleanup(func() {
		inW.Close()
		go io.Copy(io.Discard, outR) // let a last answer be written
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after its input closed")
		}
	})
	return s
}

func (s *served) send(m Message) {
	s.t.Helper()
	if err := WriteFrame(s.in, m); err != nil {
		s.t.Fatal(err)
	}
}

func (s *served) recv() Message {
	s.t.Helper()
	m, err := ReadFrame(s.out)
	if err != nil {
		s.t.Fatalf("read an answer: %v", err)
	}
	return m
}

func TestServeAnswersEachRequest(t *testing.T) {
	s := serveInProcess(t)
	path := tinyPlain(t)

	s.send(Message{Kind: KindModel, ID: 1})
	if m := s.recv(); m.Kind != KindLoaded || m.ID != 1 || m.Loaded {
		t.Fatalf("model before load: %+v", m)
	}
	s.send(Message{Kind: KindLoad, ID: 2, Path: path, Options: &testOpts})
	m := s.recv()
	if m.Kind != KindLoaded || m.ID != 2 || !m.Loaded || m.Info.Path != path || m.Info.ContextSize != 1024 {
		t.Fatalf("load: %+v", m)
	}
	s.send(Message{Kind: KindModel, ID: 3})
	if m := s.recv(); m.Kind != KindLoaded || !m.Loaded || m.Info.Path != path {
		t.Fatalf("model after load: %+v", m)
	}

	req := request("Once upon a time", 40)
	req.IgnoreEOS = true
	s.send(Message{Kind: KindGenerate, ID: 4, Request: &req})
	s.send(Message{Kind: KindCancel, ID: 99}) // nothing runs as 99: ignored
	var got strings.Builder
	frames := 0
	for {
		m := s.recv()
		if m.ID != 4 {
			t.Fatalf("answer for request %d: %+v", m.ID, m)
		}
		if m.Kind == KindPiece {
			frames++
			got.WriteString(strings.Join(m.Pieces, ""))
			continue
		}
		if m.Kind != KindResult || m.Result.CompletionTokens != 40 || m.Result.StopReason != engine.StopLength {
			t.Fatalf("end of generation: %+v", m)
		}
		break
	}
	local := engine.NewLocal()
	defer local.Close()
	load(t, local, path)
	if want := text(t, local, req); got.String() != want {
		t.Errorf("streamed %q, want %q", got.String(), want)
	}
	t.Logf("40 tokens in %d piece frames", frames)

	// A request the worker does not take, and one the engine refuses.
	s.send(Message{Kind: KindPiece, ID: 5, Pieces: []string{"x"}})
	if m := s.recv(); m.Kind != KindError || m.ID != 5 || m.Error.Code != apperr.Internal {
		t.Errorf("piece sent to the worker: %+v", m)
	}
	s.send(Message{Kind: KindGenerate, ID: 6, Request: &engine.Request{}})
	if m := s.recv(); m.Kind != KindError || m.Error.Code != apperr.Invalid || m.Error.Message != "there is nothing to reply to" {
		t.Errorf("empty request: %+v %+v", m, m.Error)
	}

	s.send(Message{Kind: KindClose})
	if err := <-s.done; err != nil {
		t.Errorf("Serve after close: %v", err)
	}
	s.done <- nil // for the cleanup
}

func TestServeCancelsAGeneration(t *testing.T) {
	s := serveInProcess(t)
	s.send(Message{Kind: KindLoad, ID: 1, Path: tinyPlain(t), Options: &testOpts})
	if m := s.recv(); m.Kind != KindLoaded {
		t.Fatalf("load: %+v", m)
	}
	req := request("once", 0)
	req.IgnoreEOS = true
	s.send(Message{Kind: KindGenerate, ID: 2, Request: &req})
	if m := s.recv(); m.Kind != KindPiece {
		t.Fatalf("first answer: %+v", m)
	}
	at := time.Now()
	s.send(Message{Kind: KindCancel, ID: 2})
	for {
		m := s.recv()
		if m.Kind == KindPiece {
			continue
		}
		if m.Kind != KindResult || m.Result.StopReason != engine.StopCanceled {
			t.Fatalf("after cancel: %+v", m)
		}
		break
	}
	if took := time.Since(at); took > 100*time.Millisecond {
		t.Errorf("the generation ended %v after the cancel frame", took)
	}
}

// The worker gives the same errors as engine.Local for files the client's
// own check would have caught.
func TestServeLoadErrorsMatchLocal(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.gguf")
	if err := os.WriteFile(text, []byte("these are my notes, not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := serveInProcess(t)
	for i, path := range []string{filepath.Join(dir, "missing.gguf"), dir, text} {
		want := func() error {
			e := engine.NewLocal()
			defer e.Close()
			_, err := e.Load(context.Background(), path, testOpts)
			return err
		}()
		s.send(Message{Kind: KindLoad, ID: uint64(i + 1), Path: path})
		m := s.recv()
		if m.Kind != KindError {
			t.Fatalf("%s: %+v", path, m)
		}
		got := decodeError(m.Error)
		if got.Error() != want.Error() || apperr.CodeOf(got) != apperr.CodeOf(want) {
			t.Errorf("%s: got %v (%s), want %v (%s)", path, got, apperr.CodeOf(got), want, apperr.CodeOf(want))
		}
	}
}

func TestServeStopsOnAMalformedRequest(t *testing.T) {
	s := serveInProcess(t)
	if _, err := s.in.Write(frame(`{"kind":"generate","id":1}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err == nil || !strings.Contains(err.Error(), "without its request") {
			t.Errorf("Serve returned %v", err)
		}
		s.done <- err
	case <-time.After(5 * time.Second):
		t.Fatal("Serve kept running after a malformed request")
	}
}
