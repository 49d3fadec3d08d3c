package orchestrator

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/modkit/modkit/modulemd"
)

// applyReuse decides, per component, whether its build can be taken from a
// previous module build, following MBS's rebuild strategies, and records
// every decision as a log message on the component (MBS kept these
// decisions to itself). Reused components become COMPLETE at once.
//
// The previous build is reuse_components_from, else the newest ready build
// of the same name and stream with the same build context (MBS also
// requires an scmurl; YAML submits qualify here since their component refs
// are pinned as well). Rules:
//   - all: nothing is reused;
//   - only-changed: a component is reused unless it is new, its previous
//     build did not complete, or its commit or arches changed;
//   - changed-and-after: as only-changed, and also not when its batch
//     changed, the module's buildopts.rpms.macros changed, an earlier batch
//     differs, or any component of an earlier batch is rebuilt.
//
// module-build-macros is reused only when every other component is.
func (s *Service) applyReuse(ctx context.Context, tx Tx, mb *ModuleBuild, st *modulemd.Stream, comps []*ComponentBuild) error {
	var todo []*ComponentBuild
	for _, c := range comps {
		if c.State == nil {
			todo = append(todo, c)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if mb.RebuildStrategy == RebuildAll {
		return s.logf(ctx, tx, mb.ID, 0, "Rebuild strategy \"all\": every component is built, none is reused.")
	}
	prev, err := s.reuseSource(ctx, tx, mb)
	if err != nil {
		return err
	}
	if prev == nil {
		return s.logf(ctx, tx, mb.ID, 0, "No component is reused: no ready build of %s:%s with build context %s to reuse from.", mb.Name, mb.Stream, shortHash(mb.BuildContext))
	}
	mb.ReusedModuleID = prev.ID
	if err := tx.UpdateModuleBuild(ctx, mb); err != nil {
		return err
	}
	prevStream, err := decodeStream(prev.Modulemd)
	if err != nil {
		return err
	}
	old, _, err := tx.ListComponentBuilds(ctx, &ComponentBuildFilter{ModuleID: prev.ID})
	if err != nil {
		return err
	}
	oldBy := map[string]*ComponentBuild{}
	for _, c := range old {
		oldBy[c.Package] = c
	}
	changedAfter := mb.RebuildStrategy == RebuildChangedAndAfter
	macrosChanged := macrosOf(st) != macrosOf(prevStream)
	batchDiffers := earlierBatchDiffers(comps, old, st, prevStream)

	sorted := slices.Clone(comps)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Batch != sorted[j].Batch {
			return sorted[i].Batch < sorted[j].Batch
		}
		return sorted[i].Package < sorted[j].Package
	})
	reuse := map[int64]*ComponentBuild{}
	reasons := map[int64]string{}
	rebuiltBefore := map[int]bool{} // batch -> some component in it is rebuilt
	for _, c := range sorted {
		if c.Package == MacrosPackage {
			continue
		}
		o := oldBy[c.Package]
		why := ""
		switch {
		case o == nil:
			why = fmt.Sprintf("it is not part of module build %d", prev.ID)
		case o.State == nil || *o.State != ComponentComplete:
			why = fmt.Sprintf("it did not build successfully in module build %d", prev.ID)
		case o.Ref != c.Ref:
			why = fmt.Sprintf("its commit changed from %s to %s", shortHash(o.Ref), shortHash(c.Ref))
		case !slices.Equal(archesOf(st, c.Package), archesOf(prevStream, c.Package)):
			why = "its arches changed"
		case changedAfter && o.Batch != c.Batch:
			why = fmt.Sprintf("its batch changed from %d to %d", o.Batch, c.Batch)
		case changedAfter && macrosChanged:
			why = "buildopts.rpms.macros changed"
		case changedAfter && batchDiffers[c.Batch] != "":
			why = batchDiffers[c.Batch]
		case changedAfter && anyBefore(rebuiltBefore, c.Batch):
			why = "a component of an earlier batch is rebuilt (rebuild strategy changed-and-after)"
		}
		if why != "" {
			reasons[c.ID] = why
			rebuiltBefore[c.Batch] = true
			continue
		}
		reuse[c.ID] = o
	}
	if m := findPackage(comps, MacrosPackage); m != nil && m.State == nil {
		if o := oldBy[MacrosPackage]; len(reasons) == 0 && o != nil && o.State != nil && *o.State == ComponentComplete {
			reuse[m.ID] = o
		} else {
			reasons[m.ID] = "components are rebuilt, so the macros package is rebuilt too"
		}
	}
	for _, c := range sorted {
		if c.State != nil {
			continue
		}
		if o := reuse[c.ID]; o != nil {
			c.ReusedComponentID, c.TaskID, c.NVR = o.ID, o.TaskID, o.NVR
			c.RPMs, c.Licenses = o.RPMs, o.Licenses
			reason := fmt.Sprintf("Reused component from previous module build %d (%s)", prev.ID, o.NVR)
			if err := s.setComponent(ctx, tx, c, componentState(ComponentComplete), "Reused component from previous module build"); err != nil {
				return err
			}
			if err := s.logf(ctx, tx, mb.ID, c.ID, "%s: reused: %s.", c.Package, reason); err != nil {
				return err
			}
			continue
		}
		if err := s.logf(ctx, tx, mb.ID, c.ID, "%s: not reused from module build %d: %s.", c.Package, prev.ID, reasons[c.ID]); err != nil {
			return err
		}
	}
	return nil
}

// reuseSource finds the module build to reuse components from.
func (s *Service) reuseSource(ctx context.Context, tx Tx, mb *ModuleBuild) (*ModuleBuild, error) {
	if mb.ReusedModuleID != 0 {
		return tx.ModuleBuild(ctx, mb.ReusedModuleID)
	}
	l, _, err := tx.ListModuleBuilds(ctx, &ModuleBuildFilter{
		Name: mb.Name, Stream: mb.Stream, BuildContext: mb.BuildContext,
		States: []ModuleState{StateReady}, Scratch: new(bool),
		OrderBy: []Order{{Field: "time_completed", Desc: true}},
	})
	if err != nil {
		return nil, err
	}
	for _, p := range l {
		if p.ID == mb.ID {
			continue
		}
		if mb.RebuildStrategy == RebuildChangedAndAfter && p.RebuildStrategy != RebuildAll && p.RebuildStrategy != RebuildChangedAndAfter {
			continue
		}
		return p, nil
	}
	return nil, nil
}

// earlierBatchDiffers returns, per batch, why some earlier batch (from 2
// on) differs between the two builds as a set of (name, ref, arches), or ""
// when all earlier batches are the same.
func earlierBatchDiffers(cur, old []*ComponentBuild, st, prev *modulemd.Stream) map[int]string {
	sig := func(comps []*ComponentBuild, s *modulemd.Stream) map[int][]string {
		out := map[int][]string{}
		for _, c := range comps {
			if c.Batch < 2 {
				continue
			}
			out[c.Batch] = append(out[c.Batch], c.Package+"@"+c.Ref+"@"+strings.Join(archesOf(s, c.Package), ","))
		}
		for _, v := range out {
			slices.Sort(v)
		}
		return out
	}
	a, b := sig(cur, st), sig(old, prev)
	maxBatch := 0
	for k := range a {
		maxBatch = max(maxBatch, k)
	}
	res := map[int]string{}
	reason := ""
	for batch := 2; batch <= maxBatch; batch++ {
		res[batch] = reason
		if reason == "" && !slices.Equal(a[batch], b[batch]) {
			reason = fmt.Sprintf("batch %d differs from the previous build", batch)
		}
	}
	return res
}

func anyBefore(m map[int]bool, batch int) bool {
	for b, v := range m {
		if v && b < batch {
			return true
		}
	}
	return false
}

func findPackage(comps []*ComponentBuild, name string) *ComponentBuild {
	for _, c := range comps {
		if c.Package == name {
			return c
		}
	}
	return nil
}

func macrosOf(s *modulemd.Stream) string {
	if s.BuildOpts == nil || s.BuildOpts.RPMs == nil {
		return ""
	}
	return s.BuildOpts.RPMs.Macros
}

func archesOf(s *modulemd.Stream, pkg string) []string {
	if c := s.Components.RPMs[pkg]; c != nil {
		a := slices.Clone(c.Arches)
		slices.Sort(a)
		return a
	}
	return nil
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
