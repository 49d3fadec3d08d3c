package orchestrator

import (
	"context"
	"time"
)

// Store keeps the whole state of the service: module builds, component
// builds, state traces, log messages and the event outbox. Every change the
// service makes goes through one [Tx] inside Update, so a state change and the
// events describing it are committed together.
//
// The sub-package sqlstore is the embedded SQLite implementation; the contract
// suite in storetest checks any implementation.
type Store interface {
	// Update runs fn in a read-write transaction, committed if fn returns
	// nil and rolled back otherwise.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Close releases the store.
	Close() error

	// Claim takes or renews the lease called name for holder, valid for
	// ttl from now (by the database's clock where it has one). It reports
	// whether holder holds the lease afterwards: false when another holder's
	// lease has not expired. Several service processes sharing one store
	// claim units of work with it ([Service] uses "module/<id>" per module
	// build, "outbox" and "cleanup"); a holder that dies loses its leases
	// when they expire.
	Claim(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// Release ends holder's lease called name; it does nothing when holder
	// does not hold it.
	Release(ctx context.Context, name, holder string) error
}

// Tx is one store transaction. Lookups of a missing row return an error
// wrapping [ErrNotFound]; inserting a duplicate NSVC returns an error wrapping
// [ErrConflict]. A Tx must not be used after its Update or View returned.
//
// Update transactions that change a module build or its components read the
// module build first (ModuleBuild): in an Update transaction that read locks
// the row until the transaction ends, so the changes to one module build,
// and the events describing them, are committed one transaction after
// another even when several processes share the store.
type Tx interface {
	// CreateModuleBuild inserts mb and sets mb.ID.
	CreateModuleBuild(ctx context.Context, mb *ModuleBuild) error
	// UpdateModuleBuild writes every field of mb (found by ID).
	UpdateModuleBuild(ctx context.Context, mb *ModuleBuild) error
	// ModuleBuild returns the build with the given id; in an Update
	// transaction it locks the row until the transaction ends.
	ModuleBuild(ctx context.Context, id int64) (*ModuleBuild, error)
	// ListModuleBuilds returns the builds matching f (nil = all, newest
	// first) and the number of matches before Limit and Offset.
	ListModuleBuilds(ctx context.Context, f *ModuleBuildFilter) ([]*ModuleBuild, int, error)

	// CreateComponentBuild inserts c and sets c.ID.
	CreateComponentBuild(ctx context.Context, c *ComponentBuild) error
	// UpdateComponentBuild writes every field of c (found by ID).
	UpdateComponentBuild(ctx context.Context, c *ComponentBuild) error
	// ComponentBuild returns the component build with the given id.
	ComponentBuild(ctx context.Context, id int64) (*ComponentBuild, error)
	// ListComponentBuilds returns the component builds matching f (nil =
	// all, by id) and the number of matches before Limit and Offset.
	ListComponentBuilds(ctx context.Context, f *ComponentBuildFilter) ([]*ComponentBuild, int, error)

	// AddModuleTrace records a module state transition.
	AddModuleTrace(ctx context.Context, moduleID int64, t StateTrace) error
	// ModuleTraces returns the transitions of a module build, oldest first.
	ModuleTraces(ctx context.Context, moduleID int64) ([]StateTrace, error)
	// AddComponentTrace records a component state change.
	AddComponentTrace(ctx context.Context, componentID int64, t ComponentTrace) error
	// ComponentTraces returns the changes of a component build, oldest first.
	ComponentTraces(ctx context.Context, componentID int64) ([]ComponentTrace, error)

	// AddLogMessage inserts m and sets m.ID.
	AddLogMessage(ctx context.Context, m *LogMessage) error
	// LogMessages returns the messages matching f, newest first, and the
	// number of matches before Limit and Offset.
	LogMessages(ctx context.Context, f *LogMessageFilter) ([]*LogMessage, int, error)

	// AddEvent puts e in the outbox and sets e.ID.
	AddEvent(ctx context.Context, e *Event) error
	// PendingEvents returns up to limit unsent events, oldest first.
	PendingEvents(ctx context.Context, limit int) ([]*Event, error)
	// MarkEventsSent removes events from the outbox.
	MarkEventsSent(ctx context.Context, ids []int64) error

	// HoldsLease reports whether holder holds the unexpired lease called
	// name (see [Store.Claim]). In an Update transaction a held lease
	// cannot be taken over before the transaction ends, so work done under
	// a lease checks it in the transaction that records the work.
	HoldsLease(ctx context.Context, name, holder string) (bool, error)
}

// Order is one ordering key of a list query.
type Order struct {
	// Field is a column name as the MBS API spells it ("id", "version",
	// "time_submitted", ...).
	Field string
	Desc  bool
}

// ModuleBuildColumns are the fields a module build list may be ordered by.
var ModuleBuildColumns = []string{
	"id", "name", "stream", "version", "context", "state", "state_reason",
	"build_context", "build_context_no_bms", "runtime_context", "scmurl",
	"owner", "scratch", "rebuild_strategy", "batch", "koji_tag",
	"reused_module_id", "time_submitted", "time_modified", "time_completed",
}

// ComponentBuildColumns are the fields a component build list may be ordered
// by.
var ComponentBuildColumns = []string{
	"id", "module_id", "package", "scmurl", "ref", "format", "batch", "state",
	"state_reason", "task_id", "nvr", "build_time_only", "buildonly",
	"reused_component_id", "weight",
}

// ModuleBuildFilter selects module builds. Zero fields match anything;
// string fields match exactly.
type ModuleBuildFilter struct {
	IDs                                        []int64
	Name, Stream, Version, Context             string
	Owner, SCMURL, RebuildStrategy, KojiTag    string
	BuildContext, BuildContextNoBMS            string
	RuntimeContext, SourceVersion, StateReason string
	Scratch                                    *bool
	Batch                                      *int
	// States matches any of the listed states.
	States []ModuleState
	// Time bounds are exclusive; zero = unbounded.
	SubmittedBefore, SubmittedAfter time.Time
	ModifiedBefore, ModifiedAfter   time.Time
	CompletedBefore, CompletedAfter time.Time
	// OrderBy defaults to id descending; "version" sorts numerically.
	OrderBy []Order
	// Limit 0 means no limit.
	Limit, Offset int
}

// ComponentBuildFilter selects component builds.
type ComponentBuildFilter struct {
	IDs                      []int64
	ModuleID                 int64
	Package, Format, SCMURL  string
	Ref, TaskID, NVR         string
	StateReason              string
	Batch                    *int
	BuildTimeOnly, Buildonly *bool
	ReusedComponentID        *int64
	// States matches any of the listed states; Waiting also matches
	// components not yet submitted. Both empty = any.
	States  []ComponentState
	Waiting bool
	// OrderBy defaults to id ascending.
	OrderBy       []Order
	Limit, Offset int
}

// LogMessageFilter selects log messages: those of a module build (including
// its components' when ComponentID is 0) or of one component build.
type LogMessageFilter struct {
	ModuleID    int64
	ComponentID int64
	// Debug includes messages below slog.LevelInfo (a builder's detail).
	Debug bool
	// Limit 0 means no limit.
	Limit, Offset int
}

// SlotTx is implemented by the transactions of stores that several
// service processes share (pgstore), so that [Options.GlobalConcurrency]
// holds across the processes: a component build takes a slot in the store
// before it is submitted. The components using slots are those BUILDING
// (not reused) and those waiting that hold a reservation (a process may
// have died between reserving and recording the submission: the component
// may be running in the build system, so it keeps counting until the
// module build's next worker submits or adopts it).
type SlotTx interface {
	// ReserveBuildSlots reserves slots for the waiting component builds
	// ids, in order, while fewer than limit are used, and returns those
	// that hold one afterwards (including any reserved before). Two
	// transactions reserving at once are serialized, so the limit is never
	// exceeded.
	ReserveBuildSlots(ctx context.Context, ids []int64, limit int) ([]int64, error)
	// ReleaseBuildSlots drops the reservations of ids (recorded as
	// submitted or failed).
	ReleaseBuildSlots(ctx context.Context, ids []int64) error
}
