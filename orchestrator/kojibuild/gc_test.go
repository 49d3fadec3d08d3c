package kojibuild_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/kojibuild"
)

// clock is a settable clock for the service and the builder.
type clock struct{ off atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) advance(d time.Duration) { c.off.Add(int64(d)) }

// TestGarbageCollection checks MBS's koji cleanup through Service.Cleanup:
// the target of a finished build goes after the grace period (its tags
// stay), and the components of a build failed long ago are untagged.
func TestGarbageCollection(t *testing.T) {
	t.Parallel()
	h := newKojitest(t)
	testGarbageCollection(t, h)
}

func testGarbageCollection(t *testing.T, h *hubEnv) {
	ctx := context.Background()
	var clk clock
	h.sim.Fail("broken", "error: Bad exit status")
	e := newEnv(t, h, t.TempDir(), func(o *orchestrator.Options, k *kojibuild.Options) {
		o.Now, k.Now = clk.now, clk.now
	})
	stop := e.run(t)
	good := e.wait(t, e.submit(t, moduleYAML("gcgood"+unique(), h.stream, []component{{name: "g1"}}, ""), "").ID)
	check(t, e, good)
	bad := e.wait(t, e.submit(t, moduleYAML("gcbad"+unique(), h.stream, []component{{name: "fine"}, {name: "broken"}}, ""), "").ID)
	if bad.State != orchestrator.StateFailed {
		t.Fatalf("bad build: %s", bad.State)
	}
	stop()
	c := h.client(t)
	nGood, nBad := kojibuild.NamesOf(good), kojibuild.NamesOf(bad)
	var fine string
	for _, comp := range e.components(t, bad.ID) {
		if comp.Package == "fine" {
			fine = comp.NVR
		}
	}
	if fine == "" {
		t.Fatal("fine has no NVR")
	}
	// The failed build's batch was not tagged (MBS tags only successful
	// batches); tag fine as a finished earlier batch would have been.
	for _, tag := range []string{nBad.BuildTag, nBad.Tag} {
		if err := c.TagBuildBypass(ctx, koji.Name(tag), koji.Name(fine), true); err != nil {
			t.Fatal(err)
		}
	}

	// Within the grace period nothing changes.
	clk.advance(23 * time.Hour)
	if _, err := e.svc.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetTarget(ctx, koji.Name(nGood.Target), nil); err != nil {
		t.Fatalf("target deleted within the grace period: %v", err)
	}
	clk.advance(2 * time.Hour)
	if _, err := e.svc.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tg := range []string{nGood.Target, nBad.Target} {
		if _, err := c.GetTarget(ctx, koji.Name(tg), nil); err == nil {
			t.Errorf("target %s still exists 25 h after the build finished", tg)
		}
	}
	for _, tag := range []string{nGood.Tag, nGood.BuildTag} {
		if _, err := c.GetTag(ctx, koji.Name(tag), nil); err != nil {
			t.Errorf("tag %s: %v (tags are never deleted)", tag, err)
		}
	}

	clk.advance(181 * 24 * time.Hour)
	res, err := e.svc.Cleanup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Garbage) != 1 || res.Garbage[0] != bad.ID {
		t.Fatalf("garbage %v, want [%d]", res.Garbage, bad.ID)
	}
	for _, tag := range []string{nBad.BuildTag, nBad.Tag} {
		l, err := c.ListTagged(ctx, koji.Name(tag), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range l {
			if b.NVR == fine {
				t.Errorf("%s still tagged into %s after garbage collection", fine, tag)
			}
		}
	}
	l, err := c.ListTagged(ctx, koji.Name(nGood.Tag), nil)
	if err != nil || len(l) == 0 {
		t.Errorf("the good build's tag lost its builds: %v, %v", l, err)
	}
}
