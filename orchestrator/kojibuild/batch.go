package kojibuild

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modkit/modkit/internal/retry"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/orchestrator"
)

// FinishBatch ends a batch as MBS does: every built component (reused ones
// included) is tagged into the -build tag and, unless it is build-time
// only (module-build-macros), into the module tag, in one multicall of
// tagBuild tasks; after batch 1, module-build-macros joins the build and
// srpm-build groups. Then it regenerates the -build repo (newRepo), waits
// for it (bounded by ctx and Options.RepoTimeout) and checks that the repo
// holds the batch's NVRs. Builds already tagged are skipped, so it can run
// again after a restart.
func (b *Builder) FinishBatch(ctx context.Context, mb *orchestrator.ModuleBuild, batch int, built []*orchestrator.ComponentBuild) error {
	if _, err := b.me(ctx, mb); err != nil {
		return wrap(mb, "finish batch", err)
	}
	defer b.forget(mb, batch)
	n := NamesOf(mb)
	var nvrs []string
	for _, c := range built {
		if c.NVR != "" {
			nvrs = append(nvrs, c.NVR)
		}
	}
	if err := b.tagAll(ctx, mb, built); err != nil {
		return wrap(mb, fmt.Sprintf("tag batch %d", batch), err)
	}
	if slices.ContainsFunc(built, func(c *orchestrator.ComponentBuild) bool { return c.Package == orchestrator.MacrosPackage }) {
		if err := b.macrosGroups(ctx, mb, n.BuildTag); err != nil {
			return wrap(mb, "add module-build-macros to the build groups", err)
		}
	}
	if err := b.regen(ctx, mb, n.BuildTag, nvrs); err != nil {
		return wrap(mb, fmt.Sprintf("regenerate the repo of %s after batch %d", n.BuildTag, batch), err)
	}
	return nil
}

// tagAll tags the built components into the -build tag and (except
// build-time-only ones) into the module tag, waits for the tagBuild tasks
// and checks that every build is tagged. Builds already tagged are
// skipped, and a tagBuild refused or failed because another task (of a
// run that crashed) tagged the build first is not an error.
func (b *Builder) tagAll(ctx context.Context, mb *orchestrator.ModuleBuild, built []*orchestrator.ComponentBuild) error {
	n := NamesOf(mb)
	tags := []string{n.BuildTag, n.Tag}
	want := func(i int, c *orchestrator.ComponentBuild) bool {
		return c.NVR != "" && !(i == 1 && c.BuildTimeOnly)
	}
	tagged, err := b.tagged(ctx, mb, tags)
	if err != nil {
		return err
	}
	m := b.multi(mb)
	var fTasks []*koji.Future[any]
	var what []string
	for _, c := range built {
		for i, tag := range tags {
			if want(i, c) && !tagged[i][c.NVR] {
				fTasks = append(fTasks, m.call("tagBuild", tag, c.NVR))
				what = append(what, c.NVR+" into "+tag)
			}
		}
	}
	if len(fTasks) == 0 {
		return nil
	}
	if err := m.do(ctx); err != nil {
		return err
	}
	var ids []int64
	var idWhat, problems []string
	for i, f := range fTasks {
		var id int64
		if err := result(f, &id); err != nil {
			problems = append(problems, fmt.Sprintf("tag %s: %v", what[i], err))
			continue
		}
		ids = append(ids, id)
		idWhat = append(idWhat, what[i])
	}
	if err := b.waitTasks(ctx, mb, ids, idWhat); err != nil {
		if ctx.Err() != nil {
			return err
		}
		problems = append(problems, err.Error())
	}
	if len(problems) == 0 {
		return nil // every tagBuild task closed: the builds are tagged
	}
	if tagged, err = b.tagged(ctx, mb, tags); err != nil {
		return err
	}
	var missing []string
	for _, c := range built {
		for i, tag := range tags {
			if want(i, c) && !tagged[i][c.NVR] {
				missing = append(missing, c.NVR+" in "+tag)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("not tagged: %s (%s)", strings.Join(missing, ", "), strings.Join(problems, "; "))
	}
	return nil
}

// tagged lists the NVRs tagged into each of tags (one multicall).
func (b *Builder) tagged(ctx context.Context, mb *orchestrator.ModuleBuild, tags []string) ([]map[string]bool, error) {
	m := b.multi(mb)
	fs := make([]*koji.Future[any], len(tags))
	for i, tag := range tags {
		fs[i] = m.call("listTagged", tag)
	}
	if err := m.do(ctx); err != nil {
		return nil, err
	}
	out := make([]map[string]bool, len(tags))
	for i, f := range fs {
		var l []koji.Build
		if err := result(f, &l); err != nil {
			return nil, err
		}
		out[i] = map[string]bool{}
		for _, bd := range l {
			out[i][bd.NVR] = true
		}
	}
	return out, nil
}

// waitTasks polls tasks (one multicall per round) until all are finished;
// any that did not close is an error.
func (b *Builder) waitTasks(ctx context.Context, mb *orchestrator.ModuleBuild, ids []int64, what []string) error {
	pending := slices.Clone(ids)
	delay := 10 * time.Millisecond
	var failed []string
	for len(pending) > 0 {
		m := b.multi(mb)
		fs := make([]*koji.Future[any], len(pending))
		for i, id := range pending {
			fs[i] = m.call("getTaskInfo", id)
		}
		if err := m.do(ctx); err != nil {
			return err
		}
		var still []int64
		for i, f := range fs {
			var t *koji.Task
			if err := result(f, &t); err != nil {
				return err
			}
			if t == nil {
				return fmt.Errorf("koji task %d vanished", pending[i])
			}
			switch t.State {
			case koji.TaskClosed:
			case koji.TaskFailed, koji.TaskCanceled:
				w := fmt.Sprintf("task %d", t.ID)
				if j := slices.Index(ids, t.ID); j >= 0 && j < len(what) {
					w = fmt.Sprintf("task %d (%s)", t.ID, what[j])
				}
				failed = append(failed, w+" "+t.State.String())
			default:
				still = append(still, t.ID)
			}
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		if err := retry.Sleep(ctx, delay); err != nil {
			return err
		}
		delay = min(delay*2, b.opts.PollInterval)
	}
	if len(failed) > 0 {
		return fmt.Errorf("koji tasks failed: %s", strings.Join(failed, "; "))
	}
	return nil
}

// macrosGroups adds module-build-macros to the build and srpm-build groups
// of the -build tag.
func (b *Builder) macrosGroups(ctx context.Context, mb *orchestrator.ModuleBuild, buildTag string) error {
	m := b.multi(mb)
	fs := []*koji.Future[any]{
		m.call("groupPackageListAdd", buildTag, "build", orchestrator.MacrosPackage),
		m.call("groupPackageListAdd", buildTag, "srpm-build", orchestrator.MacrosPackage),
	}
	if err := m.do(ctx); err != nil {
		return err
	}
	for _, f := range fs {
		if err := result(f, nil); err != nil {
			return err
		}
	}
	return nil
}

// regen runs newRepo on the -build tag, waits for the repo and checks that
// it holds nvrs: they are tagged (inheritance included) as of the repo's
// create event, as koji.util.checkForBuilds does.
func (b *Builder) regen(ctx context.Context, mb *orchestrator.ModuleBuild, buildTag string, nvrs []string) error {
	ctx, cancel := context.WithTimeout(ctx, b.opts.RepoTimeout)
	defer cancel()
	t := time.Now()
	task, err := b.c.NewRepo(ctx, koji.Name(buildTag), nil)
	b.logCall(ctx, mb, 0, t, err, "newRepo(%q) -> task %d", buildTag, task)
	if err != nil {
		return err
	}
	b.info(ctx, mb, 0, "Waiting for koji to regenerate the repo of %s (newRepo task %d).", buildTag, task)
	if err := b.waitTasks(ctx, mb, []int64{task}, []string{"newRepo " + buildTag}); err != nil {
		return err
	}
	t = time.Now()
	repo, err := b.c.WaitRepo(ctx, koji.Name(buildTag), &koji.WaitRepoOptions{Interval: b.opts.PollInterval})
	if err != nil {
		b.logCall(ctx, mb, 0, t, err, "waitRepo(%q)", buildTag)
		return err
	}
	b.logCall(ctx, mb, 0, t, nil, "waitRepo(%q) -> repo %d at event %d", buildTag, repo.ID, repo.CreateEvent)
	// The NVRs must be tagged as of the repo's event: one listTagged per
	// package (the -build tag inherits whole platforms), in one multicall.
	m := b.multi(mb)
	fs := make([]*koji.Future[any], len(nvrs))
	for i, nvr := range nvrs {
		fs[i] = m.call("listTagged", buildTag, koji.Kwargs{"event": repo.CreateEvent, "inherit": true, "package": pkgOf(nvr)})
	}
	if err := m.do(ctx); err != nil {
		return err
	}
	var missing []string
	for i, f := range fs {
		var l []koji.Build
		if err := result(f, &l); err != nil {
			return err
		}
		if !slices.ContainsFunc(l, func(bd koji.Build) bool { return bd.NVR == nvrs[i] }) {
			missing = append(missing, nvrs[i])
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("repo %d of %s lacks %s", repo.ID, buildTag, strings.Join(missing, ", "))
	}
	b.info(ctx, mb, 0, "Repo %d of %s holds the batch's builds.", repo.ID, buildTag)
	return nil
}

// pkgOf is the name part of an NVR.
func pkgOf(nvr string) string {
	i := strings.LastIndex(nvr, "-")
	if i <= 0 {
		return nvr
	}
	j := strings.LastIndex(nvr[:i], "-")
	if j <= 0 {
		return nvr
	}
	return nvr[:j]
}
