package composer_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/bodhi"
	"github.com/modkit/modkit/bodhi/bodhitest"
	"github.com/modkit/modkit/bodhi/composer"
	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
	"github.com/modkit/modkit/modulemd"
)

type fixture struct {
	kc   *koji.Client
	bs   *bodhitest.Server
	pkgr *bodhi.Client
	anon *bodhi.Client
	n    int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	hub := kojitest.New(t)
	kc, err := koji.NewClient(hub.URL(), koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
	must(t, err)
	must(t, kc.Login(ctx))
	must(t, kc.AddBType(ctx, "module"))
	must(t, kc.GrantCGAccess(ctx, koji.Name(kojitest.AdminUser), "module-build-service", true))
	bs := bodhitest.New(kc)
	t.Cleanup(bs.Close)
	for _, s := range []string{"", "-override", "-signing-pending", "-updates", "-updates-candidate", "-updates-pending", "-updates-testing", "-updates-testing-pending"} {
		_, err := kc.CreateTag(ctx, "f27-modular"+s, nil)
		must(t, err)
	}
	admin, err := bodhi.NewClient(bs.URL, bodhi.WithSessionCookie(bs.Cookie(bodhitest.AdminUser)))
	must(t, err)
	_, err = admin.SaveRelease(ctx, &bodhi.ReleaseInput{Name: "F27M", LongName: "Fedora 27 Modular", Version: "27", Branch: "f27m",
		IDPrefix: "FEDORA-MODULAR", DistTag: "f27-modular", StableTag: "f27-modular-updates", TestingTag: "f27-modular-updates-testing",
		CandidateTag: "f27-modular-updates-candidate", PendingSigningTag: "f27-modular-signing-pending",
		PendingTestingTag: "f27-modular-updates-testing-pending", PendingStableTag: "f27-modular-updates-pending",
		OverrideTag: "f27-modular-override", State: "current"})
	must(t, err)
	pkgr, err := bodhi.NewClient(bs.URL, bodhi.WithSessionCookie(bs.Cookie(bodhitest.PackagerUser)))
	must(t, err)
	anon, err := bodhi.NewClient(bs.URL)
	must(t, err)
	return &fixture{kc: kc, bs: bs, pkgr: pkgr, anon: anon}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// update imports a module build into koji, tags it as a candidate and
// files an update for it.
func (f *fixture) update(t *testing.T, name, stream string, version uint64) (string, string) {
	t.Helper()
	ctx := context.Background()
	md := fmt.Sprintf("document: modulemd\nversion: 2\ndata:\n  name: %s\n  stream: \"%s\"\n  version: %d\n  context: c0ffee42\n  arch: x86_64\n  summary: %s\n  description: %s module.\n  license:\n    module: [MIT]\n  artifacts:\n    rpms:\n    - %s-0:%d-1.module_f27.x86_64\n",
		name, stream, version, name, name, name, version%1000)
	f.n++
	b, err := f.kc.ImportModuleBuild(ctx, &koji.ModuleImport{Name: name, Stream: stream, Version: version, Context: "c0ffee42",
		Owner: kojitest.AdminUser, Start: time.Unix(1509494400, 0), End: time.Unix(1509498000, 0), Modulemd: md}, fmt.Sprintf("mbs/%d", f.n), nil)
	must(t, err)
	_ = f.kc.AddPackage(ctx, koji.Name("f27-modular-updates-candidate"), name, &koji.AddPackageOptions{Owner: kojitest.AdminUser})
	must(t, f.kc.TagBuildBypass(ctx, koji.Name("f27-modular-updates-candidate"), koji.ID(b.ID), false))
	res, err := f.pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{Builds: []string{b.NVR}, Notes: "Update " + b.NVR, Type: "enhancement"})
	must(t, err)
	return res.Updates[0].Alias, b.NVR
}

func (f *fixture) push(t *testing.T, request, dir string, defaults ...*modulemd.Defaults) *composer.PushResult {
	t.Helper()
	res, err := composer.Push(context.Background(), f.anon, f.kc, &composer.PushOptions{Release: "F27M", Request: request, RepoDir: dir,
		Mark: func(_ context.Context, alias, status string) error { return f.bs.SetStatus(alias, status) },
		From: "updates@example.org", Progress: func(s string) { t.Log(s) }, Defaults: defaults})
	must(t, err)
	return res
}

// TestPush pushes two builds of nodejs:8 and one of perl:5.26 through
// testing to stable, and checks the koji tags, the module set, the
// advisories, Bodhi's statuses and what real dnf sees in the stable
// repository.
func TestPush(t *testing.T) {
	t.Parallel()
	testenv.RequireTools(t, "createrepo_c", "modifyrepo_c")
	ctx := context.Background()
	f := newFixture(t)
	tmp := t.TempDir()
	u1, nvr1 := f.update(t, "nodejs", "8", 20171101000000)
	res := f.push(t, bodhi.RequestTesting, filepath.Join(tmp, "testing1"))
	if len(res.Updates) != 1 || res.Updates[0] != u1 {
		t.Fatalf("testing push 1: %v", res.Updates)
	}
	tagged, err := f.kc.ListTagged(ctx, koji.Name("f27-modular-updates-testing"), nil)
	must(t, err)
	if len(tagged) != 1 || tagged[0].NVR != nvr1 {
		t.Errorf("testing tag holds %v", tagged)
	}
	_, err = f.pkgr.Request(ctx, u1, bodhi.RequestStable)
	must(t, err)
	// As in Bodhi, a newer build's stable request would obsolete u1's, so
	// u1 reaches stable first.
	if res := f.push(t, bodhi.RequestStable, filepath.Join(tmp, "stable1")); len(res.Updates) != 1 || len(res.Modules) != 1 {
		t.Fatalf("stable push 1: %v %v", res.Updates, res.Modules)
	}
	u2, _ := f.update(t, "nodejs", "8", 20171201000000)
	u3, _ := f.update(t, "perl", "5.26", 20171105000000)
	res = f.push(t, bodhi.RequestTesting, filepath.Join(tmp, "testing2"))
	if len(res.Updates) != 2 {
		t.Fatalf("testing push 2: %v", res.Updates)
	}
	for _, a := range []string{u2, u3} {
		_, err = f.pkgr.Request(ctx, a, bodhi.RequestStable)
		must(t, err)
	}
	stable := filepath.Join(tmp, "stable")
	res = f.push(t, bodhi.RequestStable, stable,
		&modulemd.Defaults{MDVersionNumber: 1, Module: "nodejs", Stream: "8"},
		&modulemd.Defaults{MDVersionNumber: 1, Module: "absent", Stream: "1"})
	if y := string(res.Repo.ModulesYAML); !strings.Contains(y, "document: modulemd-defaults") || !strings.Contains(y, "module: nodejs") || strings.Contains(y, "module: absent") {
		t.Errorf("modules.yaml should carry the defaults of nodejs and not those of an absent module:\n%s", y)
	}
	var mods []string
	for _, m := range res.Modules {
		mods = append(mods, m.NSVC())
	}
	if strings.Join(mods, " ") != "nodejs:8:20171201000000:c0ffee42 perl:5.26:20171105000000:c0ffee42" {
		t.Errorf("stable module set = %v", mods)
	}
	if len(res.Advisories) != 3 || len(res.Updates) != 2 {
		t.Errorf("stable push 2: %d updates, %d advisories, want 2 and 3", len(res.Updates), len(res.Advisories))
	}
	for _, a := range []string{u1, u2, u3} {
		d, err := f.anon.GetUpdate(ctx, a)
		must(t, err)
		if d.Update.Status != bodhi.StatusStable {
			t.Errorf("%s: status %s, want stable", a, d.Update.Status)
		}
	}
	tagged, err = f.kc.ListTagged(ctx, koji.Name("f27-modular-updates"), nil)
	must(t, err)
	if len(tagged) != 3 {
		t.Errorf("stable tag holds %d builds, want 3", len(tagged))
	}
	left, err := f.kc.ListTagged(ctx, koji.Name("f27-modular-updates-testing"), nil)
	must(t, err)
	if len(left) != 0 {
		t.Errorf("testing tag still holds %d builds", len(left))
	}
	ui, err := os.ReadFile(filepath.Join(stable, "repodata", "repomd.xml"))
	must(t, err)
	if !strings.Contains(string(ui), `type="updateinfo"`) || !strings.Contains(string(ui), `type="modules"`) {
		t.Errorf("repomd.xml lacks updateinfo or modules:\n%s", ui)
	}

	check := testenv.SharedDir(t, "tools", "dnf-module-check")
	out, err := exec.CommandContext(ctx, check, "-p", "platform:f27", stable, "module info nodejs", "module list").CombinedOutput()
	if err != nil {
		t.Fatalf("dnf-module-check: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "20171201000000") || strings.Contains(string(out), "20171101000000") {
		t.Errorf("dnf should see only nodejs:8:20171201000000:\n%s", out)
	}
	if !strings.Contains(string(out), "perl") {
		t.Errorf("dnf module list lacks perl:\n%s", out)
	}
}

// TestPushSideTag pushes an update filed from a side tag: testing, then
// stable, where its build leaves the side tag and the tag is deleted, as
// Bodhi's composer does.
func TestPushSideTag(t *testing.T) {
	t.Parallel()
	testenv.RequireTools(t, "createrepo_c", "modifyrepo_c")
	ctx := context.Background()
	f := newFixture(t)
	side := "f27-modular-build-side-1234"
	_, err := f.kc.CreateTag(ctx, side, &koji.CreateTagOptions{Parent: "f27-modular-updates-candidate",
		Extra: map[string]any{"sidetag": true, "sidetag_user": bodhitest.PackagerUser}})
	must(t, err)
	md := "document: modulemd\nversion: 2\ndata:\n  name: ruby\n  stream: \"2.5\"\n  version: 20180101000000\n  context: c0ffee42\n  arch: x86_64\n  summary: s\n  description: d.\n  license:\n    module: [MIT]\n"
	b, err := f.kc.ImportModuleBuild(ctx, &koji.ModuleImport{Name: "ruby", Stream: "2.5", Version: 20180101000000, Context: "c0ffee42",
		Owner: kojitest.AdminUser, Start: time.Unix(1514764800, 0), End: time.Unix(1514768400, 0), Modulemd: md}, "mbs/side", nil)
	must(t, err)
	must(t, f.kc.AddPackage(ctx, koji.Name(side), "ruby", &koji.AddPackageOptions{Owner: kojitest.AdminUser}))
	must(t, f.kc.TagBuildBypass(ctx, koji.Name(side), koji.ID(b.ID), false))
	res, err := f.pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{FromTag: side, Notes: "ruby from a side tag", Type: "enhancement"})
	must(t, err)
	alias := res.Updates[0].Alias
	// Bodhi leaves a side-tag update without a request until its builds
	// are signed; here the packager asks.
	_, err = f.pkgr.Request(ctx, alias, bodhi.RequestTesting)
	must(t, err)
	tmp := t.TempDir()
	if r := f.push(t, bodhi.RequestTesting, filepath.Join(tmp, "testing")); len(r.Updates) != 1 || len(r.DeletedSideTags) != 0 {
		t.Fatalf("testing push: %v, deleted %v", r.Updates, r.DeletedSideTags)
	}
	_, err = f.pkgr.Request(ctx, alias, bodhi.RequestStable)
	must(t, err)
	r := f.push(t, bodhi.RequestStable, filepath.Join(tmp, "stable"))
	if len(r.Updates) != 1 || len(r.Modules) != 1 || fmt.Sprint(r.DeletedSideTags) != "["+side+"]" {
		t.Errorf("stable push: updates %v modules %v deleted side tags %v", r.Updates, r.Modules, r.DeletedSideTags)
	}
	if _, err := f.kc.GetTag(ctx, koji.Name(side), nil); err == nil {
		t.Errorf("side tag %s still exists", side)
	}
	tagged, err := f.kc.ListTagged(ctx, koji.Name("f27-modular-updates"), nil)
	must(t, err)
	if len(tagged) != 1 || tagged[0].NVR != b.NVR {
		t.Errorf("stable tag holds %v", tagged)
	}
}
