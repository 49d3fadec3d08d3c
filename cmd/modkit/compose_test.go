package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/pungi"
)

func TestComposeUsageAndConfigErrors(t *testing.T) {
	t.Parallel()
	if r := runCLI(t, []string{"compose"}, nil); r.code != 2 || !strings.Contains(r.stderr, "modkit: compose: needs --config FILE") {
		t.Errorf("no config: %d %q", r.code, r.stderr)
	}
	r := runCLI(t, []string{"compose", "--schema"}, nil)
	var schema map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &schema) != nil || schema["title"] != "modkit compose configuration" {
		t.Errorf("--schema: %d %q", r.code, r.stderr)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	os.WriteFile(p, []byte("release: {name: A, short: A, version: \"1\"}\nvariants_file: v.xml\nrepos: [r]\ncompose_type: weekly\n"), 0o644)
	if r := runCLI(t, []string{"compose", "--config", p}, nil); r.code != 2 || !strings.Contains(r.stderr, p+":4:15: compose_type") {
		t.Errorf("bad config: %d %q", r.code, r.stderr)
	}
}

func TestComposeCommand(t *testing.T) {
	t.Parallel()
	testenv.RequireTools(t, "rpmbuild", "createrepo_c", "modifyrepo_c")
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	if arch == "" {
		arch = runtime.GOARCH
	}
	dir := t.TempDir()
	spec := filepath.Join(dir, "hi.spec")
	os.WriteFile(spec, []byte("Name: hi\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\nBuildArch: noarch\n%description\nd\n%files\n"), 0o644)
	top := filepath.Join(dir, "top")
	if out, err := exec.Command("rpmbuild", "-ba", "--quiet", "--define", "_topdir "+top, spec).CombinedOutput(); err != nil {
		t.Fatalf("rpmbuild: %v\n%s", err, out)
	}
	docs, err := modulemd.Parse([]byte("document: modulemd\nversion: 2\ndata:\n  name: hi\n  stream: s\n  version: 7\n  context: c\n  arch: " + arch +
		"\n  summary: s\n  description: d\n  license: {module: [MIT]}\n  profiles:\n    default: {rpms: [hi]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(dir, "repo")
	if _, err := pungi.WriteRepo(context.Background(), repo, []pungi.RepoModule{{Stream: docs[0].(*modulemd.Stream),
		RPMs: []string{filepath.Join(top, "RPMS", "noarch", "hi-1-1.noarch.rpm"), filepath.Join(top, "SRPMS", "hi-1-1.src.rpm")}}}, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "v.xml"), []byte(`<variants><variant id="Mods" name="Mods" type="variant"><arches><arch>`+arch+
		`</arch></arches><modules><module>hi:s</module></modules></variant></variants>`), 0o644)
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("release: {name: Hi, short: Hi, version: \"1\"}\nvariants_file: v.xml\nrepos: [repo]\n"), 0o644)

	r := runCLI(t, []string{"compose", "--config", cfg, "--target-dir", filepath.Join(dir, "out"), "--json"}, nil)
	if r.code != 0 {
		t.Fatalf("compose: %d\n%s", r.code, r.stderr)
	}
	var res struct {
		ID, Status string
		Modules    map[string]map[string][]string
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if res.Status != "FINISHED" || !strings.HasPrefix(res.ID, "Hi-1-") || res.Modules["Mods"][arch][0] != "hi:s:7:c" {
		t.Errorf("result %+v", res)
	}
	if !strings.Contains(r.stderr, "createrepo [3/3]") {
		t.Errorf("no progress on stderr:\n%s", r.stderr)
	}
	// Human output names the dnf command; a second run is a respin.
	r = runCLI(t, []string{"compose", "--config", cfg, "--target-dir", filepath.Join(dir, "out"), "--quiet", "--old-composes", filepath.Join(dir, "out")}, nil)
	if r.code != 0 || !strings.Contains(r.stdout, ".n.1 FINISHED") || !strings.Contains(r.stdout, "try: dnf ") || !strings.Contains(r.stdout, "3 with repodata reused") || r.stderr != "" {
		t.Errorf("second run: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// A module nobody built: the compose is DOOMED, exit status 1.
	os.WriteFile(filepath.Join(dir, "v.xml"), []byte(`<variants><variant id="Mods" name="Mods" type="variant"><arches><arch>`+arch+
		`</arch></arches><modules><module>nope:1</module></modules></variant></variants>`), 0o644)
	r = runCLI(t, []string{"compose", "--config", cfg, "--target-dir", filepath.Join(dir, "out"), "--quiet"}, nil)
	if r.code != 1 || !strings.Contains(r.stderr, "v.xml:1:") || !strings.Contains(r.stderr, "nope:1: no module build matches") || !strings.Contains(r.stderr, "did not finish") {
		t.Errorf("doomed: %d\n%s", r.code, r.stderr)
	}
	doomed, _ := filepath.Glob(filepath.Join(dir, "out", "Hi-1-*.n.2", "STATUS"))
	if len(doomed) != 1 {
		t.Fatalf("no third compose")
	}
	if b, _ := os.ReadFile(doomed[0]); string(b) != "DOOMED\n" {
		t.Errorf("STATUS %q", b)
	}
	if l, _ := os.Readlink(filepath.Join(dir, "out", "latest-Hi-1")); !strings.HasSuffix(l, ".n.1") {
		t.Errorf("latest link moved to a doomed compose: %q", l)
	}
}
