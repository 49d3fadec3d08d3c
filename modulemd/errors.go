package modulemd

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors that callers branch on with [errors.Is]. Typed errors from
// this package wrap one of them where one applies.
var (
	// ErrSyntax: the input is not well-formed YAML.
	ErrSyntax = errors.New("YAML syntax error")
	// ErrUnknownDocument: the `document:` header names no known type, or the
	// version is not one this type has.
	ErrUnknownDocument = errors.New("unknown document type or version")
	// ErrMissingHeader: a document lacks `document:`, `version:` or `data:`.
	ErrMissingHeader = errors.New("missing document header")
	// ErrUnknownKey: a key the format does not define (strict mode only).
	ErrUnknownKey = errors.New("unknown key")
	// ErrType: a value has the wrong YAML shape or cannot be read as the
	// expected scalar type.
	ErrType = errors.New("wrong value type")
	// ErrMissingField: a required field is absent or empty.
	ErrMissingField = errors.New("missing required field")
	// ErrInvalid: a semantic rule is broken.
	ErrInvalid = errors.New("invalid value")
	// ErrDuplicate: a key, document or stream appears twice where only one is
	// allowed.
	ErrDuplicate = errors.New("duplicate")
	// ErrLimit: the input exceeds a safety limit (alias expansion, nesting
	// depth, size).
	ErrLimit = errors.New("input exceeds a safety limit")
	// ErrConflict: two documents disagree (for example default streams while
	// merging in strict mode, or two streams with one NSVCA and different
	// content).
	ErrConflict = errors.New("conflict")
	// ErrUpgrade: an upgrade or downgrade that is not possible.
	ErrUpgrade = errors.New("cannot upgrade")
)

// ParseError describes one problem found while reading or validating a
// document. It locates the problem by file, line, column and field path, says
// what was expected, and wraps one of the package's sentinel errors.
type ParseError struct {
	File   string // as given to the decoder; may be empty
	Doc    int    // 1-based index of the document in the stream; 0 if unknown
	Line   int    // 1-based; 0 if unknown
	Column int    // 1-based; 0 if unknown
	Path   string // field path such as "data.components.rpms.foo.buildorder"
	Msg    string // what is wrong and what was expected
	Err    error  // sentinel; see the Err* variables
}

// Error formats the problem as "file:line:col: path: message".
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:%d:", e.Line, e.Column)
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the sentinel the error belongs to.
func (e *ParseError) Unwrap() error { return e.Err }

// Warning is a lint finding: something valid that is probably a mistake. It
// never makes a document invalid.
type Warning struct {
	File   string
	Doc    int
	Line   int
	Column int
	Path   string
	Msg    string
	// Code is a short stable identifier such as "missing-rationale".
	Code string
}

// String formats the warning as "file:line:col: path: message [code]".
func (w Warning) String() string {
	e := ParseError{File: w.File, Line: w.Line, Column: w.Column, Path: w.Path, Msg: w.Msg}
	return e.Error() + " [" + w.Code + "]"
}
