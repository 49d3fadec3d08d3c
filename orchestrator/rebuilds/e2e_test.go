package rebuilds_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/rebuilds"
)

func blockGamma(t *testing.T) *rebuilds.Rules {
	t.Helper()
	r, err := rebuilds.ParseRules(nil, []byte(`{"global": {"module": {"name": "gam"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type row struct {
	name   string
	state  rebuilds.BuildState
	reason string
	depOn  string
}

func rows(t *testing.T, st rebuilds.Store, eventID int64) []row {
	t.Helper()
	l, _, err := st.Builds(context.Background(), &rebuilds.BuildFilter{EventID: eventID})
	if err != nil {
		t.Fatal(err)
	}
	var out []row
	for _, b := range l {
		out = append(out, row{b.Name, b.State, b.RebuildReason, b.DepOn})
	}
	return out
}

func checkRows(t *testing.T, got, want []row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("builds: got %+v, want %+v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("build %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func moduleBuilds(t *testing.T, orch *orchestrator.Service, name string) []*orchestrator.ModuleBuild {
	t.Helper()
	l, _, err := orch.List(context.Background(), &orchestrator.ModuleBuildFilter{Name: name, OrderBy: []orchestrator.Order{{Field: "id"}}})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func num(v string) uint64 { n, _ := strconv.ParseUint(v, 10, 64); return n }

// TestChain: a spec push on alpha's component rebuilds alpha; alpha's ready
// rebuilds beta; beta's would rebuild gamma, which is blocked.
func TestChain(t *testing.T) {
	t.Parallel()
	testChain(t, t.TempDir())
}

func TestChainOnPostgres(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	onPostgres(t, dir)
	testChain(t, dir)
}

func testChain(t *testing.T, dir string) {
	scm := newGitSCM()
	setupABC(scm)
	w := newWorld(t, dir, scm, &rebuilds.Options{Rules: blockGamma(t)})
	a, b, c := w.build("alpha"), w.build("beta"), w.build("gamma")
	ctx := context.Background()
	if err := w.orch.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// The initial builds' ready events caused nothing: a dependent that is
	// already built against the ready module is recorded as up to date.
	l0, _, _ := w.store.Builds(ctx, nil)
	for _, b := range l0 {
		if b.State != rebuilds.BuildSkipped || !strings.HasPrefix(b.StateReason, "up to date: ") {
			t.Fatalf("initial builds caused a rebuild: %+v", b)
		}
	}
	rev := scm.push(gitBase+"rpms/alpha-lib", "main", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	ev, err := w.rs.Handle(ctx, pushMessage("push-1", "alpha-lib", "main", rev, "alpha-lib.spec"))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != rebuilds.EventGitRPMSpecChange {
		t.Fatalf("event type %s", ev.Type)
	}
	ev = w.settle(ev.ID)
	if ev.State != rebuilds.EventComplete {
		t.Fatalf("event %s: %s", ev.State, ev.StateReason)
	}
	checkRows(t, rows(t, w.store, ev.ID), []row{
		{"alpha:1", rebuilds.BuildDone, rebuilds.ReasonDirectlyAffected, ""},
		{"beta:1", rebuilds.BuildDone, rebuilds.ReasonDependency, "alpha:1"},
		{"gamma:1", rebuilds.BuildSkipped, rebuilds.ReasonDependency, "beta:1"},
	})
	l, _, _ := w.store.Builds(ctx, &rebuilds.BuildFilter{EventID: ev.ID})
	if g := l[2]; !strings.Contains(g.StateReason, "blocked by blocklist global.module") || !strings.Contains(g.StateReason, `"name":"gam"`) ||
		g.Path != "rpms/alpha-lib@main ("+rev[:12]+") -> alpha:1 -> beta:1 -> gamma:1" {
		t.Errorf("gamma: reason %q path %q", g.StateReason, g.Path)
	}
	// Versions increase, at the same module commits; beta's rebuild was
	// built against alpha's.
	for _, m := range []struct {
		name string
		old  *orchestrator.ModuleBuild
		n    int
	}{{"alpha", a, 2}, {"beta", b, 2}, {"gamma", c, 1}} {
		got := moduleBuilds(t, w.orch, m.name)
		if len(got) != m.n {
			t.Fatalf("%s: %d builds, want %d (no loops)", m.name, len(got), m.n)
		}
		if m.n == 2 {
			nb := got[1]
			if nb.State != orchestrator.StateReady || num(nb.Version) <= num(m.old.Version) || nb.SCMURL != m.old.SCMURL || nb.Owner != "modkit-rebuilds" {
				t.Errorf("%s rebuild %s %s scmurl %s owner %s; old %s", m.name, nb.NSVC(), nb.State, nb.SCMURL, nb.Owner, m.old.NSVC())
			}
			if l[0].BuildID != got[1].ID && l[1].BuildID != got[1].ID {
				t.Errorf("%s rebuild %d not recorded", m.name, got[1].ID)
			}
		}
	}
	if !strings.Contains(moduleBuilds(t, w.orch, "beta")[1].Modulemd, moduleBuilds(t, w.orch, "alpha")[1].Version) {
		t.Errorf("beta's rebuild was not built against alpha's rebuild")
	}
	// Redelivery of the push does nothing.
	again, err := w.rs.Handle(ctx, pushMessage("push-1", "alpha-lib", "main", rev, "alpha-lib.spec"))
	if err != nil || again.ID != ev.ID {
		t.Fatalf("redelivery: %v, %+v", err, again)
	}
	if n := len(moduleBuilds(t, w.orch, "alpha")); n != 2 {
		t.Fatalf("redelivery rebuilt alpha: %d builds", n)
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	scm := newGitSCM()
	setupABC(scm)
	w := newWorld(t, t.TempDir(), scm, &rebuilds.Options{Rules: blockGamma(t), DryRun: true})
	w.build("alpha")
	w.build("beta")
	w.build("gamma")
	ctx := context.Background()
	rev := scm.push(gitBase+"rpms/alpha-lib", "main", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	ev, err := w.rs.Handle(ctx, pushMessage("push-dry", "alpha-lib", "main", rev, "alpha-lib.spec"))
	if err != nil {
		t.Fatal(err)
	}
	ev = w.settle(ev.ID)
	if ev.State != rebuilds.EventComplete || !ev.DryRun {
		t.Fatalf("event %s dry %v: %s", ev.State, ev.DryRun, ev.StateReason)
	}
	checkRows(t, rows(t, w.store, ev.ID), []row{
		{"alpha:1", rebuilds.BuildDone, rebuilds.ReasonDirectlyAffected, ""},
		{"beta:1", rebuilds.BuildDone, rebuilds.ReasonDependency, "alpha:1"},
		{"gamma:1", rebuilds.BuildSkipped, rebuilds.ReasonDependency, "beta:1"},
	})
	for _, n := range []string{"alpha", "beta", "gamma"} {
		if l := moduleBuilds(t, w.orch, n); len(l) != 1 {
			t.Errorf("dry run built %s: %d builds", n, len(l))
		}
	}
	l, _, _ := w.store.Builds(ctx, &rebuilds.BuildFilter{EventID: ev.ID})
	for _, b := range l[:2] {
		if b.BuildID != 0 || !strings.HasPrefix(b.StateReason, "dry run: would be rebuilt because") {
			t.Errorf("%s: build id %d, reason %q", b.Name, b.BuildID, b.StateReason)
		}
	}
}

// TestCycleGuard: alpha:1 <- beta:1 <- alpha:2. Rebuilding alpha:1 rebuilds
// beta:1, whose ready would rebuild alpha:2: skipped, as the chain already
// rebuilt module alpha.
func TestCycleGuard(t *testing.T) {
	t.Parallel()
	scm := newGitSCM()
	setupABC(scm)
	repo := gitBase + "modules/alpha.git"
	c2 := scm.push(repo, "2", time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC))
	scm.files[c2+"@alpha.yaml"] = []byte(strings.ReplaceAll(moduleDef("alpha", "beta"), "alpha-lib", "other-lib"))
	scm.push(gitBase+"rpms/other-lib", "main", time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC))
	w := newWorld(t, t.TempDir(), scm, nil)
	w.build("alpha")
	w.build("beta")
	mbs, err := w.orch.Submit(context.Background(), &orchestrator.SubmitRequest{SCMURL: repo + "#2", Owner: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	w.wait(mbs[0].ID)
	ctx := context.Background()
	rev := scm.push(gitBase+"rpms/alpha-lib", "main", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	ev, err := w.rs.Handle(ctx, pushMessage("push-cycle", "alpha-lib", "main", rev, "alpha-lib.spec"))
	if err != nil {
		t.Fatal(err)
	}
	ev = w.settle(ev.ID)
	checkRows(t, rows(t, w.store, ev.ID), []row{
		{"alpha:1", rebuilds.BuildDone, rebuilds.ReasonDirectlyAffected, ""},
		{"beta:1", rebuilds.BuildDone, rebuilds.ReasonDependency, "alpha:1"},
		{"alpha:2", rebuilds.BuildSkipped, rebuilds.ReasonDependency, "beta:1"},
	})
	l, _, _ := w.store.Builds(ctx, &rebuilds.BuildFilter{EventID: ev.ID})
	if !strings.HasPrefix(l[2].StateReason, "cycle: module alpha is already rebuilt earlier in this chain") {
		t.Errorf("alpha:2: %q", l[2].StateReason)
	}
	if n := len(moduleBuilds(t, w.orch, "alpha")); n != 3 {
		t.Errorf("alpha: %d builds, want 3 (two originals, one rebuild)", n)
	}
}
