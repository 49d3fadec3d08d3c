package localbuild

import (
	"context"
	"os"
	"testing"

	"github.com/modkit/modkit/orchestrator"
)

// TestPollUnreadableRecord: a record cut short (a crash of the machine,
// records are not synced) makes Poll build the component again, not fail
// forever.
func TestPollUnreadableRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b, mb, c := prefetchFixture(t)
	if _, err := b.Submit(ctx, mb, c); err != nil {
		t.Fatal(err)
	}
	first := waitFor(t, b, mb, c)
	if first.State != orchestrator.ComponentComplete {
		t.Fatalf("%v %s", first.State, first.Reason)
	}
	cdir := b.componentDir(mb, c.Package)
	if err := os.WriteFile(recordPath(cdir), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A restarted service: a new Builder on the same directory.
	b2, err := New(&Options{Dir: b.dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	r, err := b2.Poll(ctx, mb, c)
	if err != nil || r.State != orchestrator.ComponentBuilding {
		t.Fatalf("Poll of an unreadable record = %+v, %v; want building again", r, err)
	}
	again := waitFor(t, b2, mb, c)
	if again.State != orchestrator.ComponentComplete || again.NVR != first.NVR {
		t.Errorf("rebuilt: %+v, want complete %s", again, first.NVR)
	}
	if rec, err := readRecord(cdir); err != nil || rec.Result == nil {
		t.Errorf("record after the rebuild = %+v, %v", rec, err)
	}
}
