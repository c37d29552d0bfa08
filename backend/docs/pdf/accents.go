package pdf

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// spacingAccents maps spacing accent characters, as fonts draw them, to
// the combining marks they stand for.
var spacingAccents = map[rune]rune{
	'\u00b4': '\u0301', '`': '\u0300', '\u02c6': '\u0302', '\u02dc': '\u0303', '\u00a8': '\u0308',
	'\u00af': '\u0304', '\u02d8': '\u0306', '\u02d9': '\u0307', '\u02da': '\u030a', '\u00b8': '\u0327',
	'\u02dd': '\u030b', '\u02db': '\u0328', '\u02c7': '\u030c',
}

// accentOf reports whether s is a single spacing accent, and its
// combining mark.
func accentOf(s string) (rune, bool) {
	r, n := utf8.DecodeRuneInString(s)
	if n != len(s) {
		return 0, false
	}
	c, ok := spacingAccents[r]
	return c, ok
}

// composeLast puts a combining mark on the last character of b, composing
// the pair where Unicode has a precomposed letter.
func composeLast(b []byte, mark rune) []byte {
	r, n := utf8.DecodeLastRune(b)
	if n == 0 || r == utf8.RuneError {
		return b
	}
	pair := string(r) + string(mark)
	return append(b[:len(b)-n], norm.NFC.String(pair)...)
}
