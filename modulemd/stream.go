package modulemd

// Stream is a module stream: a `document: modulemd` of version 1 or 2. Both
// versions share this type; Version1 streams keep their dependencies as a
// single [Dependency] entry whose stream lists hold exactly one stream each.
//
// Sets (licences, api, filter, artifacts, arches, ...) are kept sorted and
// without duplicates, as libmodulemd stores them.
type Stream struct {
	// Version of the metadata format: 1 or 2.
	MDVersionNumber uint64

	Name    string
	Stream  string
	Version uint64 // 0 means unset
	Context string
	// StaticContext says the packager-provided context is authoritative (v2 only).
	StaticContext bool
	Arch          string
	Summary       string
	Description   string

	ServiceLevels map[string]ServiceLevel
	License       License
	// XMD is free-form extensible metadata, zero when absent; see [XMD].
	XMD XMD

	Dependencies  []Dependency
	References    References
	Profiles      map[string]Profile
	API           []string // api.rpms
	Filter        []string // filter.rpms
	Demodularized []string // demodularized.rpms (v2 only)
	BuildOpts     *BuildOpts
	Components    Components
	Artifacts     Artifacts

	pos *positions
}

// Kind implements [Document].
func (s *Stream) Kind() Kind { return KindStream }

// MDVersion implements [Document].
func (s *Stream) MDVersion() uint64 { return s.MDVersionNumber }

// Source implements [Document].
func (s *Stream) Source() Source { return s.pos.source() }

// ServiceLevel is one entry of `servicelevels`.
type ServiceLevel struct {
	EOL Date // zero when unset
}

// Date is a calendar date as written in servicelevel `eol` (YYYY-MM-DD).
type Date struct {
	Year, Month, Day int
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

// License holds the module's own licences and those of its content.
type License struct {
	Module  []string
	Content []string
}

// Dependency is one entry of `dependencies`: one alternative set of build-time
// and run-time requirements. Each map goes from module name to a stream list:
// an empty list means any stream; entries prefixed with "-" exclude a stream.
type Dependency struct {
	BuildRequires map[string][]string
	Requires      map[string][]string
}

// References are upstream links.
type References struct {
	Community     string
	Documentation string
	Tracker       string
}

// Profile is a named set of packages to install.
type Profile struct {
	Description string
	RPMs        []string
	// Default marks a default profile (packager documents and stream v2).
	Default bool
}

// BuildOpts are build options for the whole module.
type BuildOpts struct {
	RPMs   *RPMBuildOpts
	Arches []string
}

// RPMBuildOpts are `buildopts.rpms`.
type RPMBuildOpts struct {
	Macros string
	// Whitelist lists the binary package names the build may produce
	// (YAML key `whitelist`).
	Whitelist []string
}

// Components are the module's components keyed by name.
type Components struct {
	RPMs    map[string]*RPMComponent
	Modules map[string]*ModuleComponent
}

// RPMComponent is an entry of `components.rpms`, keyed by its SRPM name.
type RPMComponent struct {
	Rationale string
	// Name overrides the SCM repository name; empty when equal to the key.
	Name          string
	Repository    string
	Cache         string
	Ref           string
	Buildroot     bool
	SRPMBuildroot bool
	BuildOrder    int64
	BuildAfter    []string
	Buildonly     bool
	Arches        []string
	Multilib      []string
}

// ModuleComponent is an entry of `components.modules`.
type ModuleComponent struct {
	Rationale  string
	Repository string
	Ref        string
	BuildOrder int64
	Buildonly  bool
}

// Artifacts are the binary results of a built stream.
type Artifacts struct {
	RPMs []string // NEVRA strings
	// RPMMap goes digest name → checksum → entry (v2 only).
	RPMMap map[string]map[string]RPMMapEntry
}

// RPMMapEntry describes one artifact in `artifacts.rpm-map`.
type RPMMapEntry struct {
	Name    string
	Epoch   uint64
	Version string
	Release string
	Arch    string
	NEVRA   string
}
