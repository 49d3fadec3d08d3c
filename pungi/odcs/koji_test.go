package odcs_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
	"github.com/modkit/modkit/pungi/odcs"
)

// importRPMBuild imports name-version-release (noarch + src) into the
// hub and places its files under top as koji serves them.
func importRPMBuild(t *testing.T, c *koji.Client, top, dir, name, version, release string, n int, requires ...string) {
	t.Helper()
	ctx := context.Background()
	bin, src := buildRPM(t, dir, name, version, release, requires...)
	up := fmt.Sprintf("cg/odcs%d/%d", time.Now().UnixNano(), n)
	md := &koji.CGMetadata{
		Build: koji.CGBuild{Name: name, Version: version, Release: release, Source: "git+https://src.example.org/" + name, StartTime: 1, EndTime: 2,
			Extra: map[string]any{"modkit_fixture": true}},
		Buildroots: []koji.CGBuildroot{{ID: 1, Host: koji.CGHost{OS: "Test", Arch: "x86_64"}, ContentGenerator: koji.CGTool{Name: "module-build-service", Version: "1"},
			Container: koji.CGContainer{Type: "none", Arch: "x86_64"}, Tools: []koji.CGTool{}, Components: []koji.CGComponent{}}},
	}
	for _, p := range []struct{ path, arch string }{{bin, "noarch"}, {src, "src"}} {
		data, err := os.ReadFile(p.path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Upload(ctx, bytes.NewReader(data), up, filepath.Base(p.path), &koji.UploadOptions{Overwrite: true}); err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(data)
		md.Output = append(md.Output, koji.CGOutput{BuildrootID: 1, Filename: filepath.Base(p.path), Filesize: int64(len(data)),
			Arch: p.arch, Checksum: hex.EncodeToString(sum[:]), ChecksumType: "md5", Type: "rpm"})
		dst := filepath.Join(top, "packages", name, version, release, p.arch, filepath.Base(p.path))
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CGImport(ctx, md, up, nil); err != nil {
		t.Fatalf("CGImport %s: %v", name, err)
	}
}

// TestKojiComposes makes a tag compose and a build compose (what a
// container rebuild asks for) from a koji hub, and checks the tag compose
// with real dnf through its .repo file.
func TestKojiComposes(t *testing.T) {
	t.Parallel()
	testenv.RequireTools(t, "rpmbuild", "createrepo_c")
	ctx := context.Background()
	hub := kojitest.New(t)
	kc, err := koji.NewClient(hub.URL(), koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
	if err != nil {
		t.Fatal(err)
	}
	if err := kc.Login(ctx); err != nil {
		t.Fatal(err)
	}
	if err := kc.GrantCGAccess(ctx, koji.Name(kojitest.AdminUser), "module-build-service", true); err != nil {
		t.Fatal(err)
	}
	top := t.TempDir()
	files := httptest.NewServer(http.FileServer(http.Dir(top)))
	t.Cleanup(files.Close)
	rpms := t.TempDir()
	tag := "f99-odcs"
	if _, err := kc.CreateTag(ctx, tag, nil); err != nil {
		t.Fatal(err)
	}
	for i, b := range [][4]string{{"hello", "1.0", "1"}, {"hello", "1.1", "1", "libgreet >= 1"}, {"extra", "2.0", "1"},
		{"libgreet", "1.0", "1"}, {"broken", "1.0", "1", "no-such-capability"}} {
		var req []string
		if b[3] != "" {
			req = []string{b[3]}
		}
		importRPMBuild(t, kc, top, rpms, b[0], b[1], b[2], i, req...)
		if i != 1 {
			if err := kc.AddPackage(ctx, koji.Name(tag), b[0], &koji.AddPackageOptions{Owner: kojitest.AdminUser}); err != nil {
				t.Fatal(err)
			}
		}
		if err := kc.TagBuildBypass(ctx, koji.Name(tag), koji.Name(b[0]+"-"+b[1]+"-"+b[2]), false); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t, &odcs.Options{Koji: kc, KojiTopURL: files.URL, Arches: []string{odcs.HostArch()}})
	c, _ := odcs.NewClient(e.srv.URL, odcs.WithToken("alice-token"), odcs.WithPollInterval(100*time.Millisecond))
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	sub, err := c.Submit(ctx, &odcs.Request{Source: odcs.RequestSource{Type: "tag", Source: tag, Packages: []string{"hello"}}})
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.Wait(wctx, sub.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if done.KojiEvent == 0 {
		t.Error("the tag compose has no koji event")
	}
	os1 := filepath.Join(e.svc.Dir(done), "compose", "Temporary", odcs.HostArch(), "os", "Packages", "h", "hello-1.1-1.noarch.rpm")
	if _, err := os.Stat(os1); err != nil {
		t.Errorf("latest hello is not in the compose: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.svc.Dir(done), "compose", "Temporary", odcs.HostArch(), "os", "Packages", "e")); !os.IsNotExist(err) {
		t.Errorf("extra is in the compose though packages named only hello")
	}
	if _, err := os.Stat(filepath.Join(e.svc.Dir(done), "compose", "Temporary", odcs.HostArch(), "os", "Packages", "l", "libgreet-1.0-1.noarch.rpm")); err != nil {
		t.Errorf("hello's dependency libgreet is not in the compose: %v", err)
	}
	// no_deps: hello only.
	nd, _ := c.Submit(ctx, &odcs.Request{Source: odcs.RequestSource{Type: "tag", Source: tag, Packages: []string{"hello"}}, Flags: []string{"no_deps"}})
	if got, err := c.Wait(wctx, nd.ID, nil); err != nil {
		t.Error(err)
	} else if _, err := os.Stat(filepath.Join(e.svc.Dir(got), "compose", "Temporary", odcs.HostArch(), "os", "Packages", "l")); !os.IsNotExist(err) {
		t.Errorf("no_deps compose has libgreet")
	}
	// check_deps fails a compose with an unresolved dependency.
	cd, _ := c.Submit(ctx, &odcs.Request{Source: odcs.RequestSource{Type: "tag", Source: tag, Packages: []string{"broken"}}, Flags: []string{"check_deps"}})
	if got, err := c.Wait(wctx, cd.ID, nil); err == nil || !strings.Contains(got.StateReason, "broken requires no-such-capability") {
		t.Errorf("check_deps: %v %q", err, got.StateReason)
	}
	if _, err := os.Stat(filepath.Join(e.svc.Dir(done), "compose", "Temporary", "source", "tree", "Packages", "h", "hello-1.1-1.src.rpm")); err != nil {
		t.Errorf("source tree: %v", err)
	}
	// Real dnf reads the repository through the .repo file.
	testenv.RequireTools(t, "dnf")
	out := dnfList(t, done.ResultRepofile)
	if !strings.Contains(out, "hello.noarch") || !strings.Contains(out, "1.1-1") {
		t.Errorf("dnf list:\n%s", out)
	}
	// The same tag again, unchanged: reused.
	again, _ := c.Submit(ctx, &odcs.Request{Source: odcs.RequestSource{Type: "tag", Source: tag, Packages: []string{"hello"}}})
	if got, err := c.Wait(wctx, again.ID, nil); err != nil || got.ReusedID != done.ID {
		t.Errorf("unchanged tag not reused: %v %+v", err, got)
	}
	// A build compose: exactly the listed builds.
	bc, err := c.Submit(ctx, &odcs.Request{Source: odcs.RequestSource{Type: "build", Builds: []string{"hello-1.0-1", "extra-2.0-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	bdone, err := c.Wait(wctx, bc.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"h/hello-1.0-1.noarch.rpm", "e/extra-2.0-1.noarch.rpm"} {
		if _, err := os.Stat(filepath.Join(e.svc.Dir(bdone), "compose", "Temporary", odcs.HostArch(), "os", "Packages", p)); err != nil {
			t.Errorf("build compose: %v", err)
		}
	}
	// BuildComposer, what a container rebuild's fast flow uses: its .repo
	// file lists exactly the builds asked for, duplicates folded.
	repofile, err := (&odcs.BuildComposer{Client: c}).ComposeBuilds(wctx, []string{"hello-1.0-1", "extra-2.0-1", "hello-1.0-1"})
	if err != nil {
		t.Fatal(err)
	}
	if out := dnfList(t, repofile); !strings.Contains(out, "hello.noarch") || !strings.Contains(out, "1.0-1") || !strings.Contains(out, "extra.noarch") {
		t.Errorf("dnf list of the BuildComposer compose:\n%s", out)
	}
	if _, err := (&odcs.BuildComposer{Client: c}).ComposeBuilds(wctx, []string{"nope-1-1"}); !errors.Is(err, odcs.ErrComposeFailed) {
		t.Errorf("BuildComposer of a missing build: %v, want ErrComposeFailed", err)
	}
	// A missing build fails with its name.
	bad, _ := c.Submit(ctx, &odcs.Request{Source: odcs.RequestSource{Type: "build", Builds: []string{"nope-1-1"}}})
	if got, err := c.Wait(wctx, bad.ID, nil); err == nil || !strings.Contains(got.StateReason, "nope-1-1") {
		t.Errorf("missing build: %v %q", err, got.StateReason)
	}
}

// dnfList runs `dnf list --available` with the .repo file as the only
// repository.
func dnfList(t *testing.T, repofileURL string) string {
	t.Helper()
	return dnfRun(t, repofileURL, "", "list", "--available")
}
