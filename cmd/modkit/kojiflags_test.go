package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

// TestBuildKojiEndToEnd runs modkit build --builder koji on examples/hello
// against an in-process koji hub whose simulated builders build every
// task; the result is the module's koji tag, and the hub has the content
// generator build. The hub URL and arches come from a koji-style config
// file, the login from flags.
func TestBuildKojiEndToEnd(t *testing.T) {
	t.Parallel()
	testenv.RequireTools(t, "git", "rpmbuild")
	ctx := context.Background()
	sim := kojitest.NewSim()
	hub := kojitest.New(t, kojitest.WithBuilder(sim.Builder))
	c, err := koji.NewClient(hub.URL(), koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.AddBType(ctx, "module"); err != nil {
		t.Fatal(err)
	}
	if err := c.GrantCGAccess(ctx, koji.Name(kojitest.AdminUser), "module-build-service", true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTag(ctx, "module-local-build", &koji.CreateTagOptions{Arches: []string{"x86_64"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTag(ctx, "local-modular-updates-candidate", nil); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	scmurl, rpms := helloRepos(t, dir)
	pw := filepath.Join(dir, "password")
	conf := filepath.Join(dir, "koji.conf")
	if err := os.WriteFile(pw, []byte(kojitest.AdminPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("[other]\nserver = http://wrong\n\n[test]\nserver = "+hub.URL()+"\narches = x86_64\nbuildroot = bash rpm-build\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, []string{"build", "--builder", "koji", "--koji-config", conf, "--koji-profile", "test",
		"--koji-user", kojitest.AdminUser, "--koji-password-file", pw,
		"--state-dir", filepath.Join(dir, "state"), "--rpms-base", rpms, scmurl}, nil)
	if r.code != 0 {
		t.Fatalf("modkit build --builder koji: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	m := regexp.MustCompile(`^hello:1:(\d{14}):([0-9a-z]+)\t(module-hello-1-\d{14}-[0-9a-z]+)\n$`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("stdout = %q, want 'NSVC<TAB>koji tag'", r.stdout)
	}
	b, err := c.GetBuild(ctx, koji.Name("hello-1-"+m[1]+"."+m[2]))
	if err != nil {
		t.Fatalf("content-generator build: %v", err)
	}
	if info := b.ModuleInfo(); info == nil || info.ContentKojiTag != m[3] {
		t.Errorf("CG build typeinfo %+v", b.ModuleInfo())
	}
	for _, pkg := range []string{"hello", "hello-libs", "hello-docs", "module-build-macros"} {
		if n := sim.Submissions(pkg); n != 1 {
			t.Errorf("%s: %d koji submissions", pkg, n)
		}
	}
}

func TestKojiSettingsErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("[koji]\nserver = x\nfrobnicate = 1\n"), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "--builder", "koji", "x.yaml"}, "needs the hub"},
		{[]string{"build", "--builder", "koji", "--koji-config", bad, "x.yaml"}, `bad.conf:3: unknown key "frobnicate" in [koji]`},
		{[]string{"build", "--builder", "koji", "--koji-config", bad, "--koji-profile", "p", "x.yaml"}, "no [p] section"},
		{[]string{"build", "--builder", "remote", "x.yaml"}, "must be local or koji"},
	} {
		os.WriteFile(filepath.Join(dir, "x.yaml"), []byte("document: modulemd\nversion: 2\ndata:\n  name: x\n  stream: s\n  summary: s\n  description: d\n  license: {module: [MIT]}\n"), 0o644)
		r := runCLI(t, append(tt.args[:len(tt.args)-1:len(tt.args)-1], filepath.Join(dir, "x.yaml")), nil)
		if r.code == 0 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

func TestTaskColumn(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		id   any
		web  string
		want string
	}{
		{nil, "", "-"},
		{float64(1234), "", "task 1234"},
		{float64(1234), "https://koji.example.org/koji/", "task 1234 https://koji.example.org/koji/taskinfo?taskID=1234"},
		{"build:7", "https://koji.example.org/koji", "build:7"},
		{"local:1:foo:0", "", "local:1:foo:0"},
	} {
		if got := taskColumn(tt.id, tt.web); got != tt.want {
			t.Errorf("taskColumn(%v, %q) = %q, want %q", tt.id, tt.web, got, tt.want)
		}
	}
}
