package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestModule(t *testing.T) {
	t.Parallel()
	m := func(args ...string) []string {
		return append(append([]string{"module"}, args...), "--repo", "testdata/modrepo", "--state", "$TMP/modules.d",
			"--platform", "platform:f99", "--arch", "x86_64")
	}
	state := func(name, body string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			if err := os.MkdirAll(filepath.Join(dir, "modules.d"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "modules.d", name+".module"), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantFile := func(name, want string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			got, err := os.ReadFile(filepath.Join(dir, "modules.d", name+".module"))
			if err != nil || strings.TrimSpace(string(got)) != strings.TrimSpace(want) {
				t.Errorf("%s.module = %q (%v), want %q", name, got, err, want)
			}
		}
	}
	runCases(t, []cliCase{
		{name: "module/list", args: m("list")},
		{name: "module/list-spec", args: m("list", "md")},
		{name: "module/info", args: m("info", "md:1")},
		{name: "module/solve", args: m("solve")},
		{name: "module/enable-pulls-in", args: m("enable", "ma:1"),
			check: func(t *testing.T, dir string) {
				wantFile("ma", "[ma]\nname=ma\nstream=1\nprofiles=\nstate=enabled")(t, dir)
				wantFile("mb", "[mb]\nname=mb\nstream=1\nprofiles=\nstate=enabled")(t, dir)
			}},
		{name: "module/enable-dry-run", args: m("enable", "--dry-run", "ma:1"),
			check: func(t *testing.T, dir string) {
				if _, err := os.Stat(filepath.Join(dir, "modules.d")); err == nil {
					t.Error("--dry-run wrote the state")
				}
			}},
		{name: "module/enable-no-stream", args: m("enable", "mb")},
		{name: "module/enable-switch", args: m("enable", "mb:2"), setup: state("mb", "[mb]\nname=mb\nstream=1\nprofiles=\nstate=enabled\n")},
		{name: "module/disable", args: m("disable", "mb"), check: wantFile("mb", "[mb]\nname=mb\nstream=\nprofiles=\nstate=disabled")},
		{name: "module/solve-disabled", args: m("solve"), setup: state("mb", "[mb]\nname=mb\nstream=\nprofiles=\nstate=disabled\n")},
		{name: "module/install-no-package", args: m("install", "md:1")},
		{name: "module/unknown-subcommand", args: m("frobnicate")},
		{name: "module/no-repo", args: []string{"module", "list"}},
	})
}
