package kojibuild

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/orchestrator"
)

// Sweep deletes the targets of module builds that finished (done, ready,
// failed or garbage) more than Options.TargetGrace ago, as MBS's
// delete_old_koji_targets does: it lists the hub's targets whose names
// start with module- or scrmod-, finds each one's module build by its
// destination tag, and leaves targets of unknown or unfinished builds
// alone. Tags are never deleted.
func (b *Builder) Sweep(ctx context.Context, find func(ctx context.Context, tag string) (*orchestrator.ModuleBuild, error)) error {
	t := time.Now()
	targets, err := b.c.ListTargets(ctx, nil)
	b.logCall(ctx, nil, 0, t, err, "getBuildTargets()")
	if err != nil {
		return fmt.Errorf("kojibuild: sweep: %w", err)
	}
	var errs []error
	now := b.opts.Now()
	for _, tg := range targets {
		if !strings.HasPrefix(tg.Name, "module-") && !strings.HasPrefix(tg.Name, "scrmod-") {
			continue
		}
		mb, err := find(ctx, tg.DestTagName)
		if errors.Is(err, orchestrator.ErrNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if NamesOf(mb).Target != tg.Name || mb.State.Active() || mb.TimeCompleted.IsZero() || now.Sub(mb.TimeCompleted) < b.opts.TargetGrace {
			continue
		}
		if _, err := b.me(ctx, mb); err != nil {
			return fmt.Errorf("kojibuild: sweep: %w", err)
		}
		t := time.Now()
		err = b.c.DeleteTarget(ctx, koji.ID(tg.ID))
		b.logCall(ctx, mb, 0, t, err, "deleteBuildTarget(%q)", tg.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("kojibuild: delete target %s: %w", tg.Name, err))
			continue
		}
		b.info(ctx, mb, 0, "Deleted koji target %s, %s after the build finished.", tg.Name, b.opts.TargetGrace)
	}
	return errors.Join(errs...)
}

// Garbage untags the complete components of a failed module build that
// moved to garbage from its -build and module tags (MBS's
// cleanup_stale_failed_builds), in one multicall. Reused components stay:
// they belong to other module builds too.
func (b *Builder) Garbage(ctx context.Context, mb *orchestrator.ModuleBuild, comps []*orchestrator.ComponentBuild) error {
	if _, err := b.me(ctx, mb); err != nil {
		return wrap(mb, "untag", err)
	}
	n := NamesOf(mb)
	m := b.multi(mb)
	var fs []*koji.Future[any]
	for _, c := range comps {
		if c.NVR == "" || c.ReusedComponentID != 0 || c.State == nil || *c.State != orchestrator.ComponentComplete {
			continue
		}
		for _, tag := range []string{n.BuildTag, n.Tag} {
			fs = append(fs, m.call("untagBuild", tag, c.NVR, koji.Kwargs{"strict": false}))
		}
	}
	if err := m.do(ctx); err != nil {
		return wrap(mb, "untag", err)
	}
	var errs []error
	for _, f := range fs {
		if err := result(f, nil); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 && len(fs) > 0 {
		b.info(ctx, mb, 0, "Untagged the components of the failed build from %s and %s.", n.BuildTag, n.Tag)
	}
	return wrap(mb, "untag", errors.Join(errs...))
}

var (
	_ orchestrator.Builder       = (*Builder)(nil)
	_ orchestrator.BuildLogger   = (*Builder)(nil)
	_ orchestrator.BatchPoller   = (*Builder)(nil)
	_ orchestrator.Janitor       = (*Builder)(nil)
	_ orchestrator.BatchCanceler = (*Builder)(nil)
)
