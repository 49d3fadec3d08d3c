// Package hack holds the scripts behind make demo and make test; its tests
// check them.
package hack

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestEnsurePackagesNamesEachOnce checks the package lists ensure-packages.sh
// installs from: each package once (createrepo_c and modifyrepo_c come from
// one package), and the test group brings libmodulemd's modulemd-validator.
func TestEnsurePackagesNamesEachOnce(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skipf("no bash: %v", err)
	}
	for _, tc := range []struct {
		groups    []string
		apt, dnf  []string // must be listed
		aptAbsent []string
	}{
		{[]string{"demo"}, []string{"rpm", "createrepo-c", "git", "dnf"}, []string{"rpm-build", "createrepo_c", "git", "dnf"}, []string{"libmodulemd-tools"}},
		{[]string{"test"}, []string{"libmodulemd-tools", "gir1.2-modulemd-2.0", "python3-gi", "createrepo-c"}, []string{"libmodulemd", "python3-libmodulemd"}, nil},
		{[]string{"test", "demo"}, []string{"libmodulemd-tools", "rpm"}, []string{"libmodulemd", "rpm-build"}, nil},
	} {
		t.Run(strings.Join(tc.groups, "+"), func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command("bash", append([]string{"ensure-packages.sh", "--print"}, tc.groups...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("ensure-packages.sh --print: %v\n%s", err, out)
			}
			lists := map[string][]string{}
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				pm, pkgs, _ := strings.Cut(line, ": ")
				lists[pm] = strings.Fields(pkgs)
			}
			for pm, want := range map[string][]string{"apt": tc.apt, "dnf": tc.dnf} {
				got := lists[pm]
				for i, p := range got {
					if slices.Contains(got[i+1:], p) {
						t.Errorf("%s: %s is named twice: %v", pm, p, got)
					}
				}
				for _, p := range want {
					if !slices.Contains(got, p) {
						t.Errorf("%s: %s missing from %v", pm, p, got)
					}
				}
			}
			for _, p := range tc.aptAbsent {
				if slices.Contains(lists["apt"], p) {
					t.Errorf("apt: %s listed for %v", p, tc.groups)
				}
			}
		})
	}
}
