package koji_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

func TestRepos(t *testing.T) {
	t.Parallel()
	hub, c := setup(t)
	ctx := t.Context()
	must[int64](t)(c.CreateTag(ctx, "dest", nil))
	if _, err := c.GetRepo(ctx, koji.Name("dest"), nil); !errors.Is(err, koji.ErrNotFound) {
		t.Errorf("GetRepo(no repo) = %v", err)
	}
	id := must[int64](t)(c.NewRepo(ctx, koji.Name("dest"), nil))
	check(t, hub.CompleteTask(id, nil))
	r1 := must[*koji.Repo](t)(c.GetRepo(ctx, koji.Name("dest"), nil))
	if r1.State != koji.RepoReady || r1.TagName != "dest" || r1.TaskID == nil || *r1.TaskID != id {
		t.Errorf("GetRepo = %+v", r1)
	}
	id2 := must[int64](t)(c.NewRepo(ctx, koji.Name("dest"), nil))
	check(t, hub.CompleteTask(id2, nil))
	r2 := must[*koji.Repo](t)(c.GetRepo(ctx, koji.Name("dest"), nil))
	if r2.ID == r1.ID || r2.CreateEvent <= r1.CreateEvent {
		t.Errorf("second repo %+v not newer than %+v", r2, r1)
	}
	expired := koji.RepoExpired
	if old := must[*koji.Repo](t)(c.GetRepo(ctx, koji.Name("dest"), &koji.GetRepoOptions{State: &expired})); old.ID != r1.ID {
		t.Errorf("expired repo = %+v", old)
	}
	if _, err := c.GetRepo(ctx, koji.Name("dest"), &koji.GetRepoOptions{MinEvent: r2.CreateEvent + 1}); !errors.Is(err, koji.ErrNotFound) {
		t.Errorf("GetRepo(min_event in future) = %v", err)
	}
}

func TestWaitRepo(t *testing.T) {
	t.Parallel()
	_, c := setup(t, kojitest.WithBuilder(kojitest.AutoComplete))
	ctx := t.Context()
	seedBuilds(t, c)
	ev := must[int64](t)(c.TagLastChangeEvent(ctx, koji.Name("child")))
	repo, err := c.WaitRepo(ctx, koji.Name("child"), &koji.WaitRepoOptions{Builds: []string{"foo-1.0-2"}, Request: true})
	if err != nil {
		t.Fatal(err)
	}
	if repo.CreateEvent < ev {
		t.Errorf("repo event %d older than last change %d", repo.CreateEvent, ev)
	}
	// A build that never gets tagged keeps WaitRepo waiting until the deadline.
	wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := c.WaitRepo(wctx, koji.Name("child"), &koji.WaitRepoOptions{Builds: []string{"foo-9-9"}}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitRepo(untagged build) = %v", err)
	}
	last := must[*koji.Event](t)(c.GetLastEvent(ctx))
	if last.ID < repo.CreateEvent || last.Time.IsZero() {
		t.Errorf("GetLastEvent = %+v", last)
	}
}
