package koji

import "context"

// Group is a comps group of a tag (getTagGroups), e.g. the "build" and
// "srpm-build" groups that define a mock buildroot.
type Group struct {
	GroupID     int64          `xmlrpc:"group_id"`
	Name        string         `xmlrpc:"name"`
	DisplayName string         `xmlrpc:"display_name"`
	Description string         `xmlrpc:"description"`
	TagID       int64          `xmlrpc:"tag_id"`
	Blocked     bool           `xmlrpc:"blocked"`
	Exported    bool           `xmlrpc:"exported"`
	UserVisible bool           `xmlrpc:"uservisible"`
	IsDefault   bool           `xmlrpc:"is_default"`
	LangOnly    string         `xmlrpc:"langonly"`
	BiarchOnly  bool           `xmlrpc:"biarchonly"`
	Packages    []GroupPackage `xmlrpc:"packagelist"`
}

// GroupPackage is a package entry of a comps group.
type GroupPackage struct {
	Package      string `xmlrpc:"package"`
	Type         string `xmlrpc:"type"` // mandatory, default, optional, conditional
	BasearchOnly bool   `xmlrpc:"basearchonly"`
	Requires     string `xmlrpc:"requires"`
	Blocked      bool   `xmlrpc:"blocked"`
	GroupID      int64  `xmlrpc:"group_id"`
	TagID        int64  `xmlrpc:"tag_id"`
}

// GroupOptions are optional arguments of AddGroup.
type GroupOptions struct {
	Block       bool
	Force       bool
	Description string
	DisplayName string
}

// AddGroup adds a comps group to a tag (groupListAdd), creating the group
// name if new.
func (c *Client) AddGroup(ctx context.Context, tag Ref, group string, opts *GroupOptions) error {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Block, "block", true)
		setIf(k, opts.Force, "force", true)
		setIf(k, opts.Description != "", "description", opts.Description)
		setIf(k, opts.DisplayName != "", "display_name", opts.DisplayName)
	}
	return c.call(ctx, "groupListAdd", nil, []any{tag, group}, k)
}

// RemoveGroup removes a comps group from a tag (groupListRemove).
func (c *Client) RemoveGroup(ctx context.Context, tag Ref, group string) error {
	return c.call(ctx, "groupListRemove", nil, []any{tag, group}, nil)
}

// GroupPackageOptions are optional arguments of AddGroupPackage.
type GroupPackageOptions struct {
	Block bool
	Force bool
	Type  string // default "mandatory"
}

// AddGroupPackage adds a package to a tag's comps group
// (groupPackageListAdd). The group must exist.
func (c *Client) AddGroupPackage(ctx context.Context, tag Ref, group, pkg string, opts *GroupPackageOptions) error {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Block, "block", true)
		setIf(k, opts.Force, "force", true)
		setIf(k, opts.Type != "", "type", opts.Type)
	}
	return c.call(ctx, "groupPackageListAdd", nil, []any{tag, group, pkg}, k)
}

// ListGroupsOptions are optional arguments of ListGroups.
type ListGroupsOptions struct {
	Event     int64
	NoInherit bool // only the tag's own groups
}

// ListGroups returns a tag's comps groups with their packages
// (getTagGroups).
func (c *Client) ListGroups(ctx context.Context, tag Ref, opts *ListGroupsOptions) ([]Group, error) {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Event != 0, "event", opts.Event)
		setIf(k, opts.NoInherit, "inherit", false)
	}
	var groups []Group
	return groups, c.call(ctx, "getTagGroups", &groups, []any{tag}, k)
}

// PackageEntry is a package-list entry of a tag (listPackages).
type PackageEntry struct {
	PackageID   int64  `xmlrpc:"package_id"`
	PackageName string `xmlrpc:"package_name"`
	TagID       int64  `xmlrpc:"tag_id"`
	TagName     string `xmlrpc:"tag_name"`
	OwnerID     int64  `xmlrpc:"owner_id"`
	OwnerName   string `xmlrpc:"owner_name"`
	Blocked     bool   `xmlrpc:"blocked"`
	ExtraArches string `xmlrpc:"extra_arches"`
}

// AddPackageOptions are optional arguments of AddPackage.
type AddPackageOptions struct {
	Owner       string // required the first time a package enters a tag
	Block       bool
	ExtraArches string
	Force       bool
	Update      bool
}

// AddPackage adds a package to a tag's package list (packageListAdd).
// Builds can only be tagged into tags that list their package.
func (c *Client) AddPackage(ctx context.Context, tag Ref, pkg string, opts *AddPackageOptions) error {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Owner != "", "owner", opts.Owner)
		setIf(k, opts.Block, "block", true)
		setIf(k, opts.ExtraArches != "", "extra_arches", opts.ExtraArches)
		setIf(k, opts.Force, "force", true)
		setIf(k, opts.Update, "update", true)
	}
	return c.call(ctx, "packageListAdd", nil, []any{tag, pkg}, k)
}

// RemovePackage removes a package from a tag's list (packageListRemove).
func (c *Client) RemovePackage(ctx context.Context, tag Ref, pkg string) error {
	return c.call(ctx, "packageListRemove", nil, []any{tag, pkg}, nil)
}

// ListPackagesOptions filter ListPackages.
type ListPackagesOptions struct {
	Tag       Ref
	Package   Ref
	Prefix    string
	Inherited bool // include packages listed in parent tags
	Event     int64
}

// ListPackages lists package-list entries.
func (c *Client) ListPackages(ctx context.Context, opts *ListPackagesOptions) ([]PackageEntry, error) {
	k := Kwargs{}
	if opts != nil {
		setIf(k, !opts.Tag.IsZero(), "tagID", opts.Tag)
		setIf(k, !opts.Package.IsZero(), "pkgID", opts.Package)
		setIf(k, opts.Prefix != "", "prefix", opts.Prefix)
		setIf(k, opts.Inherited, "inherited", true)
		setIf(k, opts.Event != 0, "event", opts.Event)
	}
	var pkgs []PackageEntry
	return pkgs, c.call(ctx, "listPackages", &pkgs, nil, k)
}
