package resolver

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors that callers branch on with [errors.Is]. The typed errors
// of this package wrap one of them.
var (
	// ErrNotFound: a module stream the input depends on has no build in the
	// source (MBS: "Cannot find any module builds for N:S").
	ErrNotFound = errors.New("module build not found")
	// ErrNoBaseModule: none of the base module streams the input buildrequires
	// exists in the source.
	ErrNoBaseModule = errors.New("base module not found")
	// ErrUnsatisfiable: no combination of streams satisfies a dependency block.
	// The error is a [*ConflictError] that explains every attempt.
	ErrUnsatisfiable = errors.New("dependencies cannot be satisfied")
	// ErrCycle: a dependency or build order graph has a cycle; the error is a
	// [*CycleError] listing every member.
	ErrCycle = errors.New("dependency cycle")
	// ErrBuildOrder: a component names a buildafter target that does not
	// exist, or mixes buildorder with buildafter.
	ErrBuildOrder = errors.New("invalid component build order")
	// ErrInput: the module given to expand or check is not usable (wrong
	// document type, broken static contexts, ambiguous stream choice).
	ErrInput = errors.New("invalid input module")
)

// NotFoundError reports a name:stream with no usable build.
type NotFoundError struct {
	Name, Stream string
	// RequiredBy is the NSVC of the build whose runtime requires named it, or
	// empty when the module being expanded buildrequires it.
	RequiredBy string
}

// Error implements error.
func (e *NotFoundError) Error() string {
	s := fmt.Sprintf("cannot find any module builds for %s:%s", e.Name, e.Stream)
	if e.RequiredBy != "" {
		s += " (required by " + e.RequiredBy + ")"
	}
	return s
}

// Unwrap returns [ErrNotFound].
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// CycleError lists every cycle found in a graph. Each cycle lists its
// members sorted, and the cycles are sorted by their first member.
type CycleError struct {
	// What names the graph: "buildafter" or "module dependencies".
	What   string
	Cycles [][]string
}

// Error implements error.
func (e *CycleError) Error() string {
	parts := make([]string, len(e.Cycles))
	for i, c := range e.Cycles {
		parts[i] = "[" + strings.Join(c, ", ") + "]"
	}
	return fmt.Sprintf("%s: %d cycle(s): %s", e.What, len(e.Cycles), strings.Join(parts, "; "))
}

// Unwrap returns [ErrCycle].
func (e *CycleError) Unwrap() error { return ErrCycle }
