package orchestrator

import (
	"encoding/json"
	"log/slog"
	"time"
)

// ModuleState is a module build state; the numeric codes are MBS's and appear
// in the REST API and in messages.
type ModuleState int

// Module build states (MBS codes).
const (
	StateInit    ModuleState = 0
	StateWait    ModuleState = 1
	StateBuild   ModuleState = 2
	StateDone    ModuleState = 3
	StateFailed  ModuleState = 4
	StateReady   ModuleState = 5
	StateGarbage ModuleState = 6
)

// ComponentState is a component build state, using koji's build state codes.
// A component not yet submitted has no state (see ComponentBuild.State).
type ComponentState int

// Component build states (koji BUILD_STATES).
const (
	ComponentBuilding ComponentState = 0
	ComponentComplete ComponentState = 1
	ComponentDeleted  ComponentState = 2
	ComponentFailed   ComponentState = 3
	ComponentCanceled ComponentState = 4
)

// ModuleBuild is one module build: one expanded context of a submitted
// module, identified by its NSVC.
type ModuleBuild struct {
	ID      int64
	Name    string
	Stream  string
	Version string // a decimal string, as MBS stores it
	Context string

	BuildContext      string
	BuildContextNoBMS string
	RuntimeContext    string

	State       ModuleState
	StateReason string
	// Modulemd is the expanded module stream as YAML, including xmd. Before
	// expansion (state init) it is the submitted stream.
	Modulemd string
	// Defaults are the modulemd-defaults documents (YAML) submitted with the
	// module definition, or implied by its packager v3 default profiles;
	// the builder publishes them with the module. Empty when there are none.
	Defaults string
	// SourceVersion is the version before the base-module prefix: the commit
	// time of an SCM submit, the submit time of a YAML submit. Builds of one
	// submission share it; it finds previous builds on resubmit.
	SourceVersion string
	// KojiTag is the module's koji tag (module-N-S-V-C), set by expansion.
	KojiTag string
	// DistTag is the RPM dist tag of the components
	// (".module+<marking>+<index>+<hash8>"), set by expansion.
	DistTag string

	SCMURL          string
	Owner           string
	Scratch         bool
	RebuildStrategy string
	Batch           int // the batch being built; 0 before the first
	ReusedModuleID  int64
	// Publication is where Builder.Finalize published the module.
	Publication Publication

	TimeSubmitted time.Time
	TimeModified  time.Time
	TimeCompleted time.Time // zero until done or failed
}

// ComponentBuild is one component of a module build.
type ComponentBuild struct {
	ID       int64
	ModuleID int64
	Package  string
	// SCMURL is the component's repository with the pinned commit
	// ("repo?#<commit>").
	SCMURL string
	Ref    string // full commit hash
	Format string // "rpms"
	Batch  int
	// State is nil until the component is submitted.
	State       *ComponentState
	StateReason string
	TaskID      string
	NVR         string
	// BuildTimeOnly marks module-build-macros, which is not part of the
	// result.
	BuildTimeOnly     bool
	Buildonly         bool
	ReusedComponentID int64
	Weight            float64
	// Attempt counts the submissions of this component: 0 for the first,
	// incremented when a resubmitted module build resets it. Builders make
	// Submit idempotent per (ID, Attempt).
	Attempt int
	// RPMs and Licenses are the builder's report for a complete build
	// (N-E:V-R.A strings and licence expressions).
	RPMs     []string
	Licenses []string
}

// Waiting reports whether c has not been submitted yet.
func (c *ComponentBuild) Waiting() bool { return c.State == nil }

// Unbuilt reports whether c is waiting or building.
func (c *ComponentBuild) Unbuilt() bool {
	return c.State == nil || *c.State == ComponentBuilding
}

// StateTrace is one recorded module build state transition.
type StateTrace struct {
	Time   time.Time
	State  ModuleState
	Reason string
}

// ComponentTrace is one recorded component build state change.
type ComponentTrace struct {
	Time   time.Time
	State  *ComponentState // nil = waiting
	Reason string
	TaskID string
}

// LogMessage is a user-visible message about a module build or one of its
// components (ComponentID 0 = the module itself): reuse decisions, failures,
// resubmits.
type LogMessage struct {
	ID          int64
	ModuleID    int64
	ComponentID int64
	Time        time.Time
	Message     string
	// Level is slog's: 0 (info) for the service's own messages,
	// slog.LevelDebug for a builder's detail (every koji call of the koji
	// builder), which listings leave out unless asked.
	Level slog.Level
}

// Event is a message published after the state it describes is committed;
// the store keeps unsent ones in an outbox table.
type Event struct {
	ID int64
	// MessageID is the event's unique message id (a random UUID), the same
	// on every delivery attempt so consumers can drop duplicates.
	MessageID string
	Topic     string
	Time      time.Time
	// Body is the JSON message: a [ModuleMessage] for module state changes,
	// a [ComponentMessage] for component state changes.
	Body json.RawMessage
}
