package doctext

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// Builder assembles a Document: paragraphs separated by a blank line,
// pages by "\f", with sections and paragraph spans recorded as it goes.
// The zero Builder is ready to use.
type Builder struct {
	// Title, when set, is the document's title; else Finish takes the
	// first top-level heading's.
	Title string

	buf      []byte
	doc      Document
	paraOpen bool
	paraAt   int
	pageAt   int
	page     int // current page number, 0 when not paginated
}

// StartPara begins a paragraph (closing an open one).
func (b *Builder) StartPara() {
	b.EndPara()
	if len(b.buf) > 0 && !b.atPageStart() {
		b.buf = append(b.buf, "\n\n"...)
	}
	b.paraOpen = true
	b.paraAt = len(b.buf)
}

func (b *Builder) atPageStart() bool {
	return len(b.buf) > 0 && b.buf[len(b.buf)-1] == '\f' || (b.page > 0 && len(b.buf) == b.pageAt)
}

// Write adds text to the open paragraph, opening one if needed.
func (b *Builder) Write(s string) {
	if !b.paraOpen {
		b.StartPara()
	}
	b.buf = append(b.buf, s...)
}

// WriteBytes is Write for bytes: no string copy of them is made.
func (b *Builder) WriteBytes(p []byte) {
	if !b.paraOpen {
		b.StartPara()
	}
	b.buf = append(b.buf, p...)
}

// Grow makes room for n more bytes of text, so a reader that knows about
// how long its text will be (a plain-text file: its size) fills one buffer
// instead of doubling it.
func (b *Builder) Grow(n int) {
	if n > cap(b.buf)-len(b.buf) {
		grown := make([]byte, len(b.buf), len(b.buf)+n)
		copy(grown, b.buf)
		b.buf = grown
	}
}

// CleanPara cleans the open paragraph in place as Para cleans its text
// (CleanText, then the white space before it dropped; EndPara drops the
// white space after it). A reader that writes a paragraph piece by piece
// (WriteBytes) and then calls CleanPara and EndPara gets what Para would
// give for the whole of it, without the copies.
func (b *Builder) CleanPara() {
	if !b.paraOpen {
		return
	}
	tail := b.buf[b.paraAt:]
	if !utf8.Valid(tail) { // a bad byte grows to U+FFFD: not in place
		b.buf = append(b.buf[:b.paraAt], strings.TrimLeftFunc(CleanText(string(tail)), unicode.IsSpace)...)
		return
	}
	cleaned := cleanInPlace(tail) // never longer than valid input
	n := copy(tail, bytes.TrimLeftFunc(cleaned, unicode.IsSpace))
	b.buf = b.buf[:b.paraAt+n]
}

// EndPara closes the open paragraph, dropping it when it holds only
// white space.
func (b *Builder) EndPara() {
	if !b.paraOpen {
		return
	}
	b.paraOpen = false
	end := len(bytes.TrimRightFunc(b.buf, unicode.IsSpace))
	if end <= b.paraAt {
		// Nothing but white space: take it back, with its separator.
		cut := min(b.paraAt, len(b.buf))
		if cut >= 2 && string(b.buf[cut-2:cut]) == "\n\n" {
			cut -= 2
		}
		b.buf = b.buf[:cut]
		return
	}
	b.buf = b.buf[:end]
	b.doc.Paragraphs = append(b.doc.Paragraphs, Span{Start: b.paraAt, End: end})
}

// Para adds a whole paragraph. A paragraph that repeats the one before it
// stays: it is what the document says (running headers and footers are
// dropped by the PDF reader, which knows where on the page a line sits).
func (b *Builder) Para(s string) {
	s = strings.TrimSpace(CleanText(s))
	if s == "" {
		return
	}
	b.StartPara()
	b.buf = append(b.buf, s...)
	b.EndPara()
}

// Heading adds a heading paragraph and starts its section.
func (b *Builder) Heading(level int, title string) {
	title = CleanTitle(CleanText(title))
	if title == "" {
		return
	}
	level = max(1, min(level, 9))
	b.StartPara()
	b.doc.Sections = append(b.doc.Sections, Section{Title: title, Level: level, Page: b.page, Start: len(b.buf)})
	b.buf = append(b.buf, title...)
	b.EndPara()
}

// NewPage ends the current page (if any) and starts page number n.
func (b *Builder) NewPage(n int) {
	b.EndPara()
	if b.page > 0 {
		b.doc.Pages = append(b.doc.Pages, Page{Number: b.page, Start: b.pageAt, End: len(b.buf)})
		b.buf = append(b.buf, '\f')
	}
	b.page = n
	b.pageAt = len(b.buf)
}

// ParaOpen reports whether a paragraph is open (Write continues it).
func (b *Builder) ParaOpen() bool { return b.paraOpen }

// Len is the length of the text so far: where the next byte written lands
// in Document.Text.
func (b *Builder) Len() int { return len(b.buf) }

// Bytes is the text so far. It is the Builder's own buffer: read it, do not
// keep or change it.
func (b *Builder) Bytes() []byte { return b.buf }

// Unwrite takes back the last n bytes written to the open paragraph (a
// line-ending hyphen when the next line continues the word).
func (b *Builder) Unwrite(n int) {
	if b.paraOpen {
		b.buf = b.buf[:max(b.paraAt, len(b.buf)-n)]
	}
}

// Finish closes the document: the last page, section ends, the title. The
// Document takes the Builder's text: the Builder is not used after it.
func (b *Builder) Finish() *Document {
	b.EndPara()
	if b.page > 0 {
		b.doc.Pages = append(b.doc.Pages, Page{Number: b.page, Start: b.pageAt, End: len(b.buf)})
	}
	b.doc.Text = b.text()
	FinishSections(&b.doc)
	b.doc.Title = b.Title
	if b.doc.Title == "" {
		for _, s := range b.doc.Sections {
			if s.Level == 1 {
				b.doc.Title = s.Title
				break
			}
		}
	}
	d := b.doc
	return &d
}

// text hands the buffer over as the Document's text. A buffer filled to
// within an eighth of its capacity becomes the string itself (as
// strings.Builder does), saving a copy of the whole text; a roomier one is
// copied, so the spare capacity is not kept alive with it. Either way the
// Builder lets go of the buffer, which nothing changes again.
func (b *Builder) text() string {
	buf := b.buf
	b.buf = nil
	if len(buf) == 0 {
		return ""
	}
	if cap(buf)-len(buf) > len(buf)/8 {
		return string(buf)
	}
	return unsafe.String(unsafe.SliceData(buf), len(buf))
}

// FinishSections sets each section's end: the start of the next section of
// the same or a higher level (less the white space before it), else the
// end of the text.
func FinishSections(d *Document) {
	for i := range d.Sections {
		s := &d.Sections[i]
		s.End = len(d.Text)
		for j := i + 1; j < len(d.Sections); j++ {
			if d.Sections[j].Level <= s.Level {
				s.End = max(d.Sections[j].Start, s.Start)
				break
			}
		}
		for s.End > s.Start && (d.Text[s.End-1] == '\n' || d.Text[s.End-1] == '\f' || d.Text[s.End-1] == ' ') {
			s.End--
		}
	}
}

// CleanTitle collapses white space in a title.
func CleanTitle(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// cleanInPlace is CleanText for valid UTF-8, written over p itself (what
// it writes is never longer than what it has read) and returned.
func cleanInPlace(p []byte) []byte {
	if isClean(p) {
		return p
	}
	w := 0
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRune(p[i:])
		if repl, same := replacement(r); same {
			w += copy(p[w:], p[i:i+n])
		} else {
			w += copy(p[w:], repl)
		}
		i += n
	}
	return p[:w]
}

// CleanText drops control characters (keeping tabs and newlines), expands
// ligatures and makes the text valid UTF-8.
func CleanText(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(unicode.ReplacementChar)
		} else if repl, same := replacement(r); same {
			b.WriteRune(r)
		} else {
			b.WriteString(repl)
		}
	}
	return b.String()
}

// isClean is true when text is ASCII that clean text holds as it is: no
// control character but tab and newline, no DEL.
func isClean[T string | []byte](text T) bool {
	for i := 0; i < len(text); i++ {
		if c := text[i]; c < 0x20 && c != '\n' && c != '\t' || c >= 0x7F {
			return false
		}
	}
	return true
}

var ligatures = [...]string{"ff", "fi", "fl", "ffi", "ffl", "st", "st"} // U+FB00 to U+FB06

// replacement is what clean text holds in place of r: repl ("" drops r),
// or r itself when same. Dropped: control characters but tab and newline,
// DEL, the C1 controls, soft hyphens and byte-order marks; ligatures are
// their letters and a no-break space a space. No replacement is longer
// than the UTF-8 of what it replaces.
func replacement(r rune) (repl string, same bool) {
	switch {
	case r < 0x20 && r != '\n' && r != '\t', r == 0x7F, r >= 0x80 && r < 0xA0, r == '\u00ad', r == '\ufeff':
		return "", false
	case r >= 0xFB00 && r <= 0xFB06:
		return ligatures[r-0xFB00], false
	case r == '\u00a0':
		return " ", false
	}
	return "", true
}
