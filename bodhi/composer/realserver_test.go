package composer_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/bodhi"
	"github.com/modkit/modkit/bodhi/composer"
	"github.com/modkit/modkit/bodhi/composer/bodhidb"
	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/koji"
)

// TestPushRealBodhi is the end to end run against a real Bodhi and koji
// hub: two builds of one module stream imported into koji, an update for
// each in Bodhi, pushed to testing then stable by Push; the updates'
// statuses are recorded in Bodhi's database by bodhidb.Marker as Bodhi's
// composer records them (the REST API has no call for it), and read back
// through the REST API. The stable repository holds only the newer
// build and updateinfo lists both advisories.
func TestPushRealBodhi(t *testing.T) {
	t.Parallel()
	bodhiURL, pkgrCookie, adminCookie, pg := os.Getenv("BODHI_URL"), os.Getenv("BODHI_PACKAGER_COOKIE"), os.Getenv("BODHI_ADMIN_COOKIE"), os.Getenv("BODHI_PG")
	hub, admin, pw := os.Getenv("KOJI_HUB_URL"), os.Getenv("KOJI_ADMIN"), os.Getenv("KOJI_ADMIN_PASSWORD")
	if bodhiURL == "" || pkgrCookie == "" || pg == "" || hub == "" || admin == "" {
		testenv.SkipOrFatal(t, "BODHI_URL/BODHI_PG/KOJI_HUB_URL not set: start servers with hack/services.sh")
	}
	testenv.RequireTools(t, "createrepo_c", "modifyrepo_c")
	testenv.Exclusive(t, bodhiURL)
	ctx := context.Background()
	kc, err := koji.NewClient(hub, koji.WithAuth(koji.PasswordAuth{User: admin, Password: pw}))
	must(t, err)
	must(t, kc.Login(ctx))
	n := 1000 + rand.IntN(99000)
	prefix := fmt.Sprintf("f%d-modular", n)
	tag := func(s string) string { return prefix + s }
	for _, s := range []string{"", "-override", "-signing-pending", "-updates", "-updates-candidate", "-updates-pending", "-updates-testing", "-updates-testing-pending"} {
		_, err := kc.CreateTag(ctx, tag(s), nil)
		must(t, err)
	}
	relName := fmt.Sprintf("F%dM", n)
	adm, err := bodhi.NewClient(bodhiURL, bodhi.WithSessionCookie(adminCookie))
	must(t, err)
	_, err = adm.SaveRelease(ctx, &bodhi.ReleaseInput{Name: relName, LongName: fmt.Sprintf("Fedora %d Modular", n), Version: fmt.Sprint(n),
		Branch: fmt.Sprintf("f%dm", n), IDPrefix: "FEDORA-MODULAR", DistTag: tag(""), StableTag: tag("-updates"),
		TestingTag: tag("-updates-testing"), CandidateTag: tag("-updates-candidate"), PendingSigningTag: tag("-signing-pending"),
		PendingTestingTag: tag("-updates-testing-pending"), PendingStableTag: tag("-updates-pending"), OverrideTag: tag("-override"), State: "current"})
	must(t, err)
	pkgr, err := bodhi.NewClient(bodhiURL, bodhi.WithSessionCookie(pkgrCookie))
	must(t, err)
	anon, err := bodhi.NewClient(bodhiURL)
	must(t, err)
	name := fmt.Sprintf("rmod%06x", rand.IntN(1<<24))
	mkUpdate := func(version uint64) string {
		md := fmt.Sprintf("document: modulemd\nversion: 2\ndata:\n  name: %s\n  stream: \"1\"\n  version: %d\n  context: c0ffee42\n  arch: x86_64\n  summary: s\n  description: d.\n  license:\n    module: [MIT]\n", name, version)
		b, err := kc.ImportModuleBuild(ctx, &koji.ModuleImport{Name: name, Stream: "1", Version: version, Context: "c0ffee42", Owner: admin,
			Start: time.Now().Add(-time.Hour), End: time.Now(), Modulemd: md}, fmt.Sprintf("mbs/composer-%d", rand.Int64()), nil)
		must(t, err)
		// A real hub lists only builds of packages in a tag's package list
		// (Fedora's tags inherit it from the dist tag).
		for _, s := range []string{"-updates-candidate", "-updates-testing", "-updates"} {
			_ = kc.AddPackage(ctx, koji.Name(tag(s)), name, &koji.AddPackageOptions{Owner: admin})
		}
		must(t, kc.TagBuildBypass(ctx, koji.Name(tag("-updates-candidate")), koji.ID(b.ID), false))
		res, err := pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{Builds: []string{b.NVR}, Notes: "build " + fmt.Sprint(version), Type: "enhancement"})
		must(t, err)
		return res.Updates[0].Alias
	}
	marker, err := bodhidb.Open(ctx, pg)
	must(t, err)
	defer marker.Close(ctx)
	mark := marker.Mark
	push := func(request, dir string) *composer.PushResult {
		res, err := composer.Push(ctx, anon, kc, &composer.PushOptions{Release: relName, Request: request, RepoDir: dir, Mark: mark})
		must(t, err)
		return res
	}
	tmp := t.TempDir()
	u1 := mkUpdate(20260101000000)
	// An update from a side tag (its extra marks it one, as koji's sidetag
	// plugin does; Bodhi checks only that), requested for testing by its
	// owner since Bodhi's signed consumer does not run here.
	side := fmt.Sprintf("%s-build-side-%d", prefix, rand.IntN(1<<20))
	_, err = kc.CreateTag(ctx, side, &koji.CreateTagOptions{Parent: tag("-updates-candidate"),
		Extra: map[string]any{"sidetag": true, "sidetag_user": os.Getenv("BODHI_PACKAGER")}})
	must(t, err)
	sideName := name + "side"
	smd := fmt.Sprintf("document: modulemd\nversion: 2\ndata:\n  name: %s\n  stream: \"1\"\n  version: 20260101000000\n  context: c0ffee42\n  arch: x86_64\n  summary: s\n  description: d.\n  license:\n    module: [MIT]\n", sideName)
	sb, err := kc.ImportModuleBuild(ctx, &koji.ModuleImport{Name: sideName, Stream: "1", Version: 20260101000000, Context: "c0ffee42", Owner: admin,
		Start: time.Now().Add(-time.Hour), End: time.Now(), Modulemd: smd}, fmt.Sprintf("mbs/composer-%d", rand.Int64()), nil)
	must(t, err)
	for _, s := range []string{"-updates-candidate", "-updates-testing", "-updates"} {
		_ = kc.AddPackage(ctx, koji.Name(tag(s)), sideName, &koji.AddPackageOptions{Owner: admin})
	}
	must(t, kc.TagBuildBypass(ctx, koji.Name(side), koji.ID(sb.ID), false))
	sres, err := pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{FromTag: side, Notes: "from a side tag", Type: "enhancement"})
	must(t, err)
	us := sres.Updates[0].Alias
	_, err = pkgr.Request(ctx, us, bodhi.RequestTesting)
	must(t, err)
	if r := push(bodhi.RequestTesting, filepath.Join(tmp, "t1")); len(r.Updates) != 2 {
		t.Errorf("first testing push: %v, want %s and %s", r.Updates, u1, us)
	}
	// Marked as Bodhi's composer marks: read back through the REST API.
	d, err := anon.GetUpdate(ctx, u1)
	must(t, err)
	if u := d.Update; u.Status != bodhi.StatusTesting || u.Request != nil || !u.Pushed || u.Locked || u.DateTesting.IsZero() || u.DatePushed.IsZero() ||
		len(u.Comments) == 0 || u.Comments[len(u.Comments)-1].Text != "This update has been pushed to testing." ||
		u.Comments[len(u.Comments)-1].User == nil || u.Comments[len(u.Comments)-1].User.Name != "bodhi" {
		t.Errorf("after the testing push: %+v", u)
	}
	for _, a := range []string{u1, us} {
		_, err = pkgr.Request(ctx, a, bodhi.RequestStable)
		must(t, err)
	}
	// Bodhi obsoletes an older update with a stable request when a newer
	// build of the package is requested for stable: u1 goes first.
	if r := push(bodhi.RequestStable, filepath.Join(tmp, "s1")); fmt.Sprint(r.DeletedSideTags) != "["+side+"]" {
		t.Errorf("stable push 1 deleted side tags %v, want %s", r.DeletedSideTags, side)
	}
	if _, err := kc.GetTag(ctx, koji.Name(side), nil); err == nil {
		t.Errorf("side tag %s still exists after its update went stable", side)
	}
	u2 := mkUpdate(20260201000000)
	push(bodhi.RequestTesting, filepath.Join(tmp, "t2"))
	_, err = pkgr.Request(ctx, u2, bodhi.RequestStable)
	must(t, err)
	stable := filepath.Join(tmp, "stable")
	res := push(bodhi.RequestStable, stable)
	var mods []string
	for _, m := range res.Modules {
		mods = append(mods, m.NSVC())
	}
	if want := name + ":1:20260201000000:c0ffee42 " + sideName + ":1:20260101000000:c0ffee42"; strings.Join(mods, " ") != want || len(res.Advisories) != 3 {
		t.Errorf("stable push: modules %v (want %s), %d advisories (want 3)", mods, want, len(res.Advisories))
	}
	for _, a := range []string{u1, u2, us} {
		d, err := anon.GetUpdate(ctx, a)
		must(t, err)
		if u := d.Update; u.Status != bodhi.StatusStable || u.Request != nil || !u.Pushed || u.DateStable.IsZero() ||
			u.Comments[len(u.Comments)-1].Text != "This update has been pushed to stable." {
			t.Errorf("%s after the stable push: %+v", a, u)
		}
	}
	tagged, err := kc.ListTagged(ctx, koji.Name(tag("-updates")), nil)
	must(t, err)
	if len(tagged) != 3 {
		t.Errorf("stable tag holds %d builds, want 3", len(tagged))
	}
	repomd, err := os.ReadFile(filepath.Join(stable, "repodata", "repomd.xml"))
	must(t, err)
	if !strings.Contains(string(repomd), `type="updateinfo"`) {
		t.Errorf("no updateinfo in %s", stable)
	}
}
