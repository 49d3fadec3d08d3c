package orchestrator

import (
	"context"
	"log/slog"

	"github.com/modkit/modkit/modulemd"
)

// Builder is the build-system side of a module build. A koji builder submits
// tasks and waits for repositories; a local builder runs rpmbuild and
// createrepo_c. Every method must be safe to call again after a restart: the
// service reconciles unfinished builds by calling Poll, and re-calls Prepare,
// FinishBatch and Finalize when it cannot tell whether they completed.
type Builder interface {
	// Prepare sets up the buildroot of mb (koji: tags, groups, target and
	// inheritance; local: work directories and the module macros).
	Prepare(ctx context.Context, mb *ModuleBuild, stream *modulemd.Stream) error
	// Submit starts building component c, whose SCMURL and Ref are pinned
	// (module-build-macros has neither: its spec is [MacrosSpec]). It
	// returns a task identifier that Poll and Cancel accept. Submit must
	// be idempotent per (c.ID, c.Attempt): the service may call it again
	// after a crash between Submit and recording the task, and the
	// component must not be built twice (koji: find the existing task or
	// build; local: a record on disk).
	Submit(ctx context.Context, mb *ModuleBuild, c *ComponentBuild) (taskID string, err error)
	// Poll reports the state of a submitted component build.
	Poll(ctx context.Context, mb *ModuleBuild, c *ComponentBuild) (ComponentResult, error)
	// Cancel stops a component build that is still running.
	Cancel(ctx context.Context, mb *ModuleBuild, c *ComponentBuild) error
	// FinishBatch makes the successful builds of a batch available to the
	// batches after it (koji: tag and regenerate the build repo; local:
	// createrepo_c). built includes reused components (ReusedComponentID
	// set, reused from module build mb.ReusedModuleID). The service does
	// not call it after the last batch (MBS skips the repository
	// regeneration there too): Finalize gets every built component.
	FinishBatch(ctx context.Context, mb *ModuleBuild, batch int, built []*ComponentBuild) error
	// Finalize publishes the finished module: final is the module stream
	// with artifacts filled in by the caller from the ComponentResults.
	Finalize(ctx context.Context, mb *ModuleBuild, final *modulemd.Stream, built []*ComponentBuild) (Publication, error)
}

// ComponentResult is what a Builder reports about one component build.
type ComponentResult struct {
	State  ComponentState
	NVR    string // set when complete
	Reason string // why it failed, when it did
	// RPMs lists the binary and source RPMs produced, as N-E:V-R.A strings.
	RPMs []string
	// Licenses lists the licences of the produced RPMs.
	Licenses []string
}

// Publication says where a finished module was published.
type Publication struct {
	// Repository is a local repository directory (local builder) or a koji
	// tag (koji builder).
	Repository string
	// KojiBuildID is the content-generator build, when there is one.
	KojiBuildID int64
}

// RecoveryReporter is implemented by builders that clean up after an
// earlier process on the same state when they start (the local builder
// kills the rpmbuild processes a crashed service left running). At the
// start of Run the service records each [Recovery] as a message on its
// module build and component build.
type RecoveryReporter interface {
	// Recovered returns the recoveries not reported yet and forgets them.
	Recovered() []Recovery
}

// Recovery is one cleanup a builder did after a crash.
type Recovery struct {
	ModuleID, ComponentID int64
	Message               string
}

// Notifier is implemented by builders that learn when a component build
// ends (the local builder runs the builds itself). The service registers a
// function and polls at once when it is called, instead of at its next
// poll; Poll stays the source of truth and reconciles builds after a
// restart, so a lost notification only delays the service.
type Notifier interface {
	// Notify registers fn. The builder calls it, from any goroutine and
	// without holding its locks, after a component build's result became
	// visible to Poll.
	Notify(fn func())
}

// Prefetcher is implemented by builders that can do the input-only part of
// component builds (fetching the pinned sources, parsing the spec) ahead of
// their batch, while earlier batches build. When it submits a batch, the
// service passes the components of later batches that are not yet
// submitted or reused. Prefetch is a hint: it must return at once, and
// Submit must give the same result whether or not Prefetch was called (a
// restarted service does not repeat it).
type Prefetcher interface {
	Prefetch(mb *ModuleBuild, later []*ComponentBuild)
}

// BuildLog writes a message into the log messages of module build
// moduleID (and of its component componentID, 0 = the module itself).
type BuildLog func(ctx context.Context, moduleID, componentID int64, level slog.Level, message string)

// BuildLogger is implemented by builders whose detail belongs in the
// module build's log messages (the koji builder records every koji call at
// debug level, so a user can see why a build waits). The service registers
// its log with SetBuildLog before it calls the builder.
type BuildLogger interface {
	SetBuildLog(BuildLog)
}

// BatchPoller is implemented by builders that can report on many running
// component builds of a module build at once (the koji builder uses one
// multicall); the service then calls PollBatch instead of Poll. Results
// and errors are indexed like cs; an error for one component leaves it
// building until the next poll.
type BatchPoller interface {
	PollBatch(ctx context.Context, mb *ModuleBuild, cs []*ComponentBuild) ([]ComponentResult, []error)
}

// Janitor is implemented by builders that keep build-system resources for
// module builds (koji: targets and tags). [Service.Cleanup] calls Sweep on
// every pass, and Garbage when a failed module build moves to garbage.
type Janitor interface {
	// Sweep releases what finished module builds no longer need (koji:
	// deletes targets some time after completion). find returns the module
	// build whose koji tag is tag, or ErrNotFound.
	Sweep(ctx context.Context, find func(ctx context.Context, tag string) (*ModuleBuild, error)) error
	// Garbage releases the results of a failed module build that moved to
	// garbage (koji: untags its completed components from its tags).
	Garbage(ctx context.Context, mb *ModuleBuild, comps []*ComponentBuild) error
}

// BatchCanceler is implemented by builders that cancel many component
// builds at once (the koji builder cancels their tasks in one multicall);
// the service then calls CancelBatch instead of Cancel for each running
// component of a failed or canceled module build.
type BatchCanceler interface {
	CancelBatch(ctx context.Context, mb *ModuleBuild, cs []*ComponentBuild) error
}

// Claimer is implemented by builders that cache what they learnt of a
// module build's work (kojibuild's scan of existing koji tasks): the
// service calls ModuleClaimed each time this process starts working on
// the module build, before its first step, since another process sharing
// the store may have worked on it in between.
type Claimer interface {
	ModuleClaimed(moduleID int64)
}
