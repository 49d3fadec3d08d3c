package modulemd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// codecProblem is the part of a *ParseError the tests assert on.
type codecProblem struct {
	Doc, Line, Column int
	Path              string
	Err               error
}

// codecProblems flattens err (a *ParseError or a join of them) for comparison.
func codecProblems(t *testing.T, err error) []codecProblem {
	t.Helper()
	var out []codecProblem
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var pe *ParseError
		if !errors.As(e, &pe) {
			t.Fatalf("error %v (%T) is not a *ParseError", e, e)
		}
		if pe.Msg == "" {
			t.Errorf("problem without a message: %#v", pe)
		}
		out = append(out, codecProblem{pe.Doc, pe.Line, pe.Column, pe.Path, pe.Err})
	}
	if err != nil {
		walk(err)
	}
	return out
}

var codecProblemCmp = cmp.Comparer(func(a, b error) bool { return a == b })

// decodeOne decodes the first document of s.
func decodeOne(t *testing.T, s string, strict bool) (Document, error) {
	t.Helper()
	dec := NewDecoder(strings.NewReader(s))
	dec.Strict(strict)
	dec.SetFile("test.yaml")
	return dec.Decode()
}

const minimalStream = `document: modulemd
version: 2
data:
  name: foo
  stream: "1.10"
  summary: S
  description: D
  license:
    module: [MIT]
`

func TestDecodeHeaderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		strict bool
		want   []codecProblem
	}{
		{"scalar document", "--- foo\n", false,
			[]codecProblem{{1, 1, 5, "", ErrType}}},
		{"sequence document", "- a\n- b\n", false,
			[]codecProblem{{1, 1, 1, "", ErrType}}},
		{"empty document", "---\n...\n", false,
			[]codecProblem{{1, 1, 1, "", ErrType}}},
		{"document twice", "document: modulemd\ndocument: modulemd-defaults\nversion: 1\ndata: {}\n", false,
			[]codecProblem{{1, 2, 1, "document", ErrDuplicate}}},
		{"version twice", "document: modulemd\nversion: 2\nversion: 1\ndata: {}\n", false,
			[]codecProblem{{1, 3, 1, "version", ErrDuplicate}}},
		{"unknown type", "document: modulemd-foo\nversion: 1\ndata: {}\n", false,
			[]codecProblem{{1, 1, 11, "document", ErrUnknownDocument}}},
		{"document not a string", "document: [modulemd]\nversion: 1\ndata: {}\n", false,
			[]codecProblem{{1, 1, 11, "document", ErrType}}},
		{"unparsable version", "document: modulemd\nversion: two\ndata: {}\n", false,
			[]codecProblem{{1, 2, 10, "version", ErrType}}},
		{"negative version", "document: modulemd\nversion: -2\ndata: {}\n", false,
			[]codecProblem{{1, 2, 10, "version", ErrType}}},
		{"version zero", "document: modulemd\nversion: 0\ndata: {}\n", false,
			[]codecProblem{{1, 2, 10, "version", ErrMissingHeader}}},
		{"no document", "version: 2\ndata: {}\n", false,
			[]codecProblem{{1, 1, 1, "document", ErrMissingHeader}}},
		{"no version", "document: modulemd\ndata: {}\n", false,
			[]codecProblem{{1, 1, 1, "version", ErrMissingHeader}}},
		{"no data", "document: modulemd\nversion: 2\n", false,
			[]codecProblem{{1, 1, 1, "data", ErrMissingHeader}}},
		{"nothing", "foo: bar\n", false,
			[]codecProblem{{1, 1, 1, "document", ErrMissingHeader}, {1, 1, 1, "version", ErrMissingHeader}, {1, 1, 1, "data", ErrMissingHeader}}},
		{"stream v3", "document: modulemd\nversion: 3\ndata: {}\n", false,
			[]codecProblem{{1, 2, 10, "version", ErrUnknownDocument}}},
		{"defaults v2", "document: modulemd-defaults\nversion: 2\ndata: {}\n", false,
			[]codecProblem{{1, 2, 10, "version", ErrUnknownDocument}}},
		{"obsoletes v2", "document: modulemd-obsoletes\nversion: 2\ndata: {}\n", false,
			[]codecProblem{{1, 2, 10, "version", ErrUnknownDocument}}},
		{"packager v1", "document: modulemd-packager\nversion: 1\ndata: {}\n", false,
			[]codecProblem{{1, 2, 10, "version", ErrUnknownDocument}}},
		{"data not a mapping", "document: modulemd\nversion: 2\ndata: [1]\n", false,
			[]codecProblem{{1, 3, 7, "data", ErrType}}},
		{"data empty", "document: modulemd-defaults\nversion: 1\ndata:\n", false,
			[]codecProblem{{1, 3, 6, "data", ErrType}}},
		{"strict root key before data", "document: modulemd-defaults\nversion: 1\nextra: x\ndata: {module: m}\n", true,
			[]codecProblem{{1, 3, 1, "extra", ErrUnknownKey}}},
		{"strict root key after data is ignored", "document: modulemd-defaults\nversion: 1\ndata: {module: m}\nextra: x\n", true,
			nil},
		{"lenient root key", "document: modulemd-defaults\nversion: 1\nextra: x\ndata: {module: m}\n", false,
			nil},
		{"translations version is not checked", "document: modulemd-translations\nversion: 5\ndata: {module: m, stream: s, modified: 1}\n", true,
			nil},
		{"modulemd-stream synonym", "document: modulemd-stream\nversion: 2\ndata: {summary: s}\n", true,
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, err := decodeOne(t, tt.in, tt.strict)
			if d := cmp.Diff(tt.want, codecProblems(t, err), codecProblemCmp); d != "" {
				t.Errorf("problems (-want +got):\n%s\nerror: %v", d, err)
			}
			if (err == nil) != (doc != nil) {
				t.Errorf("Decode returned doc %v with error %v; want exactly one of them", doc, err)
			}
		})
	}
}

func TestDecodeErrorFormat(t *testing.T) {
	t.Parallel()
	_, err := decodeOne(t, "document: modulemd\nversion: 2\ndata:\n  version: x\n", false)
	want := `test.yaml:4:12: data.version: "x": the string is not a valid integer; expected an unsigned base-10 integer`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
	if !errors.Is(err, ErrType) {
		t.Errorf("errors.Is(err, ErrType) = false")
	}
}

func TestDecodeDataErrors(t *testing.T) {
	t.Parallel()
	head := "document: modulemd\nversion: 2\ndata:\n"
	tests := []struct {
		name   string
		body   string // lines after data:, starting at line 4
		strict bool
		want   []codecProblem
	}{
		{"string not a scalar", "  summary: [a]\n", false, []codecProblem{{1, 4, 12, "data.summary", ErrType}}},
		{"bad bool", "  static_context: yes\n", false, []codecProblem{{1, 4, 19, "data.static_context", ErrType}}},
		{"bad date", "  servicelevels:\n    rawhide:\n      eol: 2077-13-45\n", false,
			[]codecProblem{{1, 6, 12, "data.servicelevels.rawhide.eol", ErrType}}},
		{"bad buildorder", "  components:\n    rpms:\n      foo:\n        buildorder: 1.5\n", false,
			[]codecProblem{{1, 7, 21, "data.components.rpms.foo.buildorder", ErrType}}},
		{"set of mappings", "  api:\n    rpms: [{a: b}]\n", false, []codecProblem{{1, 5, 12, "data.api.rpms", ErrType}}},
		{"duplicate module in nested set", "  dependencies:\n  - requires:\n      platform: [f30]\n      platform: [f31]\n", false,
			[]codecProblem{{1, 7, 7, "data.dependencies.0.requires.platform", ErrDuplicate}}},
		{"dependencies not a list", "  dependencies: {requires: {}}\n", false,
			[]codecProblem{{1, 4, 17, "data.dependencies", ErrType}}},
		{"several problems at once", "  version: -1\n  summary: {}\n  profiles:\n    p:\n      default: 1\n", false,
			[]codecProblem{{1, 4, 12, "data.version", ErrType}, {1, 5, 12, "data.summary", ErrType}, {1, 8, 16, "data.profiles.p.default", ErrType}}},
		{"unknown key strict", "  unknown_key: 1\n", true, []codecProblem{{1, 4, 3, "data.unknown_key", ErrUnknownKey}}},
		{"unknown key lenient", "  unknown_key: 1\n", false, nil},
		{"nested unknown key strict", "  components:\n    rpms:\n      foo:\n        bogus: 1\n", true,
			[]codecProblem{{1, 7, 9, "data.components.rpms.foo.bogus", ErrUnknownKey}}},
		{"module component has no buildafter", "  components:\n    modules:\n      foo:\n        buildafter: [x]\n", true,
			[]codecProblem{{1, 7, 9, "data.components.modules.foo.buildafter", ErrUnknownKey}}},
		{"v2 servicelevel unknown key", "  servicelevels:\n    a: {eol: 2077-01-01, x: 1}\n", true,
			[]codecProblem{{1, 5, 26, "data.servicelevels.a.x", ErrUnknownKey}}},
		{"rpm-map entry missing fields", "  artifacts:\n    rpm-map:\n      sha256:\n        abc:\n          name: bar\n          version: 1\n", false,
			[]codecProblem{
				{1, 8, 11, "data.artifacts.rpm-map.sha256.abc.epoch", ErrMissingField},
				{1, 8, 11, "data.artifacts.rpm-map.sha256.abc.release", ErrMissingField},
				{1, 8, 11, "data.artifacts.rpm-map.sha256.abc.arch", ErrMissingField},
				{1, 8, 11, "data.artifacts.rpm-map.sha256.abc.nevra", ErrMissingField},
			}},
		{"xmd top-level sequence", "  xmd: [a]\n", false, []codecProblem{{1, 4, 8, "data.xmd", ErrType}}},
		{"complex key", "  ? [a]\n  : b\n", false, []codecProblem{{1, 4, 5, "data", ErrType}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeOne(t, head+tt.body, tt.strict)
			if d := cmp.Diff(tt.want, codecProblems(t, err), codecProblemCmp); d != "" {
				t.Errorf("problems (-want +got):\n%s\nerror: %v", d, err)
			}
		})
	}
}

func TestDecodeUnknownKeyMessage(t *testing.T) {
	t.Parallel()
	_, err := decodeOne(t, "document: modulemd\nversion: 2\ndata:\n  references:\n    homepage: x\n", true)
	want := `test.yaml:5:5: data.references.homepage: unknown key "homepage" in data.references; expected one of: community, documentation, tracker`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
}

func TestDecodeStreamV2(t *testing.T) {
	t.Parallel()
	in := `---
document: modulemd
version: 2
data:
  name: foo
  stream: 1.10
  version: +0020180816123422
  context: 00000000
  static_context: true
  arch: x86_64
  summary: 3.14
  description: >
    Folded
    text.
  servicelevels:
    rawhide: {eol: 2077-10-23}
  license:
    module: MIT
    content: [b, a, b]
  xmd: {}
  dependencies:
  - {}
  - buildrequires: {platform: []}
    requires:
      platform: [-f27, -f28]
  references: {community: c}
  profiles:
    p: {description: d, rpms: [z, y], default: true}
    e: {}
    n: {rpms: }
  api: {rpms: [a]}
  filter: {rpms: b}
  demodularized: {rpms: [c]}
  buildopts:
    rpms: {macros: "%a 1\n", whitelist: [w]}
    arches: [x86_64, i686]
  components:
    rpms:
      foo:
        name: foo
        rationale: r
        buildorder: 18446744073709551615
        buildafter: [bar]
        arches: i686
        buildroot: true
        srpm-buildroot: false
      bar: {name: bar-real, buildonly: true, multilib: [x86_64]}
    modules:
      inc: {rationale: r, repository: u, ref: m, buildorder: 3, buildonly: true}
  artifacts:
    rpms: [bar-0:1-1.x86_64]
    rpm-map:
      sha256:
        abc: {name: bar, epoch: 0, version: 1, release: 1, arch: x86_64, nevra: bar-0:1-1.x86_64}
...
`
	doc, err := decodeOne(t, in, true)
	if err != nil {
		t.Fatal(err)
	}
	want := &Stream{
		MDVersionNumber: 2, Name: "foo", Stream: "1.10", Version: 20180816123422, Context: "00000000",
		StaticContext: true, Arch: "x86_64", Summary: "3.14", Description: "Folded text.\n",
		ServiceLevels: map[string]ServiceLevel{"rawhide": {EOL: Date{2077, 10, 23}}},
		License:       License{Module: []string{"MIT"}, Content: []string{"a", "b"}},
		XMD:           MustXMD(map[string]any{}),
		Dependencies: []Dependency{{}, {
			BuildRequires: map[string][]string{"platform": {}},
			Requires:      map[string][]string{"platform": {"-f27", "-f28"}},
		}},
		References: References{Community: "c"},
		Profiles: map[string]Profile{
			"p": {Description: "d", RPMs: []string{"y", "z"}, Default: true},
			"e": {}, "n": {},
		},
		API: []string{"a"}, Filter: []string{"b"}, Demodularized: []string{"c"},
		BuildOpts: &BuildOpts{RPMs: &RPMBuildOpts{Macros: "%a 1\n", Whitelist: []string{"w"}}, Arches: []string{"i686", "x86_64"}},
		Components: Components{
			RPMs: map[string]*RPMComponent{
				"foo": {Rationale: "r", BuildOrder: -1, BuildAfter: []string{"bar"}, Arches: []string{"i686"}, Buildroot: true},
				"bar": {Name: "bar-real", Buildonly: true, Multilib: []string{"x86_64"}},
			},
			Modules: map[string]*ModuleComponent{"inc": {Rationale: "r", Repository: "u", Ref: "m", BuildOrder: 3, Buildonly: true}},
		},
		Artifacts: Artifacts{
			RPMs: []string{"bar-0:1-1.x86_64"},
			RPMMap: map[string]map[string]RPMMapEntry{"sha256": {"abc": {Name: "bar", Version: "1", Release: "1",
				Arch: "x86_64", NEVRA: "bar-0:1-1.x86_64"}}},
		},
	}
	if d := cmp.Diff(want, doc, docCmp); d != "" {
		t.Errorf("decoded stream (-want +got):\n%s", d)
	}
	s := doc.(*Stream)
	if got, want := s.Source(), (Source{File: "test.yaml", Doc: 1, Line: 1, Col: 1}); got != want {
		t.Errorf("Source() = %+v; want %+v", got, want)
	}
	for path, want := range map[string]Position{
		"data.name":                                {5, 9},
		"data.components.rpms.foo.buildorder":      {42, 21},
		"data.components.rpms.bar":                 {47, 7},
		"data.artifacts.rpms.bar-0:1-1.x86_64":     {51, 12},
		"data.dependencies.1.requires.platform":    {25, 17},
		"data.profiles.p.rpms.y":                   {28, 35},
		"data.artifacts.rpm-map.sha256.abc.epoch":  {54, 33},
		"data.components.rpms.nosuch.buildorder":   {39, 7}, // nearest recorded ancestor
		"data.profiles.p.description":              {28, 22},
		"data.profiles.p.default":                  {28, 48},
		"data.profiles.p.rpms":                     {28, 31},
		"data.references.community":                {26, 27},
		"data.components.rpms.foo.arches.i686":     {44, 17},
		"data.components.rpms.foo.rationale":       {41, 20},
		"data.components.rpms.bar.buildonly":       {47, 40},
		"data.components.rpms.bar.multilib.x86_64": {47, 57},
	} {
		if got := s.pos.pos(path); got != want {
			t.Errorf("position of %s = %v; want %v", path, got, want)
		}
	}
	if !s.pos.has("data.context") || !s.pos.has("data.components.rpms.foo.arches") || s.pos.has("data.arches") {
		t.Errorf("has() does not reflect the decoded fields")
	}
	if len(s.pos.warnings) != 1 || s.pos.warnings[0].Code != "buildorder-overflow" ||
		s.pos.warnings[0].Path != "data.components.rpms.foo.buildorder" || s.pos.warnings[0].Line != 42 {
		t.Errorf("warnings = %+v; want one buildorder-overflow at line 42", s.pos.warnings)
	}
}

func TestDecodeStreamV1(t *testing.T) {
	t.Parallel()
	in := `document: modulemd
version: 1
data:
  name: foo
  stream: s
  summary: S
  description: D
  servicelevels:
    rawhide: {eol: 2030-01-01}
  eol: 2077-10-23
  license: {module: [MIT]}
  dependencies:
    buildrequires: {platform: f28, extra: x}
    requires: {platform: f28}
  profiles:
    default: {rpms: [bar]}
  artifacts:
    rpms: [bar-0:1-1.x86_64]
`
	doc, err := decodeOne(t, in, true)
	if err != nil {
		t.Fatal(err)
	}
	want := &Stream{
		MDVersionNumber: 1, Name: "foo", Stream: "s", Summary: "S", Description: "D",
		ServiceLevels: map[string]ServiceLevel{"rawhide": {EOL: Date{2077, 10, 23}}},
		License:       License{Module: []string{"MIT"}},
		Dependencies: []Dependency{{
			BuildRequires: map[string][]string{"platform": {"f28"}, "extra": {"x"}},
			Requires:      map[string][]string{"platform": {"f28"}},
		}},
		Profiles:  map[string]Profile{"default": {RPMs: []string{"bar"}}},
		Artifacts: Artifacts{RPMs: []string{"bar-0:1-1.x86_64"}},
	}
	if d := cmp.Diff(want, doc, docCmp); d != "" {
		t.Errorf("decoded v1 stream (-want +got):\n%s", d)
	}

	// A later servicelevels.rawhide replaces the top-level eol.
	doc, err = decodeOne(t, "document: modulemd\nversion: 1\ndata:\n  eol: 2077-10-23\n  servicelevels: {rawhide: {eol: 2030-01-01}}\n", false)
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.(*Stream).ServiceLevels["rawhide"].EOL; got != (Date{2030, 1, 1}) {
		t.Errorf("rawhide eol = %v; want 2030-01-01", got)
	}

	// v1 has no v2-only keys.
	for _, body := range []string{"  static_context: true\n", "  demodularized: {rpms: [a]}\n", "  artifacts: {rpm-map: {}}\n"} {
		if _, err := decodeOne(t, "document: modulemd\nversion: 1\ndata:\n"+body, true); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("v1 with %q in strict mode: error %v; want ErrUnknownKey", body, err)
		}
	}
}

func TestDecodeDefaults(t *testing.T) {
	t.Parallel()
	in := `document: modulemd-defaults
version: 1
data:
  module: foo
  modified: 201812071200
  stream: "x.y"
  profiles:
    'x.y': []
    bar: [snafu, baz]
  intents:
    desktop:
      stream: "y.z"
      profiles:
        'y.z': blah
`
	doc, err := decodeOne(t, in, true)
	if err != nil {
		t.Fatal(err)
	}
	want := &Defaults{MDVersionNumber: 1, Module: "foo", Modified: 201812071200, Stream: "x.y",
		Profiles: map[string][]string{"x.y": {}, "bar": {"baz", "snafu"}},
		Intents:  map[string]Intent{"desktop": {Stream: "y.z", Profiles: map[string][]string{"y.z": {"blah"}}}},
	}
	if d := cmp.Diff(want, doc, docCmp); d != "" {
		t.Errorf("decoded defaults (-want +got):\n%s", d)
	}
	if p := doc.(*Defaults).Profiles["x.y"]; p == nil {
		t.Errorf("an empty profile list must stay a present, non-nil entry")
	}

	dups := []struct{ body, path string }{
		{"  module: a\n  module: b\n", "data.module"},
		{"  stream: a\n  stream: b\n", "data.stream"},
		{"  profiles: {a: [x], a: [y]}\n", "data.profiles.a"},
		{"  intents: {i: {}, i: {}}\n", "data.intents.i"},
	}
	for _, d := range dups {
		_, err := decodeOne(t, "document: modulemd-defaults\nversion: 1\ndata:\n"+d.body, false)
		ps := codecProblems(t, err)
		if len(ps) != 1 || ps[0].Err != ErrDuplicate || ps[0].Path != d.path {
			t.Errorf("%q: problems %+v; want one ErrDuplicate at %s", d.body, ps, d.path)
		}
	}
}

func TestDecodeObsoletes(t *testing.T) {
	t.Parallel()
	in := `document: modulemd-obsoletes
version: 1
data:
  modified: 2018-05-23T14:25Z
  reset: false
  module: nodejs
  stream: "11"
  context: aabbccddee
  eol_date: 2020-03-19T00:00Z
  message: "gone"
  obsoleted_by:
    module: nodejs
    stream: "12"
    whatever: [1]
`
	doc, err := decodeOne(t, in, true)
	if err != nil {
		t.Fatal(err)
	}
	want := &Obsoletes{MDVersionNumber: 1, Modified: time.Date(2018, 5, 23, 14, 25, 0, 0, time.UTC),
		Module: "nodejs", Stream: "11", Context: "aabbccddee", EOLDate: time.Date(2020, 3, 19, 0, 0, 0, 0, time.UTC),
		Message: "gone", ObsoletedBy: &ObsoletedBy{Module: "nodejs", Stream: "12"}}
	if d := cmp.Diff(want, doc, docCmp); d != "" {
		t.Errorf("decoded obsoletes (-want +got):\n%s", d)
	}

	_, err = decodeOne(t, "document: modulemd-obsoletes\nversion: 1\ndata:\n  modified: 2018-05-23 14:25\n  obsoleted_by: {module: a, module: b}\n", false)
	want2 := []codecProblem{{1, 4, 13, "data.modified", ErrType}, {1, 5, 29, "data.obsoleted_by.module", ErrDuplicate}}
	if d := cmp.Diff(want2, codecProblems(t, err), codecProblemCmp); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
}

func TestDecodeTranslations(t *testing.T) {
	t.Parallel()
	in := `document: modulemd-translations
version: 1
data:
  module: foo
  stream: "latest"
  modified: 201805231425
  translations:
    ja:
      summary: モジュールの例
      profiles: {a: プロファイル}
    en_GB: {description: d}
`
	doc, err := decodeOne(t, in, true)
	if err != nil {
		t.Fatal(err)
	}
	want := &Translations{MDVersionNumber: 1, Module: "foo", Stream: "latest", Modified: 201805231425,
		Entries: map[string]TranslationEntry{
			"ja":    {Summary: "モジュールの例", Profiles: map[string]string{"a": "プロファイル"}},
			"en_GB": {Description: "d"},
		}}
	if d := cmp.Diff(want, doc, docCmp); d != "" {
		t.Errorf("decoded translations (-want +got):\n%s", d)
	}
}

func TestDecodePackager(t *testing.T) {
	t.Parallel()
	v2 := `document: modulemd-packager
version: 2
data:
  summary: S
  description: D
  static_context: true
  license: {module: [MIT]}
  dependencies:
  - requires: {platform: []}
  profiles: {p: {rpms: [a], default: true}}
`
	doc, err := decodeOne(t, v2, true)
	if err != nil {
		t.Fatal(err)
	}
	want := &Packager{MDVersionNumber: 2, Summary: "S", Description: "D", StaticContext: true, License: []string{"MIT"},
		Dependencies: []Dependency{{Requires: map[string][]string{"platform": {}}}},
		Profiles:     map[string]Profile{"p": {RPMs: []string{"a"}, Default: true}}}
	if d := cmp.Diff(want, doc, docCmp); d != "" {
		t.Errorf("decoded packager v2 (-want +got):\n%s", d)
	}
	// Build-system keys are unknown in packager v2.
	for _, key := range []string{"name: x", "stream: x", "version: 1", "context: c", "arch: a", "xmd: {}",
		"servicelevels: {}", "buildopts: {}", "artifacts: {}", "license: {content: [a]}"} {
		body := "document: modulemd-packager\nversion: 2\ndata:\n  " + key + "\n"
		if _, err := decodeOne(t, body, true); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("packager v2 with %q, strict: error %v; want ErrUnknownKey", key, err)
		}
		if _, err := decodeOne(t, body, false); err != nil {
			t.Errorf("packager v2 with %q, lenient: %v", key, err)
		}
	}

	v3 := `document: modulemd-packager
version: 3
data:
  name: foo
  stream: latest
  summary: S
  description: D
  license: MIT
  xmd: {k: v}
  configurations:
  - context: CTX1
    platform: f32
    buildrequires: {app: [v1]}
    requires: {app: v1}
    buildopts:
      rpms: {macros: m}
      arches: [x86_64]
  - context: CTX2
    platform: f33
  components:
    rpms: {bar: {rationale: r}}
`
	doc, err = decodeOne(t, v3, false)
	if err != nil {
		t.Fatal(err)
	}
	want = &Packager{MDVersionNumber: 3, Name: "foo", Stream: "latest", Summary: "S", Description: "D",
		License: []string{"MIT"}, XMD: MustXMD(map[string]any{"k": "v"}),
		Configurations: []Configuration{
			{Context: "CTX1", Platform: "f32", BuildRequires: map[string]string{"app": "v1"}, Requires: map[string]string{"app": "v1"},
				BuildOpts: &BuildOpts{RPMs: &RPMBuildOpts{Macros: "m"}, Arches: []string{"x86_64"}}},
			{Context: "CTX2", Platform: "f33"},
		},
		Components: Components{RPMs: map[string]*RPMComponent{"bar": {Rationale: "r"}}}}
	if d := cmp.Diff(want, doc, docCmp); d != "" {
		t.Errorf("decoded packager v3 (-want +got):\n%s", d)
	}

	// Packager v3 is always strict, down to its configurations.
	bad := "document: modulemd-packager\nversion: 3\ndata:\n  dependencies: []\n  configurations:\n  - context: A\n    bogus: 1\n    requires: {a: [x, y]}\n"
	_, err = decodeOne(t, bad, false)
	want3 := []codecProblem{{1, 4, 3, "data.dependencies", ErrUnknownKey}, {1, 7, 5, "data.configurations.0.bogus", ErrUnknownKey},
		{1, 8, 16, "data.configurations.0.requires.a", ErrInvalid}}
	if d := cmp.Diff(want3, codecProblems(t, err), codecProblemCmp); d != "" {
		t.Errorf("packager v3 problems (-want +got):\n%s", d)
	}
}

func TestDecodeXMD(t *testing.T) {
	t.Parallel()
	in := minimalStream + `  xmd:
    b: TRUE
    f: FALSE
    t: true
    n: 12
    e:
    tilde: ~
    l: [a, {k: v}, [x], []]
    m: {}
`
	doc, err := decodeOne(t, in, true)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"b": true, "f": false, "t": "true", "n": "12", "e": "", "tilde": "~",
		"l": []any{"a", map[string]any{"k": "v"}, []any{"x"}, []any{}}, "m": map[string]any{}}
	if d := cmp.Diff(want, doc.(*Stream).XMD.Value()); d != "" {
		t.Errorf("xmd (-want +got):\n%s", d)
	}
	doc, err = decodeOne(t, minimalStream+"  xmd: scalar\n", true)
	if err != nil || doc.(*Stream).XMD.Value() != "scalar" {
		t.Errorf("scalar xmd: %v, %v", doc, err)
	}

	deep := strings.Repeat("[", maxXMDDepth+5) + strings.Repeat("]", maxXMDDepth+5)
	_, err = decodeOne(t, minimalStream+"  xmd: {a: "+deep+"}\n", false)
	if !errors.Is(err, ErrLimit) {
		t.Errorf("deep xmd: error %v; want ErrLimit", err)
	}
}

func TestDecodeAliases(t *testing.T) {
	t.Parallel()
	// Ordinary aliases are followed.
	in := minimalStream + "  api: {rpms: &r [a, b]}\n  filter: {rpms: *r}\n"
	doc, err := decodeOne(t, in, true)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"a", "b"}, doc.(*Stream).Filter); d != "" {
		t.Errorf("aliased filter (-want +got):\n%s", d)
	}

	// An alias bomb is refused quickly, in bounded memory.
	var b strings.Builder
	b.WriteString(minimalStream + "  xmd:\n    l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, "    l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	_, err = decodeOne(t, b.String(), false)
	if !errors.Is(err, ErrLimit) {
		t.Errorf("alias bomb: error %v; want ErrLimit", err)
	}
}

func TestDecodeStream(t *testing.T) {
	t.Parallel()
	// Three documents: good, bad, good. The bad one is reported with its
	// document number and absolute line, and decoding continues.
	in := minimalStream + "...\n---\n# comment\ndocument: modulemd-defaults\nversion: 1\ndata:\n  modified: soon\n...\n" +
		"---\r\ndocument: modulemd-defaults\r\nversion: 1\r\ndata: {module: m}\r\n"
	dec := NewDecoder(strings.NewReader(in))
	dec.SetFile("f.yaml")
	d1, err := dec.Decode()
	if err != nil || d1.Kind() != KindStream {
		t.Fatalf("doc 1: %v, %v", d1, err)
	}
	_, err = dec.Decode()
	if d := cmp.Diff([]codecProblem{{2, 16, 13, "data.modified", ErrType}}, codecProblems(t, err), codecProblemCmp); d != "" {
		t.Errorf("doc 2 problems (-want +got):\n%s", d)
	}
	d3, err := dec.Decode()
	if err != nil || d3.(*Defaults).Module != "m" {
		t.Fatalf("doc 3: %v, %v", d3, err)
	}
	if got, want := d3.Source(), (Source{File: "f.yaml", Doc: 3, Line: 18, Col: 1}); got != want {
		t.Errorf("doc 3 source %+v; want %+v", got, want)
	}
	if _, err := dec.Decode(); err != io.EOF {
		t.Errorf("after the last document: %v; want io.EOF", err)
	}
	if _, err := dec.Decode(); err != io.EOF {
		t.Errorf("again after the last document: %v; want io.EOF", err)
	}
}

func TestDecodeSyntaxErrorEndsStream(t *testing.T) {
	t.Parallel()
	in := minimalStream + "---\ndocument: modulemd\nversion: 2\ndata:\n  summary: [unclosed\n---\n" + minimalStream
	dec := NewDecoder(strings.NewReader(in))
	if _, err := dec.Decode(); err != nil {
		t.Fatal(err)
	}
	_, err := dec.Decode()
	ps := codecProblems(t, err)
	if len(ps) != 1 || ps[0].Err != ErrSyntax || ps[0].Doc != 2 || ps[0].Line < 14 {
		t.Errorf("syntax error problems %+v (%v); want one ErrSyntax in document 2 at line 14 or later", ps, err)
	}
	if doc, err := dec.Decode(); err != io.EOF {
		t.Errorf("after a syntax error: %v, %v; want io.EOF", doc, err)
	}
}

// TestDecodeSplitting covers the document boundaries the fast splitter must
// get right, including the cases it hands to yaml.v3's sequential parser.
func TestDecodeSplitting(t *testing.T) {
	t.Parallel()
	def := func(m string) string { return "document: modulemd-defaults\nversion: 1\ndata: {module: " + m + "}\n" }
	tests := []struct {
		name      string
		in        string
		modules   []string // decoded defaults, in order
		wantErr   error
		errLine   int
		lastLines []int // Source().Line of each document
	}{
		{"single implicit", def("a"), []string{"a"}, nil, 0, []int{1}},
		{"explicit markers", "---\n" + def("a") + "...\n---\n" + def("b") + "...\n", []string{"a", "b"}, nil, 0, []int{1, 6}},
		{"no end markers", def("a") + "---\n" + def("b"), []string{"a", "b"}, nil, 0, []int{1, 4}},
		{"end marker then new document", def("a") + "...\n---\n" + def("b"), []string{"a", "b"}, nil, 0, []int{1, 5}},
		{"comments between documents", "# head\n---\n" + def("a") + "...\n# between\n\n---\n" + def("b"), []string{"a", "b"}, nil, 0, []int{2, 9}},
		{"content on the marker line", "--- {document: modulemd-defaults, version: 1, data: {module: a}}\n--- " +
			"{document: modulemd-defaults, version: 1, data: {module: b}}\n", []string{"a", "b"}, nil, 0, []int{1, 2}},
		{"directive", "%YAML 1.1\n---\n" + def("a") + "...\n%YAML 1.1\n---\n" + def("b"), []string{"a", "b"}, nil, 0, []int{1, 7}},
		{"CRLF", strings.ReplaceAll("---\n"+def("a")+"---\n"+def("b"), "\n", "\r\n"), []string{"a", "b"}, nil, 0, []int{1, 5}},
		{"BOM", "\ufeff" + def("a") + "---\n" + def("b"), []string{"a", "b"}, nil, 0, []int{1, 4}},
		{"indented markers in a block scalar", "---\ndocument: modulemd-defaults\nversion: 1\nx: |\n  ---\n  ...\ndata: {module: a}\n---\n" + def("b"),
			[]string{"a", "b"}, nil, 0, []int{1, 8}},
		{"dash lines that are not markers", "---\ndocument: modulemd-defaults\nversion: 1\ndata:\n  module: a\n  profiles:\n    s:\n---- x\n", nil, ErrSyntax, 8, nil},
		{"garbage after end marker", def("a") + "...\ngarbage\n", []string{"a"}, ErrSyntax, 5, []int{1}},
		// YAML 1.2 wants "..." before a directive; libyaml (and yaml.v3) do not.
		{"directive without end marker", def("a") + "%YAML 1.1\n---\n" + def("b"), []string{"a", "b"}, nil, 0, []int{1, 4}},
		{"lone CR line breaks", "---\r" + strings.ReplaceAll(def("a"), "\n", "\r") + "---\r" + strings.ReplaceAll(def("b"), "\n", "\r"),
			[]string{"a", "b"}, nil, 0, []int{1, 5}},
		{"comments only", "# nothing\n\n", nil, nil, 0, nil},
		{"empty input", "", nil, nil, 0, nil},
		{"trailing end markers", def("a") + "...\n...\n", []string{"a"}, nil, 0, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dec := NewDecoder(strings.NewReader(tt.in))
			var mods []string
			var lines []int
			var gotErr error
			for doc, err := range dec.All() {
				if err != nil {
					if gotErr != nil {
						t.Fatalf("second error %v after %v", err, gotErr)
					}
					gotErr = err
					continue
				}
				mods = append(mods, doc.(*Defaults).Module)
				lines = append(lines, doc.Source().Line)
			}
			if d := cmp.Diff(tt.modules, mods); d != "" {
				t.Errorf("modules (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.lastLines, lines); d != "" {
				t.Errorf("document lines (-want +got):\n%s", d)
			}
			if !errors.Is(gotErr, tt.wantErr) || (gotErr == nil) != (tt.wantErr == nil) {
				t.Fatalf("error %v; want %v", gotErr, tt.wantErr)
			}
			if tt.wantErr != nil {
				var pe *ParseError
				if !errors.As(gotErr, &pe) || pe.Line != tt.errLine {
					t.Errorf("error %v at line %d; want line %d", gotErr, pe.Line, tt.errLine)
				}
			}
		})
	}
}

func TestDecodeOrderManyDocuments(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	const n = 500
	for i := range n {
		fmt.Fprintf(&b, "---\ndocument: modulemd\nversion: 2\ndata:\n  name: m%d\n  stream: s\n  summary: s\n  description: d\n  license: {module: [MIT]}\n", i)
		if i%7 == 3 {
			b.WriteString("  version: bad\n")
		}
		b.WriteString("...\n")
	}
	docs, err := Parse([]byte(b.String()))
	ps := codecProblems(t, err)
	if len(ps) != (n+3)/7 {
		t.Errorf("%d problems; want %d", len(ps), (n+3)/7)
	}
	lines := strings.Split(b.String(), "\n")
	for _, p := range ps {
		if (p.Doc-1)%7 != 3 || p.Line < 1 || lines[p.Line-1] != "  version: bad" {
			t.Errorf("problem %+v is in the wrong document or line", p)
		}
	}
	want := 0
	for _, d := range docs {
		for want%7 == 3 {
			want++
		}
		if got := d.(*Stream).Name; got != fmt.Sprintf("m%d", want) {
			t.Fatalf("document out of order: %s, want m%d", got, want)
		}
		if d.Source().Doc != want+1 {
			t.Fatalf("document %s has Doc %d; want %d", d.(*Stream).Name, d.Source().Doc, want+1)
		}
		want++
	}
}

func TestDecodeCompressed(t *testing.T) {
	t.Parallel()
	plain := []byte(minimalStream + "---\n" + strings.Replace(minimalStream, "name: foo", "name: bar", 1))
	for _, f := range compressors(t) {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			data := f.compress(t, plain)
			if bytes.Equal(data, plain) {
				t.Fatal("compressor returned its input")
			}
			docs, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 2 || docs[0].(*Stream).Name != "foo" || docs[1].(*Stream).Name != "bar" {
				t.Errorf("decoded %v; want streams foo and bar", docs)
			}
		})
	}
	// A truncated compressed stream is a read error, not a silent success.
	for _, f := range compressors(t) {
		data := f.compress(t, bytes.Repeat(plain, 200))
		docs, err := Parse(data[:len(data)/2])
		if err == nil {
			t.Errorf("%s: truncated input decoded %d documents without error", f.name, len(docs))
		}
	}
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "modules.yaml")
	if err := os.WriteFile(p, []byte(minimalStream+"---\ndocument: modulemd\nversion: 2\ndata:\n  version: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	docs, err := ReadFile(p)
	if len(docs) != 1 {
		t.Errorf("ReadFile returned %d documents; want 1", len(docs))
	}
	if err == nil || !strings.HasPrefix(err.Error(), p+":14:12: data.version:") {
		t.Errorf("ReadFile error %v; want it to name %s:14:12", err, p)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v; want os.ErrNotExist", err)
	}
}

func TestDecodeAllStopsEarly(t *testing.T) {
	t.Parallel()
	dec := NewDecoder(strings.NewReader(minimalStream + "---\n" + minimalStream + "---\n" + minimalStream))
	n := 0
	for range dec.All() {
		n++
		break
	}
	if n != 1 {
		t.Fatalf("loop ran %d times", n)
	}
	rest := 0
	for _, err := range dec.All() {
		if err != nil {
			t.Fatal(err)
		}
		rest++
	}
	if rest != 2 {
		t.Errorf("%d documents after breaking out of All; want 2", rest)
	}
}

// errAfter is a reader that fails after returning some data.
type errAfter struct {
	data []byte
	err  error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestDecodeReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	dec := NewDecoder(&errAfter{data: []byte(minimalStream + "---\n" + minimalStream[:40]), err: boom})
	dec.SetFile("m.yaml")
	var docs int
	var errs []error
	for doc, err := range dec.All() {
		if err != nil {
			errs = append(errs, err)
		} else if doc != nil {
			docs++
		}
	}
	if docs != 1 || len(errs) != 1 || !errors.Is(errs[0], boom) || !strings.Contains(errs[0].Error(), "m.yaml") {
		t.Errorf("got %d documents and errors %v; want 1 document and the read error naming the file", docs, errs)
	}
}

// TestDecodeBadCharacterPlace checks that control characters and invalid
// UTF-8, which yaml.v3's reader reports without a place, get the line and
// column of the offending character, on the parallel path (documents cut by
// the splitter) and on the sequential one (here forced by a lone CR or
// UTF-16-free odd input), in the first and in a later document.
func TestDecodeBadCharacterPlace(t *testing.T) {
	t.Parallel()
	doc := "document: modulemd-defaults\nversion: 1\ndata:\n  module: a\n"
	filler := strings.Repeat("  # a comment line to push the error past yaml.v3's read blocks\n", 400)
	tests := []struct {
		name      string
		in        string
		line, col int
		msg       string
	}{
		{"control character", doc + "  stream: x\x01y\n", 5, 12, "control character U+0001"},
		{"DEL", doc + "  stream: \x7f\n", 5, 11, "control character U+007F"},
		{"C1 control character", doc + "  stream: \u0086\n", 5, 11, "control character U+0086"},
		{"invalid UTF-8", doc + "  stream: ab\xff\n", 5, 13, "invalid UTF-8 (byte 0xff)"},
		{"truncated UTF-8", doc + "  stream: é\xc3\n", 5, 12, "invalid UTF-8 (byte 0xc3)"},
		{"columns count characters", doc + "  stream: ééé\x02\n", 5, 14, "U+0002"},
		{"second document", "---\n" + doc + "...\n---\n" + doc + filler + "  stream: \x03\n", 412, 11, "U+0003"},
		{"sequential parser", "---\r" + doc + filler + "  stream: \x04\n", 406, 11, "U+0004"},
		{"sequential parser, CR lines", "---\r" + strings.ReplaceAll(doc, "\n", "\r") + "  stream: \xfe\r", 6, 11, "invalid UTF-8 (byte 0xfe)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dec := NewDecoder(strings.NewReader(tt.in))
			dec.SetFile("bad.yaml")
			var pe *ParseError
			for _, err := range dec.All() {
				if err != nil && !errors.As(err, &pe) {
					t.Fatalf("error %v is not a *ParseError", err)
				}
			}
			if pe == nil || !errors.Is(pe, ErrSyntax) {
				t.Fatalf("got %v; want a syntax error", pe)
			}
			if pe.Line != tt.line || pe.Column != tt.col || !strings.Contains(pe.Msg, tt.msg) || pe.File != "bad.yaml" {
				t.Errorf("got %q at %s:%d:%d; want %q at bad.yaml:%d:%d", pe.Msg, pe.File, pe.Line, pe.Column, tt.msg, tt.line, tt.col)
			}
		})
	}
}
