package rebuilds_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/orchestrator/rebuilds"
)

func TestHandlers(t *testing.T) {
	t.Parallel()
	scm := newGitSCM()
	setupABC(scm)
	w := newWorld(t, t.TempDir(), scm, &rebuilds.Options{ModulesRepository: gitBase + "modules/"})
	w.build("alpha")
	if err := w.orch.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	alphaRev, _ := scm.ResolveRef(context.Background(), gitBase+"modules/alpha.git", "1")
	alphaTime, _ := scm.CommitTime(context.Background(), "", alphaRev)
	js := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	git := func(ns, repo, branch string, files ...string) json.RawMessage {
		return js(map[string]any{"commit": map[string]any{"namespace": ns, "repo": repo, "branch": branch, "rev": alphaRev, "stats": map[string]any{"files": files}}})
	}
	tests := []struct {
		name    string
		topic   string
		body    json.RawMessage
		typ     rebuilds.EventType
		state   rebuilds.EventState
		reason  string // in StateReason
		ignored bool
		err     string
	}{
		{name: "spec push nobody uses", topic: "git.receive", body: git("rpms", "unused", "main", "unused.spec"),
			typ: rebuilds.EventGitRPMSpecChange, state: rebuilds.EventSkipped, reason: "no module's newest build takes rpms/unused from branch main"},
		{name: "spec push on another branch", topic: "git.receive", body: git("rpms", "alpha-lib", "f40", "alpha-lib.spec"),
			typ: rebuilds.EventGitRPMSpecChange, state: rebuilds.EventSkipped, reason: "from branch f40"},
		{name: "push without a spec", topic: "git.receive", body: git("rpms", "alpha-lib", "main", "README.md"), ignored: true},
		{name: "module definition push", topic: "git.receive", body: git("modules", "alpha", "1", "alpha.yaml"),
			typ: rebuilds.EventGitModuleMetadataChange, state: rebuilds.EventSkipped, reason: "not submitted: "},
		{name: "dockerfile push", topic: "git.receive", body: git("container", "img", "main", "Dockerfile"),
			typ: rebuilds.EventGitDockerfileChange, state: rebuilds.EventSkipped, reason: "recorded only"},
		{name: "git push without repo", topic: "git.receive", body: js(map[string]any{"commit": map[string]any{"branch": "x"}}), err: "commit.repo, commit.branch and commit.rev are required"},
		{name: "module building", topic: "mbs.module.state.change", body: js(map[string]any{"id": 99, "name": "x", "stream": "1", "state": 2}), ignored: true},
		{name: "foreign module ready without dependents", topic: "mbs.module.state.change", body: js(map[string]any{"id": 99, "name": "zeta", "stream": "1", "version": "1", "state": 5}),
			typ: rebuilds.EventModuleStateChange, state: rebuilds.EventSkipped, reason: "no module's newest build buildrequires zeta:1"},
		{name: "foreign module failed", topic: "mbs.module.state.change", body: js(map[string]any{"id": 98, "name": "zeta", "stream": "1", "state": 4}),
			typ: rebuilds.EventModuleStateChange, state: rebuilds.EventSkipped, reason: "failed and is not a rebuild"},
		{name: "module message without name", topic: "module.state.change", body: js(map[string]any{"id": 1, "state": 5}), err: "id, name and stream are required"},
		{name: "bodhi stable", topic: "bodhi.update.complete.stable", body: js(map[string]any{"update": map[string]any{"alias": "FEDORA-2026-1", "builds": []any{map[string]any{"nvr": "a-1-1"}}}}),
			typ: rebuilds.EventBodhiUpdateStable, state: rebuilds.EventSkipped, reason: "container image rebuilds are not configured"},
		{name: "bodhi created", topic: "bodhi.update.request.testing", body: js(map[string]any{"update": map[string]any{"alias": "FEDORA-2026-2"}}),
			typ: rebuilds.EventBodhiUpdateCreated, state: rebuilds.EventSkipped, reason: "BodhiUpdateCreatedEvent"},
		{name: "bodhi without alias", topic: "bodhi.update.complete.stable", body: js(map[string]any{"update": map[string]any{}}), err: "update.alias is required"},
		{name: "koji build complete", topic: "buildsys.build.state.change", body: js(map[string]any{"build_id": 5, "name": "a", "version": "1", "release": "1", "new": 1}),
			typ: rebuilds.EventKojiBuildComplete, state: rebuilds.EventSkipped, reason: "recorded only"},
		{name: "koji build started", topic: "buildsys.build.state.change", body: js(map[string]any{"build_id": 5, "name": "a", "new": 0}), ignored: true},
		{name: "other topic", topic: "org.example.other", body: js(map[string]any{}), ignored: true},
		{name: "not JSON", topic: "git.receive", body: json.RawMessage(`{`), err: "message"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := w.rs.Handle(context.Background(), rebuilds.Message{ID: "m" + string(rune('a'+i)), Topic: tc.topic, Body: tc.body})
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error containing %q", err, tc.err)
				}
				return
			case err != nil:
				t.Fatal(err)
			case tc.ignored:
				if ev != nil {
					t.Fatalf("got event %+v, want the message ignored", ev)
				}
				return
			case ev == nil:
				t.Fatal("message ignored")
			}
			if ev.Type != tc.typ || ev.State != tc.state || !strings.Contains(ev.StateReason+" "+ev.Type.String(), tc.reason) {
				t.Fatalf("got %s %s %q; want %s %s containing %q", ev.Type, ev.State, ev.StateReason, tc.typ, tc.state, tc.reason)
			}
		})
	}
	// A new commit of a module definition is built at that commit.
	newRev := scm.push(gitBase+"modules/alpha.git", "1", alphaTime.Add(time.Hour))
	body := js(map[string]any{"commit": map[string]any{"namespace": "modules", "repo": "alpha", "branch": "1", "rev": newRev, "stats": map[string]any{"files": []string{"alpha.yaml"}}}})
	ev, err := w.rs.Handle(context.Background(), rebuilds.Message{ID: "mmd-new", Topic: "git.receive", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	bs, _, _ := w.store.Builds(context.Background(), &rebuilds.BuildFilter{EventID: ev.ID})
	if ev.State != rebuilds.EventBuilding || len(bs) != 1 || bs[0].BuildID == 0 {
		t.Fatalf("module push: event %s %q, builds %+v", ev.State, ev.StateReason, bs)
	}
	mb := w.wait(bs[0].BuildID)
	if !strings.HasSuffix(mb.SCMURL, "#"+newRev) {
		t.Errorf("built %s, want the pushed commit %s", mb.SCMURL, newRev)
	}
	if _, err := w.rs.Handle(context.Background(), rebuilds.Message{Topic: "git.receive"}); err == nil {
		t.Error("a message without id was accepted")
	}
}
