package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFmt(t *testing.T) {
	t.Parallel()
	formatted := func(t *testing.T, name string) []byte {
		t.Helper()
		out, err := formatBytes(mustReadFixture(t, name), name)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	unchanged := func(name string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			if diff := cmp.Diff(string(mustReadFixture(t, name)), string(mustRead(t, filepath.Join(dir, name)))); diff != "" {
				t.Errorf("%s was changed (-want +got):\n%s", name, diff)
			}
		}
	}
	copyOf := func(names ...string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			for _, n := range names {
				copyFixture(t, dir, n)
			}
		}
	}
	runCases(t, []cliCase{
		{name: "fmt/messy", args: []string{"fmt", "testdata/messy.yaml"}},
		{name: "fmt/valid", args: []string{"fmt", "testdata/valid.yaml"}},
		{name: "fmt/v1", args: []string{"fmt", "testdata/v1.yaml"}},
		{name: "fmt/packager", args: []string{"fmt", "testdata/packager-v3.yaml"}},
		{name: "fmt/stdin", args: []string{"fmt", "-"}, stdin: mustReadFixture(t, "messy.yaml")},
		{
			name: "fmt/write", args: []string{"fmt", "-w", "$TMP/messy.yaml"},
			setup: copyOf("messy.yaml"),
			check: func(t *testing.T, dir string) {
				got := mustRead(t, filepath.Join(dir, "messy.yaml"))
				if diff := cmp.Diff(string(formatted(t, "messy.yaml")), string(got)); diff != "" {
					t.Errorf("rewritten file (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "fmt/list", args: []string{"fmt", "-l", "$TMP/canonical.yaml", "$TMP/messy.yaml"},
			setup: func(t *testing.T, dir string) {
				copyFixture(t, dir, "messy.yaml")
				writeFile(t, filepath.Join(dir, "canonical.yaml"), formatted(t, "messy.yaml"))
			},
			check: unchanged("messy.yaml"),
		},
		{
			name: "fmt/check", args: []string{"fmt", "--check", "$TMP/canonical.yaml", "$TMP/messy.yaml"},
			setup: func(t *testing.T, dir string) {
				copyFixture(t, dir, "messy.yaml")
				writeFile(t, filepath.Join(dir, "canonical.yaml"), formatted(t, "messy.yaml"))
			},
		},
		{
			name: "fmt/check-clean", args: []string{"fmt", "--check", "$TMP/canonical.yaml"},
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "canonical.yaml"), formatted(t, "valid.yaml"))
			},
		},
		{name: "fmt/syntax-not-written", args: []string{"fmt", "-w", "$TMP/syntax.yaml"},
			setup: copyOf("syntax.yaml"), check: unchanged("syntax.yaml")},
		{name: "fmt/unknown-key-not-written", args: []string{"fmt", "-w", "$TMP/unknown-key.yaml"},
			setup: copyOf("unknown-key.yaml"), check: unchanged("unknown-key.yaml")},
		{name: "fmt/drop-unknown", args: []string{"fmt", "--drop-unknown", "testdata/unknown-key.yaml"}},
		{name: "fmt/gzip", args: []string{"fmt", "$TMP/messy.yaml.gz"},
			setup: func(t *testing.T, dir string) { gzipFixture(t, dir, "messy.yaml") }},
		{
			name: "fmt/gzip-write-refused", args: []string{"fmt", "-w", "$TMP/messy.yaml.gz"},
			setup: func(t *testing.T, dir string) { gzipFixture(t, dir, "messy.yaml") },
		},
		{name: "fmt/write-stdin", args: []string{"fmt", "-w", "-"}},
		{name: "fmt/write-and-list", args: []string{"fmt", "-w", "-l", "testdata/messy.yaml"}},
		{name: "fmt/missing-file", args: []string{"fmt", "testdata/nope.yaml"}},
		{name: "fmt/no-file", args: []string{"fmt"}},
	})
}

// TestFmtIdempotent checks that formatting formatted output changes nothing.
func TestFmtIdempotent(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"valid.yaml", "messy.yaml", "v1.yaml", "packager-v3.yaml", "repo-high.yaml", "source.yaml"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			once, err := formatBytes(mustReadFixture(t, name), name)
			if err != nil {
				t.Fatal(err)
			}
			twice, err := formatBytes(once, name)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(once, twice) {
				t.Errorf("fmt is not idempotent (-once +twice):\n%s", cmp.Diff(string(once), string(twice)))
			}
		})
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// formatBytes runs format on data, strictly.
func formatBytes(data []byte, name string) ([]byte, error) {
	f, err := format(context.Background(), bytes.NewReader(data), int64(len(data)), name, true)
	if err != nil {
		return nil, err
	}
	return f.out, nil
}
