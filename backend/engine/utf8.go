package engine

import (
	"strings"
	"unicode/utf8"
)

// textAssembler turns a stream of token bytes into valid UTF-8 text. A token
// can end in the middle of a multi-byte character; those bytes wait for the
// next token. Bytes that can never form a character become U+FFFD.
type textAssembler struct {
	pending []byte
}

// push adds b and returns the text that is complete so far.
func (a *textAssembler) push(b []byte) string {
	a.pending = append(a.pending, b...)
	var out []byte
	i := 0
	for i < len(a.pending) {
		r, size := utf8.DecodeRune(a.pending[i:])
		if r == utf8.RuneError && size <= 1 {
			if !utf8.FullRune(a.pending[i:]) {
				break // an incomplete character at the end: wait for more
			}
			out = append(out, "\uFFFD"...)
			i++
			continue
		}
		out = append(out, a.pending[i:i+size]...)
		i += size
	}
	a.pending = append(a.pending[:0], a.pending[i:]...)
	return string(out)
}

// flush returns whatever is left, with incomplete characters replaced.
func (a *textAssembler) flush() string {
	if len(a.pending) == 0 {
		return ""
	}
	s := strings.ToValidUTF8(string(a.pending), "\uFFFD")
	a.pending = a.pending[:0]
	return s
}
