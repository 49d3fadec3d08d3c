package compose

import (
	"github.com/modkit/modkit/koji"

	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/pungi"
)

// Build is one module build (N:S:V:C) a source offers: its final
// per-arch module metadata and its RPMs.
type Build struct {
	Name, Stream string
	Version      uint64
	Context      string
	// KojiTag is the module's content tag; empty when there is none
	// (modules.json then records Pungi's placeholder "DUMMY").
	KojiTag string
	// Streams maps an arch to that arch's final modulemd.
	Streams map[string]*modulemd.Stream
	// RPMs are the build's RPM files, every arch (src included).
	RPMs []*RPMFile
	// Completed is when the build finished (zero when unknown).
	Completed time.Time
	// Origin describes where the build came from, for messages.
	Origin string
	// Tag is the koji tag the build was found in (tag mode).
	Tag string

	// koji is the hub's build, for a build whose metadata and RPMs are
	// not read yet (KojiSource.Load reads them).
	koji *koji.Build
}

// NSVC returns N:S:V:C.
func (b *Build) NSVC() string {
	return b.Name + ":" + b.Stream + ":" + strconv.FormatUint(b.Version, 10) + ":" + b.Context
}

// RPMFile is an RPM of a build.
type RPMFile struct {
	NEVRA modulemd.NEVRA
	// Path is a local file, or empty until Fetch.
	Path string
	// URL is where a remote file is downloaded from.
	URL string
	// Sigkey is the key the copy is signed with ("" unsigned).
	Sigkey string
	// SHA256 of the file, when known.
	SHA256 string
	// SourceRPM is the NEVRA string of the source RPM ("" for a source RPM).
	SourceRPM string

	// koji is the hub's record of a koji RPM; copies are the copies a
	// compose may take, in order of preference (chosen by sigkeys).
	koji   *kojiRef
	copies []rpmCopy
}

// rpmCopy is one copy of an RPM: signed with Sigkey ("" unsigned), at URL.
type rpmCopy struct{ Sigkey, URL string }

// FileName returns N-V-R.A.rpm.
func (r *RPMFile) FileName() string {
	return r.NEVRA.Name + "-" + r.NEVRA.Version + "-" + r.NEVRA.Release + "." + r.NEVRA.Arch + ".rpm"
}

// Source is where module builds come from.
type Source interface {
	// Name says what the source is ("koji https://...", "repos").
	Name() string
	// Find returns every build matching spec's name and stream, and its
	// version and context when given (explicit mode).
	Find(ctx context.Context, spec ModuleSpec) ([]*Build, error)
	// Tagged returns the module builds of a modular tag (tag mode); a
	// source without tags returns ErrNoTags.
	Tagged(ctx context.Context, tag string) ([]*Build, error)
	// Fetch makes every file local (sets Path), downloading into dir.
	Fetch(ctx context.Context, files []*RPMFile, dir string) error
}

// ErrNoTags is returned by Tagged of a source that has no koji tags.
var ErrNoTags = errors.New("this source has no koji tags")

// ErrNoModules is returned (wrapped) when a module spec selects nothing.
var ErrNoModules = errors.New("no module build matches")

// matches reports whether b fits spec (name, stream, version and context
// when given; glob patterns when spec.Glob).
func (s ModuleSpec) matches(b *Build) bool {
	if s.All {
		return true
	}
	m := func(pattern, v string) bool {
		if pattern == "" {
			return true
		}
		if s.Glob {
			ok, _ := filepath.Match(pattern, v)
			return ok
		}
		return pattern == v
	}
	return m(s.Name, b.Name) && m(s.Stream, b.Stream) && m(s.Version, strconv.FormatUint(b.Version, 10)) && m(s.Context, b.Context)
}

// latestContexts keeps, per name:stream, every context of the highest
// version: Pungi's rule for a spec without a version and for tags.
func latestContexts(builds []*Build) []*Build {
	best := map[string]uint64{}
	for _, b := range builds {
		k := b.Name + ":" + b.Stream
		if v, ok := best[k]; !ok || b.Version > v {
			best[k] = b.Version
		}
	}
	var out []*Build
	for _, b := range builds {
		if best[b.Name+":"+b.Stream] == b.Version {
			out = append(out, b)
		}
	}
	sortBuilds(out)
	return slices.CompactFunc(out, func(a, b *Build) bool { return a.NSVC() == b.NSVC() })
}

func sortBuilds(bs []*Build) {
	slices.SortFunc(bs, func(a, b *Build) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Stream, b.Stream),
			cmp.Compare(a.Version, b.Version), strings.Compare(a.Context, b.Context))
	})
}

// selectExplicit applies Pungi's explicit-mode rule to the builds found
// for spec: without a version, every context of the latest version.
func selectExplicit(spec ModuleSpec, found []*Build) []*Build {
	var keep []*Build
	for _, b := range found {
		if spec.matches(b) {
			keep = append(keep, b)
		}
	}
	if spec.Version == "" {
		return latestContexts(keep)
	}
	sortBuilds(keep)
	return keep
}

// ---- repositories (plain repos and local builds) ----

// RepoSource offers the module builds found in repositories: each
// repository's modules.yaml and its RPM files (and those of a sibling
// "source" directory, where local builds keep source RPMs).
type RepoSource struct {
	Label string
	Dirs  []string
	// Warnings are non-fatal problems found while reading.
	Warnings []string
	// loaded builds, by NSVC
	builds []*Build
	loaded bool
}

// NewRepoSource reads the repositories now, so errors surface early.
func NewRepoSource(ctx context.Context, label string, dirs []string) (*RepoSource, error) {
	s := &RepoSource{Label: label, Dirs: dirs}
	return s, s.load(ctx)
}

func (s *RepoSource) Name() string { return s.Label }

func (s *RepoSource) load(ctx context.Context) error {
	if s.loaded {
		return nil
	}
	s.loaded = true
	byNSVC := map[string]*Build{}
	for _, dir := range s.Dirs {
		yml, err := pungi.ReadModulesMetadata(dir)
		if err != nil {
			return fmt.Errorf("compose: repository %s: %w", dir, err)
		}
		if yml == nil {
			continue
		}
		idx, err := modulemd.ReadIndex(strings.NewReader(string(yml)), nil)
		if err != nil {
			return fmt.Errorf("compose: repository %s: modules.yaml: %w", dir, err)
		}
		var paths []string
		for _, d := range []string{dir, filepath.Join(filepath.Dir(dir), "source")} {
			_ = filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
				if err == nil && !e.IsDir() && strings.HasSuffix(p, ".rpm") {
					paths = append(paths, p)
				}
				return nil
			})
		}
		rpms, err := pungi.ReadRPMs(ctx, paths)
		if err != nil {
			return fmt.Errorf("compose: repository %s: %w", dir, err)
		}
		byName := map[string]pungi.RPM{}
		for _, r := range rpms {
			byName[r.NEVRA().String()] = r
			n := r.NEVRA()
			n.Epoch = 0
			byName[strings.Replace(n.String(), "-0:", "-", 1)] = r
		}
		for _, st := range idx.Streams() {
			if st.Arch == "" {
				return fmt.Errorf("compose: repository %s: module %s has no arch", dir, st.NSVC())
			}
			key := st.NSVC()
			b := byNSVC[key]
			if b == nil {
				b = &Build{Name: st.Name, Stream: st.Stream, Version: st.Version, Context: st.Context,
					Streams: map[string]*modulemd.Stream{}, Origin: dir}
				byNSVC[key] = b
			}
			b.Streams[st.Arch] = st
			for _, a := range st.Artifacts.RPMs {
				r, ok := byName[a]
				if !ok && (strings.HasSuffix(a, ".src") || strings.HasSuffix(a, ".nosrc")) {
					s.Warnings = append(s.Warnings, fmt.Sprintf("repository %s: source RPM %s of module %s is not there; the source tree goes without it", dir, a, st.NSVC()))
					continue
				}
				if !ok {
					return fmt.Errorf("compose: repository %s: module %s lists %s, which is not in the repository", dir, st.NSVC(), a)
				}
				f := &RPMFile{NEVRA: r.NEVRA(), Path: r.Path, SHA256: r.SHA256}
				if !r.IsSource() {
					f.SourceRPM = srpmNEVRA(r)
				}
				if !slices.ContainsFunc(b.RPMs, func(x *RPMFile) bool { return x.NEVRA == f.NEVRA }) {
					b.RPMs = append(b.RPMs, f)
				}
			}
		}
	}
	for _, b := range byNSVC {
		s.builds = append(s.builds, b)
	}
	sortBuilds(s.builds)
	return nil
}

// srpmNEVRA derives the source RPM's NEVRA from a binary RPM's SOURCERPM.
func srpmNEVRA(r pungi.RPM) string {
	base := strings.TrimSuffix(r.SourceRPM, ".rpm")
	base = strings.TrimSuffix(base, ".src")
	i := strings.LastIndexByte(base, '-')
	j := strings.LastIndexByte(base[:max(i, 0)], '-')
	if i < 0 || j < 0 {
		return ""
	}
	return fmt.Sprintf("%s-%d:%s-%s.src", base[:j], r.Epoch, base[j+1:i], base[i+1:])
}

func (s *RepoSource) Find(ctx context.Context, spec ModuleSpec) ([]*Build, error) {
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	return selectExplicit(spec, s.builds), nil
}

// All returns every build of the repositories.
func (s *RepoSource) All() []*Build { return slices.Clone(s.builds) }

func (s *RepoSource) Tagged(context.Context, string) ([]*Build, error) { return nil, ErrNoTags }

func (s *RepoSource) Fetch(context.Context, []*RPMFile, string) error { return nil }

// LocalBuildDirs lists the repositories of the finished (ready) local
// module builds in an orchestrator store, newest first.
func LocalBuildDirs(ctx context.Context, store orchestrator.Store) ([]string, error) {
	var dirs []string
	err := store.View(ctx, func(tx orchestrator.Tx) error {
		mbs, _, err := tx.ListModuleBuilds(ctx, &orchestrator.ModuleBuildFilter{
			States: []orchestrator.ModuleState{orchestrator.StateReady}, Scratch: new(bool),
			OrderBy: []orchestrator.Order{{Field: "id", Desc: true}}})
		if err != nil {
			return err
		}
		for _, mb := range mbs {
			if r := mb.Publication.Repository; r != "" {
				if _, err := os.Stat(filepath.Join(r, "repodata", "repomd.xml")); err == nil {
					dirs = append(dirs, r)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("compose: listing local builds: %w", err)
	}
	return dirs, nil
}
