package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// cliCase is one invocation of the CLI checked against a golden file.
type cliCase struct {
	name  string   // golden file: testdata/golden/NAME.golden
	args  []string // after "modkit"; "$TMP" is replaced by the test's temp dir
	stdin []byte
	// setup prepares files in the temp dir before the run.
	setup func(t *testing.T, dir string)
	// check inspects the temp dir after the run.
	check func(t *testing.T, dir string)
}

// cliResult is what a run printed and its exit status.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs modkit with args as main does, without exiting.
func runCLI(t *testing.T, args []string, stdin []byte) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, bytes.NewReader(stdin), &stdout, &stderr)
	code := exitCode(err, &stderr)
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// golden renders a result in the golden-file format.
func (r cliResult) golden(args []string) string {
	var b strings.Builder
	b.WriteString("# modkit " + strings.Join(args, " ") + "\n")
	b.WriteString("exit status " + strconv.Itoa(r.code) + "\n")
	b.WriteString("-- stdout --\n" + r.stdout)
	if r.stdout != "" && !strings.HasSuffix(r.stdout, "\n") {
		b.WriteString("\n[no newline at end]\n")
	}
	b.WriteString("-- stderr --\n" + r.stderr)
	return b.String()
}

// runCases runs each case in parallel and compares it with its golden file.
func runCases(t *testing.T, cases []cliCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "$TMP", dir)
			}
			res := runCLI(t, args, tc.stdin)
			res.stdout = strings.ReplaceAll(res.stdout, dir, "$TMP")
			res.stderr = strings.ReplaceAll(res.stderr, dir, "$TMP")
			checkGolden(t, filepath.Join("testdata", "golden", tc.name+".golden"), res.golden(tc.args))
			if tc.check != nil {
				tc.check(t, dir)
			}
		})
	}
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run 'go test ./cmd/modkit -update' to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// copyFixture copies testdata/NAME into dir and returns the new path.
func copyFixture(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, name)
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// gzipFixture writes testdata/NAME gzip-compressed to dir/NAME.gz.
func gzipFixture(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, name+".gz")
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseFlagsInterspersed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		want    []string
		wantX   bool
		wantErr int // exit code; -1 = no error
	}{
		{args: []string{"a", "-x", "b"}, want: []string{"a", "b"}, wantX: true, wantErr: -1},
		{args: []string{"-x", "--", "-x", "c"}, want: []string{"-x", "c"}, wantX: true, wantErr: -1},
		{args: []string{"-", "--x"}, want: []string{"-"}, wantX: true, wantErr: -1},
		{args: []string{"a", "--nope"}, wantErr: 2},
		{args: []string{"-h"}, wantErr: 0},
		{args: nil, want: nil, wantErr: -1},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			fs := newFlags("t", "t [-x] FILE...", "Test.", &stderr)
			x := fs.Bool("x", false, "x")
			got, err := fs.parse(tt.args)
			if tt.wantErr >= 0 {
				if code := exitCode(err, &stderr); err == nil || code != tt.wantErr {
					t.Fatalf("parseFlags(%q) = %v (exit %d), want exit %d", tt.args, err, code, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseFlags(%q): %v", tt.args, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("positional (-want +got):\n%s", diff)
			}
			if *x != tt.wantX {
				t.Errorf("-x = %v, want %v", *x, tt.wantX)
			}
		})
	}
}

func TestWriteFileAtomicKeepsMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "f.yaml")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink("f.yaml", link); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(link, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if got := string(mustRead(t, p)); got != "new" {
		t.Errorf("content = %q, want %q", got, "new")
	}
	fi, err := os.Lstat(link)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("symlink was replaced by a file")
	}
	fi, err = os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("temporary file left behind: %v", entries)
	}
	if err := writeFileAtomic(filepath.Join(dir, "missing.yaml"), nil); err == nil {
		t.Errorf("writeFileAtomic on a missing file succeeded")
	}
}
