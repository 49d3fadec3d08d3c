// Package resolvertest is the contract test suite for implementations of
// [resolver.Source]: load [Fixture] (or [FixtureYAML]) into the source under
// test, then call [Run] from a test.
package resolvertest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/resolver"
)

func build(nsvc string, br, req map[string][]string, xmd any) *modulemd.Stream {
	n, err := modulemd.ParseNSVCA(nsvc)
	if err != nil {
		panic(err)
	}
	s := &modulemd.Stream{MDVersionNumber: 2, Name: n.Name, Stream: n.Stream, Version: n.Version, Context: n.Context,
		Summary: "resolvertest fixture " + n.Name, Description: "A module build of the resolvertest contract fixture.",
		License: modulemd.License{Module: []string{"MIT"}}, XMD: modulemd.MustXMD(xmd)}
	if br != nil || req != nil {
		s.Dependencies = []modulemd.Dependency{{BuildRequires: br, Requires: req}}
	}
	return s
}

func base(stream string, virtual ...string) *modulemd.Stream {
	mbs := map[string]any{"mse": true, "koji_tag": "module-" + stream + "-build", "commit": "virtual"}
	if len(virtual) > 0 {
		l := make([]any, len(virtual))
		for i, v := range virtual {
			l[i] = v
		}
		mbs["virtual_streams"] = l
	}
	return build("platform:"+stream+":1:00000000", nil, nil, map[string]any{"mbs": mbs})
}

func dep(plat, ref string) any {
	return map[string]any{"mbs": map[string]any{"mse": true, "commit": ref, "buildrequires": map[string]any{
		"platform": map[string]any{"stream": plat, "version": "1", "context": "00000000"}}}}
}

// Fixture returns the module builds a Source under test must hold as ready
// (and nothing else): base modules platform:f28, f29, el8.2.0 and el8.3.0
// (the last two with virtual stream el8), nodejs:10 in two versions and two
// contexts, nodejs:12, npm:6 (requires nodejs:10), lib:1 (built against
// el8.2.0) and lib:2 (built against el8.1.0, a garbage base module of
// [FixtureGarbage]). Each call returns new values.
func Fixture() []*modulemd.Stream {
	p := func(s string) map[string][]string { return map[string][]string{"platform": {s}} }
	return []*modulemd.Stream{
		base("f28"), base("f29"), base("el8.2.0", "el8"), base("el8.3.0", "el8"),
		build("nodejs:10:2820200101000000:aaaa0001", p("f28"), p("f28"), dep("f28", "n10a")),
		build("nodejs:10:2820200202000000:aaaa0001", p("f28"), p("f28"), dep("f28", "n10b")),
		build("nodejs:10:2820200202000000:bbbb0001", p("f28"), p("f28"), dep("f28", "n10c")),
		build("nodejs:12:2820200303000000:aaaa0001", p("f28"), p("f28"), dep("f28", "n12")),
		build("npm:6:2820200404000000:cccc0001", p("f28"), map[string][]string{"platform": {"f28"}, "nodejs": {"10"}}, dep("f28", "npm6")),
		build("lib:1:8020020200505000000:dddd0001", p("el8.2.0"), p("el8"), dep("el8.2.0", "lib1")),
		build("lib:2:8010020200606000000:dddd0002", p("el8.1.0"), p("el8"), dep("el8.1.0", "lib2")),
	}
}

// FixtureGarbage returns the builds a [resolver.GarbageSource] under test
// must hold in state garbage, besides [Fixture]: the retired base module
// platform:el8.1.0 (virtual stream el8) and an older build of nodejs:12.
func FixtureGarbage() []*modulemd.Stream {
	p := func(s string) map[string][]string { return map[string][]string{"platform": {s}} }
	return []*modulemd.Stream{
		base("el8.1.0", "el8"),
		build("nodejs:12:2820190303000000:aaaa0001", p("f28"), p("f28"), dep("f28", "n12old")),
	}
}

// FixtureYAML returns [Fixture] as a modules.yaml document stream.
func FixtureYAML() []byte {
	var docs []modulemd.Document
	for _, s := range Fixture() {
		docs = append(docs, s)
	}
	data, err := modulemd.Marshal(docs...)
	if err != nil {
		panic("resolvertest: cannot marshal the fixture: " + err.Error())
	}
	return data
}

func nsvcs(bs []*modulemd.Stream) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.NSVC())
	}
	return out
}

// Run checks that src, holding exactly [Fixture] (and, when it is a
// [resolver.GarbageSource], [FixtureGarbage] in state garbage), behaves as
// [resolver.Source] documents, and that stream expansion over it gives the
// expected builds.
func Run(t *testing.T, src resolver.Source) {
	t.Helper()
	ctx := context.Background()
	t.Run("Streams", func(t *testing.T) {
		for name, want := range map[string][]string{
			"nodejs":   {"10", "12"},
			"platform": {"el8.2.0", "el8.3.0", "f28", "f29"},
			"npm":      {"6"},
			"absent":   nil,
		} {
			got, err := src.Streams(ctx, name)
			if err != nil {
				t.Fatalf("Streams(%q): %v", name, err)
			}
			if len(got) == 0 {
				got = nil
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Streams(%q) (-want +got):\n%s", name, diff)
			}
		}
	})
	t.Run("Builds", func(t *testing.T) {
		got, err := src.Builds(ctx, "nodejs", "10")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"nodejs:10:2820200202000000:aaaa0001", "nodejs:10:2820200202000000:bbbb0001", "nodejs:10:2820200101000000:aaaa0001"}
		if diff := cmp.Diff(want, nsvcs(got)); diff != "" {
			t.Errorf("Builds(nodejs, 10): newest version first, then context (-want +got):\n%s", diff)
		}
		if len(got) > 0 {
			rec, _ := got[0].XMD.Get("mbs").(map[string]any)
			if rec == nil || rec["commit"] != "n10b" {
				t.Errorf("Builds must keep xmd.mbs (commit n10b): got xmd %v", got[0].XMD)
			}
		}
		none, err := src.Builds(ctx, "nodejs", "99")
		if err != nil || len(none) != 0 {
			t.Errorf("Builds(nodejs, 99) = %v, %v; want nothing", nsvcs(none), err)
		}
		plat, err := src.Builds(ctx, "platform", "el8.3.0")
		if err != nil || len(plat) != 1 {
			t.Fatalf("Builds(platform, el8.3.0) = %v, %v", nsvcs(plat), err)
		}
		mbs, _ := plat[0].XMD.Get("mbs").(map[string]any)
		if vs, _ := mbs["virtual_streams"].([]any); !slices.Equal(vs, []any{"el8"}) {
			t.Errorf("base module xmd.mbs.virtual_streams = %v, want [el8]", mbs["virtual_streams"])
		}
	})
	t.Run("Canceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := src.Streams(cctx, "nodejs"); err == nil {
			t.Error("Streams with a canceled context: want an error")
		}
		if _, err := src.Builds(cctx, "nodejs", "10"); err == nil {
			t.Error("Builds with a canceled context: want an error")
		}
	})
	t.Run("Garbage", func(t *testing.T) {
		gs, ok := src.(resolver.GarbageSource)
		if !ok {
			t.Skip("the source does not implement resolver.GarbageSource")
		}
		for name, want := range map[string][]string{
			"platform": {"platform:el8.1.0:1:00000000"},
			"nodejs":   {"nodejs:12:2820190303000000:aaaa0001"},
			"npm":      nil,
		} {
			got, err := gs.GarbageBuilds(ctx, name)
			if err != nil {
				t.Fatalf("GarbageBuilds(%q): %v", name, err)
			}
			if diff := cmp.Diff(want, nsvcs(got)); diff != "" {
				t.Errorf("GarbageBuilds(%q) (-want +got):\n%s", name, diff)
			}
		}
		if bs, err := src.Builds(ctx, "nodejs", "12"); err != nil || len(bs) != 1 {
			t.Errorf("Builds(nodejs, 12) = %v, %v: garbage builds must not be listed", nsvcs(bs), err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := gs.GarbageBuilds(cctx, "platform"); err == nil {
			t.Error("GarbageBuilds with a canceled context: want an error")
		}
		// lib:2 was built against the garbage el8.1.0: usable only when
		// incompatible base modules are allowed.
		mod := build("probe:main:20210101000000", map[string][]string{"platform": {"el8.3.0"}, "lib": {"2"}},
			map[string][]string{"platform": {"el8"}}, nil)
		if _, err := resolver.Expand(ctx, src, mod, nil); !errors.Is(err, resolver.ErrNotFound) {
			t.Errorf("Expand with only compatible base modules: err = %v, want ErrNotFound", err)
		}
		exps, err := resolver.Expand(ctx, src, mod, &resolver.ExpandOptions{AllowIncompatibleBaseModules: true})
		if err != nil {
			t.Fatalf("Expand allowing incompatible base modules: %v", err)
		}
		want := []string{"lib:2:8010020200606000000:dddd0002", "platform:el8.3.0:1:00000000"}
		if diff := cmp.Diff(want, nsvcs(exps[0].BuildRequires)); diff != "" {
			t.Errorf("Expand allowing incompatible base modules (-want +got):\n%s", diff)
		}
	})
	t.Run("Expand", func(t *testing.T) {
		mod := build("probe:main:20210101000000", map[string][]string{"platform": {"f28", "el8.3.0"}, "npm": {}},
			map[string][]string{"platform": {"f28", "el8.3.0"}}, nil)
		mod.Dependencies = append(mod.Dependencies, modulemd.Dependency{
			BuildRequires: map[string][]string{"platform": {"el8.3.0"}, "lib": {"1"}},
			Requires:      map[string][]string{"platform": {"el8"}}})
		mod.Dependencies[0].BuildRequires = map[string][]string{"platform": {"f28"}, "npm": {}}
		exps, err := resolver.Expand(ctx, src, mod, nil)
		if err != nil {
			t.Fatalf("Expand: %v", err)
		}
		type row struct {
			NSVC string
			BRs  []string
		}
		var got []row
		for _, e := range exps {
			got = append(got, row{e.NSVC(), nsvcs(e.BuildRequires)})
		}
		want := []row{
			{"probe:main:2820210101000000:" + ctxOf(map[string]string{"platform": "f28", "npm": "6", "nodejs": "10"}, map[string][]string{"platform": {"el8.3.0", "f28"}}),
				[]string{"nodejs:10:2820200202000000:aaaa0001", "npm:6:2820200404000000:cccc0001", "platform:f28:1:00000000"}},
			{"probe:main:8030020210101000000:" + ctxOf(map[string]string{"platform": "el8.3.0", "lib": "1"}, map[string][]string{"platform": {"el8"}}),
				[]string{"lib:1:8020020200505000000:dddd0001", "platform:el8.3.0:1:00000000"}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("expansions (-want +got):\n%s", diff)
		}
	})
}

func ctxOf(build map[string]string, runtime map[string][]string) string {
	return resolver.Context(resolver.BuildContext(build), resolver.RuntimeContext(runtime))
}
