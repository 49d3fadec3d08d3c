package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/bodhi"
	"github.com/modkit/modkit/bodhi/bodhitest"
	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/pungi"
)

// pushWorld is a koji hub and a Bodhi for updates push: kojitest and
// bodhitest, or the real servers the environment names.
type pushWorld struct {
	kc                       *koji.Client
	hubURL, kojiUser, kojiPW string
	top, topURL              string // kojitest: files copied by hand into top
	real                     bool
	bodhiURL                 string
	admin, pkgr              *bodhi.Client
	rel, prefix              string // F<N>M and f<N>-modular
	n                        int
}

func rpmArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return runtime.GOARCH
}

func newPushWorld(t *testing.T, real bool) *pushWorld {
	t.Helper()
	ctx := context.Background()
	w := &pushWorld{real: real}
	n := 1000 + rand.IntN(99000)
	w.rel, w.prefix = fmt.Sprintf("F%dM", n), fmt.Sprintf("f%d-modular", n)
	var adminCookie, pkgrCookie string
	if real {
		w.bodhiURL, adminCookie, pkgrCookie = os.Getenv("BODHI_URL"), os.Getenv("BODHI_ADMIN_COOKIE"), os.Getenv("BODHI_PACKAGER_COOKIE")
		w.hubURL, w.kojiUser, w.kojiPW = os.Getenv("KOJI_HUB_URL"), os.Getenv("KOJI_ADMIN"), os.Getenv("KOJI_ADMIN_PASSWORD")
		top := os.Getenv("KOJI_TOPDIR")
		if w.bodhiURL == "" || pkgrCookie == "" || w.hubURL == "" || top == "" {
			testenv.SkipOrFatal(t, "BODHI_URL/KOJI_HUB_URL/KOJI_TOPDIR not set: start servers with hack/services.sh")
		}
		testenv.Exclusive(t, w.bodhiURL)
		w.topURL = "file://" + top
	} else {
		hub := kojitest.New(t)
		w.hubURL, w.kojiUser, w.kojiPW = hub.URL(), kojitest.AdminUser, kojitest.AdminPassword
		w.top = t.TempDir()
		srv := httptest.NewServer(http.FileServer(http.Dir(w.top)))
		t.Cleanup(srv.Close)
		w.topURL = srv.URL
	}
	kc, err := koji.NewClient(w.hubURL, koji.WithAuth(koji.PasswordAuth{User: w.kojiUser, Password: w.kojiPW}))
	must(t, err)
	must(t, kc.Login(ctx))
	w.kc = kc
	if !real {
		must(t, kc.AddBType(ctx, "module"))
		must(t, kc.GrantCGAccess(ctx, koji.Name(w.kojiUser), "module-build-service", true))
		bs := bodhitest.New(kc)
		t.Cleanup(bs.Close)
		w.bodhiURL, adminCookie, pkgrCookie = bs.URL, bs.Cookie(bodhitest.AdminUser), bs.Cookie(bodhitest.PackagerUser)
	}
	for _, s := range []string{"", "-override", "-signing-pending", "-updates", "-updates-candidate", "-updates-pending", "-updates-testing", "-updates-testing-pending"} {
		_, err := kc.CreateTag(ctx, w.prefix+s, nil)
		must(t, err)
	}
	w.admin, err = bodhi.NewClient(w.bodhiURL, bodhi.WithSessionCookie(adminCookie))
	must(t, err)
	w.pkgr, err = bodhi.NewClient(w.bodhiURL, bodhi.WithSessionCookie(pkgrCookie))
	must(t, err)
	tag := func(s string) string { return w.prefix + s }
	_, err = w.admin.SaveRelease(ctx, &bodhi.ReleaseInput{Name: w.rel, LongName: fmt.Sprintf("Fedora %d Modular", n), Version: fmt.Sprint(n),
		Branch: fmt.Sprintf("f%dm", n), IDPrefix: "FEDORA-MODULAR", DistTag: tag(""), StableTag: tag("-updates"),
		TestingTag: tag("-updates-testing"), CandidateTag: tag("-updates-candidate"), PendingSigningTag: tag("-signing-pending"),
		PendingTestingTag: tag("-updates-testing-pending"), PendingStableTag: tag("-updates-pending"), OverrideTag: tag("-override"), State: "current"})
	must(t, err)
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// buildNoarchRPM builds name-version-release.noarch.rpm and its source
// RPM in dir with rpmbuild.
func buildNoarchRPM(t *testing.T, dir, name, version, release string) (bin, src string) {
	t.Helper()
	spec := filepath.Join(dir, name+".spec")
	text := "Name: " + name + "\nVersion: " + version + "\nRelease: " + release + "\nSummary: test\nLicense: MIT\nBuildArch: noarch\n" +
		"%description\ntest\n%install\nmkdir -p %{buildroot}/usr/share/" + name + "\necho " + version + " > %{buildroot}/usr/share/" + name + "/version\n" +
		"%files\n/usr/share/" + name + "/version\n"
	must(t, os.WriteFile(spec, []byte(text), 0o644))
	top := filepath.Join(dir, "top")
	out, err := exec.Command("rpmbuild", "-ba", "--quiet", "--define", "_topdir "+top, "--define", "_build_id_links none",
		"--define", "_source_payload w1.gzdio", "--define", "_binary_payload w1.gzdio", spec).CombinedOutput()
	if err != nil {
		t.Fatalf("rpmbuild: %v\n%s", err, out)
	}
	return filepath.Join(top, "RPMS", "noarch", name+"-"+version+"-"+release+".noarch.rpm"),
		filepath.Join(top, "SRPMS", name+"-"+version+"-"+release+".src.rpm")
}

// moduleUpdate imports, as MBS does, a module build name:stream:version
// with one noarch package (name-pkgVersion) into koji, tags it as a
// candidate and files an update for it. It returns the update's alias.
func (w *pushWorld) moduleUpdate(t *testing.T, name, stream string, version uint64, pkgVersion string) string {
	t.Helper()
	ctx := context.Background()
	w.n++
	arch := rpmArch()
	release := fmt.Sprintf("1.module_f%s+%d", strings.TrimPrefix(w.prefix, "f")[:4], w.n)
	bin, src := buildNoarchRPM(t, t.TempDir(), name, pkgVersion, release)
	dir := fmt.Sprintf("cli-push/%d/%d", time.Now().UnixNano(), w.n)
	md := &koji.CGMetadata{
		Build: koji.CGBuild{Name: name, Version: pkgVersion, Release: release, Source: "git+https://src.example.org/" + name, StartTime: 1, EndTime: 2,
			Extra: map[string]any{"modkit_fixture": true}},
		Buildroots: []koji.CGBuildroot{{ID: 1, Host: koji.CGHost{OS: "Test", Arch: "x86_64"}, ContentGenerator: koji.CGTool{Name: "module-build-service", Version: "1"},
			Container: koji.CGContainer{Type: "none", Arch: "x86_64"}, Tools: []koji.CGTool{}, Components: []koji.CGComponent{}}},
	}
	for _, p := range []struct{ path, arch string }{{bin, "noarch"}, {src, "src"}} {
		data, err := os.ReadFile(p.path)
		must(t, err)
		_, err = w.kc.Upload(ctx, bytes.NewReader(data), dir, filepath.Base(p.path), &koji.UploadOptions{Overwrite: true})
		must(t, err)
		sum := md5.Sum(data)
		md.Output = append(md.Output, koji.CGOutput{BuildrootID: 1, Filename: filepath.Base(p.path), Filesize: int64(len(data)),
			Arch: p.arch, Checksum: hex.EncodeToString(sum[:]), ChecksumType: "md5", Type: "rpm"})
		if !w.real {
			dst := filepath.Join(w.top, "packages", name, pkgVersion, release, p.arch, filepath.Base(p.path))
			must(t, os.MkdirAll(filepath.Dir(dst), 0o755))
			must(t, os.WriteFile(dst, data, 0o644))
		}
	}
	rb, err := w.kc.CGImport(ctx, md, dir, nil)
	must(t, err)
	rpms, err := w.kc.ListRPMs(ctx, &koji.ListRPMsOptions{BuildID: rb.ID})
	must(t, err)
	var comps []koji.CGComponent
	for _, r := range rpms {
		comps = append(comps, koji.RPMComponent(r))
	}
	// The per-arch modulemd lists the RPMs as MBS's final metadata does.
	text := fmt.Sprintf("document: modulemd\nversion: 2\ndata:\n  name: %s\n  stream: \"%s\"\n  version: %d\n  context: c0ffee42\n  arch: %s\n  summary: %s\n  description: %s module.\n  license:\n    module: [MIT]\n  profiles:\n    default:\n      rpms: [%s]\n  components:\n    rpms:\n      %s:\n        rationale: the package\n        ref: %s\n",
		name, stream, version, arch, name, name, name, name, stream)
	docs, err := modulemd.Parse([]byte(text))
	must(t, err)
	st := docs[0].(*modulemd.Stream)
	read, err := pungi.ReadRPMs(ctx, []string{bin, src})
	must(t, err)
	pungi.FillArtifacts(st, read)
	idx := modulemd.NewIndex(nil)
	must(t, idx.AddStream(st))
	y, err := idx.Dump()
	must(t, err)
	imp := &koji.ModuleImport{Name: name, Stream: stream, Version: version, Context: "c0ffee42", ModuleBuildServiceID: int64(rand.IntN(1 << 30)),
		ContentKojiTag: fmt.Sprintf("module-%s-%s-%d-c0ffee42", name, stream, version), SCMURL: "https://src.example.org/modules/" + name + "#" + stream,
		Owner: w.kojiUser, Start: time.Now().Add(-time.Hour), End: time.Now(), Modulemd: string(y),
		ArchModulemd: map[string]string{arch: string(y)}, ArchRPMs: map[string][]koji.CGComponent{arch: comps}}
	b, err := w.kc.ImportModuleBuild(ctx, imp, fmt.Sprintf("mbs/cli-push/%d/%d", time.Now().UnixNano(), w.n), nil)
	must(t, err)
	if !w.real {
		nvr := imp.NVR()
		for fn, data := range map[string]string{"modulemd.txt": imp.Modulemd, "modulemd." + arch + ".txt": string(y)} {
			dst := filepath.Join(w.top, "packages", nvr.Name, nvr.Version, nvr.Release, "files", "module", fn)
			must(t, os.MkdirAll(filepath.Dir(dst), 0o755))
			must(t, os.WriteFile(dst, []byte(data), 0o644))
		}
	}
	_ = w.kc.AddPackage(ctx, koji.Name(w.prefix+"-updates-candidate"), name, &koji.AddPackageOptions{Owner: w.kojiUser})
	must(t, w.kc.TagBuildBypass(ctx, koji.Name(w.prefix+"-updates-candidate"), koji.ID(b.ID), false))
	res, err := w.pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{Builds: []string{b.NVR}, Notes: name + " " + pkgVersion, Type: "enhancement"})
	must(t, err)
	return res.Updates[0].Alias
}

// push runs modkit updates push and decodes its --json output.
func (w *pushWorld) push(t *testing.T, request, repo string, extra ...string) (pushOut, string) {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "pw")
	must(t, os.WriteFile(pw, []byte(w.kojiPW+"\n"), 0o600))
	var stdout, stderr bytes.Buffer
	args := append([]string{"updates", "push", "--bodhi", w.bodhiURL, "--koji-hub", w.hubURL, "--koji-user", w.kojiUser,
		"--koji-password-file", pw, "--koji-topurl", w.topURL, "--release", w.rel, "--request", request, "--repo", repo,
		"--arch", rpmArch(), "--json"}, extra...)
	start := time.Now()
	if err := run(context.Background(), args, nil, &stdout, &stderr); err != nil {
		t.Fatalf("updates push: %v\n%s", err, stderr.String())
	}
	t.Logf("updates push --request %s took %s:\n%s", request, time.Since(start).Round(time.Millisecond), stderr.String())
	var out pushOut
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	return out, stderr.String()
}

type pushOut struct {
	Updates    []string `json:"updates"`
	Modules    []string `json:"modules"`
	Advisories int      `json:"advisories"`
	RPMs       int      `json:"rpms"`
	Marked     bool     `json:"marked"`
}

// TestUpdatesPushRPMs pushes a module update with `modkit updates push`
// (kojitest and bodhitest): the repository holds the module's RPMs,
// downloaded from koji's file server, and real dnf installs the package
// from the enabled stream and lists the advisory.
func TestUpdatesPushRPMs(t *testing.T) {
	t.Parallel()
	testenv.RequireTools(t, "rpmbuild", "createrepo_c", "modifyrepo_c")
	testUpdatesPushRPMs(t, newPushWorld(t, false))
}

// TestUpdatesPushRPMsReal is TestUpdatesPushRPMs against the real koji hub
// (which stores the imported RPMs in its top directory) and real Bodhi.
func TestUpdatesPushRPMsReal(t *testing.T) {
	t.Parallel()
	testenv.RequireTools(t, "rpmbuild", "createrepo_c", "modifyrepo_c")
	testUpdatesPushRPMs(t, newPushWorld(t, true))
}

func testUpdatesPushRPMs(t *testing.T, w *pushWorld) {
	name := fmt.Sprintf("cli%06x", rand.IntN(1<<24))
	alias := w.moduleUpdate(t, name, "8", 20260101000000, "8.1")
	repo := filepath.Join(t.TempDir(), "modular-updates-testing")
	var extra []string
	if w.real {
		// Record the push in Bodhi's database, as Bodhi's composer does.
		extra = append(extra, "--bodhi-db", os.Getenv("BODHI_PG"))
	}
	out, progress := w.push(t, bodhi.RequestTesting, repo, extra...)
	if !slices.Equal(out.Updates, []string{alias}) || len(out.Modules) != 1 || out.Advisories != 1 || out.RPMs != 1 || out.Marked != w.real {
		t.Errorf("push output = %+v\n%s", out, progress)
	}
	d, err := w.pkgr.GetUpdate(context.Background(), alias)
	must(t, err)
	if want := map[bool]string{true: bodhi.StatusTesting, false: bodhi.StatusPending}[w.real]; d.Update.Status != want || (w.real && (d.Update.Request != nil || !d.Update.Pushed)) {
		t.Errorf("after the push: status %s request %q pushed %v, want %s", d.Update.Status, d.Update.RequestOrEmpty(), d.Update.Pushed, want)
	}
	if !strings.Contains(progress, "downloading 2 RPM(s) of "+name+"-8-20260101000000.c0ffee42") {
		t.Errorf("no download progress:\n%s", progress)
	}
	if w.real {
		// The hub has only unsigned copies: a push that asks for a
		// signing key is refused (the build is in the testing repository,
		// so its RPMs are wanted again).
		pw := filepath.Join(t.TempDir(), "pw")
		must(t, os.WriteFile(pw, []byte(w.kojiPW), 0o600))
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"updates", "push", "--bodhi", w.bodhiURL, "--koji-hub", w.hubURL, "--koji-user", w.kojiUser,
			"--koji-password-file", pw, "--koji-topurl", w.topURL, "--release", w.rel, "--request", "testing",
			"--repo", filepath.Join(t.TempDir(), "signed"), "--arch", rpmArch(), "--sigkey", "0123abcd"}, nil, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), "not signed with any of the keys 0123abcd") {
			t.Errorf("push with --sigkey 0123abcd: %v, want a refusal naming the key", err)
		}
	}
	files, err := filepath.Glob(filepath.Join(repo, "Packages", "*.rpm"))
	must(t, err)
	if len(files) != 1 || !strings.HasPrefix(filepath.Base(files[0]), name+"-8.1-1.module_") || !strings.HasSuffix(files[0], ".noarch.rpm") {
		t.Errorf("repository RPMs = %v, want %s-8.1-1.module_….noarch.rpm", files, name)
	}
	if _, err := exec.LookPath("dnf"); err != nil && !testenv.Required() {
		t.Logf("dnf not installed: not asking dnf")
		return
	}
	check := testenv.SharedDir(t, "tools", "dnf-module-check")
	dout, err := exec.Command(check, repo, "module enable "+name+":8", "install "+name, "rpm -q "+name, "updateinfo list --all").CombinedOutput()
	if err != nil {
		t.Fatalf("dnf-module-check: %v\n%s", err, dout)
	}
	if !strings.Contains(string(dout), name+"-8.1-1.module_") || !strings.Contains(string(dout), alias) {
		t.Errorf("dnf did not install %s from the pushed repository or list %s:\n%s", name, alias, dout)
	}
}
