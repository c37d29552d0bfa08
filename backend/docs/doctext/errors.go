package doctext

import (
	"errors"
	"fmt"
)

// Kind classifies an extraction failure.
type Kind int

const (
	Damaged        Kind = iota + 1 // the file is truncated or corrupt
	Empty                          // the file has no bytes
	Encrypted                      // the file needs a password
	TooLarge                       // the file expands past Limits.MaxInflated
	TooManyEntries                 // a zip-based file holds more than Limits.MaxEntries files
	TooDeep                        // nesting deeper than Limits.MaxDepth
	TooManyPages                   // a PDF with more than Limits.MaxPages pages
	NoText                         // a file with no text to read (a PDF of scanned images, a text file of blanks)
	Unreadable                     // reading the file failed (it vanished, a disk error)
	Internal                       // a bug in a reader, caught
	Binary                         // a file named as text that holds binary data (a program, an image)
)

// Error is an extraction failure. Its message is one sentence about the
// file, such as "this PDF is password-protected"; Err is the cause, kept
// for logs and errors.Is.
type Error struct {
	Kind Kind
	Msg  string
	Err  error
}

func (e *Error) Error() string { return e.Msg }

func (e *Error) Unwrap() error { return e.Err }

// UnsupportedError is a file whose format Chapel does not read.
type UnsupportedError struct {
	Ext string // the file name's extension, without the dot
}

func (e *UnsupportedError) Error() string {
	if e.Ext == "" {
		return "Chapel can't read files of this kind yet"
	}
	return fmt.Sprintf("Chapel can't read .%s files yet", e.Ext)
}

// KindOf returns the Kind of err, or 0 when err is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// DamagedError is the failure of a file of format f that is truncated or
// corrupt.
func DamagedError(f Format, cause error) *Error {
	return &Error{Kind: Damaged, Msg: fmt.Sprintf("this %s is damaged or incomplete", FormatNoun(f)), Err: cause}
}

// ReadError is the failure to read a file at all (it vanished, a disk
// error).
func ReadError(cause error) *Error {
	return &Error{Kind: Unreadable, Msg: "the file could not be read; it may have been moved or deleted", Err: cause}
}

// TooLargeError is a file of format f that expands past limit bytes.
func TooLargeError(f Format, limit int64) *Error {
	return &Error{Kind: TooLarge, Msg: fmt.Sprintf("this %s expands to more than %d MB; Chapel stops there", FormatNoun(f), limit>>20)}
}

// TooDeepError is a file of format f that nests its content deeper than
// limit levels.
func TooDeepError(f Format, limit int) *Error {
	return &Error{Kind: TooDeep, Msg: fmt.Sprintf("this %s nests its content more than %d levels deep; Chapel stops there", FormatNoun(f), limit)}
}
