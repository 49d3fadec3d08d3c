package modulemd

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fullStream returns a v2 stream with every field set.
func fullStream() *Stream {
	return &Stream{
		MDVersionNumber: 2, Name: "foo", Stream: "a", Version: 7, Context: "c1", StaticContext: true, Arch: "x86_64",
		Summary: "s", Description: "d",
		ServiceLevels: map[string]ServiceLevel{"rawhide": {EOL: Date{2030, 1, 2}}},
		License:       License{Module: []string{"MIT"}, Content: []string{"GPL"}},
		XMD:           MustXMD(map[string]any{"k": []any{"v", map[string]any{"x": true}}}),
		Dependencies:  []Dependency{{BuildRequires: map[string][]string{"platform": {"f40"}}, Requires: map[string][]string{"platform": {}}}},
		References:    References{Community: "c", Documentation: "d", Tracker: "t"},
		Profiles:      map[string]Profile{"default": {Description: "p", RPMs: []string{"foo"}, Default: true}},
		API:           []string{"foo"}, Filter: []string{"bar"}, Demodularized: []string{"baz"},
		BuildOpts: &BuildOpts{RPMs: &RPMBuildOpts{Macros: "%x 1", Whitelist: []string{"foo"}}, Arches: []string{"x86_64"}},
		Components: Components{
			RPMs:    map[string]*RPMComponent{"foo": {Rationale: "r", BuildAfter: []string{"bar"}, Arches: []string{"x86_64"}, Multilib: []string{"x86_64"}}, "bar": {Rationale: "r"}},
			Modules: map[string]*ModuleComponent{"m": {Rationale: "r", BuildOrder: 1}},
		},
		Artifacts: Artifacts{
			RPMs:   []string{"foo-0:1-1.x86_64"},
			RPMMap: map[string]map[string]RPMMapEntry{"sha256": {"abc": {Name: "foo", Version: "1", Release: "1", Arch: "x86_64", NEVRA: "foo-0:1-1.x86_64"}}},
		},
	}
}

func TestStreamCloneEqual(t *testing.T) {
	t.Parallel()
	mutations := []struct {
		name string
		f    func(s *Stream)
	}{
		{"servicelevel", func(s *Stream) { s.ServiceLevels["rawhide"] = ServiceLevel{} }},
		{"license", func(s *Stream) { s.License.Module[0] = "GPL" }},
		{"dependency", func(s *Stream) { s.Dependencies[0].BuildRequires["platform"][0] = "f41" }},
		{"profile rpms", func(s *Stream) { s.Profiles["default"].RPMs[0] = "x" }},
		{"api", func(s *Stream) { s.API[0] = "x" }},
		{"buildopts", func(s *Stream) { s.BuildOpts.RPMs.Whitelist[0] = "x" }},
		{"rpm component", func(s *Stream) { s.Components.RPMs["foo"].BuildAfter[0] = "x" }},
		{"module component", func(s *Stream) { s.Components.Modules["m"].BuildOrder = 2 }},
		{"rpm map", func(s *Stream) { s.Artifacts.RPMMap["sha256"]["abc"] = RPMMapEntry{} }},
		{"artifact", func(s *Stream) { s.Artifacts.RPMs = append(s.Artifacts.RPMs, "x-0:1-1.x") }},
		{"version", func(s *Stream) { s.Version++ }},
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			orig := fullStream()
			c := orig.Clone()
			if !orig.Equal(c) || !c.Equal(orig) {
				t.Fatal("a clone is not Equal to its original")
			}
			m.f(c)
			if orig.Equal(c) {
				t.Errorf("Equal ignores the %s change", m.name)
			}
			if d := cmp.Diff(fullStream(), orig, cmp.AllowUnexported(Stream{})); d != "" {
				t.Errorf("mutating the clone changed the original (-want +got):\n%s", d)
			}
		})
	}
}

func TestEqualNilAndEmpty(t *testing.T) {
	t.Parallel()
	var a, b *Stream
	if !a.Equal(b) {
		t.Error("nil streams are not equal")
	}
	if a.Equal(&Stream{}) {
		t.Error("nil equals non-nil")
	}
	x := &Stream{API: []string{}, Profiles: map[string]Profile{}, XMD: MustXMD(map[string]any{})}
	if !x.Equal(&Stream{}) {
		t.Error("empty sets/maps differ from nil ones")
	}
	if (&Stream{XMD: MustXMD("a")}).Equal(&Stream{XMD: MustXMD("b")}) {
		t.Error("different scalar XMD are equal")
	}
	if (&Stream{XMD: MustXMD(map[string]any{"l": []any{}})}).Equal(&Stream{}) {
		t.Error("an XMD with an empty list equals no XMD")
	}
}

func TestOtherClonesEqual(t *testing.T) {
	t.Parallel()
	d := &Defaults{MDVersionNumber: 1, Module: "foo", Stream: "a", Modified: 3,
		Profiles: map[string][]string{"a": {"x"}, "b": {}},
		Intents:  map[string]Intent{"server": {Stream: "a", Profiles: map[string][]string{"a": {"y"}}}}}
	dc := d.Clone()
	if !d.Equal(dc) {
		t.Error("defaults clone not equal")
	}
	if dc.Profiles["b"] == nil {
		t.Error("clone lost an explicitly empty profile list")
	}
	dc.Intents["server"].Profiles["a"][0] = "z"
	if d.Intents["server"].Profiles["a"][0] != "y" || d.Equal(dc) {
		t.Error("defaults clone shares intents")
	}
	dc2 := d.Clone()
	dc2.conflict = true
	if d.Equal(dc2) {
		t.Error("Equal ignores the merge conflict flag")
	}

	o := &Obsoletes{MDVersionNumber: 1, Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Module: "m", Stream: "s",
		Message: "x", ObsoletedBy: &ObsoletedBy{Module: "n", Stream: "t"}}
	oc := o.Clone()
	if !o.Equal(oc) {
		t.Error("obsoletes clone not equal")
	}
	oc.ObsoletedBy.Stream = "u"
	if o.ObsoletedBy.Stream != "t" || o.Equal(oc) {
		t.Error("obsoletes clone shares obsoleted_by")
	}

	tr := &Translations{MDVersionNumber: 1, Module: "m", Stream: "s", Modified: 1,
		Entries: map[string]TranslationEntry{"ja": {Summary: "s", Profiles: map[string]string{"p": "d"}}}}
	tc := tr.Clone()
	if !tr.Equal(tc) {
		t.Error("translations clone not equal")
	}
	tc.Entries["ja"].Profiles["p"] = "e"
	if tr.Entries["ja"].Profiles["p"] != "d" || tr.Equal(tc) {
		t.Error("translations clone shares profiles")
	}

	p := &Packager{MDVersionNumber: 3, Name: "m", License: []string{"MIT"},
		Configurations: []Configuration{{Context: "A", Platform: "f40", BuildRequires: map[string]string{"x": "1"},
			BuildOpts: &BuildOpts{Arches: []string{"x86_64"}}}},
		Profiles: map[string]Profile{"p": {RPMs: []string{"a"}}}}
	pc := p.Clone()
	if !p.Equal(pc) {
		t.Error("packager clone not equal")
	}
	pc.Configurations[0].BuildRequires["x"] = "2"
	pc.Configurations[0].BuildOpts.Arches[0] = "s390x"
	if p.Configurations[0].BuildRequires["x"] != "1" || p.Configurations[0].BuildOpts.Arches[0] != "x86_64" || p.Equal(pc) {
		t.Error("packager clone shares configurations")
	}
}
