package orchestrator

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/resolver"
)

// handleInit runs stream expansion for a build in init: the build becomes
// the first expanded context, further contexts become new builds, and each
// gets its components recorded and moves to wait.
func (s *Service) handleInit(ctx context.Context, mb *ModuleBuild) (stepResult, error) {
	st, err := decodeStream(mb.Modulemd)
	if err != nil {
		return stepDone, s.fail(ctx, mb, "An unknown error occurred while validating the modulemd: "+err.Error())
	}
	exps, err := resolver.Expand(ctx, s.src, st, s.opts.Expand)
	if ctx.Err() != nil {
		return stepWait, ctx.Err()
	}
	if err != nil {
		return stepDone, s.fail(ctx, mb, expansionReason(err))
	}
	if len(exps) == 0 {
		return stepDone, s.fail(ctx, mb, "No dependency combination was satisfied. Please verify the buildrequires in your modulemd have previously been built.")
	}
	plans := make([][][]string, len(exps))
	for i, e := range exps {
		if err := recordFilteredRPMs(e); err != nil {
			return stepDone, s.fail(ctx, mb, "Cannot record the filtered RPMs of the buildrequires: "+err.Error())
		}
		plans[i], err = resolver.Batches(e.Stream)
		if err != nil {
			return stepDone, s.fail(ctx, mb, "Cannot order the components: "+err.Error())
		}
	}
	var failReason string
	err = s.update(ctx, func(tx Tx) error {
		failReason = ""
		cur, err := tx.ModuleBuild(ctx, mb.ID)
		if err != nil {
			return err
		}
		if cur.State != StateInit {
			return nil
		}
		var rows []*ModuleBuild
		var rowExp []*resolver.Expansion
		var rowPlan [][][]string
		for i, e := range exps {
			version := strconv.FormatUint(e.Stream.Version, 10)
			context := e.Context
			if cur.Scratch {
				n, err := s.scratchSuffix(ctx, tx, cur, version, context)
				if err != nil {
					return err
				}
				context += "_" + strconv.Itoa(n)
			}
			dup, _, err := tx.ListModuleBuilds(ctx, &ModuleBuildFilter{Name: cur.Name, Stream: cur.Stream, Version: version, Context: context})
			if err != nil {
				return err
			}
			if len(dup) > 0 && dup[0].ID != cur.ID {
				msg := fmt.Sprintf("Module build %s:%s:%s:%s already exists (id %d, state %s)", cur.Name, cur.Stream, version, context, dup[0].ID, dup[0].State)
				if i == 0 {
					failReason = msg + "."
					return nil
				}
				if err := s.logf(ctx, tx, cur.ID, 0, "%s; this expanded context is skipped.", msg); err != nil {
					return err
				}
				continue
			}
			var row *ModuleBuild
			if i == 0 {
				row = cur
			} else {
				cp := *cur
				cp.ID, cp.StateReason, cp.Batch = 0, "", 0
				row = &cp
			}
			row.Version, row.Context = version, context
			row.BuildContext, row.BuildContextNoBMS, row.RuntimeContext = e.BuildContext, e.BuildContextNoBMS, e.RuntimeContext
			row.KojiTag = KojiTag(row.Name, row.Stream, row.Version, row.Context)
			e.Stream.Context = context
			if row.Modulemd, err = encodeStream(e.Stream); err != nil {
				return err
			}
			if i == 0 {
				if err := tx.UpdateModuleBuild(ctx, row); err != nil {
					return err
				}
			} else {
				row.TimeSubmitted, row.TimeModified = s.now(), s.now()
				if err := tx.CreateModuleBuild(ctx, row); err != nil {
					return err
				}
				if err := tx.AddModuleTrace(ctx, row.ID, StateTrace{Time: s.now(), State: StateInit}); err != nil {
					return err
				}
			}
			rows, rowExp, rowPlan = append(rows, row), append(rowExp, e), append(rowPlan, plans[i])
		}
		// The dist tag index is shared by all contexts of the submission
		// (MBS's MSE siblings): the lowest id.
		index := rows[0].ID
		sibs, _, err := tx.ListModuleBuilds(ctx, &ModuleBuildFilter{
			Name: cur.Name, Stream: cur.Stream, SourceVersion: cur.SourceVersion, Scratch: &cur.Scratch,
		})
		if err != nil {
			return err
		}
		for _, r := range append(sibs, rows...) {
			index = min(index, r.ID)
		}
		for i, row := range rows {
			row.DistTag = DistTag(s.opts.DistTagPrefix, s.marking(rowExp[i]), index, row.Name, row.Stream, row.Version, row.Context)
			if err := s.recordComponents(ctx, tx, row, rowExp[i].Stream, rowPlan[i]); err != nil {
				return err
			}
			if err := s.logf(ctx, tx, row.ID, 0, "Stream expansion chose %s; context %s.", describeBuildRequires(rowExp[i]), row.Context); err != nil {
				return err
			}
			if d := rowExp[i].DefaultModules; len(d) > 0 {
				if err := s.logf(ctx, tx, row.ID, 0, "Default modules added as buildrequires: %s.", strings.Join(d, ", ")); err != nil {
					return err
				}
			}
			if err := s.transition(ctx, tx, row, StateWait, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return stepWait, err
	}
	if failReason != "" {
		return stepDone, s.fail(ctx, mb, failReason)
	}
	return stepAgain, nil
}

// expansionReason turns a resolver error into the build's failure reason.
func expansionReason(err error) string {
	var nf *resolver.NotFoundError
	if errors.As(err, &nf) {
		return "Stream expansion failed: " + err.Error()
	}
	var ce *resolver.ConflictError
	if errors.As(err, &ce) {
		return "No dependency combination was satisfied: " + err.Error()
	}
	var ue *resolver.UnusableError
	if errors.As(err, &ue) || errors.Is(err, resolver.ErrDefaultModules) {
		return err.Error()
	}
	return "Stream expansion failed: " + err.Error()
}

// describeBuildRequires lists the chosen buildrequires as name:stream:version.
func describeBuildRequires(e *resolver.Expansion) string {
	if len(e.BuildRequires) == 0 {
		return "no buildrequires"
	}
	var parts []string
	for _, b := range e.BuildRequires {
		parts = append(parts, b.NSVC())
	}
	return strings.Join(parts, ", ")
}

// marking is the dist tag marking: the base module's
// xmd.mbs.disttag_marking, else its stream.
func (s *Service) marking(e *resolver.Expansion) string {
	for _, base := range s.opts.BaseModules {
		for _, b := range e.BuildRequires {
			if b.Name != base {
				continue
			}
			if m, ok := xmdGet(b.XMD, "mbs", "disttag_marking").(string); ok && m != "" {
				return m
			}
			return b.Stream
		}
	}
	return e.Stream.Stream
}

// scratchSuffix is 1 + the number of scratch builds of the same NSV whose
// context starts with context.
func (s *Service) scratchSuffix(ctx context.Context, tx Tx, mb *ModuleBuild, version, context string) (int, error) {
	l, _, err := tx.ListModuleBuilds(ctx, &ModuleBuildFilter{Name: mb.Name, Stream: mb.Stream, Version: version, Scratch: &mb.Scratch})
	if err != nil {
		return 0, err
	}
	n := 1
	for _, o := range l {
		if o.ID != mb.ID && strings.HasPrefix(o.Context, context) {
			n++
		}
	}
	return n, nil
}

// recordComponents creates the component builds of row: module-build-macros
// alone in batch 1, then the RPM components from batch 2 in build order. A
// resumed build keeps its components.
func (s *Service) recordComponents(ctx context.Context, tx Tx, row *ModuleBuild, st *modulemd.Stream, plan [][]string) error {
	have, _, err := tx.ListComponentBuilds(ctx, &ComponentBuildFilter{ModuleID: row.ID})
	if err != nil {
		return err
	}
	byName := map[string]*ComponentBuild{}
	for _, c := range have {
		byName[c.Package] = c
	}
	if len(st.Components.RPMs) == 0 {
		return nil
	}
	want := []*ComponentBuild{{
		ModuleID: row.ID, Package: MacrosPackage, Format: "rpms", Batch: 1, BuildTimeOnly: true, Weight: 1,
	}}
	for i, batch := range plan {
		for _, name := range batch {
			c := st.Components.RPMs[name]
			commit, _ := xmdGet(st.XMD, "mbs", "rpms", name, "ref").(string)
			if commit == "" {
				return fmt.Errorf("component %s has no pinned ref in xmd.mbs.rpms", name)
			}
			want = append(want, &ComponentBuild{
				ModuleID: row.ID, Package: name, Format: "rpms", Batch: i + 2,
				SCMURL: s.componentRepo(name, c) + "?#" + commit, Ref: commit,
				Buildonly: c.Buildonly, Weight: 1,
			})
		}
	}
	for _, w := range want {
		if old := byName[w.Package]; old != nil {
			if old.Batch != w.Batch || old.SCMURL != w.SCMURL || old.Ref != w.Ref {
				return fmt.Errorf("component %s of the resumed module build %d differs from its previous record (batch, scmurl or ref)", w.Package, row.ID)
			}
			continue
		}
		if err := tx.CreateComponentBuild(ctx, w); err != nil {
			return err
		}
		if err := tx.AddComponentTrace(ctx, w.ID, ComponentTrace{Time: s.now()}); err != nil {
			return err
		}
	}
	return nil
}

// handleWait prepares the buildroot, decides component reuse, and starts
// batch 1 (or jumps to the end when everything is reused).
func (s *Service) handleWait(ctx context.Context, mb *ModuleBuild) (stepResult, error) {
	st, err := decodeStream(mb.Modulemd)
	if err != nil {
		return stepDone, s.fail(ctx, mb, "An unknown error occurred while reading the modulemd: "+err.Error())
	}
	if err := s.b.Prepare(ctx, mb, st); err != nil {
		if ctx.Err() != nil {
			return stepWait, ctx.Err()
		}
		return stepDone, s.fail(ctx, mb, "Failed to prepare the buildroot: "+err.Error())
	}
	err = s.update(ctx, func(tx Tx) error {
		cur, err := tx.ModuleBuild(ctx, mb.ID)
		if err != nil || cur.State != StateWait {
			return err
		}
		comps, _, err := tx.ListComponentBuilds(ctx, &ComponentBuildFilter{ModuleID: cur.ID})
		if err != nil {
			return err
		}
		if err := s.applyReuse(ctx, tx, cur, st, comps); err != nil {
			return err
		}
		cur.Batch = 0
		for _, c := range comps {
			if c.State == nil || *c.State != ComponentComplete {
				if cur.Batch == 0 || c.Batch < cur.Batch {
					cur.Batch = c.Batch
				}
			}
		}
		if cur.Batch == 0 {
			for _, c := range comps {
				cur.Batch = max(cur.Batch, c.Batch)
			}
		}
		return s.transition(ctx, tx, cur, StateBuild, "")
	})
	if err != nil {
		return stepWait, err
	}
	return stepAgain, nil
}

// handleBuild drives the current batch: polls running components, submits
// waiting ones within the concurrency limit, and when the batch is over
// fails the module, or makes the batch available and moves on, or
// finalizes.
// comps are mb's components, read with it.
func (s *Service) handleBuild(ctx context.Context, mb *ModuleBuild, comps []*ComponentBuild) (stepResult, error) {
	var cur []*ComponentBuild
	for _, c := range comps {
		if c.Batch == mb.Batch {
			cur = append(cur, c)
		}
	}
	if len(cur) == 0 {
		return s.nextBatch(ctx, mb, comps)
	}

	// Poll running components.
	var changed []*ComponentBuild
	var running []*ComponentBuild
	for _, c := range cur {
		if c.State != nil && *c.State == ComponentBuilding && c.ReusedComponentID == 0 {
			running = append(running, c)
		}
	}
	var results []ComponentResult
	var errs []error
	if bp, ok := s.b.(BatchPoller); ok && len(running) > 0 {
		results, errs = bp.PollBatch(ctx, mb, running)
	}
	for i, c := range running {
		var res ComponentResult
		var err error
		if results != nil {
			res, err = results[i], errs[i]
		} else {
			res, err = s.b.Poll(ctx, mb, c)
		}
		if err != nil {
			if ctx.Err() != nil {
				return stepWait, ctx.Err()
			}
			s.log.Warn("poll component build", "module", mb.ID, "package", c.Package, "task", c.TaskID, "err", err)
			continue
		}
		if res.State == ComponentBuilding {
			continue
		}
		c.State = componentState(res.State)
		c.NVR, c.RPMs, c.Licenses = res.NVR, res.RPMs, res.Licenses
		c.StateReason = res.Reason
		changed = append(changed, c)
	}
	nRunning := 0
	for _, c := range cur {
		if c.State != nil && *c.State == ComponentBuilding && c.ReusedComponentID == 0 {
			nRunning++
		}
	}

	// Submit waiting components, heaviest first, within the global limit.
	waiting := slices.DeleteFunc(slices.Clone(cur), func(c *ComponentBuild) bool { return c.State != nil })
	slices.SortStableFunc(waiting, func(a, b *ComponentBuild) int {
		if c := cmp.Compare(b.Weight, a.Weight); c != 0 {
			return c
		}
		return cmp.Compare(a.Package, b.Package)
	})
	s.setHeld(mb.ID, nRunning)
	var cands []*ComponentBuild
	for _, c := range waiting {
		if !s.acquireSlot(mb.ID) {
			break
		}
		cands = append(cands, c)
	}
	slotted := false
	if len(cands) > 0 && s.opts.GlobalConcurrency > 0 {
		granted, ok, err := s.reserveSlots(ctx, cands)
		if err != nil {
			s.addHeld(mb.ID, -len(cands))
			return stepWait, err
		}
		if ok {
			slotted = true
			s.addHeld(mb.ID, -(len(cands) - len(granted)))
			cands = granted
		}
	}
	var submitted []*ComponentBuild
	for i, c := range cands {
		task, err := s.b.Submit(ctx, mb, c)
		if err != nil {
			s.addHeld(mb.ID, -1)
			if ctx.Err() != nil {
				s.addHeld(mb.ID, -(len(cands) - i - 1))
				break
			}
			c.State = componentState(ComponentFailed)
			c.StateReason = "Failed to submit the build: " + err.Error()
		} else {
			c.State = componentState(ComponentBuilding)
			c.TaskID = task
			c.StateReason = ""
			submitted = append(submitted, c)
		}
		changed = append(changed, c)
	}
	if len(changed) > 0 {
		err := s.update(ctx, func(tx Tx) error {
			// The module build may have been canceled (by another
			// process) since it was read.
			now, err := tx.ModuleBuild(ctx, mb.ID)
			if err != nil {
				return err
			}
			if now.State != StateBuild || now.Batch != mb.Batch {
				return errStale
			}
			if slotted {
				st, _ := tx.(SlotTx)
				var ids []int64
				for _, c := range changed {
					ids = append(ids, c.ID)
				}
				if err := st.ReleaseBuildSlots(ctx, ids); err != nil {
					return err
				}
			}
			for _, c := range changed {
				if err := s.setComponent(ctx, tx, c, c.State, c.StateReason); err != nil {
					return err
				}
				if c.State != nil && *c.State == ComponentFailed && c.StateReason != "" {
					if err := s.logf(ctx, tx, mb.ID, c.ID, "%s failed: %s", c.Package, c.StateReason); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if errors.Is(err, errStale) {
			// Nobody will poll what was just submitted: cancel it.
			for _, c := range submitted {
				if err := s.b.Cancel(ctx, mb, c); err != nil {
					s.log.Warn("cancel component of a canceled module build", "module", mb.ID, "package", c.Package, "err", err)
				}
				s.addHeld(mb.ID, -1)
			}
			return stepAgain, nil
		}
		if err != nil {
			return stepWait, err
		}
		if ctx.Err() != nil {
			return stepWait, ctx.Err()
		}
		if pf, ok := s.b.(Prefetcher); ok && len(submitted) > 0 {
			var later []*ComponentBuild
			for _, c := range comps {
				if c.Batch > mb.Batch && c.State == nil && c.ReusedComponentID == 0 {
					later = append(later, c)
				}
			}
			if len(later) > 0 {
				pf.Prefetch(mb, later)
			}
		}
		return stepAgain, nil
	}
	for _, c := range cur {
		if c.Unbuilt() {
			return stepWait, nil
		}
	}

	// The batch is over.
	var failed []string
	var built []*ComponentBuild
	for _, c := range cur {
		switch *c.State {
		case ComponentComplete:
			built = append(built, c)
		default:
			failed = append(failed, c.Package)
		}
	}
	if len(failed) > 0 {
		slices.Sort(failed)
		return stepDone, s.fail(ctx, mb, fmt.Sprintf("Component(s) %s failed to build.", strings.Join(failed, ", ")))
	}
	// No later batch can use the last batch's output: Finalize takes it
	// (MBS skips the repository regeneration there too).
	last := !slices.ContainsFunc(comps, func(c *ComponentBuild) bool { return c.Batch > mb.Batch })
	if !last {
		if err := s.b.FinishBatch(ctx, mb, mb.Batch, built); err != nil {
			if ctx.Err() != nil {
				return stepWait, ctx.Err()
			}
			return stepDone, s.fail(ctx, mb, fmt.Sprintf("Failed to make batch %d available: %v", mb.Batch, err))
		}
	}
	return s.nextBatch(ctx, mb, comps)
}

// errStale aborts a transaction whose module build changed since the step
// read it.
var errStale = errors.New("module build changed meanwhile")

// nextBatch moves to the next batch that has components, or finalizes.
func (s *Service) nextBatch(ctx context.Context, mb *ModuleBuild, comps []*ComponentBuild) (stepResult, error) {
	next := 0
	for _, c := range comps {
		if c.Batch > mb.Batch && (next == 0 || c.Batch < next) {
			next = c.Batch
		}
	}
	if next == 0 {
		return s.finalize(ctx, mb, comps)
	}
	err := s.update(ctx, func(tx Tx) error {
		cur, err := tx.ModuleBuild(ctx, mb.ID)
		if err != nil || cur.State != StateBuild || cur.Batch != mb.Batch {
			return err
		}
		cur.Batch = next
		cur.TimeModified = s.now()
		return tx.UpdateModuleBuild(ctx, cur)
	})
	if err != nil {
		return stepWait, err
	}
	return stepAgain, nil
}

// finalize fills the final modulemd (artifacts, content licences), lets the
// builder publish it, and moves the build to done and, unless scratch, to
// ready.
func (s *Service) finalize(ctx context.Context, mb *ModuleBuild, comps []*ComponentBuild) (stepResult, error) {
	st, err := decodeStream(mb.Modulemd)
	if err != nil {
		return stepDone, s.fail(ctx, mb, "An unknown error occurred while reading the modulemd: "+err.Error())
	}
	var built []*ComponentBuild
	for _, c := range comps {
		if !c.BuildTimeOnly && c.State != nil && *c.State == ComponentComplete {
			built = append(built, c)
		}
	}
	filtered := fillArtifacts(st, built)
	final := st.Clone()
	// Kept in the stored build (not in the published modulemd) for the
	// modules that will buildrequire this one.
	// Modules built on this one inherit its koji tag (MBS stores it in
	// xmd.mbs.koji_tag too).
	if mb.KojiTag != "" && st.XMD.Get("mbs", "koji_tag") == nil {
		if err := editXMD(st, func(root map[string]any) { subMap(root, "mbs")["koji_tag"] = mb.KojiTag }); err != nil {
			return stepDone, s.fail(ctx, mb, "Cannot record the koji tag: "+err.Error())
		}
	}
	if len(filtered) > 0 {
		l := make([]any, len(filtered))
		for i, f := range filtered {
			l[i] = f
		}
		if err := editXMD(st, func(root map[string]any) { subMap(root, "mbs")["filtered_rpms"] = l }); err != nil {
			return stepDone, s.fail(ctx, mb, "Cannot record the filtered RPMs: "+err.Error())
		}
	}
	if x, ok := final.XMD.Value().(map[string]any); ok {
		delete(x, "mbs")
		final.XMD = modulemd.XMD{}
		if len(x) > 0 {
			// What remains of a valid value is valid.
			final.XMD = modulemd.MustXMD(x)
		}
	}
	pub, err := s.b.Finalize(ctx, mb, final, built)
	if err != nil {
		if ctx.Err() != nil {
			return stepWait, ctx.Err()
		}
		return stepDone, s.fail(ctx, mb, "Failed to publish the module: "+err.Error())
	}
	y, err := encodeStream(st)
	if err != nil {
		return stepDone, s.fail(ctx, mb, "An unknown error occurred while writing the final modulemd: "+err.Error())
	}
	err = s.update(ctx, func(tx Tx) error {
		cur, err := tx.ModuleBuild(ctx, mb.ID)
		if err != nil || cur.State != StateBuild {
			return err
		}
		cur.Publication = pub
		cur.Modulemd = y
		if err := s.transition(ctx, tx, cur, StateDone, ""); err != nil {
			return err
		}
		if !cur.Scratch {
			return s.transition(ctx, tx, cur, StateReady, "")
		}
		return nil
	})
	if err != nil {
		return stepWait, err
	}
	s.log.Info("module build finished", "id", mb.ID, "nsvc", mb.NSVC(), "repository", pub.Repository)
	return stepDone, nil
}

// fillArtifacts sets artifacts.rpms (without filtered RPMs and the output of
// buildonly components) and license.content from the component results. It
// returns the filtered binary RPMs as N-E:V-R, sorted: what the
// module-build-macros of modules built on this one must conflict with.
func fillArtifacts(st *modulemd.Stream, built []*ComponentBuild) (filtered []string) {
	var rpms, lic []string
	for _, c := range built {
		lic = append(lic, c.Licenses...)
		for _, r := range c.RPMs {
			if c.Buildonly {
				continue
			}
			if n, err := modulemd.ParseNEVRA(r); err == nil && slices.Contains(st.Filter, n.Name) && n.Arch != "src" {
				filtered = append(filtered, fmt.Sprintf("%s-%d:%s-%s", n.Name, n.Epoch, n.Version, n.Release))
				continue
			}
			rpms = append(rpms, r)
		}
	}
	slices.Sort(rpms)
	slices.Sort(lic)
	slices.Sort(filtered)
	st.Artifacts.RPMs = slices.Compact(rpms)
	st.License.Content = slices.Compact(lic)
	return slices.Compact(filtered)
}

// recordFilteredRPMs copies each buildrequired module's filtered RPMs
// (xmd.mbs.filtered_rpms of its stored build) into
// xmd.mbs.buildrequires.<name>.filtered_rpms of the expanded module, as
// MBS's record_filtered_rpms does; [MacrosConflicts] reads them.
func recordFilteredRPMs(e *resolver.Expansion) error {
	for _, b := range e.BuildRequires {
		l, ok := xmdGet(b.XMD, "mbs", "filtered_rpms").([]any)
		if !ok {
			continue
		}
		var nevrs []any
		for _, v := range l {
			if s, ok := v.(string); ok && s != "" {
				nevrs = append(nevrs, s)
			}
		}
		err := editXMD(e.Stream, func(root map[string]any) {
			subMap(root, "mbs", "buildrequires", b.Name)["filtered_rpms"] = nevrs
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// reserveSlots takes slots of the global limit in the store for cands
// (in order) and returns those that got one; ok is false when the store
// keeps no slots (one process owns it: Concurrency is the limit).
// Unlike update it wakes nobody: it changes no module build.
func (s *Service) reserveSlots(ctx context.Context, cands []*ComponentBuild) (granted []*ComponentBuild, ok bool, err error) {
	err = s.store.Update(ctx, func(tx Tx) error {
		st, isSlot := tx.(SlotTx)
		if !isSlot {
			return nil
		}
		ok = true
		if name, leased := ctx.Value(leaseKey{}).(string); leased {
			held, err := tx.HoldsLease(ctx, name, s.opts.Holder)
			if err != nil {
				return err
			}
			if !held {
				return fmt.Errorf("%w: %s", ErrLeaseLost, name)
			}
		}
		ids := make([]int64, len(cands))
		for i, c := range cands {
			ids[i] = c.ID
		}
		got, err := st.ReserveBuildSlots(ctx, ids, s.opts.GlobalConcurrency)
		if err != nil {
			return err
		}
		granted = granted[:0]
		for _, c := range cands {
			if slices.Contains(got, c.ID) {
				granted = append(granted, c)
			}
		}
		return nil
	})
	if err != nil || !ok {
		return cands, ok, err
	}
	return granted, true, nil
}

// acquireSlot takes one of the concurrent-build slots for a component of
// module build id.
func (s *Service) acquireSlot(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.building >= s.opts.Concurrency {
		s.slotWanted = true
		return false
	}
	s.building++
	s.held[id]++
	return true
}

// setHeld records that n components of module build id are building: the
// slots it holds, counted again at every step (a taken-over build brings
// its running components along).
func (s *Service) setHeld(id int64, n int) {
	s.mu.Lock()
	old := s.held[id]
	s.mu.Unlock()
	s.addHeld(id, n-old)
}

func (s *Service) addHeld(id int64, delta int) {
	if delta == 0 {
		return
	}
	s.mu.Lock()
	n := max(0, s.held[id]+delta)
	s.building += n - s.held[id]
	if n == 0 {
		delete(s.held, id)
	} else {
		s.held[id] = n
	}
	// Freed slots wake the workers only when one waits for a slot.
	wake := delta < 0 && s.slotWanted
	if wake {
		s.slotWanted = false
	}
	s.mu.Unlock()
	if wake {
		s.progress()
	}
}

// Cancel fails an unfinished module build on a user's request ("Canceled
// by <user>.") and cancels its running component builds. Only builds in
// init, wait or build can be canceled (ErrInvalid otherwise).
func (s *Service) Cancel(ctx context.Context, id int64, user string) (*ModuleBuild, error) {
	m := s.lock(id)
	m.Lock()
	defer m.Unlock()
	var mb *ModuleBuild
	err := s.update(ctx, func(tx Tx) error {
		var err error
		mb, err = tx.ModuleBuild(ctx, id)
		if err != nil {
			return err
		}
		if !mb.State.Active() {
			return reqErr(ErrInvalid, "To cancel a module build, it must be in one of the following states: build, init, wait")
		}
		if err := s.transition(ctx, tx, mb, StateFailed, "Canceled by "+user+"."); err != nil {
			return err
		}
		return s.failWaiting(ctx, tx, mb)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("module build canceled", "id", id, "by", user)
	s.progress() // its worker, if it waits, stops now
	if err := s.cleanupFailed(ctx, id); err != nil {
		return mb, err
	}
	return s.Get(ctx, id)
}

// cleanupFailed cancels the running components of a failed build and marks
// every unbuilt component failed with the module's reason.
func (s *Service) cleanupFailed(ctx context.Context, id int64) error {
	var mb *ModuleBuild
	var comps []*ComponentBuild
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if mb, err = tx.ModuleBuild(ctx, id); err != nil {
			return err
		}
		comps, _, err = tx.ListComponentBuilds(ctx, &ComponentBuildFilter{ModuleID: id, States: []ComponentState{ComponentBuilding}, Waiting: true})
		return err
	})
	if err != nil || len(comps) == 0 {
		return err
	}
	var errs []error
	var running []*ComponentBuild
	for _, c := range comps {
		if c.State != nil && c.ReusedComponentID == 0 {
			running = append(running, c)
		}
	}
	if bc, ok := s.b.(BatchCanceler); ok && len(running) > 0 {
		if err := bc.CancelBatch(ctx, mb, running); err != nil {
			errs = append(errs, err)
		}
	} else {
		for _, c := range running {
			if err := s.b.Cancel(ctx, mb, c); err != nil {
				errs = append(errs, fmt.Errorf("cancel %s: %w", c.Package, err))
			}
		}
	}
	s.setHeld(id, 0)
	err = s.update(ctx, func(tx Tx) error {
		// Locks the module build: its events stay in order.
		if _, err := tx.ModuleBuild(ctx, id); err != nil {
			return err
		}
		for _, c := range comps {
			if err := s.setComponent(ctx, tx, c, componentState(ComponentFailed), mb.StateReason); err != nil {
				return err
			}
		}
		return nil
	})
	return errors.Join(append(errs, err)...)
}
