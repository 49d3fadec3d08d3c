package orchestrator

import (
	"fmt"
	"strconv"
	"strings"
)

var moduleStateNames = [...]string{"init", "wait", "build", "done", "failed", "ready", "garbage"}

// String returns the MBS name of the state ("init", "wait", ...).
func (s ModuleState) String() string {
	if s >= 0 && int(s) < len(moduleStateNames) {
		return moduleStateNames[s]
	}
	return "ModuleState(" + strconv.Itoa(int(s)) + ")"
}

// Terminal reports whether no further work happens in state s on its own:
// done (scratch builds stay there), failed, ready and garbage.
func (s ModuleState) Terminal() bool {
	return s == StateDone || s == StateFailed || s == StateReady || s == StateGarbage
}

// Active reports whether the service works on builds in state s: init, wait
// and build.
func (s ModuleState) Active() bool { return s == StateInit || s == StateWait || s == StateBuild }

// ParseModuleState accepts a state name or its numeric code, as the MBS API
// does.
func ParseModuleState(v string) (ModuleState, error) {
	for i, n := range moduleStateNames {
		if strings.EqualFold(v, n) {
			return ModuleState(i), nil
		}
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < len(moduleStateNames) {
		return ModuleState(n), nil
	}
	return 0, fmt.Errorf("%w: invalid module state %q", ErrInvalid, v)
}

var componentStateNames = [...]string{"BUILDING", "COMPLETE", "DELETED", "FAILED", "CANCELED"}

// String returns koji's name of the state ("BUILDING", "COMPLETE", ...).
func (s ComponentState) String() string {
	if s >= 0 && int(s) < len(componentStateNames) {
		return componentStateNames[s]
	}
	return "ComponentState(" + strconv.Itoa(int(s)) + ")"
}

// ParseComponentState accepts a koji build state name (any case) or its
// numeric code.
func ParseComponentState(v string) (ComponentState, error) {
	for i, n := range componentStateNames {
		if strings.EqualFold(v, n) {
			return ComponentState(i), nil
		}
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < len(componentStateNames) {
		return ComponentState(n), nil
	}
	return 0, fmt.Errorf("%w: invalid component state %q", ErrInvalid, v)
}

// moduleTransitions lists the allowed module state changes. Resubmit moves
// failed back to init or wait; the garbage collector moves failed and ready
// to garbage.
var moduleTransitions = map[ModuleState][]ModuleState{
	StateInit:   {StateWait, StateFailed},
	StateWait:   {StateBuild, StateFailed},
	StateBuild:  {StateDone, StateFailed},
	StateDone:   {StateReady, StateFailed},
	StateFailed: {StateInit, StateWait, StateGarbage},
	StateReady:  {StateGarbage},
}

// CanTransition reports whether a module build may move from one state to
// another.
func CanTransition(from, to ModuleState) bool {
	for _, s := range moduleTransitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// componentState returns a pointer to s, for ComponentBuild.State.
func componentState(s ComponentState) *ComponentState { return &s }
