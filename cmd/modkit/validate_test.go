package main

import (
	"testing"
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
		{name: "validate/no-name-repository", args: []string{"validate", "testdata/source.yaml"}},
		{name: "validate/no-name-source", args: []string{"validate", "--source", "testdata/source.yaml"}},
		{name: "validate/packager-repository", args: []string{"validate", "testdata/packager-v3.yaml"}},
		{name: "validate/packager-source", args: []string{"validate", "--source", "testdata/packager-v3.yaml"}},
		{name: "validate/gzip", args: []string{"validate", "$TMP/valid.yaml.gz"}, setup: gz},
		{name: "validate/stdin", args: []string{"validate", "-"}, stdin: mustReadFixture(t, "invalid.yaml")},
		{name: "validate/syntax", args: []string{"validate", "testdata/syntax.yaml"}},
		{name: "validate/unknown-key-lenient", args: []string{"validate", "testdata/unknown-key.yaml"}},
		{name: "validate/unknown-key-strict", args: []string{"validate", "--strict", "testdata/unknown-key.yaml"}},
		{name: "validate/missing-file", args: []string{"validate", "testdata/nope.yaml", "testdata/invalid.yaml"}},
		{name: "validate/missing-file-json", args: []string{"validate", "--json", "testdata/nope.yaml"}},
		{name: "validate/unknown-flag", args: []string{"validate", "--bogus", "testdata/valid.yaml"}},
		{name: "validate/no-file", args: []string{"validate"}},
		{name: "validate/stdin-twice", args: []string{"validate", "-", "-"}},
		{name: "validate/empty", args: []string{"validate", "-"}, stdin: []byte{}},
	})
}

func mustReadFixture(t *testing.T, name string) []byte {
	t.Helper()
	return mustRead(t, "testdata/"+name)
}
