// Package systool finds the system programs modkit drives (rpmbuild,
// createrepo_c, dnf, ...) and says which package to install when one is
// missing.
package systool

import (
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
)

// ErrMissing is wrapped by every *MissingError.
var ErrMissing = errors.New("required program not installed")

// packages maps a program to the package that provides it on Debian/Ubuntu
// and on Fedora/RHEL.
var packages = map[string][2]string{
	"rpm":          {"rpm", "rpm"},
	"rpmbuild":     {"rpm", "rpm-build"},
	"rpmspec":      {"rpm", "rpm-build"},
	"createrepo_c": {"createrepo-c", "createrepo_c"},
	"modifyrepo_c": {"createrepo-c", "createrepo_c"},
	"dnf":          {"dnf", "dnf"},
	"git":          {"git", "git"},
	"bwrap":        {"bubblewrap", "bubblewrap"},
	"setpriv":      {"util-linux", "util-linux"},
}

// MissingError lists the programs that are not on PATH and the packages that
// provide them.
type MissingError struct {
	Programs []string // missing programs, in the order asked
	Debian   []string // packages to install with apt-get
	Fedora   []string // packages to install with dnf
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s not installed: install %s (Debian/Ubuntu: apt-get install %s; Fedora/RHEL: dnf install %s)",
		strings.Join(e.Programs, ", "), plural(e.Programs), strings.Join(e.Debian, " "), strings.Join(e.Fedora, " "))
}

func plural(p []string) string {
	if len(p) == 1 {
		return "its package"
	}
	return "their packages"
}

// Unwrap returns [ErrMissing].
func (e *MissingError) Unwrap() error { return ErrMissing }

// Check returns a *MissingError naming every program in progs that is not
// on PATH, or nil when all are there.
func Check(progs ...string) error {
	var e MissingError
	for _, p := range progs {
		if _, err := exec.LookPath(p); err == nil || slices.Contains(e.Programs, p) {
			continue
		}
		e.Programs = append(e.Programs, p)
		pk, ok := packages[p]
		if !ok {
			pk = [2]string{p, p}
		}
		if !slices.Contains(e.Debian, pk[0]) {
			e.Debian = append(e.Debian, pk[0])
		}
		if !slices.Contains(e.Fedora, pk[1]) {
			e.Fedora = append(e.Fedora, pk[1])
		}
	}
	if len(e.Programs) == 0 {
		return nil
	}
	return &e
}
