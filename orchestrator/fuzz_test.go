package orchestrator_test

import (
	"strings"
	"testing"

	"github.com/modkit/modkit/orchestrator"
)

// FuzzParseSCMURL checks that ParseSCMURL never panics and that what it
// accepts has a repository and a ref without spaces.
func FuzzParseSCMURL(f *testing.F) {
	for _, s := range []string{"https://src.example.com/modules/foo.git?#abc", "/srv/git/foo#main", "file:///x?foo.yaml#v1", "#", "a#", "?#x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := orchestrator.ParseSCMURL(s)
		if err != nil {
			return
		}
		if u.Repo == "" || u.Ref == "" || strings.ContainsAny(u.Ref, " \t\n") {
			t.Errorf("ParseSCMURL(%q) accepted %+v", s, u)
		}
	})
}
