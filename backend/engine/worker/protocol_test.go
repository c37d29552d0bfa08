package worker

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
)

func sampleMessages() []Message {
	req := request("Once upon a time <b>&", 16)
	req.Sampling = engine.DefaultSampling()
	return []Message{
		{Kind: KindLoad, ID: 1, Path: "/models/a model.gguf", Options: &engine.LoadOptions{ContextSize: 1024, Threads: 2}},
		{Kind: KindModel, ID: 2},
		{Kind: KindGenerate, ID: 3, Request: &req},
		{Kind: KindCancel, ID: 3},
		{Kind: KindClose},
		{Kind: KindLoaded, ID: 1, Loaded: true, Info: &engine.ModelInfo{Path: "/m.gguf", Name: "m", ContextSize: 1024, HasTemplate: true}},
		{Kind: KindPiece, ID: 3, Pieces: []string{"Once", " upon", " é", "漢字", "\n", "\"q\"", "🙂"}},
		{Kind: KindResult, ID: 3, Result: &engine.Result{PromptTokens: 5, CompletionTokens: 7, TokensPerSecond: 1234.5678, StopReason: engine.StopEOG}},
		{Kind: KindError, ID: 3, Error: &WireError{Text: "bad: why", Code: apperr.Invalid, Message: "bad", Cause: "why"}, Result: &engine.Result{CompletionTokens: 2}},
	}
}

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	msgs := sampleMessages()
	for _, m := range msgs {
		if err := WriteFrame(&buf, m); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range msgs {
		got, err := ReadFrame(&buf)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("frame %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	if _, err := ReadFrame(&buf); err != io.EOF {
		t.Errorf("after the last frame: %v, want io.EOF", err)
	}
}

func frame(body string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	return append(b, body...)
}

func TestMalformedFrames(t *testing.T) {
	good, err := encodeFrame(Message{Kind: KindModel, ID: 1})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"too large", binary.BigEndian.AppendUint32(nil, MaxFrame+1), "larger than the limit"},
		{"largest size, no body", binary.BigEndian.AppendUint32(nil, MaxFrame), "unexpected EOF"},
		{"truncated header", []byte{0, 0}, "unexpected EOF"},
		{"truncated body", good[:len(good)-3], "unexpected EOF"},
		{"empty body", frame(""), "decode frame"},
		{"bad JSON", frame(`{"kind":"model","id":1`), "decode frame"},
		{"not an object", frame(`[1,2,3]`), "decode frame"},
		{"trailing garbage", frame(`{"kind":"model","id":1} x`), "decode frame"},
		{"unknown kind", frame(`{"kind":"explode","id":1}`), "unknown message kind"},
		{"no id", frame(`{"kind":"generate","request":{}}`), "without an id"},
		{"generate without request", frame(`{"kind":"generate","id":4}`), "without its request"},
		{"load without path", frame(`{"kind":"load","id":4}`), "without its path"},
		{"empty pieces", frame(`{"kind":"piece","id":4,"pieces":[]}`), "without its pieces"},
		{"wrong field type", frame(`{"kind":"piece","id":4,"pieces":"abc"}`), "decode frame"},
		{"negative id", frame(`{"kind":"model","id":-1}`), "decode frame"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadFrame(bytes.NewReader(c.data))
			if err == nil || err == io.EOF || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

func TestOversizedMessageIsNotSent(t *testing.T) {
	var buf bytes.Buffer
	err := WriteFrame(&buf, Message{Kind: KindPiece, ID: 1, Pieces: []string{strings.Repeat("x", MaxFrame)}})
	if err == nil || buf.Len() != 0 {
		t.Errorf("err = %v, %d bytes written", err, buf.Len())
	}
}

func FuzzReadFrame(f *testing.F) {
	for _, m := range sampleMessages() {
		b, err := encodeFrame(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add(frame(`{"kind":"piece","id":1,"pieces":["\xff"]}`))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadFrame(bytes.NewReader(data))
		if err != nil {
			return
		}
		// A frame that reads is one that writes and reads back the same
		// (up to empty slices, which encode as absent).
		b, err := encodeFrame(m)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", m, err)
		}
		again, err := ReadFrame(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("read back %+v: %v", m, err)
		}
		if b2, err := encodeFrame(again); err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("round trip changed the message (%v):\n%s\n%s", err, b, b2)
		}
	})
}

func TestErrorsCrossTheWire(t *testing.T) {
	cases := []struct {
		name string
		err  error
	}{
		{"coded", apperr.New(apperr.NotFound, "model file %q was not found", "/x.gguf")},
		{"coded with cause", apperr.Wrap(apperr.Invalid, errors.New("bad magic"), "model %q could not be loaded", "x")},
		{"internal with cause", apperr.Wrap(apperr.Internal, errors.New("decode failed"), "the engine failed while generating")},
		{"wrapped coded", fmt.Errorf("context: %w", apperr.New(apperr.Unavailable, "busy"))},
		{"plain", errors.New("something broke")},
		{"canceled", context.Canceled},
		{"wrapped deadline", fmt.Errorf("load: %w", context.DeadlineExceeded)},
		{"coded around a context error", apperr.Wrap(apperr.Canceled, fmt.Errorf("decode: %w", context.Canceled), "stopped")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := decodeError(encodeError(c.err))
			if got.Error() != c.err.Error() || apperr.Message(got) != apperr.Message(c.err) || apperr.CodeOf(got) != apperr.CodeOf(c.err) {
				t.Errorf("got %q / %q / %s, want %q / %q / %s", got, apperr.Message(got), apperr.CodeOf(got),
					c.err, apperr.Message(c.err), apperr.CodeOf(c.err))
			}
			for _, target := range []error{context.Canceled, context.DeadlineExceeded} {
				if errors.Is(got, target) != errors.Is(c.err, target) {
					t.Errorf("errors.Is(%v) = %v", target, errors.Is(got, target))
				}
			}
		})
	}
}
