package orchestrator_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/resolver"
)

// platformStream returns base module platform:<stream>.
func platformStream(stream string) *modulemd.Stream {
	p := platform()
	p.Stream = stream
	p.XMD = modulemd.MustXMD(map[string]any{"mbs": map[string]any{"mse": true, "koji_tag": "module-" + stream + "-build", "commit": "c-" + stream}})
	return p
}

// builtAgainst decodes the final modulemd of mb and returns the stream of
// each module in xmd.mbs.buildrequires.
func builtAgainst(t *testing.T, mb *orchestrator.ModuleBuild) map[string]string {
	t.Helper()
	docs, err := modulemd.Parse([]byte(mb.Modulemd))
	if err != nil {
		t.Fatal(err)
	}
	st := docs[0].(*modulemd.Stream)
	brs, _ := st.XMD.Get("mbs", "buildrequires").(map[string]any)
	out := map[string]string{}
	for name, v := range brs {
		out[name], _ = v.(map[string]any)["stream"].(string)
	}
	return out
}

// TestSubmitBranchStreamOverride: the base module stream derived from the
// branch of a git submit (MBS BR_STREAM_OVERRIDE_REGEXES).
func TestSubmitBranchStreamOverride(t *testing.T) {
	t.Parallel()
	fedora := []*regexp.Regexp{regexp.MustCompile(`^(f)(?:edora-)?(\d+)-`)}
	tests := []struct {
		name      string
		branch    string
		regexes   []*regexp.Regexp
		module    string // Options.BranchStreamModule
		overrides map[string][]string
		want      string // platform stream built against
	}{
		{name: "branch gives the platform stream", branch: "fedora-41-private", regexes: fedora, want: "f41"},
		{name: "a request override wins", branch: "fedora-41-private", regexes: fedora, overrides: map[string][]string{"platform": {"f40"}}, want: "f40"},
		{name: "no regex matches", branch: "rolling", regexes: fedora, want: "f40"},
		{name: "not configured", branch: "fedora-41-private", want: "f40"},
		{name: "override of a module nothing buildrequires is dropped", branch: "fedora-41-private", regexes: fedora, module: "bootstrap", want: "f40"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, t.TempDir(), nil, func(o *orchestrator.Options) {
				o.Source = orchestrator.Sources(orchestrator.NewDBSource(o.Store), resolver.NewSource([]*modulemd.Stream{platform(), platformStream("f41")}))
				o.BranchStreamRegexes, o.BranchStreamModule = tc.regexes, tc.module
			})
			e.run(t)
			repo := "https://git.example.com/modules/demo.git"
			e.scm.files[repo+"@demo.yaml"] = []byte(strings.Replace(moduleYAML("demo", 1, 1), "  stream: \"1\"\n", "", 1))
			mbs, err := e.svc.Submit(context.Background(), &orchestrator.SubmitRequest{
				SCMURL: repo + "#" + tc.branch, Owner: "alice", BuildRequireOverrides: tc.overrides})
			if err != nil {
				t.Fatal(err)
			}
			mb := e.wait(t, mbs[0].ID)[0]
			if mb.State != orchestrator.StateReady || mb.Stream != tc.branch {
				t.Fatalf("got %s %s %q", mb.NSVC(), mb.State, mb.StateReason)
			}
			if diff := cmp.Diff(map[string]string{"platform": tc.want}, builtAgainst(t, mb)); diff != "" {
				t.Errorf("xmd.mbs.buildrequires streams (-want +got):\n%s", diff)
			}
		})
	}
}
