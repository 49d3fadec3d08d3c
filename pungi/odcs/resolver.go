package odcs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/mbsapi"
)

// ModuleBuild is a finished module build a [ModuleResolver] found.
type ModuleBuild struct {
	Name, Stream string
	Version      uint64
	Context      string
	// Requires are the run-time requirements (module name → streams; an
	// empty list means any stream, "-S" excludes S).
	Requires map[string][]string
	// Repository is a local repository holding the build (local builds
	// of the orchestrator); empty when the build lives in koji.
	Repository string
}

// NSVC returns N:S:V:C.
func (b *ModuleBuild) NSVC() string {
	return b.Name + ":" + b.Stream + ":" + strconv.FormatUint(b.Version, 10) + ":" + b.Context
}

// ModuleResolver finds finished module builds: what ODCS asks MBS.
type ModuleResolver interface {
	// FindModules returns the ready builds (and done ones when
	// includeDone) of name:stream, of version and context when not empty.
	FindModules(ctx context.Context, name, stream, version, context string, includeDone bool) ([]*ModuleBuild, error)
}

// ErrNoModule is returned (wrapped) when a module spec matches no build.
var ErrNoModule = errors.New("no module build found")

func requiresOf(yaml string) map[string][]string {
	docs, err := modulemd.Parse([]byte(yaml))
	if err != nil {
		return nil
	}
	for _, d := range docs {
		if st, ok := d.(*modulemd.Stream); ok {
			req := map[string][]string{}
			for _, dep := range st.Dependencies {
				for n, ss := range dep.Requires {
					req[n] = append(req[n], ss...)
				}
			}
			return req
		}
	}
	return nil
}

// StoreResolver resolves modules among the orchestrator's own builds
// (ready, not scratch); their repositories are composed directly.
type StoreResolver struct {
	Store orchestrator.Store
}

// FindModules implements [ModuleResolver].
func (r *StoreResolver) FindModules(ctx context.Context, name, stream, version, context string, includeDone bool) ([]*ModuleBuild, error) {
	states := []orchestrator.ModuleState{orchestrator.StateReady}
	if includeDone {
		states = append(states, orchestrator.StateDone)
	}
	var out []*ModuleBuild
	err := r.Store.View(ctx, func(tx orchestrator.Tx) error {
		mbs, _, err := tx.ListModuleBuilds(ctx, &orchestrator.ModuleBuildFilter{Name: name, Stream: stream, Version: version, Context: context,
			States: states, Scratch: new(bool)})
		if err != nil {
			return err
		}
		for _, mb := range mbs {
			v, err := strconv.ParseUint(mb.Version, 10, 64)
			if err != nil || mb.Publication.Repository == "" {
				continue
			}
			out = append(out, &ModuleBuild{Name: mb.Name, Stream: mb.Stream, Version: v, Context: mb.Context,
				Requires: requiresOf(mb.Modulemd), Repository: mb.Publication.Repository})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("odcs: module builds of the orchestrator: %w", err)
	}
	return out, nil
}

// MBSResolver resolves modules through an MBS API (a remote modkit
// serve, or MBS itself); the builds are taken from koji.
type MBSResolver struct {
	Client *mbsapi.Client
}

// FindModules implements [ModuleResolver] with GET module-builds/?name=
// &stream=&state=5&verbose=true, as ODCS asks MBS.
func (r *MBSResolver) FindModules(ctx context.Context, name, stream, version, context string, includeDone bool) ([]*ModuleBuild, error) {
	f := url.Values{"name": {name}}
	if stream != "" {
		f.Set("stream", stream)
	}
	if version != "" {
		f.Set("version", version)
	}
	if context != "" {
		f.Set("context", context)
	}
	states := []string{"5"}
	if includeDone {
		states = append(states, "3")
	}
	var out []*ModuleBuild
	for page := 1; ; page++ {
		mbs, meta, err := r.Client.ListModuleBuilds(ctx, &mbsapi.ListOptions{Filters: f, States: states, Verbose: true, Page: page, PerPage: 100,
			OrderDescBy: []string{"version"}})
		if err != nil {
			return nil, fmt.Errorf("odcs: MBS module builds %s:%s: %w", name, stream, err)
		}
		for _, mb := range mbs {
			if mb.Scratch {
				continue
			}
			v, err := strconv.ParseUint(mb.Version, 10, 64)
			if err != nil {
				continue
			}
			out = append(out, &ModuleBuild{Name: mb.Name, Stream: mb.Stream, Version: v, Context: mb.Context, Requires: requiresOf(mb.Modulemd)})
		}
		if meta == nil || page >= meta.Pages || len(mbs) == 0 {
			break
		}
	}
	return out, nil
}

// latestVersion keeps every context of the highest version.
func latestVersion(bs []*ModuleBuild) []*ModuleBuild {
	var top uint64
	for _, b := range bs {
		top = max(top, b.Version)
	}
	var out []*ModuleBuild
	for _, b := range bs {
		if b.Version == top {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b *ModuleBuild) int { return cmp.Compare(a.Context, b.Context) })
	return slices.CompactFunc(out, func(a, b *ModuleBuild) bool { return a.NSVC() == b.NSVC() })
}

// ResolveModules expands module specs (N:S, N:S:V, N:S:V:C) to full
// builds as ODCS does: every context of the latest version of each spec,
// then, unless noDeps, the latest builds of the modules they require at
// run time, recursively (base modules such as platform are left out; a
// requirement already satisfied by a chosen build adds nothing). The
// result is sorted by NSVC.
func ResolveModules(ctx context.Context, r ModuleResolver, specs []string, noDeps, includeDone bool) ([]*ModuleBuild, error) {
	chosen := map[string]*ModuleBuild{}
	var queue []*ModuleBuild
	var errs []error
	for _, spec := range specs {
		p := strings.Split(spec, ":")
		if len(p) < 2 || len(p) > 4 {
			errs = append(errs, fmt.Errorf("module %q: want N:S, N:S:V or N:S:V:C", spec))
			continue
		}
		p = append(p, "", "")[:4]
		found, err := r.FindModules(ctx, p[0], p[1], p[2], p[3], includeDone)
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			errs = append(errs, fmt.Errorf("module %s: %w", spec, ErrNoModule))
			continue
		}
		for _, b := range latestVersion(found) {
			if chosen[b.NSVC()] == nil {
				chosen[b.NSVC()] = b
				queue = append(queue, b)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for !noDeps && len(queue) > 0 {
		b := queue[0]
		queue = queue[1:]
		for _, name := range slices.Sorted(func(yield func(string) bool) {
			for n := range b.Requires {
				if !yield(n) {
					return
				}
			}
		}) {
			if slices.Contains(BaseModules, name) {
				continue
			}
			streams := b.Requires[name]
			satisfied := func(s string) bool {
				for _, c := range chosen {
					if c.Name == name && (s == "" || c.Stream == s) {
						return true
					}
				}
				return false
			}
			var want []string
			for _, s := range streams {
				if !strings.HasPrefix(s, "-") {
					want = append(want, s)
				}
			}
			if len(want) == 0 {
				want = []string{""}
			}
			if slices.ContainsFunc(want, satisfied) {
				continue
			}
			var added bool
			for _, s := range want {
				found, err := r.FindModules(ctx, name, s, "", "", includeDone)
				if err != nil {
					return nil, err
				}
				if len(found) == 0 {
					continue
				}
				if s == "" {
					// Any stream: the stream of the newest build.
					newest := slices.MaxFunc(found, func(a, b *ModuleBuild) int { return cmp.Compare(a.Version, b.Version) })
					found = slices.DeleteFunc(found, func(d *ModuleBuild) bool { return d.Stream != newest.Stream })
				}
				for _, d := range latestVersion(found) {
					if chosen[d.NSVC()] == nil {
						chosen[d.NSVC()] = d
						queue = append(queue, d)
					}
				}
				added = true
				break
			}
			if !added {
				return nil, fmt.Errorf("module %s requires %s:%s at run time: %w", b.NSVC(), name, strings.Join(streams, ","), ErrNoModule)
			}
		}
	}
	out := make([]*ModuleBuild, 0, len(chosen))
	for _, b := range chosen {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b *ModuleBuild) int { return strings.Compare(a.NSVC(), b.NSVC()) })
	return out, nil
}
