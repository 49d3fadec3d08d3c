package localbuild

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/pungi"
)

// FinishBatch puts the RPMs of the batch's complete builds (reused ones
// included) into the module's build repository and starts createrepo_c
// over it. This builder reads the next batch's BuildRequires from the RPM
// files themselves, so nothing waits for the repodata: createrepo_c runs
// while the next batch builds, and the next FinishBatch or Finalize waits
// for it and fails with its error, if any. A batch of only build-time
// packages (module-build-macros, whose macros this builder loads
// directly) adds nothing a later batch installs: its RPMs are linked but
// the repodata is left for the next batch.
func (b *Builder) FinishBatch(ctx context.Context, mb *orchestrator.ModuleBuild, batch int, built []*orchestrator.ComponentBuild) error {
	repoDir := b.buildRepoDir(mb)
	if err := b.waitRepo(ctx, repoDir); err != nil {
		return fmt.Errorf("localbuild: finish batch %d of %s: %w", batch, mb.NSVC(), err)
	}
	pkgs := filepath.Join(repoDir, "Packages")
	if err := os.MkdirAll(pkgs, 0o755); err != nil {
		return fmt.Errorf("localbuild: finish batch %d of %s: %w", batch, mb.NSVC(), err)
	}
	for _, c := range built {
		if c.State == nil || *c.State != orchestrator.ComponentComplete {
			continue
		}
		files, err := b.componentFiles(mb, c)
		if err != nil {
			return fmt.Errorf("localbuild: finish batch %d of %s: %w", batch, mb.NSVC(), err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, ".src.rpm") {
				continue
			}
			dst := filepath.Join(pkgs, filepath.Base(f))
			if _, err := os.Stat(dst); err == nil {
				continue
			}
			if err := linkOrCopy(f, dst); err != nil {
				return fmt.Errorf("localbuild: finish batch %d of %s: %w", batch, mb.NSVC(), err)
			}
		}
	}
	if !slices.ContainsFunc(built, func(c *orchestrator.ComponentBuild) bool { return !c.BuildTimeOnly }) {
		b.log.Info("batch of build-time packages only; build repository unchanged", "nsvc", mb.NSVC(), "batch", batch)
		return nil
	}
	j := &repoJob{batch: batch, done: make(chan struct{})}
	b.repoMu.Lock()
	b.repoJob[repoDir] = j
	b.repoMu.Unlock()
	go func() {
		defer close(j.done)
		j.err = b.createRepo(ctx, repoDir)
		if j.err == nil {
			b.log.Info("batch repository ready", "nsvc", mb.NSVC(), "batch", batch)
		}
	}()
	return nil
}

// repoJob is a createrepo_c run over a build repository in the background.
type repoJob struct {
	batch int
	done  chan struct{}
	err   error
}

// waitRepo waits for the background createrepo_c of the build repository
// dir, if one was started, and returns its error.
func (b *Builder) waitRepo(ctx context.Context, dir string) error {
	b.repoMu.Lock()
	j := b.repoJob[dir]
	b.repoMu.Unlock()
	if j == nil {
		return nil
	}
	select {
	case <-j.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	b.repoMu.Lock()
	if b.repoJob[dir] == j {
		delete(b.repoJob, dir)
	}
	b.repoMu.Unlock()
	if j.err != nil {
		return fmt.Errorf("the build repository of batch %d: %w", j.batch, j.err)
	}
	return nil
}

// Close stops the builds still running (killing and reaping their
// process groups, recording no result, so a later Builder on the same
// directory builds them again), waits for the builder's background work
// (createrepo_c of build repositories, prefetches) and returns the errors
// of createrepo_c runs no FinishBatch or Finalize reported. Call it when
// no more calls are made; modkit build and modkit serve call it before
// they exit, Submit fails after it.
func (b *Builder) Close() error {
	// Stop the running builds: their process groups are killed and reaped,
	// and no result is recorded, so a later Builder on this directory
	// builds them again.
	b.mu.Lock()
	b.closing = true
	jobs := slices.Collect(maps.Values(b.active))
	b.mu.Unlock()
	for _, j := range jobs {
		j.cancel()
	}
	for _, j := range jobs {
		<-j.done
	}
	// Prefetches not started are dropped, the running one is canceled.
	b.pmu.Lock()
	b.queue = nil
	b.pmu.Unlock()
	b.stop()
	b.repoMu.Lock()
	dirs := slices.Collect(maps.Keys(b.repoJob))
	b.repoMu.Unlock()
	slices.Sort(dirs)
	var errs []error
	for _, d := range dirs {
		if err := b.waitRepo(context.Background(), d); err != nil {
			errs = append(errs, fmt.Errorf("localbuild: %s: %w", d, err))
		}
	}
	b.fetchers.Wait()
	return errors.Join(errs...)
}

// Finalize writes the module's repository (see [Builder.RepoDir]) with
// pungi.WriteRepo: the binary RPMs of every component but
// module-build-macros and buildonly components, and modules.yaml with final
// (its artifacts, rpm-map and content licences filled in place from the RPM
// headers, arch set to the builder's when empty) and the module's defaults.
// The source RPMs go to a "source" repository beside it.
func (b *Builder) Finalize(ctx context.Context, mb *orchestrator.ModuleBuild, final *modulemd.Stream, built []*orchestrator.ComponentBuild) (orchestrator.Publication, error) {
	var files []string
	for _, c := range built {
		if c.BuildTimeOnly || c.Package == orchestrator.MacrosPackage || c.Buildonly {
			continue
		}
		if c.State == nil || *c.State != orchestrator.ComponentComplete {
			return orchestrator.Publication{}, fmt.Errorf("localbuild: finalize %s: component %s is not complete", mb.NSVC(), c.Package)
		}
		f, err := b.componentFiles(mb, c)
		if err != nil {
			return orchestrator.Publication{}, fmt.Errorf("localbuild: finalize %s: %w", mb.NSVC(), err)
		}
		files = append(files, f...)
	}
	if final.Arch == "" {
		final.Arch = b.arch
	}
	if final.Name == "" {
		final.Name, final.Stream, final.Context = mb.Name, mb.Stream, mb.Context
		final.Version, _ = strconv.ParseUint(mb.Version, 10, 64)
	}
	defaults, err := b.defaultsFor(mb, final)
	if err != nil {
		return orchestrator.Publication{}, fmt.Errorf("localbuild: finalize %s: %w", mb.NSVC(), err)
	}
	repo, err := pungi.WriteRepo(ctx, b.RepoDir(mb), []pungi.RepoModule{{Stream: final, RPMs: files}}, &pungi.RepoOptions{
		Defaults:  defaults,
		SourceDir: filepath.Join(b.ModuleDir(mb), "source"),
		Observe:   b.usage.Start,
	})
	if err != nil {
		return orchestrator.Publication{}, fmt.Errorf("localbuild: finalize %s: %w", mb.NSVC(), err)
	}
	if err := b.waitRepo(ctx, b.buildRepoDir(mb)); err != nil {
		return orchestrator.Publication{}, fmt.Errorf("localbuild: finalize %s: %w", mb.NSVC(), err)
	}
	b.log.Info("module repository written", "nsvc", mb.NSVC(), "repo", repo.Dir, "rpms", len(repo.RPMs))
	return orchestrator.Publication{Repository: repo.Dir}, nil
}

// defaultsFor returns the defaults documents for s's module: the ones
// configured in Options.Defaults, else those submitted with the module
// (mb.Defaults), else one making s the default stream with its default
// profiles.
func (b *Builder) defaultsFor(mb *orchestrator.ModuleBuild, s *modulemd.Stream) ([]*modulemd.Defaults, error) {
	var out []*modulemd.Defaults
	for _, d := range b.opts.Defaults {
		if d.Module == s.Name {
			out = append(out, d)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	if mb.Defaults != "" {
		docs, err := modulemd.Parse([]byte(mb.Defaults))
		if err != nil {
			return nil, fmt.Errorf("the stored defaults of the module: %w", err)
		}
		for _, d := range docs {
			if d, ok := d.(*modulemd.Defaults); ok && d.Module == s.Name {
				out = append(out, d)
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	var profiles []string
	for name, p := range s.Profiles {
		if p.Default {
			profiles = append(profiles, name)
		}
	}
	if len(profiles) == 0 {
		return nil, nil
	}
	slices.Sort(profiles)
	return []*modulemd.Defaults{{
		MDVersionNumber: 1,
		Module:          s.Name,
		Stream:          s.Stream,
		Profiles:        map[string][]string{s.Stream: profiles},
	}}, nil
}

// componentFiles returns the RPM files of c's recorded complete build; for a
// reused component, those of the build it reuses.
func (b *Builder) componentFiles(mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild) ([]string, error) {
	if err := checkComponent(c); err != nil {
		return nil, err
	}
	cdir := b.componentDir(mb, c.Package)
	r, err := readRecord(cdir)
	if (err != nil || r.Result == nil) && c.ReusedComponentID != 0 {
		cdir, err = filepath.EvalSymlinks(b.byComponent(c.ReusedComponentID))
		if err != nil {
			return nil, fmt.Errorf("component %s reuses component build %d, whose results are not in %s", c.Package, c.ReusedComponentID, b.dir)
		}
		r, err = readRecord(cdir)
	}
	if err != nil {
		return nil, fmt.Errorf("no recorded build of %s: %w", c.Package, err)
	}
	if r.Result == nil || r.Result.State != orchestrator.ComponentComplete {
		return nil, fmt.Errorf("the recorded build of %s is not complete", c.Package)
	}
	out := make([]string, len(r.Files))
	for i, f := range r.Files {
		out[i] = filepath.Join(cdir, f)
		if _, err := os.Stat(out[i]); err != nil {
			return nil, fmt.Errorf("a built RPM of %s is gone: %w", c.Package, err)
		}
	}
	return out, nil
}

// byComponent is the link from a component build id to its directory, used
// to find the RPMs of reused components.
func (b *Builder) byComponent(id int64) string {
	return filepath.Join(b.dir, "by-component", strconv.FormatInt(id, 10))
}

// createRepo runs createrepo_c over the build repository dir. Only this
// builder writes it, one run at a time (waitRepo), so a .repodata left
// there is the work directory of a run killed with its process, which would
// make createrepo_c refuse to start.
func (b *Builder) createRepo(ctx context.Context, dir string) error {
	if err := os.RemoveAll(filepath.Join(dir, ".repodata")); err != nil {
		return err
	}
	defer b.tool("createrepo_c")()
	return pungi.CreateRepo(ctx, dir)
}

func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return writeFileAtomic(dst, data)
}

// DefaultsFrom returns the defaults a module definition file carries: its
// modulemd-defaults documents, and for a packager v3 document without one,
// the defaults its default profiles imply (profiles only, no default
// stream, as libmodulemd converts them).
func DefaultsFrom(docs []modulemd.Document) ([]*modulemd.Defaults, error) {
	var out []*modulemd.Defaults
	have := map[string]bool{}
	for _, d := range docs {
		if d, ok := d.(*modulemd.Defaults); ok {
			out = append(out, d)
			have[d.Module] = true
		}
	}
	for _, d := range docs {
		p, ok := d.(*modulemd.Packager)
		if !ok || p.MDVersionNumber < 3 {
			continue
		}
		idx, err := p.ToIndex()
		if err != nil {
			return nil, err
		}
		for _, name := range idx.ModuleNames() {
			if def := idx.Defaults(name); def != nil && !have[name] {
				out = append(out, def)
				have[name] = true
			}
		}
	}
	return out, nil
}
