package pungi

import (
	"slices"
	"strings"

	"github.com/modkit/modkit/modulemd"
)

// FillArtifacts sets s's artifacts.rpms, artifacts.rpm-map (sha256) and
// license.content from rpms, as MBS does for a finished build: binary RPMs
// whose name is in the stream's filter (and their -debuginfo and
// -debugsource) are left out; source RPMs are kept. It returns the RPMs that
// became artifacts, sorted by NEVRA. Existing artifacts and content
// licences are replaced; the module's own licences are kept.
func FillArtifacts(s *modulemd.Stream, rpms []RPM) []RPM {
	filtered := func(name string) bool {
		for _, suffix := range []string{"", "-debuginfo", "-debugsource"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && suffix != "" && slices.Contains(s.Filter, base) {
				return true
			}
		}
		return slices.Contains(s.Filter, name)
	}
	var kept []RPM
	for _, r := range rpms {
		if !r.IsSource() && filtered(r.Name) {
			continue
		}
		kept = append(kept, r)
	}
	slices.SortFunc(kept, func(a, b RPM) int { return strings.Compare(a.NEVRA().String(), b.NEVRA().String()) })
	kept = slices.CompactFunc(kept, func(a, b RPM) bool { return a.NEVRA() == b.NEVRA() })

	s.Artifacts.RPMs = nil
	s.Artifacts.RPMMap = nil
	var licenses []string
	for _, r := range kept {
		n := r.NEVRA()
		s.Artifacts.RPMs = append(s.Artifacts.RPMs, n.String())
		if r.SHA256 != "" {
			if s.Artifacts.RPMMap == nil {
				s.Artifacts.RPMMap = map[string]map[string]modulemd.RPMMapEntry{"sha256": {}}
			}
			s.Artifacts.RPMMap["sha256"][r.SHA256] = modulemd.RPMMapEntry{
				Name: r.Name, Epoch: r.Epoch, Version: r.Version, Release: r.Release, Arch: r.Arch, NEVRA: n.String(),
			}
		}
		if r.License != "" && r.License != "(none)" {
			licenses = append(licenses, r.License)
		}
	}
	slices.Sort(licenses)
	s.License.Content = slices.Compact(licenses)
	return kept
}
