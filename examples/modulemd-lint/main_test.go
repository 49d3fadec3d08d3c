package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodStream = `---
document: modulemd
version: 2
data:
  name: lintme
  stream: main
  summary: A good stream
  description: Nothing wrong here.
  license:
    module: [MIT]
...
`

const badStream = `---
document: modulemd
version: 2
data:
  name: lintme
  stream: main
  description: No summary and a misspelt key.
  licence:
    module: [MIT]
...
`

func TestLint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	for name, content := range map[string]string{good: goodStream, bad: badStream} {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		files      []string
		wantStatus int
		wantOut    []string // substrings of the output
		wantNone   bool     // no output at all
	}{
		{name: "good", files: []string{good}, wantStatus: 0, wantNone: true},
		{name: "bad", files: []string{bad}, wantStatus: 1, wantOut: []string{bad + ":8:3: data.licence:", "misspelt key?"}},
		{name: "missing", files: []string{filepath.Join(dir, "nope.yaml")}, wantStatus: 2, wantOut: []string{"nope.yaml"}},
		{name: "usage", files: nil, wantStatus: 2, wantOut: []string{"usage:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			if got := lint(tt.files, &out); got != tt.wantStatus {
				t.Errorf("lint(%q) = %d, want %d; output:\n%s", tt.files, got, tt.wantStatus, out.String())
			}
			if tt.wantNone && out.Len() > 0 {
				t.Errorf("lint(%q) printed:\n%s\nwant nothing", tt.files, out.String())
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(out.String(), want) {
					t.Errorf("lint(%q) output lacks %q:\n%s", tt.files, want, out.String())
				}
			}
		})
	}
}
