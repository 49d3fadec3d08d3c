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
	// ErrDefaultModules: the default modules of a base module could not be
	// read (MBS: "Failed to retrieve the default modules").
	ErrDefaultModules = errors.New("Failed to retrieve the default modules")
	// ErrUnusable: a build that stream expansion chose cannot be
	// buildrequired yet or at all; the error is an [*UnusableError].
	ErrUnusable = errors.New("module build cannot be buildrequired")
)

// UnusableError reports a chosen dependency the build service refuses to
// build against (MBS resolve_requires): another context of the same
// name:stream:version is neither ready nor failed, or the build predates
// module stream expansion (no xmd.mbs.mse). Only a [StateSource] gives the
// facts to raise it.
type UnusableError struct {
	// NSVC is the dependency's name:stream:version:context.
	NSVC string
	// SiblingContext and SiblingState name the offending other context,
	// when that is the reason.
	SiblingContext, SiblingState string
	// NotMSE is set when the build has no xmd.mbs.mse.
	NotMSE bool
}

// Error implements error, with MBS's wording.
func (e *UnusableError) Error() string {
	if e.NotMSE {
		return fmt.Sprintf("The module %q is not built using Module Stream Expansion. Please rebuild this module first", e.NSVC)
	}
	p := strings.SplitN(e.NSVC, ":", 4)
	for len(p) < 3 {
		p = append(p, "")
	}
	return fmt.Sprintf("Buildrequire %s-%s-%s is in %q state", p[0], p[1], p[2], e.SiblingState)
}

// Unwrap returns [ErrUnusable].
func (e *UnusableError) Unwrap() error { return ErrUnusable }

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
