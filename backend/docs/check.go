package docs

import (
	"bytes"
	"fmt"
	"strings"
)

// notTextError is a file named as text (.txt, .md) that holds binary data.
func notTextError() *Error {
	return &Error{Kind: Binary, Msg: "this file does not look like text (it holds binary data)"}
}

// noTextError is a file that was read but holds no text at all (only
// blanks, or only bytes that are not characters, such as zeros).
func noTextError() *Error {
	return &Error{Kind: NoText, Msg: "this file has no text to read"}
}

// checkText refuses a plain-text or Markdown file whose first block is
// binary data: a program or an image renamed .txt was read as text and
// summarised as garbage.
func checkText(f Format, head []byte) error {
	if (f == Text || f == Markdown) && binaryHead(head) {
		return notTextError()
	}
	return nil
}

// binaryHead reports whether the start of a file (the first kilobyte that
// Detect reads) is binary data rather than text: more than 3 bytes in 100
// (and at least 4) are NUL or other control characters no text uses.
// Programs, images and compressed data are full of them; a stray one in
// text is dropped (decodeText). Text in UTF-16, whose zero bytes are half
// its characters', is text. Bytes that are not UTF-8 alone do not make a
// file binary: text in an 8-bit code page (Windows-1251, ISO 8859) is
// mostly such bytes. Zeros that end the block are padding, not data (a
// file of zeros alone is refused for having no text: noTextError).
func binaryHead(h []byte) bool {
	h = bytes.TrimRight(h, "\x00") // zeros at the end are padding (a file preallocated, or cut by a crash)
	if len(h) == 0 {
		return false
	}
	if bytes.HasPrefix(h, []byte{0xFF, 0xFE}) || bytes.HasPrefix(h, []byte{0xFE, 0xFF}) {
		return false
	}
	if le, be := utf16Guess(h); le || be {
		return false
	}
	odd := 0
	for _, c := range h {
		switch {
		case c == '\t', c == '\n', c == '\r', c == '\f', c == '\v', c == '\b', c == 0x1B:
			// layout, man pages' overstrike, terminal colours
		case c < 0x20, c == 0x7F:
			odd++
		}
	}
	return odd >= 4 && odd*100 > len(h)*3
}

// blank reports whether extracted text holds nothing but white space.
func blank(s string) bool { return strings.TrimSpace(s) == "" }

// PagesWarning says what a PDF cut short is missing, in a sentence
// without the file's name (the window's pagesWarning, in
// frontend/src/lib/document-text.ts, says the same): pages it announces
// that could not be read, or its lost list of pages. It is "" for a
// complete document. pages is the count read, announced the count the
// file states (0 when it states none), lost that its list of pages is
// missing.
func PagesWarning(pages, announced int, lost bool) string {
	switch {
	case announced > pages:
		return fmt.Sprintf("this PDF is damaged or cut short: only %d of the %d pages it announces could be read", pages, announced)
	case lost:
		noun := "pages"
		if pages == 1 {
			noun = "page"
		}
		return fmt.Sprintf("this PDF is damaged or cut short: its list of pages is missing, so only the %d %s found could be read", pages, noun)
	}
	return ""
}
