package orchestrator_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/internal/scm"
	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/resolver"
)

// gitSCM serves the module definitions from memory and every repository
// under prefix from real git.
type gitSCM struct {
	*memSCM
	prefix string
}

func (g gitSCM) ResolveRef(ctx context.Context, repo, ref string) (string, error) {
	if strings.HasPrefix(repo, g.prefix) {
		return scm.ResolveRef(ctx, repo, ref)
	}
	return g.memSCM.ResolveRef(ctx, repo, ref)
}

func (g gitSCM) Export(ctx context.Context, repo, commit, dir string) error {
	return scm.Export(ctx, repo, commit, dir)
}

// defaultsRepo makes a git repository holding modulemd-defaults files on
// the given branches.
func defaultsRepo(t *testing.T, branches ...string) string {
	t.Helper()
	testenv.RequireTools(t, "git")
	repo := filepath.Join(t.TempDir(), "defaults")
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, module, stream string) {
		t.Helper()
		doc := "document: modulemd-defaults\nversion: 1\ndata:\n  module: " + module + "\n  stream: \"" + stream + "\"\n...\n"
		if err := os.MkdirAll(filepath.Dir(filepath.Join(repo, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, name), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	git("init", "-q", "-b", "main")
	write("ruby.yaml", "ruby", "2.7")
	write("nodejs.yaml", "nodejs", "20") // no build: ignored
	write("perl.yaml", "perl", "5.30")
	write("overrides/perl.yaml", "perl", "5.32") // overrides win
	git("add", ".")
	git("commit", "-q", "-m", "defaults")
	for _, b := range branches {
		git("branch", b)
	}
	return repo
}

// TestDefaultModules: the default modules of a base module with
// xmd.mbs.use_default_modules, read from a git repository on the branch
// named after the base stream, become buildrequires (MBS
// add_default_modules).
func TestDefaultModules(t *testing.T) {
	t.Parallel()
	f40 := func(xmd map[string]any) *modulemd.Stream {
		p := platform()
		mbs := map[string]any{"mse": true, "koji_tag": "module-f40-build", "commit": "f40"}
		for k, v := range xmd {
			mbs[k] = v
		}
		p.XMD = modulemd.MustXMD(map[string]any{"mbs": mbs})
		return p
	}
	dep := func(name, stream string) *modulemd.Stream {
		s := platform()
		s.Name, s.Stream, s.Version, s.Context = name, stream, 4020240101000000, "aaaa0001"
		s.Dependencies = []modulemd.Dependency{{BuildRequires: map[string][]string{"platform": {"f40"}}, Requires: map[string][]string{"platform": {"f40"}}}}
		s.XMD = modulemd.MustXMD(map[string]any{"mbs": map[string]any{"mse": true, "commit": "c-" + name,
			"buildrequires": map[string]any{"platform": map[string]any{"stream": "f40", "version": "1", "context": "00000000"}}}})
		return s
	}
	withBranch, rawhideOnly := defaultsRepo(t, "f40"), defaultsRepo(t, "rawhide")
	added := map[string]string{"platform": "f40", "ruby": "2.7", "perl": "5.32"}
	tests := []struct {
		name       string
		base       map[string]any // xmd.mbs of platform:f40
		opts       func(*orchestrator.Options)
		wantState  orchestrator.ModuleState
		wantReason string
		want       map[string]string // xmd.mbs.buildrequires streams
	}{
		{name: "service repository", base: map[string]any{"use_default_modules": true},
			opts:      func(o *orchestrator.Options) { o.DefaultModulesSCMURL = withBranch },
			wantState: orchestrator.StateReady, want: added},
		{name: "base module's own repository", base: map[string]any{"use_default_modules": true, "default_modules_scm_url": withBranch},
			opts:      func(o *orchestrator.Options) { o.DefaultModulesSCMURL = "/nonexistent" },
			wantState: orchestrator.StateReady, want: added},
		{name: "rawhide branch", base: map[string]any{"use_default_modules": true, "default_modules_scm_url": rawhideOnly},
			opts:      func(o *orchestrator.Options) { o.RawhideBranch, o.RawhideStream = "rawhide", "f40" },
			wantState: orchestrator.StateReady, want: added},
		{name: "rawhide branch for another stream", base: map[string]any{"use_default_modules": true, "default_modules_scm_url": rawhideOnly},
			opts:       func(o *orchestrator.Options) { o.RawhideBranch, o.RawhideStream = "rawhide", "f41" },
			wantState:  orchestrator.StateFailed,
			wantReason: "Failed to retrieve the default modules of platform:f40:1:00000000: branch f40 of " + rawhideOnly},
		{name: "not asked for", base: nil,
			opts:      func(o *orchestrator.Options) { o.DefaultModulesSCMURL = withBranch },
			wantState: orchestrator.StateReady, want: map[string]string{"platform": "f40"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, t.TempDir(), nil, func(o *orchestrator.Options) {
				o.Source = orchestrator.Sources(orchestrator.NewDBSource(o.Store),
					resolver.NewSource([]*modulemd.Stream{f40(tc.base), dep("ruby", "2.7"), dep("perl", "5.30"), dep("perl", "5.32")}))
				o.SCM = gitSCM{memSCM: o.SCM.(*memSCM), prefix: "/"}
				tc.opts(o)
			})
			e.run(t)
			mb := e.wait(t, submit(t, e, moduleYAML("demo", 1, 1), nil)[0].ID)[0]
			if mb.State != tc.wantState || !strings.HasPrefix(mb.StateReason, tc.wantReason) {
				t.Fatalf("got %s %q, want %s %q", mb.State, mb.StateReason, tc.wantState, tc.wantReason)
			}
			if tc.want == nil {
				return
			}
			if diff := cmp.Diff(tc.want, builtAgainst(t, mb)); diff != "" {
				t.Errorf("xmd.mbs.buildrequires streams (-want +got):\n%s", diff)
			}
			logged := slices.ContainsFunc(messages(t, e, mb.ID), func(m string) bool { return strings.HasPrefix(m, "Default modules added as buildrequires: ") })
			if logged != (len(tc.want) > 1) {
				t.Errorf("log messages %q: default modules logged = %v", messages(t, e, mb.ID), logged)
			}
		})
	}
}
