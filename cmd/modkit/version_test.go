package main

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBuildVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"installed release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.3.0"},
			Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"}}},
			true, "modkit v0.3.0\nbuilt with go1.26.8 for linux/arm64\n"},
		{"checkout with changes", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abc"}, {Key: "vcs.time", Value: "2026-12-02T10:00:00Z"},
				{Key: "vcs.modified", Value: "true"}, {Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"}}},
			true, "modkit (devel)\ncommit 0123abc (2026-12-02T10:00:00Z, with uncommitted changes)\nbuilt with go1.26.8 for linux/amd64\n"},
		{"no build info", nil, false,
			"modkit unknown\nbuilt with " + runtime.Version() + " for " + runtime.GOOS + "/" + runtime.GOARCH + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if d := cmp.Diff(tt.want, buildVersion(tt.bi, tt.ok).String()); d != "" {
				t.Errorf("version (-want +got):\n%s", d)
			}
		})
	}
}

// TestVersionCommand runs 'modkit version' on the test binary's own build
// information.
func TestVersionCommand(t *testing.T) {
	t.Parallel()
	res := runCLI(t, []string{"version"}, nil)
	if res.code != 0 || !strings.HasPrefix(res.stdout, "modkit ") || !strings.Contains(res.stdout, "built with "+runtime.Version()) {
		t.Errorf("modkit version: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = runCLI(t, []string{"version", "--json"}, nil)
	var v versionInfo
	if err := json.Unmarshal([]byte(res.stdout), &v); err != nil || v.Go != runtime.Version() || v.Version == "" {
		t.Errorf("modkit version --json: %v %+v\n%s", err, v, res.stdout)
	}
}
