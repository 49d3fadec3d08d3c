package modulemd

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func fixedNow() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }

func TestReadIndexFileMixed(t *testing.T) {
	t.Parallel()
	idx, err := ReadIndexFile("testdata/index/mixed.yaml", &LoadOptions{Strict: true, Now: fixedNow})
	if err != nil {
		t.Fatalf("ReadIndexFile: %v", err)
	}
	if got := idx.StreamMDVersion(); got != 2 {
		t.Errorf("StreamMDVersion = %d, want 2 (the file mixes v1 and v2)", got)
	}
	if d := cmp.Diff([]string{"tool:1:100:aaaa:x86_64", "tool:2:200:bbbb:x86_64"}, nsvcas(idx.Streams())); d != "" {
		t.Errorf("streams mismatch (-want +got):\n%s", d)
	}
	old := idx.Module("tool").Streams()[0]
	if old.MDVersionNumber != 2 {
		t.Errorf("v1 stream not upgraded")
	}
	wantDeps := []Dependency{{BuildRequires: map[string][]string{"platform": {"f40"}}, Requires: map[string][]string{"platform": {"f40"}}}}
	if d := cmp.Diff(wantDeps, old.Dependencies); d != "" {
		t.Errorf("upgraded dependencies mismatch (-want +got):\n%s", d)
	}
	if o := idx.Module("tool").StreamObsoletes(old); o == nil || o.ObsoletedBy.Stream != "2" {
		t.Errorf("stream 1 is not associated with its obsoletes: %+v", o)
	}
	if got := idx.DefaultStreams(); got["tool"] != "2" {
		t.Errorf("DefaultStreams = %v", got)
	}

	// Dump is deterministic and round-trips.
	out, err := idx.Dump()
	if err != nil {
		t.Fatalf("Dump: %v", err)
	}
	golden := filepath.Join("testdata", "index", "mixed.dump.yaml")
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(out)); d != "" {
		t.Errorf("dump mismatch with %s (-want +got):\n%s", golden, d)
	}
	again, err := ReadIndex(bytes.NewReader(out), &LoadOptions{Strict: true, Now: fixedNow})
	if err != nil {
		t.Fatalf("re-reading the dump: %v", err)
	}
	out2, err := again.Dump()
	if err != nil || !bytes.Equal(out, out2) {
		t.Errorf("dump of the re-read index differs (err %v)", err)
	}
	var buf bytes.Buffer
	if err := idx.Encode(&buf); err != nil || !bytes.Equal(buf.Bytes(), out) {
		t.Errorf("Encode differs from Dump (err %v)", err)
	}
}

func TestReadIndexFailures(t *testing.T) {
	t.Parallel()
	idx, err := ReadIndexFile("testdata/index/failures.yaml", nil)
	if err == nil {
		t.Fatal("ReadIndexFile succeeded, want the failures joined")
	}
	if d := cmp.Diff([]string{"good:a:1:c:x86_64"}, nsvcas(idx.Streams())); d != "" {
		t.Errorf("loaded streams mismatch (-want +got):\n%s", d)
	}
	for _, want := range []error{ErrMissingField, ErrInvalid, ErrConflict} {
		if !errors.Is(err, want) {
			t.Errorf("error does not wrap %v: %v", want, err)
		}
	}
	msg := err.Error()
	for _, want := range []string{
		"testdata/index/failures.yaml:",
		"data.name: the module name and stream name are required when adding to an index (missing data.name and data.stream)",
		`data.artifacts.rpms: artifact "bad-1.0-1.x86_64" is not in N-E:V-R.A form`,
		"modulemd-packager document ignored while reading into a module index",
		"encountered two streams with matching NSVCA good:a:1:c:x86_64 but differing content",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	var pe *ParseError
	if errors.As(err, &pe) && pe.Line == 0 {
		t.Errorf("first error %v has no line", pe)
	}
}

func TestReadIndexFileMissing(t *testing.T) {
	t.Parallel()
	idx, err := ReadIndexFile("testdata/index/does-not-exist.yaml", nil)
	if !errors.Is(err, os.ErrNotExist) || idx == nil {
		t.Errorf("ReadIndexFile(missing) = %v, %v; want a non-nil index and ErrNotExist", idx, err)
	}
}

func TestDumpErrors(t *testing.T) {
	t.Parallel()
	if _, err := NewIndex(nil).Dump(); !errors.Is(err, ErrEmptyIndex) {
		t.Errorf("Dump(empty) = %v, want ErrEmptyIndex", err)
	}
	idx := NewIndex(nil)
	s := newTestStream("foo", "a", 1, "c", "x")
	s.Summary = ""
	if err := idx.AddStream(s); err != nil {
		t.Fatal(err)
	}
	if _, err := idx.Dump(); err == nil || !strings.Contains(err.Error(), "stream foo:a:1:c:x is not valid") {
		t.Errorf("Dump(invalid) = %v, want a validation error", err)
	}
}

func TestIndexLint(t *testing.T) {
	t.Parallel()
	idx, err := ReadIndexFile("testdata/index/mixed.yaml", &LoadOptions{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	type w struct{ Code, Path, Msg string }
	var got []w
	for _, x := range idx.Lint() {
		got = append(got, w{x.Code, x.Path, x.Msg})
		if x.File != "testdata/index/mixed.yaml" || x.Line == 0 {
			t.Errorf("warning %v is not located", x)
		}
	}
	want := []w{
		{LintBuildorderInt32, "data.components.rpms.tool.buildorder", "buildorder 4294967297 does not fit in 32 bits; libmodulemd stores it in a C int and would read 1"},
		{LintMissingRationale, "data.components.rpms.tool", `rpm component "tool" has no rationale; the format requires one`},
		{LintDefaultProfileMissing, "data.profiles.2", `default profile "missing" of tool:2 is not a profile of that stream`},
		{LintTranslationNoStream, "data.stream", "translations are for stream tool:3, which is not in the index"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Lint mismatch (-want +got):\n%s", d)
	}
}

func TestLintDocuments(t *testing.T) {
	t.Parallel()
	s := newTestStream("foo", "a", 1, "c", "x")
	s.MDVersionNumber = 1
	s.Summary = " padded"
	s.Description = "  "
	s.Profiles = map[string]Profile{"p": {Default: true}}
	s.Artifacts.RPMs = []string{"-0:1-1.x86_64"}
	s.Components.Modules = map[string]*ModuleComponent{"m": {BuildOrder: math32Overflow}}
	s.pos = &positions{warnings: []Warning{{Path: "data.x", Code: "buildorder-overflow", Msg: "decoder finding"}}}
	var got []string
	for _, x := range Lint(s) {
		got = append(got, x.Code+" "+x.Path)
	}
	want := []string{
		"buildorder-overflow data.x",
		"deprecated-v1 version",
		"summary-format data.summary",
		"description-blank data.description",
		"missing-rationale data.components.modules.m",
		"buildorder-int32 data.components.modules.m.buildorder",
		"profile-default-flag data.profiles.p.default",
		"artifact-malformed data.artifacts.rpms",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Lint mismatch (-want +got):\n%s", d)
	}
	o := &Obsoletes{MDVersionNumber: 1, Module: "m", Stream: "s", ObsoletedBy: &ObsoletedBy{Module: "m", Stream: "s"}}
	if ws := Lint(o); len(ws) != 1 || ws[0].Code != LintObsoletesSelf {
		t.Errorf("Lint(self-obsoleting) = %v", ws)
	}
	if ws := Lint(&Defaults{MDVersionNumber: 1}); len(ws) != 1 || ws[0].Code != LintDefaultsPlaceholder {
		t.Errorf("Lint(defaults without module) = %v", ws)
	}
	if ws := Lint(newTestStream("foo", "a", 1, "c", "x")); len(ws) != 0 {
		t.Errorf("Lint(clean stream) = %v, want none", ws)
	}
}

const math32Overflow = -1 << 40
