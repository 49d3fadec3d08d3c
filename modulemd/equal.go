package modulemd

import (
	"slices"
)

// Equal reports whether s and o hold the same metadata. Decoder positions
// are ignored, and a nil set or map equals an empty one. Two nil streams are
// equal.
func (s *Stream) Equal(o *Stream) bool {
	if s == nil || o == nil {
		return s == o
	}
	return s.MDVersionNumber == o.MDVersionNumber &&
		s.Name == o.Name && s.Stream == o.Stream && s.Version == o.Version &&
		s.Context == o.Context && s.StaticContext == o.StaticContext && s.Arch == o.Arch &&
		s.Summary == o.Summary && s.Description == o.Description &&
		mapsEqual(s.ServiceLevels, o.ServiceLevels, func(a, b ServiceLevel) bool { return a == b }) &&
		slices.Equal(s.License.Module, o.License.Module) &&
		slices.Equal(s.License.Content, o.License.Content) &&
		s.XMD.Equal(o.XMD) &&
		slices.EqualFunc(s.Dependencies, o.Dependencies, Dependency.equal) &&
		s.References == o.References &&
		mapsEqual(s.Profiles, o.Profiles, Profile.equal) &&
		slices.Equal(s.API, o.API) && slices.Equal(s.Filter, o.Filter) &&
		slices.Equal(s.Demodularized, o.Demodularized) &&
		s.BuildOpts.equal(o.BuildOpts) &&
		s.Components.equal(o.Components) &&
		slices.Equal(s.Artifacts.RPMs, o.Artifacts.RPMs) &&
		mapsEqual(s.Artifacts.RPMMap, o.Artifacts.RPMMap, func(a, b map[string]RPMMapEntry) bool {
			return mapsEqual(a, b, func(x, y RPMMapEntry) bool { return x == y })
		})
}

// Equal reports whether d and o hold the same defaults (positions ignored).
func (d *Defaults) Equal(o *Defaults) bool {
	if d == nil || o == nil {
		return d == o
	}
	return d.MDVersionNumber == o.MDVersionNumber && d.Module == o.Module &&
		d.Modified == o.Modified && d.Stream == o.Stream && d.conflict == o.conflict &&
		setMapEqual(d.Profiles, o.Profiles) &&
		mapsEqual(d.Intents, o.Intents, func(a, b Intent) bool {
			return a.Stream == b.Stream && setMapEqual(a.Profiles, b.Profiles)
		})
}

// Equal reports whether o and p hold the same obsoletes (positions ignored).
func (o *Obsoletes) Equal(p *Obsoletes) bool {
	if o == nil || p == nil {
		return o == p
	}
	if (o.ObsoletedBy == nil) != (p.ObsoletedBy == nil) ||
		o.ObsoletedBy != nil && *o.ObsoletedBy != *p.ObsoletedBy {
		return false
	}
	return o.MDVersionNumber == p.MDVersionNumber && o.Modified.Equal(p.Modified) &&
		o.Reset == p.Reset && o.Module == p.Module && o.Stream == p.Stream &&
		o.Context == p.Context && o.EOLDate.Equal(p.EOLDate) && o.Message == p.Message
}

// Equal reports whether t and o hold the same translations (positions
// ignored).
func (t *Translations) Equal(o *Translations) bool {
	if t == nil || o == nil {
		return t == o
	}
	return t.MDVersionNumber == o.MDVersionNumber && t.Module == o.Module &&
		t.Stream == o.Stream && t.Modified == o.Modified &&
		mapsEqual(t.Entries, o.Entries, func(a, b TranslationEntry) bool {
			return a.Summary == b.Summary && a.Description == b.Description &&
				mapsEqual(a.Profiles, b.Profiles, func(x, y string) bool { return x == y })
		})
}

// Equal reports whether p and o hold the same packager document (positions
// ignored).
func (p *Packager) Equal(o *Packager) bool {
	if p == nil || o == nil {
		return p == o
	}
	return p.MDVersionNumber == o.MDVersionNumber && p.Name == o.Name && p.Stream == o.Stream &&
		p.Summary == o.Summary && p.Description == o.Description &&
		slices.Equal(p.License, o.License) && p.XMD.Equal(o.XMD) &&
		p.StaticContext == o.StaticContext &&
		slices.EqualFunc(p.Dependencies, o.Dependencies, Dependency.equal) &&
		slices.EqualFunc(p.Configurations, o.Configurations, Configuration.equal) &&
		p.References == o.References &&
		mapsEqual(p.Profiles, o.Profiles, Profile.equal) &&
		slices.Equal(p.API, o.API) && slices.Equal(p.Filter, o.Filter) &&
		slices.Equal(p.Demodularized, o.Demodularized) &&
		p.Components.equal(o.Components)
}

func (c Configuration) equal(o Configuration) bool {
	eq := func(a, b string) bool { return a == b }
	return c.Context == o.Context && c.Platform == o.Platform &&
		mapsEqual(c.BuildRequires, o.BuildRequires, eq) &&
		mapsEqual(c.Requires, o.Requires, eq) && c.BuildOpts.equal(o.BuildOpts)
}

func (d Dependency) equal(o Dependency) bool {
	return setMapEqual(d.BuildRequires, o.BuildRequires) && setMapEqual(d.Requires, o.Requires)
}

func (p Profile) equal(o Profile) bool {
	return p.Description == o.Description && p.Default == o.Default && slices.Equal(p.RPMs, o.RPMs)
}

func (b *BuildOpts) equal(o *BuildOpts) bool {
	if b == nil || o == nil {
		return b == o
	}
	if (b.RPMs == nil) != (o.RPMs == nil) {
		return false
	}
	if b.RPMs != nil && (b.RPMs.Macros != o.RPMs.Macros || !slices.Equal(b.RPMs.Whitelist, o.RPMs.Whitelist)) {
		return false
	}
	return slices.Equal(b.Arches, o.Arches)
}

func (c Components) equal(o Components) bool {
	return mapsEqual(c.RPMs, o.RPMs, func(a, b *RPMComponent) bool {
		if a == nil || b == nil {
			return a == b
		}
		return a.Rationale == b.Rationale && a.Name == b.Name && a.Repository == b.Repository &&
			a.Cache == b.Cache && a.Ref == b.Ref && a.Buildroot == b.Buildroot &&
			a.SRPMBuildroot == b.SRPMBuildroot && a.BuildOrder == b.BuildOrder &&
			slices.Equal(a.BuildAfter, b.BuildAfter) && a.Buildonly == b.Buildonly &&
			slices.Equal(a.Arches, b.Arches) && slices.Equal(a.Multilib, b.Multilib)
	}) && mapsEqual(c.Modules, o.Modules, func(a, b *ModuleComponent) bool {
		if a == nil || b == nil {
			return a == b
		}
		return *a == *b
	})
}

func mapsEqual[V any](a, b map[string]V, eq func(V, V) bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb, ok := b[k]
		if !ok || !eq(va, vb) {
			return false
		}
	}
	return true
}

func setMapEqual(a, b map[string][]string) bool {
	return mapsEqual(a, b, func(x, y []string) bool { return slices.Equal(x, y) })
}
