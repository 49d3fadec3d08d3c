package main

import "testing"

func TestQuery(t *testing.T) {
	t.Parallel()
	repos := []string{"testdata/repo-high.yaml", "testdata/repo-low.yaml"}
	q := func(args ...string) []string { return append(append([]string{"query"}, args...), repos...) }
	runCases(t, []cliCase{
		{name: "query/all", args: q()},
		{name: "query/unknown-key-lenient", args: []string{"query", "testdata/unknown-key.yaml", "testdata/unknown-key-defaults.yaml"}},
		{name: "query/unknown-key-strict", args: []string{"query", "--strict", "testdata/unknown-key.yaml"}},
		{name: "query/nsvca", args: q("--nsvca", "gadget:1.4:*")},
		{name: "query/nsvca-arch", args: q("--nsvca", "*:*:*:*:aarch64")},
		{name: "query/fields", args: q("--stream", "1.[24]", "--version", "2024*")},
		{name: "query/combined", args: q("--nsvca", "*x86_64", "--stream", "1.4")},
		{name: "query/json", args: q("--json", "--arch", "x86_64")},
		{name: "query/json-empty", args: q("--json", "--name", "nothing")},
		{name: "query/no-match", args: q("--nsvca", "nothing:*")},
		{name: "query/gzip", args: []string{"query", "$TMP/repo-high.yaml.gz"},
			setup: func(t *testing.T, dir string) { gzipFixture(t, dir, "repo-high.yaml") }},
		{name: "query/stdin", args: []string{"query", "-"}, stdin: mustReadFixture(t, "repo-low.yaml")},
		{name: "query/partly-invalid", args: []string{"query", "testdata/repo-low.yaml", "testdata/source.yaml", "testdata/packager-v3.yaml"}},
		{name: "query/nsvca-conflict", args: []string{"query", "testdata/repo-high.yaml", "testdata/valid.yaml"}},
		{name: "query/missing-file", args: []string{"query", "testdata/nope.yaml"}},
		{name: "query/unknown-flag", args: []string{"query", "--nvr", "x", "testdata/repo-low.yaml"}},
		{name: "query/no-file", args: []string{"query", "--nsvca", "*"}},
	})
}
