package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/modkit/modkit/internal/kojihub"
	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/pgstore/pgtest"
)

// TestGlobalConcurrencyOnPostgres runs 3 `modkit serve --builder koji`
// processes on one PostgreSQL database with --concurrent-builds 4 and
// --jobs 10 each: the koji hub's record of its build tasks must never show
// more than 4 running at once, although each process alone could run 10.
func TestGlobalConcurrencyOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("3 serve processes and a koji hub process")
	}
	testenv.RequireTools(t, "rpmbuild") // module-build-macros
	db := pgtest.NewDatabase(t)
	repo := gitRepo(t)
	const limit, modules, comps = 4, 6, 8
	hubURL, kojiArgs := startKojiHub(t, 300*time.Millisecond)
	c := newCluster(t, 3, db, append(kojiArgs, "--auth", "none", "--allow-yaml", "--allow-component-repository",
		"--lease-ttl", "2s", "--poll-interval", "100ms", "--jobs", "10", "--concurrent-builds", fmt.Sprint(limit)))
	for i := range modules {
		c.submit(chaosModule(fmt.Sprintf("limit%02d", i), repo, comps, 2))
	}
	st := openPG(t, db)
	final := waitFinished(t, st, modules, 5*time.Minute, nil)
	for _, mb := range final {
		if mb.State != orchestrator.StateReady {
			t.Errorf("module build %d %s: %s (%s)", mb.ID, mb.NSVC(), mb.State, mb.StateReason)
		}
	}
	tasks, err := kojihub.BuildTasks(t.Context(), hubURL)
	if err != nil {
		t.Fatal(err)
	}
	if want := modules * (comps + 1); len(tasks) != want {
		t.Errorf("%d build tasks, want %d", len(tasks), want)
	}
	most := kojihub.MaxRunning(tasks)
	t.Logf("at most %d of %d build tasks running at once (limit %d)", most, len(tasks), limit)
	if most > limit {
		t.Errorf("%d build tasks ran at once, more than --concurrent-builds %d", most, limit)
	}
	if t.Failed() {
		c.logTails(t, 100)
	}
}
