package orchestrator_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/modkit/modkit/orchestrator"
)

// componentYAML is a module with one RPM component whose body is comp
// (indented under its name).
func componentYAML(name, comp string) string {
	return `document: modulemd
version: 2
data:
  name: src
  stream: "1"
  summary: Test module
  description: A module for tests.
  license:
    module: [MIT]
  dependencies:
  - buildrequires:
      platform: [f40]
  components:
    rpms:
      ` + name + `:
        rationale: test
` + comp + "...\n"
}

// TestComponentSources checks MBS's rules for where component sources may
// come from, and that component names are checked before a path or URL is
// made of them.
func TestComponentSources(t *testing.T) {
	t.Parallel()
	allow := []string{"https://git.example.com/rpms/"}
	strict := func(o *orchestrator.Options) {
		o.AllowComponentRepository = false
		o.DefaultRPMRepository = "https://git.example.com/rpms/"
		o.SCMAllow = allow
	}
	open := func(o *orchestrator.Options) {
		strict(o)
		o.AllowComponentRepository, o.AllowComponentCache = true, true
	}
	tests := []struct {
		name       string
		mod        func(*orchestrator.Options)
		pkg, comp  string
		sentinel   error
		wantInMsg  string
		wantAccept bool
	}{
		{name: "default repository", mod: strict, pkg: "bash", comp: "        ref: main\n", wantAccept: true},
		{name: "custom repository refused", mod: strict, pkg: "bash", comp: "        repository: https://git.example.com/rpms/bash\n",
			sentinel: orchestrator.ErrForbidden, wantInMsg: `Custom component repositories aren't allowed. "bash" bears repository`},
		{name: "custom cache refused", mod: strict, pkg: "bash", comp: "        cache: https://git.example.com/rpms/cache\n",
			sentinel: orchestrator.ErrForbidden, wantInMsg: `Custom component caches aren't allowed. "bash" bears cache`},
		{name: "allowed repository inside the allowlist", mod: open, pkg: "bash", comp: "        repository: https://git.example.com/rpms/bash\n", wantAccept: true},
		{name: "allowed repository outside the allowlist", mod: open, pkg: "bash", comp: "        repository: file:///etc\n",
			sentinel: orchestrator.ErrForbidden, wantInMsg: "not in the list of allowed SCMs"},
		{name: "allowed repository walking out", mod: open, pkg: "bash", comp: "        repository: https://git.example.com/rpms/../../private/x\n",
			sentinel: orchestrator.ErrForbidden, wantInMsg: "not in the list of allowed SCMs"},
		{name: "allowed cache outside the allowlist", mod: open, pkg: "bash", comp: "        cache: https://evil.example.com/cache\n",
			sentinel: orchestrator.ErrForbidden, wantInMsg: "cache https://evil.example.com/cache of component bash is not in the list"},
		{name: "dot-dot name", mod: strict, pkg: `"../../x"`, comp: "        ref: main\n",
			sentinel: orchestrator.ErrInvalid, wantInMsg: `the component name "../../x" starts with "."`},
		{name: "slash in name", mod: strict, pkg: `"a/b"`, comp: "        ref: main\n",
			sentinel: orchestrator.ErrInvalid, wantInMsg: `the component name "a/b" contains '/'`},
		{name: "option-like name", mod: strict, pkg: `"-rf"`, comp: "        ref: main\n",
			sentinel: orchestrator.ErrInvalid, wantInMsg: `starts with "-"`},
		{name: "bad name override", mod: strict, pkg: "bash", comp: "        name: ../evil\n",
			sentinel: orchestrator.ErrInvalid, wantInMsg: `component bash: name: the component name "../evil"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, t.TempDir(), nil, tt.mod)
			_, err := e.svc.Submit(context.Background(), &orchestrator.SubmitRequest{
				Owner: "alice", Modulemd: []byte(componentYAML(tt.pkg, tt.comp)),
			})
			if tt.wantAccept {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("error %v is not %v", err, tt.sentinel)
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantInMsg)
			}
		})
	}
}

// TestSubmitSCMAllow checks the service's own allowlist of module
// definitions (the REST API checks it too).
func TestSubmitSCMAllow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, t.TempDir(), nil, func(o *orchestrator.Options) { o.SCMAllow = []string{"file:///srv/git/modules/"} })
	for _, u := range []string{"file:///srv/git/modules/../../etc/x#main", "file:///srv/git/modules/%2e%2e/x#main", "file:///srv/git/other/x#main"} {
		_, err := e.svc.Submit(context.Background(), &orchestrator.SubmitRequest{Owner: "alice", SCMURL: u, Branch: "main"})
		if !errors.Is(err, orchestrator.ErrForbidden) {
			t.Errorf("%s: got %v, want ErrForbidden", u, err)
		}
	}
}
