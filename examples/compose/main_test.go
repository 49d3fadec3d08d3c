package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/pungi"
)

// TestComposeRepository composes a module repository (the same code path
// as local builds, without a build store) with the example's variants and
// defaults.
func TestComposeRepository(t *testing.T) {
	testenv.RequireTools(t, "rpmbuild", "createrepo_c", "modifyrepo_c")
	dir := t.TempDir()
	spec := filepath.Join(dir, "hello.spec")
	os.WriteFile(spec, []byte("Name: hello\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\nBuildArch: noarch\n%description\nd\n%files\n"), 0o644)
	top := filepath.Join(dir, "top")
	if out, err := exec.Command("rpmbuild", "-ba", "--quiet", "--define", "_topdir "+top, spec).CombinedOutput(); err != nil {
		t.Fatalf("rpmbuild: %v\n%s", err, out)
	}
	docs, err := modulemd.Parse([]byte("document: modulemd\nversion: 2\ndata:\n  name: hello\n  stream: \"1\"\n  version: 1\n  context: local\n  arch: " +
		hostArch() + "\n  summary: s\n  description: d\n  license: {module: [MIT]}\n  dependencies:\n  - requires: {platform: [local]}\n  profiles:\n    default: {rpms: [hello]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(dir, "repo")
	if _, err := pungi.WriteRepo(context.Background(), repo, []pungi.RepoModule{{Stream: docs[0].(*modulemd.Stream),
		RPMs: []string{filepath.Join(top, "RPMS", "noarch", "hello-1-1.noarch.rpm"), filepath.Join(top, "SRPMS", "hello-1-1.src.rpm")}}}, nil); err != nil {
		t.Fatal(err)
	}
	cfg, _ := os.ReadFile("compose.yaml")
	text := strings.Replace(string(cfg), "local:\n  state_dir: ../../.state/demo\n", "repos: ["+repo+"]\n", 1)
	text = strings.Replace(text, "module_defaults_dir: defaults", "module_defaults_dir: "+filepath.Join(mustAbs(t, "."), "defaults"), 1)
	text = strings.Replace(text, "variants_file: variants.xml", "variants_file: "+filepath.Join(mustAbs(t, "."), "variants.xml"), 1)
	p := filepath.Join(dir, "compose.yaml")
	os.WriteFile(p, []byte(text), 0o644)
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"-config", p, "-target-dir", filepath.Join(dir, "out")}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "ModkitDemo-1-") || !strings.Contains(out.String(), "hello:1:1:local") ||
		!strings.Contains(out.String(), "module_platform_id=platform:local") {
		t.Errorf("output:\n%s", out.String())
	}
	if l, err := os.Readlink(filepath.Join(dir, "out", "latest-ModkitDemo-1")); err != nil || !strings.HasPrefix(l, "ModkitDemo-1-") {
		t.Errorf("latest link: %q %v", l, err)
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
