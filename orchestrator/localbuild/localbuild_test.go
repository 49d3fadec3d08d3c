package localbuild

import (
	"context"
	"errors"
	"log/slog"
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
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/pungi"
)

// requireTools skips the test when a program is missing, unless CI demands
// the tools (MODKIT_REQUIRE_TOOLS=1).
func requireTools(t *testing.T, progs ...string) {
	t.Helper()
	testenv.RequireTools(t, progs...)
}

// repoRoot finds the repository root (the directory holding go.mod).
func repoRoot(t *testing.T) string {
	t.Helper()
	return testenv.RepoRoot(t)
}

// gitRepo makes a git repository from the files of src and returns its
// path and head commit.
func gitRepo(t *testing.T, src, dst string) (string, string) {
	t.Helper()
	if err := copyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dst}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "--quiet", "--initial-branch=main")
	git("add", "-A")
	git("commit", "--quiet", "-m", "import")
	return dst, git("rev-parse", "HEAD")
}

// helloStream reads examples/hello/hello.yaml into the stream to build and
// its defaults.
func helloStream(t *testing.T) (*modulemd.Stream, []*modulemd.Defaults) {
	t.Helper()
	docs, err := modulemd.ReadFile(filepath.Join(repoRoot(t), "examples", "hello", "hello.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := docs[0].(*modulemd.Packager)
	if !ok {
		t.Fatalf("hello.yaml holds a %T, want a packager document", docs[0])
	}
	idx, err := p.ToIndex()
	if err != nil {
		t.Fatal(err)
	}
	defs, err := DefaultsFrom(docs)
	if err != nil {
		t.Fatal(err)
	}
	return idx.Streams()[0], defs
}

// waitFor polls until the component's build ends.
func waitFor(t *testing.T, b *Builder, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild) orchestrator.ComponentResult {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		r, err := b.Poll(context.Background(), mb, c)
		if err != nil {
			t.Fatalf("Poll(%s): %v", c.Package, err)
		}
		if r.State != orchestrator.ComponentBuilding {
			st := r.State
			c.State = &st
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not finish", c.Package)
	return orchestrator.ComponentResult{}
}

// TestBuildHello builds examples/hello batch by batch through the Builder
// interface, writes the repository and asks dnf about it.
func TestBuildHello(t *testing.T) {
	t.Parallel()
	requireTools(t, append(Programs, "dnf")...)
	root := repoRoot(t)
	ctx := context.Background()
	work := t.TempDir()
	stream, defaults := helloStream(t)
	if len(defaults) != 1 || defaults[0].Stream != "1" {
		t.Fatalf("hello.yaml defaults = %+v, want one making stream 1 the default", defaults)
	}

	b, err := New(&Options{Dir: filepath.Join(work, "builds"), Logger: quiet, Defaults: defaults})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	mb := &orchestrator.ModuleBuild{ID: 7, Name: "hello", Stream: "1", Version: "20240501120000", Context: "local",
		DistTag: orchestrator.DistTag("", "local", 7, "hello", "1", "20240501120000", "local")}
	if err := b.Prepare(ctx, mb, stream); err != nil {
		t.Fatal(err)
	}
	comps := map[string]*orchestrator.ComponentBuild{}
	var id int64
	for _, name := range []string{"hello-libs", "hello-docs", "hello"} {
		dir, commit := gitRepo(t, filepath.Join(root, "examples", "hello", "rpms", name), filepath.Join(work, "git", name))
		id++
		comps[name] = &orchestrator.ComponentBuild{ID: id, ModuleID: mb.ID, Package: name, SCMURL: "file://" + dir + "?#" + commit, Ref: commit}
	}
	macros := &orchestrator.ComponentBuild{ID: 100, Package: orchestrator.MacrosPackage, BuildTimeOnly: true, Batch: 1}
	batches := [][]*orchestrator.ComponentBuild{{macros}, {comps["hello-libs"], comps["hello-docs"]}, {comps["hello"]}}
	var all []*orchestrator.ComponentBuild
	for i, batch := range batches {
		for _, c := range batch {
			c.Batch = i + 1
			if _, err := b.Submit(ctx, mb, c); err != nil {
				t.Fatalf("Submit(%s): %v", c.Package, err)
			}
		}
		for _, c := range batch {
			r := waitFor(t, b, mb, c)
			if r.State != orchestrator.ComponentComplete {
				t.Fatalf("%s: state %v: %s", c.Package, r.State, r.Reason)
			}
			c.NVR, c.RPMs = r.NVR, r.RPMs
		}
		if err := b.FinishBatch(ctx, mb, i+1, batch); err != nil {
			t.Fatal(err)
		}
		all = append(all, batch...)
	}
	dist := mb.DistTag
	if got, want := comps["hello"].NVR, "hello-1.0-1"+dist; got != want {
		t.Errorf("NVR of hello = %q, want %q (the module's dist tag)", got, want)
	}

	// Submitting a finished component again does not build it again.
	before := b.Stats().Builds
	if _, err := b.Submit(ctx, mb, comps["hello"]); err != nil {
		t.Fatal(err)
	}
	if r := waitFor(t, b, mb, comps["hello"]); r.State != orchestrator.ComponentComplete || b.Stats().Builds != before {
		t.Errorf("resubmitting a complete build: state %v, builds %d → %d; want complete and no new build", r.State, before, b.Stats().Builds)
	}

	// A fresh Builder on the same directory (a restarted service) reports
	// the recorded results.
	b2, err := New(&Options{Dir: filepath.Join(work, "builds"), Logger: quiet, Defaults: defaults})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := b2.Poll(ctx, mb, comps["hello-libs"]); err != nil || r.State != orchestrator.ComponentComplete {
		t.Errorf("Poll after restart = %+v, %v; want complete", r, err)
	}

	final := stream.Clone()
	final.Version = 20240501120000
	pub, err := b2.Finalize(ctx, mb, final, all)
	if err != nil {
		t.Fatal(err)
	}
	wantArtifacts := []string{
		"hello-0:1.0-1" + dist + ".noarch", "hello-0:1.0-1" + dist + ".src",
		"hello-docs-0:1.0-1" + dist + ".noarch", "hello-docs-0:1.0-1" + dist + ".src",
		"hello-libs-0:1.0-1" + dist + ".noarch", "hello-libs-0:1.0-1" + dist + ".src",
	}
	if diff := cmp.Diff(wantArtifacts, final.Artifacts.RPMs); diff != "" {
		t.Errorf("artifacts (-want +got):\n%s", diff)
	}
	if len(final.Artifacts.RPMMap["sha256"]) != len(wantArtifacts) {
		t.Errorf("rpm-map has %d entries, want %d", len(final.Artifacts.RPMMap["sha256"]), len(wantArtifacts))
	}
	if diff := cmp.Diff([]string{"MIT"}, final.License.Content); diff != "" {
		t.Errorf("license.content (-want +got):\n%s", diff)
	}

	// The built RPMs carry the modularity label.
	rpms, err := pungi.ReadRPMs(ctx, mustGlob(t, filepath.Join(pub.Repository, "Packages", "*.rpm")))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rpms {
		names = append(names, r.Name)
		if r.ModularityLabel != "hello:1:20240501120000:local" {
			t.Errorf("%s: ModularityLabel %q", r.Name, r.ModularityLabel)
		}
	}
	if diff := cmp.Diff([]string{"hello", "hello-docs", "hello-libs"}, names); diff != "" {
		t.Errorf("packages in the repository (-want +got; filtered and build-time-only ones left out):\n%s", diff)
	}

	rep, err := pungi.VerifyRepo(ctx, pub.Repository, nil)
	if err != nil {
		for _, s := range rep.Steps {
			t.Logf("%s: ok=%v %s\n%s", s.Name, s.OK, s.Problem, s.Output)
		}
		t.Fatal(err)
	}
	var steps []string
	for _, s := range rep.Steps {
		steps = append(steps, s.Name)
	}
	want := []string{"read modules.yaml", "dnf module list", "install hello:1/default", "profile packages of hello:1 installed"}
	if diff := cmp.Diff(want, steps); diff != "" {
		t.Errorf("verify steps (-want +got):\n%s", diff)
	}
	if rep.Platform != "platform:local" {
		t.Errorf("platform = %q, want platform:local", rep.Platform)
	}
}

func mustGlob(t *testing.T, pat string) []string {
	t.Helper()
	m, err := filepath.Glob(pat)
	if err != nil || len(m) == 0 {
		t.Fatalf("nothing matches %s", pat)
	}
	slices.Sort(m)
	return m
}

// TestUnsatisfiedBuildRequires: a component whose BuildRequires nothing
// provides fails before rpmbuild runs, with the list.
func TestUnsatisfiedBuildRequires(t *testing.T) {
	t.Parallel()
	requireTools(t, Programs...)
	ctx := context.Background()
	work := t.TempDir()
	src := filepath.Join(work, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	spec := "Name: needy\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\nBuildArch: noarch\nBuildRequires: modkit-no-such-package >= 2\nBuildRequires: /modkit/no/such/file\n%description\nd\n%files\n"
	if err := os.WriteFile(filepath.Join(src, "needy.spec"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	dir, commit := gitRepo(t, src, filepath.Join(work, "git"))
	b, err := New(&Options{Dir: filepath.Join(work, "builds"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	mb := &orchestrator.ModuleBuild{ID: 1, Name: "m", Stream: "s", Version: "1", Context: "c"}
	if err := b.Prepare(ctx, mb, &modulemd.Stream{Name: "m", Stream: "s"}); err != nil {
		t.Fatal(err)
	}
	c := &orchestrator.ComponentBuild{ID: 1, Package: "needy", SCMURL: dir + "?#" + commit, Ref: commit}
	if _, err := b.Submit(ctx, mb, c); err != nil {
		t.Fatal(err)
	}
	r := waitFor(t, b, mb, c)
	if r.State != orchestrator.ComponentFailed || !strings.Contains(r.Reason, "BuildRequires not satisfiable: /modkit/no/such/file, modkit-no-such-package >= 2") {
		t.Errorf("result = %v %q; want failed naming both requirements", r.State, r.Reason)
	}
	if b.Stats().Builds != 0 {
		t.Errorf("rpmbuild ran %d times, want 0", b.Stats().Builds)
	}
}

func TestPollUnknown(t *testing.T) {
	t.Parallel()
	requireTools(t, Programs...)
	b, err := New(&Options{Dir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Poll(context.Background(), &orchestrator.ModuleBuild{ID: 1}, &orchestrator.ComponentBuild{Package: "x"})
	if !errors.Is(err, ErrUnknownTask) {
		t.Errorf("Poll of a never-submitted component: %v, want ErrUnknownTask", err)
	}
}

func TestSplitSCMURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, ref, repo, commit string }{
		{"file:///g/hello?#abc", "", "file:///g/hello", "abc"},
		{"https://x/rpms/hello.git#abc", "def", "https://x/rpms/hello.git", "abc"},
		{"/srv/generated", "main", "/srv/generated", "main"},
		{"", "", "", ""},
	} {
		repo, commit := splitSCMURL(tt.in, tt.ref)
		if repo != tt.repo || commit != tt.commit {
			t.Errorf("splitSCMURL(%q, %q) = %q, %q; want %q, %q", tt.in, tt.ref, repo, commit, tt.repo, tt.commit)
		}
	}
}

var quiet = slog.New(slog.DiscardHandler)

// TestNotify checks that the builder tells the service when a build ended:
// the notification comes after the result is recorded, so the Poll it
// triggers sees the result.
func TestNotify(t *testing.T) {
	t.Parallel()
	requireTools(t, Programs...)
	ctx := context.Background()
	b, err := New(&Options{Dir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	mb := &orchestrator.ModuleBuild{ID: 3, Name: "n", Stream: "s", Version: "1", Context: "c", DistTag: ".module+t+3+12345678"}
	results := make(chan orchestrator.ComponentResult, 4)
	c := &orchestrator.ComponentBuild{ID: 1, Package: orchestrator.MacrosPackage, BuildTimeOnly: true, Batch: 1}
	b.Notify(func() {
		r, err := b.Poll(ctx, mb, c)
		if err != nil {
			t.Error(err)
		}
		results <- r
	})
	if err := b.Prepare(ctx, mb, &modulemd.Stream{Name: "n", Stream: "s"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Submit(ctx, mb, c); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-results:
		if r.State != orchestrator.ComponentComplete || !strings.HasPrefix(r.NVR, "module-build-macros-0.1-1.module+t+3+") {
			t.Errorf("Poll at the notification = %+v, want the complete macros build", r)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("no notification")
	}
}

// TestBadComponentName checks that a component name that would leave the
// module's directory is refused before any path is made of it.
func TestBadComponentName(t *testing.T) {
	t.Parallel()
	requireTools(t, Programs...)
	ctx := context.Background()
	work := t.TempDir()
	b, err := New(&Options{Dir: filepath.Join(work, "builds"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	mb := &orchestrator.ModuleBuild{ID: 1, Name: "m", Stream: "s", Version: "1", Context: "c"}
	for _, name := range []string{"../../x", "..", "a/b", "", "-x"} {
		c := &orchestrator.ComponentBuild{ID: 1, Package: name, SCMURL: "file:///nonexistent?#0123456789012345678901234567890123456789"}
		if _, err := b.Submit(ctx, mb, c); err == nil || !strings.Contains(err.Error(), "component name") {
			t.Errorf("Submit(%q) = %v, want a component name error", name, err)
		}
		if _, err := b.Poll(ctx, mb, c); err == nil || !strings.Contains(err.Error(), "component name") {
			t.Errorf("Poll(%q) = %v, want a component name error", name, err)
		}
		if err := b.Cancel(ctx, mb, c); err == nil {
			t.Errorf("Cancel(%q) accepted", name)
		}
	}
	var made []string
	filepath.WalkDir(work, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != work && p != filepath.Join(work, "builds") {
			made = append(made, p)
		}
		return nil
	})
	if len(made) != 0 {
		t.Errorf("refused components made %v", made)
	}
	if got := sanitize(".."); got == ".." {
		t.Errorf("sanitize(\"..\") = %q", got)
	}
}
