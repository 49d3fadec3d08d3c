package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	gz := func(t *testing.T, dir string) { gzipFixture(t, dir, "valid.yaml") }
	runCases(t, []cliCase{
		{name: "validate/valid", args: []string{"validate", "testdata/valid.yaml"}},
		{name: "validate/invalid", args: []string{"validate", "testdata/invalid.yaml"}},
		{name: "validate/json", args: []string{"validate", "--json", "testdata/valid.yaml", "testdata/invalid.yaml"}},
		{name: "validate/json-flag-last", args: []string{"validate", "testdata/valid.yaml", "--json"}},
		{name: "validate/lint", args: []string{"validate", "testdata/lint.yaml"}},
		{name: "validate/lint-source", args: []string{"validate", "--source", "testdata/lint.yaml"}},
		{name: "validate/lint-json", args: []string{"validate", "--json", "testdata/lint.yaml"}},
		{name: "validate/lint-summary", args: []string{"validate", "testdata/lint-many.yaml"}},
		{name: "validate/lint-all", args: []string{"validate", "--lint=all", "testdata/lint-many.yaml"}},
		{name: "validate/lint-none", args: []string{"validate", "--lint", "none", "testdata/lint-many.yaml"}},
		{name: "validate/lint-summary-json", args: []string{"validate", "--json", "testdata/lint-many.yaml"}},
		{name: "validate/lint-bad-mode", args: []string{"validate", "--lint=some", "testdata/lint-many.yaml"}},
		{name: "validate/no-name-repository", args: []string{"validate", "testdata/source.yaml"}},
		{name: "validate/no-name-source", args: []string{"validate", "--source", "testdata/source.yaml"}},
		{name: "validate/packager-repository", args: []string{"validate", "testdata/packager-v3.yaml"}},
		{name: "validate/packager-source", args: []string{"validate", "--source", "testdata/packager-v3.yaml"}},
		{name: "validate/gzip", args: []string{"validate", "$TMP/valid.yaml.gz"}, setup: gz},
		{name: "validate/stdin", args: []string{"validate", "-"}, stdin: mustReadFixture(t, "invalid.yaml")},
		{name: "validate/syntax", args: []string{"validate", "testdata/syntax.yaml"}},
		{name: "validate/control-character", args: []string{"validate", "-"},
			stdin: []byte("document: modulemd-defaults\nversion: 1\ndata:\n  module: a\n  stream: \"x\x01\"\n")},
		{name: "validate/invalid-utf8", args: []string{"validate", "-"},
			stdin: []byte("document: modulemd-defaults\nversion: 1\ndata:\n  module: a\n  stream: ab\xc3\n")},
		{name: "validate/unknown-key-lenient", args: []string{"validate", "testdata/unknown-key.yaml"}},
		{name: "validate/unknown-key-strict", args: []string{"validate", "--strict", "testdata/unknown-key.yaml"}},
		{name: "validate/unknown-key-defaults", args: []string{"validate", "testdata/unknown-key-defaults.yaml"}},
		{name: "validate/packager-v3-no-summary", args: []string{"validate", "--source", "testdata/packager-v3-no-summary.yaml"}},
		{name: "validate/missing-file", args: []string{"validate", "testdata/nope.yaml", "testdata/invalid.yaml"}},
		{name: "validate/missing-file-json", args: []string{"validate", "--json", "testdata/nope.yaml"}},
		{name: "validate/unknown-flag", args: []string{"validate", "--bogus", "testdata/valid.yaml"}},
		{name: "validate/no-file", args: []string{"validate"}},
		{name: "validate/help", args: []string{"validate", "--help"}},
		{name: "validate/stdin-twice", args: []string{"validate", "-", "-"}},
		{name: "validate/empty", args: []string{"validate", "-"}, stdin: []byte{}},
	})
}

func mustReadFixture(t *testing.T, name string) []byte {
	t.Helper()
	return mustRead(t, "testdata/"+name)
}

// modulemdValidator returns the path of libmodulemd's modulemd-validator, or
// skips the test (fails it when MODKIT_REQUIRE_TOOLS=1).
func modulemdValidator(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("modulemd-validator")
	if err != nil {
		if os.Getenv("MODKIT_REQUIRE_TOOLS") == "1" {
			t.Fatalf("modulemd-validator not found (install libmodulemd-tools or libmodulemd2's tools): %v", err)
		}
		t.Skip("modulemd-validator not installed (libmodulemd's tools); set MODKIT_REQUIRE_TOOLS=1 to make this a failure")
	}
	return p
}

// libmodulemdAccepts runs modulemd-validator (which loads strictly) on path.
func libmodulemdAccepts(t *testing.T, validator, path string) (bool, string) {
	t.Helper()
	out, err := exec.Command(validator, path).CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running %s: %v", validator, err)
	}
	return err == nil, string(out)
}

// TestValidateAgreesWithLibmodulemd checks that "modkit validate --strict"
// and libmodulemd's modulemd-validator reach the same verdict on our
// fixtures.
func TestValidateAgreesWithLibmodulemd(t *testing.T) {
	t.Parallel()
	validator := modulemdValidator(t)
	for _, name := range []string{
		"valid.yaml", "invalid.yaml", "lint.yaml", "v1.yaml", "messy.yaml", "repo-low.yaml",
		"repo-high.yaml", "repo-conflict.yaml", "unknown-key.yaml", "syntax.yaml",
		"packager-v2.yaml", "packager-v3.yaml",
		// Not source.yaml: modulemd-validator invents a name for a nameless
		// stream, modkit validate requires one (--source accepts it).
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", name)
			want, out := libmodulemdAccepts(t, validator, path)
			res := runCLI(t, []string{"validate", "--strict", path}, nil)
			if got := res.code == 0; got != want {
				t.Errorf("modkit validate --strict %s: exit %d, but modulemd-validator accepted=%v\nmodkit:\n%s\nlibmodulemd:\n%s",
					name, res.code, want, res.stderr, out)
			}
		})
	}
}

// TestOutputLoadsInLibmodulemd checks that what fmt, upgrade, merge and
// convert print is accepted by libmodulemd's modulemd-validator.
func TestOutputLoadsInLibmodulemd(t *testing.T) {
	t.Parallel()
	validator := modulemdValidator(t)
	for _, args := range [][]string{
		{"fmt", "testdata/valid.yaml"},
		{"fmt", "testdata/messy.yaml"},
		{"fmt", "testdata/lint.yaml"},
		{"upgrade", "testdata/v1.yaml"},
		{"merge", "testdata/repo-low.yaml", "testdata/repo-high.yaml@1"},
		{"merge", "testdata/repo-low.yaml", "testdata/repo-conflict.yaml"},
		{"convert", "testdata/packager-v3.yaml"},
		{"convert", "--single", "testdata/packager-v3.yaml"},
		{"convert", "--name", "sprocket", "--stream", "main", "testdata/packager-v2.yaml"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			res := runCLI(t, args, nil)
			if res.code != 0 {
				t.Fatalf("modkit %s: exit %d\n%s", strings.Join(args, " "), res.code, res.stderr)
			}
			path := filepath.Join(t.TempDir(), "out.yaml")
			writeFile(t, path, []byte(res.stdout))
			if ok, out := libmodulemdAccepts(t, validator, path); !ok {
				t.Errorf("modulemd-validator rejects the output of modkit %s:\n%s\noutput:\n%s", strings.Join(args, " "), out, res.stdout)
			}
		})
	}
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// TestValidateReadError: validate streams its input; a read that fails part
// way is an I/O error of that file (exit status 2), not a content problem,
// and so is a directory.
func TestValidateReadError(t *testing.T) {
	t.Parallel()
	valid := mustReadFixture(t, "valid.yaml")
	tests := []struct {
		name    string
		args    []string
		stdin   io.Reader
		wantErr string // on stderr
	}{
		{"stdin fails after a document", []string{"validate", "-"},
			&failingReader{data: append(append([]byte{}, valid...), "---\ndocument: modulemd\n"...), err: errors.New("connection reset")},
			"modkit: validate: <stdin>: cannot read: connection reset\n"},
		{"stdin fails at once", []string{"validate", "-"}, &failingReader{err: errors.New("bad descriptor")},
			"modkit: validate: <stdin>: cannot read: bad descriptor\n"},
		{"directory", []string{"validate", "testdata"}, strings.NewReader(""),
			"modkit: validate: testdata: cannot read: is a directory\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, tt.stdin, &stdout, &stderr)
			if code := exitCode(err, &stderr); code != 2 {
				t.Errorf("exit status %d; want 2", code)
			}
			if d := cmp.Diff(tt.wantErr, stderr.String()); d != "" {
				t.Errorf("stderr (-want +got):\n%s", d)
			}
		})
	}
}
