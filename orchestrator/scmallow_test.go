package orchestrator_test

import (
	"strings"
	"testing"

	"github.com/modkit/modkit/orchestrator"
)

func TestSCMAllowed(t *testing.T) {
	t.Parallel()
	allow := []string{"file:///srv/git/modules/", "https://src.example.com/rpms", "ssh://git@host.example.com/git/"}
	tests := []struct {
		url  string
		want bool
	}{
		{"file:///srv/git/modules/foo#main", true},
		{"file:///srv/git/modules/foo?foo.yaml#main", true},
		{"file:///srv/git/modules/sub/dir/foo.git#0123", true},
		{"file://localhost/srv/git/modules/foo#main", true},
		{"FILE:///srv/git/modules/foo#main", true},
		{"file:///srv/git/modules//foo#main", true},
		{"file:///srv/git/modules/./foo#main", true},
		{"https://src.example.com/rpms/bash", true},
		{"https://SRC.example.com/rpms/bash", true},
		{"https://src.example.com/rpms", true},
		{"ssh://git@host.example.com/git/x", true},
		// Walking out of the allowed tree.
		{"file:///srv/git/modules/../../other/repo#ref", false},
		{"file:///srv/git/modules/foo/../../../etc#ref", false},
		{"file:///srv/git/modules/%2e%2e/%2e%2e/other#ref", false},
		{"file:///srv/git/modules/%2E%2E/x#ref", false},
		{"file:///srv/git/modules/..%2f..%2fother#ref", false},
		{"file:///srv/git/modules/%252e%252e/x#ref", false},
		{"file:///srv/git/modules/..\\..\\x#ref", false},
		// Prefix without a segment boundary.
		{"https://src.example.com/rpmsevil/bash", false},
		{"file:///srv/git/modules-other/foo#ref", false},
		// Another host, scheme or user.
		{"https://src.example.com@evil.example.com/rpms/bash", false},
		{"https://evil.example.com/rpms/bash", false},
		{"http://src.example.com/rpms/bash", false},
		{"ssh://other@host.example.com/git/x", false},
		{"file://otherhost/srv/git/modules/foo#main", false},
		// Not URLs.
		{"/srv/git/modules/foo", false},
		{"host.example.com:git/x", false},
		{"file:/srv/git/modules/foo", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := orchestrator.SCMAllowed(allow, tt.url); got != tt.want {
			t.Errorf("SCMAllowed(%q) = %v, want %v", tt.url, got, tt.want)
		}
	}
	if !orchestrator.SCMAllowed(nil, "/anything/../at/all") {
		t.Error("an empty allowlist must allow everything")
	}
}

func TestCheckSCMAllow(t *testing.T) {
	t.Parallel()
	if err := orchestrator.CheckSCMAllow([]string{"file:///srv/git/", "https://h.example.com/x/"}); err != nil {
		t.Errorf("valid entries refused: %v", err)
	}
	err := orchestrator.CheckSCMAllow([]string{"/srv/git", "file:///srv/../x", "https://h/x#main"})
	if err == nil {
		t.Fatal("bad entries accepted")
	}
	for _, want := range []string{`"/srv/git"`, `"file:///srv/../x"`, `"https://h/x#main"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}
