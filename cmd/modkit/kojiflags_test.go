package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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

// TestServeKoji runs modkit serve --builder koji against kojitest, submits
// a module over HTTP and follows it with modkit builds: show lists each
// component's koji task with its link, and --debug the koji calls.
func TestServeKoji(t *testing.T) {
	t.Parallel()
	testenv.RequireTools(t, "git", "rpmbuild")
	ctx, cancel := context.WithCancel(context.Background())
	sim := kojitest.NewSim()
	hub := kojitest.New(t, kojitest.WithBuilder(sim.Builder))
	c, err := koji.NewClient(hub.URL(), koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	c.AddBType(ctx, "module")
	c.GrantCGAccess(ctx, koji.Name(kojitest.AdminUser), "module-build-service", true)
	c.CreateTag(ctx, "module-f40-build", &koji.CreateTagOptions{Arches: []string{"x86_64"}})
	c.CreateTag(ctx, "f40-modular-updates-candidate", nil)

	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte(kojitest.AdminPassword), 0o600)
	addr := freeAddr(t)
	var serr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"--listen", addr, "--state-dir", filepath.Join(dir, "state"), "--auth", "none",
			"--builder", "koji", "--koji-hub", hub.URL(), "--koji-user", kojitest.AdminUser, "--koji-password-file", pw,
			"--koji-buildroot", "bash rpm-build", "--platform", "f40", "--allow-yaml", "--allow-component-repository"}, nil, &bytes.Buffer{}, &serr)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	server := "http://" + addr
	for i := 0; ; i++ {
		resp, err := http.Get(server + "/module-build-service/2/about/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 500 {
			t.Fatalf("server did not start: %v\n%s", err, serr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	yaml := "document: modulemd\nversion: 2\ndata:\n  name: hello\n  stream: \"1\"\n  summary: Hello\n  description: Hello.\n" +
		"  license: {module: [MIT]}\n  dependencies:\n  - buildrequires: {platform: [f40]}\n    requires: {platform: [f40]}\n" +
		"  components:\n    rpms:\n      hello: {rationale: x, repository: " + gitRepo(t) + ", ref: HEAD}\n"
	body, _ := json.Marshal(map[string]any{"modulemd": yaml})
	resp, err := http.Post(server+"/module-build-service/2/module-builds/", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("submit: %d\n%s", resp.StatusCode, serr.String())
	}
	var out bytes.Buffer
	if err := runBuilds(ctx, []string{"watch", "1", "--server", server, "--interval", "50ms"}, nil, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("watch: %v\n%s\n%s", err, out.String(), serr.String())
	}
	out.Reset()
	if err := runBuilds(ctx, []string{"show", "1", "--server", server, "--debug", "--koji-web", "https://koji.example.org/koji"}, nil, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{
		`state:\s+ready`,
		`(?m)^\s+hello\s+COMPLETE\s+task (\d+) https://koji\.example\.org/koji/taskinfo\?taskID=\d+\s+hello-1\.0-1\.module\+f40\+`,
		`koji build\(`,
	} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("show output lacks %s:\n%s", re, out.String())
		}
	}
}
