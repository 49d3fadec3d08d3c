package main

import (
	"path/filepath"
	"testing"
)

func TestUpgrade(t *testing.T) {
	t.Parallel()
	runCases(t, []cliCase{
		{name: "upgrade/v1", args: []string{"upgrade", "--to", "2", "testdata/v1.yaml"}},
		{name: "upgrade/default-target", args: []string{"upgrade", "testdata/v1.yaml"}},
		{name: "upgrade/already-v2", args: []string{"upgrade", "--to", "2", "testdata/valid.yaml"}},
		{name: "upgrade/downgrade", args: []string{"upgrade", "--to", "1", "testdata/valid.yaml"}},
		{name: "upgrade/unknown-key-lenient", args: []string{"upgrade", "testdata/unknown-key.yaml"}},
		{name: "upgrade/unknown-key-strict", args: []string{"upgrade", "--strict", "testdata/unknown-key.yaml"}},
		{name: "upgrade/unknown-key-not-written", args: []string{"upgrade", "-w", "$TMP/unknown-key.yaml"},
			setup: func(t *testing.T, dir string) { copyFixture(t, dir, "unknown-key.yaml") }},
		{name: "upgrade/gzip", args: []string{"upgrade", "$TMP/v1.yaml.gz"},
			setup: func(t *testing.T, dir string) { gzipFixture(t, dir, "v1.yaml") }},
		{
			name: "upgrade/write", args: []string{"upgrade", "-w", "$TMP/v1.yaml"},
			setup: func(t *testing.T, dir string) { copyFixture(t, dir, "v1.yaml") },
			check: func(t *testing.T, dir string) {
				checkGolden(t, "testdata/golden/upgrade/write.yaml", string(mustRead(t, filepath.Join(dir, "v1.yaml"))))
			},
		},
		{name: "upgrade/bad-target", args: []string{"upgrade", "--to", "3", "testdata/v1.yaml"}},
		{name: "upgrade/two-files", args: []string{"upgrade", "testdata/v1.yaml", "testdata/valid.yaml"}},
		{name: "upgrade/invalid-input", args: []string{"upgrade", "testdata/syntax.yaml"}},
		{name: "upgrade/missing-file", args: []string{"upgrade", "testdata/nope.yaml"}},
	})
}
