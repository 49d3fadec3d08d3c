package modulemd

import (
	"fmt"
	"maps"
)

// LatestStreamMDVersion is the newest stream metadata version.
const LatestStreamMDVersion = 2

// UpgradeStream returns s converted to stream metadata version to (0 means
// the latest, 2). s is not modified; when it already has that version a
// clone is returned. Downgrades and unknown versions are [ErrUpgrade]
// errors.
//
// Upgrading v1 to v2 copies every field; if either v1 dependency map is
// non-empty, the result has one dependencies entry in which each
// "module: stream" became "module: [stream]".
func UpgradeStream(s *Stream, to uint64) (*Stream, error) {
	if s == nil {
		return nil, fmt.Errorf("modulemd: UpgradeStream: nil stream: %w", ErrUpgrade)
	}
	if to == 0 {
		to = LatestStreamMDVersion
	}
	from := s.MDVersionNumber
	switch {
	case from != 1 && from != 2:
		return nil, fmt.Errorf("modulemd: cannot upgrade %s: unknown stream metadata version %d: %w", describe(s), from, ErrUpgrade)
	case to > LatestStreamMDVersion:
		return nil, fmt.Errorf("modulemd: cannot upgrade %s beyond metadata version %d (asked for %d): %w",
			describe(s), LatestStreamMDVersion, to, ErrUpgrade)
	case to < from:
		return nil, fmt.Errorf("modulemd: cannot downgrade %s from metadata version %d to %d: stream downgrades are not supported: %w",
			describe(s), from, to, ErrUpgrade)
	}
	c := s.Clone()
	if from == to {
		return c, nil
	}
	// v1 → v2: the single v1 dependency mapping becomes one v2 entry. The
	// data model already holds v1 dependencies as a one-entry list of
	// one-stream lists, so only empty entries need dropping.
	var deps []Dependency
	for _, d := range c.Dependencies {
		if len(d.BuildRequires) == 0 && len(d.Requires) == 0 {
			continue
		}
		deps = append(deps, Dependency{BuildRequires: maps.Clone(d.BuildRequires), Requires: maps.Clone(d.Requires)})
	}
	c.Dependencies = deps
	c.MDVersionNumber = to
	return c, nil
}

func describe(s *Stream) string {
	if n := s.NSVCA().String(); n != "" {
		return "stream " + n
	}
	return "unnamed stream"
}
