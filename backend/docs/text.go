package docs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// readText reads plain text from r: paragraphs are separated by blank
// lines (and form feeds), and each line loses its trailing spaces and tabs.
// It streams: the file is read a block at a time (once to choose its
// encoding, see sniffText, and once to decode it), and each paragraph is
// written straight into the Document's text, so a large file costs about
// its own size in memory, not several copies of it.
func readText(e *extractor, r io.ReaderAt, size int64) (*Document, error) {
	enc, skip, err := sniffText(e.ctx, r, size)
	if err != nil {
		return nil, err
	}
	b := &doctext.Builder{}
	// The text is about as long as the file (half of it in UTF-16).
	if enc == encUTF16LE || enc == encUTF16BE {
		b.Grow(int((size - skip) / 2))
	} else {
		b.Grow(int(size - skip))
	}
	p := &paraWriter{ctx: e.ctx, b: b, blank: true, spillAt: lineSpill}
	if err := decodeBlocks(e.ctx, r, skip, size, enc, p.put); err != nil {
		return nil, err
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return b.Finish(), nil
}

// readDecoded reads the text of file r as one string (the encoding chosen
// as readText chooses it), the bytes never held beside it. Bad bytes become
// U+FFFD; "\r\n" and "\r" become "\n"; control characters other than
// tab, newline and form feed are dropped, as is U+FEFF.
func readDecoded(ctx context.Context, r io.ReaderAt, size int64) (string, error) {
	enc, skip, err := sniffText(ctx, r, size)
	if err != nil {
		return "", err
	}
	var out strings.Builder
	out.Grow(int(size - skip))
	var n normalizer
	err = decodeBlocks(ctx, r, skip, size, enc, func(c rune) error {
		if c, ok := n.next(c); ok {
			out.WriteRune(c)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return out.String(), nil
}

// textEncoding is how a text file's bytes become characters.
type textEncoding int

const (
	encUTF8      textEncoding = iota // valid UTF-8, taken as it is
	encUTF8Lossy                     // UTF-8 with bad bytes: each run of them becomes one U+FFFD
	encUTF16LE
	encUTF16BE
	encCP1252
)

// textBlock is how much of a text file is read at a time (a variable:
// tests make it tiny, to cut characters and lines at every place).
var textBlock = 1 << 20

// sniffText chooses a text file's encoding, and how many bytes of BOM
// precede its text: UTF-8 (with or without a BOM), UTF-16 with a BOM (or
// plainly UTF-16 by the zero bytes in its first 4 KB), else UTF-8 with a
// little damage when its valid multi-byte characters are at least as many
// as its bad bytes, else Windows-1252. Deciding needs the whole file when
// it is not valid UTF-8 throughout: it is read a block at a time.
func sniffText(ctx context.Context, r io.ReaderAt, size int64) (textEncoding, int64, error) {
	head := make([]byte, min(size, 4096))
	if err := readFull(r, head, 0); err != nil {
		return 0, 0, err
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return encUTF8Lossy, 3, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return encUTF16LE, 2, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return encUTF16BE, 2, nil
	}
	valid := true
	err := readBlocks(ctx, r, 0, size, utf8Tail, func(p []byte) error {
		if !utf8.Valid(p) {
			valid = false
			return errStopBlocks
		}
		return nil
	})
	if err != nil && err != errStopBlocks {
		return 0, 0, err
	}
	if valid {
		return encUTF8, 0, nil
	}
	if le, be := utf16Guess(head); be {
		return encUTF16BE, 0, nil
	} else if le {
		return encUTF16LE, 0, nil
	}
	// Mostly UTF-8: valid multi-byte sequences at least as many as the bad
	// bytes, and some: a UTF-8 file with a little damage, not a Latin-1 one.
	good, bad := 0, 0
	err = readBlocks(ctx, r, 0, size, utf8Tail, func(p []byte) error {
		for i := 0; i < len(p); {
			if p[i] < utf8.RuneSelf {
				i++
				continue
			}
			c, n := utf8.DecodeRune(p[i:])
			if c == utf8.RuneError && n == 1 {
				bad++
			} else {
				good++
			}
			i += n
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	if good > 0 && good >= bad {
		return encUTF8Lossy, 0, nil
	}
	return encCP1252, 0, nil
}

// errStopBlocks ends readBlocks early without an error.
var errStopBlocks = errors.New("stop")

// readFull reads len(p) bytes at off: a file that ends sooner has changed
// under Chapel, and is unreadable.
func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return doctext.ReadError(err)
}

// readBlocks reads r from off to size a block at a time and hands each to
// fn. tail says how many bytes at the end of a block belong with the next
// (a character cut in two), which are carried over to it; the last block
// is handed over whole.
func readBlocks(ctx context.Context, r io.ReaderAt, off, size int64, tail func([]byte) int, fn func(p []byte) error) error {
	buf := make([]byte, min(size-off, int64(textBlock))+8)
	carry := 0
	for off < size {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int(min(size-off, int64(len(buf)-carry)))
		if err := readFull(r, buf[carry:carry+n], off); err != nil {
			return err
		}
		off += int64(n)
		p := buf[:carry+n]
		keep := 0
		if off < size {
			keep = tail(p)
		}
		if err := fn(p[:len(p)-keep]); err != nil {
			return err
		}
		carry = copy(buf, p[len(p)-keep:])
	}
	return nil
}

// utf8Tail is how many bytes end p with the start of a character the
// next block completes: its lead byte and the continuation bytes so far.
func utf8Tail(p []byte) int {
	for i := len(p) - 1; i >= max(0, len(p)-3); i-- {
		if utf8.RuneStart(p[i]) {
			if utf8.FullRune(p[i:]) {
				return 0
			}
			return len(p) - i
		}
	}
	return 0
}

// utf16Tail keeps an odd last byte for the next block.
func utf16Tail(p []byte) int { return len(p) & 1 }

// decodeBlocks decodes r from off to size in encoding enc, handing each
// character to put. A bad byte (or run of them, in UTF-8) or a lone
// surrogate is U+FFFD; an odd last byte of UTF-16 is dropped.
func decodeBlocks(ctx context.Context, r io.ReaderAt, off, size int64, enc textEncoding, put func(rune) error) error {
	switch enc {
	case encUTF16LE, encUTF16BE:
		var high rune // a high surrogate waiting for its low one
		err := readBlocks(ctx, r, off, size, utf16Tail, func(p []byte) error {
			for i := 0; i+1 < len(p); i += 2 {
				var u rune
				if enc == encUTF16BE {
					u = rune(p[i])<<8 | rune(p[i+1])
				} else {
					u = rune(p[i+1])<<8 | rune(p[i])
				}
				if high != 0 {
					// A valid pair decodes above U+FFFF, a broken one to U+FFFD.
					pair := utf16.DecodeRune(high, u)
					high = 0
					if err := put(pair); err != nil {
						return err
					}
					if pair != utf8.RuneError {
						continue
					}
				}
				if utf16.IsSurrogate(u) {
					if u < 0xDC00 { // a high surrogate: its low one follows
						high = u
						continue
					}
					u = utf8.RuneError
				}
				if err := put(u); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil && high != 0 {
			err = put(utf8.RuneError)
		}
		return err
	case encCP1252:
		return readBlocks(ctx, r, off, size, func([]byte) int { return 0 }, func(p []byte) error {
			for _, c := range p {
				r := rune(c)
				if c >= 0x80 && c < 0xA0 {
					r = doctext.CP1252High(c)
					if c == 0x81 || c == 0x8D || c == 0x8F || c == 0x90 || c == 0x9D {
						r = utf8.RuneError
					}
				}
				if err := put(r); err != nil {
					return err
				}
			}
			return nil
		})
	}
	invalid := false // the byte before was part of a bad sequence (UTF-8 with damage)
	return readBlocks(ctx, r, off, size, utf8Tail, func(p []byte) error {
		for i := 0; i < len(p); {
			c, n := rune(p[i]), 1
			if c >= utf8.RuneSelf {
				c, n = utf8.DecodeRune(p[i:])
			}
			i += n
			if c == utf8.RuneError && n == 1 {
				if invalid {
					continue
				}
				invalid = true
			} else {
				invalid = false
			}
			if err := put(c); err != nil {
				return err
			}
		}
		return nil
	})
}

// normalizer turns "\r\n" and a lone "\r" into "\n" and drops control
// characters other than \t, \n and \f, and U+FEFF, one character at a
// time (line endings first: "\r\x01\n" is two line ends).
type normalizer struct{ cr bool }

func (n *normalizer) next(c rune) (rune, bool) {
	if n.cr {
		n.cr = false
		if c == '\n' {
			return 0, false
		}
	}
	if c == '\r' {
		n.cr = true
		return '\n', true
	}
	if c < 0x20 && c != '\t' && c != '\n' && c != '\f' || c == 0x7F || c == '\ufeff' {
		return 0, false
	}
	return c, true
}

// lineSpill is how long a line may grow before the part of it that is
// surely kept moves into the Document's text (a file of one huge line
// costs no second copy of it).
const lineSpill = 64 << 10

// paraWriter splits decoded text into paragraphs on blank lines (lines of
// white space alone) and form feeds, trims trailing spaces and tabs from
// each line, and writes each paragraph into b as Para would take it
// (lines joined by "\n", cleaned and trimmed).
type paraWriter struct {
	ctx     context.Context
	b       *doctext.Builder
	n       normalizer
	line    []byte // the current line, or the part of it not yet in b
	blank   bool   // the current line holds only white space so far
	started bool   // part of the current line is in b
	spillAt int    // the length of line that moves part of it into b
	open    bool   // a paragraph is open in b
	paras   int
}

func (p *paraWriter) put(c rune) error {
	c, ok := p.n.next(c)
	if !ok {
		return nil
	}
	switch c {
	case '\n':
		return p.endLine()
	case '\f': // a page break: the line ends, and so does the paragraph
		if err := p.endLine(); err != nil {
			return err
		}
		return p.endLine()
	}
	if p.blank && !unicode.IsSpace(c) {
		p.blank = false
	}
	if c < utf8.RuneSelf {
		p.line = append(p.line, byte(c))
	} else {
		p.line = utf8.AppendRune(p.line, c)
	}
	if len(p.line) >= p.spillAt && !p.blank {
		// All but the trailing spaces and tabs is kept whatever follows.
		keep := len(bytes.TrimRight(p.line, " \t"))
		p.write(p.line[:keep])
		p.line = p.line[:copy(p.line, p.line[keep:])]
		// A long run of spaces stays: look again when it has doubled.
		p.spillAt = max(lineSpill, 2*len(p.line))
	}
	return nil
}

// write adds part of the current line to b: the first part of a line
// opens the paragraph or, after its first line, follows a "\n".
func (p *paraWriter) write(s []byte) {
	if !p.started {
		if p.open {
			p.b.WriteBytes([]byte{'\n'})
		} else {
			p.b.StartPara()
			p.open = true
		}
		p.started = true
	}
	p.b.WriteBytes(s)
}

// endLine ends the current line: a blank one ends the paragraph.
func (p *paraWriter) endLine() error {
	if p.blank {
		p.line = p.line[:0]
		return p.endPara()
	}
	p.write(bytes.TrimRight(p.line, " \t"))
	p.line, p.blank, p.started, p.spillAt = p.line[:0], true, false, lineSpill
	return nil
}

func (p *paraWriter) endPara() error {
	if !p.open {
		return nil
	}
	p.b.CleanPara()
	p.b.EndPara()
	p.open = false
	p.paras++
	if p.paras&1023 == 0 {
		return p.ctx.Err()
	}
	return nil
}

// finish ends the last line and paragraph.
func (p *paraWriter) finish() error {
	if err := p.endLine(); err != nil {
		return err
	}
	return p.endPara()
}

// utf16Guess spots UTF-16 without a BOM: most odd (LE) or even (BE) bytes
// are zero in Latin text.
func utf16Guess(data []byte) (le, be bool) {
	n := min(len(data), 4096) &^ 1
	if n < 16 {
		return false, false
	}
	var zeroEven, zeroOdd int
	for i := 0; i < n; i += 2 {
		if data[i] == 0 {
			zeroEven++
		}
		if data[i+1] == 0 {
			zeroOdd++
		}
	}
	half := n / 2
	return zeroOdd > half*4/10 && zeroEven < half/10, zeroEven > half*4/10 && zeroOdd < half/10
}

// normSpace collapses runs of white space, newlines included, into single
// spaces and trims the ends.
func normSpace(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u00a0' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
