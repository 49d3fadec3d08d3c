package modulemd

import (
	"fmt"
	"strconv"
	"strings"
)

// NEVRA identifies a binary RPM: name, epoch, version, release and
// architecture.
type NEVRA struct {
	Name    string
	Epoch   uint64
	Version string
	Release string
	Arch    string
}

// ParseNEVRA parses "name-[epoch:]version-release.arch". The epoch is
// optional here (use [ValidArtifact] for libmodulemd's stricter artifact
// check); name, version, release and arch must be non-empty. Errors wrap
// [ErrInvalid].
func ParseNEVRA(s string) (NEVRA, error) {
	bad := func(what string) (NEVRA, error) {
		return NEVRA{}, fmt.Errorf("modulemd: parse NEVRA %q: %s, want name-[epoch:]version-release.arch: %w", s, what, ErrInvalid)
	}
	dot := strings.LastIndexByte(s, '.')
	if dot < 0 {
		return bad("no '.' before the architecture")
	}
	var n NEVRA
	n.Arch = s[dot+1:]
	if n.Arch == "" {
		return bad("empty architecture")
	}
	rest := s[:dot]
	dash := strings.LastIndexByte(rest, '-')
	if dash < 0 {
		return bad("no '-' before the release")
	}
	n.Release = rest[dash+1:]
	if n.Release == "" {
		return bad("empty release")
	}
	rest = rest[:dash]
	dash = strings.LastIndexByte(rest, '-')
	if dash < 0 {
		return bad("no '-' before the version")
	}
	n.Name, rest = rest[:dash], rest[dash+1:]
	if n.Name == "" {
		return bad("empty name")
	}
	if colon := strings.IndexByte(rest, ':'); colon >= 0 {
		ep := rest[:colon]
		e, err := strconv.ParseUint(ep, 10, 64)
		if err != nil || ep == "" || ep[0] == '+' {
			return bad(fmt.Sprintf("epoch %q is not a base-10 unsigned integer", ep))
		}
		n.Epoch, rest = e, rest[colon+1:]
	}
	n.Version = rest
	if n.Version == "" {
		return bad("empty version")
	}
	return n, nil
}

// String formats n as "name-epoch:version-release.arch", always writing the
// epoch (as modulemd artifacts and rpm-map entries do).
func (n NEVRA) String() string {
	return n.Name + "-" + strconv.FormatUint(n.Epoch, 10) + ":" + n.Version + "-" + n.Release + "." + n.Arch
}

// ValidArtifact reports whether s passes libmodulemd's check for
// `artifacts.rpms` entries. Scanning from the end, there must be a '.'
// (before the arch), then a '-' (before the release), then a ':' with no '-'
// between it and the release's '-', then a '-' before the epoch, and the
// epoch must start with a digit. So the epoch is mandatory, while the name,
// version, release and arch may be empty and the arch is not checked
// against any list. For example "foo-0:1.0-1.x86_64" passes and
// "foo-1.0-1.x86_64" does not.
func ValidArtifact(s string) bool {
	dot := strings.LastIndexByte(s, '.')
	if dot < 0 {
		return false
	}
	rel := strings.LastIndexByte(s[:dot], '-')
	if rel < 0 {
		return false
	}
	colon := strings.LastIndexAny(s[:rel], ":-")
	if colon < 0 || s[colon] != ':' {
		return false
	}
	ep := strings.LastIndexByte(s[:colon], '-')
	if ep < 0 {
		return false
	}
	return ep+1 < len(s) && '0' <= s[ep+1] && s[ep+1] <= '9'
}
