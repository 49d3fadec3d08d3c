package pdcpublish_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/pdcpublish"
	"github.com/modkit/modkit/pdc"
	"github.com/modkit/modkit/pdc/pdctest"
)

func event(t *testing.T, state orchestrator.ModuleState, tag *string) orchestrator.Event {
	t.Helper()
	body, err := json.Marshal(orchestrator.ModuleMessage{ID: 7, Name: "nodejs", Stream: "8", Version: "20170101000000", Context: "c0ffee42",
		State: state, KojiTag: tag, BuildRequires: map[string]orchestrator.BuildRequire{"platform": {Stream: "f27"}}})
	if err != nil {
		t.Fatal(err)
	}
	return orchestrator.Event{MessageID: "m", Topic: "org.example.mbs.module.state.change", Body: body}
}

func TestPublisher(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := pdctest.New()
	defer srv.Close()
	srv.AddToken("tok", "mbs")
	w, _ := pdc.NewClient(srv.URL, pdc.WithToken("tok"))
	md := "document: modulemd\nversion: 2\ndata:\n  name: nodejs\n  stream: \"8\"\n  version: 20170101000000\n  context: c0ffee42\n  summary: s\n  description: d.\n  license:\n    module: [MIT]\n"
	calls := 0
	p := &pdcpublish.Publisher{PDC: w, Modulemd: func(_ context.Context, id int64) (string, error) {
		calls++
		if id != 7 {
			t.Errorf("Modulemd(%d)", id)
		}
		return md, nil
	}}
	tag := "module-nodejs-8-20170101000000-c0ffee42"
	// init is ignored; wait creates; build again is a no-op; ready activates.
	for _, st := range []orchestrator.ModuleState{orchestrator.StateInit, orchestrator.StateWait, orchestrator.StateBuild, orchestrator.StateReady, orchestrator.StateReady} {
		if err := p.Publish(ctx, []orchestrator.Event{event(t, st, &tag)}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := w.GetModule(ctx, "nodejs:8:20170101000000:c0ffee42")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Active || m.KojiTag != tag || m.Modulemd != md || len(m.BuildDeps) != 1 || m.BuildDeps[0].Stream != "f27" || calls != 1 {
		t.Errorf("module = %+v, modulemd calls %d", m, calls)
	}
	// Without a koji tag: pdc-updater's hash tag; other topics ignored.
	ev := event(t, orchestrator.StateWait, nil)
	var msg orchestrator.ModuleMessage
	json.Unmarshal(ev.Body, &msg)
	msg.Version = "20170202000000"
	ev.Body, _ = json.Marshal(msg)
	other := orchestrator.Event{Topic: "x.component.state.change", Body: []byte(`{}`)}
	tee := pdcpublish.Tee{p}
	if err := tee.Publish(ctx, []orchestrator.Event{other, ev}); err != nil {
		t.Fatal(err)
	}
	m, err = w.GetModule(ctx, "nodejs:8:20170202000000:c0ffee42")
	if err != nil || len(m.KojiTag) != len("module-")+16 || m.Active {
		t.Errorf("hash-tagged module = %+v, %v", m, err)
	}
}
