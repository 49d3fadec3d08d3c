package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/orchestrator"
)

// Run runs the contract tests; open must return a new, empty store for each
// call (it is closed by Run).
func Run(t *testing.T, open func(t *testing.T) orchestrator.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st orchestrator.Store)
	}{
		{"ModuleRoundTrip", testModuleRoundTrip},
		{"NSVCUnique", testNSVCUnique},
		{"NotFound", testNotFound},
		{"Rollback", testRollback},
		{"ListFilters", testListFilters},
		{"ListOrderAndPages", testListOrderAndPages},
		{"Components", testComponents},
		{"Traces", testTraces},
		{"LogMessages", testLogMessages},
		{"Outbox", testOutbox},
		{"Leases", testLeases},
		{"ModuleRowLock", testModuleRowLock},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			t.Cleanup(func() { st.Close() })
			tc.fn(t, st)
		})
	}
}

var t0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func module(name, stream, version, context string) *orchestrator.ModuleBuild {
	return &orchestrator.ModuleBuild{
		Name: name, Stream: stream, Version: version, Context: context,
		BuildContext: "bc", BuildContextNoBMS: "bcn", RuntimeContext: "rc",
		State: orchestrator.StateInit, Modulemd: "document: modulemd\n", SourceVersion: version,
		Defaults: "document: modulemd-defaults\n",
		KojiTag:  "module-" + name, DistTag: ".module+f40+1+abcdef12", SCMURL: "https://git.example.com/" + name + "?#abc",
		Owner: "alice", RebuildStrategy: "changed-and-after",
		TimeSubmitted: t0, TimeModified: t0,
	}
}

func update(t *testing.T, st orchestrator.Store, fn func(ctx context.Context, tx orchestrator.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := st.Update(ctx, func(tx orchestrator.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

func view(t *testing.T, st orchestrator.Store, fn func(ctx context.Context, tx orchestrator.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := st.View(ctx, func(tx orchestrator.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// checkRead fails the test when read returns an error or other than want.
func checkRead[T any](t *testing.T, st orchestrator.Store, what string, want T, read func(context.Context, orchestrator.Tx) (T, error)) {
	t.Helper()
	view(t, st, func(ctx context.Context, tx orchestrator.Tx) error {
		got, err := read(ctx, tx)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", what, diff)
		}
		return nil
	})
}

// createWithComponent creates mb and c as its component.
func createWithComponent(ctx context.Context, tx orchestrator.Tx, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild) error {
	if err := tx.CreateModuleBuild(ctx, mb); err != nil {
		return err
	}
	c.ModuleID = mb.ID
	return tx.CreateComponentBuild(ctx, c)
}

func testModuleRoundTrip(t *testing.T, st orchestrator.Store) {
	mb := module("foo", "1", "20240102030405", "deadbeef")
	mb.Scratch = true
	mb.Batch = 3
	mb.ReusedModuleID = 7
	mb.Publication = orchestrator.Publication{Repository: "/tmp/repo", KojiBuildID: 42}
	mb.TimeCompleted = t0.Add(time.Hour)
	update(t, st, func(ctx context.Context, tx orchestrator.Tx) error { return tx.CreateModuleBuild(ctx, mb) })
	if mb.ID == 0 {
		t.Fatal("CreateModuleBuild did not set ID")
	}
	readMB := func(ctx context.Context, tx orchestrator.Tx) (*orchestrator.ModuleBuild, error) {
		return tx.ModuleBuild(ctx, mb.ID)
	}
	checkRead(t, st, "read back", mb, readMB)
	mb.State, mb.StateReason, mb.TimeCompleted = orchestrator.StateFailed, "because", time.Time{}
	update(t, st, func(ctx context.Context, tx orchestrator.Tx) error { return tx.UpdateModuleBuild(ctx, mb) })
	checkRead(t, st, "after update", mb, readMB)
}

func testNSVCUnique(t *testing.T, st orchestrator.Store) {
	update(t, st, func(ctx context.Context, tx orchestrator.Tx) error {
		return tx.CreateModuleBuild(ctx, module("foo", "1", "1", "c"))
	})
	err := st.Update(context.Background(), func(tx orchestrator.Tx) error {
		return tx.CreateModuleBuild(context.Background(), module("foo", "1", "1", "c"))
	})
	if !errors.Is(err, orchestrator.ErrConflict) {
		t.Errorf("duplicate NSVC: got %v, want ErrConflict", err)
	}
}

func testNotFound(t *testing.T, st orchestrator.Store) {
	ctx := context.Background()
	err := st.Update(ctx, func(tx orchestrator.Tx) error {
		_, err1 := tx.ModuleBuild(ctx, 99)
		_, err2 := tx.ComponentBuild(ctx, 99)
		err3 := tx.UpdateModuleBuild(ctx, &orchestrator.ModuleBuild{ID: 99})
		for i, err := range []error{err1, err2, err3} {
			if !errors.Is(err, orchestrator.ErrNotFound) {
				t.Errorf("lookup %d: got %v, want ErrNotFound", i+1, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testRollback(t *testing.T, st orchestrator.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := st.Update(ctx, func(tx orchestrator.Tx) error {
		if err := tx.CreateModuleBuild(ctx, module("foo", "1", "1", "c")); err != nil {
			return err
		}
		if err := tx.AddEvent(ctx, &orchestrator.Event{Topic: "x", Time: t0, Body: json.RawMessage(`{}`)}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	view(t, st, func(ctx context.Context, tx orchestrator.Tx) error {
		l, n, err := tx.ListModuleBuilds(ctx, nil)
		if err != nil {
			return err
		}
		ev, err := tx.PendingEvents(ctx, 10)
		if len(l) != 0 || n != 0 || len(ev) != 0 {
			t.Errorf("rolled back transaction left %d builds and %d events", len(l), len(ev))
		}
		return err
	})
}

func ids(mbs []*orchestrator.ModuleBuild) []int64 {
	out := []int64{}
	for _, mb := range mbs {
		out = append(out, mb.ID)
	}
	return out
}

func versions(mbs []*orchestrator.ModuleBuild) []string {
	var out []string
	for _, mb := range mbs {
		out = append(out, mb.Version)
	}
	return out
}

func testListFilters(t *testing.T, st orchestrator.Store) {
	var a, b, c *orchestrator.ModuleBuild
	update(t, st, func(ctx context.Context, tx orchestrator.Tx) error {
		a = module("foo", "1", "10", "a")
		b = module("foo", "2", "9", "b")
		b.State, b.Scratch, b.Owner = orchestrator.StateReady, true, "bob"
		b.TimeSubmitted = t0.Add(time.Hour)
		c = module("bar", "1", "100", "c")
		c.State = orchestrator.StateFailed
		c.TimeCompleted = t0.Add(2 * time.Hour)
		for _, m := range []*orchestrator.ModuleBuild{a, b, c} {
			if err := tx.CreateModuleBuild(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	yes := true
	tests := []struct {
		name string
		f    orchestrator.ModuleBuildFilter
		want []int64
	}{
		{"all newest first", orchestrator.ModuleBuildFilter{}, []int64{c.ID, b.ID, a.ID}},
		{"name", orchestrator.ModuleBuildFilter{Name: "foo"}, []int64{b.ID, a.ID}},
		{"states OR", orchestrator.ModuleBuildFilter{States: []orchestrator.ModuleState{orchestrator.StateReady, orchestrator.StateFailed}}, []int64{c.ID, b.ID}},
		{"scratch", orchestrator.ModuleBuildFilter{Scratch: &yes}, []int64{b.ID}},
		{"owner", orchestrator.ModuleBuildFilter{Owner: "bob"}, []int64{b.ID}},
		{"ids", orchestrator.ModuleBuildFilter{IDs: []int64{a.ID, c.ID}}, []int64{c.ID, a.ID}},
		{"submitted after", orchestrator.ModuleBuildFilter{SubmittedAfter: t0.Add(time.Minute)}, []int64{b.ID}},
		{"completed before", orchestrator.ModuleBuildFilter{CompletedBefore: t0.Add(3 * time.Hour), CompletedAfter: t0}, []int64{c.ID}},
		{"nsvc", orchestrator.ModuleBuildFilter{Name: "foo", Stream: "2", Version: "9", Context: "b"}, []int64{b.ID}},
		{"none", orchestrator.ModuleBuildFilter{Name: "baz"}, []int64{}},
	}
	for _, tc := range tests {
		view(t, st, func(ctx context.Context, tx orchestrator.Tx) error {
			l, n, err := tx.ListModuleBuilds(ctx, &tc.f)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(tc.want, ids(l)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, diff)
			}
			if n != len(tc.want) {
				t.Errorf("%s: total %d, want %d", tc.name, n, len(tc.want))
			}
			return nil
		})
	}
}

func testListOrderAndPages(t *testing.T, st orchestrator.Store) {
	var made []*orchestrator.ModuleBuild
	update(t, st, func(ctx context.Context, tx orchestrator.Tx) error {
		// Versions that sort differently as text and as numbers.
		for i, v := range []string{"9", "10", "100", "8030020201001000000", "2"} {
			m := module("foo", "1", v, fmt.Sprintf("c%d", i))
			if err := tx.CreateModuleBuild(ctx, m); err != nil {
				return err
			}
			made = append(made, m)
		}
		return nil
	})
	view(t, st, func(ctx context.Context, tx orchestrator.Tx) error {
		l, _, err := tx.ListModuleBuilds(ctx, &orchestrator.ModuleBuildFilter{OrderBy: []orchestrator.Order{{Field: "version"}}})
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]string{"2", "9", "10", "100", "8030020201001000000"}, versions(l)); diff != "" {
			t.Errorf("order by version (-want +got):\n%s", diff)
		}
		l, n, err := tx.ListModuleBuilds(ctx, &orchestrator.ModuleBuildFilter{OrderBy: []orchestrator.Order{{Field: "version", Desc: true}}, Limit: 2, Offset: 2})
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]string{"10", "9"}, versions(l)); diff != "" || n != 5 {
			t.Errorf("page 2 of 2 (-want +got):\n%s\ntotal %d, want 5", diff, n)
		}
		_, _, err = tx.ListModuleBuilds(ctx, &orchestrator.ModuleBuildFilter{OrderBy: []orchestrator.Order{{Field: "nope"}}})
		if !errors.Is(err, orchestrator.ErrInvalid) {
			t.Errorf("unknown order field: got %v, want ErrInvalid", err)
		}
		return nil
	})
}

func testComponents(t *testing.T, st orchestrator.Store) {
	mb := module("foo", "1", "1", "c")
	building := orchestrator.ComponentBuilding
	var c1, c2 *orchestrator.ComponentBuild
	update(t, st, func(ctx context.Context, tx orchestrator.Tx) error {
		if err := tx.CreateModuleBuild(ctx, mb); err != nil {
			return err
		}
		c1 = &orchestrator.ComponentBuild{ModuleID: mb.ID, Package: "a", Format: "rpms", Batch: 2, SCMURL: "u?#r", Ref: "r", Weight: 1.5}
		c2 = &orchestrator.ComponentBuild{ModuleID: mb.ID, Package: "b", Format: "rpms", Batch: 3, State: &building, TaskID: "7",
			RPMs: []string{"b-0:1-1.x86_64"}, Licenses: []string{"MIT"}, Attempt: 2, Buildonly: true}
		if err := tx.CreateComponentBuild(ctx, c1); err != nil {
			return err
		}
		return tx.CreateComponentBuild(ctx, c2)
	})
	checkRead(t, st, "read back", c2, func(ctx context.Context, tx orchestrator.Tx) (*orchestrator.ComponentBuild, error) {
		return tx.ComponentBuild(ctx, c2.ID)
	})
	view(t, st, func(ctx context.Context, tx orchestrator.Tx) error {
		w, _, err := tx.ListComponentBuilds(ctx, &orchestrator.ComponentBuildFilter{ModuleID: mb.ID, Waiting: true})
		if err != nil {
			return err
		}
		if len(w) != 1 || w[0].Package != "a" || w[0].State != nil {
			t.Errorf("waiting components: got %+v, want only a", w)
		}
		b, _, err := tx.ListComponentBuilds(ctx, &orchestrator.ComponentBuildFilter{States: []orchestrator.ComponentState{building}, Waiting: true})
		if err != nil {
			return err
		}
		if len(b) != 2 {
			t.Errorf("building or waiting: got %d, want 2", len(b))
		}
		return nil
	})
	c1.State, c1.NVR = &building, "a-1-1"
	update(t, st, func(ctx context.Context, tx orchestrator.Tx) error { return tx.UpdateComponentBuild(ctx, c1) })
	checkRead(t, st, "after update", c1, func(ctx context.Context, tx orchestrator.Tx) (*orchestrator.ComponentBuild, error) {
		return tx.ComponentBuild(ctx, c1.ID)
	})
	err := st.Update(context.Background(), func(tx orchestrator.Tx) error {
		return tx.CreateComponentBuild(context.Background(), &orchestrator.ComponentBuild{ModuleID: mb.ID, Package: "a", Format: "rpms"})
	})
	if !errors.Is(err, orchestrator.ErrConflict) {
		t.Errorf("duplicate package: got %v, want ErrConflict", err)
	}
}

func testTraces(t *testing.T, st orchestrator.Store) {
	mb := module("foo", "1", "1", "c")
	c := &orchestrator.ComponentBuild{Package: "a", Format: "rpms"}
	complete := orchestrator.ComponentComplete
	want := []orchestrator.StateTrace{
		{Time: t0, State: orchestrator.StateInit},
		{Time: t0.Add(time.Second), State: orchestrator.StateWait, Reason: "r"},
	}
	wantC := []orchestrator.ComponentTrace{{Time: t0}, {Time: t0.Add(time.Second), State: &complete, Reason: "ok", TaskID: "1"}}
	update(t, st, func(ctx context.Context, tx orchestrator.Tx) error {
		if err := createWithComponent(ctx, tx, mb, c); err != nil {
			return err
		}
		for _, tr := range want {
			if err := tx.AddModuleTrace(ctx, mb.ID, tr); err != nil {
				return err
			}
		}
		for _, tr := range wantC {
			if err := tx.AddComponentTrace(ctx, c.ID, tr); err != nil {
				return err
			}
		}
		return nil
	})
	checkRead(t, st, "module traces", want, func(ctx context.Context, tx orchestrator.Tx) ([]orchestrator.StateTrace, error) {
		return tx.ModuleTraces(ctx, mb.ID)
	})
	checkRead(t, st, "component traces", wantC, func(ctx context.Context, tx orchestrator.Tx) ([]orchestrator.ComponentTrace, error) {
		return tx.ComponentTraces(ctx, c.ID)
	})
}

func testLogMessages(t *testing.T, st orchestrator.Store) {
	mb := module("foo", "1", "1", "c")
	c := &orchestrator.ComponentBuild{Package: "a", Format: "rpms"}
	update(t, st, func(ctx context.Context, tx orchestrator.Tx) error {
		if err := createWithComponent(ctx, tx, mb, c); err != nil {
			return err
		}
		for i, m := range []*orchestrator.LogMessage{
			{ModuleID: mb.ID, Message: "first"},
			{ModuleID: mb.ID, ComponentID: c.ID, Message: "about a"},
			{ModuleID: mb.ID, Message: "last"},
		} {
			m.Time = t0.Add(time.Duration(i) * time.Second)
			if err := tx.AddLogMessage(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, st, func(ctx context.Context, tx orchestrator.Tx) error {
		all, n, err := tx.LogMessages(ctx, &orchestrator.LogMessageFilter{ModuleID: mb.ID})
		if err != nil {
			return err
		}
		var got []string
		for _, m := range all {
			got = append(got, m.Message)
		}
		if diff := cmp.Diff([]string{"last", "about a", "first"}, got); diff != "" || n != 3 {
			t.Errorf("module messages, newest first (-want +got):\n%s\ntotal %d", diff, n)
		}
		comp, _, err := tx.LogMessages(ctx, &orchestrator.LogMessageFilter{ComponentID: c.ID})
		if err != nil {
			return err
		}
		if len(comp) != 1 || comp[0].Message != "about a" || comp[0].ComponentID != c.ID {
			t.Errorf("component messages: got %+v", comp)
		}
		page, n, err := tx.LogMessages(ctx, &orchestrator.LogMessageFilter{ModuleID: mb.ID, Limit: 1, Offset: 1})
		if err != nil {
			return err
		}
		if len(page) != 1 || page[0].Message != "about a" || n != 3 {
			t.Errorf("page 2 of size 1: got %+v, total %d", page, n)
		}
		return nil
	})
}

func testOutbox(t *testing.T, st orchestrator.Store) {
	var evs []*orchestrator.Event
	update(t, st, func(ctx context.Context, tx orchestrator.Tx) error {
		for i := range 3 {
			e := &orchestrator.Event{MessageID: orchestrator.NewMessageID(), Topic: fmt.Sprintf("t%d", i), Time: t0, Body: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}
			if err := tx.AddEvent(ctx, e); err != nil {
				return err
			}
			evs = append(evs, e)
		}
		return nil
	})
	checkRead(t, st, "pending, oldest first", evs[:2], func(ctx context.Context, tx orchestrator.Tx) ([]*orchestrator.Event, error) {
		return tx.PendingEvents(ctx, 2)
	})
	update(t, st, func(ctx context.Context, tx orchestrator.Tx) error {
		return tx.MarkEventsSent(ctx, []int64{evs[0].ID, evs[1].ID})
	})
	checkRead(t, st, "pending after marking two sent", evs[2:], func(ctx context.Context, tx orchestrator.Tx) ([]*orchestrator.Event, error) {
		return tx.PendingEvents(ctx, 10)
	})
}

func testLeases(t *testing.T, st orchestrator.Store) {
	ctx := context.Background()
	claim := func(name, holder string, ttl time.Duration, want bool) {
		t.Helper()
		got, err := st.Claim(ctx, name, holder, ttl)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("Claim(%s, %s) = %v, want %v", name, holder, got, want)
		}
	}
	holds := func(name, holder string, want bool) {
		t.Helper()
		view(t, st, func(ctx context.Context, tx orchestrator.Tx) error {
			got, err := tx.HoldsLease(ctx, name, holder)
			if err == nil && got != want {
				t.Errorf("HoldsLease(%s, %s) = %v, want %v", name, holder, got, want)
			}
			return err
		})
	}
	claim("work/1", "a", time.Minute, true)
	claim("work/1", "b", time.Minute, false)
	claim("work/2", "b", time.Minute, true)
	claim("work/1", "a", time.Minute, true) // renewal
	holds("work/1", "a", true)
	holds("work/1", "b", false)
	holds("work/3", "a", false)
	if err := st.Release(ctx, "work/1", "b"); err != nil { // not b's: no effect
		t.Fatal(err)
	}
	claim("work/1", "b", time.Minute, false)
	if err := st.Release(ctx, "work/1", "a"); err != nil {
		t.Fatal(err)
	}
	holds("work/1", "a", false)
	claim("work/1", "b", time.Minute, true)
	// An expired lease goes to the next claimant.
	claim("work/4", "a", 50*time.Millisecond, true)
	time.Sleep(150 * time.Millisecond)
	holds("work/4", "a", false)
	claim("work/4", "b", time.Minute, true)
	claim("work/4", "a", time.Minute, false)
}

// testModuleRowLock checks that concurrent Update transactions reading
// and rewriting one module build do not lose each other's changes.
func testModuleRowLock(t *testing.T, st orchestrator.Store) {
	mb := module("foo", "1", "1", "c")
	update(t, st, func(ctx context.Context, tx orchestrator.Tx) error { return tx.CreateModuleBuild(ctx, mb) })
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			errs <- st.Update(ctx, func(tx orchestrator.Tx) error {
				cur, err := tx.ModuleBuild(ctx, mb.ID)
				if err != nil {
					return err
				}
				time.Sleep(time.Millisecond)
				cur.Batch++
				return tx.UpdateModuleBuild(ctx, cur)
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkRead(t, st, "batch after concurrent increments", n, func(ctx context.Context, tx orchestrator.Tx) (int, error) {
		cur, err := tx.ModuleBuild(ctx, mb.ID)
		if err != nil {
			return 0, err
		}
		return cur.Batch, nil
	})
}
