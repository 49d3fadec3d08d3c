package koji_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/koji"
)

// realHub is a real koji hub from `koji-hub up [--with-builder]`, found
// through the variables it prints (hack/services.sh exports them for make
// test and CI). Every test that uses it creates objects with unique names:
// other packages' tests share the hub.
type realHub struct {
	URL, TopDir          string
	Admin, AdminPassword string
	User, UserPassword   string
	Builder              string // KOJI_BUILDER_HOST: kojid runs tagBuild/newRepo tasks
}

// needRealHub returns the hub or skips (fails under MODKIT_REQUIRE_TOOLS=1).
func needRealHub(tb testing.TB) realHub {
	tb.Helper()
	h := realHub{URL: os.Getenv("KOJI_HUB_URL"), TopDir: os.Getenv("KOJI_TOPDIR"),
		Admin: os.Getenv("KOJI_ADMIN"), AdminPassword: os.Getenv("KOJI_ADMIN_PASSWORD"),
		User: os.Getenv("KOJI_USER"), UserPassword: os.Getenv("KOJI_USER_PASSWORD"),
		Builder: os.Getenv("KOJI_BUILDER_HOST")}
	if h.URL == "" || h.Admin == "" {
		testenv.SkipOrFatal(tb, "KOJI_HUB_URL/KOJI_ADMIN not set: start a hub with eval \"$(../shared/tools/koji-hub up --with-builder)\"")
	}
	return h
}

// needBuilder skips (or fails) tests that need kojid to run tasks, and
// waits up to a minute for the builder to report itself ready: kojid
// refuses tasks while the load average is above 4 per CPU, which a busy
// shared machine reaches.
func (h realHub) needBuilder(tb testing.TB, c *koji.Client) {
	tb.Helper()
	if h.Builder == "" {
		testenv.SkipOrFatal(tb, "KOJI_BUILDER_HOST not set: the hub has no builder (koji-hub up --with-builder)")
	}
	deadline := time.Now().Add(time.Minute)
	for {
		var host struct {
			Ready   bool `xmlrpc:"ready"`
			Enabled bool `xmlrpc:"enabled"`
		}
		if err := c.Call(context.Background(), "getHost", &host, h.Builder); err != nil {
			tb.Fatalf("getHost %s: %v", h.Builder, err)
		}
		if host.Ready && host.Enabled {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("builder %s is not ready (enabled %v): kojid takes no tasks; its log says why (a load average above 4 per CPU makes it wait)", h.Builder, host.Enabled)
		}
		time.Sleep(time.Second)
	}
}

// client returns a client of the hub at url (the hub, or a proxy in front
// of it) logged in as user, or anonymous for user "".
func (h realHub) client(tb testing.TB, url, user, password string, opts ...koji.Option) *koji.Client {
	tb.Helper()
	o := []koji.Option{koji.WithRetry(koji.RetryPolicy{MaxAttempts: 3, InitialDelay: 50 * time.Millisecond, MaxDelay: time.Second}),
		koji.WithPollInterval(250 * time.Millisecond)}
	if user != "" {
		o = append(o, koji.WithAuth(koji.PasswordAuth{User: user, Password: password}))
	}
	c, err := koji.NewClient(url, append(o, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	if user != "" {
		if err := c.Login(context.Background()); err != nil {
			tb.Fatalf("login %s at %s: %v", user, url, err)
		}
	}
	return c
}

func (h realHub) admin(tb testing.TB, opts ...koji.Option) *koji.Client {
	tb.Helper()
	return h.client(tb, h.URL, h.Admin, h.AdminPassword, opts...)
}

// unique returns prefix-<8 random hex digits>: a name no other test uses.
func unique(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// rpmSet is a source RPM and one binary RPM built with rpmbuild.
type rpmSet struct {
	Name, Version, Release string
	SRPM, RPM              string // paths
	Arch                   string // of RPM
}

// buildRPMs builds an empty package name-version-release for arch (and its
// source RPM) with rpmbuild, for CG imports the hub must read headers from.
func buildRPMs(tb testing.TB, name, version, release, arch string) rpmSet {
	tb.Helper()
	testenv.RequireTools(tb, "rpmbuild")
	top := tb.TempDir()
	spec := fmt.Sprintf(`Name: %s
Version: %s
Release: %s
Summary: modkit test package
License: MIT
%%description
A package for modkit's koji tests.
%%prep
%%build
%%install
mkdir -p %%{buildroot}/usr/share/%s
echo %s > %%{buildroot}/usr/share/%s/README
%%files
/usr/share/%s/README
`, name, version, release, name, name, name, name)
	specPath := filepath.Join(top, name+".spec")
	if err := os.WriteFile(specPath, []byte(spec), 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("rpmbuild", "-ba", "--target", arch, "--define", "_topdir "+top,
		"--define", "_build_id_links none", "--define", "debug_package %{nil}", "--nodeps", specPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("rpmbuild: %v\n%s", err, out)
	}
	nvr := name + "-" + version + "-" + release
	return rpmSet{Name: name, Version: version, Release: release, Arch: arch,
		SRPM: filepath.Join(top, "SRPMS", nvr+".src.rpm"),
		RPM:  filepath.Join(top, "RPMS", arch, nvr+"."+arch+".rpm")}
}

func fileMD5(tb testing.TB, path string) (string, int64) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	s := md5.Sum(b)
	return hex.EncodeToString(s[:]), int64(len(b))
}

// importRPMBuild uploads the RPMs and imports them as a content-generator
// build (as if built elsewhere), with a nil build Extra: CGImport must send
// it anyway. It returns the COMPLETE build.
func importRPMBuild(tb testing.TB, c *koji.Client, cg string, set rpmSet) *koji.Build {
	tb.Helper()
	ctx := context.Background()
	dir := unique("modkit-test/rpms")
	var outputs []koji.CGOutput
	for _, p := range []struct{ path, arch string }{{set.SRPM, "src"}, {set.RPM, set.Arch}} {
		f, err := os.Open(p.path)
		if err != nil {
			tb.Fatal(err)
		}
		_, err = c.Upload(ctx, f, dir, filepath.Base(p.path), nil)
		f.Close()
		if err != nil {
			tb.Fatalf("upload %s: %v", p.path, err)
		}
		sum, size := fileMD5(tb, p.path)
		outputs = append(outputs, koji.CGOutput{BuildrootID: 1, Filename: filepath.Base(p.path), Filesize: size,
			Arch: p.arch, Checksum: sum, ChecksumType: "md5", Type: "rpm"})
	}
	md := &koji.CGMetadata{
		Build: koji.CGBuild{Name: set.Name, Version: set.Version, Release: set.Release,
			Source:    "git+https://src.example.org/rpms/" + set.Name + ".git#0123abcd",
			StartTime: time.Now().Add(-time.Hour).Unix(), EndTime: time.Now().Unix()},
		Buildroots: []koji.CGBuildroot{{ID: 1, Host: koji.CGHost{OS: "Debian 12", Arch: "x86_64"},
			ContentGenerator: koji.CGTool{Name: cg, Version: "1"},
			Container:        koji.CGContainer{Type: "none", Arch: "x86_64"},
			Tools:            []koji.CGTool{{Name: "rpmbuild", Version: "4"}}, Components: []koji.CGComponent{}}},
		Output: outputs,
	}
	b, err := c.CGImport(ctx, md, dir, nil)
	if err != nil {
		tb.Fatalf("CGImport %s-%s-%s: %v", set.Name, set.Version, set.Release, err)
	}
	return b
}

// dropProxy forwards requests to a hub and, for the first request whose
// body contains match, lets the hub answer and then closes the connection
// without passing the answer on: a reply lost after the hub committed.
type dropProxy struct {
	srv    *httptest.Server
	target string
	match  []byte

	mu      sync.Mutex
	dropped int
	seen    int // requests that matched
}

func newDropProxy(tb testing.TB, hubURL, match string) *dropProxy {
	tb.Helper()
	p := &dropProxy{target: hubURL, match: []byte(match)}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	tb.Cleanup(p.srv.Close)
	return p
}

// URL is the proxy's hub endpoint.
func (p *dropProxy) URL() string { return p.srv.URL + "/kojihub" }

func (p *dropProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	u := strings.TrimSuffix(p.target, "/kojihub") + r.URL.RequestURI()
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(resp.Body)
	p.mu.Lock()
	drop := false
	if bytes.Contains(body, p.match) {
		p.seen++
		drop = p.dropped == 0
		if drop {
			p.dropped++
		}
	}
	p.mu.Unlock()
	if drop {
		// The hub has answered (and committed); the client never hears it.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(reply)
}

func (p *dropProxy) matched() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
