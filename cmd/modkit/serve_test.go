package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modkit/modkit/internal/testenv"
)

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestServeUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--state-dir", t.TempDir()}, "authentication is on by default"},
		{[]string{"--tokens", "x", "--auth", "none"}, "exclude each other"},
		{[]string{"--auth", "kerberos"}, "--auth must be tokens or none"},
		{[]string{"--auth", "none", "--builder", "remote"}, "--builder must be local, koji or zero"},
		{[]string{"--auth", "none", "--builder", "koji"}, "koji needs the hub"},
		{[]string{"--auth", "none", "--platform", "f40", "--state-dir", t.TempDir(), "--rebuilds", "on", "--rebuild-images", "dry-run"}, "--rebuild-images reads image builds from koji: koji needs the hub"},
		{[]string{"--auth", "none", "--platform", "f40", "--state-dir", t.TempDir(), "--rebuild-images", "on"}, "--rebuild-images needs --rebuilds dry-run or on"},
		{[]string{"--auth", "none", "--scm-allow", "file:///srv/git/../x"}, `--scm-allow: SCM allowlist entry "file:///srv/git/../x"`},
		{[]string{"--auth", "none", "--platform", "f40", "--state-dir", t.TempDir(), "--db", "mysql://x"}, "--db must be a postgres:// URL"},
		{[]string{"--auth", "none", "--platform", "f40", "--state-dir", t.TempDir(), "--bus", "http://x"}, "--bus must be an amqp:// or amqps:// URL"},
	}
	for _, tc := range tests {
		err := runServe(t.Context(), tc.args, nil, &bytes.Buffer{}, &bytes.Buffer{})
		var ee *exitError
		if !errors.As(err, &ee) || ee.Code != 2 || !strings.Contains(ee.Msg, tc.want) {
			t.Errorf("serve %v: got %v, want exit 2 with %q", tc.args, err, tc.want)
		}
	}
}

// TestServeAndBuilds runs the server with the zero builder, submits a
// module over HTTP and follows it with 'modkit builds'.
func TestServeAndBuilds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	addr := freeAddr(t)
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("tok-a alice packager\ntok-b bob users\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var serr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"--listen", addr, "--state-dir", filepath.Join(dir, "state"), "--tokens", tokens,
			"--builder", "zero", "--platform", "f40", "--allow-yaml", "--allow-component-repository"}, nil, &bytes.Buffer{}, &serr)
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
		if i > 200 {
			t.Fatalf("server did not start: %v\n%s", err, serr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	yaml := `document: modulemd
version: 2
data:
  name: hello
  stream: "1"
  summary: Hello
  description: Hello.
  license: {module: [MIT]}
  dependencies:
  - buildrequires: {platform: [f40]}
    requires: {platform: [f40]}
  components:
    rpms:
      hello: {rationale: x, repository: ` + gitRepo(t) + `, ref: HEAD}
`
	body, _ := json.Marshal(map[string]any{"modulemd": yaml})
	req, _ := http.NewRequest("POST", server+"/module-build-service/2/module-builds/", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok-a")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("submit: %d\n%s", resp.StatusCode, serr.String())
	}

	var out bytes.Buffer
	if err := runBuilds(ctx, []string{"watch", "1", "--server", server, "--interval", "20ms"}, nil, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("watch: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), ": ready") || !strings.Contains(out.String(), "hello: COMPLETE") {
		t.Errorf("watch output:\n%s", out.String())
	}
	out.Reset()
	if err := runBuilds(ctx, []string{"list", "--server", server, "--state", "ready"}, nil, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ready") || !strings.Contains(out.String(), "alice") || !strings.Contains(out.String(), "(1 builds)") {
		t.Errorf("list output:\n%s", out.String())
	}
	out.Reset()
	if err := runBuilds(ctx, []string{"show", "1", "--server", server}, nil, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Module build 1: hello:1:", "state:      ready", "module-build-macros", "Stream expansion chose platform:f40"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("show output lacks %q:\n%s", want, out.String())
		}
	}
	// Cancel: bob may not, and a ready build cannot be canceled anyway.
	err = runBuilds(ctx, []string{"cancel", "1", "--server", server, "--token", "tok-b"}, nil, &out, &bytes.Buffer{})
	var ee *exitError
	if !errors.As(err, &ee) || ee.Code != 1 || !strings.Contains(ee.Msg, "not owner") {
		t.Errorf("cancel by bob: %v", err)
	}
	err = runBuilds(ctx, []string{"cancel", "1", "--server", server, "--token", "tok-a"}, nil, &out, &bytes.Buffer{})
	if !errors.As(err, &ee) || !strings.Contains(ee.Msg, "HTTP 400") {
		t.Errorf("cancel of a ready build: %v", err)
	}
	if err := runBuilds(ctx, []string{"show", "x"}, nil, &out, &bytes.Buffer{}); !errors.As(err, &ee) || ee.Code != 2 {
		t.Errorf("show x: %v, want usage error", err)
	}
}

// gitRepo creates a git repository with one commit (the server pins
// component refs with git).
func gitRepo(t *testing.T) string {
	t.Helper()
	testenv.RequireTools(t, "git")
	dir := t.TempDir()
	for _, args := range [][]string{{"init", "-q"}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "x"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}
