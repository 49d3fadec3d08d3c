package modulemd

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// problem is the comparable part of a *ParseError.
type problem struct {
	Path string
	Msg  string
	Err  error
}

func problemsOf(t *testing.T, err error) []problem {
	t.Helper()
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make([]problem, 0, len(errs))
	for _, e := range errs {
		var pe *ParseError
		if !errors.As(e, &pe) {
			t.Fatalf("error %v (%T) is not a *ParseError", e, e)
		}
		out = append(out, problem{pe.Path, pe.Msg, pe.Err})
	}
	return out
}

func cmpProblems(t *testing.T, want []problem, err error) {
	t.Helper()
	got := problemsOf(t, err)
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a == b })); d != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", d)
	}
}

func TestValidateStream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(s *Stream)
		source bool
		want   []problem
	}{
		{name: "valid", mutate: func(s *Stream) {}},
		{name: "mdversion unset", mutate: func(s *Stream) { s.MDVersionNumber = 0 },
			want: []problem{{"version", "the metadata version is unset; expected 1 or 2", ErrMissingHeader}}},
		{name: "mdversion unknown", mutate: func(s *Stream) { s.MDVersionNumber = 3 },
			want: []problem{{"version", "unknown stream metadata version 3; expected 1 or 2", ErrUnknownDocument}}},
		{name: "missing name and stream as repository metadata", mutate: func(s *Stream) { s.Name, s.Stream = "", "" },
			want: []problem{
				{"data.name", "the module name is missing; repository metadata needs it (it is required to add the stream to an index)", ErrMissingField},
				{"data.stream", "the stream name is missing; repository metadata needs it (it is required to add the stream to an index)", ErrMissingField},
			}},
		{name: "missing name and stream as source", source: true, mutate: func(s *Stream) { s.Name, s.Stream = "", "" }},
		{name: "static context too long and bad chars", mutate: func(s *Stream) { s.StaticContext, s.Context = true, "abcdefghij-klm" },
			want: []problem{
				{"data.context", `stream context "abcdefghij-klm" is 14 characters long; with static_context: true it may have at most 13`, ErrInvalid},
				{"data.context", `stream context "abcdefghij-klm" contains '-'; with static_context: true it may only contain [a-zA-Z0-9_]`, ErrInvalid},
			}},
		{name: "static context 13 with underscore ok", mutate: func(s *Stream) { s.StaticContext, s.Context = true, "abcdefghij_lm" }},
		{name: "static context absent ok", mutate: func(s *Stream) { s.StaticContext, s.Context = true, "" }},
		{name: "non-static context free-form", mutate: func(s *Stream) { s.Context = "a-very-long-context!" }},
		{name: "static context ignored in v1", mutate: func(s *Stream) { s.MDVersionNumber, s.StaticContext, s.Context = 1, true, "-" }},
		{name: "missing summary description license", mutate: func(s *Stream) { s.Summary, s.Description, s.License = "", "", License{Content: []string{"GPL"}} },
			want: []problem{
				{"data.summary", "the summary is missing; expected a one-line description of the module", ErrMissingField},
				{"data.description", "the description is missing; expected a paragraph describing the module", ErrMissingField},
				{"data.license.module", "the module licence is missing; expected at least one licence for the module metadata itself", ErrMissingField},
			}},
		{name: "buildorder and buildafter in one component", mutate: func(s *Stream) {
			s.Components.RPMs = map[string]*RPMComponent{"a": {BuildOrder: 1, BuildAfter: []string{"b"}}, "b": {}}
		}, want: []problem{
			{"data.components.rpms.a.buildafter", `component "a" has both buildorder (1) and buildafter; use only one of them`, ErrInvalid},
		}},
		{name: "buildorder and buildafter in one stream", mutate: func(s *Stream) {
			s.Components.RPMs = map[string]*RPMComponent{"a": {BuildOrder: -1}, "b": {BuildAfter: []string{"a"}}}
		}, want: []problem{
			{"data.components.rpms", `buildorder (in "a") and buildafter (in "b") cannot be mixed in the same stream; use only one of them`, ErrInvalid},
		}},
		{name: "buildorder 0 coexists with buildafter", mutate: func(s *Stream) {
			s.Components.RPMs = map[string]*RPMComponent{"a": {BuildOrder: 0, BuildAfter: []string{"b"}}, "b": {}}
		}},
		{name: "buildafter unknown and module components ignored", mutate: func(s *Stream) {
			s.Components.RPMs = map[string]*RPMComponent{"a": {BuildAfter: []string{"m", "zz"}}}
			s.Components.Modules = map[string]*ModuleComponent{"m": {BuildOrder: 5}}
		}, want: []problem{
			{"data.components.rpms.a.buildafter", `buildafter entry "m" of component "a" is not an rpm component of this stream`, ErrInvalid},
			{"data.components.rpms.a.buildafter", `buildafter entry "zz" of component "a" is not an rpm component of this stream`, ErrInvalid},
		}},
		{name: "component arch not in buildopts arches", mutate: func(s *Stream) {
			s.BuildOpts = &BuildOpts{Arches: []string{"x86_64"}}
			s.Components.RPMs = map[string]*RPMComponent{"a": {Arches: []string{"s390x", "x86_64"}, Multilib: []string{"i686"}}}
		}, want: []problem{
			{"data.components.rpms.a.arches", `component "a" arch "s390x" is not in data.buildopts.arches [x86_64]; expected a subset of the module's arches`, ErrInvalid},
		}},
		{name: "empty buildopts arches allow anything", mutate: func(s *Stream) {
			s.BuildOpts = &BuildOpts{}
			s.Components.RPMs = map[string]*RPMComponent{"a": {Arches: []string{"s390x"}}}
		}},
		{name: "artifacts", mutate: func(s *Stream) {
			s.Artifacts.RPMs = []string{"bar-0:1-1.x86_64", "foo-1.0-1.x86_64"}
		}, want: []problem{
			{"data.artifacts.rpms", `artifact "foo-1.0-1.x86_64" is not in N-E:V-R.A form (name-epoch:version-release.arch; the epoch is required)`, ErrInvalid},
		}},
		{name: "rpm-map nevra mismatch", mutate: func(s *Stream) {
			s.Artifacts.RPMMap = map[string]map[string]RPMMapEntry{"sha256": {
				"aa": {Name: "foo", Epoch: 1, Version: "1", Release: "2", Arch: "x86_64", NEVRA: "foo-0:1-2.x86_64"},
				"bb": {Name: "foo", Version: "1", Release: "2", Arch: "x86_64", NEVRA: "foo-0:1-2.x86_64"},
			}}
		}, want: []problem{
			{"data.artifacts.rpm-map.sha256.aa.nevra", `nevra "foo-0:1-2.x86_64" differs from the exploded fields, which give "foo-1:1-2.x86_64"`, ErrInvalid},
		}},
		{name: "dependency mix", mutate: func(s *Stream) {
			s.Dependencies = []Dependency{
				{Requires: map[string][]string{"platform": {"f40"}}},
				{BuildRequires: map[string][]string{"x": {"-a", "b"}}, Requires: map[string][]string{"y": {"-a", "-b"}, "z": {"a", "-b"}}},
			}
		}, want: []problem{
			{"data.dependencies.1.buildrequires.x", "build-time dependency on x mixes streams and excluded (-) streams [-a b]; list either only streams or only exclusions", ErrInvalid},
			{"data.dependencies.1.requires.z", "run-time dependency on z mixes streams and excluded (-) streams [a -b]; list either only streams or only exclusions", ErrInvalid},
		}},
		{name: "dependency mix not checked in v1", mutate: func(s *Stream) {
			s.MDVersionNumber = 1
			s.Dependencies = []Dependency{{Requires: map[string][]string{"z": {"-b"}}}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newTestStream("foo", "a", 1, "c", "x86_64")
			tc.mutate(s)
			cmpProblems(t, tc.want, ValidateWith(s, &ValidateOptions{Source: tc.source}))
		})
	}
}

func TestValidateIsSourceMode(t *testing.T) {
	t.Parallel()
	s := newTestStream("", "", 0, "", "")
	if err := Validate(s); err != nil {
		t.Errorf("Validate of a nameless stream = %v, want nil (libmodulemd does not require names)", err)
	}
	if err := ValidateWith(s, nil); err == nil {
		t.Error("ValidateWith(nil options) accepts a nameless stream as repository metadata")
	}
}

func TestValidatePositions(t *testing.T) {
	t.Parallel()
	s := newTestStream("foo", "a", 1, "c", "x86_64")
	s.Summary = ""
	s.pos = &positions{src: Source{File: "f.yaml", Doc: 2, Line: 10, Col: 1}}
	s.pos.set("data", Position{Line: 13, Column: 3})
	err := Validate(s)
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("Validate = %v, want a *ParseError", err)
	}
	if pe.File != "f.yaml" || pe.Doc != 2 || pe.Line != 13 || pe.Column != 3 {
		t.Errorf("located at %s:%d doc %d col %d, want f.yaml:13 doc 2 col 3 (nearest recorded ancestor)", pe.File, pe.Line, pe.Doc, pe.Column)
	}
	if want := "f.yaml:13:3: data.summary: the summary is missing; expected a one-line description of the module"; pe.Error() != want {
		t.Errorf("Error() = %q, want %q", pe.Error(), want)
	}
}

func TestValidateObsoletes(t *testing.T) {
	t.Parallel()
	valid := func() *Obsoletes {
		return &Obsoletes{MDVersionNumber: 1, Modified: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), Module: "m", Stream: "s", Message: "gone"}
	}
	tests := []struct {
		name   string
		mutate func(o *Obsoletes)
		want   []problem
	}{
		{name: "valid", mutate: func(o *Obsoletes) {}},
		{name: "version", mutate: func(o *Obsoletes) { o.MDVersionNumber = 2 },
			want: []problem{{"version", "unknown obsoletes metadata version 2; expected 1", ErrUnknownDocument}}},
		{name: "required fields", mutate: func(o *Obsoletes) { *o = Obsoletes{MDVersionNumber: 1} },
			want: []problem{
				{"data.modified", "the obsoletes modified time is missing; expected YYYY-MM-DDTHH:MMZ", ErrMissingField},
				{"data.module", "the obsoleted module name is missing", ErrMissingField},
				{"data.stream", "the obsoleted stream name is missing", ErrMissingField},
				{"data.message", "the obsoletes message is missing; expected a human-readable explanation", ErrMissingField},
			}},
		{name: "reset with eol_date and obsoleted_by", mutate: func(o *Obsoletes) {
			o.Reset, o.EOLDate, o.ObsoletedBy = true, time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), &ObsoletedBy{Module: "n", Stream: "t"}
		}, want: []problem{
			{"data.reset", "an obsoletes cannot have both eol_date and reset set; a reset cancels earlier obsoletes at once", ErrInvalid},
			{"data.reset", "an obsoletes cannot have both obsoleted_by and reset set", ErrInvalid},
		}},
		{name: "obsoleted_by half set", mutate: func(o *Obsoletes) { o.ObsoletedBy = &ObsoletedBy{Module: "n"} },
			want: []problem{{"data.obsoleted_by", `obsoleted_by module "n" and stream "" must be set together; expected both or neither`, ErrInvalid}}},
		{name: "obsoleted_by complete", mutate: func(o *Obsoletes) { o.ObsoletedBy = &ObsoletedBy{Module: "n", Stream: "t"} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := valid()
			tc.mutate(o)
			cmpProblems(t, tc.want, Validate(o))
		})
	}
}

func TestValidateTranslationsDefaults(t *testing.T) {
	t.Parallel()
	cmpProblems(t, nil, Validate(&Translations{MDVersionNumber: 5, Module: "m", Stream: "s", Modified: 1}))
	cmpProblems(t, []problem{
		{"data.module", "the translated module name is missing", ErrMissingField},
		{"data.stream", "the translated stream name is missing", ErrMissingField},
		{"data.modified", "the translations modified value is missing or 0; expected a positive integer (YYYYMMDDHHMM)", ErrMissingField},
	}, Validate(&Translations{MDVersionNumber: 1}))
	// Defaults v1 always validate, even without a module name.
	cmpProblems(t, nil, Validate(&Defaults{MDVersionNumber: 1}))
	cmpProblems(t, []problem{{"version", "invalid metadata version 2 for a defaults document; expected 1", ErrUnknownDocument}},
		Validate(&Defaults{MDVersionNumber: 2, Module: "m"}))
}

func TestValidatePackager(t *testing.T) {
	t.Parallel()
	cfg := func(ctx, platform string) Configuration { return Configuration{Context: ctx, Platform: platform} }
	tests := []struct {
		name string
		p    *Packager
		want []problem
	}{
		{name: "v3 valid", p: &Packager{MDVersionNumber: 3, Summary: "s", Description: "d", Configurations: []Configuration{cfg("CTX1", "f40"), cfg("CTX2", "f41")}}},
		{name: "v3 configuration rules", p: &Packager{MDVersionNumber: 3, Summary: "s", Description: "d", Configurations: []Configuration{
			cfg("", "f40"), cfg("a_b", "f40"), cfg("abcdefghijk", ""), cfg("A", "f40"), cfg("A", "f41"),
		}}, want: []problem{
			{"data.configurations.0.context", "the build configuration context is missing; expected 1 to 10 characters from [a-zA-Z0-9]", ErrMissingField},
			{"data.configurations.1.context", `build configuration context "a_b" may only contain [a-zA-Z0-9] (no underscore)`, ErrInvalid},
			{"data.configurations.2.context", `build configuration context "abcdefghijk" is 11 characters long; at most 10 are allowed`, ErrInvalid},
			{"data.configurations.2.platform", "the build configuration platform is missing; expected a platform stream such as f40", ErrMissingField},
			{"data.configurations.4.context", `build configuration context "A" is already used by configuration 3; contexts must be unique`, ErrDuplicate},
		}},
		{name: "v2 validated as a stream", p: &Packager{MDVersionNumber: 2, Summary: "s", License: []string{"MIT"}},
			want: []problem{{"data.description", "the description is missing; expected a paragraph describing the module", ErrMissingField}}},
		{name: "unknown version", p: &Packager{MDVersionNumber: 4},
			want: []problem{{"version", "unknown packager metadata version 4; expected 2 or 3", ErrUnknownDocument}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmpProblems(t, tc.want, Validate(tc.p))
		})
	}
}

func TestValidateNil(t *testing.T) {
	t.Parallel()
	var s *Stream
	for _, d := range []Document{nil, s} {
		if err := Validate(d); err == nil || !strings.Contains(err.Error(), "nil") {
			t.Errorf("Validate(%v) = %v, want a nil-document error", d, err)
		}
	}
}

// TestValidatePresentButEmptyText pins libmodulemd's behaviour: an empty
// summary or description that is present in the YAML is accepted; only an
// absent one is an error.
func TestValidatePresentButEmptyText(t *testing.T) {
	t.Parallel()
	docs, err := Parse([]byte(`---
document: modulemd
version: 2
data:
  name: foo
  stream: a
  summary: ""
  description: ""
  license:
    module: [MIT]
...
---
document: modulemd
version: 2
data:
  name: foo
  stream: b
  license:
    module: [MIT]
...
`))
	if err != nil || len(docs) != 2 {
		t.Fatalf("Parse: %d docs, %v", len(docs), err)
	}
	if err := Validate(docs[0]); err != nil {
		t.Errorf("Validate(empty summary and description) = %v, want nil", err)
	}
	var codes []string
	for _, w := range Lint(docs[0]) {
		codes = append(codes, w.Code)
	}
	if d := cmp.Diff([]string{LintSummaryEmpty, LintDescriptionBlank}, codes); d != "" {
		t.Errorf("Lint codes mismatch (-want +got):\n%s", d)
	}
	cmpProblems(t, []problem{
		{"data.summary", "the summary is missing; expected a one-line description of the module", ErrMissingField},
		{"data.description", "the description is missing; expected a paragraph describing the module", ErrMissingField},
	}, Validate(docs[1]))
}
