package orchestrator

import "time"

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
	// Modulemd is the expanded module stream as YAML, including xmd.
	Modulemd string

	SCMURL          string
	Owner           string
	Scratch         bool
	RebuildStrategy string
	Batch           int // the batch being built; 0 before the first
	ReusedModuleID  int64

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
}
