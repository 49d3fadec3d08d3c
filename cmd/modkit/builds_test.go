package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const submitModule = `document: modulemd
version: 2
data:
  summary: Hello
  description: Hello.
  license: {module: [MIT]}
  dependencies:
  - buildrequires: {platform: [f40]}
    requires: {platform: [f40]}
  components:
    rpms:
      hello: {rationale: x, repository: REPO, ref: HEAD}
`

// startServer runs 'modkit serve' with the zero builder on a free port and
// returns its URL; the server stops at the end of the test.
func startServer(t *testing.T, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	addr := freeAddr(t)
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("tok-a alice packager\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var serr syncBuffer
	done := make(chan error, 1)
	go func() {
		args := append([]string{"--listen", addr, "--state-dir", filepath.Join(dir, "state"), "--tokens", tokens,
			"--builder", "zero", "--platform", "f40"}, extra...)
		done <- runServe(ctx, args, nil, &bytes.Buffer{}, &serr)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	server := "http://" + addr
	for i := 0; ; i++ {
		resp, err := http.Get(server + "/module-build-service/2/about/")
		if err == nil {
			resp.Body.Close()
			return server
		}
		if i > 500 {
			t.Fatalf("server did not start: %v\n%s", err, serr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// moduleRepo makes a git repository "hello" whose branch "1" holds
// hello.yaml, a module with one component from another repository.
func moduleRepo(t *testing.T) string {
	t.Helper()
	comp := gitRepo(t)
	dir := filepath.Join(t.TempDir(), "hello")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hello.yaml"), []byte(strings.ReplaceAll(submitModule, "REPO", "file://"+comp)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q", "--initial-branch=1"}, {"add", "-A"},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "x"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// TestBuildsSubmit submits modules to a real 'modkit serve' with 'modkit
// builds submit' (a git URL, and a file), watches them, and checks the
// mistakes a user makes.
func TestBuildsSubmit(t *testing.T) { // not parallel: it sets MODKIT_TOKEN
	repo := moduleRepo(t)
	server := startServer(t, "--allow-yaml", "--allow-component-repository", "--scm-allow", "file://"+filepath.Dir(filepath.Dir(repo))+"/")
	ctx := t.Context()
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := withCommand("builds", runBuilds(ctx, append(args, "--server", server, "--interval", "20ms"), nil, &out, &bytes.Buffer{}))
		return out.String(), err
	}

	out, err := run("submit", "--token", "tok-a", "file://"+repo+"#1", "--watch")
	if err != nil {
		t.Fatalf("submit --watch: %v\n%s", err, out)
	}
	for _, want := range []string{"submitted module build 1: hello:1:", "hello:1:", ": ready", "hello: COMPLETE"} {
		if !strings.Contains(out, want) {
			t.Errorf("submit --watch output lacks %q:\n%s", want, out)
		}
	}

	file := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(file, []byte(strings.ReplaceAll(submitModule, "REPO", "file://"+gitRepo(t))), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MODKIT_TOKEN", "tok-a")
	out, err = run("submit", "--file", file, "--name", "fromfile", "--stream", "s")
	if err != nil {
		t.Fatalf("submit --file: %v\n%s", err, out)
	}
	if !strings.Contains(out, "submitted module build 2: fromfile:s:") || !strings.Contains(out, "modkit builds watch --server "+server+" 2") {
		t.Errorf("submit --file output:\n%s", out)
	}
	if out, err := run("watch", "2"); err != nil || !strings.Contains(out, ": ready") {
		t.Errorf("watch 2: %v\n%s", err, out)
	}

	t.Setenv("MODKIT_TOKEN", "")
	var ee *exitError
	_, err = run("submit", "file://"+repo+"#1")
	if !errors.As(err, &ee) || ee.Code != 1 || !strings.HasPrefix(ee.Msg, "builds: ") || !strings.Contains(ee.Msg, "HTTP 401") || !strings.Contains(ee.Msg, "--token TOKEN") {
		t.Errorf("submit without a token: %v", err)
	}
	_, err = run("submit", "--token", "tok-a", "file:///elsewhere/x#1")
	if !errors.As(err, &ee) || ee.Code != 1 || !strings.Contains(ee.Msg, "HTTP 403") {
		t.Errorf("submit outside the allowlist: %v", err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"submit"}, "want exactly one GIT_URL#REF (or --file MODULE.yaml), got 0 arguments"},
		{[]string{"submit", "file:///x"}, "has no #REF"},
		{[]string{"submit", "file:///x#0123456789abcdef0123456789abcdef01234567"}, "names a commit: give the branch it is on with --branch BRANCH"},
		{[]string{"submit", "--file", file, "file:///x#1"}, "not both"},
		{[]string{"submit", "--name", "n", "file:///x#1"}, "--name and --stream go with --file"},
		{[]string{"submit", "--buildrequire", "platform", "file:///x#1"}, `--buildrequire "platform": expected NAME:STREAM[,STREAM...]`},
		{[]string{"submit", "--rebuild-strategy", "some", "file:///x#1"}, "want all, changed-and-after or only-changed"},
		{[]string{"submit", "--file", filepath.Join(t.TempDir(), "nope.yaml")}, "nope.yaml: cannot read"},
	} {
		_, err := run(tc.args...)
		if !errors.As(err, &ee) || ee.Code != 2 || !strings.HasPrefix(ee.Msg, "builds submit: ") || !strings.Contains(ee.Msg, tc.want) {
			t.Errorf("builds %v: got %v, want exit status 2 with %q", tc.args, err, tc.want)
		}
	}
}
