package composer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/modkit/modkit/bodhi"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/pungi"
)

// PushOptions configure [Push].
type PushOptions struct {
	// Release is the Bodhi release, e.g. F27M; Request is testing or
	// stable: the updates carrying that request are pushed.
	Release, Request string
	// RepoDir receives the repository (modular-updates or
	// modular-updates-testing): modules.yaml, updateinfo.xml and the
	// RPMs RPMFiles returns.
	RepoDir string
	// Arch is the architecture of the repository (default x86_64).
	Arch string
	// RPMFiles returns the RPM files of a module build, or nil; nil means
	// the repository carries only module metadata.
	RPMFiles func(ctx context.Context, b *koji.Build) ([]string, error)
	// Mark records an update's new status in Bodhi, what Bodhi's composer
	// does in its database (the REST API has no call for it):
	// bodhidb.Marker.Mark does it in Bodhi's PostgreSQL, and
	// bodhitest.Server.SetStatus in the test server. Nil leaves Bodhi as
	// it is.
	Mark func(ctx context.Context, alias, status string) error
	// Progress, when set, is told each step.
	Progress func(step string)
	// From is the advisories' from address.
	From string
	// Defaults and Obsoletes (the release's module defaults and
	// obsoletes) go into modules.yaml for the modules the repository
	// carries; those of other modules are left out, as Pungi does.
	Defaults  []*modulemd.Defaults
	Obsoletes []*modulemd.Obsoletes
}

// PushResult describes a finished push.
type PushResult struct {
	Updates    []string      // aliases pushed
	Modules    []ModuleBuild // the repository's module set
	Advisories []Advisory
	Repo       *pungi.Repo
	// DeletedSideTags are the side tags of updates pushed to stable,
	// deleted from koji as Bodhi's composer deletes them.
	DeletedSideTags []string
}

// Push does what Bodhi's composer does for a modular release: for the
// updates of opts.Release with request opts.Request it moves their builds
// in koji (into the testing or stable tag, out of the pending tags),
// computes the module set ([SelectModules] over the release's builds whose
// updates are already in the target repository, and the pushed ones),
// writes the repository with modules.yaml through pungi, adds
// updateinfo.xml with module information (an advisory for every update in
// the repository: the pushed ones and those already there, stable ones
// for the stable repository, testing and stable ones for testing), and
// marks the updates. A stable push also takes the builds of side-tag
// updates out of their side tags and deletes those tags, as Bodhi's
// composer does.
// kc must be logged in with the right to tag builds.
func Push(ctx context.Context, bc *bodhi.Client, kc *koji.Client, opts *PushOptions) (*PushResult, error) {
	if opts == nil || opts.Release == "" || opts.RepoDir == "" {
		return nil, errors.New("composer: push: Release and RepoDir are required")
	}
	if opts.Request != bodhi.RequestTesting && opts.Request != bodhi.RequestStable {
		return nil, fmt.Errorf("composer: push: request %q: want testing or stable", opts.Request)
	}
	arch := opts.Arch
	if arch == "" {
		arch = "x86_64"
	}
	step := func(format string, args ...any) {
		if opts.Progress != nil {
			opts.Progress(fmt.Sprintf(format, args...))
		}
	}
	rel, err := bc.GetRelease(ctx, opts.Release)
	if err != nil {
		return nil, fmt.Errorf("composer: push: %w", err)
	}
	targetTag, status := rel.TestingTag, bodhi.StatusTesting
	pendingTags := []string{rel.PendingSigningTag, rel.PendingTestingTag}
	if opts.Request == bodhi.RequestStable {
		targetTag, status = rel.StableTag, bodhi.StatusStable
		pendingTags = []string{rel.PendingStableTag, rel.TestingTag, rel.PendingTestingTag, rel.PendingSigningTag}
	}

	// The updates to push.
	var pushed []bodhi.Update
	for u, err := range bc.Updates(ctx, &bodhi.UpdateListOptions{Releases: []string{rel.Name}, Request: opts.Request,
		ContentType: bodhi.ContentModule}) {
		if err != nil {
			return nil, fmt.Errorf("composer: push: list updates: %w", err)
		}
		if u.Status == bodhi.StatusPending || u.Status == bodhi.StatusTesting {
			pushed = append(pushed, u)
		}
	}
	step("%d update(s) of %s request %s", len(pushed), rel.Name, opts.Request)
	res := &PushResult{}
	kojiBuilds := map[string]*koji.Build{}
	getBuild := func(nvr string) (*koji.Build, ModuleBuild, error) {
		b := kojiBuilds[nvr]
		if b == nil {
			var err error
			if b, err = kc.GetBuild(ctx, koji.Name(nvr)); err != nil {
				return nil, ModuleBuild{}, fmt.Errorf("composer: push: koji build %s: %w", nvr, err)
			}
			kojiBuilds[nvr] = b
		}
		mi := b.ModuleInfo()
		if mi == nil {
			return nil, ModuleBuild{}, fmt.Errorf("composer: push: koji build %s is not a module build", nvr)
		}
		v, err := strconv.ParseUint(mi.Version, 10, 64)
		if err != nil {
			return nil, ModuleBuild{}, fmt.Errorf("composer: push: koji build %s: module version %q: %w", nvr, mi.Version, err)
		}
		return b, ModuleBuild{Name: mi.Name, Stream: mi.Stream, Version: v, Context: mi.Context, NVR: nvr}, nil
	}

	// Koji tag moves.
	var pushedBuilds []ModuleBuild
	for _, u := range pushed {
		for _, bd := range u.Builds {
			b, mb, err := getBuild(bd.NVR)
			if err != nil {
				return nil, err
			}
			pushedBuilds = append(pushedBuilds, mb)
			tags, err := kc.ListTags(ctx, &koji.ListTagsOptions{Build: koji.ID(b.ID)})
			if err != nil {
				return nil, fmt.Errorf("composer: push: tags of %s: %w", bd.NVR, err)
			}
			has := func(name string) bool {
				return slices.ContainsFunc(tags, func(t koji.Tag) bool { return t.Name == name })
			}
			if !has(targetTag) {
				if err := kc.TagBuildBypass(ctx, koji.Name(targetTag), koji.ID(b.ID), true); err != nil {
					return nil, fmt.Errorf("composer: push: tag %s into %s: %w", bd.NVR, targetTag, err)
				}
				step("tagged %s into %s", bd.NVR, targetTag)
			}
			untag := pendingTags
			if opts.Request == bodhi.RequestStable && u.FromTag != nil && *u.FromTag != "" {
				// Bodhi's composer takes a stable side-tag update's
				// builds out of the side tag, and deletes the tag.
				untag = append(slices.Clone(untag), *u.FromTag)
			}
			for _, pt := range untag {
				if pt != "" && pt != targetTag && has(pt) {
					if err := kc.UntagBuildBypass(ctx, koji.Name(pt), koji.ID(b.ID), nil); err != nil {
						return nil, fmt.Errorf("composer: push: untag %s from %s: %w", bd.NVR, pt, err)
					}
					step("untagged %s from %s", bd.NVR, pt)
				}
			}
		}
		res.Updates = append(res.Updates, u.Alias)
	}

	// The release's builds already in the target repository.
	inRepo := []string{bodhi.StatusStable}
	if opts.Request == bodhi.RequestTesting {
		inRepo = append(inRepo, bodhi.StatusTesting)
	}
	var current []ModuleBuild
	var inRepoUpdates []bodhi.Update
	for u, err := range bc.Updates(ctx, &bodhi.UpdateListOptions{Releases: []string{rel.Name}, Status: inRepo, ContentType: bodhi.ContentModule}) {
		if err != nil {
			return nil, fmt.Errorf("composer: push: list updates: %w", err)
		}
		if slices.Contains(res.Updates, u.Alias) {
			continue
		}
		inRepoUpdates = append(inRepoUpdates, u)
		for _, bd := range u.Builds {
			_, mb, err := getBuild(bd.NVR)
			if err != nil {
				return nil, err
			}
			current = append(current, mb)
		}
	}
	res.Modules = SelectModules(current, pushedBuilds)
	step("module set: %d stream(s)", len(res.Modules))

	// The repository.
	var mods []pungi.RepoModule
	streams := map[string]*modulemd.Stream{}
	for _, m := range res.Modules {
		b := kojiBuilds[m.NVR]
		st, err := streamOf(b)
		if err != nil {
			return nil, err
		}
		streams[m.NVR] = st
		rm := pungi.RepoModule{Stream: st}
		if opts.RPMFiles != nil {
			if rm.RPMs, err = opts.RPMFiles(ctx, b); err != nil {
				return nil, fmt.Errorf("composer: push: RPMs of %s: %w", m.NVR, err)
			}
		}
		mods = append(mods, rm)
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(opts.RepoDir)), 0o755); err != nil {
		return nil, fmt.Errorf("composer: push: %w", err)
	}
	repo, err := pungi.WriteRepo(ctx, opts.RepoDir, mods, &pungi.RepoOptions{Defaults: opts.Defaults, Obsoletes: opts.Obsoletes})
	if err != nil {
		return nil, fmt.Errorf("composer: push: %w", err)
	}
	res.Repo = repo
	step("wrote %s (%d module stream(s), %d RPM(s))", opts.RepoDir, len(repo.Streams), len(repo.RPMs))

	// updateinfo.xml: one advisory per update in the repository (the
	// pushed ones and those already there), one collection per module
	// build.
	for i, u := range append(pushed, inRepoUpdates...) {
		st := status
		if i >= len(pushed) {
			st = u.Status
		}
		a := Advisory{ID: u.Alias, Title: u.Title, Type: u.Type, Status: st, From: opts.From, Release: rel.LongName,
			Description: u.Notes, Issued: u.DateSubmitted.Time, Updated: u.DateSubmitted.Time}
		if !u.DateModified.IsZero() {
			a.Updated = u.DateModified.Time
		}
		if u.Severity != "" && u.Severity != "unspecified" {
			a.Severity = u.Severity
		}
		for _, bd := range u.Builds {
			b, mb, err := getBuild(bd.NVR)
			if err != nil {
				return nil, err
			}
			st := streams[bd.NVR]
			if st == nil {
				if st, err = streamOf(b); err != nil {
					return nil, err
				}
			}
			c := Collection{Short: rel.Name, Name: rel.LongName,
				Module: &Module{Name: mb.Name, Stream: mb.Stream, Version: mb.Version, Context: mb.Context, Arch: arch}}
			for _, s := range st.Artifacts.RPMs {
				n, err := modulemd.ParseNEVRA(s)
				if err != nil || (n.Arch != arch && n.Arch != "noarch") {
					continue
				}
				c.Packages = append(c.Packages, Package{Name: n.Name, Epoch: strconv.FormatUint(n.Epoch, 10), Version: n.Version,
					Release: n.Release, Arch: n.Arch, Filename: fmt.Sprintf("%s-%s-%s.%s.rpm", n.Name, n.Version, n.Release, n.Arch)})
			}
			a.Collections = append(a.Collections, c)
		}
		res.Advisories = append(res.Advisories, a)
	}
	ui, err := UpdateInfo(res.Advisories)
	if err != nil {
		return nil, err
	}
	if err := AddUpdateInfo(ctx, opts.RepoDir, ui); err != nil {
		return nil, err
	}
	step("added updateinfo.xml (%d advisories)", len(res.Advisories))

	if opts.Mark != nil {
		for _, alias := range res.Updates {
			if err := opts.Mark(ctx, alias, status); err != nil {
				return res, fmt.Errorf("composer: push: mark %s %s: %w", alias, status, err)
			}
		}
		step("marked %d update(s) %s", len(res.Updates), status)
	}
	if opts.Request == bodhi.RequestStable {
		// Side tags of updates now stable are at their end of life; like
		// Bodhi's composer, a failure to delete one does not fail the push.
		for _, u := range pushed {
			if u.FromTag == nil || *u.FromTag == "" {
				continue
			}
			if err := kc.DeleteTag(ctx, koji.Name(*u.FromTag)); err != nil {
				step("could not delete side tag %s: %v", *u.FromTag, err)
				continue
			}
			res.DeletedSideTags = append(res.DeletedSideTags, *u.FromTag)
			step("deleted side tag %s", *u.FromTag)
		}
	}
	return res, nil
}

// streamOf parses a module build's modulemd from koji's
// extra.typeinfo.module.modulemd_str.
func streamOf(b *koji.Build) (*modulemd.Stream, error) {
	mi := b.ModuleInfo()
	if mi == nil || mi.ModulemdStr == "" {
		return nil, fmt.Errorf("composer: push: koji build %s has no modulemd_str", b.NVR)
	}
	docs, err := modulemd.Parse([]byte(mi.ModulemdStr))
	if err != nil {
		return nil, fmt.Errorf("composer: push: modulemd of %s: %w", b.NVR, err)
	}
	for _, d := range docs {
		if st, ok := d.(*modulemd.Stream); ok {
			return st, nil
		}
	}
	return nil, fmt.Errorf("composer: push: modulemd of %s has no module stream", b.NVR)
}
