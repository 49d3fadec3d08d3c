package orchestrator_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
)

func submit(t *testing.T, e *env, yaml string, mod func(*orchestrator.SubmitRequest)) []*orchestrator.ModuleBuild {
	t.Helper()
	req := &orchestrator.SubmitRequest{Modulemd: []byte(yaml), Owner: "alice"}
	if mod != nil {
		mod(req)
	}
	mbs, err := e.svc.Submit(context.Background(), req)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return mbs
}

func components(t *testing.T, e *env, id int64) map[string]*orchestrator.ComponentBuild {
	t.Helper()
	comps, _, err := e.svc.Components(context.Background(), &orchestrator.ComponentBuildFilter{ModuleID: id})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*orchestrator.ComponentBuild{}
	for _, c := range comps {
		out[c.Package] = c
	}
	return out
}

func traceStates(t *testing.T, e *env, id int64) []string {
	t.Helper()
	var out []string
	err := e.store.View(context.Background(), func(tx orchestrator.Tx) error {
		tr, err := tx.ModuleTraces(context.Background(), id)
		for _, x := range tr {
			out = append(out, x.State.String())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func messages(t *testing.T, e *env, id int64) []string {
	t.Helper()
	msgs, _, err := e.svc.Messages(context.Background(), &orchestrator.LogMessageFilter{ModuleID: id})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, m.Message)
	}
	slices.Reverse(out)
	return out
}

func TestCanTransition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to orchestrator.ModuleState
		want     bool
	}{
		{orchestrator.StateInit, orchestrator.StateWait, true},
		{orchestrator.StateInit, orchestrator.StateFailed, true},
		{orchestrator.StateInit, orchestrator.StateBuild, false},
		{orchestrator.StateWait, orchestrator.StateBuild, true},
		{orchestrator.StateBuild, orchestrator.StateDone, true},
		{orchestrator.StateBuild, orchestrator.StateReady, false},
		{orchestrator.StateDone, orchestrator.StateReady, true},
		{orchestrator.StateFailed, orchestrator.StateWait, true},
		{orchestrator.StateFailed, orchestrator.StateInit, true},
		{orchestrator.StateFailed, orchestrator.StateBuild, false},
		{orchestrator.StateReady, orchestrator.StateGarbage, true},
		{orchestrator.StateReady, orchestrator.StateFailed, false},
		{orchestrator.StateGarbage, orchestrator.StateReady, false},
	}
	for _, tc := range tests {
		if got := orchestrator.CanTransition(tc.from, tc.to); got != tc.want {
			t.Errorf("CanTransition(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}

func TestParseStates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want orchestrator.ModuleState
	}{{"init", 0}, {"wait", 1}, {"BUILD", 2}, {"3", 3}, {"failed", 4}, {"ready", 5}, {"6", 6}} {
		got, err := orchestrator.ParseModuleState(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseModuleState(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if _, err := orchestrator.ParseModuleState("7"); !errors.Is(err, orchestrator.ErrInvalid) {
		t.Errorf("ParseModuleState(7): got %v, want ErrInvalid", err)
	}
	for _, tc := range []struct {
		in   string
		want orchestrator.ComponentState
	}{{"building", 0}, {"COMPLETE", 1}, {"2", 2}, {"failed", 3}, {"CANCELED", 4}} {
		got, err := orchestrator.ParseComponentState(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseComponentState(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestSubmitBuildsToReady(t *testing.T) {
	t.Parallel()
	e := newEnv(t, t.TempDir(), nil, nil)
	e.run(t)
	mbs := submit(t, e, moduleYAML("demo", 6, 3), nil)
	got := e.wait(t, mbs[0].ID)
	mb := got[0]
	if len(got) != 1 || mb.State != orchestrator.StateReady {
		t.Fatalf("got state %s (%s), want ready", mb.State, mb.StateReason)
	}
	if diff := cmp.Diff([]string{"init", "wait", "build", "done", "ready"}, traceStates(t, e, mb.ID)); diff != "" {
		t.Errorf("state trace (-want +got):\n%s", diff)
	}
	comps := components(t, e, mb.ID)
	if len(comps) != 7 {
		t.Fatalf("got %d components, want 6 + module-build-macros", len(comps))
	}
	batches := map[string]int{}
	for n, c := range comps {
		batches[n] = c.Batch
		if c.State == nil || *c.State != orchestrator.ComponentComplete {
			t.Errorf("%s: state %v", n, c.State)
		}
	}
	want := map[string]int{"module-build-macros": 1, "pkg000": 2, "pkg003": 2, "pkg001": 3, "pkg004": 3, "pkg002": 4, "pkg005": 4}
	if diff := cmp.Diff(want, batches); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(mb.DistTag, ".module+f40+1+") || mb.Version != "4020240601120000" || len(mb.Context) != 8 {
		t.Errorf("dist tag %q, version %q, context %q", mb.DistTag, mb.Version, mb.Context)
	}
	final := e.zb.Final(mb.ID)
	if final == nil || len(final.Artifacts.RPMs) != 12 || !final.XMD.IsZero() {
		t.Fatalf("final modulemd: %+v", final)
	}
	wantBatches := []string{"1:1", "1:2", "1:3"} // not after the last one
	if diff := cmp.Diff(wantBatches, e.zb.Batches()); diff != "" {
		t.Errorf("FinishBatch calls (-want +got):\n%s", diff)
	}
}

func TestComponentFailureFailsModuleAndResubmitResumes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	journal := filepath.Join(dir, "journal")
	e := newEnv(t, dir, &zerobuilder.Options{Journal: journal, Fail: map[string]string{"pkg001": "compile error"}}, nil)
	stop := e.run(t)
	mbs := submit(t, e, moduleYAML("demo", 6, 3), nil)
	mb := e.wait(t, mbs[0].ID)[0]
	if mb.State != orchestrator.StateFailed || mb.StateReason != "Component(s) pkg001 failed to build." {
		t.Fatalf("got %s %q", mb.State, mb.StateReason)
	}
	comps := components(t, e, mb.ID)
	if c := comps["pkg002"]; c.State == nil || *c.State != orchestrator.ComponentFailed || c.StateReason != mb.StateReason {
		t.Errorf("unbuilt component of a later batch: %+v, want FAILED with the module's reason", c)
	}
	if c := comps["pkg001"]; c.StateReason != "compile error" {
		t.Errorf("failed component reason %q", c.StateReason)
	}
	if !slices.Contains(messages(t, e, mb.ID), "pkg001 failed: compile error") {
		t.Errorf("no log message for the failure: %q", messages(t, e, mb.ID))
	}
	stop()

	// The fix lands; resubmitting the same module resumes the failed build.
	e2 := newEnv(t, dir, &zerobuilder.Options{Journal: journal}, nil)
	e2.run(t)
	again := submit(t, e2, moduleYAML("demo", 6, 3), func(r *orchestrator.SubmitRequest) { r.Owner = "bob" })
	if len(again) != 1 || again[0].ID != mb.ID {
		t.Fatalf("resubmit created %+v, want module build %d resumed", again, mb.ID)
	}
	mb = e2.wait(t, mb.ID)[0]
	if mb.State != orchestrator.StateReady {
		t.Fatalf("resumed build: %s %q", mb.State, mb.StateReason)
	}
	if diff := cmp.Diff([]string{"init", "wait", "build", "failed", "wait", "build", "done", "ready"}, traceStates(t, e2, mb.ID)); diff != "" {
		t.Errorf("state trace (-want +got):\n%s", diff)
	}
	builds, err := zerobuilder.ReadJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, b := range builds {
		count[b.Package]++
	}
	want := map[string]int{"module-build-macros": 1, "pkg000": 1, "pkg003": 1, "pkg001": 2, "pkg004": 1, "pkg002": 1, "pkg005": 1}
	if diff := cmp.Diff(want, count); diff != "" {
		t.Errorf("builds performed (-want +got):\n%s", diff)
	}

	// A third submit of a build that is not failed is a conflict.
	_, err = e2.svc.Submit(context.Background(), &orchestrator.SubmitRequest{Modulemd: []byte(moduleYAML("demo", 6, 3)), Owner: "bob"})
	var re *orchestrator.RequestError
	if !errors.Is(err, orchestrator.ErrConflict) || !errors.As(err, &re) || !strings.Contains(re.Msg, "already exists") {
		t.Errorf("resubmit of a ready build: got %v, want ErrConflict", err)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, t.TempDir(), &zerobuilder.Options{Delay: time.Hour}, nil)
	e.run(t)
	mbs := submit(t, e, moduleYAML("demo", 4, 2), nil)
	id := mbs[0].ID
	deadline := time.Now().Add(30 * time.Second)
	for {
		c := components(t, e, id)[orchestrator.MacrosPackage]
		if c != nil && c.State != nil && *c.State == orchestrator.ComponentBuilding {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("module-build-macros never started building")
		}
		time.Sleep(5 * time.Millisecond)
	}
	mb, err := e.svc.Cancel(context.Background(), id, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if mb.State != orchestrator.StateFailed || mb.StateReason != "Canceled by bob." {
		t.Errorf("after cancel: %s %q", mb.State, mb.StateReason)
	}
	for n, c := range components(t, e, id) {
		if c.State == nil || *c.State != orchestrator.ComponentFailed || c.StateReason != "Canceled by bob." {
			t.Errorf("%s: %v %q, want FAILED with the cancel reason", n, c.State, c.StateReason)
		}
	}
	if _, err := e.svc.Cancel(context.Background(), id, "bob"); !errors.Is(err, orchestrator.ErrInvalid) {
		t.Errorf("second cancel: got %v, want ErrInvalid", err)
	}
}

func TestReuseStrategies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		strategy string
		rebuilt  []string
	}{
		// pkg001 (batch 3, with pkg004) changes: changed-and-after
		// rebuilds it and every later batch; only-changed just it; all
		// everything.
		{orchestrator.RebuildChangedAndAfter, []string{"module-build-macros", "pkg001", "pkg002", "pkg005"}},
		{orchestrator.RebuildOnlyChanged, []string{"module-build-macros", "pkg001"}},
		{orchestrator.RebuildAll, []string{"module-build-macros", "pkg000", "pkg001", "pkg002", "pkg003", "pkg004", "pkg005"}},
	}
	for _, tc := range tests {
		t.Run(tc.strategy, func(t *testing.T) {
			t.Parallel()
			now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
			var mu sync.Mutex
			e := newEnv(t, t.TempDir(), nil, func(o *orchestrator.Options) {
				o.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			})
			e.run(t)
			first := e.wait(t, submit(t, e, moduleYAML("demo", 6, 3), nil)[0].ID)[0]
			mu.Lock()
			now = now.Add(time.Hour)
			mu.Unlock()
			e.scm.mu.Lock()
			e.scm.refs["https://git.example.com/rpms/pkg001#main"] = strings.Repeat("1", 40)
			e.scm.mu.Unlock()
			before := len(e.zb.Builds())
			second := e.wait(t, submit(t, e, moduleYAML("demo", 6, 3), func(r *orchestrator.SubmitRequest) { r.RebuildStrategy = tc.strategy })[0].ID)[0]
			if second.State != orchestrator.StateReady {
				t.Fatalf("second build: %s %q", second.State, second.StateReason)
			}
			var rebuilt []string
			for _, b := range e.zb.Builds()[before:] {
				rebuilt = append(rebuilt, b.Package)
			}
			slices.Sort(rebuilt)
			if diff := cmp.Diff(tc.rebuilt, rebuilt); diff != "" {
				t.Errorf("rebuilt components (-want +got):\n%s", diff)
			}
			comps := components(t, e, second.ID)
			msgs := strings.Join(messages(t, e, second.ID), "\n")
			if tc.strategy != orchestrator.RebuildAll {
				if second.ReusedModuleID != first.ID {
					t.Errorf("reused_module_id %d, want %d", second.ReusedModuleID, first.ID)
				}
				if c := comps["pkg000"]; c.ReusedComponentID == 0 || !strings.Contains(msgs, "pkg000: reused") {
					t.Errorf("pkg000 not reused or not logged:\n%s", msgs)
				}
				if !strings.Contains(msgs, "pkg001: not reused from module build 1: its commit changed") {
					t.Errorf("no reason logged for pkg001:\n%s", msgs)
				}
			} else if !strings.Contains(msgs, `Rebuild strategy "all"`) {
				t.Errorf("no log message for strategy all:\n%s", msgs)
			}
		})
	}
}

func TestEventsDescribeCommittedState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, t.TempDir(), nil, nil)
	var mu sync.Mutex
	var topics []string
	var problems []string
	e.svc.Subscribe(func(ev orchestrator.Event) {
		mu.Lock()
		defer mu.Unlock()
		topics = append(topics, ev.Topic)
		if ev.Topic != orchestrator.TopicModuleStateChange {
			return
		}
		var body struct {
			ID    int64
			State orchestrator.ModuleState
		}
		if err := jsonUnmarshal(ev.Body, &body); err != nil {
			problems = append(problems, err.Error())
			return
		}
		// The state the event describes must already be committed.
		found := false
		e.store.View(context.Background(), func(tx orchestrator.Tx) error {
			tr, _ := tx.ModuleTraces(context.Background(), body.ID)
			for _, x := range tr {
				found = found || x.State == body.State
			}
			return nil
		})
		if !found {
			problems = append(problems, "event for uncommitted state "+body.State.String())
		}
	})
	e.run(t)
	mb := e.wait(t, submit(t, e, moduleYAML("demo", 2, 1), nil)[0].ID)[0]
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := 0
		for _, tp := range topics {
			if tp == orchestrator.TopicModuleStateChange {
				n++
			}
		}
		mu.Unlock()
		if n >= 5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	var mod []string
	comp := 0
	for _, tp := range topics {
		if tp == orchestrator.TopicModuleStateChange {
			mod = append(mod, tp)
		} else {
			comp++
		}
	}
	if len(mod) != 5 || comp != 6 {
		t.Errorf("module %d events, component %d events; want 5 (init..ready) and 6 (3 components x building, complete) for %s", len(mod), comp, mb.NSVC())
	}
	if len(problems) > 0 {
		t.Errorf("%s", strings.Join(problems, "\n"))
	}
}

func TestStaticContexts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, t.TempDir(), nil, nil)
	e.run(t)
	yaml := strings.Replace(moduleYAML("demo", 2, 1), "  dependencies:", `  xmd:
    mbs_options:
      contexts:
        ctxa:
          buildrequires: {platform: f40}
          requires: {platform: f40}
        ctxb:
          buildrequires: {platform: f40}
          requires: {platform: f40}
  dependencies:`, 1)
	mbs := submit(t, e, yaml, nil)
	if len(mbs) != 2 {
		t.Fatalf("submitted %d builds, want one per static context", len(mbs))
	}
	got := e.wait(t, mbs[0].ID)
	var ctxs []string
	for _, mb := range got {
		if mb.State != orchestrator.StateReady {
			t.Errorf("%s: %s %q", mb.NSVC(), mb.State, mb.StateReason)
		}
		ctxs = append(ctxs, mb.Context)
	}
	if diff := cmp.Diff([]string{"ctxa", "ctxb"}, ctxs); diff != "" {
		t.Errorf("contexts (-want +got):\n%s", diff)
	}
	if !strings.Contains(got[1].DistTag, "+1+") {
		t.Errorf("dist tag %q: the index must be the lowest sibling id (1)", got[1].DistTag)
	}
}

func TestExpansionFailureExplained(t *testing.T) {
	t.Parallel()
	e := newEnv(t, t.TempDir(), nil, nil)
	e.run(t)
	yaml := strings.ReplaceAll(moduleYAML("demo", 2, 1), "[f40]", "[f99]")
	mb := e.wait(t, submit(t, e, yaml, nil)[0].ID)[0]
	if mb.State != orchestrator.StateFailed || !strings.Contains(mb.StateReason, "f99") {
		t.Errorf("got %s %q, want failed naming platform:f99", mb.State, mb.StateReason)
	}
}

func TestSubmitRejects(t *testing.T) {
	t.Parallel()
	e := newEnv(t, t.TempDir(), nil, nil)
	tests := []struct {
		name string
		req  orchestrator.SubmitRequest
		want string
	}{
		{"nothing", orchestrator.SubmitRequest{}, "Missing scmurl or modulemd"},
		{"bad yaml", orchestrator.SubmitRequest{Modulemd: []byte("document: [")}, "Invalid modulemd"},
		{"bad scmurl", orchestrator.SubmitRequest{SCMURL: "https://x/y.git"}, "is incorrect"},
		{"strategy", orchestrator.SubmitRequest{Modulemd: []byte(moduleYAML("d", 1, 1)), RebuildStrategy: "some"}, "not allowed"},
		{"override", orchestrator.SubmitRequest{Modulemd: []byte(moduleYAML("d", 1, 1)), BuildRequireOverrides: map[string][]string{"nodejs": {"12"}}}, "aren't applicable: nodejs"},
		{"missing repo", orchestrator.SubmitRequest{Modulemd: []byte(strings.ReplaceAll(moduleYAML("d", 1, 1), "git.example.com", "missing.example.com"))}, "Failed to get the latest commit"},
		{"base module", orchestrator.SubmitRequest{Modulemd: []byte(moduleYAML("platform", 1, 1))}, "base module"},
	}
	for _, tc := range tests {
		_, err := e.svc.Submit(context.Background(), &tc.req)
		var re *orchestrator.RequestError
		if !errors.As(err, &re) || !strings.Contains(re.Msg, tc.want) || !errors.Is(err, orchestrator.ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid containing %q", tc.name, err, tc.want)
		}
	}
	l, _, err := e.svc.List(context.Background(), nil)
	if err != nil || len(l) != 0 {
		t.Errorf("rejected submits stored %d builds (%v)", len(l), err)
	}
}

// TestSubmitFromGit submits from a real git repository: the stream is the
// branch, the version the commit time, component refs are pinned.
func TestSubmitFromGit(t *testing.T) {
	t.Parallel()
	testenv.RequireTools(t, "git")
	repo := filepath.Join(t.TempDir(), "hello")
	yaml := strings.Replace(moduleYAML("hello", 1, 1), "  stream: \"1\"\n", "", 1)
	yaml = strings.ReplaceAll(yaml, "https://git.example.com/rpms/pkg000", repo)
	yaml = strings.ReplaceAll(yaml, "ref: main", "ref: rolling")
	git := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE=2024-03-04T05:06:07Z", "GIT_COMMITTER_DATE=2024-03-04T05:06:07Z",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	git("init", "-q", "-b", "rolling")
	if err := os.WriteFile(filepath.Join(repo, "hello.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "hello.yaml")
	git("commit", "-q", "-m", "module")
	e := newEnv(t, t.TempDir(), nil, func(o *orchestrator.Options) { o.SCM = nil })
	e.run(t)
	mbs, err := e.svc.Submit(context.Background(), &orchestrator.SubmitRequest{SCMURL: "file://" + repo + "#rolling", Owner: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	mb := e.wait(t, mbs[0].ID)[0]
	if mb.State != orchestrator.StateReady || mb.Stream != "rolling" || mb.SourceVersion != "20240304050607" {
		t.Fatalf("got %s %q stream %q version %q", mb.State, mb.StateReason, mb.Stream, mb.SourceVersion)
	}
	c := components(t, e, mb.ID)["pkg000"]
	if len(c.Ref) != 40 || !strings.HasSuffix(mb.SCMURL, "?#"+c.Ref) || c.SCMURL != repo+"?#"+c.Ref {
		t.Errorf("pins: module scmurl %q, component %q ref %q", mb.SCMURL, c.SCMURL, c.Ref)
	}
}

// packagerV3 is a packager v3 definition with two build configurations
// (contexts "ctxa" and "ctxb") and a default profile.
const packagerV3 = `document: modulemd-packager
version: 3
data:
  name: demo
  stream: "1"
  summary: Test module
  description: A module for tests.
  license: [MIT]
  configurations:
    - context: ctxa
      platform: f40
    - context: ctxb
      platform: f40
      buildopts:
        rpms:
          macros: "%demo 1"
  profiles:
    common:
      rpms: [pkg000]
      default: true
    extra:
      rpms: [pkg000]
  components:
    rpms:
      pkg000:
        rationale: test
        repository: https://git.example.com/rpms/pkg000
        ref: main
...
`

// TestPackagerV3StaticContexts checks that the contexts of packager v3
// configurations are static: the NSVCs keep them, as MBS 3.4 does.
func TestPackagerV3StaticContexts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, t.TempDir(), nil, nil)
	e.run(t)
	mbs := submit(t, e, packagerV3, nil)
	var submitted []string
	for _, mb := range mbs {
		submitted = append(submitted, mb.Context)
	}
	if diff := cmp.Diff([]string{"ctxa", "ctxb"}, submitted); diff != "" {
		t.Errorf("submitted contexts (-want +got):\n%s", diff)
	}
	got := e.wait(t, mbs[0].ID)
	var ctxs []string
	for _, mb := range got {
		if mb.State != orchestrator.StateReady {
			t.Errorf("%s: %s %q", mb.NSVC(), mb.State, mb.StateReason)
		}
		ctxs = append(ctxs, mb.Context)
		if !strings.Contains(mb.Modulemd, "static_context: true") {
			t.Errorf("%s: the stored modulemd has no static_context: true", mb.NSVC())
		}
		if mb.BuildContext == "" || mb.RuntimeContext == "" {
			t.Errorf("%s: build and runtime contexts must still be computed (got %q, %q)", mb.NSVC(), mb.BuildContext, mb.RuntimeContext)
		}
	}
	if diff := cmp.Diff([]string{"ctxa", "ctxb"}, ctxs); diff != "" {
		t.Errorf("built contexts (-want +got):\n%s", diff)
	}
	// The same definition again (the test clock stands still, so the
	// version is the same) names the same NSVCs: refused.
	_, err := e.svc.Submit(context.Background(), &orchestrator.SubmitRequest{Modulemd: []byte(packagerV3), Owner: "alice"})
	if !errors.Is(err, orchestrator.ErrConflict) {
		t.Errorf("resubmitting built static contexts: got %v, want ErrConflict", err)
	}
}

// TestSubmitKeepsDefaults checks that the defaults a definition carries are
// stored with every build of the submission.
func TestSubmitKeepsDefaults(t *testing.T) {
	t.Parallel()
	defaults := func(module, profile string) string {
		return `---
document: modulemd-defaults
version: 1
data:
  module: ` + module + `
  stream: "1"
  profiles:
    "1": [` + profile + `]
...
`
	}
	stream := moduleYAML("demo", 1, 1)
	tests := []struct {
		name  string
		yaml  string
		want  string // a line the stored defaults must contain; "" = none stored
		error string // a submit error to expect instead
	}{
		{name: "stream without defaults", yaml: stream},
		{name: "defaults document", yaml: stream + defaults("demo", "common"), want: `"1": [common]`},
		{name: "packager v3 default profile", yaml: packagerV3, want: `"1": [common]`},
		{name: "packager v3 and a defaults document", yaml: packagerV3 + defaults("demo", "extra"), want: `"1": [extra]`},
		{name: "defaults of another module", yaml: stream + defaults("other", "common"), error: `the modulemd-defaults document is for module "other", but the submitted module is "demo"`},
		{name: "two defaults documents", yaml: stream + defaults("demo", "a") + defaults("demo", "b"), error: `more than one modulemd-defaults document for module "demo"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, t.TempDir(), nil, nil)
			mbs, err := e.svc.Submit(context.Background(), &orchestrator.SubmitRequest{Modulemd: []byte(tc.yaml), Owner: "alice"})
			if tc.error != "" {
				if err == nil || !strings.Contains(err.Error(), tc.error) || !errors.Is(err, orchestrator.ErrInvalid) {
					t.Fatalf("got %v, want ErrInvalid containing %q", err, tc.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, mb := range mbs {
				switch {
				case tc.want == "" && mb.Defaults != "":
					t.Errorf("%s: stored defaults %q, want none", mb.NSVC(), mb.Defaults)
				case tc.want != "" && (!strings.Contains(mb.Defaults, "document: modulemd-defaults") || !strings.Contains(mb.Defaults, tc.want)):
					t.Errorf("%s: stored defaults\n%s\nwant a modulemd-defaults document with %q", mb.NSVC(), mb.Defaults, tc.want)
				}
				got, err := e.svc.Get(context.Background(), mb.ID)
				if err != nil || got.Defaults != mb.Defaults {
					t.Errorf("%s: defaults read back %q (%v), want %q", mb.NSVC(), got.Defaults, err, mb.Defaults)
				}
			}
		})
	}
}

// TestFlushDeliversFinalEvents checks that after Wait, Flush returns only
// once the events of the final state changes reached the subscribers.
func TestFlushDeliversFinalEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, t.TempDir(), nil, func(o *orchestrator.Options) { o.PollInterval = time.Hour })
	var mu sync.Mutex
	var states []string
	e.svc.Subscribe(func(ev orchestrator.Event) {
		if !strings.HasSuffix(ev.Topic, orchestrator.TopicModuleStateChange) {
			return
		}
		var m orchestrator.ModuleMessage
		if err := jsonUnmarshal(ev.Body, &m); err != nil {
			t.Error(err)
		}
		time.Sleep(5 * time.Millisecond) // a slow subscriber
		mu.Lock()
		states = append(states, m.StateName)
		mu.Unlock()
	})
	e.run(t)
	id := submit(t, e, moduleYAML("demo", 3, 2), nil)[0].ID
	e.wait(t, id)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.svc.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"init", "wait", "build", "done", "ready"}, states); diff != "" {
		t.Errorf("module states delivered before Flush returned (-want +got):\n%s", diff)
	}
}

// notifyingBuilder is a zero-time builder that reports its builds only
// when released, and then notifies the service.
type notifyingBuilder struct {
	*zerobuilder.Builder
	mu       sync.Mutex
	released bool
	notify   []func()
}

func (b *notifyingBuilder) Notify(fn func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.notify = append(b.notify, fn)
}

func (b *notifyingBuilder) Poll(ctx context.Context, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild) (orchestrator.ComponentResult, error) {
	b.mu.Lock()
	released := b.released
	b.mu.Unlock()
	if !released {
		return orchestrator.ComponentResult{State: orchestrator.ComponentBuilding}, nil
	}
	return b.Builder.Poll(ctx, mb, c)
}

func (b *notifyingBuilder) release() {
	b.mu.Lock()
	b.released = true
	fns := slices.Clone(b.notify)
	b.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// TestNotifierWakesService checks that the service registers with a
// builder that notifies, and that a notification after the builds ended
// lets the build finish although the poll interval is an hour.
func TestNotifierWakesService(t *testing.T) {
	t.Parallel()
	var nb *notifyingBuilder
	e := newEnv(t, t.TempDir(), nil, func(o *orchestrator.Options) {
		nb = &notifyingBuilder{Builder: o.Builder.(*zerobuilder.Builder)}
		o.Builder = nb
		o.PollInterval = time.Hour
	})
	nb.mu.Lock()
	registered := len(nb.notify)
	nb.mu.Unlock()
	if registered != 1 {
		t.Fatalf("NewService registered %d notification functions, want 1", registered)
	}
	e.run(t)
	id := submit(t, e, moduleYAML("demo", 2, 1), nil)[0].ID
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c := components(t, e, id)[orchestrator.MacrosPackage]; c != nil && c.State != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("module-build-macros was never submitted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	nb.release()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	mbs, err := e.svc.Wait(ctx, id)
	if err != nil {
		t.Fatalf("the build did not finish after the notification: %v", err)
	}
	if mbs[0].State != orchestrator.StateReady {
		t.Errorf("state %s: %s", mbs[0].State, mbs[0].StateReason)
	}
}

// TestFilteredRPMsBecomeMacrosConflicts builds a module that filters one of
// its RPMs, then a module buildrequiring it: the second build records the
// filtered RPM under xmd.mbs.buildrequires and its module-build-macros spec
// conflicts with it (MBS's record_filtered_rpms).
func TestFilteredRPMsBecomeMacrosConflicts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, t.TempDir(), nil, nil)
	e.run(t)
	base := strings.Replace(moduleYAML("base", 2, 1), "  components:", "  filter:\n    rpms: [pkg000]\n  components:", 1)
	mbA := e.wait(t, submit(t, e, base, nil)[0].ID)[0]
	if mbA.State != orchestrator.StateReady {
		t.Fatalf("base: %s %s", mbA.State, mbA.StateReason)
	}
	if final := e.zb.Final(mbA.ID); final == nil || !final.XMD.IsZero() {
		t.Errorf("the published modulemd of base must carry no xmd, got %+v", final)
	}
	app := strings.ReplaceAll(moduleYAML("app", 1, 1), "      platform: [f40]\n    requires:", "      platform: [f40]\n      base: [\"1\"]\n    requires:")
	mbB := e.wait(t, submit(t, e, app, nil)[0].ID)[0]
	if mbB.State != orchestrator.StateReady {
		t.Fatalf("app: %s %s", mbB.State, mbB.StateReason)
	}
	docs, err := modulemd.Parse([]byte(mbB.Modulemd))
	if err != nil {
		t.Fatal(err)
	}
	st := docs[0].(*modulemd.Stream)
	want := []string{"pkg000-0:1.0-1" + mbA.DistTag}
	if diff := cmp.Diff(want, orchestrator.MacrosConflicts(st)); diff != "" {
		t.Errorf("MacrosConflicts of app (-want +got):\n%s", diff)
	}
	spec := orchestrator.MacrosSpec(mbB, st, orchestrator.MacrosConflicts(st))
	if line := "Conflicts: pkg000 = 0:1.0-1" + mbA.DistTag + "\n"; !strings.Contains(spec, line) {
		t.Errorf("module-build-macros spec lacks %q:\n%s", line, spec)
	}
	msg, err := e.svc.Get(context.Background(), mbB.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg.Modulemd, "filtered_rpms") {
		t.Errorf("stored modulemd of app has no xmd.mbs.buildrequires.base.filtered_rpms:\n%s", msg.Modulemd)
	}
}
