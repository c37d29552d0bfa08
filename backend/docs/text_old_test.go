package docs

// The plain-text reader as it was before it streamed (it held the bytes, a
// string of them, every paragraph and the text at once), kept verbatim as
// the oracle TestTextStreamSame compares the streaming reader with.

import (
	"strings"
	"unicode/utf8"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// oldExtractText reads plain text: paragraphs are separated by blank lines.
func oldExtractText(e *extractor, data []byte) (*Document, error) {
	s := oldDecodeText(data)
	b := &doctext.Builder{}
	for i, para := range oldSplitParagraphs(s) {
		if i&1023 == 0 {
			if err := e.ctx.Err(); err != nil {
				return nil, err
			}
		}
		b.Para(para)
	}
	return b.Finish(), nil
}

// oldDecodeText turns bytes into UTF-8: UTF-8 (with or without a BOM), UTF-16
// with a BOM (or plainly UTF-16 by its zero bytes), else Windows-1252.
// Bad bytes become U+FFFD; control characters other than tab, newline and
// form feed are dropped.
func oldDecodeText(data []byte) string {
	var s string
	switch {
	case len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF:
		s = strings.ToValidUTF8(string(data[3:]), "\uFFFD")
	case len(data) >= 2 && data[0] == 0xFF && data[1] == 0xFE:
		s = doctext.DecodeUTF16(data[2:], false)
	case len(data) >= 2 && data[0] == 0xFE && data[1] == 0xFF:
		s = doctext.DecodeUTF16(data[2:], true)
	case utf8.Valid(data):
		s = string(data)
	default:
		if le, be := utf16Guess(data); le || be {
			s = doctext.DecodeUTF16(data, be)
		} else if oldMostlyUTF8(data) {
			s = strings.ToValidUTF8(string(data), "\uFFFD")
		} else {
			s = oldDecodeCP1252(data)
		}
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return oldStripControls(s)
}

// oldMostlyUTF8 reports whether valid multi-byte sequences are as many as the bad
// bytes: a UTF-8 file with a little damage, not a Latin-1 one.
func oldMostlyUTF8(data []byte) bool {
	good, bad := 0, 0
	for i := 0; i < len(data); {
		if data[i] < 0x80 {
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			bad++
		} else {
			good++
		}
		i += n
	}
	return good > 0 && good >= bad
}

// oldDecodeCP1252 decodes Windows-1252 (a superset of Latin-1 for text).
func oldDecodeCP1252(data []byte) string {
	var b strings.Builder
	b.Grow(len(data))
	for _, c := range data {
		switch {
		case c < 0x80:
			b.WriteByte(c)
		case c < 0xA0:
			r := doctext.CP1252High(c)
			if c == 0x81 || c == 0x8D || c == 0x8F || c == 0x90 || c == 0x9D {
				r = '\uFFFD'
			}
			b.WriteRune(r)
		default:
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}

// oldStripControls drops control characters other than \t, \n and \f.
func oldStripControls(s string) string {
	keep := func(r rune) bool { return r >= 0x20 && r != 0x7F || r == '\t' || r == '\n' || r == '\f' }
	clean := true
	for _, r := range s {
		if !keep(r) || r == '\ufeff' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if !keep(r) || r == '\ufeff' {
			return -1
		}
		return r
	}, s)
}

// oldSplitParagraphs splits text on blank lines (and form feeds), trimming
// trailing space from each line.
func oldSplitParagraphs(s string) []string {
	var out []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, "\n"))
			cur = cur[:0]
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(s, "\f", "\n\n"), "\n") {
		line = strings.TrimRight(line, " \t")
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return out
}
