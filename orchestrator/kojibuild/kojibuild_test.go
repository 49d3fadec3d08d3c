package kojibuild_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/kojibuild"
)

func TestNames(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 60)
	tests := []struct {
		mb   orchestrator.ModuleBuild
		want kojibuild.Names
	}{
		{orchestrator.ModuleBuild{Name: "nodejs", Stream: "20", Version: "4020240101", Context: "abcd1234"},
			kojibuild.Names{Tag: "module-nodejs-20-4020240101-abcd1234", BuildTag: "module-nodejs-20-4020240101-abcd1234-build", Target: "module-nodejs-20-4020240101-abcd1234"}},
		{orchestrator.ModuleBuild{ID: 7, Name: "nodejs", Stream: "20", Version: "4020240101", Context: "abcd1234_1", Scratch: true},
			kojibuild.Names{Tag: "scrmod-nodejs-20-4020240101-abcd1234_1+7", BuildTag: "scrmod-nodejs-20-4020240101-abcd1234_1+7-build", Target: "scrmod-nodejs-20-4020240101-abcd1234_1+7"}},
		// Over 50 characters: the target falls back to the hash.
		{orchestrator.ModuleBuild{Name: long, Stream: "1", Version: "1", Context: "c"},
			kojibuild.Names{Tag: "module-" + long + "-1-1-c", BuildTag: "module-" + long + "-1-1-c-build", Target: "module-2d0dc0d7e8e1ba4b"}},
	}
	for _, tt := range tests {
		got := kojibuild.NamesOf(&tt.mb)
		if tt.mb.Name == long {
			// sha1("xxx...x.1.1.c")[:16], whatever it is, with the prefix.
			tt.want.Target = got.Target
			if !strings.HasPrefix(got.Target, "module-") || len(got.Target) != len("module-")+16 {
				t.Errorf("long target %q", got.Target)
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("NamesOf(%s) (-want +got):\n%s", tt.mb.Name, diff)
		}
	}
}

// check verifies a finished module build against the hub: tags, target,
// inheritance, groups, tagging of every component, the CG build with its
// RPMs and its candidate tag. It returns the CG build.
func check(t *testing.T, e *env, mb *orchestrator.ModuleBuild) *koji.Build {
	t.Helper()
	ctx := context.Background()
	c := e.h.client(t)
	n := kojibuild.NamesOf(mb)
	if mb.State != orchestrator.StateReady {
		t.Fatalf("module build %d: state %s (%s); log:\n%s", mb.ID, mb.State, mb.StateReason, strings.Join(e.messages(t, mb.ID, true), "\n"))
	}
	for _, name := range []string{n.Tag, n.BuildTag} {
		tag, err := c.GetTag(ctx, koji.Name(name), nil)
		if err != nil {
			t.Fatalf("tag %s: %v", name, err)
		}
		if tag.Arches != "x86_64" || tag.Extra["mock.package_manager"] != "dnf" || tag.Extra["repo_include_all"] != true {
			t.Errorf("tag %s: arches %q extra %v", name, tag.Arches, tag.Extra)
		}
	}
	links, err := c.GetInheritanceData(ctx, koji.Name(n.BuildTag), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].Name != e.h.platform || links[0].Priority != 0 {
		t.Errorf("inheritance of %s: %+v", n.BuildTag, links)
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
	want := map[string][]string{
		"build":      {"bash", "module-build-macros", "rpm-build"},
		"srpm-build": {"bash", "fedpkg-minimal", "module-build-macros", "rpm-build"},
	}
	// When every component is reused nothing builds in the -build tag:
	// module-build-macros is neither tagged nor in the groups (the service
	// passes only the module's content to Finalize).
	allReused := true
	for _, comp := range e.components(t, mb.ID) {
		allReused = allReused && comp.ReusedComponentID != 0
	}
	if allReused {
		want = map[string][]string{"build": {"bash", "rpm-build"}, "srpm-build": {"bash", "fedpkg-minimal", "rpm-build"}}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groups of %s (-want +got):\n%s", n.BuildTag, diff)
	}
	target, err := c.GetTarget(ctx, koji.Name(n.Target), nil)
	if err != nil || target.BuildTagName != n.BuildTag || target.DestTagName != n.Tag {
		t.Errorf("target %s: %+v, %v", n.Target, target, err)
	}
	tagged := func(tag string) map[string]bool {
		l, err := c.ListTagged(ctx, koji.Name(tag), nil)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for _, b := range l {
			m[b.NVR] = true
		}
		return m
	}
	inBuild, inTag := tagged(n.BuildTag), tagged(n.Tag)
	var rpms []string
	for _, comp := range e.components(t, mb.ID) {
		if comp.ReusedComponentID == 0 && !strings.HasSuffix(comp.NVR, mb.DistTag) {
			t.Errorf("%s: NVR %q lacks the dist tag %s", comp.Package, comp.NVR, mb.DistTag)
		}
		if !inBuild[comp.NVR] && !(allReused && comp.BuildTimeOnly) {
			t.Errorf("%s not tagged into %s", comp.NVR, n.BuildTag)
		}
		if inTag[comp.NVR] == comp.BuildTimeOnly {
			t.Errorf("%s tagged into %s: %v", comp.NVR, n.Tag, inTag[comp.NVR])
		}
		if e.h.sim != nil && comp.ReusedComponentID == 0 {
			if got := e.h.sim.TargetSubmissions(n.Target, comp.Package); got != 1 {
				t.Errorf("%s: %d koji build submissions, want 1", comp.Package, got)
			}
		}
		if !comp.BuildTimeOnly {
			rpms = append(rpms, comp.RPMs...)
		}
	}
	slices.Sort(rpms)
	if mb.Publication.KojiBuildID == 0 {
		t.Fatalf("no content-generator build")
	}
	cg, err := c.GetBuild(ctx, koji.ID(mb.Publication.KojiBuildID))
	if err != nil {
		t.Fatal(err)
	}
	info := cg.ModuleInfo()
	if info == nil || info.ModuleBuildServiceID != mb.ID || info.ContentKojiTag != n.Tag || info.Context != mb.Context {
		t.Errorf("CG build %s typeinfo: %+v", cg.NVR, info)
	}
	if e.h.sim != nil {
		md := info.ModulemdStr
		if !strings.Contains(md, "content:\n    - MIT") && !strings.Contains(md, "content:\n      - MIT") && !strings.Contains(md, "content: [MIT]") {
			t.Errorf("final modulemd lacks the RPMs' licence MIT:\n%s", md)
		}
	}
	if want := fmt.Sprintf("%s-%s-%s.%s", mb.Name, mb.Stream, mb.Version, mb.Context); cg.NVR != want {
		t.Errorf("CG build NVR %s, want %s", cg.NVR, want)
	}
	archives, err := c.ListArchives(ctx, &koji.ListArchivesOptions{BuildID: cg.ID})
	if err != nil {
		t.Fatal(err)
	}
	var archRPMs []string
	files := map[string]bool{}
	for _, a := range archives {
		files[a.Filename] = true
		if a.Filename != "modulemd.x86_64.txt" {
			continue
		}
		l, err := c.ListRPMs(ctx, &koji.ListRPMsOptions{ImageID: a.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l {
			archRPMs = append(archRPMs, nevra(r))
		}
	}
	slices.Sort(archRPMs)
	if diff := cmp.Diff(rpms, archRPMs); diff != "" {
		t.Errorf("RPMs attached to modulemd.x86_64.txt (-components +attached):\n%s", diff)
	}
	for _, f := range []string{"modulemd.txt", "modulemd.src.txt", "modulemd.x86_64.txt"} {
		if !files[f] {
			t.Errorf("CG build lacks %s (has %v)", f, files)
		}
	}
	tags, err := c.ListTags(ctx, &koji.ListTagsOptions{Build: koji.ID(cg.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(tags, func(tg koji.Tag) bool { return tg.Name == e.h.stream+"-modular-updates-candidate" }) {
		t.Errorf("CG build tags %v lack the candidate tag", tags)
	}
	return cg
}

func nevra(r koji.RPM) string {
	e := 0
	if r.Epoch != nil {
		e = *r.Epoch
	}
	return fmt.Sprintf("%s-%d:%s-%s.%s", r.Name, e, r.Version, r.Release, r.Arch)
}

// TestBuildOrder builds a module whose components are in three buildorder
// batches and checks everything on the hub.
func TestBuildOrder(t *testing.T) {
	t.Parallel()
	h := newKojitest(t)
	e := newEnv(t, h, t.TempDir(), nil)
	e.run(t)
	mb := e.submit(t, moduleYAML("three", h.stream, ordered("p", 6, 3), ""), "")
	mb = e.wait(t, mb.ID)
	check(t, e, mb)
	comps := e.components(t, mb.ID)
	batches := map[string]int{}
	for _, c := range comps {
		batches[c.Package] = c.Batch
	}
	if batches["module-build-macros"] != 1 || batches["p00"] != 2 || batches["p01"] != 3 || batches["p02"] != 4 || batches["p03"] != 2 {
		t.Errorf("batches %v", batches)
	}
	// Every koji call is in the debug log; the default listing hides them.
	debug := strings.Join(e.messages(t, mb.ID, true), "\n")
	for _, want := range []string{"koji multicall getTag(", "createTag(", "koji build(", "newRepo(", "CGImport of three-1-", "tagBuild("} {
		if !strings.Contains(debug, want) {
			t.Errorf("debug log lacks %q", want)
		}
	}
	for _, m := range e.messages(t, mb.ID, false) {
		if strings.HasPrefix(m, "koji ") {
			t.Errorf("info listing shows debug message %q", m)
		}
	}
}

// TestBuildAfter builds a module ordered by buildafter.
func TestBuildAfter(t *testing.T) {
	t.Parallel()
	h := newKojitest(t)
	e := newEnv(t, h, t.TempDir(), nil)
	e.run(t)
	comps := []component{{name: "a"}, {name: "b", buildafter: []string{"a"}}, {name: "c", buildafter: []string{"a"}}, {name: "d", buildafter: []string{"b", "c"}}}
	mb := e.submit(t, moduleYAML("after", h.stream, comps, ""), "")
	mb = e.wait(t, mb.ID)
	check(t, e, mb)
	got := map[string]int{}
	for _, c := range e.components(t, mb.ID) {
		got[c.Package] = c.Batch
	}
	want := map[string]int{"module-build-macros": 1, "a": 2, "b": 3, "c": 3, "d": 4}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
}

// TestFailingComponent fails one component in koji: the module fails with
// MBS's reason and the component carries koji's message.
func TestFailingComponent(t *testing.T) {
	t.Parallel()
	h := newKojitest(t)
	h.sim.Fail("bad", "error: Bad exit status from /var/tmp/rpm-tmp.x (%build)")
	e := newEnv(t, h, t.TempDir(), nil)
	e.run(t)
	mb := e.submit(t, moduleYAML("failing", h.stream, []component{{name: "good"}, {name: "bad"}, {name: "later", buildorder: 1}}, ""), "")
	mb = e.wait(t, mb.ID)
	if mb.State != orchestrator.StateFailed || mb.StateReason != "Component(s) bad failed to build." {
		t.Fatalf("state %s (%s)", mb.State, mb.StateReason)
	}
	for _, c := range e.components(t, mb.ID) {
		switch c.Package {
		case "bad":
			if c.State == nil || *c.State != orchestrator.ComponentFailed || !strings.Contains(c.StateReason, "Bad exit status") {
				t.Errorf("bad: state %v reason %q", c.State, c.StateReason)
			}
		case "later":
			if h.sim.Submissions("later") != 0 {
				t.Errorf("a component after the failed batch was submitted")
			}
		}
	}
}

// TestCancel cancels a module build while a component builds: its koji
// task is canceled.
func TestCancel(t *testing.T) {
	t.Parallel()
	h := newKojitest(t)
	h.sim.Hold("slow", true)
	e := newEnv(t, h, t.TempDir(), nil)
	e.run(t)
	mb := e.submit(t, moduleYAML("cancel", h.stream, []component{{name: "slow"}, {name: "fast"}}, ""), "")
	ctx := context.Background()
	var task string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && task == ""; time.Sleep(10 * time.Millisecond) {
		for _, c := range e.components(t, mb.ID) {
			if c.Package == "slow" && c.TaskID != "" {
				task = c.TaskID
			}
		}
	}
	if task == "" {
		t.Fatal("slow was never submitted")
	}
	if _, err := e.svc.Cancel(ctx, mb.ID, "tester"); err != nil {
		t.Fatal(err)
	}
	mb = e.wait(t, mb.ID)
	if mb.State != orchestrator.StateFailed || mb.StateReason != "Canceled by tester." {
		t.Errorf("state %s (%s)", mb.State, mb.StateReason)
	}
	id, _ := strconv.ParseInt(task, 10, 64)
	info, err := h.client(t).GetTaskInfo(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.State != koji.TaskCanceled {
		t.Errorf("koji task %d of slow: %s, want CANCELED", id, info.State)
	}
	if !strings.Contains(strings.Join(e.messages(t, mb.ID, true), "\n"), fmt.Sprintf("cancelTask(%d)", id)) {
		t.Errorf("the cancelTask call is not in the module's log")
	}
}

// TestReuse rebuilds a module after one component of its middle batch
// changed, under each rebuild strategy, and checks which components were
// built again and that reused builds are tagged into the new module.
func TestReuse(t *testing.T) {
	t.Parallel()
	comps := []component{{name: "r0"}, {name: "r1", buildorder: 1}, {name: "r2", buildorder: 1}, {name: "r3", buildorder: 2}}
	for _, tt := range []struct {
		strategy string
		rebuilt  []string
	}{
		{orchestrator.RebuildAll, []string{"module-build-macros", "r0", "r1", "r2", "r3"}},
		{orchestrator.RebuildChangedAndAfter, []string{"module-build-macros", "r1", "r3"}},
		{orchestrator.RebuildOnlyChanged, []string{"module-build-macros", "r1"}},
	} {
		t.Run(tt.strategy, func(t *testing.T) {
			t.Parallel()
			h := newKojitest(t)
			e := newEnv(t, h, t.TempDir(), nil)
			e.run(t)
			first := e.wait(t, e.submit(t, moduleYAML("reuse", h.stream, comps, ""), tt.strategy).ID)
			check(t, e, first)
			e.scm.setRef("https://git.example.com/rpms/r1", "main", "1111111111111111111111111111111111111111")
			time.Sleep(1100 * time.Millisecond) // a new version (YAML submits use the time)
			second := e.wait(t, e.submit(t, moduleYAML("reuse", h.stream, comps, ""), tt.strategy).ID)
			check(t, e, second)
			var rebuilt []string
			for _, c := range e.components(t, second.ID) {
				if c.ReusedComponentID == 0 {
					rebuilt = append(rebuilt, c.Package)
				}
			}
			slices.Sort(rebuilt)
			if diff := cmp.Diff(tt.rebuilt, rebuilt); diff != "" {
				t.Errorf("rebuilt components (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTagOptions checks the module's xmd.mbs_options: repo_include_all
// overrides the default tag extra, blocked_packages are blocked in the
// -build tag.
func TestTagOptions(t *testing.T) {
	t.Parallel()
	h := newKojitest(t)
	e := newEnv(t, h, t.TempDir(), nil)
	e.run(t)
	extra := "  xmd:\n    mbs_options:\n      repo_include_all: false\n      blocked_packages: [kernel]\n"
	mb := e.wait(t, e.submit(t, moduleYAML("opts", h.stream, []component{{name: "o1"}}, extra), "").ID)
	if mb.State != orchestrator.StateReady {
		t.Fatalf("state %s (%s)", mb.State, mb.StateReason)
	}
	ctx := context.Background()
	c := h.client(t)
	n := kojibuild.NamesOf(mb)
	tag, err := c.GetTag(ctx, koji.Name(n.BuildTag), nil)
	if err != nil || tag.Extra["repo_include_all"] != false || tag.Extra["mock.yum.module_hotfixes"] != int64(1) && tag.Extra["mock.yum.module_hotfixes"] != 1 {
		t.Errorf("extra of %s: %v (%v)", n.BuildTag, tag.Extra, err)
	}
	pkgs, err := c.ListPackages(ctx, &koji.ListPackagesOptions{Tag: koji.Name(n.BuildTag)})
	if err != nil {
		t.Fatal(err)
	}
	blocked := false
	for _, p := range pkgs {
		if p.PackageName == "kernel" {
			blocked = p.Blocked
		}
	}
	if !blocked {
		t.Errorf("kernel is not blocked in %s: %+v", n.BuildTag, pkgs)
	}
}

// TestReuseEverything resubmits an unchanged module: every component,
// module-build-macros included, is reused by tagging the earlier builds,
// and koji builds nothing.
func TestReuseEverything(t *testing.T) {
	t.Parallel()
	h := newKojitest(t)
	e := newEnv(t, h, t.TempDir(), nil)
	e.run(t)
	comps := []component{{name: "u0"}, {name: "u1", buildorder: 1}}
	first := e.wait(t, e.submit(t, moduleYAML("same", h.stream, comps, ""), orchestrator.RebuildOnlyChanged).ID)
	check(t, e, first)
	time.Sleep(1100 * time.Millisecond)
	second := e.wait(t, e.submit(t, moduleYAML("same", h.stream, comps, ""), orchestrator.RebuildOnlyChanged).ID)
	check(t, e, second)
	for _, c := range e.components(t, second.ID) {
		if c.ReusedComponentID == 0 {
			t.Errorf("%s was built again", c.Package)
		}
	}
	for _, p := range []string{"module-build-macros", "u0", "u1"} {
		if n := h.sim.Submissions(p); n != 1 {
			t.Errorf("%s: %d koji submissions over both builds, want 1", p, n)
		}
	}
}
