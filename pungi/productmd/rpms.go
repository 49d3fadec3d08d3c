package productmd

import (
	"maps"
	"regexp"
	"slices"
	"strings"
)

// RPMEntry is one RPM of a variant and arch in rpms.json.
type RPMEntry struct {
	// Path is relative to the compose directory.
	Path string
	// Sigkey is the lower-case key id the RPM is signed with; empty for
	// unsigned (written as null).
	Sigkey string
	// Category is binary, debug or source.
	Category string
}

// RPMs is the content of rpms.json: variant UID → arch → source RPM NEVRA
// → RPM NEVRA → entry. NEVRAs carry an epoch ("bash-0:4.3-1.x86_64"); source
// RPMs are listed under each binary arch, keyed by their own NEVRA twice.
type RPMs struct {
	Header  Header
	Compose Compose
	RPMs    map[string]map[string]map[string]map[string]RPMEntry
}

var nevraRE = regexp.MustCompile(`^(.*/)?(.*)-((\d+):)?(.*)-(.*)\.(.*)$`)

// NormalizeNEVRA checks an N-E:V-R.A string and returns it with a numeric
// epoch; a string without an epoch is an error, as in productmd.
func NormalizeNEVRA(nevra string) (string, string, error) {
	if !strings.Contains(nevra, ":") {
		return "", "", errorf("missing epoch in N-E:V-R.A %q", nevra)
	}
	m := nevraRE.FindStringSubmatch(strings.TrimSuffix(nevra, ".rpm"))
	if m == nil {
		return "", "", errorf("%q is not N-E:V-R.A", nevra)
	}
	epoch := m[4]
	if epoch == "" {
		epoch = "0"
	}
	return m[2] + "-" + epoch + ":" + m[5] + "-" + m[6] + "." + m[7], m[7], nil
}

// Add records an RPM as productmd's Rpms.add does: arch is a binary arch
// of the variant; srpmNEVRA is empty for a source RPM (category source) and
// required otherwise.
func (r *RPMs) Add(variant, arch, nevra, path, sigkey, category, srpmNEVRA string) error {
	p := problems{kind: TypeRPMs}
	f := "payload.rpms." + variant + "." + arch
	n, narch, err := r.checkAdd(&p, f, arch, nevra, path, category, srpmNEVRA)
	if err := p.err(); err != nil {
		return err
	}
	_ = narch
	if err != nil {
		return err
	}
	srpm := n
	if srpmNEVRA != "" {
		srpm, _, _ = NormalizeNEVRA(srpmNEVRA)
	}
	if r.RPMs == nil {
		r.RPMs = map[string]map[string]map[string]map[string]RPMEntry{}
	}
	if r.RPMs[variant] == nil {
		r.RPMs[variant] = map[string]map[string]map[string]RPMEntry{}
	}
	if r.RPMs[variant][arch] == nil {
		r.RPMs[variant][arch] = map[string]map[string]RPMEntry{}
	}
	if r.RPMs[variant][arch][srpm] == nil {
		r.RPMs[variant][arch][srpm] = map[string]RPMEntry{}
	}
	r.RPMs[variant][arch][srpm][n] = RPMEntry{Path: path, Sigkey: strings.ToLower(sigkey), Category: category}
	return nil
}

func (r *RPMs) checkAdd(p *problems, f, arch, nevra, path, category, srpmNEVRA string) (string, string, error) {
	if !IsRPMArch(arch) {
		p.add(f, "arch %q is not an RPM arch", arch)
	} else if isSourceArch(arch) {
		p.add(f, "source arch %q is not allowed; list source RPMs under the binary arches", arch)
	}
	if !slices.Contains(categories, category) {
		p.add(f+"."+nevra+".category", "%q is not binary, debug or source", category)
	}
	if !isRelative(path) {
		p.add(f+"."+nevra+".path", "%q is not a relative path", path)
	}
	n, narch, err := NormalizeNEVRA(nevra)
	if err != nil {
		p.add(f+"."+nevra, "%v", err)
		return "", "", nil
	}
	if category == CategorySource && srpmNEVRA != "" && srpmNEVRA != nevra && srpmNEVRA != n {
		p.add(f+"."+nevra, "a source RPM must not name a source RPM (%s)", srpmNEVRA)
	}
	if category != CategorySource && srpmNEVRA == "" {
		p.add(f+"."+nevra, "missing source RPM NEVRA")
	}
	if (category == CategorySource) != isSourceArch(narch) {
		p.add(f+"."+nevra, "category %s does not fit arch %s", category, narch)
	}
	if srpmNEVRA != "" {
		if _, _, err := NormalizeNEVRA(srpmNEVRA); err != nil {
			p.add(f+"."+srpmNEVRA, "%v", err)
		}
	}
	return n, narch, nil
}

// Validate applies productmd's rules for adding RPMs to every entry.
func (r *RPMs) Validate() error {
	p := problems{kind: TypeRPMs}
	r.Compose.validate(&p, "payload.compose")
	for _, v := range slices.Sorted(maps.Keys(r.RPMs)) {
		if v == "" {
			p.add("payload.rpms", "empty variant UID")
		}
		for _, a := range slices.Sorted(maps.Keys(r.RPMs[v])) {
			f := "payload.rpms." + v + "." + a
			for _, s := range slices.Sorted(maps.Keys(r.RPMs[v][a])) {
				for _, n := range slices.Sorted(maps.Keys(r.RPMs[v][a][s])) {
					e := r.RPMs[v][a][s][n]
					srpm := s
					if e.Category == CategorySource {
						srpm = ""
						if s != n {
							p.add(f+"."+s+"."+n, "a source RPM must be listed under its own NEVRA")
						}
					}
					r.checkAdd(&p, f, a, n, e.Path, e.Category, srpm)
					if e.Sigkey != strings.ToLower(e.Sigkey) {
						p.add(f+"."+s+"."+n+".sigkey", "%q is not lower case", e.Sigkey)
					}
				}
			}
		}
	}
	return p.err()
}

// MarshalJSON writes rpms.json, format 1.2, after validating.
func (r *RPMs) MarshalJSON() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	rpms := obj{}
	for v, arches := range r.RPMs {
		av := obj{}
		for a, srpms := range arches {
			sv := obj{}
			for s, entries := range srpms {
				ev := obj{}
				for n, e := range entries {
					var sig any
					if e.Sigkey != "" {
						sig = e.Sigkey
					}
					ev[n] = obj{"path": e.Path, "sigkey": sig, "category": e.Category}
				}
				sv[s] = ev
			}
			av[a] = sv
		}
		rpms[v] = av
	}
	return document(TypeRPMs, obj{"compose": r.Compose.payload(), "rpms": rpms}), nil
}

type rawRPMEntry struct {
	Path     string  `json:"path"`
	Sigkey   *string `json:"sigkey"`
	Category string  `json:"category"`
	Type     string  `json:"type"` // 0.3 manifests
}

// UnmarshalJSON reads rpms.json (or the legacy rpm-manifest.json) of any
// header version from 0.x to 1.2; 0.3 manifests are converted.
func (r *RPMs) UnmarshalJSON(data []byte) error {
	var rest struct {
		RPMs     map[string]map[string]map[string]map[string]rawRPMEntry `json:"rpms"`
		Manifest map[string]map[string]map[string]map[string]rawRPMEntry `json:"manifest"`
	}
	h, c, err := decodePayloadCompose(TypeRPMs, data, &rest)
	if err != nil {
		return err
	}
	out := RPMs{Header: h, Compose: c, RPMs: map[string]map[string]map[string]map[string]RPMEntry{}}
	if !h.atLeast(0, 4) {
		if rest.Manifest == nil {
			return &ValidationError{Kind: TypeRPMs, Problems: []Problem{{"payload.manifest", "missing"}}}
		}
		for _, v := range slices.Sorted(maps.Keys(rest.Manifest)) {
			for _, a := range slices.Sorted(maps.Keys(rest.Manifest[v])) {
				if a == "src" {
					continue
				}
				for _, s := range slices.Sorted(maps.Keys(rest.Manifest[v][a])) {
					srcs := rest.Manifest[v]["src"][s]
					for _, n := range slices.Sorted(maps.Keys(rest.Manifest[v][a][s])) {
						e := rest.Manifest[v][a][s][n]
						cat := e.Type
						if cat == "package" {
							cat = CategoryBinary
						}
						if err := out.Add(v, a, n, e.Path, deref(e.Sigkey), cat, s); err != nil {
							return err
						}
						if srcs != nil {
							if se, ok := srcs[s]; ok {
								if err := out.Add(v, a, s, se.Path, deref(se.Sigkey), CategorySource, ""); err != nil {
									return err
								}
							}
						}
					}
				}
			}
		}
	} else {
		if rest.RPMs == nil {
			return &ValidationError{Kind: TypeRPMs, Problems: []Problem{{"payload.rpms", "missing"}}}
		}
		for v, arches := range rest.RPMs {
			out.RPMs[v] = map[string]map[string]map[string]RPMEntry{}
			for a, srpms := range arches {
				out.RPMs[v][a] = map[string]map[string]RPMEntry{}
				for s, entries := range srpms {
					out.RPMs[v][a][s] = map[string]RPMEntry{}
					for n, e := range entries {
						out.RPMs[v][a][s][n] = RPMEntry{Path: e.Path, Sigkey: deref(e.Sigkey), Category: e.Category}
					}
				}
			}
		}
	}
	*r = out
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
