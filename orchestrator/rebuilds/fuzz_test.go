package rebuilds

import "testing"

// FuzzParse: no message body makes the message reader panic, and a message
// it accepts has an event type and a search key.
func FuzzParse(f *testing.F) {
	for _, s := range []struct{ topic, body string }{
		{"git.receive", `{"commit": {"namespace": "rpms", "repo": "a", "branch": "main", "rev": "abc", "stats": {"files": {"a.spec": {}}}}}`},
		{"git.receive", `{"commit": {"namespace": "modules", "repo": "a", "branch": "1", "rev": "abc", "stats": {"files": ["a.yaml"]}}}`},
		{"mbs.module.state.change", `{"id": 1, "name": "a", "stream": "1", "state": 5}`},
		{"bodhi.update.complete.stable", `{"update": {"alias": "X", "builds": [{"nvr": "a-1-1"}]}}`},
		{"buildsys.build.state.change", `{"build_id": 1, "name": "a", "version": "1", "release": "1", "new": 1}`},
		{"bodhi.update.status.testing.koji-build-group.build.complete", `{"update": {"alias": "X", "builds": [{"nvr": "a-1-1"}]}, "artifact": {}}`},
		{"buildsys.task.state.change", `{"id": 7, "method": "buildContainer", "new": "CLOSED"}`},
		{"buildsys.task.state.change", `{"id": 7, "method": "buildContainer", "new": 5}`},
	} {
		f.Add(s.topic, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, topic string, body []byte) {
		p, ok, err := parse(Message{ID: "m", Topic: topic, Body: body})
		if err != nil && ok {
			t.Fatalf("error %v with ok", err)
		}
		if ok && p.key == "" {
			t.Fatalf("accepted message without a search key: %+v", p)
		}
	})
}

// FuzzParseRules: no rules document makes the rule reader panic.
func FuzzParseRules(f *testing.F) {
	f.Add([]byte(`{"global": {"module": {"name": ["a", "("]}}}`), []byte(`{"H": {"image": ["any", [{"name": "x"}, ["all", []]]]}}`))
	f.Fuzz(func(t *testing.T, allow, block []byte) {
		r, err := ParseRules(allow, block)
		if err == nil {
			r.Decide("H", ArtifactModule, map[string]string{"name": "a", "stream": "1"})
		}
	})
}
