package pdcpublish_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/pdcpublish"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
	"github.com/modkit/modkit/pdc"
	"github.com/modkit/modkit/pdc/pdctest"
	"github.com/modkit/modkit/resolver"
)

type fixedSCM struct{}

func (fixedSCM) ResolveRef(ctx context.Context, repo, ref string) (string, error) {
	return strings.Repeat("ab", 20), nil
}
func (fixedSCM) CommitTime(ctx context.Context, repo, commit string) (time.Time, error) {
	return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), nil
}
func (fixedSCM) ReadFile(ctx context.Context, repo, commit, path string) ([]byte, error) {
	return nil, os.ErrNotExist
}

const moduleYAML = `document: modulemd
version: 2
data:
  name: registered
  stream: "1"
  summary: Registered
  description: A module recorded in PDC as it builds.
  license: {module: [MIT]}
  dependencies:
  - buildrequires: {platform: [f40]}
    requires: {platform: [f40]}
  components:
    rpms:
      a: {rationale: x, repository: https://git.example.com/a, ref: main}
`

// TestServiceRecordsInPDC builds a module with the orchestrator (instant
// builder) whose publisher is pdcpublish: PDC ends up with the build,
// active, and a PDC Source then offers it to the resolver.
func TestServiceRecordsInPDC(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := pdctest.New()
	defer srv.Close()
	srv.AddToken("tok", "mbs")
	w, _ := pdc.NewClient(srv.URL, pdc.WithToken("tok"))
	st, err := sqlstore.Open(ctx, ":memory:", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	zb, _ := zerobuilder.New(nil)
	platform := &modulemd.Stream{MDVersionNumber: 2, Name: "platform", Stream: "f40", Version: 1, Context: "00000000",
		Summary: "p", Description: "p", License: modulemd.License{Module: []string{"MIT"}},
		XMD: modulemd.MustXMD(map[string]any{"mbs": map[string]any{"mse": "TRUE", "koji_tag": "module-f40-build"}})}
	var svc *orchestrator.Service
	pub := &pdcpublish.Publisher{PDC: w, Modulemd: func(ctx context.Context, id int64) (string, error) {
		mb, err := svc.Get(ctx, id)
		if err != nil {
			return "", err
		}
		return mb.Modulemd, nil
	}}
	svc, err = orchestrator.NewService(&orchestrator.Options{
		Store: st, Builder: zb, SCM: fixedSCM{}, Publisher: pub,
		Source:       orchestrator.Sources(orchestrator.NewDBSource(st), resolver.NewSource([]*modulemd.Stream{platform})),
		PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler), AllowComponentRepository: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { svc.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	mbs, err := svc.Submit(ctx, &orchestrator.SubmitRequest{Modulemd: []byte(moduleYAML), Owner: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	sibs, err := svc.Wait(waitCtx, mbs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	final := sibs[0]
	if final.State != orchestrator.StateReady {
		t.Fatalf("build ended in state %d", final.State)
	}
	if err := svc.Flush(waitCtx); err != nil {
		t.Fatal(err)
	}
	src := &pdc.Source{Client: w}
	builds, err := src.Builds(ctx, "registered", "1")
	if err != nil {
		t.Fatal(err)
	}
	if len(builds) != 1 || fmt.Sprint(builds[0].Version) != final.Version || builds[0].Context != final.Context {
		t.Fatalf("PDC holds %v, want the build %d (%s:%s)", builds, final.ID, final.Version, final.Context)
	}
	m, err := w.GetModule(ctx, builds[0].NSVC())
	if err != nil || !m.Active || m.KojiTag == "" {
		t.Errorf("PDC module = %+v, %v", m, err)
	}
}
