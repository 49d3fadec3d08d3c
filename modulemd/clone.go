package modulemd

import (
	"maps"
	"slices"
)

// Clone returns a deep copy of s. Decoder positions are shared (they are
// never modified).
func (s *Stream) Clone() *Stream {
	if s == nil {
		return nil
	}
	c := *s
	c.ServiceLevels = maps.Clone(s.ServiceLevels)
	c.License = License{Module: slices.Clone(s.License.Module), Content: slices.Clone(s.License.Content)}
	c.Dependencies = cloneDependencies(s.Dependencies)
	c.Profiles = cloneProfiles(s.Profiles)
	c.API = slices.Clone(s.API)
	c.Filter = slices.Clone(s.Filter)
	c.Demodularized = slices.Clone(s.Demodularized)
	c.BuildOpts = s.BuildOpts.clone()
	c.Components = s.Components.clone()
	c.Artifacts.RPMs = slices.Clone(s.Artifacts.RPMs)
	if s.Artifacts.RPMMap != nil {
		c.Artifacts.RPMMap = make(map[string]map[string]RPMMapEntry, len(s.Artifacts.RPMMap))
		for k, v := range s.Artifacts.RPMMap {
			c.Artifacts.RPMMap[k] = maps.Clone(v)
		}
	}
	return &c
}

// Clone returns a deep copy of d.
func (d *Defaults) Clone() *Defaults {
	if d == nil {
		return nil
	}
	c := *d
	c.Profiles = cloneSetMap(d.Profiles)
	if d.Intents != nil {
		c.Intents = make(map[string]Intent, len(d.Intents))
		for k, v := range d.Intents {
			c.Intents[k] = Intent{Stream: v.Stream, Profiles: cloneSetMap(v.Profiles)}
		}
	}
	return &c
}

// Clone returns a deep copy of o.
func (o *Obsoletes) Clone() *Obsoletes {
	if o == nil {
		return nil
	}
	c := *o
	if o.ObsoletedBy != nil {
		by := *o.ObsoletedBy
		c.ObsoletedBy = &by
	}
	return &c
}

// Clone returns a deep copy of t.
func (t *Translations) Clone() *Translations {
	if t == nil {
		return nil
	}
	c := *t
	if t.Entries != nil {
		c.Entries = make(map[string]TranslationEntry, len(t.Entries))
		for k, v := range t.Entries {
			v.Profiles = maps.Clone(v.Profiles)
			c.Entries[k] = v
		}
	}
	return &c
}

// Clone returns a deep copy of p.
func (p *Packager) Clone() *Packager {
	if p == nil {
		return nil
	}
	c := *p
	c.License = slices.Clone(p.License)
	c.Dependencies = cloneDependencies(p.Dependencies)
	if p.Configurations != nil {
		c.Configurations = make([]Configuration, len(p.Configurations))
		for i, cf := range p.Configurations {
			cf.BuildRequires = maps.Clone(cf.BuildRequires)
			cf.Requires = maps.Clone(cf.Requires)
			cf.BuildOpts = cf.BuildOpts.clone()
			c.Configurations[i] = cf
		}
	}
	c.Profiles = cloneProfiles(p.Profiles)
	c.API = slices.Clone(p.API)
	c.Filter = slices.Clone(p.Filter)
	c.Demodularized = slices.Clone(p.Demodularized)
	c.Components = p.Components.clone()
	return &c
}

func (b *BuildOpts) clone() *BuildOpts {
	if b == nil {
		return nil
	}
	c := &BuildOpts{Arches: slices.Clone(b.Arches)}
	if b.RPMs != nil {
		c.RPMs = &RPMBuildOpts{Macros: b.RPMs.Macros, Whitelist: slices.Clone(b.RPMs.Whitelist)}
	}
	return c
}

func (c Components) clone() Components {
	var out Components
	if c.RPMs != nil {
		out.RPMs = make(map[string]*RPMComponent, len(c.RPMs))
		for k, v := range c.RPMs {
			if v == nil {
				out.RPMs[k] = nil
				continue
			}
			r := *v
			r.BuildAfter = slices.Clone(v.BuildAfter)
			r.Arches = slices.Clone(v.Arches)
			r.Multilib = slices.Clone(v.Multilib)
			out.RPMs[k] = &r
		}
	}
	if c.Modules != nil {
		out.Modules = make(map[string]*ModuleComponent, len(c.Modules))
		for k, v := range c.Modules {
			if v == nil {
				out.Modules[k] = nil
				continue
			}
			m := *v
			out.Modules[k] = &m
		}
	}
	return out
}

func cloneProfiles(p map[string]Profile) map[string]Profile {
	if p == nil {
		return nil
	}
	out := make(map[string]Profile, len(p))
	for k, v := range p {
		v.RPMs = slices.Clone(v.RPMs)
		out[k] = v
	}
	return out
}

func cloneDependencies(deps []Dependency) []Dependency {
	if deps == nil {
		return nil
	}
	out := make([]Dependency, len(deps))
	for i, d := range deps {
		out[i] = Dependency{BuildRequires: cloneSetMap(d.BuildRequires), Requires: cloneSetMap(d.Requires)}
	}
	return out
}

func cloneSetMap(m map[string][]string) map[string][]string {
	if m == nil {
		return nil
	}
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}
