package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/orchestrator/localbuild"
)

// requireBuildTools skips when the programs of a local build are missing,
// unless CI demands them (MODKIT_REQUIRE_TOOLS=1).
func requireBuildTools(t *testing.T) {
	t.Helper()
	testenv.RequireTools(t, append(localbuild.Programs, "dnf")...)
}

// commitTree copies src into dst and commits it on branch.
func commitTree(t *testing.T, src, dst, branch string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "--quiet", "--initial-branch=" + branch}, {"add", "-A"}, {"commit", "--quiet", "-m", "import"}} {
		cmd := exec.Command("git", append([]string{"-C", dst}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

// helloRepos creates the git repositories of examples/hello as the demo
// does and returns the module's SCM URL and the components' base URL. The
// module repository is named after the module and its branch is the stream.
func helloRepos(t *testing.T, dir string) (string, string) {
	t.Helper()
	ex := filepath.Join("..", "..", "examples", "hello")
	for _, c := range []string{"hello-libs", "hello-docs", "hello"} {
		commitTree(t, filepath.Join(ex, "rpms", c), filepath.Join(dir, "rpms", c), "main")
	}
	staging := filepath.Join(dir, "staging")
	if err := os.MkdirAll(staging, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(ex, "hello.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(staging, "hello.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	mod := filepath.Join(dir, "modules", "hello")
	commitTree(t, staging, mod, "1")
	return "file://" + mod + "#1", "file://" + filepath.Join(dir, "rpms") + "/"
}

// TestBuildHelloEndToEnd is the integration test of issue 5: modkit build
// runs the service, the SQLite store and the local builder on
// examples/hello, and modkit verify-repo has dnf install its default
// profile. A second run of the same commit follows the finished build.
func TestBuildHelloEndToEnd(t *testing.T) {
	t.Parallel()
	requireBuildTools(t)
	dir := t.TempDir()
	scmurl, rpms := helloRepos(t, dir)
	state := filepath.Join(dir, "state")

	r := runCLI(t, []string{"build", "--state-dir", state, "--rpms-base", rpms, scmurl}, nil)
	if r.code != 0 {
		t.Fatalf("modkit build: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	line := regexp.MustCompile(`^hello:1:\d{14}:[0-9a-z]+\t(/\S+/repo)\n$`).FindStringSubmatch(r.stdout)
	if line == nil {
		t.Fatalf("stdout = %q, want one 'NSVC<TAB>repository' line", r.stdout)
	}
	for _, want := range []string{"batch 1: module-build-macros  complete", "batch 2: hello-libs  complete", "batch 3: hello  complete", "  ready\n", "timing: total"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, r.stderr)
		}
	}

	v := runCLI(t, []string{"verify-repo", line[1]}, nil)
	if v.code != 0 || !strings.Contains(v.stdout, "ok    install hello:1/default") {
		t.Fatalf("modkit verify-repo: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}

	again := runCLI(t, []string{"build", "--state-dir", state, "--rpms-base", rpms, scmurl}, nil)
	if again.code != 0 || again.stdout != r.stdout || !strings.Contains(again.stderr, "was submitted before") {
		t.Errorf("second build of the same commit: exit %d, stdout %q (want %q)\n%s", again.code, again.stdout, r.stdout, again.stderr)
	}
}

// TestBuildFailureReason: a component that does not build fails the module
// with exit status 1 and a reason naming the component.
func TestBuildFailureReason(t *testing.T) {
	t.Parallel()
	requireBuildTools(t)
	dir := t.TempDir()
	comp := filepath.Join(dir, "src")
	if err := os.MkdirAll(comp, 0o755); err != nil {
		t.Fatal(err)
	}
	spec := "Name: broken\nVersion: 1\nRelease: 1%{?dist}\nSummary: s\nLicense: MIT\nBuildArch: noarch\n%description\nd\n%build\necho this build fails; exit 3\n%files\n"
	if err := os.WriteFile(filepath.Join(comp, "broken.spec"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	commitTree(t, comp, filepath.Join(dir, "git", "broken"), "main")
	yml := "document: modulemd\nversion: 2\ndata:\n  name: broken\n  stream: s\n  summary: s\n  description: d\n  license:\n    module: [MIT]\n" +
		"  dependencies:\n  - buildrequires:\n      platform: [local]\n    requires:\n      platform: [local]\n" +
		"  components:\n    rpms:\n      broken:\n        rationale: r\n        repository: file://" + filepath.Join(dir, "git", "broken") + "\n        ref: main\n"
	def := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(def, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, []string{"build", "--state-dir", filepath.Join(dir, "state"), def}, nil)
	if r.code != 1 || !strings.Contains(r.stderr, "failed") || !strings.Contains(r.stderr, "broken") {
		t.Fatalf("exit %d, want 1 with the reason\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "this build fails") {
		t.Errorf("the reason does not quote the end of the build log:\n%s", r.stderr)
	}
}

func TestBuildUsage(t *testing.T) {
	t.Parallel()
	r := runCLI(t, []string{"build"}, nil)
	if r.code != 2 || !strings.HasPrefix(r.stderr, "modkit: build: want exactly one PATH or GIT_URL#REF") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
