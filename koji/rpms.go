package koji

import (
	"context"
	"fmt"
	"time"
)

// RPM is an RPM known to the hub (listRPMs, getRPM, listTaggedRPMS).
type RPM struct {
	ID           int64          `xmlrpc:"id"`
	Name         string         `xmlrpc:"name"`
	Version      string         `xmlrpc:"version"`
	Release      string         `xmlrpc:"release"`
	Epoch        *int           `xmlrpc:"epoch"`
	Arch         string         `xmlrpc:"arch"`
	BuildID      int64          `xmlrpc:"build_id"`
	BuildrootID  *int64         `xmlrpc:"buildroot_id"`
	BuildTime    time.Time      `xmlrpc:"buildtime"`
	PayloadHash  string         `xmlrpc:"payloadhash"` // sigmd5
	Size         int64          `xmlrpc:"size"`
	Extra        map[string]any `xmlrpc:"extra"`
	MetadataOnly bool           `xmlrpc:"metadata_only"`
	ExternalRepo string         `xmlrpc:"external_repo_name"`
}

// NEVRA returns name-[epoch:]version-release.arch.
func (r *RPM) NEVRA() string {
	if r.Epoch != nil {
		return fmt.Sprintf("%s-%d:%s-%s.%s", r.Name, *r.Epoch, r.Version, r.Release, r.Arch)
	}
	return fmt.Sprintf("%s-%s-%s.%s", r.Name, r.Version, r.Release, r.Arch)
}

// ListRPMsOptions filter ListRPMs. Set at least one.
type ListRPMsOptions struct {
	BuildID     int64
	BuildrootID int64
	ImageID     int64 // archive id: the RPMs recorded as its components (module RPM sets)
	Arches      []string
	Query       *QueryOptions
}

// ListRPMs lists RPMs.
func (c *Client) ListRPMs(ctx context.Context, opts *ListRPMsOptions) ([]RPM, error) {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.BuildID != 0, "buildID", opts.BuildID)
		setIf(k, opts.BuildrootID != 0, "buildrootID", opts.BuildrootID)
		setIf(k, opts.ImageID != 0, "imageID", opts.ImageID)
		setIf(k, opts.Arches != nil, "arches", opts.Arches)
		opts.Query.addTo(k)
	}
	var rpms []RPM
	return rpms, c.call(ctx, "listRPMs", &rpms, nil, k)
}

// GetRPM returns an RPM by id or "N-V-R.A"; ErrNotFound if unknown.
func (c *Client) GetRPM(ctx context.Context, rpm Ref) (*RPM, error) {
	return lookup[RPM](ctx, c, "getRPM", "rpm", rpm, nil)
}

// ListTaggedRPMsOptions are optional arguments of ListTaggedRPMs.
type ListTaggedRPMsOptions struct {
	Event   int64
	Inherit bool
	Latest  bool
	Package string
	Arches  []string
}

// ListTaggedRPMs returns the RPMs of the builds in a tag, and those builds
// (listTaggedRPMS).
func (c *Client) ListTaggedRPMs(ctx context.Context, tag Ref, opts *ListTaggedRPMsOptions) ([]RPM, []Build, error) {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Event != 0, "event", opts.Event)
		setIf(k, opts.Inherit, "inherit", true)
		setIf(k, opts.Latest, "latest", true)
		setIf(k, opts.Package != "", "package", opts.Package)
		setIf(k, opts.Arches != nil, "arch", opts.Arches)
	}
	var pair struct {
		RPMs   []RPM
		Builds []Build
	}
	var raw []any
	if err := c.call(ctx, "listTaggedRPMS", &raw, []any{tag}, k); err != nil {
		return nil, nil, err
	}
	if len(raw) != 2 {
		return nil, nil, fmt.Errorf("koji: listTaggedRPMS: want a [rpms, builds] pair, got %d items", len(raw))
	}
	if err := unmarshal("listTaggedRPMS", raw[0], &pair.RPMs); err != nil {
		return nil, nil, err
	}
	if err := unmarshal("listTaggedRPMS", raw[1], &pair.Builds); err != nil {
		return nil, nil, err
	}
	return pair.RPMs, pair.Builds, nil
}

// Archive is a build output that is not an RPM (listArchives), e.g. a
// module's modulemd.<arch>.txt.
type Archive struct {
	ID           int64          `xmlrpc:"id"`
	BuildID      int64          `xmlrpc:"build_id"`
	BuildrootID  *int64         `xmlrpc:"buildroot_id"`
	Filename     string         `xmlrpc:"filename"`
	Size         int64          `xmlrpc:"size"`
	Checksum     string         `xmlrpc:"checksum"`
	ChecksumType int            `xmlrpc:"checksum_type"` // 0 md5, 1 sha1, 2 sha256
	BType        string         `xmlrpc:"btype"`         // build type, e.g. "module"
	TypeName     string         `xmlrpc:"type_name"`     // file type from the extension, e.g. "txt"
	Arch         string         `xmlrpc:"arch"`          // image archives, when listed with Type "image"
	Extra        map[string]any `xmlrpc:"extra"`
	MetadataOnly bool           `xmlrpc:"metadata_only"`
}

// ListArchivesOptions filter ListArchives.
type ListArchivesOptions struct {
	BuildID  int64
	Type     string // btype, e.g. "module"
	Filename string
}

// ListArchives lists archives.
func (c *Client) ListArchives(ctx context.Context, opts *ListArchivesOptions) ([]Archive, error) {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.BuildID != 0, "buildID", opts.BuildID)
		setIf(k, opts.Type != "", "type", opts.Type)
		setIf(k, opts.Filename != "", "filename", opts.Filename)
	}
	var as []Archive
	return as, c.call(ctx, "listArchives", &as, nil, k)
}

// BType is a build type (listBTypes).
type BType struct {
	ID   int64  `xmlrpc:"id"`
	Name string `xmlrpc:"name"`
}

// ListBTypes lists the hub's build types.
func (c *Client) ListBTypes(ctx context.Context) ([]BType, error) {
	var bt []BType
	return bt, c.call(ctx, "listBTypes", &bt, nil, nil)
}

// AddBType adds a build type, e.g. "module" (admin).
func (c *Client) AddBType(ctx context.Context, name string) error {
	return c.call(ctx, "addBType", nil, []any{name}, nil)
}
