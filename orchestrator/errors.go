package orchestrator

import (
	"errors"
	"fmt"
)

// Sentinel errors callers branch on; the REST API maps them to HTTP status
// codes (400, 403, 404, 409, 422).
var (
	// ErrNotFound: no such module or component build.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the module build exists already and is not failed, or a
	// state change is not allowed from the current state.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the request is malformed or breaks a rule.
	ErrInvalid = errors.New("invalid request")
	// ErrForbidden: the user may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrUnprocessable: the request is well formed but cannot be satisfied
	// (for example no dependency combination is satisfiable).
	ErrUnprocessable = errors.New("unprocessable")
)

// invalidf returns an error wrapping ErrInvalid.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// RequestError is a rejected request: Err is one of the sentinels, Msg the
// message shown to the user (MBS's wording where MBS has one).
type RequestError struct {
	Err error
	Msg string
}

func (e *RequestError) Error() string { return e.Msg }

// Unwrap returns the sentinel.
func (e *RequestError) Unwrap() error { return e.Err }

func reqErr(sentinel error, format string, args ...any) error {
	return &RequestError{Err: sentinel, Msg: fmt.Sprintf(format, args...)}
}
