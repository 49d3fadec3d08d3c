package main

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMerge(t *testing.T) {
	t.Parallel()
	runCases(t, []cliCase{
		{name: "merge/single", args: []string{"merge", "testdata/repo-low.yaml"}},
		{name: "merge/unknown-key-lenient", args: []string{"merge", "testdata/unknown-key.yaml", "testdata/unknown-key-defaults.yaml"}},
		{name: "merge/unknown-key-strict", args: []string{"merge", "--strict", "testdata/unknown-key-defaults.yaml"}},
		{name: "merge/high-priority-wins", args: []string{"merge", "testdata/repo-low.yaml@0", "testdata/repo-high.yaml@10"}},
		{name: "merge/high-priority-wins-reversed", args: []string{"merge", "testdata/repo-low.yaml@10", "testdata/repo-high.yaml"}},
		{name: "merge/same-priority-newer-wins", args: []string{"merge", "testdata/repo-low.yaml", "testdata/repo-high.yaml"}},
		{name: "merge/same-priority-conflict", args: []string{"merge", "testdata/repo-low.yaml@5", "testdata/repo-conflict.yaml@5"}},
		{name: "merge/strict-default-streams", args: []string{"merge", "--strict-default-streams", "testdata/repo-low.yaml", "testdata/repo-conflict.yaml"}},
		{name: "merge/gzip", args: []string{"merge", "$TMP/repo-high.yaml.gz@1", "testdata/repo-low.yaml"},
			setup: func(t *testing.T, dir string) { gzipFixture(t, dir, "repo-high.yaml") }},
		{name: "merge/stdin", args: []string{"merge", "-@3", "testdata/repo-low.yaml"}, stdin: mustReadFixture(t, "repo-high.yaml")},
		{
			name: "merge/at-in-file-name", args: []string{"merge", "$TMP/modules@3bf3695.yaml"},
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "modules@3bf3695.yaml"), mustReadFixture(t, "repo-low.yaml"))
			},
		},
		{name: "merge/priority-too-big", args: []string{"merge", "testdata/repo-low.yaml@1001"}},
		{name: "merge/priority-negative", args: []string{"merge", "testdata/repo-low.yaml@-1"}},
		{name: "merge/priority-not-a-number", args: []string{"merge", "testdata/repo-low.yaml@high"}},
		{name: "merge/invalid-input", args: []string{"merge", "testdata/repo-low.yaml", "testdata/invalid.yaml"}},
		{name: "merge/missing-file", args: []string{"merge", "testdata/nope.yaml"}},
		{name: "merge/no-file", args: []string{"merge"}},
		{name: "merge/help", args: []string{"merge", "-h"}},
	})
}

func TestParseMergeArg(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    mergeInput
		wantErr bool
	}{
		{in: "a.yaml", want: mergeInput{arg: "a.yaml"}},
		{in: "a.yaml@7", want: mergeInput{arg: "a.yaml", priority: 7}},
		{in: "a.yaml@1000", want: mergeInput{arg: "a.yaml", priority: 1000}},
		{in: "a.yaml@+3", want: mergeInput{arg: "a.yaml", priority: 3}},
		{in: "m@2.yaml@0", want: mergeInput{arg: "m@2.yaml"}},
		{in: "modules@3bf3695.yaml", want: mergeInput{arg: "modules@3bf3695.yaml"}},
		{in: "-@4", want: mergeInput{arg: "-", priority: 4}},
		{in: "a.yaml@1001", wantErr: true},
		{in: "a.yaml@-1", wantErr: true},
		{in: "a.yaml@99999999999999999999", wantErr: true},
		{in: "@5", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := parseMergeArg(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseMergeArg(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(mergeInput{})); diff != "" {
				t.Errorf("parseMergeArg(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
