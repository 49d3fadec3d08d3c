package resolver

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/modkit/modkit/modulemd"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/topo"
)

// Batches returns the build order of the RPM components of s: each batch is a
// sorted list of component names (the keys of components.rpms) that can build
// in parallel once every earlier batch is done.
//
// With `buildorder`, components are grouped by ascending buildorder value
// (unset counts as 0), as MBS does. With `buildafter`, the components form a
// DAG and each one lands in the first batch after everything it names. The
// format forbids mixing the two: a stream that does is refused with
// [ErrBuildOrder], as are buildafter names that are not components. Cycles
// are reported as a [*CycleError] naming every member. A stream without
// components has no batches.
func Batches(s *modulemd.Stream) ([][]string, error) {
	if s == nil {
		return nil, nil
	}
	rpms := s.Components.RPMs
	var withAfter, withOrder []string
	for name, c := range rpms {
		if len(c.BuildAfter) > 0 {
			withAfter = append(withAfter, name)
		}
		if c.BuildOrder != 0 {
			withOrder = append(withOrder, name)
		}
	}
	if len(withAfter) == 0 {
		return batchesByOrder(rpms), nil
	}
	if len(withOrder) > 0 {
		slices.Sort(withAfter)
		slices.Sort(withOrder)
		return nil, fmt.Errorf("%w: buildafter (%s) and buildorder (%s) cannot be mixed",
			ErrBuildOrder, strings.Join(withAfter, ", "), strings.Join(withOrder, ", "))
	}
	return batchesByAfter(rpms)
}

func batchesByOrder(rpms map[string]*modulemd.RPMComponent) [][]string {
	if len(rpms) == 0 {
		return nil
	}
	names := sortedKeys(rpms)
	slices.SortStableFunc(names, func(a, b string) int { return cmp.Compare(rpms[a].BuildOrder, rpms[b].BuildOrder) })
	var out [][]string
	for i, name := range names {
		if i == 0 || rpms[name].BuildOrder != rpms[names[i-1]].BuildOrder {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], name)
	}
	return out
}

func batchesByAfter(rpms map[string]*modulemd.RPMComponent) ([][]string, error) {
	names := sortedKeys(rpms)
	id := make(map[string]int64, len(names))
	g := simple.NewDirectedGraph()
	for i, n := range names {
		id[n] = int64(i)
		g.AddNode(simple.Node(i))
	}
	var missing []string
	var selfLoops [][]string
	for _, n := range names {
		for _, dep := range rpms[n].BuildAfter {
			switch j, ok := id[dep]; {
			case !ok:
				missing = append(missing, fmt.Sprintf("%s: buildafter names unknown component %q", n, dep))
			case dep == n:
				selfLoops = append(selfLoops, []string{n})
			default:
				g.SetEdge(g.NewEdge(simple.Node(j), simple.Node(id[n])))
			}
		}
	}
	if len(missing) > 0 {
		errs := make([]error, len(missing))
		for i, m := range missing {
			errs[i] = fmt.Errorf("%w: %s", ErrBuildOrder, m)
		}
		return nil, errors.Join(errs...)
	}
	order, err := topo.SortStabilized(g, nil)
	cycles := selfLoops
	if err != nil {
		var u topo.Unorderable
		if !errors.As(err, &u) {
			return nil, err
		}
		for _, comp := range u {
			c := make([]string, len(comp))
			for i, nd := range comp {
				c[i] = names[nd.ID()]
			}
			slices.Sort(c)
			cycles = append(cycles, c)
		}
	}
	if len(cycles) > 0 {
		slices.SortFunc(cycles, func(a, b []string) int { return cmp.Compare(a[0], b[0]) })
		return nil, &CycleError{What: "buildafter", Cycles: cycles}
	}
	level := make(map[int64]int, len(order))
	maxLevel := 0
	for _, nd := range order {
		l := 0
		for from := g.To(nd.ID()); from.Next(); {
			l = max(l, level[from.Node().ID()]+1)
		}
		level[nd.ID()] = l
		maxLevel = max(maxLevel, l)
	}
	out := make([][]string, maxLevel+1)
	for _, n := range names {
		l := level[id[n]]
		out[l] = append(out[l], n)
	}
	return out, nil
}
