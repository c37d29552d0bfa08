// Package worker owns running the engine in a child process, so that a model
// that crashes llama.cpp (an abort, a segmentation fault, the system running
// out of memory) ends the worker, never the app.
//
// The app re-executes its own binary with a hidden subcommand that calls
// Serve on its standard input and output; Client implements engine.Engine
// in the app by talking to that process over the pipes. The protocol is a
// stream of frames, each a big-endian uint32 length and a JSON Message.
// Requests (load, model, generate, cancel, close) carry an id; responses
// (loaded, piece, result, error) carry the id of the request they answer.
//
// Client supervises the worker: it starts it on first use, reports a crash
// as an error of the call that was running ("the engine stopped: …"), then
// starts a new worker on the next call and reloads the model that was
// loaded, so the next message works.
package worker

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
)

// MaxFrame is the largest frame body either side accepts or sends.
const MaxFrame = 64 << 20

// Message kinds: requests from the app, then responses from the worker.
const (
	KindLoad     = "load"     // Path, Options → loaded or error
	KindModel    = "model"    // → loaded (Loaded false when no model is loaded)
	KindGenerate = "generate" // Request → piece…, then result or error
	KindBatch    = "batch"    // Requests → piece… (with Seq), then result (Results) or error
	KindCount    = "count"    // Texts → counted (Counts) or error
	KindCancel   = "cancel"   // ID names the request to cancel; no response of its own
	KindClose    = "close"    // the worker stops its requests, frees the engine and exits

	KindLoaded  = "loaded"  // Info, Loaded
	KindPiece   = "piece"   // Pieces, in order
	KindResult  = "result"  // Result
	KindCounted = "counted" // Counts, one per text
	KindError   = "error"   // Error, and Result when a generation failed part way
)

// Message is one frame of the protocol. Which fields are set depends on Kind.
type Message struct {
	Kind     string              `json:"kind"`
	ID       uint64              `json:"id,omitempty"`
	Path     string              `json:"path,omitempty"`
	Options  *engine.LoadOptions `json:"options,omitempty"`
	Request  *engine.Request     `json:"request,omitempty"`
	Requests []engine.Request    `json:"requests,omitempty"`
	Seq      int                 `json:"seq,omitempty"` // which request of a batch a piece frame belongs to
	Info     *engine.ModelInfo   `json:"info,omitempty"`
	Loaded   bool                `json:"loaded,omitempty"`
	Pieces   []string            `json:"pieces,omitempty"`
	Result   *engine.Result      `json:"result,omitempty"`
	Results  []engine.Result     `json:"results,omitempty"`
	Texts    []string            `json:"texts,omitempty"`
	Counts   []int               `json:"counts,omitempty"`
	Error    *WireError          `json:"error,omitempty"`
}

// WireError is an error as it crosses the pipe: its text, and the code,
// message and cause of the apperr.Error in its chain, so the app sees the
// same Error(), apperr.Message and apperr.CodeOf as an in-process engine
// would give.
type WireError struct {
	Text    string      `json:"text"`
	Code    apperr.Code `json:"code,omitempty"`
	Message string      `json:"message,omitempty"`
	Cause   string      `json:"cause,omitempty"`
	Context string      `json:"context,omitempty"` // "canceled" or "deadline": a context error
}

// validate reports a frame that is well-formed JSON but not a message.
func (m *Message) validate() error {
	if m.ID == 0 && m.Kind != KindClose {
		return fmt.Errorf("%q message without an id", m.Kind)
	}
	var missing string
	switch m.Kind {
	case KindModel, KindCancel, KindClose, KindLoaded, KindCount, KindCounted:
	case KindLoad:
		if m.Path == "" {
			missing = "path"
		}
	case KindGenerate:
		if m.Request == nil {
			missing = "request"
		}
	case KindPiece:
		if len(m.Pieces) == 0 {
			missing = "pieces"
		}
	case KindBatch:
		if len(m.Requests) == 0 {
			missing = "requests"
		}
	case KindResult:
		if m.Result == nil && len(m.Results) == 0 {
			missing = "result"
		}
	case KindError:
		if m.Error == nil {
			missing = "error"
		}
	default:
		return fmt.Errorf("unknown message kind %q", m.Kind)
	}
	if missing != "" {
		return fmt.Errorf("%q message without its %s", m.Kind, missing)
	}
	return nil
}

// ReadFrame reads one frame. It returns io.EOF at a clean end of the stream
// (between frames) and an error for a truncated, oversized or malformed one.
func ReadFrame(r io.Reader) (Message, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Message{}, fmt.Errorf("read frame header: %w", err)
		}
		return Message{}, err // io.EOF or a read error
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > MaxFrame {
		return Message{}, fmt.Errorf("frame of %d bytes is larger than the limit of %d", n, MaxFrame)
	}
	var body []byte
	if n <= 1<<20 {
		body = make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return Message{}, fmt.Errorf("read frame body of %d bytes: %w", n, unexpected(err))
		}
	} else {
		// Grow with the data that arrives, not with what the header claims.
		var buf bytes.Buffer
		if _, err := io.CopyN(&buf, r, int64(n)); err != nil {
			return Message{}, fmt.Errorf("read frame body of %d bytes: %w", n, unexpected(err))
		}
		body = buf.Bytes()
	}
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		return Message{}, fmt.Errorf("decode frame: %w", err)
	}
	if err := m.validate(); err != nil {
		return Message{}, fmt.Errorf("decode frame: %w", err)
	}
	return m, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// WriteFrame writes m as one frame, in a single Write.
func WriteFrame(w io.Writer, m Message) error {
	b, err := encodeFrame(m)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write %s frame: %w", m.Kind, err)
	}
	return nil
}

func encodeFrame(m Message) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 4, 256))
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode %s frame: %w", m.Kind, err)
	}
	b := buf.Bytes()
	n := len(b) - 4
	if n > MaxFrame {
		return nil, fmt.Errorf("%s frame of %d bytes is larger than the limit of %d", m.Kind, n, MaxFrame)
	}
	binary.BigEndian.PutUint32(b[:4], uint32(n))
	return b, nil
}

// encodeError turns err into its wire form.
func encodeError(err error) *WireError {
	w := &WireError{Text: err.Error()}
	switch {
	case errors.Is(err, context.Canceled):
		w.Context = "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		w.Context = "deadline"
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		w.Code, w.Message = ae.Code, ae.Msg
		if ae.Err != nil {
			w.Cause = ae.Err.Error()
		}
	}
	return w
}

// decodeError rebuilds an error that gives the same Error(), apperr.Message
// and apperr.CodeOf as the one encoded, and matches context errors.
func decodeError(w *WireError) error {
	var ctxErr error
	switch w.Context {
	case "canceled":
		ctxErr = context.Canceled
	case "deadline":
		ctxErr = context.DeadlineExceeded
	}
	if w.Code == "" {
		if ctxErr != nil && w.Text == ctxErr.Error() {
			return ctxErr
		}
		return &textError{msg: w.Text, cause: ctxErr}
	}
	ae := &apperr.Error{Code: w.Code, Msg: w.Message}
	if w.Cause != "" {
		ae.Err = &textError{msg: w.Cause, cause: ctxErr}
		if ctxErr != nil && w.Cause == ctxErr.Error() {
			ae.Err = ctxErr
		}
	}
	if ae.Error() == w.Text {
		return ae
	}
	return &textError{msg: w.Text, cause: ae}
}

// textError is an error as its text, still matching the coded or context
// error it wrapped.
type textError struct {
	msg   string
	cause error
}

func (e *textError) Error() string { return e.msg }
func (e *textError) Unwrap() error { return e.cause }
