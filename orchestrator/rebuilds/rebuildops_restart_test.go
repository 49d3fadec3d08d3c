package rebuilds_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/rebuilds"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
)

// dyingStore stops its service (cancels its context) at the first
// AddBuild: a process dying in the middle of handling an event.
type dyingStore struct {
	*rebuilds.SQLStore
	once   sync.Once
	cancel func()
}

func (c *dyingStore) AddBuild(ctx context.Context, b *rebuilds.ArtifactBuild) error {
	crashed := false
	c.once.Do(func() { c.cancel(); crashed = true })
	if crashed {
		return context.Canceled
	}
	return c.SQLStore.AddBuild(ctx, b)
}

// TestManualResume: a manual request interrupted after it was recorded is
// handled by the next start (Resume), once.
func TestManualResume(t *testing.T) {
	t.Parallel()
	scm := newGitSCM()
	setupABC(scm)
	w := newWorld(t, t.TempDir(), scm, &rebuilds.Options{Rules: blockGamma(t)})
	w.build("alpha")
	w.build("beta")
	w.build("gamma")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dying, err := rebuilds.New(&rebuilds.Options{Orchestrator: w.orch, Store: &dyingStore{SQLStore: w.store.(*rebuilds.SQLStore), cancel: cancel},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := dying.Trigger(ctx, &rebuilds.ManualRequest{Modules: []string{"alpha:1"}, DryRun: true}, "alice")
	if err == nil || ev == nil || ev.State != rebuilds.EventInitialized {
		t.Fatalf("interrupted trigger: %v %+v", err, ev)
	}
	for range 2 { // a second Resume finds nothing to do
		if err := w.rs.Resume(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	got := w.settle(ev.ID)
	if got.State != rebuilds.EventComplete || got.Requester != "alice" || !got.DryRun {
		t.Fatalf("resumed event: %+v", got)
	}
	checkRows(t, rows(t, w.store, ev.ID), []row{
		{"alpha:1", rebuilds.BuildDone, rebuilds.ReasonDirectlyAffected, ""},
		{"beta:1", rebuilds.BuildDone, rebuilds.ReasonDependency, "alpha:1"},
		{"gamma:1", rebuilds.BuildSkipped, rebuilds.ReasonDependency, "beta:1"},
	})
}

// TestCancelRestart: a cancel recorded by a service that stopped before
// canceling the module build in the orchestrator is performed by the next
// start (FinishCancels); nothing of the event is built after.
func TestCancelRestart(t *testing.T) {
	t.Parallel()
	scm := newGitSCM()
	setupABC(scm)
	w := newWorld(t, t.TempDir(), scm, nil, &zerobuilder.Options{Delay: 300 * time.Millisecond})
	w.build("alpha")
	w.build("beta")
	ctx := context.Background()
	scm.push(gitBase+"rpms/alpha-lib", "main", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	ev, err := w.rs.Trigger(ctx, &rebuilds.ManualRequest{Modules: []string{"alpha:1"}}, "alice")
	if err != nil || ev.State != rebuilds.EventBuilding {
		t.Fatalf("trigger: %v %+v", err, ev)
	}
	// What Cancel records before it calls the orchestrator.
	ev.State, ev.StateReason = rebuilds.EventCanceled, "Event id requested for canceling by user alice"
	if err := w.store.UpdateEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	bs, _, _ := w.store.Builds(ctx, &rebuilds.BuildFilter{EventID: ev.ID})
	bs[0].State = rebuilds.BuildCanceled
	if err := w.store.UpdateBuild(ctx, bs[0]); err != nil {
		t.Fatal(err)
	}
	if err := w.rs.FinishCancels(ctx); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	mbs, err := w.orch.Wait(wctx, bs[0].BuildID)
	if err != nil {
		t.Fatal(err)
	}
	if mbs[0].State != orchestrator.StateFailed || mbs[0].StateReason != "Canceled by modkit-rebuilds." {
		t.Errorf("module build after FinishCancels: %s %q", mbs[0].State, mbs[0].StateReason)
	}
	if err := w.orch.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.store.Event(ctx, ev.ID); got.State != rebuilds.EventCanceled {
		t.Errorf("event: %+v", got)
	}
	if l := moduleBuilds(t, w.orch, "beta"); len(l) != 1 {
		t.Errorf("beta rebuilt after the cancel: %d builds", len(l))
	}
	if _, err := w.rs.Cancel(ctx, ev.ID, "bob", false); !errors.Is(err, rebuilds.ErrForbidden) {
		t.Errorf("bob cancels alice's event: %v", err)
	}
	if _, err := w.rs.Cancel(ctx, 4242, "alice", true); !errors.Is(err, rebuilds.ErrNotFound) {
		t.Errorf("cancel a missing event: %v", err)
	}
}
