package main

import "testing"

func TestConvert(t *testing.T) {
	t.Parallel()
	runCases(t, []cliCase{
		{name: "convert/v3", args: []string{"convert", "testdata/packager-v3.yaml"}},
		{name: "convert/unknown-key-lenient", args: []string{"convert", "--name", "n", "--stream", "s", "testdata/packager-v2-unknown-key.yaml"}},
		{name: "convert/unknown-key-strict", args: []string{"convert", "--strict", "--name", "n", "--stream", "s", "testdata/packager-v2-unknown-key.yaml"}},
		{name: "convert/v3-single", args: []string{"convert", "--single", "testdata/packager-v3.yaml"}},
		{name: "convert/v3-override-names", args: []string{"convert", "--name", "gizmo", "--stream", "next", "testdata/packager-v3.yaml"}},
		{name: "convert/v2-no-names", args: []string{"convert", "testdata/packager-v2.yaml"}},
		{name: "convert/v2-names", args: []string{"convert", "--name", "sprocket", "--stream", "main", "testdata/packager-v2.yaml"}},
		{name: "convert/stdin", args: []string{"convert", "--name", "sprocket", "--stream", "main", "-"}, stdin: mustReadFixture(t, "packager-v2.yaml")},
		{name: "convert/gzip", args: []string{"convert", "$TMP/packager-v3.yaml.gz"},
			setup: func(t *testing.T, dir string) { gzipFixture(t, dir, "packager-v3.yaml") }},
		{name: "convert/not-packager", args: []string{"convert", "testdata/valid.yaml"}},
		{name: "convert/invalid-input", args: []string{"convert", "testdata/syntax.yaml"}},
		{name: "convert/missing-file", args: []string{"convert", "testdata/nope.yaml"}},
		{name: "convert/two-files", args: []string{"convert", "testdata/packager-v2.yaml", "testdata/packager-v3.yaml"}},
	})
}
