package bodhi

import (
	"context"
	"iter"
	"net/url"
	"strconv"
)

// BuildListOptions are the filters of GET /builds/.
type BuildListOptions struct {
	ListOptions
	NVR      string
	Packages []string
	Releases []string
	Updates  []string // aliases
}

func (o *BuildListOptions) query() url.Values {
	q := url.Values{}
	if o == nil {
		return q
	}
	o.ListOptions.add(q)
	addString(q, "nvr", o.NVR)
	addStrings(q, "packages", o.Packages)
	addStrings(q, "releases", o.Releases)
	addStrings(q, "updates", o.Updates)
	return q
}

// ListBuilds returns one page of builds.
func (c *Client) ListBuilds(ctx context.Context, opts *BuildListOptions) (*Page[Build], error) {
	return list[Build](ctx, c, "builds/", "builds", opts.query())
}

// Builds iterates over every build the filters select.
func (c *Client) Builds(ctx context.Context, opts *BuildListOptions) iter.Seq2[Build, error] {
	return all[Build](ctx, c, "builds/", "builds", opts.query())
}

// GetBuild returns a build by NVR.
func (c *Client) GetBuild(ctx context.Context, nvr string) (*Build, error) {
	var out Build
	if err := c.get(ctx, "builds/"+url.PathEscape(nvr), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReleaseListOptions are the filters of GET /releases/.
type ReleaseListOptions struct {
	ListOptions
	Name            string
	IDs             []string
	Updates         []string // aliases
	Packages        []string
	State           []string // disabled, pending, frozen, current, archived
	ExcludeArchived *bool
}

func (o *ReleaseListOptions) query() url.Values {
	q := url.Values{}
	if o == nil {
		return q
	}
	o.ListOptions.add(q)
	addString(q, "name", o.Name)
	addStrings(q, "ids", o.IDs)
	addStrings(q, "updates", o.Updates)
	addStrings(q, "packages", o.Packages)
	addStrings(q, "state", o.State)
	addBool(q, "exclude_archived", o.ExcludeArchived)
	return q
}

// ListReleases returns one page of releases.
func (c *Client) ListReleases(ctx context.Context, opts *ReleaseListOptions) (*Page[Release], error) {
	return list[Release](ctx, c, "releases/", "releases", opts.query())
}

// Releases iterates over every release the filters select.
func (c *Client) Releases(ctx context.Context, opts *ReleaseListOptions) iter.Seq2[Release, error] {
	return all[Release](ctx, c, "releases/", "releases", opts.query())
}

// GetRelease returns a release by name (or long name or dist tag).
func (c *Client) GetRelease(ctx context.Context, name string) (*Release, error) {
	var out Release
	if err := c.get(ctx, "releases/"+url.PathEscape(name), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReleaseInput is the body of POST /releases/ (Bodhi admins only). Bodhi
// checks in koji that the candidate, testing, stable, override,
// pending-testing and pending-stable tags exist.
type ReleaseInput struct {
	Edited                 string // name of the release to edit; "" creates
	Name                   string
	LongName               string
	Version                string
	Branch                 string
	IDPrefix               string
	DistTag                string
	StableTag              string
	TestingTag             string
	CandidateTag           string
	PendingSigningTag      string
	PendingTestingTag      string
	PendingStableTag       string
	OverrideTag            string
	State                  string // disabled, pending, frozen, current, archived
	MailTemplate           string
	ComposedByBodhi        *bool
	CreateAutomaticUpdates *bool
	PackageManager         string // unspecified, dnf, yum
	TestingRepository      string
	EOL                    string // "2006-01-02"
}

// SaveRelease creates a release, or edits the one in.Edited names.
func (c *Client) SaveRelease(ctx context.Context, in *ReleaseInput) (*Release, error) {
	b := map[string]any{}
	for k, v := range map[string]string{"edited": in.Edited, "name": in.Name, "long_name": in.LongName,
		"version": in.Version, "branch": in.Branch, "id_prefix": in.IDPrefix, "dist_tag": in.DistTag,
		"stable_tag": in.StableTag, "testing_tag": in.TestingTag, "candidate_tag": in.CandidateTag,
		"pending_signing_tag": in.PendingSigningTag, "pending_testing_tag": in.PendingTestingTag,
		"pending_stable_tag": in.PendingStableTag, "override_tag": in.OverrideTag, "state": in.State,
		"mail_template": in.MailTemplate, "package_manager": in.PackageManager,
		"testing_repository": in.TestingRepository, "eol": in.EOL} {
		if v != "" {
			b[k] = v
		}
	}
	if in.ComposedByBodhi != nil {
		b["composed_by_bodhi"] = *in.ComposedByBodhi
	}
	if in.CreateAutomaticUpdates != nil {
		b["create_automatic_updates"] = *in.CreateAutomaticUpdates
	}
	var out Release
	if err := c.post(ctx, "releases/", b, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// OverrideListOptions are the filters of GET /overrides/.
type OverrideListOptions struct {
	ListOptions
	Builds   []string
	Packages []string
	Releases []string
	User     []string
	Expired  *bool
	Like     string
	Search   string
}

func (o *OverrideListOptions) query() url.Values {
	q := url.Values{}
	if o == nil {
		return q
	}
	o.ListOptions.add(q)
	addStrings(q, "builds", o.Builds)
	addStrings(q, "packages", o.Packages)
	addStrings(q, "releases", o.Releases)
	addStrings(q, "user", o.User)
	addBool(q, "expired", o.Expired)
	addString(q, "like", o.Like)
	addString(q, "search", o.Search)
	return q
}

// ListOverrides returns one page of buildroot overrides.
func (c *Client) ListOverrides(ctx context.Context, opts *OverrideListOptions) (*Page[Override], error) {
	return list[Override](ctx, c, "overrides/", "overrides", opts.query())
}

// Overrides iterates over every override the filters select.
func (c *Client) Overrides(ctx context.Context, opts *OverrideListOptions) iter.Seq2[Override, error] {
	return all[Override](ctx, c, "overrides/", "overrides", opts.query())
}

// GetOverride returns the override of a build.
func (c *Client) GetOverride(ctx context.Context, nvr string) (*Override, error) {
	var out struct {
		Override Override `json:"override"`
	}
	if err := c.get(ctx, "overrides/"+url.PathEscape(nvr), nil, &out); err != nil {
		return nil, err
	}
	return &out.Override, nil
}

// OverrideInput is the body of POST /overrides/.
type OverrideInput struct {
	NVR            string
	Notes          string
	ExpirationDate Time
	Expired        *bool  // true expires an existing override
	Edited         string // NVR of the override to edit; "" creates
}

// SaveOverride creates or edits a buildroot override.
func (c *Client) SaveOverride(ctx context.Context, in *OverrideInput) (*Override, []Caveat, error) {
	b := map[string]any{"nvr": in.NVR, "notes": in.Notes}
	if !in.ExpirationDate.IsZero() {
		b["expiration_date"] = in.ExpirationDate.UTC().Format(TimeLayout)
	}
	if in.Expired != nil {
		b["expired"] = *in.Expired
	}
	if in.Edited != "" {
		b["edited"] = in.Edited
	}
	var out struct {
		Override
		Caveats []Caveat `json:"caveats"`
	}
	if err := c.post(ctx, "overrides/", b, &out); err != nil {
		return nil, nil, err
	}
	return &out.Override, out.Caveats, nil
}

// CommentListOptions are the filters of GET /comments/.
type CommentListOptions struct {
	ListOptions
	Updates     []string // aliases
	Packages    []string
	User        []string
	UpdateOwner []string
	IgnoreUser  []string
	Like        string
	Search      string
	Since       Time
}

func (o *CommentListOptions) query() url.Values {
	q := url.Values{}
	if o == nil {
		return q
	}
	o.ListOptions.add(q)
	addStrings(q, "updates", o.Updates)
	addStrings(q, "packages", o.Packages)
	addStrings(q, "user", o.User)
	addStrings(q, "update_owner", o.UpdateOwner)
	addStrings(q, "ignore_user", o.IgnoreUser)
	addString(q, "like", o.Like)
	addString(q, "search", o.Search)
	addTime(q, "since", o.Since)
	return q
}

// ListComments returns one page of comments.
func (c *Client) ListComments(ctx context.Context, opts *CommentListOptions) (*Page[Comment], error) {
	return list[Comment](ctx, c, "comments/", "comments", opts.query())
}

// Comments iterates over every comment the filters select.
func (c *Client) Comments(ctx context.Context, opts *CommentListOptions) iter.Seq2[Comment, error] {
	return all[Comment](ctx, c, "comments/", "comments", opts.query())
}

// GetComment returns a comment by id.
func (c *Client) GetComment(ctx context.Context, id int64) (*Comment, error) {
	var out struct {
		Comment Comment `json:"comment"`
	}
	if err := c.get(ctx, "comments/"+strconv.FormatInt(id, 10), nil, &out); err != nil {
		return nil, err
	}
	return &out.Comment, nil
}

// CommentInput is the body of POST /comments/.
type CommentInput struct {
	Update           string // alias
	Text             string
	Karma            int // -1, 0 or 1
	KarmaCritpath    int
	BugFeedback      []BugFeedback
	TestCaseFeedback []TestCaseFeedback
}

// AddComment comments on an update, possibly with karma.
func (c *Client) AddComment(ctx context.Context, in *CommentInput) (*Comment, []Caveat, error) {
	b := map[string]any{"update": in.Update, "text": in.Text, "karma": in.Karma, "karma_critpath": in.KarmaCritpath}
	if len(in.BugFeedback) > 0 {
		b["bug_feedback"] = in.BugFeedback
	}
	if len(in.TestCaseFeedback) > 0 {
		b["testcase_feedback"] = in.TestCaseFeedback
	}
	var out struct {
		Comment Comment  `json:"comment"`
		Caveats []Caveat `json:"caveats"`
	}
	if err := c.post(ctx, "comments/", b, &out); err != nil {
		return nil, nil, err
	}
	return &out.Comment, out.Caveats, nil
}

// ListComposes returns Bodhi's current composes (GET /composes/).
func (c *Client) ListComposes(ctx context.Context) ([]Compose, error) {
	var out struct {
		Composes []Compose `json:"composes"`
	}
	if err := c.get(ctx, "composes/", nil, &out); err != nil {
		return nil, err
	}
	return out.Composes, nil
}

// GetCompose returns the compose of a release and request; ErrNotFound
// when none runs.
func (c *Client) GetCompose(ctx context.Context, release, request string) (*Compose, error) {
	var out struct {
		Compose Compose `json:"compose"`
	}
	if err := c.get(ctx, "composes/"+url.PathEscape(release)+"/"+url.PathEscape(request), nil, &out); err != nil {
		return nil, err
	}
	return &out.Compose, nil
}

// PackageListOptions are the filters of GET /packages/.
type PackageListOptions struct {
	ListOptions
	Name   string
	Like   string
	Search string
}

func (o *PackageListOptions) query() url.Values {
	q := url.Values{}
	if o == nil {
		return q
	}
	o.ListOptions.add(q)
	addString(q, "name", o.Name)
	addString(q, "like", o.Like)
	addString(q, "search", o.Search)
	return q
}

// ListPackages returns one page of packages.
func (c *Client) ListPackages(ctx context.Context, opts *PackageListOptions) (*Page[Package], error) {
	return list[Package](ctx, c, "packages/", "packages", opts.query())
}

// Packages iterates over every package the filters select.
func (c *Client) Packages(ctx context.Context, opts *PackageListOptions) iter.Seq2[Package, error] {
	return all[Package](ctx, c, "packages/", "packages", opts.query())
}

// UserListOptions are the filters of GET /users/.
type UserListOptions struct {
	ListOptions
	Name     string
	Like     string
	Search   string
	Groups   []string
	Updates  []string
	Packages []string
}

func (o *UserListOptions) query() url.Values {
	q := url.Values{}
	if o == nil {
		return q
	}
	o.ListOptions.add(q)
	addString(q, "name", o.Name)
	addString(q, "like", o.Like)
	addString(q, "search", o.Search)
	addStrings(q, "groups", o.Groups)
	addStrings(q, "updates", o.Updates)
	addStrings(q, "packages", o.Packages)
	return q
}

// ListUsers returns one page of users.
func (c *Client) ListUsers(ctx context.Context, opts *UserListOptions) (*Page[User], error) {
	return list[User](ctx, c, "users/", "users", opts.query())
}

// Users iterates over every user the filters select.
func (c *Client) Users(ctx context.Context, opts *UserListOptions) iter.Seq2[User, error] {
	return all[User](ctx, c, "users/", "users", opts.query())
}

// GetUser returns a user by name.
func (c *Client) GetUser(ctx context.Context, name string) (*User, error) {
	var out struct {
		User User `json:"user"`
	}
	if err := c.get(ctx, "users/"+url.PathEscape(name), nil, &out); err != nil {
		return nil, err
	}
	return &out.User, nil
}

// LatestBuilds returns, per koji tag of every active release, the latest
// NVR of a package (GET /latest_builds?package=NAME).
func (c *Client) LatestBuilds(ctx context.Context, pkg string) (map[string]string, error) {
	out := map[string]string{}
	if err := c.get(ctx, "latest_builds", url.Values{"package": {pkg}}, &out); err != nil {
		return nil, err
	}
	return out, nil
}
