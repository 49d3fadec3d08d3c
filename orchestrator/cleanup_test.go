package orchestrator_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
)

// clock is an adjustable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestCleanupPollers drives Service.Cleanup with an injected clock: builds
// stuck in build are failed after StuckAfter, failed builds become garbage
// after GarbageAfter, and nothing happens before or when disabled.
func TestCleanupPollers(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	tests := []struct {
		name         string
		fail         bool          // the build fails (else it stays building)
		advance      time.Duration // clock advance after the build settled
		stuck, garb  time.Duration // Options.StuckAfter, GarbageAfter (0 = defaults)
		wantState    orchestrator.ModuleState
		wantReason   string
		wantStuck    int
		wantGarbage  int
		wantCompFail bool // running components failed with the module
	}{
		{name: "building, 6 days", advance: 6 * day, wantState: orchestrator.StateBuild},
		{name: "building, 8 days", advance: 8 * day, wantState: orchestrator.StateFailed, wantReason: "The module was in build for more than 7 days", wantStuck: 1, wantCompFail: true},
		{name: "building, custom 1 day", advance: 2 * day, stuck: day, wantState: orchestrator.StateFailed, wantReason: "The module was in build for more than 1 day", wantStuck: 1, wantCompFail: true},
		{name: "building, disabled", advance: 400 * day, stuck: -1, garb: -1, wantState: orchestrator.StateBuild},
		{name: "failed, 179 days", fail: true, advance: 179 * day, wantState: orchestrator.StateFailed, wantReason: "Component(s) pkg000 failed to build."},
		{name: "failed, 181 days", fail: true, advance: 181 * day, wantState: orchestrator.StateGarbage, wantReason: "Failed more than 180 days ago", wantGarbage: 1},
		{name: "failed, disabled", fail: true, advance: 400 * day, garb: -1, wantState: orchestrator.StateFailed, wantReason: "Component(s) pkg000 failed to build."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := &clock{t: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
			zopts := &zerobuilder.Options{Delay: time.Hour}
			if tc.fail {
				zopts = &zerobuilder.Options{Fail: map[string]string{"pkg000": "broken"}}
			}
			e := newEnv(t, t.TempDir(), zopts, func(o *orchestrator.Options) {
				o.Now = clk.now
				o.StuckAfter, o.GarbageAfter = tc.stuck, tc.garb
			})
			e.run(t)
			id := submit(t, e, moduleYAML("demo", 1, 1), nil)[0].ID
			ctx := context.Background()
			settled := func() bool {
				mb, err := e.svc.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if tc.fail {
					return mb.State == orchestrator.StateFailed
				}
				c := components(t, e, id)[orchestrator.MacrosPackage]
				return mb.State == orchestrator.StateBuild && c.State != nil
			}
			for deadline := time.Now().Add(30 * time.Second); !settled(); time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the build did not reach the state the test needs")
				}
			}
			clk.advance(tc.advance)
			res, err := e.svc.Cleanup(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Stuck) != tc.wantStuck || len(res.Garbage) != tc.wantGarbage {
				t.Errorf("Cleanup = %+v, want %d stuck, %d garbage", res, tc.wantStuck, tc.wantGarbage)
			}
			mb, err := e.svc.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if mb.State != tc.wantState || mb.StateReason != tc.wantReason {
				t.Errorf("got %s %q, want %s %q", mb.State, mb.StateReason, tc.wantState, tc.wantReason)
			}
			if tc.wantCompFail {
				for name, c := range components(t, e, id) {
					if c.State == nil || *c.State != orchestrator.ComponentFailed || c.StateReason != tc.wantReason {
						t.Errorf("component %s: state %v %q, want failed with the module's reason", name, c.State, c.StateReason)
					}
				}
				if msgs := messages(t, e, id); !strings.Contains(strings.Join(msgs, "\n"), "the cleanup poller failed it") {
					t.Errorf("no log message about the cleanup: %q", msgs)
				}
			}
			// A second pass changes nothing.
			again, err := e.svc.Cleanup(ctx)
			if err != nil || len(again.Stuck)+len(again.Garbage) != 0 {
				t.Errorf("second Cleanup = %+v, %v; want nothing to do", again, err)
			}
		})
	}
}

// TestCleanupKeepsReadyBuilds: ready builds never become garbage.
func TestCleanupKeepsReadyBuilds(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	e := newEnv(t, t.TempDir(), nil, func(o *orchestrator.Options) { o.Now = clk.now })
	e.run(t)
	mb := e.wait(t, submit(t, e, moduleYAML("demo", 1, 1), nil)[0].ID)[0]
	clk.advance(10 * 365 * 24 * time.Hour)
	res, err := e.svc.Cleanup(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(orchestrator.CleanupResult{}, res); diff != "" {
		t.Errorf("Cleanup (-want +got):\n%s", diff)
	}
	if got, _ := e.svc.Get(context.Background(), mb.ID); got.State != orchestrator.StateReady {
		t.Errorf("state %s, want ready", got.State)
	}
}
