package zerobuilder_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
)

// TestJournalMakesSubmitIdempotent checks that a builder reopened over the
// same journal does not build a (component, attempt) again, but does build
// a new attempt.
func TestJournalMakesSubmitIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	journal := filepath.Join(t.TempDir(), "journal")
	mb := &orchestrator.ModuleBuild{ID: 1, Name: "m", Stream: "s", Version: "1", Context: "c", DistTag: ".module+x+1+abc"}
	c := &orchestrator.ComponentBuild{ID: 5, ModuleID: 1, Package: "foo"}
	b, err := zerobuilder.New(&zerobuilder.Options{Journal: journal, Fail: map[string]string{"bar": "no"}})
	if err != nil {
		t.Fatal(err)
	}
	task, err := b.Submit(ctx, mb, c)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Poll(ctx, mb, c)
	if err != nil {
		t.Fatal(err)
	}
	want := orchestrator.ComponentResult{
		State: orchestrator.ComponentComplete, NVR: "foo-1.0-1.module+x+1+abc",
		RPMs:     []string{"foo-0:1.0-1.module+x+1+abc.x86_64", "foo-0:1.0-1.module+x+1+abc.src"},
		Licenses: []string{"MIT"},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("poll (-want +got):\n%s", diff)
	}
	failed := &orchestrator.ComponentBuild{ID: 6, ModuleID: 1, Package: "bar"}
	if _, err := b.Submit(ctx, mb, failed); err != nil {
		t.Fatal(err)
	}
	if res, _ := b.Poll(ctx, mb, failed); res.State != orchestrator.ComponentFailed || res.Reason != "no" {
		t.Errorf("failing package: %+v", res)
	}
	b.Close()

	b2, err := zerobuilder.New(&zerobuilder.Options{Journal: journal})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	again, err := b2.Submit(ctx, mb, c)
	if err != nil || again != task {
		t.Errorf("resubmit after restart: %q, %v; want the same task %q", again, err, task)
	}
	c.Attempt = 1
	if _, err := b2.Submit(ctx, mb, c); err != nil {
		t.Fatal(err)
	}
	got, err := zerobuilder.ReadJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	wantBuilds := []zerobuilder.Build{
		{ModuleID: 1, ComponentID: 5, Package: "foo"},
		{ModuleID: 1, ComponentID: 6, Package: "bar"},
		{ModuleID: 1, ComponentID: 5, Attempt: 1, Package: "foo"},
	}
	for i, b := range got {
		if b.Started.IsZero() {
			t.Errorf("journal entry %d has no start time", i)
		}
	}
	if diff := cmp.Diff(wantBuilds, got, cmpopts.IgnoreFields(zerobuilder.Build{}, "Started")); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
}

// TestSharedJournal checks that builders of two processes sharing a
// journal see each other's builds: a component submitted by one is not
// built again by the other, which can poll it, and the delay counts from
// the first submission.
func TestSharedJournal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	journal := filepath.Join(t.TempDir(), "journal")
	opts := &zerobuilder.Options{Journal: journal, Delay: 300 * time.Millisecond}
	a, err := zerobuilder.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := zerobuilder.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	mb := &orchestrator.ModuleBuild{ID: 1, DistTag: ".module+x+1+abc"}
	c := &orchestrator.ComponentBuild{ID: 5, ModuleID: 1, Package: "foo"}
	ta, err := a.Submit(ctx, mb, c)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := b.Poll(ctx, mb, c); err != nil || res.State != orchestrator.ComponentBuilding {
		t.Errorf("poll by the other process at once: %+v, %v; want building", res, err)
	}
	tb, err := b.Submit(ctx, mb, c)
	if err != nil || tb != ta {
		t.Errorf("submit by the other process: %q, %v; want %q", tb, err, ta)
	}
	time.Sleep(350 * time.Millisecond)
	if res, err := b.Poll(ctx, mb, c); err != nil || res.State != orchestrator.ComponentComplete {
		t.Errorf("poll by the other process after the delay: %+v, %v", res, err)
	}
	got, err := zerobuilder.ReadJournal(journal)
	if err != nil || len(got) != 1 {
		t.Errorf("journal: %+v, %v; want one build", got, err)
	}
}
