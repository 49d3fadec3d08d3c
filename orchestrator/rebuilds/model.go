package rebuilds

import (
	"encoding/json"
	"time"
)

// EventType is a Freshmaker event type id.
type EventType int

// Freshmaker's event type ids. BodhiUpdateCreated and KojiBuildComplete are
// modkit's own, above Freshmaker's range.
const (
	EventModuleStateChange       EventType = 0
	EventGitModuleMetadataChange EventType = 1
	EventGitRPMSpecChange        EventType = 2
	EventGitDockerfileChange     EventType = 4
	EventBodhiUpdateStable       EventType = 5
	EventKojiTaskStateChange     EventType = 6
	EventManual                  EventType = 13
	EventBodhiUpdateCreated      EventType = 100
	EventKojiBuildComplete       EventType = 101
)

var eventTypeNames = map[EventType]string{
	EventModuleStateChange: "MBSModuleStateChangeEvent", EventGitModuleMetadataChange: "GitModuleMetadataChangeEvent",
	EventGitRPMSpecChange: "GitRPMSpecChangeEvent", EventGitDockerfileChange: "GitDockerfileChangeEvent",
	EventBodhiUpdateStable: "BodhiUpdateCompleteStableEvent", EventKojiTaskStateChange: "KojiTaskStateChangeEvent",
	EventManual: "ManualRebuildEvent", EventBodhiUpdateCreated: "BodhiUpdateCreatedEvent", EventKojiBuildComplete: "KojiBuildCompleteEvent",
	EventBodhiUpdateRequestStable: "BodhiUpdateRequestStableEvent",
}

func (t EventType) String() string {
	if n, ok := eventTypeNames[t]; ok {
		return n
	}
	return "EventType(" + itoa(int(t)) + ")"
}

// EventState is a Freshmaker event state.
type EventState int

// Freshmaker's event states.
const (
	EventInitialized EventState = 0
	EventBuilding    EventState = 1
	EventComplete    EventState = 2
	EventFailed      EventState = 3
	EventSkipped     EventState = 4
	EventCanceled    EventState = 5
)

func (s EventState) String() string {
	switch s {
	case EventInitialized:
		return "initialized"
	case EventBuilding:
		return "building"
	case EventComplete:
		return "complete"
	case EventFailed:
		return "failed"
	case EventSkipped:
		return "skipped"
	case EventCanceled:
		return "canceled"
	}
	return "EventState(" + itoa(int(s)) + ")"
}

// ArtifactType is a Freshmaker artifact build type.
type ArtifactType int

// Freshmaker's artifact types.
const (
	ArtifactRPM    ArtifactType = 0
	ArtifactImage  ArtifactType = 1
	ArtifactModule ArtifactType = 2
)

// Name is the lower-case name rules use ("module", "image", "rpm").
func (t ArtifactType) Name() string {
	switch t {
	case ArtifactRPM:
		return "rpm"
	case ArtifactImage:
		return "image"
	case ArtifactModule:
		return "module"
	}
	return "unknown"
}

// BuildState is a Freshmaker artifact build state.
type BuildState int

// Freshmaker's artifact build states. Skipped is modkit's: a rebuild that
// was considered and not submitted (blocked, cycle, up to date); its
// StateReason says why.
const (
	BuildBuilding BuildState = 0
	BuildDone     BuildState = 1
	BuildFailed   BuildState = 2
	BuildCanceled BuildState = 3
	BuildPlanned  BuildState = 4
	BuildSkipped  BuildState = 5
)

func (s BuildState) String() string {
	switch s {
	case BuildBuilding:
		return "build"
	case BuildDone:
		return "done"
	case BuildFailed:
		return "failed"
	case BuildCanceled:
		return "canceled"
	case BuildPlanned:
		return "planned"
	case BuildSkipped:
		return "skipped"
	}
	return "BuildState(" + itoa(int(s)) + ")"
}

// Rebuild reasons (Freshmaker's).
const (
	ReasonDirectlyAffected = "directly_affected"
	ReasonDependency       = "dependency"
)

// Event is one handled message.
type Event struct {
	ID          int64
	MessageID   string
	SearchKey   string // e.g. "rpms/foo@main" or "A:1"
	Type        EventType
	State       EventState
	StateReason string
	DryRun      bool
	Requester   string
	TimeCreated time.Time
	TimeDone    time.Time
}

// ArtifactBuild is one rebuild decided for an event: submitted, finished,
// or skipped with its reason.
type ArtifactBuild struct {
	ID      int64
	EventID int64
	// Name is the module's name:stream.
	Name        string
	Type        ArtifactType
	State       BuildState
	StateReason string
	// BuildID is the orchestrator's module build id (0 until submitted,
	// or in dry run).
	BuildID int64
	// DepOnID is the artifact build whose completion triggered this one
	// (0 for a directly affected one); DepOn is its Name.
	DepOnID int64
	DepOn   string
	// OriginalNVR is the NSVC of the build being replaced; RebuiltNVR the
	// NSVC of the rebuild once known.
	OriginalNVR   string
	RebuiltNVR    string
	RebuildReason string
	// Rule is the allow/block rule decision that admitted or stopped it.
	Rule string
	// Path is the dependency path from the event to this artifact
	// ("rpms/foo@main -> A:1 -> B:1").
	Path          string
	TimeSubmitted time.Time
	TimeCompleted time.Time
}

// Message is one message from a bus or the orchestrator.
type Message struct {
	// ID is unique per message (the bus's message id); redeliveries carry
	// the same ID.
	ID    string
	Topic string
	Body  json.RawMessage
	// DryRun asks for a dry run of this event only.
	DryRun bool
	// Requester is who asked for the event (a manual request's user);
	// empty = Options.Owner.
	Requester string
}
