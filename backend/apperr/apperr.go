// Package apperr owns Chapel's error codes: every error that crosses a package
// boundary towards the user carries one of a few codes (invalid, not found,
// conflict, unavailable, internal) and a sentence a person can read.
package apperr

import (
	"errors"
	"fmt"
	"slices"
	"strings"
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
	// Fields, for a form's input, maps each field refused to what is wrong with it.
	Fields map[string]string
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

// Problem is what is wrong with one field of a form: Field is its JSON name.
type Problem struct {
	Field string
	Msg   string
}

// Checks collects a form's problems: Add one for each rule, then Problems(c).
type Checks []Problem

// Add records the problem with field (format, args) when bad holds.
func (c *Checks) Add(bad bool, field, format string, args ...any) {
	if bad {
		*c = append(*c, Problem{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
}

// Problems is an Invalid error naming every field a form got wrong, each
// with its own message (the window shows each under its field); its message
// is theirs, joined. No problems: nil.
func Problems(ps []Problem) error {
	if len(ps) == 0 {
		return nil
	}
	fields := make(map[string]string, len(ps))
	msgs := make([]string, 0, len(ps))
	for _, p := range ps {
		if _, seen := fields[p.Field]; !seen && p.Field != "" {
			fields[p.Field] = p.Msg
		}
		if !slices.Contains(msgs, p.Msg) {
			msgs = append(msgs, p.Msg)
		}
	}
	return &Error{Code: Invalid, Msg: strings.Join(msgs, "; "), Fields: fields}
}

// FieldsOf returns the fields of the first coded error in err's chain that
// names any (nil when none does).
func FieldsOf(err error) map[string]string {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return nil
		}
		if len(e.Fields) > 0 {
			return e.Fields
		}
		err = e.Err
	}
	return nil
}
