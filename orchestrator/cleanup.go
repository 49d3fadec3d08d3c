package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Defaults of the cleanup pollers (MBS's values).
const (
	DefaultStuckAfter      = 7 * 24 * time.Hour
	DefaultGarbageAfter    = 180 * 24 * time.Hour
	DefaultCleanupInterval = 10 * time.Minute
)

// CleanupResult says what one [Service.Cleanup] pass did.
type CleanupResult struct {
	// Stuck are the module builds failed because they stayed in init or
	// build too long.
	Stuck []int64
	// Garbage are the failed module builds moved to garbage.
	Garbage []int64
}

// Cleanup runs MBS's two cleanup pollers once, by the service's clock:
// cancel_stuck_module_builds fails builds that have stayed in init or
// build (their time_modified) longer than Options.StuckAfter, with the
// reason "The module was in <state> for more than <N> days", cancelling
// their running components; cleanup_stale_failed_builds moves builds that
// failed longer than Options.GarbageAfter ago to garbage. Run calls it
// every Options.CleanupInterval. Each change is traced and published like
// any other transition.
//
// A builder that implements [Janitor] cleans up after the module builds
// too: Sweep runs on every pass, Garbage for each build moved to garbage.
func (s *Service) Cleanup(ctx context.Context) (CleanupResult, error) {
	var res CleanupResult
	var errs []error
	now := s.now()
	if s.opts.StuckAfter > 0 {
		cands, err := s.listBefore(ctx, []ModuleState{StateInit, StateBuild}, now.Add(-s.opts.StuckAfter))
		if err != nil {
			return res, err
		}
		for _, mb := range cands {
			ok, err := s.failStuck(ctx, mb.ID, now)
			if err != nil {
				errs = append(errs, fmt.Errorf("fail stuck module build %d: %w", mb.ID, err))
			}
			if ok {
				res.Stuck = append(res.Stuck, mb.ID)
			}
		}
	}
	if s.opts.GarbageAfter > 0 {
		cands, err := s.listBefore(ctx, []ModuleState{StateFailed}, now.Add(-s.opts.GarbageAfter))
		if err != nil {
			return res, errors.Join(append(errs, err)...)
		}
		for _, mb := range cands {
			ok, err := s.collectGarbage(ctx, mb.ID, now)
			if err != nil {
				errs = append(errs, fmt.Errorf("move module build %d to garbage: %w", mb.ID, err))
			}
			if ok {
				res.Garbage = append(res.Garbage, mb.ID)
			}
		}
	}
	if j, ok := s.b.(Janitor); ok {
		if err := j.Sweep(ctx, s.findByKojiTag); err != nil {
			errs = append(errs, fmt.Errorf("builder cleanup: %w", err))
		}
	}
	return res, errors.Join(errs...)
}

// findByKojiTag returns the module build whose koji tag is tag.
func (s *Service) findByKojiTag(ctx context.Context, tag string) (*ModuleBuild, error) {
	var out *ModuleBuild
	err := s.store.View(ctx, func(tx Tx) error {
		l, _, err := tx.ListModuleBuilds(ctx, &ModuleBuildFilter{KojiTag: tag, Limit: 1})
		if err != nil {
			return err
		}
		if len(l) == 0 {
			return fmt.Errorf("module build with koji tag %s: %w", tag, ErrNotFound)
		}
		out = l[0]
		return nil
	})
	return out, err
}

// listBefore lists the builds in states last modified before t.
func (s *Service) listBefore(ctx context.Context, states []ModuleState, t time.Time) ([]*ModuleBuild, error) {
	var out []*ModuleBuild
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, _, err = tx.ListModuleBuilds(ctx, &ModuleBuildFilter{States: states, ModifiedBefore: t, OrderBy: []Order{{Field: "id"}}})
		return err
	})
	return out, err
}

// failStuck fails module build id if it is still stuck at now.
func (s *Service) failStuck(ctx context.Context, id int64, now time.Time) (bool, error) {
	m := s.lock(id)
	m.Lock()
	defer m.Unlock()
	failed := false
	err := s.update(ctx, func(tx Tx) error {
		failed = false
		mb, err := tx.ModuleBuild(ctx, id)
		if err != nil {
			return err
		}
		if (mb.State != StateInit && mb.State != StateBuild) || !mb.TimeModified.Before(now.Add(-s.opts.StuckAfter)) {
			return nil
		}
		reason := fmt.Sprintf("The module was in %s for more than %s", mb.State, days(s.opts.StuckAfter))
		if err := s.transition(ctx, tx, mb, StateFailed, reason); err != nil {
			return err
		}
		if err := s.logf(ctx, tx, id, 0, "%s; the cleanup poller failed it.", reason); err != nil {
			return err
		}
		failed = true
		return s.failWaiting(ctx, tx, mb)
	})
	if err != nil || !failed {
		return false, err
	}
	s.log.Info("stuck module build failed", "id", id)
	return true, s.cleanupFailed(ctx, id)
}

// collectGarbage moves failed module build id to garbage if it still
// failed before the cutoff at now.
func (s *Service) collectGarbage(ctx context.Context, id int64, now time.Time) (bool, error) {
	m := s.lock(id)
	m.Lock()
	defer m.Unlock()
	moved := false
	err := s.update(ctx, func(tx Tx) error {
		moved = false
		mb, err := tx.ModuleBuild(ctx, id)
		if err != nil {
			return err
		}
		if mb.State != StateFailed || !mb.TimeModified.Before(now.Add(-s.opts.GarbageAfter)) {
			return nil
		}
		moved = true
		return s.transition(ctx, tx, mb, StateGarbage, fmt.Sprintf("Failed more than %s ago", days(s.opts.GarbageAfter)))
	})
	if err == nil && moved {
		s.log.Info("failed module build moved to garbage", "id", id)
		if j, ok := s.b.(Janitor); ok {
			var mb *ModuleBuild
			var comps []*ComponentBuild
			err = s.store.View(ctx, func(tx Tx) error {
				var err error
				if mb, err = tx.ModuleBuild(ctx, id); err != nil {
					return err
				}
				comps, _, err = tx.ListComponentBuilds(ctx, &ComponentBuildFilter{ModuleID: id})
				return err
			})
			if err == nil {
				err = j.Garbage(ctx, mb, comps)
			}
		}
	}
	return moved && err == nil, err
}

// days formats d as "N days" when it is a whole number of days.
func days(d time.Duration) string {
	const day = 24 * time.Hour
	if d%day == 0 {
		if d == day {
			return "1 day"
		}
		return fmt.Sprintf("%d days", d/day)
	}
	return d.String()
}

// cleanupLoop runs Cleanup every CleanupInterval until ctx ends.
func (s *Service) cleanupLoop(ctx context.Context) {
	if _, ok := s.b.(Janitor); !ok && s.opts.StuckAfter <= 0 && s.opts.GarbageAfter <= 0 {
		return
	}
	t := time.NewTicker(s.opts.CleanupInterval)
	defer t.Stop()
	for {
		// One process of those sharing the store runs the pollers per
		// interval: the lease lasts until the holder's next tick.
		ok, err := s.store.Claim(ctx, leaseCleanup, s.opts.Holder, s.opts.CleanupInterval+s.opts.LeaseTTL)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("claim the cleanup pollers", "err", err)
		}
		if ok {
			if res, err := s.Cleanup(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("cleanup pollers", "err", err, "stuck", len(res.Stuck), "garbage", len(res.Garbage))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
