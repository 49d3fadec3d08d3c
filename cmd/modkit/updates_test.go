package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/modkit/modkit/bodhi"
	"github.com/modkit/modkit/bodhi/bodhitest"
	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

// TestUpdatesPush runs `modkit updates push` against bodhitest on a
// kojitest hub: one module update pushed to testing.
func TestUpdatesPush(t *testing.T) {
	t.Parallel()
	testenv.RequireTools(t, "createrepo_c", "modifyrepo_c")
	ctx := context.Background()
	hub := kojitest.New(t)
	kc, err := koji.NewClient(hub.URL(), koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(err)
	check(kc.Login(ctx))
	check(kc.AddBType(ctx, "module"))
	check(kc.GrantCGAccess(ctx, koji.Name(kojitest.AdminUser), "module-build-service", true))
	bs := bodhitest.New(kc)
	t.Cleanup(bs.Close)
	for _, s := range []string{"", "-override", "-signing-pending", "-updates", "-updates-candidate", "-updates-pending", "-updates-testing", "-updates-testing-pending"} {
		_, err := kc.CreateTag(ctx, "f27-modular"+s, nil)
		check(err)
	}
	admin, _ := bodhi.NewClient(bs.URL, bodhi.WithSessionCookie(bs.Cookie(bodhitest.AdminUser)))
	_, err = admin.SaveRelease(ctx, &bodhi.ReleaseInput{Name: "F27M", LongName: "Fedora 27 Modular", Version: "27", Branch: "f27m",
		IDPrefix: "FEDORA-MODULAR", DistTag: "f27-modular", StableTag: "f27-modular-updates", TestingTag: "f27-modular-updates-testing",
		CandidateTag: "f27-modular-updates-candidate", PendingSigningTag: "f27-modular-signing-pending",
		PendingTestingTag: "f27-modular-updates-testing-pending", PendingStableTag: "f27-modular-updates-pending",
		OverrideTag: "f27-modular-override", State: "current"})
	check(err)
	md := "document: modulemd\nversion: 2\ndata:\n  name: nodejs\n  stream: \"8\"\n  version: 20171101000000\n  context: c0ffee42\n  arch: x86_64\n  summary: s\n  description: d.\n  license:\n    module: [MIT]\n"
	b, err := kc.ImportModuleBuild(ctx, &koji.ModuleImport{Name: "nodejs", Stream: "8", Version: 20171101000000, Context: "c0ffee42",
		Owner: kojitest.AdminUser, Start: time.Unix(1509494400, 0), End: time.Unix(1509498000, 0), Modulemd: md}, "mbs/1", nil)
	check(err)
	check(kc.AddPackage(ctx, koji.Name("f27-modular-updates-candidate"), "nodejs", &koji.AddPackageOptions{Owner: kojitest.AdminUser}))
	check(kc.TagBuildBypass(ctx, koji.Name("f27-modular-updates-candidate"), koji.ID(b.ID), false))
	pkgr, _ := bodhi.NewClient(bs.URL, bodhi.WithSessionCookie(bs.Cookie(bodhitest.PackagerUser)))
	res, err := pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{Builds: []string{b.NVR}, Notes: "nodejs 8", Type: "enhancement"})
	check(err)

	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	check(os.WriteFile(pw, []byte(kojitest.AdminPassword+"\n"), 0o600))
	repo := filepath.Join(dir, "repo")
	var stdout, stderr bytes.Buffer
	err = run(ctx, []string{"updates", "push", "--bodhi", bs.URL, "--koji-hub", hub.URL(), "--koji-user", kojitest.AdminUser,
		"--koji-password-file", pw, "--release", "F27M", "--request", "testing", "--repo", repo, "--no-rpms", "--json"}, nil, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var out struct {
		Updates    []string `json:"updates"`
		Modules    []string `json:"modules"`
		Advisories int      `json:"advisories"`
	}
	check(json.Unmarshal(stdout.Bytes(), &out))
	if fmt.Sprint(out.Updates) != "["+res.Updates[0].Alias+"]" || fmt.Sprint(out.Modules) != "[nodejs:8:20171101000000:c0ffee42]" || out.Advisories != 1 {
		t.Errorf("output = %+v\nstderr:\n%s", out, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(repo, "repodata", "repomd.xml")); err != nil {
		t.Error(err)
	}
	if err := run(ctx, []string{"updates", "push", "--bodhi", bs.URL, "--koji-hub", hub.URL(), "--release", "F27M", "--request", "sideways", "--repo", repo}, nil, &stdout, &stderr); exitCode(err, &stderr) != 2 {
		t.Errorf("bad --request: %v", err)
	}
}
