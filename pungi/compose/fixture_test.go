package compose

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/pungi"
)

// hostArch is the RPM arch of this machine (dnf installs for it).
func hostArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return runtime.GOARCH
}

// fixtureModule is one module build of the fixture.
type fixtureModule struct {
	name, stream string
	version      uint64
	context      string
	// pkgs are the packages built for it: name → version.
	pkgs map[string]string
}

// fixtureModules: three modules, two streams of hello, two contexts of
// tools, two versions of extra (only the latest is composed by N:S).
var fixtureModules = []fixtureModule{
	{"hello", "1", 20260101000000, "c0000001", map[string]string{"hello": "1.0"}},
	{"hello", "2", 20260102000000, "c0000002", map[string]string{"hello": "2.0"}},
	{"tools", "1", 20260103000000, "aaaa0001", map[string]string{"tools": "1.0", "tools-doc": "1.0"}},
	{"tools", "1", 20260103000000, "bbbb0002", map[string]string{"tools": "1.1", "tools-doc": "1.1"}},
	{"extra", "1", 20260104000000, "e0000001", map[string]string{"extra": "1.0"}},
	{"extra", "1", 20260105000000, "e0000001", map[string]string{"extra": "1.1"}},
}

func (m fixtureModule) nsvc() string {
	return fmt.Sprintf("%s:%s:%d:%s", m.name, m.stream, m.version, m.context)
}

// release is the RPM release of the module's packages (unique per build).
func (m fixtureModule) release() string {
	return "1.module+" + m.context
}

func (m fixtureModule) modulemd(arch string) string {
	var rpms, profile []string
	for p := range m.pkgs {
		rpms = append(rpms, "      "+p+":\n        rationale: part of the module\n        ref: main\n")
		if !strings.HasSuffix(p, "-doc") {
			profile = append(profile, p)
		}
	}
	return fmt.Sprintf(`---
document: modulemd
version: 2
data:
  name: %s
  stream: "%s"
  version: %d
  context: %s
  arch: %s
  summary: %s module
  description: The %s module.
  license:
    module: [MIT]
  dependencies:
  - requires:
      platform: [f99]
  profiles:
    default:
      rpms: [%s]
  components:
    rpms:
%s...
`, m.name, m.stream, m.version, m.context, arch, m.name, m.name, strings.Join(profile, ", "), strings.Join(rpms, ""))
}

var (
	rpmCacheMu sync.Mutex
	rpmCache   = map[string][2]string{}
)

// rpmDir holds the RPMs the tests build, shared by every test of the
// package (each package is built once); TestMain removes it.
var (
	rpmDirOnce sync.Once
	rpmDir     string
)

func TestMain(m *testing.M) {
	if top := os.Getenv(hubChildEnv); top != "" {
		serveHubChild(top) // the benchmark's hub process
		return
	}
	code := m.Run()
	if rpmDir != "" {
		os.RemoveAll(rpmDir)
	}
	os.Exit(code)
}

// buildRPM builds name-version-release.noarch.rpm and its source RPM (once
// per test binary; dir is ignored).
func buildRPM(t testing.TB, _ string, name, version, release string) (bin, src string) {
	t.Helper()
	rpmDirOnce.Do(func() {
		d, err := os.MkdirTemp("", "modkit-compose-rpms-")
		if err != nil {
			panic(err)
		}
		rpmDir = d
	})
	dir := filepath.Join(rpmDir, name+"-"+version+"-"+release)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	key := name + version + release
	rpmCacheMu.Lock() // held while building: each RPM is built once
	defer rpmCacheMu.Unlock()
	if p, ok := rpmCache[key]; ok {
		return p[0], p[1]
	}
	spec := filepath.Join(dir, name+"-"+version+"-"+release+".spec")
	text := "Name: " + name + "\nVersion: " + version + "\nRelease: " + release + "\nSummary: test\nLicense: MIT\nBuildArch: noarch\n" +
		"%description\ntest\n%install\nmkdir -p %{buildroot}/usr/share/" + name + "\necho " + version + " > %{buildroot}/usr/share/" + name + "/version\n" +
		"%files\n/usr/share/" + name + "/version\n"
	if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	top := filepath.Join(dir, "top")
	out, err := exec.Command("rpmbuild", "-ba", "--quiet", "--define", "_topdir "+top, "--define", "_build_id_links none",
		"--define", "_source_payload w1.gzdio", "--define", "_binary_payload w1.gzdio", spec).CombinedOutput()
	if err != nil {
		t.Fatalf("rpmbuild: %v\n%s", err, out)
	}
	bin = filepath.Join(top, "RPMS", "noarch", name+"-"+version+"-"+release+".noarch.rpm")
	src = filepath.Join(top, "SRPMS", name+"-"+version+"-"+release+".src.rpm")
	rpmCache[key] = [2]string{bin, src}
	return bin, src
}

// fixtureRepos writes each fixture module as a repository of its own, as
// local builds publish them, and returns the repository directories plus
// a base repository holding non-modular packages named like modular ones
// (with higher versions, which dnf must hide while a module stream is
// active).
func fixtureRepos(t *testing.T, dir, arch string) (repos []string, base string) {
	t.Helper()
	testenv.RequireTools(t, "rpmbuild", "createrepo_c", "modifyrepo_c")
	ctx := context.Background()
	rpmdir := filepath.Join(dir, "rpms")
	os.MkdirAll(rpmdir, 0o755)
	for i, m := range fixtureModules {
		var files []string
		for p, v := range m.pkgs {
			bin, src := buildRPM(t, rpmdir, p, v, m.release())
			files = append(files, bin, src)
		}
		docs, err := modulemd.Parse([]byte(m.modulemd(arch)))
		if err != nil {
			t.Fatal(err)
		}
		st := docs[0].(*modulemd.Stream)
		repo := filepath.Join(dir, "builds", fmt.Sprintf("%d-%s", i, m.name), "repo")
		if _, err := pungi.WriteRepo(ctx, repo, []pungi.RepoModule{{Stream: st, RPMs: files}},
			&pungi.RepoOptions{SourceDir: filepath.Join(filepath.Dir(repo), "source")}); err != nil {
			t.Fatal(err)
		}
		repos = append(repos, repo)
	}
	base = filepath.Join(dir, "base")
	bin, _ := buildRPM(t, rpmdir, "hello", "9.9", "1")
	if _, err := pungi.WriteRepo(ctx, base, nil, &pungi.RepoOptions{ExtraRPMs: []string{bin}}); err != nil {
		t.Fatal(err)
	}
	return repos, base
}

// writeMetadataDirs writes a defaults directory (hello defaults to stream
// 1, tools to 1; an absent module too) and an obsoletes directory.
func writeMetadataDirs(t *testing.T, dir string) {
	t.Helper()
	defaults := filepath.Join(dir, "defaults")
	obsoletes := filepath.Join(dir, "obsoletes")
	os.MkdirAll(defaults, 0o755)
	os.MkdirAll(obsoletes, 0o755)
	files := map[string]string{
		filepath.Join(defaults, "hello.yaml"):   "---\ndocument: modulemd-defaults\nversion: 1\ndata:\n  module: hello\n  stream: \"1\"\n  profiles:\n    \"1\": [default]\n    \"2\": [default]\n...\n",
		filepath.Join(defaults, "tools.yaml"):   "---\ndocument: modulemd-defaults\nversion: 1\ndata:\n  module: tools\n  stream: \"1\"\n  profiles:\n    \"1\": [default]\n...\n",
		filepath.Join(defaults, "absent.yaml"):  "---\ndocument: modulemd-defaults\nversion: 1\ndata:\n  module: absent\n  stream: \"1\"\n...\n",
		filepath.Join(obsoletes, "hello.yaml"):  "---\ndocument: modulemd-obsoletes\nversion: 1\ndata:\n  modified: 2026-01-01T00:00Z\n  module: hello\n  stream: \"1\"\n  message: hello:1 is replaced by hello:2\n  obsoleted_by:\n    module: hello\n    stream: \"2\"\n...\n",
		filepath.Join(obsoletes, "absent.yaml"): "---\ndocument: modulemd-obsoletes\nversion: 1\ndata:\n  modified: 2026-01-01T00:00Z\n  module: absent\n  stream: \"1\"\n  message: gone\n...\n",
	}
	for p, c := range files {
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

func testenv_RequireRPM(t *testing.T) {
	t.Helper()
	testenv.RequireTools(t, "rpmbuild", "createrepo_c", "modifyrepo_c")
}
