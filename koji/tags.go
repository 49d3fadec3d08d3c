package koji

import (
	"context"
	"strings"
)

// Tag is a koji tag (getTag).
type Tag struct {
	ID              int64          `xmlrpc:"id"`
	Name            string         `xmlrpc:"name"`
	Arches          string         `xmlrpc:"arches"` // space separated; see ArchList
	Locked          bool           `xmlrpc:"locked"`
	Perm            string         `xmlrpc:"perm"` // permission required to change the tag, or ""
	PermID          *int64         `xmlrpc:"perm_id"`
	MavenSupport    bool           `xmlrpc:"maven_support"`
	MavenIncludeAll bool           `xmlrpc:"maven_include_all"`
	Extra           map[string]any `xmlrpc:"extra"` // the tag's own extra (not inherited)
}

// ArchList splits Arches.
func (t *Tag) ArchList() []string { return strings.Fields(t.Arches) }

// GetTagOptions are optional arguments of GetTag.
type GetTagOptions struct {
	Event int64 // look the tag up as of this event; 0 = now
}

// GetTag returns a tag by id or name; ErrNotFound if it does not exist.
func (c *Client) GetTag(ctx context.Context, tag Ref, opts *GetTagOptions) (*Tag, error) {
	return runSpec(ctx, c, getTagSpec(tag, opts))
}

func getTagSpec(tag Ref, opts *GetTagOptions) spec[*Tag] {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Event != 0, "event", opts.Event)
	}
	return spec[*Tag]{method: "getTag", args: []any{tag}, kw: k, conv: required[Tag]("tag", tag)}
}

// CreateTagOptions are optional arguments of CreateTag.
type CreateTagOptions struct {
	Parent          string   // creates an inheritance link with priority 0
	Arches          []string // e.g. {"x86_64", "aarch64"}
	Perm            string   // permission name required to change the tag
	Locked          bool
	MavenSupport    bool
	MavenIncludeAll bool
	Extra           map[string]any
}

// CreateTag creates a tag and returns its id. Needs the tag or admin
// permission.
func (c *Client) CreateTag(ctx context.Context, name string, opts *CreateTagOptions) (int64, error) {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Parent != "", "parent", opts.Parent)
		setIf(k, opts.Arches != nil, "arches", strings.Join(opts.Arches, " "))
		setIf(k, opts.Perm != "", "perm", opts.Perm)
		setIf(k, opts.Locked, "locked", true)
		setIf(k, opts.MavenSupport, "maven_support", true)
		setIf(k, opts.MavenIncludeAll, "maven_include_all", true)
		setIf(k, opts.Extra != nil, "extra", opts.Extra)
	}
	var id int64
	return id, c.call(ctx, "createTag", &id, []any{name}, k)
}

// EditTagOptions are the changes EditTag makes. Nil fields are left alone.
type EditTagOptions struct {
	Name        *string
	Arches      []string // nil: unchanged; empty non-nil: no arches
	Locked      *bool
	Perm        *string // "" removes the permission requirement
	Extra       map[string]any
	RemoveExtra []string
	BlockExtra  []string
}

// EditTag changes a tag (editTag2).
func (c *Client) EditTag(ctx context.Context, tag Ref, opts *EditTagOptions) error {
	k := Kwargs{}
	if opts != nil {
		if opts.Name != nil {
			k["name"] = *opts.Name
		}
		setIf(k, opts.Arches != nil, "arches", strings.Join(opts.Arches, " "))
		if opts.Locked != nil {
			k["locked"] = *opts.Locked
		}
		if opts.Perm != nil {
			if *opts.Perm == "" {
				k["perm"] = nil
			} else {
				k["perm"] = *opts.Perm
			}
		}
		setIf(k, opts.Extra != nil, "extra", opts.Extra)
		setIf(k, opts.RemoveExtra != nil, "remove_extra", opts.RemoveExtra)
		setIf(k, opts.BlockExtra != nil, "block_extra", opts.BlockExtra)
	}
	return c.call(ctx, "editTag2", nil, []any{tag}, k)
}

// DeleteTag deletes a tag. Its history is kept and the name can be reused.
func (c *Client) DeleteTag(ctx context.Context, tag Ref) error {
	return c.call(ctx, "deleteTag", nil, []any{tag}, nil)
}

// ListTagsOptions filter ListTags.
type ListTagsOptions struct {
	Build   Ref    // tags that contain this build
	Package Ref    // tags whose package list has this package
	Pattern string // glob on the tag name
	Query   *QueryOptions
}

// ListTags lists tags.
func (c *Client) ListTags(ctx context.Context, opts *ListTagsOptions) ([]Tag, error) {
	k := Kwargs{}
	if opts != nil {
		setIf(k, !opts.Build.IsZero(), "build", opts.Build)
		setIf(k, !opts.Package.IsZero(), "package", opts.Package)
		setIf(k, opts.Pattern != "", "pattern", opts.Pattern)
		opts.Query.addTo(k)
	}
	var tags []Tag
	return tags, c.call(ctx, "listTags", &tags, nil, k)
}

// InheritanceLink is one parent link of a tag (getInheritanceData). To set
// links, all fields are sent; MaxDepth nil means unlimited.
type InheritanceLink struct {
	ChildID      int64  `xmlrpc:"child_id"`
	ParentID     int64  `xmlrpc:"parent_id"`
	Name         string `xmlrpc:"name"` // the parent's name
	Priority     int    `xmlrpc:"priority"`
	MaxDepth     *int   `xmlrpc:"maxdepth"`
	Intransitive bool   `xmlrpc:"intransitive"`
	NoConfig     bool   `xmlrpc:"noconfig"`
	PkgFilter    string `xmlrpc:"pkg_filter"` // regular expression on package names
	// Delete removes this link in SetInheritanceData.
	Delete bool `xmlrpc:"-"`
}

// MarshalXMLRPC sends the fields setInheritanceData requires; every one of
// them is needed, with maxdepth nil for unlimited.
func (l InheritanceLink) MarshalXMLRPC() (any, error) {
	m := map[string]any{
		"parent_id":    l.ParentID,
		"priority":     l.Priority,
		"maxdepth":     l.MaxDepth,
		"intransitive": l.Intransitive,
		"noconfig":     l.NoConfig,
		"pkg_filter":   l.PkgFilter,
	}
	if l.ChildID != 0 {
		m["child_id"] = l.ChildID
	}
	if l.Delete {
		m["delete link"] = true
	}
	return m, nil
}

// EventOptions select a point in history for read calls.
type EventOptions struct {
	Event int64 // 0 = now
}

func (o *EventOptions) kw() Kwargs {
	k := Kwargs{}
	if o != nil && o.Event != 0 {
		k["event"] = o.Event
	}
	return k
}

// GetInheritanceData returns a tag's direct parent links.
func (c *Client) GetInheritanceData(ctx context.Context, tag Ref, opts *EventOptions) ([]InheritanceLink, error) {
	var links []InheritanceLink
	return links, c.call(ctx, "getInheritanceData", &links, []any{tag}, opts.kw())
}

// SetInheritanceOptions are optional arguments of SetInheritanceData.
type SetInheritanceOptions struct {
	Clear bool // replace the whole list instead of merging by parent
}

// SetInheritanceData adds, changes (matched by ParentID) or, with Delete,
// removes parent links of tag.
func (c *Client) SetInheritanceData(ctx context.Context, tag Ref, links []InheritanceLink, opts *SetInheritanceOptions) error {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Clear, "clear", true)
	}
	if links == nil {
		links = []InheritanceLink{}
	}
	return c.call(ctx, "setInheritanceData", nil, []any{tag, links}, k)
}

// FullInheritanceLink is one entry of a tag's flattened inheritance. In an
// ancestor listing (the default) ChildID is the tag that inherits, ParentID
// and Name the ancestor. In a reverse listing the hub sends the descendant
// as TagID and its name as Name, with ParentID the tag it inherits from,
// and no ChildID (0 here).
type FullInheritanceLink struct {
	InheritanceLink `xmlrpc:",inline"`
	// TagID is the descendant in a reverse listing (koji's tag_id); 0 in
	// an ancestor listing.
	TagID     int64    `xmlrpc:"tag_id"`
	CurrDepth int      `xmlrpc:"currdepth"`
	NextDepth *int     `xmlrpc:"nextdepth"`
	Filter    []string `xmlrpc:"filter"`
}

// FullInheritanceOptions are optional arguments of GetFullInheritance.
type FullInheritanceOptions struct {
	Event   int64
	Reverse bool // list descendants instead of ancestors; each is in TagID
}

// GetFullInheritance returns tag's ancestors, depth first in priority
// order, or with Reverse its descendants (see FullInheritanceLink.TagID).
func (c *Client) GetFullInheritance(ctx context.Context, tag Ref, opts *FullInheritanceOptions) ([]FullInheritanceLink, error) {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Event != 0, "event", opts.Event)
		setIf(k, opts.Reverse, "reverse", true)
	}
	var links []FullInheritanceLink
	return links, c.call(ctx, "getFullInheritance", &links, []any{tag}, k)
}
