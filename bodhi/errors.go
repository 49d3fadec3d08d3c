package bodhi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinels matched with errors.Is against an [*Error].
var (
	ErrBadRequest = errors.New("bodhi: bad request")   // HTTP 400: validation failed
	ErrForbidden  = errors.New("bodhi: forbidden")     // HTTP 403: not logged in or not allowed
	ErrNotFound   = errors.New("bodhi: not found")     // HTTP 404
	ErrNoSession  = errors.New("bodhi: not logged in") // a write without cookie or token source
)

// ErrorDetail is one entry of Bodhi's error body (Cornice's json_error).
type ErrorDetail struct {
	Location    string `json:"location"` // body, querystring, url, header
	Name        string `json:"name"`     // the field, e.g. "builds"
	Description string `json:"description"`
}

// Error is a non-2xx answer from Bodhi.
type Error struct {
	Method     string // HTTP method
	Path       string // request path, e.g. "/updates/"
	StatusCode int
	// Errors are the entries of the body's "errors" list; empty when the
	// body was not Bodhi's error JSON (then Body holds its start).
	Errors []ErrorDetail
	Body   string
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bodhi: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	for i, d := range e.Errors {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		if d.Name != "" {
			fmt.Fprintf(&b, "%s %s: ", d.Location, d.Name)
		}
		b.WriteString(d.Description)
	}
	if len(e.Errors) == 0 && e.Body != "" {
		b.WriteString(": ")
		b.WriteString(e.Body)
	}
	return b.String()
}

// Is matches the sentinel for the status code.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	}
	return false
}

// Field returns the first error entry about the named field, or nil.
func (e *Error) Field(name string) *ErrorDetail {
	for i := range e.Errors {
		if e.Errors[i].Name == name {
			return &e.Errors[i]
		}
	}
	return nil
}

// errorBody is Bodhi's error JSON.
type errorBody struct {
	Status string        `json:"status"`
	Errors []ErrorDetail `json:"errors"`
}
