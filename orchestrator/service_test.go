package orchestrator_test

import (
	"context"
	"testing"

	"github.com/modkit/modkit/orchestrator"
)

func TestSubmitBuildsToReady(t *testing.T) {
	t.Parallel()
	e := newEnv(t, t.TempDir(), nil, nil)
	e.run(t)
	mbs, err := e.svc.Submit(context.Background(), &orchestrator.SubmitRequest{Modulemd: []byte(moduleYAML("demo", 6, 3)), Owner: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	got := e.wait(t, mbs[0].ID)
	if len(got) != 1 || got[0].State != orchestrator.StateReady {
		t.Fatalf("got %+v", got[0])
	}
	comps, _, err := e.svc.Components(context.Background(), &orchestrator.ComponentBuildFilter{ModuleID: got[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(comps) != 7 {
		t.Fatalf("got %d components", len(comps))
	}
	t.Logf("%s %s %s", got[0].NSVC(), got[0].DistTag, got[0].Modulemd)
}
