package rebuilds_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/rebuilds"
)

// TestRestartMidChain stops both services while alpha's rebuild is
// building, starts them again on the same stores, and checks that the chain
// completes with every event handled once and every rebuild submitted once.
func TestRestartMidChain(t *testing.T) {
	t.Parallel()
	testRestart(t, t.TempDir())
}

func TestRestartMidChainOnPostgres(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	onPostgres(t, dir)
	testRestart(t, dir)
}

func testRestart(t *testing.T, dir string) {
	scm := newGitSCM()
	setupABC(scm)
	w := newWorld(t, dir, scm, nil)
	w.build("alpha")
	w.build("beta")
	w.build("gamma")
	ctx := context.Background()
	if err := w.orch.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Stop the orchestrator's worker before the push, so alpha's rebuild
	// stays unbuilt while the first process goes away.
	w.stop()
	ost, rst, closeStores := openStores(t, dir)
	cold, err := orchestrator.NewService(&orchestrator.Options{Store: ost, Builder: nopBuilder{}, SCM: scm, AllowComponentRepository: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rebuilds.New(&rebuilds.Options{Orchestrator: cold, Store: rst, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	rev := scm.push(gitBase+"rpms/alpha-lib", "main", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	push := pushMessage("push-restart", "alpha-lib", "main", rev, "alpha-lib.spec")
	ev, err := rs.Handle(ctx, push)
	if err != nil {
		t.Fatal(err)
	}
	if ev.State != rebuilds.EventBuilding {
		t.Fatalf("event %s: %s", ev.State, ev.StateReason)
	}
	closeStores()

	w2 := newWorld(t, dir, scm, nil)
	// The redelivered push is not handled again.
	if again, err := w2.rs.Handle(ctx, push); err != nil || again.ID != ev.ID {
		t.Fatalf("redelivered push: %v %+v", err, again)
	}
	ev = w2.settle(ev.ID)
	if ev.State != rebuilds.EventComplete {
		t.Fatalf("event %s: %s", ev.State, ev.StateReason)
	}
	checkRows(t, rows(t, w2.store, ev.ID), []row{
		{"alpha:1", rebuilds.BuildDone, rebuilds.ReasonDirectlyAffected, ""},
		{"beta:1", rebuilds.BuildDone, rebuilds.ReasonDependency, "alpha:1"},
		{"gamma:1", rebuilds.BuildDone, rebuilds.ReasonDependency, "beta:1"},
	})
	for _, n := range []string{"alpha", "beta", "gamma"} {
		if l := moduleBuilds(t, w2.orch, n); len(l) != 2 {
			t.Errorf("%s: %d builds, want 2", n, len(l))
		}
	}
	// Every message was handled once: message ids are unique in the store,
	// and the ready events of the three rebuilds each appear once.
	evs, _, err := w2.store.Events(ctx, &rebuilds.EventFilter{Types: []rebuilds.EventType{rebuilds.EventModuleStateChange}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range evs {
		seen[e.MessageID]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %s recorded %d times", id, n)
		}
	}
}

// TestCrashBetweenSubmitAndRecord: the process dies after the orchestrator
// accepted a rebuild and before the rebuild was recorded; handling the
// redelivered message adopts the submitted build instead of submitting
// another.
func TestCrashBetweenSubmitAndRecord(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	scm := newGitSCM()
	setupABC(scm)
	w := newWorld(t, dir, scm, nil)
	w.build("alpha")
	if err := w.orch.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.stop()
	ost, rst, closeStores := openStores(t, dir)
	defer closeStores()
	cold, err := orchestrator.NewService(&orchestrator.Options{Store: ost, Builder: nopBuilder{}, SCM: scm, AllowComponentRepository: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, crash := context.WithCancel(context.Background())
	failing := &crashingStore{Store: rst, crash: crash}
	rs, err := rebuilds.New(&rebuilds.Options{Orchestrator: cold, Store: failing, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	rev := scm.push(gitBase+"rpms/alpha-lib", "main", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	push := pushMessage("push-crash", "alpha-lib", "main", rev, "alpha-lib.spec")
	if _, err := rs.Handle(ctx, push); err == nil {
		t.Fatal("the crash was not reported")
	}
	if n := len(moduleBuilds(t, cold, "alpha")); n != 2 {
		t.Fatalf("alpha: %d builds after the crash, want 2", n)
	}
	rs2, err := rebuilds.New(&rebuilds.Options{Orchestrator: cold, Store: rst, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := rs2.Handle(context.Background(), push)
	if err != nil {
		t.Fatal(err)
	}
	l := moduleBuilds(t, cold, "alpha")
	if len(l) != 2 {
		t.Fatalf("alpha: %d builds after the redelivery, want 2 (submitted twice)", len(l))
	}
	bs, _, _ := rst.Builds(context.Background(), &rebuilds.BuildFilter{EventID: ev.ID})
	if len(bs) != 1 || bs[0].BuildID != l[1].ID || bs[0].State != rebuilds.BuildBuilding || ev.State != rebuilds.EventBuilding {
		t.Fatalf("event %s, builds %+v; want alpha building as module build %d", ev.State, bs, l[1].ID)
	}
}

// crashingStore fails the first update that records a submitted build, as
// a process dying there would, and cancels the handling's context.
type crashingStore struct {
	rebuilds.Store
	crash func()
	done  bool
}

func (c *crashingStore) UpdateBuild(ctx context.Context, b *rebuilds.ArtifactBuild) error {
	if !c.done && b.State == rebuilds.BuildBuilding {
		c.done = true
		c.crash()
		return errors.New("crash")
	}
	return c.Store.UpdateBuild(ctx, b)
}

// nopBuilder is a builder for a service that is never run.
type nopBuilder struct{ orchestrator.Builder }

var quiet = slog.New(slog.DiscardHandler)
