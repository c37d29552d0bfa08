// Package apperr owns Chapel's error codes: every error that crosses a package
// boundary towards the user carries one of a few codes (invalid, not found,
// conflict, unavailable, internal) and a sentence a person can read.
package apperr

import (
	"errors"
	"fmt"
)

// Code classifies an error for the user interface and the CLI.
type Code string

const (
	Invalid     Code = "invalid"     // the request or the input file is wrong
	NotFound    Code = "not_found"   // the thing asked for does not exist
	Conflict    Code = "conflict"    // the request clashes with the current state
	Unavailable Code = "unavailable" // something needed is not ready (no model loaded, engine busy)
	Canceled    Code = "canceled"    // the user stopped it
	Internal    Code = "internal"    // a bug or an environment failure
)

// Error is an error with a code and a user-facing message. Err, when set, is
// the underlying cause kept for logs and errors.Is.
type Error struct {
	Code Code
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Msg == "" {
		return e.Err.Error()
	}
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with the given code and a formatted message.
func New(code Code, format string, args ...any) error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Wrap gives err a code and a message; a nil err stays nil.
func Wrap(code Code, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...), Err: err}
}

// CodeOf returns the code of the outermost coded error in err's chain, or
// Internal when there is none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Message returns the sentence to show a person: for a coded error its
// message (with the cause for anything but internal errors), and a generic
// sentence for uncoded or internal errors, whose details belong in the log.
func Message(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		return "Something went wrong inside Chapel; the details are in the log."
	}
	if e.Code == Internal {
		if e.Msg != "" {
			return e.Msg
		}
		return "Something went wrong inside Chapel; the details are in the log."
	}
	return e.Error()
}
