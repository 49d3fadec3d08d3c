package koji

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/modkit/modkit/internal/retry"
)

// RepoState is a repo's state (koji REPO_STATES).
type RepoState int

// Repo states.
const (
	RepoInit    RepoState = 0
	RepoReady   RepoState = 1
	RepoExpired RepoState = 2
	RepoDeleted RepoState = 3
	RepoProblem RepoState = 4
)

// Repo is a tag's build repository (getRepo, repoInfo).
type Repo struct {
	ID          int64     `xmlrpc:"id"`
	State       RepoState `xmlrpc:"state"`
	TagID       int64     `xmlrpc:"tag_id"`
	TagName     string    `xmlrpc:"tag_name"`
	CreateEvent int64     `xmlrpc:"create_event"`
	CreateTime  time.Time `xmlrpc:"create_ts,creation_ts,creation_time"`
	TaskID      *int64    `xmlrpc:"task_id"`
	Dist        bool      `xmlrpc:"dist"`
}

// GetRepoOptions are optional arguments of GetRepo.
type GetRepoOptions struct {
	State    *RepoState // default READY
	Event    int64      // the repo as of this event
	MinEvent int64      // only a repo created at or after this event
}

// GetRepo returns the newest repo of a tag; ErrNotFound if there is none.
func (c *Client) GetRepo(ctx context.Context, tag Ref, opts *GetRepoOptions) (*Repo, error) {
	k := Kwargs{}
	if opts != nil {
		if opts.State != nil {
			k["state"] = int(*opts.State)
		}
		setIf(k, opts.Event != 0, "event", opts.Event)
		setIf(k, opts.MinEvent != 0, "min_event", opts.MinEvent)
	}
	return lookup[Repo](ctx, c, "getRepo", "repo for tag", tag, k)
}

// NewRepoOptions are optional arguments of NewRepo.
type NewRepoOptions struct {
	Event     int64
	Src       bool
	Debuginfo bool
}

// NewRepo asks for a new repo of tag and returns the newRepo task id.
func (c *Client) NewRepo(ctx context.Context, tag Ref, opts *NewRepoOptions) (int64, error) {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Event != 0, "event", opts.Event)
		setIf(k, opts.Src, "src", true)
		setIf(k, opts.Debuginfo, "debuginfo", true)
	}
	var id int64
	return id, c.call(ctx, "newRepo", &id, []any{tag}, k)
}

// WaitRepoOptions are optional arguments of WaitRepo.
type WaitRepoOptions struct {
	// Builds are NVRs that must be tagged (inheritance included) before
	// the repo counts.
	Builds []string
	// MinEvent is the oldest acceptable repo creation event. WaitRepo
	// also uses the tag's last change event once Builds are tagged.
	MinEvent int64
	// Request submits a newRepo task if no acceptable repo exists yet
	// (what kojira would do on a real hub).
	Request  bool
	Interval time.Duration
}

// WaitRepo waits until tag has a READY repo that contains the given
// builds: it polls until the builds are tagged, takes the tag's last change
// event, and polls getRepo for a repo created at or after it.
func (c *Client) WaitRepo(ctx context.Context, tag Ref, opts *WaitRepoOptions) (*Repo, error) {
	if opts == nil {
		opts = &WaitRepoOptions{}
	}
	interval := c.interval(&WaitOptions{Interval: opts.Interval})
	for len(opts.Builds) > 0 {
		tagged, err := c.ListTagged(ctx, tag, &ListTaggedOptions{Inherit: true})
		if err != nil {
			return nil, err
		}
		have := make(map[string]bool, len(tagged))
		for _, b := range tagged {
			have[b.NVR] = true
		}
		missing := 0
		for _, nvr := range opts.Builds {
			if !have[nvr] {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		c.logger.DebugContext(ctx, "koji: waiting for builds to be tagged", "tag", tag.String(), "missing", missing)
		if err := retry.Sleep(ctx, interval); err != nil {
			return nil, fmt.Errorf("koji: wait for builds in %s: %w", tag, err)
		}
	}
	minEvent := opts.MinEvent
	last, err := c.TagLastChangeEvent(ctx, tag)
	if err != nil {
		return nil, err
	}
	minEvent = max(minEvent, last)
	requested := false
	for {
		r, err := c.GetRepo(ctx, tag, &GetRepoOptions{MinEvent: minEvent})
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		if opts.Request && !requested {
			if _, err := c.NewRepo(ctx, tag, nil); err != nil {
				return nil, err
			}
			requested = true
		}
		if err := retry.Sleep(ctx, interval); err != nil {
			return nil, fmt.Errorf("koji: wait for repo of %s: %w", tag, err)
		}
	}
}
