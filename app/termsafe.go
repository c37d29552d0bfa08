package app

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Everything the command line prints that came from a user, a file or a
// model (conversation titles, document names, model names, replies,
// summaries, error sentences naming files) goes through termLine or
// termText first: a title with an escape sequence must not move the cursor,
// recolour or clear the terminal, and a name with a bidi override must not
// reorder what follows it. JSON output needs neither: encoding/json escapes
// control characters itself.

// termLine makes s safe to print on one line of a terminal: every control
// character (C0 including newline and tab, DEL, C1), every bidi control
// and every byte that is not UTF-8 is shown as a visible escape (\x1b,
// \n, \u202e).
func termLine(s string) string { return termEscape(s, false) }

// termText is termLine for text that has lines of its own (a reply, a
// summary, a document's text): newlines, tabs and form feeds (which
// separate a PDF's pages) stay as they are.
func termText(s string) string { return termEscape(s, true) }

func termEscape(s string, multiline bool) string {
	if termClean(s, multiline) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case multiline && (r == '\n' || r == '\t' || r == '\f'):
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// termClean reports whether s has nothing termEscape would change (the
// common case, without allocating).
func termClean(s string, multiline bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 || c == 0x7f) && !(multiline && (c == '\n' || c == '\t' || c == '\f')) {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 || unsafeRune(r) {
			return false
		}
		i += size
	}
	return true
}

// unsafeRune reports the non-ASCII runes a terminal acts on: the C1
// controls (U+0080–U+009F; U+009B is a CSI on many terminals) and the
// bidi embeddings, overrides and isolates, which reorder the text after
// them (the "Trojan source" characters).
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	case r == 0x200e || r == 0x200f || r == 0x061c: // LRM, RLM, ALM
		return true
	}
	return false
}
