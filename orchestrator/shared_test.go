package orchestrator_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
)

// countingBuilder counts the components a service submitted.
type countingBuilder struct {
	*zerobuilder.Builder
	n atomic.Int64
}

func (b *countingBuilder) Submit(ctx context.Context, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild) (string, error) {
	b.n.Add(1)
	return b.Builder.Submit(ctx, mb, c)
}

// TestServicesShareStore runs two services on one store, as two processes
// on one database: both take module builds (each only while it has
// capacity), no component is built twice, and when one stops, the other
// finishes the builds it had.
func TestServicesShareStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	journal := dir + "/journal"
	var counts [2]*countingBuilder
	mk := func(i int, st orchestrator.Store) *env {
		return newEnvOn(t, st, &zerobuilder.Options{Journal: journal, Delay: 30 * time.Millisecond}, func(o *orchestrator.Options) {
			zb := o.Builder.(*zerobuilder.Builder)
			counts[i] = &countingBuilder{Builder: zb}
			o.Builder = counts[i]
			o.Concurrency = 3
			o.Holder = fmt.Sprintf("service-%d", i)
			o.LeaseTTL = 2 * time.Second
			o.PollInterval = 20 * time.Millisecond
		})
	}
	a := mk(0, openStore(t, dir))
	b := mk(1, a.store)
	stopA := a.run(t)
	b.run(t)
	var ids []int64
	for i := range 8 {
		ids = append(ids, submit(t, a, moduleYAML(fmt.Sprintf("shared%d", i), 6, 3), nil)[0].ID)
	}
	for _, id := range ids[:4] {
		if mb := a.wait(t, id)[0]; mb.State != orchestrator.StateReady {
			t.Fatalf("module build %d: %s (%s)", id, mb.State, mb.StateReason)
		}
	}
	// A stops (its leases are released); B finishes everything.
	stopA()
	for _, id := range ids {
		if mb := b.wait(t, id)[0]; mb.State != orchestrator.StateReady {
			t.Fatalf("module build %d: %s (%s)", id, mb.State, mb.StateReason)
		}
	}
	na, nb := counts[0].n.Load(), counts[1].n.Load()
	t.Logf("service A submitted %d components, B %d", na, nb)
	if na == 0 || nb == 0 {
		t.Errorf("one service did all the work (A %d, B %d)", na, nb)
	}
	builds, err := zerobuilder.ReadJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[2]int64]bool{}
	for _, bd := range builds {
		k := [2]int64{bd.ComponentID, int64(bd.Attempt)}
		if seen[k] {
			t.Errorf("component build %d (%s) built twice", bd.ComponentID, bd.Package)
		}
		seen[k] = true
	}
	if want := 8 * 7; len(seen) != want {
		t.Errorf("%d component builds, want %d", len(seen), want)
	}
}

// TestCancelFromAnotherService cancels a module build through a service
// that is not working on it: the build fails, and no component stays
// building.
func TestCancelFromAnotherService(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	journal := dir + "/journal"
	opts := func(holder string) func(*orchestrator.Options) {
		return func(o *orchestrator.Options) { o.Holder = holder; o.PollInterval = 20 * time.Millisecond }
	}
	worker := newEnvOn(t, openStore(t, dir), &zerobuilder.Options{Journal: journal, Delay: time.Hour}, opts("worker"))
	api := newEnvOn(t, worker.store, &zerobuilder.Options{Journal: journal, Delay: time.Hour}, opts("api"))
	worker.run(t)
	id := submit(t, api, moduleYAML("cancelme", 4, 1), nil)[0].ID
	deadline := time.Now().Add(30 * time.Second)
	for {
		c := components(t, worker, id)["module-build-macros"]
		if c != nil && c.State != nil && *c.State == orchestrator.ComponentBuilding {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("module-build-macros never started building")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mb, err := api.svc.Cancel(context.Background(), id, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if mb.State != orchestrator.StateFailed || mb.StateReason != "Canceled by bob." {
		t.Fatalf("after cancel: %s (%s)", mb.State, mb.StateReason)
	}
	time.Sleep(200 * time.Millisecond)
	for name, c := range components(t, worker, id) {
		if c.State == nil || *c.State != orchestrator.ComponentFailed {
			t.Errorf("component %s: state %v, want FAILED", name, c.State)
		}
	}
	if got := traceStates(t, worker, id); fmt.Sprint(got) != "[init wait build failed]" {
		t.Errorf("traces %v", got)
	}
}

// slowPrepare is a builder whose Prepare takes a while, like a koji
// buildroot set-up.
type slowPrepare struct {
	*zerobuilder.Builder
	d       time.Duration
	started chan struct{}
}

func (b *slowPrepare) Prepare(ctx context.Context, mb *orchestrator.ModuleBuild, s *modulemd.Stream) error {
	close(b.started)
	select {
	case <-time.After(b.d):
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.Builder.Prepare(ctx, mb, s)
}

// TestLeaseRenewedDuringLongStep checks that a module build's lease stays
// with its service while a step takes several lease lifetimes, so no other
// process takes the build over.
func TestLeaseRenewedDuringLongStep(t *testing.T) {
	t.Parallel()
	var sp *slowPrepare
	e := newEnv(t, t.TempDir(), nil, func(o *orchestrator.Options) {
		sp = &slowPrepare{Builder: o.Builder.(*zerobuilder.Builder), d: time.Second, started: make(chan struct{})}
		o.Builder = sp
		o.LeaseTTL = 150 * time.Millisecond
		o.Holder = "worker"
	})
	e.run(t)
	id := submit(t, e, moduleYAML("slow", 2, 1), nil)[0].ID
	<-sp.started
	name := fmt.Sprintf("module/%d", id)
	for end := time.Now().Add(800 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		ok, err := e.store.Claim(context.Background(), name, "thief", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			t.Fatal("another holder took the lease of a module build in a long step")
		}
	}
	if mb := e.wait(t, id)[0]; mb.State != orchestrator.StateReady {
		t.Fatalf("%s (%s)", mb.State, mb.StateReason)
	}
}
