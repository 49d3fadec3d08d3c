package rebuilds_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/modkit/modkit/orchestrator/rebuilds"
)

func TestRulesDecide(t *testing.T) {
	t.Parallel()
	allow := `{
	  "global": {"module": {"name": ["alpha", "beta"], "stream": "1"}},
	  "RebuildModulesOnGitRPMSpecChange": {"module": {"stream": "2"}},
	  "UpdateDBOnModuleBuild": {"module": ["any", [{"name": "gamma$"}, ["all", [{"name": "delta"}, {"stream": "rawhide"}]]]]}
	}`
	block := `{"global": {"module": {"name": "beta-private"}}, "UpdateDBOnModuleBuild": {"image": {"name": ".*"}}}`
	r, err := rebuilds.ParseRules([]byte(allow), []byte(block))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		handler      string
		typ          rebuilds.ArtifactType
		name, stream string
		want         bool
		why          string
	}{
		{"Other", rebuilds.ArtifactModule, "alpha", "1", true, "allowed by allowlist global.module"},
		{"Other", rebuilds.ArtifactModule, "alphabet", "1", true, "allowed"}, // anchored at the start only, as re.match
		{"Other", rebuilds.ArtifactModule, "xalpha", "1", false, "not in allowlist global.module"},
		{"Other", rebuilds.ArtifactModule, "alpha", "2", false, "not in allowlist"},
		{"Other", rebuilds.ArtifactModule, "beta-private", "1", false, "blocked by blocklist global.module"},
		// handler keys merged over global ones
		{rebuilds.HandlerGitRPMSpecChange, rebuilds.ArtifactModule, "alpha", "2", true, "global+RebuildModulesOnGitRPMSpecChange.module"},
		{rebuilds.HandlerGitRPMSpecChange, rebuilds.ArtifactModule, "gamma", "2", false, "not in allowlist"},
		// any / all replace the global rule
		{rebuilds.HandlerModuleReady, rebuilds.ArtifactModule, "gamma", "9", true, "UpdateDBOnModuleBuild.module"},
		{rebuilds.HandlerModuleReady, rebuilds.ArtifactModule, "gammas", "9", false, "not in allowlist"},
		{rebuilds.HandlerModuleReady, rebuilds.ArtifactModule, "delta", "rawhide", true, "allowed"},
		{rebuilds.HandlerModuleReady, rebuilds.ArtifactModule, "delta", "f40", false, "not in allowlist"},
		{rebuilds.HandlerModuleReady, rebuilds.ArtifactImage, "anything", "", false, "blocked by blocklist UpdateDBOnModuleBuild.image"},
		{"Other", rebuilds.ArtifactImage, "anything", "", true, "no allowlist rule for image"},
	}
	for _, tc := range tests {
		got, why := r.Decide(tc.handler, tc.typ, map[string]string{"name": tc.name, "stream": tc.stream})
		if got != tc.want || !strings.Contains(why, tc.why) {
			t.Errorf("Decide(%s, %s, %s:%s) = %v %q; want %v, containing %q", tc.handler, tc.typ.Name(), tc.name, tc.stream, got, why, tc.want, tc.why)
		}
	}
	// A rule sharing no key with the criteria does not match.
	r2, _ := rebuilds.ParseRules(nil, []byte(`{"global": {"module": {"owner": ".*"}}}`))
	if ok, why := r2.Decide("x", rebuilds.ArtifactModule, map[string]string{"name": "a"}); !ok {
		t.Errorf("a blocklist rule with no shared key blocked: %s", why)
	}
	var none *rebuilds.Rules
	if ok, _ := none.Decide("x", rebuilds.ArtifactModule, nil); !ok {
		t.Error("nil rules blocked")
	}
}

func TestParseRulesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		allow, block string
		want         []string
	}{
		{allow: `{"global": {"module": {"name": "("}}}`, want: []string{`allowlist.global.module.name: bad regular expression "("`}},
		{block: `{"H": {"module": {"name": ["ok", "[z-a]"]}}}`, want: []string{`blocklist.H.module.name[1]: bad regular expression "[z-a]"`}},
		{allow: `{"global": {"module": ["some", []]}}`, want: []string{`allowlist.global.module: expected ["any"|"all", [rules]]`}},
		{allow: `{"global": {"module": ["any", [{"name": "*"}]]}}`, want: []string{`allowlist.global.module[0].name: bad regular expression "*"`}},
		{allow: `{"global": {"container": {}}}`, want: []string{"allowlist.global.container: unknown artifact type"}},
		{allow: `[1]`, want: []string{"allowlist: expected"}},
		{allow: `{"global": {"module": {"name": 3}}}`, block: `{"global": {"module": {"name": "+"}}}`,
			want: []string{"allowlist.global.module.name: expected a regular expression", `blocklist.global.module.name: bad regular expression "+"`}},
	}
	for _, tc := range tests {
		_, err := rebuilds.ParseRules([]byte(tc.allow), []byte(tc.block))
		var re *rebuilds.RuleError
		if !errors.As(err, &re) {
			t.Errorf("ParseRules(%s, %s): got %v, want a *RuleError", tc.allow, tc.block, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ParseRules(%s, %s) = %v; want it to say %q", tc.allow, tc.block, err, w)
			}
		}
	}
}
