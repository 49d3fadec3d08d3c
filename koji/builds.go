package koji

import (
	"context"
	"fmt"
	"time"
)

// BuildState is a build's state (koji BUILD_STATES).
type BuildState int

// Build states.
const (
	BuildBuilding BuildState = 0
	BuildComplete BuildState = 1
	BuildDeleted  BuildState = 2
	BuildFailed   BuildState = 3
	BuildCanceled BuildState = 4
)

var buildStateNames = []string{"BUILDING", "COMPLETE", "DELETED", "FAILED", "CANCELED"}

// String returns koji's name for the state.
func (s BuildState) String() string {
	if s >= 0 && int(s) < len(buildStateNames) {
		return buildStateNames[s]
	}
	return fmt.Sprintf("BuildState(%d)", int(s))
}

// Done reports whether the build has reached a final state.
func (s BuildState) Done() bool { return s != BuildBuilding }

// Build is a koji build (getBuild, listBuilds, listTagged). Tagged-build
// listings also fill TagID, TagName and TagEvent and leave Extra nil.
type Build struct {
	ID              int64          `xmlrpc:"build_id,id"`
	Name            string         `xmlrpc:"name"`
	Version         string         `xmlrpc:"version"`
	Release         string         `xmlrpc:"release"`
	Epoch           *int           `xmlrpc:"epoch"`
	NVR             string         `xmlrpc:"nvr"`
	State           BuildState     `xmlrpc:"state"`
	TaskID          *int64         `xmlrpc:"task_id"`
	OwnerID         int64          `xmlrpc:"owner_id"`
	OwnerName       string         `xmlrpc:"owner_name"`
	PackageID       int64          `xmlrpc:"package_id"`
	PackageName     string         `xmlrpc:"package_name"`
	Source          string         `xmlrpc:"source"`
	StartTime       time.Time      `xmlrpc:"start_ts,start_time"`
	CompletionTime  time.Time      `xmlrpc:"completion_ts,completion_time"`
	CreationTime    time.Time      `xmlrpc:"creation_ts,creation_time"`
	CreationEventID int64          `xmlrpc:"creation_event_id"`
	VolumeName      string         `xmlrpc:"volume_name"`
	CGName          string         `xmlrpc:"cg_name"`
	Draft           bool           `xmlrpc:"draft"`
	Extra           map[string]any `xmlrpc:"extra"`
	TagID           int64          `xmlrpc:"tag_id"`
	TagName         string         `xmlrpc:"tag_name"`
	TagEvent        int64          `xmlrpc:"create_event"` // event that tagged the build
}

// ModuleInfo returns extra.typeinfo.module of a module build, or nil.
func (b *Build) ModuleInfo() *ModuleTypeInfo {
	ti, _ := b.Extra["typeinfo"].(map[string]any)
	m, ok := ti["module"].(map[string]any)
	if !ok {
		return nil
	}
	var info ModuleTypeInfo
	if err := DecodeValue(m, &info); err != nil {
		return nil
	}
	return &info
}

// GetBuild returns a build by id or NVR; ErrNotFound if it does not exist.
// An NVR that does not parse is a GenericError fault.
func (c *Client) GetBuild(ctx context.Context, build Ref) (*Build, error) {
	return runSpec(ctx, c, getBuildSpec(build))
}

func getBuildSpec(build Ref) spec[*Build] {
	return spec[*Build]{method: "getBuild", args: []any{build}, conv: required[Build]("build", build)}
}

// ListBuildsOptions filter ListBuilds.
type ListBuildsOptions struct {
	Package Ref
	User    Ref
	TaskID  int64
	Prefix  string
	State   *BuildState
	Type    string // btype, e.g. "module"
	// TypeInfo filters maven builds (group_id, artifact_id, version) and
	// win builds (platform); the hub ignores it for other types, module
	// included: filter those on Build.Extra.
	TypeInfo       map[string]any
	CreatedAfter   time.Time
	CreatedBefore  time.Time
	CompleteAfter  time.Time
	CompleteBefore time.Time
	Pattern        string
	Query          *QueryOptions
}

// ListBuilds lists builds.
func (c *Client) ListBuilds(ctx context.Context, opts *ListBuildsOptions) ([]Build, error) {
	k := Kwargs{}
	if opts != nil {
		setIf(k, !opts.Package.IsZero(), "packageID", opts.Package)
		setIf(k, !opts.User.IsZero(), "userID", opts.User)
		setIf(k, opts.TaskID != 0, "taskID", opts.TaskID)
		setIf(k, opts.Prefix != "", "prefix", opts.Prefix)
		if opts.State != nil {
			k["state"] = int(*opts.State)
		}
		setIf(k, opts.Type != "", "type", opts.Type)
		setIf(k, opts.TypeInfo != nil, "typeInfo", opts.TypeInfo)
		setIf(k, !opts.CreatedAfter.IsZero(), "createdAfter", opts.CreatedAfter)
		setIf(k, !opts.CreatedBefore.IsZero(), "createdBefore", opts.CreatedBefore)
		setIf(k, !opts.CompleteAfter.IsZero(), "completeAfter", opts.CompleteAfter)
		setIf(k, !opts.CompleteBefore.IsZero(), "completeBefore", opts.CompleteBefore)
		setIf(k, opts.Pattern != "", "pattern", opts.Pattern)
		opts.Query.addTo(k)
	}
	var bs []Build
	return bs, c.call(ctx, "listBuilds", &bs, nil, k)
}

// ListTaggedOptions are optional arguments of ListTagged.
type ListTaggedOptions struct {
	Event   int64
	Inherit bool // include builds of parent tags
	Latest  bool // only the newest build of each package
	Package string
	Owner   string
	Type    string // btype, e.g. "module"
	Extra   bool   // include each build's extra
}

// ListTagged lists the builds in a tag, most recently tagged first.
func (c *Client) ListTagged(ctx context.Context, tag Ref, opts *ListTaggedOptions) ([]Build, error) {
	return runSpec(ctx, c, listTaggedSpec(tag, opts))
}

func listTaggedSpec(tag Ref, opts *ListTaggedOptions) spec[[]Build] {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Event != 0, "event", opts.Event)
		setIf(k, opts.Inherit, "inherit", true)
		setIf(k, opts.Latest, "latest", true)
		setIf(k, opts.Package != "", "package", opts.Package)
		setIf(k, opts.Owner != "", "owner", opts.Owner)
		setIf(k, opts.Type != "", "type", opts.Type)
		setIf(k, opts.Extra, "extra", true)
	}
	return spec[[]Build]{method: "listTagged", args: []any{tag}, kw: k, conv: decodeAs[[]Build]}
}

// LatestBuildsOptions are optional arguments of GetLatestBuilds.
type LatestBuildsOptions struct {
	Event   int64
	Package string
	Type    string
}

// GetLatestBuilds returns the newest build of each package in a tag,
// inheritance included.
func (c *Client) GetLatestBuilds(ctx context.Context, tag Ref, opts *LatestBuildsOptions) ([]Build, error) {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Event != 0, "event", opts.Event)
		setIf(k, opts.Package != "", "package", opts.Package)
		setIf(k, opts.Type != "", "type", opts.Type)
	}
	var bs []Build
	return bs, c.call(ctx, "getLatestBuilds", &bs, []any{tag}, k)
}

// GetNextRelease returns the release the next build of name-version should
// use: "1" for a new N-V, otherwise the newest release incremented.
func (c *Client) GetNextRelease(ctx context.Context, name, version string) (string, error) {
	var r string
	return r, c.call(ctx, "getNextRelease", &r, []any{map[string]any{"name": name, "version": version}}, nil)
}

// GetBuildType returns a build's btypes with their typeinfo, e.g.
// {"module": {...}} or {"rpm": nil}.
func (c *Client) GetBuildType(ctx context.Context, build Ref) (map[string]any, error) {
	var m map[string]any
	return m, c.call(ctx, "getBuildType", &m, []any{build}, nil)
}

// TagBuildOptions are optional arguments of TagBuild.
type TagBuildOptions struct {
	Force   bool
	FromTag Ref // move the build: untag it from FromTag
}

// TagBuild asks the hub to tag a build. The hub only queues a tagBuild task
// (run by a builder) and returns its id; checks such as the package list
// happen at once. Use WaitTask, or TagBuildBypass to tag immediately.
func (c *Client) TagBuild(ctx context.Context, tag, build Ref, opts *TagBuildOptions) (int64, error) {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Force, "force", true)
		setIf(k, !opts.FromTag.IsZero(), "fromtag", opts.FromTag)
	}
	var id int64
	return id, c.call(ctx, "tagBuild", &id, []any{tag, build}, k)
}

// TagBuildBypass tags a build immediately (tag or admin permission).
func (c *Client) TagBuildBypass(ctx context.Context, tag, build Ref, force bool) error {
	k := Kwargs{}
	setIf(k, force, "force", true)
	return c.call(ctx, "tagBuildBypass", nil, []any{tag, build}, k)
}

// UntagBuildOptions are optional arguments of UntagBuild.
type UntagBuildOptions struct {
	Force     bool
	NonStrict bool // no error if the build is not tagged
}

// UntagBuild removes a build from a tag, synchronously.
func (c *Client) UntagBuild(ctx context.Context, tag, build Ref, opts *UntagBuildOptions) error {
	return c.call(ctx, "untagBuild", nil, []any{tag, build}, untagKw(opts))
}

// UntagBuildBypass removes a build from a tag without policy checks.
func (c *Client) UntagBuildBypass(ctx context.Context, tag, build Ref, opts *UntagBuildOptions) error {
	return c.call(ctx, "untagBuildBypass", nil, []any{tag, build}, untagKw(opts))
}

func untagKw(opts *UntagBuildOptions) Kwargs {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Force, "force", true)
		setIf(k, opts.NonStrict, "strict", false)
	}
	return k
}
