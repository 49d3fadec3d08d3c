package koji

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CGReservation is a build id reserved by CGInitBuild, with the token
// CGImport and CGRefundBuild need.
type CGReservation struct {
	BuildID int64  `xmlrpc:"build_id"`
	Token   string `xmlrpc:"token"`
}

// CGInitBuild reserves an NVR for content generator cg: the hub creates a
// BUILDING build owned by the caller.
func (c *Client) CGInitBuild(ctx context.Context, cg string, nvr NVR) (*CGReservation, error) {
	data := map[string]any{"name": nvr.Name, "version": nvr.Version, "release": nvr.Release}
	if nvr.Epoch != nil {
		data["epoch"] = *nvr.Epoch
	}
	var r CGReservation
	return &r, c.call(ctx, "CGInitBuild", &r, []any{cg, data}, nil)
}

// CGRefundBuild gives up a reservation; state must be BuildFailed or
// BuildCanceled. The NVR can be reused afterwards.
func (c *Client) CGRefundBuild(ctx context.Context, cg string, buildID int64, token string, state BuildState) error {
	return c.call(ctx, "CGRefundBuild", nil, []any{cg, buildID, token, int(state)}, nil)
}

// CGImportOptions are optional arguments of CGImport.
type CGImportOptions struct {
	Token string // from CGInitBuild; Build.BuildID must then be the reserved id
}

// CGImport imports a content-generator build whose output files were
// uploaded to directory (relative to the hub's work area, see Upload) and
// returns the new COMPLETE build.
func (c *Client) CGImport(ctx context.Context, md *CGMetadata, directory string, opts *CGImportOptions) (*Build, error) {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Token != "", "token", opts.Token)
	}
	if md == nil {
		return nil, errors.New("koji: CGImport: nil metadata")
	}
	if md.Build.Extra == nil {
		cp := *md
		cp.Build.Extra = map[string]any{}
		md = &cp
	}
	var b Build
	return &b, c.call(ctx, "CGImport", &b, []any{md, directory}, k)
}

// GrantCGAccess lets user import builds for content generator cg (admin).
func (c *Client) GrantCGAccess(ctx context.Context, user Ref, cg string, create bool) error {
	k := Kwargs{}
	setIf(k, create, "create", true)
	return c.call(ctx, "grantCGAccess", nil, []any{user, cg}, k)
}

// NVR names a build.
type NVR struct {
	Name    string
	Version string
	Release string
	Epoch   *int
}

// String returns name-version-release.
func (n NVR) String() string { return n.Name + "-" + n.Version + "-" + n.Release }

// CGMetadata is content-generator metadata, format version 0.
type CGMetadata struct {
	MetadataVersion int           `xmlrpc:"metadata_version"`
	Build           CGBuild       `xmlrpc:"build"`
	Buildroots      []CGBuildroot `xmlrpc:"buildroots"`
	Output          []CGOutput    `xmlrpc:"output"`
}

// CGBuild is the build section of CG metadata. Times are epoch seconds.
type CGBuild struct {
	Name      string `xmlrpc:"name"`
	Version   string `xmlrpc:"version"`
	Release   string `xmlrpc:"release"`
	Epoch     *int   `xmlrpc:"epoch,omitempty"`
	Source    string `xmlrpc:"source"`
	StartTime int64  `xmlrpc:"start_time"`
	EndTime   int64  `xmlrpc:"end_time"`
	Owner     string `xmlrpc:"owner,omitempty"`
	BuildID   int64  `xmlrpc:"build_id,omitempty"` // the reserved id with a CGInitBuild token
	// Extra is always sent (the hub requires build.extra; nil goes as an
	// empty struct). Typeinfo goes in Extra["typeinfo"].
	Extra map[string]any `xmlrpc:"extra"`
}

// CGBuildroot describes where outputs were produced.
type CGBuildroot struct {
	ID               int            `xmlrpc:"id"` // file-local id, referenced by outputs
	Host             CGHost         `xmlrpc:"host"`
	ContentGenerator CGTool         `xmlrpc:"content_generator"`
	Container        CGContainer    `xmlrpc:"container"`
	Tools            []CGTool       `xmlrpc:"tools"`
	Components       []CGComponent  `xmlrpc:"components"`
	Extra            map[string]any `xmlrpc:"extra,omitempty"`
}

// CGHost is a buildroot host.
type CGHost struct {
	OS   string `xmlrpc:"os"`
	Arch string `xmlrpc:"arch"`
}

// CGContainer is a buildroot container ("none" for MBS).
type CGContainer struct {
	Type string `xmlrpc:"type"`
	Arch string `xmlrpc:"arch"`
}

// CGTool is a tool (or content generator) name and version.
type CGTool struct {
	Name    string `xmlrpc:"name"`
	Version string `xmlrpc:"version"`
}

// CGComponent is a buildroot or output component: an RPM (Type "rpm") or a
// file (Type "file").
type CGComponent struct {
	Type      string // "rpm" or "file"
	Name      string // rpm
	Version   string // rpm
	Release   string // rpm
	Epoch     *int   // rpm
	Arch      string // rpm
	SigMD5    string // rpm: the payload hash
	Signature string // rpm: signing key id, "" for none
	// file components
	Filename     string
	Filesize     int64
	Checksum     string
	ChecksumType string
}

// MarshalXMLRPC emits the keys koji expects for the component's type.
func (c CGComponent) MarshalXMLRPC() (any, error) {
	if c.Type == "file" {
		return map[string]any{"type": "file", "filename": c.Filename, "filesize": c.Filesize,
			"checksum": c.Checksum, "checksum_type": c.ChecksumType}, nil
	}
	var sig any
	if c.Signature != "" {
		sig = c.Signature
	}
	return map[string]any{"type": "rpm", "name": c.Name, "version": c.Version, "release": c.Release,
		"epoch": c.Epoch, "arch": c.Arch, "sigmd5": c.SigMD5, "signature": sig}, nil
}

// RPMComponent returns the CG component for an RPM known to the hub.
func RPMComponent(r RPM) CGComponent {
	return CGComponent{Type: "rpm", Name: r.Name, Version: r.Version, Release: r.Release,
		Epoch: r.Epoch, Arch: r.Arch, SigMD5: r.PayloadHash}
}

// CGOutput is one output file of a CG build.
type CGOutput struct {
	BuildrootID  int            `xmlrpc:"buildroot_id"`
	Filename     string         `xmlrpc:"filename"`
	RelPath      string         `xmlrpc:"relpath,omitempty"` // subdirectory of the upload directory
	Filesize     int64          `xmlrpc:"filesize"`
	Arch         string         `xmlrpc:"arch"`
	Checksum     string         `xmlrpc:"checksum"`
	ChecksumType string         `xmlrpc:"checksum_type"` // "md5", "sha256", ...
	Type         string         `xmlrpc:"type"`          // "rpm", "log", or an archive type such as "file"
	Components   []CGComponent  `xmlrpc:"components,omitempty"`
	Extra        map[string]any `xmlrpc:"extra,omitempty"` // archives need extra.typeinfo.<btype>
}

// ModuleTypeInfo is extra.typeinfo.module of a module build, as MBS writes
// it and pungi reads it.
type ModuleTypeInfo struct {
	ModuleBuildServiceID int64  `xmlrpc:"module_build_service_id"`
	ContentKojiTag       string `xmlrpc:"content_koji_tag"`
	ModulemdStr          string `xmlrpc:"modulemd_str"`
	Name                 string `xmlrpc:"name"`
	Stream               string `xmlrpc:"stream"`
	Version              string `xmlrpc:"version"`
	Context              string `xmlrpc:"context"`
}

// ModuleImport describes a finished module build to import as a CG build
// the way MBS does.
type ModuleImport struct {
	Name    string
	Stream  string
	Version uint64 // module version, e.g. 20250101123456
	Context string

	ModuleBuildServiceID int64
	ContentKojiTag       string // the module's content tag, e.g. module-foo-1-20250101-abcd1234
	SCMURL               string
	Owner                string // hub user name, "" to omit
	Start, End           time.Time

	// Modulemd is the final modulemd YAML, uploaded as modulemd.txt (arch
	// noarch), whose components are RPMs.
	Modulemd string
	// SourceModulemd, if set, is the module's source YAML (as MBS takes it
	// from SCM at xmd.mbs.commit), uploaded as modulemd.src.txt with arch
	// src; its components are RPMs too.
	SourceModulemd string
	// ArchModulemd maps an arch to its final modulemd, uploaded as
	// modulemd.<arch>.txt, whose components are ArchRPMs[arch].
	ArchModulemd map[string]string
	ArchRPMs     map[string][]CGComponent
	// RPMs are all the module's RPMs (MBS: every RPM in the content tag,
	// filtered ones and source RPMs included). If nil, the union of
	// ArchRPMs is used.
	RPMs []CGComponent
	// BuildLog, if set, is uploaded as build.log.
	BuildLog string

	CGName    string // default "module-build-service"
	CGVersion string
	HostOS    string
	HostArch  string
	Tools     []CGTool
}

// NVR returns the module's koji NVR: name, stream with "-" replaced by
// "_", and "<version>.<context>".
func (m *ModuleImport) NVR() NVR {
	return NVR{Name: m.Name, Version: strings.ReplaceAll(m.Stream, "-", "_"),
		Release: strconv.FormatUint(m.Version, 10) + "." + m.Context}
}

// Metadata builds the CG metadata and the files to upload (file name →
// content). buildID is the CGInitBuild reservation, 0 for none.
func (m *ModuleImport) Metadata(buildID int64) (*CGMetadata, map[string][]byte) {
	nvr := m.NVR()
	cgName := m.CGName
	if cgName == "" {
		cgName = "module-build-service"
	}
	hostArch := m.HostArch
	if hostArch == "" {
		hostArch = "x86_64"
	}
	md := &CGMetadata{
		Build: CGBuild{
			Name: nvr.Name, Version: nvr.Version, Release: nvr.Release, Source: m.SCMURL,
			StartTime: m.Start.Unix(), EndTime: m.End.Unix(), Owner: m.Owner, BuildID: buildID,
			Extra: map[string]any{"typeinfo": map[string]any{"module": ModuleTypeInfo{
				ModuleBuildServiceID: m.ModuleBuildServiceID, ContentKojiTag: m.ContentKojiTag,
				ModulemdStr: m.Modulemd, Name: m.Name, Stream: m.Stream,
				Version: strconv.FormatUint(m.Version, 10), Context: m.Context,
			}}},
		},
		Buildroots: []CGBuildroot{{
			ID: 1, Host: CGHost{OS: m.HostOS, Arch: hostArch},
			ContentGenerator: CGTool{Name: cgName, Version: m.CGVersion},
			Container:        CGContainer{Type: "none", Arch: hostArch},
			Tools:            m.Tools, Components: []CGComponent{},
		}},
	}
	files := map[string][]byte{}
	moduleExtra := map[string]any{"typeinfo": map[string]any{"module": map[string]any{}}}
	addFile := func(name, arch, typ string, content []byte, comps []CGComponent) {
		sum := md5.Sum(content)
		out := CGOutput{BuildrootID: 1, Filename: name, Filesize: int64(len(content)), Arch: arch,
			Checksum: hex.EncodeToString(sum[:]), ChecksumType: "md5", Type: typ}
		if typ != "log" {
			out.Extra = moduleExtra
			out.Components = comps
			if out.Components == nil {
				out.Components = []CGComponent{}
			}
		}
		md.Output = append(md.Output, out)
		files[name] = content
	}
	// MBS's order: the per-arch files, modulemd.txt, modulemd.src.txt, the
	// log. The generic and source modulemd carry every RPM of the module.
	for _, arch := range slices.Sorted(maps.Keys(m.ArchModulemd)) {
		addFile(fmt.Sprintf("modulemd.%s.txt", arch), arch, "file", []byte(m.ArchModulemd[arch]), m.ArchRPMs[arch])
	}
	all := m.allRPMs()
	addFile("modulemd.txt", "noarch", "file", []byte(m.Modulemd), all)
	if m.SourceModulemd != "" {
		addFile("modulemd.src.txt", "src", "file", []byte(m.SourceModulemd), all)
	}
	if m.BuildLog != "" {
		addFile("build.log", "noarch", "log", []byte(m.BuildLog), nil)
	}
	return md, files
}

// allRPMs returns RPMs, or the union of ArchRPMs in arch order without
// repeating an RPM (a noarch RPM is in every arch's list).
func (m *ModuleImport) allRPMs() []CGComponent {
	if m.RPMs != nil {
		return m.RPMs
	}
	var out []CGComponent
	seen := map[string]bool{}
	for _, arch := range slices.Sorted(maps.Keys(m.ArchRPMs)) {
		for _, r := range m.ArchRPMs[arch] {
			epoch := ""
			if r.Epoch != nil {
				epoch = strconv.Itoa(*r.Epoch)
			}
			key := r.Type + "\x00" + r.Name + "\x00" + epoch + "\x00" + r.Version + "\x00" + r.Release + "\x00" + r.Arch + "\x00" + r.Filename
			if !seen[key] {
				seen[key] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// ImportModuleBuild uploads a module build's files to directory and imports
// it. With a reservation (from CGInitBuild) the reserved build is completed;
// pass nil to import without one.
func (c *Client) ImportModuleBuild(ctx context.Context, m *ModuleImport, directory string, res *CGReservation) (*Build, error) {
	var buildID int64
	opts := &CGImportOptions{}
	if res != nil {
		buildID, opts.Token = res.BuildID, res.Token
	}
	md, files := m.Metadata(buildID)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if _, err := c.Upload(ctx, strings.NewReader(string(files[name])), directory, name, &UploadOptions{Overwrite: true}); err != nil {
			return nil, err
		}
	}
	return c.CGImport(ctx, md, directory, opts)
}
