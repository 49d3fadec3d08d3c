package modulemd

import (
	"maps"

	"go.yaml.in/yaml/v3"
)

// Allowed keys, listed in unknown-key errors.
var (
	streamV2Keys = []string{"name", "stream", "version", "context", "static_context", "arch", "summary",
		"description", "servicelevels", "license", "xmd", "dependencies", "references", "profiles", "api",
		"filter", "demodularized", "buildopts", "components", "artifacts"}
	streamV1Keys = []string{"name", "stream", "version", "context", "arch", "summary", "description", "eol",
		"servicelevels", "license", "xmd", "dependencies", "references", "profiles", "api", "filter",
		"buildopts", "components", "artifacts"}
	packagerV2Keys = []string{"summary", "description", "static_context", "license", "dependencies",
		"references", "profiles", "api", "filter", "demodularized", "components"}
	referencesKeys   = []string{"community", "documentation", "tracker"}
	profileKeys      = []string{"description", "rpms", "default"}
	buildoptsKeys    = []string{"rpms", "arches"}
	rpmBuildoptsKeys = []string{"macros", "whitelist"}
	componentsKeys   = []string{"rpms", "modules"}
	rpmCompKeys      = []string{"rationale", "name", "repository", "cache", "ref", "buildroot", "srpm-buildroot",
		"buildorder", "buildafter", "buildonly", "arches", "multilib"}
	moduleCompKeys = []string{"rationale", "repository", "ref", "buildorder", "buildonly"}
	rpmMapKeys     = []string{"name", "epoch", "version", "release", "arch", "nevra"}
)

// streamV2 reads the data mapping of a stream v2; packager selects the
// modulemd-packager v2 key set, which it shares.
func (r *docReader) streamV2(m *yaml.Node, packager bool) *Stream {
	s := &Stream{MDVersionNumber: 2, pos: r.pos}
	allowed := streamV2Keys
	if packager {
		allowed = packagerV2Keys
	}
	const p = "data"
	for _, e := range r.entries(m, p) {
		path := p + "." + e.key
		switch e.key {
		case "summary":
			s.Summary, _ = r.str(e.v, path)
		case "description":
			s.Description, _ = r.str(e.v, path)
		case "static_context":
			s.StaticContext = r.bool(e.v, path)
		case "license":
			s.License = r.license(e.v, path, !packager)
		case "dependencies":
			s.Dependencies = r.dependencies(e.v, path)
		case "references":
			s.References = r.references(e.v, path)
		case "profiles":
			s.Profiles = r.profiles(e.v, path)
		case "api":
			s.API = r.rpmsSet(e.v, path)
		case "filter":
			s.Filter = r.rpmsSet(e.v, path)
		case "demodularized":
			s.Demodularized = r.rpmsSet(e.v, path)
		case "components":
			s.Components = r.components(e.v, path)
		default:
			if packager || !r.streamOnlyField(s, e, path, true) {
				r.unknown(e, p, allowed)
			}
		}
	}
	return s
}

// streamOnlyField reads the keys a stream has but a packager v2 document
// does not. It reports whether key was one of them.
func (r *docReader) streamOnlyField(s *Stream, e entry, path string, v2 bool) bool {
	switch e.key {
	case "name":
		s.Name, _ = r.str(e.v, path)
	case "stream":
		s.Stream, _ = r.str(e.v, path)
	case "version":
		s.Version, _ = r.uint64(e.v, path)
	case "context":
		s.Context, _ = r.str(e.v, path)
	case "arch":
		s.Arch, _ = r.str(e.v, path)
	case "servicelevels":
		r.servicelevels(e.v, path, s)
	case "xmd":
		s.XMD = r.xmd(e.v, path)
	case "buildopts":
		s.BuildOpts = r.buildopts(e.v, path, r.strict)
	case "artifacts":
		s.Artifacts = r.artifacts(e.v, path, v2)
	default:
		return false
	}
	return true
}

// streamV1 reads the data mapping of a stream v1.
func (r *docReader) streamV1(m *yaml.Node) *Stream {
	s := &Stream{MDVersionNumber: 1, pos: r.pos}
	const p = "data"
	for _, e := range r.entries(m, p) {
		path := p + "." + e.key
		switch e.key {
		case "summary":
			s.Summary, _ = r.str(e.v, path)
		case "description":
			s.Description, _ = r.str(e.v, path)
		case "eol":
			// The obsolete top-level eol is the "rawhide" service level.
			d := r.date(e.v, path)
			if s.ServiceLevels == nil {
				s.ServiceLevels = make(map[string]ServiceLevel)
			}
			s.ServiceLevels["rawhide"] = ServiceLevel{EOL: d}
		case "license":
			s.License = r.license(e.v, path, true)
		case "dependencies":
			s.Dependencies = r.dependenciesV1(e.v, path)
		case "references":
			s.References = r.references(e.v, path)
		case "profiles":
			s.Profiles = r.profiles(e.v, path)
		case "api":
			s.API = r.rpmsSet(e.v, path)
		case "filter":
			s.Filter = r.rpmsSet(e.v, path)
		case "components":
			s.Components = r.components(e.v, path)
		default:
			if !r.streamOnlyField(s, e, path, false) {
				r.unknown(e, p, streamV1Keys)
			}
		}
	}
	return s
}

func (r *docReader) servicelevels(n *yaml.Node, path string, s *Stream) {
	sls := keyed(r, n, path, "service levels", "", (*docReader).servicelevel)
	switch {
	case len(sls) == 0:
	case s.ServiceLevels == nil:
		s.ServiceLevels = sls
	default: // a v1 eol came first
		maps.Copy(s.ServiceLevels, sls)
	}
}

func (r *docReader) servicelevel(e entry, lp string) (ServiceLevel, bool) {
	var sl ServiceLevel
	lm := r.item(e, lp, "a service level")
	if lm == nil {
		return sl, false
	}
	for _, f := range r.entries(lm, lp) {
		if f.key == "eol" {
			sl.EOL = r.date(f.v, lp+".eol")
			continue
		}
		r.unknown(f, lp, []string{"eol"})
	}
	return sl, true
}

func (r *docReader) license(n *yaml.Node, path string, content bool) License {
	var l License
	m := r.mapAt(n, path, "licenses")
	if m == nil {
		return l
	}
	allowed := []string{"module", "content"}
	if !content {
		allowed = allowed[:1]
	}
	for _, e := range r.entries(m, path) {
		switch {
		case e.key == "module":
			l.Module = r.setField(e, path)
		case e.key == "content" && content:
			l.Content = r.setField(e, path)
		default:
			r.unknown(e, path, allowed)
		}
	}
	return l
}

// nestedSet reads a module → stream set mapping. A module listed twice is an
// error, as in libmodulemd. Streams lists are never nil.
func (r *docReader) nestedSet(n *yaml.Node, path string) map[string][]string {
	return keyed(r, n, path, "a mapping of module names to stream lists",
		"module %q is listed twice; expected each module once", (*docReader).setAt)
}

// setAt records path at the key of e and reads its value with setEmptyOK.
func (r *docReader) setAt(e entry, path string) ([]string, bool) {
	r.at(path, e.kn)
	return r.setEmptyOK(e.v, path), true
}

var dependencyKeys = []string{"buildrequires", "requires"}

func (r *docReader) dependencies(n *yaml.Node, path string) []Dependency {
	n = r.list(n, path, "dependency mappings")
	if n == nil {
		return nil
	}
	out := make([]Dependency, 0, len(n.Content))
	for i, c := range n.Content {
		ip := path + "." + itoa(i)
		m := r.mapping(c, ip, "a dependency entry with buildrequires and requires")
		if m == nil {
			continue
		}
		r.at(ip, m)
		var d Dependency
		for _, e := range r.entries(m, ip) {
			switch e.key {
			case "buildrequires":
				d.BuildRequires = r.nestedSet(e.v, ip+".buildrequires")
			case "requires":
				d.Requires = r.nestedSet(e.v, ip+".requires")
			default:
				r.unknown(e, ip, dependencyKeys)
			}
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// dependenciesV1 reads the v1 form, one mapping of module: stream for each
// of buildrequires and requires, as a single Dependency entry.
func (r *docReader) dependenciesV1(n *yaml.Node, path string) []Dependency {
	m := r.mapAt(n, path, "a mapping with buildrequires and requires")
	if m == nil {
		return nil
	}
	var d Dependency
	for _, e := range r.entries(m, path) {
		switch e.key {
		case "buildrequires", "requires":
			dp := path + "." + e.key
			sm := r.mapAt(e.v, dp, "a mapping of module names to one stream each")
			if sm == nil {
				continue
			}
			deps := make(map[string][]string)
			for _, f := range r.entries(sm, dp) {
				if st, ok := r.str(f.v, dp+"."+f.key); ok {
					deps[r.in.get(f.key)] = []string{st}
				}
			}
			if e.key == "buildrequires" {
				d.BuildRequires = deps
			} else {
				d.Requires = deps
			}
		default:
			r.unknown(e, path, dependencyKeys)
		}
	}
	if len(d.BuildRequires) == 0 {
		d.BuildRequires = nil
	}
	if len(d.Requires) == 0 {
		d.Requires = nil
	}
	if d.BuildRequires == nil && d.Requires == nil {
		return nil
	}
	return []Dependency{d}
}

func (r *docReader) references(n *yaml.Node, path string) References {
	var refs References
	for _, e := range r.mapEntries(n, path, "references") {
		switch e.key {
		case "community":
			refs.Community = r.strField(e, path)
		case "documentation":
			refs.Documentation = r.strField(e, path)
		case "tracker":
			refs.Tracker = r.strField(e, path)
		default:
			r.unknown(e, path, referencesKeys)
		}
	}
	return refs
}

func (r *docReader) profiles(n *yaml.Node, path string) map[string]Profile {
	return keyed(r, n, path, "profiles", "", (*docReader).profile)
}

func (r *docReader) profile(e entry, pp string) (Profile, bool) {
	var pr Profile
	pm := r.item(e, pp, "a profile")
	if pm == nil {
		return pr, false
	}
	for _, f := range r.entries(pm, pp) {
		switch f.key {
		case "description":
			pr.Description = r.strField(f, pp)
		case "rpms":
			pr.RPMs = r.setField(f, pp)
		case "default":
			pr.Default = r.boolField(f, pp)
		default:
			r.unknown(f, pp, profileKeys)
		}
	}
	return pr, true
}

// buildopts reads module build options; strict is forced for packager v3.
func (r *docReader) buildopts(n *yaml.Node, path string, strict bool) *BuildOpts {
	m := r.mapAt(n, path, "build options")
	if m == nil {
		return nil
	}
	b := &BuildOpts{}
	for _, e := range r.entries(m, path) {
		fp := path + "." + e.key
		switch e.key {
		case "rpms":
			rm := r.mapAt(e.v, fp, "RPM build options")
			if rm == nil {
				continue
			}
			rb := &RPMBuildOpts{}
			for _, f := range r.entries(rm, fp) {
				switch f.key {
				case "macros":
					rb.Macros, _ = r.str(f.v, fp+".macros")
				case "whitelist":
					rb.Whitelist = r.set(f.v, fp+".whitelist")
				default:
					if strict {
						r.unknownStrict(f, fp, rpmBuildoptsKeys)
					} else {
						r.unknownLenient(f, fp, rpmBuildoptsKeys)
					}
				}
			}
			b.RPMs = rb
		case "arches":
			b.Arches = r.set(e.v, fp)
		default:
			if strict {
				r.unknownStrict(e, path, buildoptsKeys)
			} else {
				r.unknownLenient(e, path, buildoptsKeys)
			}
		}
	}
	return b
}

func (r *docReader) components(n *yaml.Node, path string) Components {
	var c Components
	for _, e := range r.mapEntries(n, path, "components") {
		fp := path + "." + e.key
		switch e.key {
		case "rpms":
			c.RPMs = r.rpmComponents(e.v, fp)
		case "modules":
			c.Modules = r.moduleComponents(e.v, fp)
		default:
			r.unknown(e, path, componentsKeys)
		}
	}
	return c
}

func (r *docReader) rpmComponents(n *yaml.Node, path string) map[string]*RPMComponent {
	return keyed(r, n, path, "RPM components keyed by name", "", (*docReader).rpmComponent)
}

func (r *docReader) rpmComponent(e entry, cp string) (*RPMComponent, bool) {
	cm := r.item(e, cp, "an RPM component")
	if cm == nil {
		return nil, false
	}
	c := &RPMComponent{}
	for _, f := range r.entries(cm, cp) {
		switch f.key {
		case "rationale":
			c.Rationale = r.strField(f, cp)
		case "name":
			c.Name = r.strField(f, cp)
		case "repository":
			c.Repository = r.strField(f, cp)
		case "cache":
			c.Cache = r.strField(f, cp)
		case "ref":
			c.Ref = r.strField(f, cp)
		case "buildroot":
			c.Buildroot = r.boolField(f, cp)
		case "srpm-buildroot":
			c.SRPMBuildroot = r.boolField(f, cp)
		case "buildorder":
			c.BuildOrder = r.buildorder(f.v, cp+"."+f.key)
		case "buildafter":
			c.BuildAfter = r.setField(f, cp)
		case "buildonly":
			c.Buildonly = r.boolField(f, cp)
		case "arches":
			c.Arches = r.setField(f, cp)
		case "multilib":
			c.Multilib = r.setField(f, cp)
		default:
			r.unknown(f, cp, rpmCompKeys)
		}
	}
	// libmodulemd drops a name override equal to the key.
	if c.Name == e.key {
		c.Name = ""
	}
	return c, true
}

func (r *docReader) moduleComponents(n *yaml.Node, path string) map[string]*ModuleComponent {
	return keyed(r, n, path, "module components keyed by name", "", (*docReader).moduleComponent)
}

func (r *docReader) moduleComponent(e entry, cp string) (*ModuleComponent, bool) {
	cm := r.item(e, cp, "a module component")
	if cm == nil {
		return nil, false
	}
	c := &ModuleComponent{}
	for _, f := range r.entries(cm, cp) {
		switch f.key {
		case "rationale":
			c.Rationale = r.strField(f, cp)
		case "repository":
			c.Repository = r.strField(f, cp)
		case "ref":
			c.Ref = r.strField(f, cp)
		case "buildorder":
			c.BuildOrder = r.buildorder(f.v, cp+"."+f.key)
		case "buildonly":
			c.Buildonly = r.boolField(f, cp)
		default:
			r.unknown(f, cp, moduleCompKeys)
		}
	}
	return c, true
}

func (r *docReader) artifacts(n *yaml.Node, path string, v2 bool) Artifacts {
	var a Artifacts
	m := r.mapAt(n, path, "artifacts")
	if m == nil {
		return a
	}
	allowed := []string{"rpms", "rpm-map"}
	if !v2 {
		allowed = allowed[:1]
	}
	for _, e := range r.entries(m, path) {
		switch {
		case e.key == "rpms":
			a.RPMs = r.setField(e, path)
		case e.key == "rpm-map" && v2:
			a.RPMMap = r.rpmMap(e.v, path+"."+e.key)
		default:
			r.unknown(e, path, allowed)
		}
	}
	return a
}

func (r *docReader) rpmMap(n *yaml.Node, path string) map[string]map[string]RPMMapEntry {
	m := r.mapAt(n, path, "a mapping of digest names to checksums")
	if m == nil {
		return nil
	}
	var out map[string]map[string]RPMMapEntry
	for _, e := range r.entries(m, path) {
		dp := path + "." + e.key
		dm := r.item(e, dp, "a mapping of checksums to rpm-map entries")
		if dm == nil {
			continue
		}
		inner := make(map[string]RPMMapEntry)
		for _, c := range r.entries(dm, dp) {
			cp := dp + "." + c.key
			em := r.item(c, cp, "an rpm-map entry")
			if em == nil {
				continue
			}
			var ent RPMMapEntry
			var seen [6]bool
			for _, f := range r.entries(em, cp) {
				switch f.key {
				case "name":
					ent.Name = r.strField(f, cp)
					seen[0] = true
				case "epoch":
					ent.Epoch, _ = r.uint64(f.v, cp+"."+f.key)
					seen[1] = true
				case "version":
					ent.Version = r.strField(f, cp)
					seen[2] = true
				case "release":
					ent.Release = r.strField(f, cp)
					seen[3] = true
				case "arch":
					ent.Arch = r.strField(f, cp)
					seen[4] = true
				case "nevra":
					ent.NEVRA = r.strField(f, cp)
					seen[5] = true
				default:
					r.unknown(f, cp, rpmMapKeys)
				}
			}
			for i, ok := range seen {
				if !ok {
					r.fail(em, cp+"."+rpmMapKeys[i], ErrMissingField, "rpm-map entry has no %s; expected name, epoch, version, release, arch and nevra", rpmMapKeys[i])
				}
			}
			inner[r.in.get(c.key)] = ent
		}
		if len(inner) == 0 {
			continue
		}
		if out == nil {
			out = make(map[string]map[string]RPMMapEntry)
		}
		out[r.in.get(e.key)] = inner
	}
	return out
}

func itoa(i int) string {
	if i >= 0 && i < 10 {
		return string(rune('0' + i))
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}
