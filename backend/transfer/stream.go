package transfer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/store"
)

// An export's JSON is a list of conversations (or one conversation on its
// own) read with a streaming decoder: one conversation is in memory at a
// time, however long the list, and a cancelled ctx stops the reading.

// guarded reads r for an import: it stops with ctx's error once ctx ends,
// with a sentence past limit bytes, and names any other read error after
// what it reads (what, broken: "the archive's conversations.json", "is
// damaged").
type guarded struct {
	stopped      func() error // the import's ctx.Err: io.Reader has no ctx of its own
	r            io.Reader
	n, limit     int64
	what, broken string
}

func (g *guarded) Read(p []byte) (int, error) {
	if err := g.stopped(); err != nil {
		return 0, err
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	if g.n > g.limit {
		return n, apperr.New(apperr.Invalid, "%s is larger than %d MB", g.what, g.limit>>20)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		err = apperr.Wrap(apperr.Invalid, err, "%s %s", g.what, g.broken)
	}
	return n, err
}

// itemParser turns item i (from 0) of an export's list into a conversation.
type itemParser func(raw json.RawMessage, i int) (store.ImportedConversation, error)

// openJSON starts reading an export's JSON from r: it reads the first
// conversation to know the format, and returns a source that yields it and
// then the others, one at a time.
func openJSON(ctx context.Context, r io.Reader, what, broken string) (*source, error) {
	g := &guarded{stopped: ctx.Err, r: r, limit: MaxImportBytes, what: what, broken: broken}
	br := bufio.NewReaderSize(g, 64<<10)
	first, base, err := skipSpace(br)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(br)
	fail := func(err error) error { return decodeError(err, dec, base, g.n) }
	var raw json.RawMessage
	list := first == '['
	switch first {
	case '[':
		if _, err := dec.Token(); err != nil {
			return nil, fail(err)
		}
		if !dec.More() {
			if _, err := dec.Token(); err != nil {
				return nil, fail(err)
			}
			return nil, apperr.New(apperr.Invalid, "the file holds no conversations")
		}
	case '{':
	default:
		return nil, errUnknown
	}
	if err := dec.Decode(&raw); err != nil {
		return nil, fail(err)
	}
	format, parse, err := probe(raw)
	if err != nil {
		return nil, err
	}
	i, done := 0, false
	next := func() (store.ImportedConversation, error) {
		if done {
			return store.ImportedConversation{}, io.EOF
		}
		if raw == nil {
			if !list || !dec.More() {
				done = true
				if list {
					if _, err := dec.Token(); err != nil { // the list's ]
						return store.ImportedConversation{}, fail(err)
					}
				}
				return store.ImportedConversation{}, atEnd(dec, fail)
			}
			if err := dec.Decode(&raw); err != nil {
				return store.ImportedConversation{}, fail(err)
			}
		}
		ic, err := parse(raw, i)
		raw = nil
		i++
		return ic, err
	}
	return &source{format: format, next: next, close: func() error { return nil }}, nil
}

// skipSpace reads past white space and a byte order mark, and returns the
// first byte after them (left unread) and how many bytes it skipped.
func skipSpace(br *bufio.Reader) (byte, int64, error) {
	var skipped int64
	for {
		c, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return 0, 0, apperr.New(apperr.Invalid, "the file is empty")
		}
		if err != nil {
			return 0, 0, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			skipped++
			continue
		case 0xef:
			if bom, _ := br.Peek(2); len(bom) == 2 && bom[0] == 0xbb && bom[1] == 0xbf {
				br.Discard(2)
				skipped += 3
				continue
			}
		}
		br.UnreadByte()
		return c, skipped, nil
	}
}

// probe tells the format from an export's first item.
func probe(raw json.RawMessage) (string, itemParser, error) {
	var p struct {
		Format  string          `json:"format"`
		Mapping json.RawMessage `json:"mapping"`
		Chat    json.RawMessage `json:"chat"`
		Claude  json.RawMessage `json:"chat_messages"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", nil, jsonError(err)
	}
	switch {
	case p.Format == FormatConversation:
		return SourceChapel, parseChapel, nil
	case p.Mapping != nil:
		return SourceChatGPT, parseChatGPT, nil
	case p.Chat != nil:
		return SourceOpenWebU, parseOpenWebUI, nil
	case p.Claude != nil:
		return SourceClaude, parseClaude, nil
	}
	return "", nil, errUnknown
}

// atEnd is io.EOF when nothing but white space follows the export's JSON.
func atEnd(dec *json.Decoder, fail func(error) error) error {
	start := dec.InputOffset()
	_, err := dec.Token()
	switch {
	case errors.Is(err, io.EOF):
		return io.EOF
	case err != nil:
		return fail(err)
	}
	return apperr.New(apperr.Invalid, "the file is not valid JSON (at byte %d): more follows the end of the export", start)
}

// errTruncated is the cause of a file that ends in the middle of its JSON.
var errTruncated = errors.New("it ends in the middle of a value (is the file complete?)")

// decodeError explains an error of the streaming decoder, which started
// base bytes into the file; the file ends at byte size when the decoder
// finds it truncated. Errors of the reading itself (ctx ended, a damaged
// archive, a file too large) pass through as they are.
func decodeError(err error, dec *json.Decoder, base, size int64) error {
	var ae *apperr.Error
	if errors.As(err, &ae) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return apperr.Wrap(apperr.Invalid, errTruncated, "the file is not valid JSON (at byte %d)", size)
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return apperr.Wrap(apperr.Invalid, err, "the file is not valid JSON (at byte %d)", base+syn.Offset)
	}
	return jsonError(err)
}

// jsonError explains an error of decoding one item; the cause is said once,
// after the sentence.
func jsonError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return apperr.Wrap(apperr.Invalid, err, "the file is not valid JSON (at byte %d)", syn.Offset)
	}
	return apperr.Wrap(apperr.Invalid, err, "the file does not have the structure of an export")
}
