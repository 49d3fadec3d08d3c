package compose

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/pungi"
	"github.com/modkit/modkit/pungi/productmd"
)

const variantsXML = `<?xml version="1.0" encoding="UTF-8"?>
<variants>
  <variant id="Modular" name="Modular" type="variant">
    <arches><arch>%ARCH%</arch></arches>
    <modules>
      <module>hello:1</module>
      <module>hello:2</module>
      <module>tools:1</module>
      <module>extra:1</module>
    </modules>
  </variant>
</variants>
`

func writeConfig(t *testing.T, dir, body string) *Config {
	t.Helper()
	p := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// productmdOracle runs ../shared/tools/productmd-oracle over a compose.
func productmdOracle(t *testing.T, dir string) []map[string]any {
	t.Helper()
	tool := filepath.Join(testenv.SharedDir(t), "tools", "productmd-oracle")
	out, err := exec.Command(tool, "--json", dir).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("productmd-oracle: %v", err)
		}
	}
	var reps []map[string]any
	if err := json.Unmarshal(out, &reps); err != nil {
		t.Fatalf("productmd-oracle: %v\n%s", err, out)
	}
	return reps
}

// dnfModuleCheck runs ../shared/tools/dnf-module-check.
func dnfModuleCheck(t *testing.T, args ...string) string {
	t.Helper()
	tool := filepath.Join(testenv.SharedDir(t), "tools", "dnf-module-check")
	testenv.RequireTools(t, "dnf", "rpm")
	cmd := exec.Command(tool, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dnf-module-check %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestComposeFromRepositories(t *testing.T) {
	t.Parallel()
	arch := hostArch()
	dir := t.TempDir()
	repos, base := fixtureRepos(t, dir, arch)
	writeMetadataDirs(t, dir)
	os.WriteFile(filepath.Join(dir, "variants.xml"), []byte(strings.ReplaceAll(variantsXML, "%ARCH%", arch)), 0o644)
	var cfgText strings.Builder
	cfgText.WriteString("release: {name: Modkit Test, short: MT, version: \"1\"}\ncompose_type: test\nvariants_file: variants.xml\n")
	cfgText.WriteString("module_defaults_dir: defaults\nmodule_obsoletes_dir: obsoletes\ntarget_dir: composes\nrepos:\n")
	for _, r := range repos {
		cfgText.WriteString("  - " + r + "\n")
	}
	cfg := writeConfig(t, dir, cfgText.String())
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	var phases []string
	res, err := Run(context.Background(), cfg, &Options{Now: func() time.Time { return now }, Progress: func(p Progress) {
		if !slices.Contains(phases, p.Phase) {
			phases = append(phases, p.Phase)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != "MT-1-20260304.t.0" || res.Status != StatusFinished {
		t.Fatalf("result %s %s", res.ID, res.Status)
	}
	if diff := cmp.Diff([]string{"init", "pkgset", "fetch", "gather", "createrepo", "metadata", "done"}, phases); diff != "" {
		t.Errorf("progress phases (-want +got):\n%s", diff)
	}
	cdir := filepath.Join(dir, "composes", res.ID)
	for f, want := range map[string]string{"STATUS": "FINISHED\n", "COMPOSE_ID": res.ID} {
		if b, _ := os.ReadFile(filepath.Join(cdir, f)); string(b) != want {
			t.Errorf("%s = %q, want %q", f, b, want)
		}
	}
	if l, _ := os.Readlink(filepath.Join(dir, "composes", "latest-MT-1")); l != res.ID {
		t.Errorf("latest link -> %q", l)
	}
	// Selection: both streams of hello, both contexts of tools, the latest
	// extra only.
	want := []string{"extra:1:20260105000000:e0000001", "hello:1:20260101000000:c0000001", "hello:2:20260102000000:c0000002",
		"tools:1:20260103000000:aaaa0001", "tools:1:20260103000000:bbbb0002"}
	if diff := cmp.Diff(want, res.Modules["Modular"][arch]); diff != "" {
		t.Errorf("selected modules (-want +got):\n%s", diff)
	}
	osDir := filepath.Join(cdir, "compose", "Modular", arch, "os")
	for _, p := range []string{"Packages/h/hello-1.0-1.module+c0000001.noarch.rpm", "repodata/repomd.xml", ".treeinfo"} {
		if _, err := os.Stat(filepath.Join(osDir, p)); err != nil {
			t.Error(err)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(cdir, "compose", "Modular", "source", "tree", "Packages", "*", "*.src.rpm")); len(m) != 7 {
		t.Errorf("source tree has %d source RPMs, want 7: %v", len(m), m)
	}
	// modules.yaml: the streams plus defaults and obsoletes of present modules.
	yml, err := pungi.ReadModulesMetadata(osDir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := modulemd.ReadIndex(bytes.NewReader(yml), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"extra", "hello", "tools"}, idx.ModuleNames()); diff != "" {
		t.Errorf("modules.yaml modules (-want +got):\n%s", diff)
	}
	if idx.Defaults("hello").DefaultStream() != "1" || idx.Defaults("tools") == nil || idx.Defaults("absent") != nil {
		t.Errorf("defaults wrong in modules.yaml:\n%s", yml)
	}
	if len(idx.Module("hello").Obsoletes()) != 1 || idx.Module("absent") != nil {
		t.Errorf("obsoletes wrong in modules.yaml:\n%s", yml)
	}
	for _, kind := range []string{"debug/tree", "../source/tree"} {
		if y, err := pungi.ReadModulesMetadata(filepath.Join(osDir, "..", kind)); err != nil || y != nil {
			t.Errorf("%s carries modules.yaml (%v)", kind, err)
		}
	}
	// productmd loads every metadata file, and what it re-dumps is what we
	// wrote (we read our files back with our decoder and compare).
	reps := productmdOracle(t, cdir)
	var kinds []string
	for _, rep := range reps {
		kinds = append(kinds, filepath.Base(rep["file"].(string)))
		if rep["verdict"] != "ok" {
			t.Errorf("productmd rejects %s: %v", rep["file"], rep["error"])
			continue
		}
		if strings.HasSuffix(rep["file"].(string), ".json") {
			ours, _ := os.ReadFile(rep["file"].(string))
			var v any
			json.Unmarshal(ours, &v)
			if diff := cmp.Diff(rep["dump"], v); diff != "" {
				t.Errorf("%s: productmd's re-dump differs (-productmd +ours):\n%s", rep["file"], diff)
			}
		}
	}
	slices.Sort(kinds)
	if diff := cmp.Diff([]string{".treeinfo", "composeinfo.json", "images.json", "modules.json", "rpms.json"}, kinds); diff != "" {
		t.Errorf("metadata files productmd found (-want +got):\n%s", diff)
	}
	var mods productmd.Modules
	if err := productmd.Load(filepath.Join(cdir, "compose", "metadata", "modules.json"), &mods); err != nil {
		t.Fatal(err)
	}
	e := mods.Modules["Modular"][arch]["hello:1:20260101000000:c0000001"]
	if e.Metadata.KojiTag != "DUMMY" || !strings.HasPrefix(e.ModulemdPath["binary"], "Modular/"+arch+"/os/repodata/") ||
		!slices.Contains(e.RPMs, "hello-0:1.0-1.module+c0000001.noarch") {
		t.Errorf("modules.json entry %+v", e)
	}

	// dnf sees the streams, honours the defaults, installs a profile and
	// hides the non-modular hello 9.9 of the base repository.
	out := dnfModuleCheck(t, "-b", base, osDir,
		"module list",
		"install hello",
		"rpm -q hello",
		"@fresh",
		"module install hello:2/default",
		"rpm -qa",
		"@fresh",
		"module install tools",
	)
	for _, w := range []string{"hello-1.0-1.module+c0000001.noarch", "hello-2.0-1.module+c0000002.noarch"} {
		if !strings.Contains(out, w) {
			t.Errorf("dnf output lacks %s:\n%s", w, out)
		}
	}
	if strings.Contains(out, "hello-9.9") {
		t.Errorf("dnf installed the non-modular hello 9.9:\n%s", out)
	}
	if !regexpMatch(`hello\s+1 \[d\]`, out) || !regexpMatch(`tools\s+1 \[d\]`, out) {
		t.Errorf("dnf module list does not mark the default streams:\n%s", out)
	}

	// A second compose of the same input: respin 1, all repodata reused.
	res2, err := Run(context.Background(), cfg, &Options{Now: func() time.Time { return now }, OldComposes: []string{filepath.Join(dir, "composes")}})
	if err != nil {
		t.Fatal(err)
	}
	if res2.ID != "MT-1-20260304.t.1" || res2.Compose.Respin != 1 {
		t.Errorf("respin: %s", res2.ID)
	}
	for _, r := range res2.Repos {
		if r.Reused != res.ID {
			t.Errorf("repo %s not reused (%q)", r.Path, r.Reused)
		}
	}
	if res2.Timing.PerTool["createrepo_c"] != 0 {
		t.Errorf("createrepo_c ran although every repository was reused")
	}
	if reps := productmdOracle(t, filepath.Join(dir, "composes", res2.ID)); len(reps) != 5 {
		t.Errorf("reused compose: %v", reps)
	} else {
		for _, rep := range reps {
			if rep["verdict"] != "ok" {
				t.Errorf("%s: %v", rep["file"], rep["error"])
			}
		}
	}
}
