package modulemd

// Packager is a `document: modulemd-packager`: the module definition a
// packager keeps in dist-git. Version 2 has the shape of a stream v2 without
// the build-system fields; version 3 replaces dependencies with build
// configurations.
type Packager struct {
	MDVersionNumber uint64 // 2 or 3

	Name        string // optional; filled from the repository name
	Stream      string // optional; filled from the branch
	Summary     string
	Description string
	// License is the module licence set (v2: `license.module`; v3: `license`).
	License []string
	// XMD is free-form metadata (v3 only); see [Stream.XMD].
	XMD XMD

	// StaticContext and Dependencies are version 2 only.
	StaticContext bool
	Dependencies  []Dependency

	// Configurations are version 3 only: one per build context.
	Configurations []Configuration

	References    References
	Profiles      map[string]Profile
	API           []string
	Filter        []string
	Demodularized []string
	Components    Components

	pos *positions
}

// Configuration is a packager v3 build configuration.
type Configuration struct {
	Context  string
	Platform string
	// BuildRequires and Requires map a module name to exactly one stream.
	BuildRequires map[string]string
	Requires      map[string]string
	BuildOpts     *BuildOpts
}

// Kind implements [Document].
func (p *Packager) Kind() Kind { return KindPackager }

// MDVersion implements [Document].
func (p *Packager) MDVersion() uint64 { return p.MDVersionNumber }

// Source implements [Document].
func (p *Packager) Source() Source { return p.pos.source() }
