package localbuild

import (
	"context"
	"os"
	"path/filepath"

	"github.com/modkit/modkit/internal/scm"
	"github.com/modkit/modkit/orchestrator"
)

// prefetched is the input-only part of a component build done ahead of its
// batch: the exported sources of the pinned commit and the spec's
// BuildRequires.
type prefetched struct {
	key     string // SCMURL and Ref it was fetched for
	started bool   // a worker took it; done is closed when it ends
	done    chan struct{}
	dir     string   // holds src/ (the sources) and topdir/
	spec    string   // spec file name in src/
	reqs    []string // rpmspec -q --buildrequires
	err     error
}

// prefetchJob is a prefetch waiting for the worker.
type prefetchJob struct {
	mb   orchestrator.ModuleBuild
	c    orchestrator.ComponentBuild
	cdir string
	p    *prefetched
}

var _ orchestrator.Prefetcher = (*Builder)(nil)

// Prefetch implements [orchestrator.Prefetcher]: one background worker
// exports the pinned sources of later components and runs rpmspec on their
// specs while earlier batches build, in batch order. A build that starts
// before its prefetch did does the work itself; errors are left for the
// build to find and report.
func (b *Builder) Prefetch(mb *orchestrator.ModuleBuild, later []*orchestrator.ComponentBuild) {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	for _, c := range later {
		repo, commit := splitSCMURL(c.SCMURL, c.Ref)
		if repo == "" || !scm.IsCommit(commit) || c.Package == orchestrator.MacrosPackage || checkComponent(c) != nil {
			continue
		}
		cdir := b.componentDir(mb, c.Package)
		key := c.SCMURL + "\x00" + c.Ref
		if p := b.prefetch[cdir]; p != nil && p.key == key {
			continue
		}
		p := &prefetched{key: key, done: make(chan struct{}), dir: filepath.Join(cdir, "prefetch")}
		b.prefetch[cdir] = p
		b.queue = append(b.queue, prefetchJob{mb: *mb, c: *c, cdir: cdir, p: p})
	}
	if !b.fetching && len(b.queue) > 0 {
		b.fetching = true
		b.fetchers.Add(1)
		go func() {
			defer b.fetchers.Done()
			b.prefetchWorker()
		}()
	}
}

// prefetchWorker runs queued prefetches until the queue is empty.
func (b *Builder) prefetchWorker() {
	for {
		b.pmu.Lock()
		if len(b.queue) == 0 {
			b.fetching = false
			b.pmu.Unlock()
			return
		}
		j := b.queue[0]
		b.queue = b.queue[1:]
		if b.prefetch[j.cdir] != j.p {
			// Taken by its build, or replaced by a newer ref.
			b.pmu.Unlock()
			continue
		}
		j.p.started = true
		b.pmu.Unlock()
		b.runPrefetch(&j)
		close(j.p.done)
	}
}

// runPrefetch exports the sources and reads the BuildRequires of j into
// j.p.dir.
func (b *Builder) runPrefetch(j *prefetchJob) {
	p := j.p
	ctx := b.stopCtx // canceled by Close
	_ = os.RemoveAll(p.dir)
	src, top := filepath.Join(p.dir, "src"), filepath.Join(p.dir, "topdir")
	if p.err = os.MkdirAll(top, 0o755); p.err != nil {
		return
	}
	if p.err = b.fetch(ctx, &j.mb, &j.c, src); p.err != nil {
		return
	}
	spec, err := findSpec(src, j.c.Package)
	if err != nil {
		p.err = err
		return
	}
	p.spec = filepath.Base(spec)
	p.reqs, p.err = b.specBuildRequires(ctx, &j.mb, &j.c, spec, b.rpmMacros(&j.mb, top, src))
}

// takePrefetch returns the finished prefetch of c, waiting for it when it
// runs, or nil when there is none (or it has not started: the caller does
// the work). The prefetch is removed from the builder; the caller owns its
// directory.
func (b *Builder) takePrefetch(ctx context.Context, cdir string, c *orchestrator.ComponentBuild) *prefetched {
	b.pmu.Lock()
	p := b.prefetch[cdir]
	if p == nil || p.key != c.SCMURL+"\x00"+c.Ref {
		b.pmu.Unlock()
		return nil
	}
	delete(b.prefetch, cdir)
	started := p.started
	b.pmu.Unlock()
	if !started {
		return nil
	}
	select {
	case <-p.done:
		return p
	case <-ctx.Done():
		return nil
	}
}
