package resolver

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/modulemd"
)

// universe is a small set of ready builds, as an MBS database would hold.
func universe() []*modulemd.Stream {
	f28, f29 := platform("f28", 3), platform("f29", 3)
	e82, e83, e84 := platform("el8.2.0", 1, "el8"), platform("el8.3.0", 1, "el8"), platform("el8.4.0", 1, "el8")
	return []*modulemd.Stream{
		f28, f29, e82, e83, e84,
		against(st("nodejs:10:1:aaaa0001", "br:platform=f28;req:platform=f28"), f28),
		against(st("nodejs:10:2:aaaa0002", "br:platform=f28;req:platform=f28"), f28),
		against(st("nodejs:10:2:bbbb0002", "br:platform=f28;req:platform=f28"), f28),
		against(st("nodejs:10:3:cccc0003", "br:platform=f29;req:platform=f29"), f29),
		against(st("nodejs:12:1:aaaa0001", "br:platform=f28;req:platform=f28"), f28),
		against(st("nodejs:12:1:dddd0001", "br:platform=f29;req:platform=f29"), f29),
		against(st("npm:6:1:aaaa0001", "br:platform=f28;br:nodejs=10;req:platform=f28;req:nodejs=10"), f28),
		against(st("foo:1:1:aaaa0001", "req:platform=f28"), f28),
		against(st("foo:2:1:aaaa0001", "req:platform=f28"), f28),
		against(st("lib:1:1:eeee0001", "req:platform=el8"), e82),
		against(st("lib:2:1:eeee0002", "req:platform=el8"), e84),
		against(st("uv:1:1:aaaa0001", "req:platform=f28"), f28),
		against(st("uv:2:1:aaaa0001", "req:platform=f28"), f28),
		against(st("a:1:1:aaaa0001", "req:platform=f28;req:uv=1"), f28),
		against(st("b:1:1:aaaa0001", "req:platform=f28;req:uv=2"), f28),
	}
}

func app(blocks ...string) *modulemd.Stream {
	s := st("app:main:20200101000000", blocks...)
	s.XMD = modulemd.MustXMD(map[string]any{"mbs": map[string]any{"commit": "abc123", "scmurl": "git://x/app?#abc123"}})
	return s
}

type expSummary struct {
	NSVC          string
	Block         int
	BuildRequires []string
	Deps          []modulemd.Dependency
}

func summarize(exps []*Expansion) []expSummary {
	var out []expSummary
	for _, e := range exps {
		s := expSummary{NSVC: e.NSVC(), Block: e.Block, Deps: e.Stream.Dependencies}
		for _, b := range e.BuildRequires {
			s.BuildRequires = append(s.BuildRequires, b.NSVC())
		}
		out = append(out, s)
	}
	return out
}

func deps(br, req map[string][]string) []modulemd.Dependency {
	return []modulemd.Dependency{{BuildRequires: br, Requires: req}}
}

func TestExpand(t *testing.T) {
	t.Parallel()
	src := NewSource(universe())
	ctxF28 := Context(BuildContext(map[string]string{"platform": "f28"}), RuntimeContext(map[string][]string{"platform": {"f28"}}))
	tests := []struct {
		name string
		mmd  *modulemd.Stream
		opts *ExpandOptions
		want []expSummary
	}{
		{
			name: "platform:[f28, f29] gives two builds, version prefixed",
			mmd:  app("br:platform=f28,f29;req:platform=f28,f29"),
			want: []expSummary{
				{NSVC: "app:main:2820200101000000:9c690d0e", BuildRequires: []string{"platform:f28:3:00000000"},
					Deps: deps(map[string][]string{"platform": {"f28"}}, map[string][]string{"platform": {"f28"}})},
				{NSVC: "app:main:2920200101000000:" + Context(BuildContext(map[string]string{"platform": "f29"}), RuntimeContext(map[string][]string{"platform": {"f29"}})),
					BuildRequires: []string{"platform:f29:3:00000000"},
					Deps:          deps(map[string][]string{"platform": {"f29"}}, map[string][]string{"platform": {"f29"}})},
			},
		},
		{
			name: "newest build per name:stream; contexts do not multiply",
			mmd:  app("br:platform=f28;br:nodejs=10;req:platform=f28"),
			want: []expSummary{{
				NSVC:          "app:main:2820200101000000:" + Context(BuildContext(map[string]string{"platform": "f28", "nodejs": "10"}), RuntimeContext(map[string][]string{"platform": {"f28"}})),
				BuildRequires: []string{"nodejs:10:2:aaaa0002", "platform:f28:3:00000000"},
				Deps:          deps(map[string][]string{"platform": {"f28"}, "nodejs": {"10"}}, map[string][]string{"platform": {"f28"}}),
			}},
		},
		{
			name: "2 x 2 streams give 4 builds; requires with the same set follow the choice, others stay expanded",
			mmd:  app("br:platform=f28;br:nodejs=10,12;br:foo=;req:platform=f28;req:nodejs=10,12;req:foo=1"),
			want: func() []expSummary {
				var out []expSummary
				for _, f := range []string{"1", "2"} {
					for _, n := range []string{"10", "12"} {
						nb := map[string]string{"10": "nodejs:10:2:aaaa0002", "12": "nodejs:12:1:aaaa0001"}[n]
						rt := map[string][]string{"platform": {"f28"}, "nodejs": {n}, "foo": {"1"}}
						out = append(out, expSummary{
							NSVC:          "app:main:2820200101000000:" + Context(BuildContext(map[string]string{"platform": "f28", "nodejs": n, "foo": f}), RuntimeContext(rt)),
							BuildRequires: []string{"foo:" + f + ":1:aaaa0001", nb, "platform:f28:3:00000000"},
							Deps:          deps(map[string][]string{"platform": {"f28"}, "nodejs": {n}, "foo": {f}}, rt),
						})
					}
				}
				return out
			}(),
		},
		{
			name: "transitive runtime requires land in buildrequires",
			mmd:  app("br:platform=f28;br:npm=6;req:platform=f28"),
			want: []expSummary{{
				NSVC:          "app:main:2820200101000000:" + Context(BuildContext(map[string]string{"platform": "f28", "npm": "6", "nodejs": "10"}), RuntimeContext(map[string][]string{"platform": {"f28"}})),
				BuildRequires: []string{"nodejs:10:2:aaaa0002", "npm:6:1:aaaa0001", "platform:f28:3:00000000"},
				Deps:          deps(map[string][]string{"platform": {"f28"}, "npm": {"6"}}, map[string][]string{"platform": {"f28"}}),
			}},
		},
		{
			name: "compatible base module: lib built against el8.2.0 serves el8.3.0",
			mmd:  app("br:platform=el8.3.0;br:lib=1;req:platform=el8"),
			want: []expSummary{{
				NSVC:          "app:main:8030020200101000000:" + Context(BuildContext(map[string]string{"platform": "el8.3.0", "lib": "1"}), RuntimeContext(map[string][]string{"platform": {"el8"}})),
				BuildRequires: []string{"lib:1:1:eeee0001", "platform:el8.3.0:1:00000000"},
				Deps:          deps(map[string][]string{"platform": {"el8.3.0"}, "lib": {"1"}}, map[string][]string{"platform": {"el8"}}),
			}},
		},
		{
			name: "several dependency blocks each expand",
			mmd:  app("br:platform=f28;req:platform=f28", "br:platform=f29;req:platform=f29"),
			want: []expSummary{
				{NSVC: "app:main:2820200101000000:" + ctxF28, Block: 0, BuildRequires: []string{"platform:f28:3:00000000"},
					Deps: deps(map[string][]string{"platform": {"f28"}}, map[string][]string{"platform": {"f28"}})},
				{NSVC: "app:main:2920200101000000:" + Context(BuildContext(map[string]string{"platform": "f29"}), RuntimeContext(map[string][]string{"platform": {"f29"}})),
					Block: 1, BuildRequires: []string{"platform:f29:3:00000000"},
					Deps: deps(map[string][]string{"platform": {"f29"}}, map[string][]string{"platform": {"f29"}})},
			},
		},
		{
			name: "buildrequire override",
			mmd:  app("br:platform=f28,f29;req:platform="),
			opts: &ExpandOptions{BuildRequireOverrides: map[string][]string{"platform": {"f29"}}},
			want: []expSummary{{
				NSVC:          "app:main:2920200101000000:" + Context(BuildContext(map[string]string{"platform": "f29"}), RuntimeContext(map[string][]string{"platform": {"el8.2.0", "el8.3.0", "el8.4.0", "f28", "f29"}})),
				BuildRequires: []string{"platform:f29:3:00000000"},
				Deps:          deps(map[string][]string{"platform": {"f29"}}, map[string][]string{"platform": {"el8.2.0", "el8.3.0", "el8.4.0", "f28", "f29"}}),
			}},
		},
		{
			name: "default streams pick one of many",
			mmd:  app("br:platform=f28;br:nodejs=;req:platform=f28"),
			opts: &ExpandOptions{DefaultStreams: map[string]string{"nodejs": "12"}, NoVersionPrefix: true},
			want: []expSummary{{
				NSVC:          "app:main:20200101000000:" + Context(BuildContext(map[string]string{"platform": "f28", "nodejs": "12"}), RuntimeContext(map[string][]string{"platform": {"f28"}})),
				BuildRequires: []string{"nodejs:12:1:aaaa0001", "platform:f28:3:00000000"},
				Deps:          deps(map[string][]string{"platform": {"f28"}, "nodejs": {"12"}}, map[string][]string{"platform": {"f28"}}),
			}},
		},
		{
			name: "no dependencies at all",
			mmd:  app(),
			want: []expSummary{{NSVC: "app:main:20200101000000:" + Context(BuildContext(nil), RuntimeContext(nil))}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := tt.mmd.Clone()
			got, err := Expand(context.Background(), src, tt.mmd, tt.opts)
			if err != nil {
				t.Fatalf("Expand: %v", err)
			}
			if diff := cmp.Diff(tt.want, summarize(got)); diff != "" {
				t.Errorf("expansions (-want +got):\n%s", diff)
			}
			if !before.Equal(tt.mmd) {
				t.Error("Expand modified its input")
			}
			for _, e := range got {
				if e.Context != e.Stream.Context || Context(e.BuildContext, e.RuntimeContext) != e.Context {
					t.Errorf("%s: context fields disagree: %+v", e.NSVC(), e)
				}
				if xmdPath(e.Stream.XMD, "mbs", "mse") != true {
					t.Errorf("%s: xmd.mbs.mse not set", e.NSVC())
				}
				if xmdString(e.Stream.XMD, "mbs", "commit") != "abc123" {
					t.Errorf("%s: existing xmd.mbs keys lost", e.NSVC())
				}
			}
		})
	}
}

func TestExpandXMDBuildRequires(t *testing.T) {
	t.Parallel()
	got, err := Expand(context.Background(), NewSource(universe()), app("br:platform=f28;br:npm=6;req:platform=f28"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"nodejs":   map[string]any{"stream": "10", "version": "2", "context": "aaaa0002", "ref": "ref-nodejs-10"},
		"npm":      map[string]any{"stream": "6", "version": "1", "context": "aaaa0001", "ref": "ref-npm-6"},
		"platform": map[string]any{"stream": "f28", "version": "3", "context": "00000000", "ref": "virtual", "koji_tag": "module-f28-build"},
	}
	if diff := cmp.Diff(want, xmdPath(got[0].Stream.XMD, "mbs", "buildrequires")); diff != "" {
		t.Errorf("xmd.mbs.buildrequires (-want +got):\n%s", diff)
	}
	if got[0].BuildContextNoBMS != BuildContext(map[string]string{"npm": "6", "nodejs": "10"}) {
		t.Errorf("BuildContextNoBMS = %s", got[0].BuildContextNoBMS)
	}
}

func TestExpandStaticContexts(t *testing.T) {
	t.Parallel()
	mmd := app("br:platform=f28,f29;req:platform=f28,f29")
	editXMD(mmd, func(m map[string]any) {
		m["mbs_options"] = map[string]any{"contexts": map[string]any{
			"ctx29": map[string]any{"buildrequires": map[string]any{"platform": "f29"}, "requires": map[string]any{"platform": "f29"}},
			"ctx28": map[string]any{"buildrequires": map[string]any{"platform": "f28", "nodejs": "12"}, "requires": map[string]any{"platform": "f28"}},
		}}
	})
	got, err := Expand(context.Background(), NewSource(universe()), mmd, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []expSummary{
		{NSVC: "app:main:2820200101000000:ctx28", Block: 0, BuildRequires: []string{"nodejs:12:1:aaaa0001", "platform:f28:3:00000000"},
			Deps: deps(map[string][]string{"platform": {"f28"}, "nodejs": {"12"}}, map[string][]string{"platform": {"f28"}})},
		{NSVC: "app:main:2920200101000000:ctx29", Block: 1, BuildRequires: []string{"platform:f29:3:00000000"},
			Deps: deps(map[string][]string{"platform": {"f29"}}, map[string][]string{"platform": {"f29"}})},
	}
	if diff := cmp.Diff(want, summarize(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, e := range got {
		if !e.Static || xmdPath(e.Stream.XMD, "mbs", "static_context") != true || xmdPath(e.Stream.XMD, "mbs_options") != nil {
			t.Errorf("%s: static markers wrong: static=%v xmd=%v", e.NSVC(), e.Static, e.Stream.XMD)
		}
		if e.BuildContext == "" || e.RuntimeContext == "" {
			t.Errorf("%s: build/runtime contexts must still be computed", e.NSVC())
		}
	}

	bad := app()
	editXMD(bad, func(m map[string]any) {
		m["mbs_options"] = map[string]any{"contexts": map[string]any{
			"c1": map[string]any{"buildrequires": map[string]any{"platform": "-f28"}},
		}}
	})
	_, err = Expand(context.Background(), NewSource(universe()), bad, nil)
	if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "c1.requires") || !strings.Contains(err.Error(), "c1.buildrequires.platform") {
		t.Errorf("bad static contexts: err = %v; want ErrInput naming both problems", err)
	}
}

func TestExpandErrors(t *testing.T) {
	t.Parallel()
	src := NewSource(universe())
	tests := []struct {
		name      string
		mmd       *modulemd.Stream
		opts      *ExpandOptions
		wantErr   error
		conflicts []Attempt
	}{
		{name: "missing stream", mmd: app("br:platform=f28;br:nodejs=99"), wantErr: ErrNotFound},
		{name: "missing base module", mmd: app("br:platform=f99"), wantErr: ErrNoBaseModule},
		{name: "ambiguous when asked", mmd: app("br:platform=f28;br:nodejs="), opts: &ExpandOptions{Unambiguous: true}, wantErr: ErrInput},
		{
			name:    "direct conflict",
			mmd:     app("br:platform=f28;br:nodejs=12;br:npm=6"),
			wantErr: ErrUnsatisfiable,
			conflicts: []Attempt{{
				Combination: []string{"platform:f28:3:00000000", "nodejs:12:1:aaaa0001", "npm:6:1:aaaa0001"},
				Conflicts:   []string{"npm:6 requires nodejs:[10]; this block buildrequires nodejs:12"},
			}},
		},
		{
			name:    "transitive stream collision",
			mmd:     app("br:platform=f28;br:a=1;br:b=1"),
			wantErr: ErrUnsatisfiable,
			conflicts: []Attempt{{
				Combination: []string{"platform:f28:3:00000000", "a:1:1:aaaa0001", "b:1:1:aaaa0001"},
				Conflicts:   []string{"a:1 needs uv:[1]; b:1 needs uv:[2]: the module has conflicting buildrequires of a:1 and b:1"},
			}},
		},
		{
			name:    "dependency built against a newer base module",
			mmd:     app("br:platform=el8.3.0;br:lib=2"),
			opts:    &ExpandOptions{AllowIncompatibleBaseModules: true},
			wantErr: ErrUnsatisfiable,
			conflicts: []Attempt{{
				Combination: []string{"platform:el8.3.0:1:00000000", "lib:2:1:eeee0002"},
				Conflicts:   []string{"lib:2 requires platform:[el8]; this block buildrequires platform:el8.3.0"},
			}},
		},
		{name: "incompatible base modules are not looked at by default", mmd: app("br:platform=el8.3.0;br:lib=2"), wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Expand(context.Background(), src, tt.mmd, tt.opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.conflicts == nil {
				return
			}
			var ce *ConflictError
			if !errors.As(err, &ce) || len(ce.Blocks) != 1 {
				t.Fatalf("err = %#v, want a *ConflictError with one block", err)
			}
			if diff := cmp.Diff(tt.conflicts, ce.Blocks[0].Attempts); diff != "" {
				t.Errorf("attempts (-want +got):\n%s\nerror text:\n%s", diff, err)
			}
		})
	}
}

func TestConflictErrorText(t *testing.T) {
	t.Parallel()
	_, err := Expand(context.Background(), NewSource(universe()), app("br:platform=f28;br:nodejs=10,12;br:npm=6"), nil)
	want := `app:main: no combination of buildrequired streams can be satisfied
  dependency block 0 (buildrequires nodejs:[10, 12] npm:[6] platform:[f28]):
    tried platform:f28:3:00000000, nodejs:12:1:aaaa0001, npm:6:1:aaaa0001:
      npm:6 requires nodejs:[10]; this block buildrequires nodejs:12`
	// nodejs:10 works, so this must succeed: one expansion.
	if err != nil {
		t.Fatalf("Expand: %v", err)
	}
	_, err = Expand(context.Background(), NewSource(universe()), app("br:platform=f28;br:nodejs=12;br:npm=6"), nil)
	want = strings.Replace(want, "nodejs:[10, 12]", "nodejs:[12]", 1)
	if err == nil || err.Error() != want {
		t.Errorf("error text:\n%v\nwant:\n%s", err, want)
	}
}

// TestExpandBranchAndSuffixOptions covers the MBS configuration that
// changes which base module a module is built against: the stream derived
// from the branch (BR_STREAM_OVERRIDE_REGEXES) and STREAM_SUFFIXES.
func TestExpandBranchAndSuffixOptions(t *testing.T) {
	t.Parallel()
	e830, e830z := platform("el8.3.0", 1, "el8"), platform("el8.3.0.z", 1, "el8")
	src := NewSource(append(universe(), e830z,
		against(st("zlib:1:5:aaaa0005", "req:platform=el8"), e830z),
		against(st("zlib:1:4:aaaa0004", "req:platform=el8"), e830),
		against(st("zonly:1:5:aaaa0005", "req:platform=el8"), e830z),
	))
	rhel := []*regexp.Regexp{regexp.MustCompile(`^(?:rh)(el)(?:-)(\d+\.\d+\.\d+)(?:-z)?$`)}
	zSuffix := []StreamSuffix{{Pattern: regexp.MustCompile(`el\d+\.\d+\.\d+\.z`), Fraction: 0.1}}
	tests := []struct {
		name    string
		mmd     *modulemd.Stream
		opts    *ExpandOptions
		want    [][]string // NSVCs of the buildrequires of each expansion
		wantErr error
	}{
		{
			name: "branch rhel-8.3.0 overrides platform",
			mmd:  app("br:platform=f28;req:platform=el8"),
			opts: &ExpandOptions{Branch: "rhel-8.3.0", BranchStreamRegexes: rhel},
			want: [][]string{{"platform:el8.3.0:1:00000000"}},
		},
		{
			name: "a user override of platform wins over the branch",
			mmd:  app("br:platform=f28;req:platform=f28"),
			opts: &ExpandOptions{Branch: "rhel-8.3.0", BranchStreamRegexes: rhel, BuildRequireOverrides: map[string][]string{"platform": {"f29"}}},
			want: [][]string{{"platform:f29:3:00000000"}},
		},
		{
			name: "branch override of another module is dropped when nothing buildrequires it",
			mmd:  app("br:platform=f28;req:platform=f28"),
			opts: &ExpandOptions{Branch: "rhel-8.3.0", BranchStreamRegexes: rhel, BranchStreamModule: "bootstrap"},
			want: [][]string{{"platform:f28:3:00000000"}},
		},
		{
			name: "branch that matches no regex changes nothing",
			mmd:  app("br:platform=f28;req:platform=f28"),
			opts: &ExpandOptions{Branch: "main", BranchStreamRegexes: rhel},
			want: [][]string{{"platform:f28:3:00000000"}},
		},
		{
			name: "without suffixes el8.3.0.z ties with el8.3.0, so it is compatible",
			mmd:  app("br:platform=el8.3.0;br:zonly=1;req:platform=el8"),
			want: [][]string{{"platform:el8.3.0:1:00000000", "zonly:1:5:aaaa0005"}},
		},
		{
			name:    "with a .z suffix el8.3.0.z is newer than el8.3.0, so not compatible with it",
			mmd:     app("br:platform=el8.3.0;br:zonly=1;req:platform=el8"),
			opts:    &ExpandOptions{StreamSuffixes: zSuffix},
			wantErr: ErrNotFound,
		},
		{
			name: "without suffixes the tie keeps el8.3.0 first: builds against it are preferred",
			mmd:  app("br:platform=el8.3.0,el8.3.0.z;br:zlib=1;req:platform=el8"),
			want: [][]string{
				{"platform:el8.3.0:1:00000000", "zlib:1:4:aaaa0004"},
				{"platform:el8.3.0.z:1:00000000", "zlib:1:4:aaaa0004"},
			},
		},
		{
			name: "with a .z suffix el8.3.0.z is the newest base module: builds against it are preferred",
			mmd:  app("br:platform=el8.3.0,el8.3.0.z;br:zlib=1;req:platform=el8"),
			opts: &ExpandOptions{StreamSuffixes: zSuffix},
			want: [][]string{
				{"platform:el8.3.0:1:00000000", "zlib:1:5:aaaa0005"},
				{"platform:el8.3.0.z:1:00000000", "zlib:1:5:aaaa0005"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Expand(context.Background(), src, tt.mmd, tt.opts)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var brs [][]string
			for _, e := range got {
				var l []string
				for _, b := range e.BuildRequires {
					l = append(l, b.NSVC())
				}
				brs = append(brs, l)
			}
			if diff := cmp.Diff(tt.want, brs); diff != "" {
				t.Errorf("buildrequires per expansion (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExpandGarbageBaseModules: with incompatible base modules allowed,
// dependencies built against a garbage (end of life) base module sharing a
// virtual stream are candidates; the module itself gets only ready base
// modules (MBS web/mse.py, ALLOW_ONLY_COMPATIBLE_BASE_MODULES=False).
func TestExpandGarbageBaseModules(t *testing.T) {
	t.Parallel()
	e81 := platform("el8.1.0", 1, "el8")
	ready := append(universe(), against(st("old:1:1:aaaa0001", "req:platform=el8"), e81))
	garbage := []*modulemd.Stream{e81, platform("el8.0.0", 1, "el8"), platform("el7.9.0", 1, "el7")}
	allow := &ExpandOptions{AllowIncompatibleBaseModules: true}
	tests := []struct {
		name    string
		src     Source
		mmd     *modulemd.Stream
		opts    *ExpandOptions
		want    []string
		wantErr error
	}{
		{name: "dependency built against a garbage base module", src: NewSourceWithGarbage(ready, garbage),
			mmd: app("br:platform=el8.3.0;br:old=1;req:platform=el8"), opts: allow,
			want: []string{"old:1:1:aaaa0001", "platform:el8.3.0:1:00000000"}},
		{name: "garbage is only looked at when incompatible base modules are allowed", src: NewSourceWithGarbage(ready, garbage),
			mmd: app("br:platform=el8.3.0;br:old=1;req:platform=el8"), wantErr: ErrNotFound},
		{name: "a source without garbage builds", src: NewSource(ready),
			mmd: app("br:platform=el8.3.0;br:old=1;req:platform=el8"), opts: allow, wantErr: ErrNotFound},
		{name: "the module itself may not use a garbage base module", src: NewSourceWithGarbage(ready, garbage),
			mmd: app("br:platform=el8.1.0;req:platform=el8"), opts: allow, wantErr: ErrNoBaseModule},
		{name: "dependencies built against ready base modules still resolve", src: NewSourceWithGarbage(ready, garbage),
			mmd: app("br:platform=el8.3.0;br:lib=1;req:platform=el8"), opts: allow,
			want: []string{"lib:1:1:eeee0001", "platform:el8.3.0:1:00000000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Expand(context.Background(), tt.src, tt.mmd, tt.opts)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("%d expansions, want 1", len(got))
			}
			if diff := cmp.Diff(tt.want, summarize(got)[0].BuildRequires); diff != "" {
				t.Errorf("buildrequires (-want +got):\n%s", diff)
			}
		})
	}
}

// stateSource adds build states (by "name:stream:version", then context)
// to a Source.
type stateSource struct {
	Source
	states map[string]map[string]string
}

func (s stateSource) BuildStates(ctx context.Context, name, stream string, version uint64) (map[string]string, error) {
	return s.states[name+":"+stream+":"+itoa(version)], ctx.Err()
}

// TestExpandUsableBuildRequires: MBS refuses a buildrequire whose sibling
// contexts are still being built, and one built before stream expansion
// existed (no xmd.mbs.mse), when the source knows the build's states.
func TestExpandUsableBuildRequires(t *testing.T) {
	t.Parallel()
	pre := st("pre:1:1:aaaa0001", "req:platform=f28")
	pre.XMD = modulemd.MustXMD(map[string]any{"mbs": map[string]any{"commit": "x"}}) // no mse
	falsy := st("falsy:1:1:aaaa0001", "req:platform=f28")
	falsy.XMD = modulemd.MustXMD(map[string]any{"mbs": map[string]any{"commit": "x", "mse": false}})
	str := against(st("str:1:1:aaaa0001", "req:platform=f28"), platform("f28", 3))
	editXMD(str, func(m map[string]any) { m["mbs"].(map[string]any)["mse"] = "TRUE" }) // as imported by MBS
	builds := append(universe(), pre, falsy, str)
	known := func(states map[string]map[string]string) Source { return stateSource{NewSource(builds), states} }
	ready := map[string]string{"aaaa0002": "ready"}
	tests := []struct {
		name    string
		src     Source
		mmd     *modulemd.Stream
		wantErr string
	}{
		{name: "sibling context in build", mmd: app("br:platform=f28;br:nodejs=10"),
			src:     known(map[string]map[string]string{"nodejs:10:2": {"aaaa0002": "ready", "bbbb0002": "ready", "cccc0002": "build"}}),
			wantErr: `Buildrequire nodejs-10-2 is in "build" state`},
		{name: "sibling context of a transitive dependency in init", mmd: app("br:platform=f28;br:npm=6"),
			src:     known(map[string]map[string]string{"nodejs:10:2": {"aaaa0002": "ready", "zzzz0002": "init"}}),
			wantErr: `Buildrequire nodejs-10-2 is in "init" state`},
		{name: "failed and ready siblings are fine", mmd: app("br:platform=f28;br:nodejs=10"),
			src: known(map[string]map[string]string{"nodejs:10:2": {"aaaa0002": "ready", "bbbb0002": "ready", "cccc0002": "failed"}})},
		{name: "the build itself is not its sibling", mmd: app("br:platform=f28;br:nodejs=10"),
			src: known(map[string]map[string]string{"nodejs:10:2": ready})},
		{name: "unknown states: no check", mmd: app("br:platform=f28;br:pre=1"), src: NewSource(builds)},
		{name: "predates stream expansion", mmd: app("br:platform=f28;br:pre=1"),
			src:     known(map[string]map[string]string{"pre:1:1": {"aaaa0001": "ready"}}),
			wantErr: `The module "pre:1:1:aaaa0001" is not built using Module Stream Expansion. Please rebuild this module first`},
		{name: "mse false", mmd: app("br:platform=f28;br:falsy=1"),
			src:     known(map[string]map[string]string{"falsy:1:1": {"aaaa0001": "ready"}}),
			wantErr: `The module "falsy:1:1:aaaa0001" is not built using Module Stream Expansion`},
		{name: "mse as a string", mmd: app("br:platform=f28;br:str=1"),
			src: known(map[string]map[string]string{"str:1:1": {"aaaa0001": "ready"}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Expand(context.Background(), tt.src, tt.mmd, nil)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ue *UnusableError
			if !errors.Is(err, ErrUnusable) || !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want ErrUnusable containing %q", err, tt.wantErr)
			}
		})
	}
}
