package app

import (
	"context"
	"errors"
	"log/slog"

	"github.com/chapelapp/chapel/backend/apperr"
)

// Error is what a bound method's failure looks like to the frontend.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Fields: for a form refused, what is wrong with each field (by its JSON name).
	Fields map[string]string `json:"fields,omitempty"`
}

// toError maps an error to {code, message}, logging internal errors once,
// here at the boundary.
func toError(log *slog.Logger, err error) Error {
	code := apperr.CodeOf(err)
	if errors.Is(err, context.Canceled) && code == apperr.Internal {
		code = apperr.Canceled
	}
	if code == apperr.Internal {
		log.Error("internal error", "err", err)
	}
	return Error{Code: string(code), Message: apperr.Message(err), Fields: apperr.FieldsOf(err)}
}
