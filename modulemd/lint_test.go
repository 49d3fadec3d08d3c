package modulemd

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLintValidCommonMetadata holds metadata that is valid and common in
// real repositories, on which a lint must not fire. Each case is a rule
// that once did (206,400 profile-rpm-not-built findings on a 50 MiB index).
func TestLintValidCommonMetadata(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Stream)
	}{
		{"profile installs rpms of other modules and the base system", func(s *Stream) {
			s.Artifacts.RPMs = []string{"php-0:7.2.24-1.module+el8.2.0+4601+7c76a223.x86_64"}
			s.Profiles = map[string]Profile{"devel": {RPMs: []string{"php", "libzip", "php-pear"}}}
		}},
		{"api lists rpms built only on other architectures", func(s *Stream) {
			s.Artifacts.RPMs = []string{"podman-0:1.0.0-2.module+el8.1.0+4524+0c9f5d0c.aarch64"}
			s.API = []string{"podman", "podman-manpages"}
		}},
		{"summary ends with a period", func(s *Stream) {
			s.Summary = "Apache HTTP Server."
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestStream("m", "s", 1, "c", "x86_64")
			tt.edit(s)
			if ws := Lint(s); len(ws) != 0 {
				t.Errorf("Lint = %v, want no findings", ws)
			}
		})
	}
}

// TestLintMistakes holds one finding per rule on a stream, so that narrowing
// a rule cannot silently drop it.
func TestLintMistakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Stream)
		want []string
	}{
		{"summary on several lines", func(s *Stream) { s.Summary = "one\ntwo" }, []string{LintSummaryFormat}},
		{"summary padded", func(s *Stream) { s.Summary = "one " }, []string{LintSummaryFormat}},
		{"description blank", func(s *Stream) { s.Description = " \n" }, []string{LintDescriptionBlank}},
		{"v1", func(s *Stream) { s.MDVersionNumber = 1 }, []string{LintDeprecatedV1}},
		{"artifact not a NEVRA", func(s *Stream) { s.Artifacts.RPMs = []string{"-0:1-1.x86_64"} }, []string{LintArtifactMalformed}},
		{"profile default flag", func(s *Stream) { s.Profiles = map[string]Profile{"p": {Default: true}} }, []string{LintProfileDefaultFlag}},
		{"no rationale", func(s *Stream) { s.Components.RPMs = map[string]*RPMComponent{"c": {}} }, []string{LintMissingRationale}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestStream("m", "s", 1, "c", "x86_64")
			tt.edit(s)
			var got []string
			for _, w := range Lint(s) {
				got = append(got, w.Code)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Lint codes (-want +got):\n%s", d)
			}
		})
	}
}

// TestIndexLintOrder checks that an index large enough to be linted in
// parallel reports every document's findings in Documents order, as linting
// them one by one does.
func TestIndexLintOrder(t *testing.T) {
	t.Parallel()
	idx := NewIndex(nil)
	for i := range 5*lintBatch + 7 {
		s := newTestStream(fmt.Sprintf("m%03d", i), "s", uint64(i+1), "c", "x86_64")
		if i%3 != 0 {
			s.Summary = fmt.Sprintf("summary %d ", i) // a finding on two of three
		}
		if err := idx.AddStream(s); err != nil {
			t.Fatal(err)
		}
	}
	var want []Warning
	for _, d := range idx.Documents() {
		want = append(want, Lint(d)...)
	}
	if len(want) == 0 {
		t.Fatal("no findings to compare")
	}
	got := idx.Lint()
	if d := cmp.Diff(want, got[:min(len(got), len(want))]); d != "" || len(got) < len(want) {
		t.Errorf("Index.Lint per-document findings (-sequential +parallel):\n%s", d)
	}
}
