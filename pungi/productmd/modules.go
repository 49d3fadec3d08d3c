package productmd

import (
	"maps"
	"regexp"
	"slices"
)

// ModuleMetadata identifies a module stream in modules.json.
type ModuleMetadata struct {
	UID     string // N:S[:V[:C]]
	Name    string
	Stream  string
	Version string
	Context string
	// KojiTag is the module's content tag (Pungi writes "DUMMY" when there
	// is none).
	KojiTag string
}

// ModuleEntry is one module stream of a variant and arch.
type ModuleEntry struct {
	Metadata ModuleMetadata
	// ModulemdPath maps a category (binary, debug, source) to the
	// modules.yaml file in the repository, relative to the compose.
	ModulemdPath map[string]string
	// RPMs are the module's RPM artifacts as N-E:V-R.A.
	RPMs []string
}

// Modules is the content of modules.json: variant UID → arch → module UID
// → entry.
type Modules struct {
	Header  Header
	Compose Compose
	Modules map[string]map[string]map[string]ModuleEntry
}

var moduleUIDRE = regexp.MustCompile(`^(.*/)?([^:]+):([^:]+)(:([^:]+))?(:([^:]+))?$`)

// ParseModuleUID splits N:S[:V[:C]] (an optional "path/" prefix is
// ignored); missing parts are empty.
func ParseModuleUID(uid string) (name, stream, version, context string, err error) {
	m := moduleUIDRE.FindStringSubmatch(uid)
	if m == nil {
		return "", "", "", "", errorf("%q is not NAME:STREAM[:VERSION[:CONTEXT]]", uid)
	}
	return m[2], m[3], m[5], m[7], nil
}

// Add records a module as productmd's Modules.add does.
func (m *Modules) Add(variant, arch, uid, kojiTag, modulemdPath, category string, rpms []string) error {
	p := problems{kind: TypeModules}
	n, s, v, c, err := ParseModuleUID(uid)
	f := "payload.modules." + variant + "." + arch + "." + uid
	if err != nil {
		p.add(f, "%v", err)
	}
	checkModule(&p, f, variant, arch, kojiTag, category, modulemdPath)
	if err := p.err(); err != nil {
		return err
	}
	uid = n + ":" + s
	if v != "" {
		uid += ":" + v
	}
	if c != "" {
		uid += ":" + c
	}
	if m.Modules == nil {
		m.Modules = map[string]map[string]map[string]ModuleEntry{}
	}
	if m.Modules[variant] == nil {
		m.Modules[variant] = map[string]map[string]ModuleEntry{}
	}
	if m.Modules[variant][arch] == nil {
		m.Modules[variant][arch] = map[string]ModuleEntry{}
	}
	e := m.Modules[variant][arch][uid]
	e.Metadata = ModuleMetadata{UID: uid, Name: n, Stream: s, Version: v, Context: c, KojiTag: kojiTag}
	if e.ModulemdPath == nil {
		e.ModulemdPath = map[string]string{}
	}
	e.ModulemdPath[category] = modulemdPath
	e.RPMs = append(e.RPMs, rpms...)
	m.Modules[variant][arch][uid] = e
	return nil
}

func checkModule(p *problems, f, variant, arch, kojiTag, category, path string) {
	if variant == "" {
		p.add(f, "empty variant UID")
	}
	if !IsRPMArch(arch) {
		p.add(f, "arch %q is not an RPM arch", arch)
	}
	if !slices.Contains(categories, category) {
		p.add(f+".modulemd_path", "category %q is not binary, debug or source", category)
	}
	if path == "" {
		p.add(f+".modulemd_path."+category, "must not be empty")
	} else if !isRelative(path) {
		p.add(f+".modulemd_path."+category, "%q is not a relative path", path)
	}
	if kojiTag == "" {
		p.add(f+".metadata.koji_tag", "must not be empty")
	}
}

// Validate applies productmd's rules for adding modules to every entry.
func (m *Modules) Validate() error {
	p := problems{kind: TypeModules}
	m.Compose.validate(&p, "payload.compose")
	for _, v := range slices.Sorted(maps.Keys(m.Modules)) {
		for _, a := range slices.Sorted(maps.Keys(m.Modules[v])) {
			for _, uid := range slices.Sorted(maps.Keys(m.Modules[v][a])) {
				e := m.Modules[v][a][uid]
				f := "payload.modules." + v + "." + a + "." + uid
				n, s, ver, c, err := ParseModuleUID(uid)
				if err != nil {
					p.add(f, "%v", err)
				} else if md := e.Metadata; md.UID != uid || md.Name != n || md.Stream != s || md.Version != ver || md.Context != c {
					p.add(f+".metadata", "uid, name, stream, version and context do not match the key %q", uid)
				}
				if len(e.ModulemdPath) == 0 {
					p.add(f+".modulemd_path", "must not be empty")
				}
				for _, cat := range slices.Sorted(maps.Keys(e.ModulemdPath)) {
					checkModule(&p, f, v, a, e.Metadata.KojiTag, cat, e.ModulemdPath[cat])
				}
			}
		}
	}
	return p.err()
}

// MarshalJSON writes modules.json, format 1.2, after validating.
func (m *Modules) MarshalJSON() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	mods := obj{}
	for v, arches := range m.Modules {
		av := obj{}
		for a, uids := range arches {
			uv := obj{}
			for uid, e := range uids {
				md := e.Metadata
				rpms := e.RPMs
				if rpms == nil {
					rpms = []string{}
				}
				uv[uid] = obj{
					"metadata": obj{"uid": md.UID, "name": md.Name, "stream": md.Stream, "version": md.Version,
						"context": md.Context, "koji_tag": md.KojiTag},
					"modulemd_path": e.ModulemdPath,
					"rpms":          rpms,
				}
			}
			av[a] = uv
		}
		mods[v] = av
	}
	return document(TypeModules, obj{"compose": m.Compose.payload(), "modules": mods}), nil
}

type rawModuleEntry struct {
	Metadata struct {
		UID     string `json:"uid"`
		Name    string `json:"name"`
		Stream  string `json:"stream"`
		Version any    `json:"version"`
		Context string `json:"context"`
		KojiTag string `json:"koji_tag"`
	} `json:"metadata"`
	ModulemdPath map[string]string `json:"modulemd_path"`
	RPMs         []string          `json:"rpms"`
}

// UnmarshalJSON reads modules.json of any header version up to 1.2.
func (m *Modules) UnmarshalJSON(data []byte) error {
	var rest struct {
		Modules map[string]map[string]map[string]rawModuleEntry `json:"modules"`
	}
	h, c, err := decodePayloadCompose(TypeModules, data, &rest)
	if err != nil {
		return err
	}
	if rest.Modules == nil {
		return &ValidationError{Kind: TypeModules, Problems: []Problem{{"payload.modules", "missing"}}}
	}
	out := Modules{Header: h, Compose: c, Modules: map[string]map[string]map[string]ModuleEntry{}}
	for v, arches := range rest.Modules {
		out.Modules[v] = map[string]map[string]ModuleEntry{}
		for a, uids := range arches {
			out.Modules[v][a] = map[string]ModuleEntry{}
			for uid, e := range uids {
				ver := ""
				switch x := e.Metadata.Version.(type) {
				case string:
					ver = x
				case float64:
					ver = formatNumber(x)
				}
				out.Modules[v][a][uid] = ModuleEntry{
					Metadata: ModuleMetadata{UID: e.Metadata.UID, Name: e.Metadata.Name, Stream: e.Metadata.Stream,
						Version: ver, Context: e.Metadata.Context, KojiTag: e.Metadata.KojiTag},
					ModulemdPath: e.ModulemdPath, RPMs: e.RPMs,
				}
			}
		}
	}
	*m = out
	return nil
}
