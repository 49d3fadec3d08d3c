package koji

import "context"

// Target is a build target: it maps a build tag (the buildroot) to a
// destination tag.
type Target struct {
	ID           int64  `xmlrpc:"id"`
	Name         string `xmlrpc:"name"`
	BuildTag     int64  `xmlrpc:"build_tag"`
	BuildTagName string `xmlrpc:"build_tag_name"`
	DestTag      int64  `xmlrpc:"dest_tag"`
	DestTagName  string `xmlrpc:"dest_tag_name"`
}

// CreateTarget creates a build target. Like the hub's createBuildTarget it
// returns no id: look the target up with GetTarget.
func (c *Client) CreateTarget(ctx context.Context, name string, buildTag, destTag Ref) error {
	return c.call(ctx, "createBuildTarget", nil, []any{name, buildTag, destTag}, nil)
}

// GetTarget returns a build target; ErrNotFound if it does not exist.
func (c *Client) GetTarget(ctx context.Context, target Ref, opts *EventOptions) (*Target, error) {
	return lookup[Target](ctx, c, "getBuildTarget", "target", target, opts.kw())
}

// ListTargetsOptions filter ListTargets.
type ListTargetsOptions struct {
	BuildTag Ref
	DestTag  Ref
	Event    int64
}

// ListTargets lists build targets (getBuildTargets).
func (c *Client) ListTargets(ctx context.Context, opts *ListTargetsOptions) ([]Target, error) {
	k := Kwargs{}
	if opts != nil {
		setIf(k, !opts.BuildTag.IsZero(), "buildTagID", opts.BuildTag)
		setIf(k, !opts.DestTag.IsZero(), "destTagID", opts.DestTag)
		setIf(k, opts.Event != 0, "event", opts.Event)
	}
	var ts []Target
	return ts, c.call(ctx, "getBuildTargets", &ts, nil, k)
}

// EditTarget renames a target and/or changes its tags.
func (c *Client) EditTarget(ctx context.Context, target Ref, name string, buildTag, destTag Ref) error {
	return c.call(ctx, "editBuildTarget", nil, []any{target, name, buildTag, destTag}, nil)
}

// DeleteTarget deletes a build target.
func (c *Client) DeleteTarget(ctx context.Context, target Ref) error {
	return c.call(ctx, "deleteBuildTarget", nil, []any{target}, nil)
}
