package kojibuild_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/kojibuild"
	"github.com/modkit/modkit/resolver"
)

// realHub returns the hub of KOJI_HUB_URL (koji-hub up --with-builder),
// prepared like newKojitest's; it skips (fails under
// MODKIT_REQUIRE_TOOLS=1) without one.
func realHub(t *testing.T) *hubEnv {
	t.Helper()
	url := os.Getenv("KOJI_HUB_URL")
	if url == "" || os.Getenv("KOJI_BUILDER_HOST") == "" {
		testenv.SkipOrFatal(t, "no koji hub with a builder: start one with eval \"$(../shared/tools/koji-hub up --with-builder)\" (KOJI_HUB_URL, KOJI_BUILDER_HOST)")
	}
	testenv.RequireTools(t, "rpmbuild")
	h := &hubEnv{url: url, admin: koji.PasswordAuth{User: os.Getenv("KOJI_ADMIN"), Password: os.Getenv("KOJI_ADMIN_PASSWORD")}}
	h.setup(t)
	return h
}

// rpmBuild makes the source and binary RPMs of spec with rpmbuild -ba.
func rpmBuild(t *testing.T, spec string) []string {
	t.Helper()
	top := t.TempDir()
	path := filepath.Join(top, "p.spec")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("rpmbuild", "-ba", "--define", "_topdir "+top, "--define", "_build_id_links none", path).CombinedOutput()
	if err != nil {
		t.Fatalf("rpmbuild: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(top, "*RPMS", "*", "*.rpm"))
	srpms, _ := filepath.Glob(filepath.Join(top, "SRPMS", "*.rpm"))
	return append(files, srpms...)
}

func componentSpec(name, release string) string {
	return fmt.Sprintf(`Name: %[1]s
Version: 1.0
Release: %[2]s
Summary: Test component %[1]s
License: MIT
%%description
Test component.
%%prep
%%build
%%install
mkdir -p %%{buildroot}/usr/share/%[1]s
echo %[1]s > %%{buildroot}/usr/share/%[1]s/file
%%files
/usr/share/%[1]s/file
`, name, release)
}

// importRPMBuild imports RPMs made locally as a content-generator RPM
// build: the hub then has the build as if koji had built it.
func importRPMBuild(t *testing.T, c *koji.Client, name, release string, files []string) *koji.Build {
	t.Helper()
	ctx := context.Background()
	version := "1.0"
	for _, f := range files {
		if nvr, ok := strings.CutSuffix(filepath.Base(f), ".src.rpm"); ok {
			nvr = strings.TrimSuffix(nvr, "-"+release)
			version = nvr[strings.LastIndex(nvr, "-")+1:]
		}
	}
	dir := "modkit-test/" + name + "-" + unique()
	md := &koji.CGMetadata{
		Build: koji.CGBuild{Name: name, Version: version, Release: release, Source: "https://git.example.com/rpms/" + name + "#0",
			StartTime: time.Now().Unix() - 10, EndTime: time.Now().Unix(), Extra: map[string]any{}},
		Buildroots: []koji.CGBuildroot{{ID: 1, Host: koji.CGHost{OS: "linux", Arch: "x86_64"},
			ContentGenerator: koji.CGTool{Name: "module-build-service", Version: "test"},
			Container:        koji.CGContainer{Type: "none", Arch: "x86_64"}, Tools: []koji.CGTool{}, Components: []koji.CGComponent{}}},
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Upload(ctx, strings.NewReader(string(data)), dir, filepath.Base(f), nil); err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(data)
		arch := strings.TrimSuffix(filepath.Base(f), ".rpm")
		arch = arch[strings.LastIndex(arch, ".")+1:]
		md.Output = append(md.Output, koji.CGOutput{BuildrootID: 1, Filename: filepath.Base(f), Filesize: int64(len(data)),
			Arch: arch, Checksum: hex.EncodeToString(sum[:]), ChecksumType: "md5", Type: "rpm"})
	}
	b, err := c.CGImport(ctx, md, dir, nil)
	if err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
	return b
}

// TestRealHub drives the koji builder against a real koji 1.35.3 hub for
// everything but the compile itself: component builds are imported (as if
// koji had built them) and adopted by Submit through its search for builds
// with the module's dist tag; the batch ends run real tagBuild and newRepo
// tasks in kojid; the module is imported as a CG build; then garbage
// collection. Everything is read back from the hub.
func TestRealHub(t *testing.T) {
	t.Parallel()
	h := realHub(t)
	ctx := context.Background()
	c := h.client(t)
	name := "kbreal" + unique()
	st := &modulemd.Stream{
		MDVersionNumber: 2, Name: name, Stream: "1", Version: 20250101000000, Context: "c0ffee00",
		Summary: "s", Description: "d", License: modulemd.License{Module: []string{"MIT"}},
		Dependencies: []modulemd.Dependency{{BuildRequires: map[string][]string{"platform": {h.stream}}, Requires: map[string][]string{"platform": {h.stream}}}},
		Filter:       []string{"hidden"},
		Components: modulemd.Components{RPMs: map[string]*modulemd.RPMComponent{
			"first": {Name: "first", Rationale: "r", BuildOrder: 0}, "second": {Name: "second", Rationale: "r", BuildOrder: 1},
			"hidden": {Name: "hidden", Rationale: "r", BuildOrder: 1}, "reused": {Name: "reused", Rationale: "r", BuildOrder: 1},
		}},
		XMD: modulemd.MustXMD(map[string]any{"mbs": map[string]any{"buildrequires": map[string]any{
			"platform": map[string]any{"stream": h.stream, "version": "1", "context": "00000000", "koji_tag": h.platform}}}}),
	}
	y, err := modulemd.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	mb := &orchestrator.ModuleBuild{ID: int64(1000 + time.Now().UnixNano()%100000), Name: name, Stream: "1", Version: "20250101000000",
		Context: "c0ffee00", Modulemd: string(y), SCMURL: "https://git.example.com/modules/" + name + "#x", Owner: "tester",
		TimeSubmitted: time.Now(), State: orchestrator.StateBuild}
	mb.DistTag = orchestrator.DistTag("module+", h.stream, mb.ID, mb.Name, mb.Stream, mb.Version, mb.Context)
	n := kojibuild.NamesOf(mb)
	kc, err := koji.NewClient(h.url, koji.WithAuth(h.admin), koji.WithPollInterval(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var clk clock
	var logs []string
	kb, err := kojibuild.New(&kojibuild.Options{Client: kc, Source: resolver.NewSource([]*modulemd.Stream{h.platformStream()}),
		CandidateTag: "{}-modular-updates-candidate", PollInterval: 200 * time.Millisecond, RepoTimeout: 3 * time.Minute,
		WorkDir: t.TempDir(), Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	kb.SetBuildLog(func(ctx context.Context, moduleID, componentID int64, level slog.Level, msg string) {
		logs = append(logs, msg)
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("builder log:\n%s", strings.Join(logs, "\n"))
		}
	})

	// Setup, twice (the second run finds everything in place).
	for range 2 {
		if err := kb.Prepare(ctx, mb, st); err != nil {
			t.Fatal(err)
		}
	}
	for _, tag := range []string{n.Tag, n.BuildTag} {
		tg, err := c.GetTag(ctx, koji.Name(tag), nil)
		if err != nil {
			t.Fatal(err)
		}
		if tg.Arches != "x86_64" || tg.Extra["mock.package_manager"] != "dnf" || tg.Extra["repo_include_all"] != true {
			t.Errorf("tag %s: arches %q extra %v", tag, tg.Arches, tg.Extra)
		}
		pkgs, err := c.ListPackages(ctx, &koji.ListPackagesOptions{Tag: koji.Name(tag)})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range pkgs {
			names = append(names, p.PackageName)
		}
		slices.Sort(names)
		want := []string{"first", "hidden", "reused", "second"}
		if tag == n.BuildTag {
			want = []string{"first", "hidden", "module-build-macros", "reused", "second"}
		}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("packages of %s (-want +got):\n%s", tag, diff)
		}
	}
	links, err := c.GetInheritanceData(ctx, koji.Name(n.BuildTag), nil)
	if err != nil || len(links) != 1 || links[0].Name != h.platform || links[0].Priority != 0 {
		t.Errorf("inheritance of %s: %+v, %v", n.BuildTag, links, err)
	}
	groups, err := c.ListGroups(ctx, koji.Name(n.BuildTag), &koji.ListGroupsOptions{NoInherit: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, g := range groups {
		for _, p := range g.Packages {
			got[g.Name] = append(got[g.Name], p.Package)
		}
		slices.Sort(got[g.Name])
	}
	if diff := cmp.Diff(map[string][]string{"build": {"bash", "rpm-build"}, "srpm-build": {"bash", "fedpkg-minimal", "rpm-build"}}, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if tg, err := c.GetTarget(ctx, koji.Name(n.Target), nil); err != nil || tg.BuildTagName != n.BuildTag || tg.DestTagName != n.Tag {
		t.Errorf("target: %+v, %v", tg, err)
	}

	// The builds, "built" by importing them; Submit adopts each.
	release := "1" + mb.DistTag
	macros := &orchestrator.ComponentBuild{ID: 1, Package: orchestrator.MacrosPackage, Batch: 1, BuildTimeOnly: true}
	importRPMBuild(t, c, orchestrator.MacrosPackage, release, rpmBuild(t, orchestrator.MacrosSpec(mb, st, nil)))
	var comps []*orchestrator.ComponentBuild
	for i, p := range []string{"first", "second", "hidden"} {
		importRPMBuild(t, c, p, release, rpmBuild(t, componentSpec(p, release)))
		comps = append(comps, &orchestrator.ComponentBuild{ID: int64(2 + i), Package: p, Batch: 2 + min(i, 1)})
	}
	// reused was built by an earlier module build (another dist tag).
	oldRelease := "1.module+old" + unique()
	old := importRPMBuild(t, c, "reused", oldRelease, rpmBuild(t, componentSpec("reused", oldRelease)))
	complete := orchestrator.ComponentComplete
	reused := &orchestrator.ComponentBuild{ID: 9, Package: "reused", Batch: 3, NVR: old.NVR, ReusedComponentID: 99, State: &complete}

	run := func(batch []*orchestrator.ComponentBuild) {
		t.Helper()
		for _, comp := range batch {
			task, err := kb.Submit(ctx, mb, comp)
			if err != nil {
				t.Fatal(err)
			}
			comp.TaskID = task
		}
		res, errs := kb.PollBatch(ctx, mb, batch)
		for i, comp := range batch {
			if errs[i] != nil || res[i].State != orchestrator.ComponentComplete {
				t.Fatalf("poll %s: %+v, %v", comp.Package, res[i], errs[i])
			}
			comp.NVR, comp.RPMs, comp.State = res[i].NVR, res[i].RPMs, &complete
		}
	}
	run([]*orchestrator.ComponentBuild{macros})
	if !strings.HasPrefix(macros.TaskID, "build:") {
		t.Errorf("macros task id %q: want the adopted build", macros.TaskID)
	}
	if err := kb.FinishBatch(ctx, mb, 1, []*orchestrator.ComponentBuild{macros}); err != nil {
		t.Fatal(err)
	}
	run(comps[:1])
	if err := kb.FinishBatch(ctx, mb, 2, comps[:1]); err != nil {
		t.Fatal(err)
	}
	run(comps[1:])
	built := append(slices.Clone(comps), reused)
	final := st.Clone()
	final.XMD = modulemd.XMD{}
	pub, err := kb.Finalize(ctx, mb, final, built)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kb.Finalize(ctx, mb, final, built); err != nil { // "Build already exists" is fine
		t.Fatalf("second Finalize: %v", err)
	}

	// Read back: tagging, the repo, the CG build.
	tagged := func(tag string) []string {
		l, err := c.ListTagged(ctx, koji.Name(tag), nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, b := range l {
			out = append(out, b.Name)
		}
		slices.Sort(out)
		return out
	}
	if diff := cmp.Diff([]string{"first", "hidden", "module-build-macros", "reused", "second"}, tagged(n.BuildTag)); diff != "" {
		t.Errorf("builds in %s (-want +got):\n%s", n.BuildTag, diff)
	}
	if diff := cmp.Diff([]string{"first", "hidden", "reused", "second"}, tagged(n.Tag)); diff != "" {
		t.Errorf("builds in %s (-want +got):\n%s", n.Tag, diff)
	}
	repo, err := c.GetRepo(ctx, koji.Name(n.BuildTag), nil)
	if err != nil {
		t.Fatalf("repo of %s: %v", n.BuildTag, err)
	}
	if l, err := c.ListTagged(ctx, koji.Name(n.BuildTag), &koji.ListTaggedOptions{Event: repo.CreateEvent}); err != nil || len(l) != 2 {
		t.Errorf("the newest repo of %s (batch 2) holds %d builds, want macros and first (%v)", n.BuildTag, len(l), err)
	}
	cg, err := c.GetBuild(ctx, koji.ID(pub.KojiBuildID))
	if err != nil {
		t.Fatal(err)
	}
	if info := cg.ModuleInfo(); info == nil || info.ContentKojiTag != n.Tag || info.ModuleBuildServiceID != mb.ID {
		t.Errorf("CG build typeinfo %+v", cg.ModuleInfo())
	} else if docs, err := modulemd.Parse([]byte(info.ModulemdStr)); err != nil || len(docs) != 1 ||
		!slices.Equal(docs[0].(*modulemd.Stream).License.Content, []string{"MIT"}) {
		t.Errorf("final modulemd: licences from the RPM headers missing (%v):\n%s", err, info.ModulemdStr)
	}
	archives, err := c.ListArchives(ctx, &koji.ListArchivesOptions{BuildID: cg.ID})
	if err != nil {
		t.Fatal(err)
	}
	var attached []string
	for _, a := range archives {
		if a.Filename != "modulemd.x86_64.txt" {
			continue
		}
		l, err := c.ListRPMs(ctx, &koji.ListRPMsOptions{ImageID: a.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l {
			attached = append(attached, r.Name+"."+r.Arch)
		}
	}
	slices.Sort(attached)
	want := []string{"first.src", "first.x86_64", "hidden.src", "reused.src", "reused.x86_64", "second.src", "second.x86_64"}
	if diff := cmp.Diff(want, attached); diff != "" {
		t.Errorf("RPMs attached to modulemd.x86_64.txt (-want +got):\n%s", diff)
	}
	devel, err := c.GetBuild(ctx, koji.Name(name+"-devel-1-20250101000000.c0ffee00"))
	if err != nil {
		t.Errorf("-devel module: %v", err)
	} else if devel.ModuleInfo() == nil {
		t.Errorf("-devel build has no module typeinfo")
	}
	tags, err := c.ListTags(ctx, &koji.ListTagsOptions{Build: koji.ID(cg.ID)})
	if err != nil || !slices.ContainsFunc(tags, func(tg koji.Tag) bool { return tg.Name == h.stream+"-modular-updates-candidate" }) {
		t.Errorf("CG build tags %v (%v) lack the candidate tag", tags, err)
	}

	// Garbage collection: the target after the grace period, and the
	// components of the build as if it had failed long ago.
	mb.State, mb.TimeCompleted = orchestrator.StateReady, time.Now()
	find := func(ctx context.Context, tag string) (*orchestrator.ModuleBuild, error) {
		if tag == n.Tag {
			return mb, nil
		}
		return nil, orchestrator.ErrNotFound
	}
	if err := kb.Sweep(ctx, find); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetTarget(ctx, koji.Name(n.Target), nil); err != nil {
		t.Fatalf("target deleted within the grace period: %v", err)
	}
	clk.advance(25 * time.Hour)
	if err := kb.Sweep(ctx, find); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetTarget(ctx, koji.Name(n.Target), nil); err == nil {
		t.Errorf("target %s still exists 25 h after completion", n.Target)
	}
	if err := kb.Garbage(ctx, mb, built); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"module-build-macros", "reused"}, tagged(n.BuildTag)); diff != "" {
		t.Errorf("after garbage collection, %s (-want +got):\n%s", n.BuildTag, diff)
	}
	if _, err := c.GetTag(ctx, koji.Name(n.Tag), nil); err != nil {
		t.Errorf("tag %s: %v (tags are never deleted)", n.Tag, err)
	}
	debug := strings.Join(logs, "\n")
	for _, w := range []string{"koji multicall getTag(", "tagBuild(", "newRepo(", "waitRepo(", "CGImport of "} {
		if !strings.Contains(debug, w) {
			t.Errorf("builder log lacks %q", w)
		}
	}
}
