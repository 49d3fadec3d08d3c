package orchestrator_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/modkit/modkit/orchestrator"
)

func TestRebuildVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prev    []string
		want    string
		wantErr bool
	}{
		{prev: []string{"20240506070809"}, want: "20240506070810"},
		{prev: []string{"20240506070809", "20240506070811", "20240506070810"}, want: "20240506070812"},
		{prev: []string{"20241231235959"}, want: "20250101000000"},
		{prev: nil, wantErr: true},
		{prev: []string{"2024"}, wantErr: true},
	}
	for _, tc := range tests {
		got, err := orchestrator.RebuildVersion(tc.prev)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("RebuildVersion(%q) = %q, %v; want %q (error %v)", tc.prev, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestRebuildWithoutBumpCommit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, t.TempDir(), nil, nil)
	e.run(t)
	ctx := context.Background()
	repo := "https://git.example.com/modules/demo.git"
	e.scm.files[repo+"@demo.yaml"] = []byte(strings.Replace(moduleYAML("demo", 2, 1), "  stream: \"1\"\n", "", 1))
	submit := func(rebuild bool) ([]*orchestrator.ModuleBuild, error) {
		return e.svc.Submit(ctx, &orchestrator.SubmitRequest{SCMURL: repo + "#main", Owner: "freshmaker", Rebuild: rebuild, RebuildReason: "test"})
	}
	// A rebuild of a commit never built is an ordinary build.
	first, err := submit(true)
	if err != nil {
		t.Fatal(err)
	}
	// While it builds, a rebuild is refused.
	if _, err := submit(true); !errors.Is(err, orchestrator.ErrConflict) {
		t.Fatalf("rebuild during a build: got %v, want ErrConflict", err)
	}
	mb1 := e.wait(t, first[0].ID)[0]
	if mb1.SourceVersion != "20240506070809" {
		t.Fatalf("first build source version %s, want the commit time", mb1.SourceVersion)
	}
	// An ordinary resubmit of the same commit is refused, as in MBS.
	if _, err := submit(false); !errors.Is(err, orchestrator.ErrConflict) {
		t.Fatalf("resubmit: got %v, want ErrConflict", err)
	}
	prevVersion := mb1.Version
	for i, want := range []string{"20240506070810", "20240506070811"} {
		got, err := submit(true)
		if err != nil {
			t.Fatalf("rebuild %d: %v", i+1, err)
		}
		mb := e.wait(t, got[0].ID)[0]
		if mb.State != orchestrator.StateReady || mb.SourceVersion != want || mb.Context != mb1.Context || mb.SCMURL != mb1.SCMURL {
			t.Fatalf("rebuild %d: %s %s source version %s scmurl %s; want ready, %s, context %s", i+1, mb.NSVC(), mb.State, mb.SourceVersion, mb.SCMURL, want, mb1.Context)
		}
		a, _ := strconv.ParseUint(prevVersion, 10, 64)
		b, _ := strconv.ParseUint(mb.Version, 10, 64)
		if b <= a {
			t.Fatalf("rebuild %d: version %s not above %s", i+1, mb.Version, prevVersion)
		}
		prevVersion = mb.Version
		msgs, _, err := e.svc.Messages(ctx, &orchestrator.LogMessageFilter{ModuleID: mb.ID})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range msgs {
			found = found || strings.Contains(m.Message, "Rebuild of "+mb1.SCMURL) && strings.Contains(m.Message, "Reason: test")
		}
		if !found {
			t.Errorf("rebuild %d: no log message explains the rebuild", i+1)
		}
	}
	if _, err := e.svc.Submit(ctx, &orchestrator.SubmitRequest{Modulemd: []byte(moduleYAML("x", 1, 1)), Rebuild: true}); !errors.Is(err, orchestrator.ErrInvalid) {
		t.Fatalf("YAML rebuild: got %v, want ErrInvalid", err)
	}
}
