package resolver

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ConflictError reports that stream expansion found no satisfiable
// combination of streams for one or more dependency blocks. It lists, per
// block, every combination tried and what ruled it out.
type ConflictError struct {
	// Module is name:stream of the module being expanded.
	Module string          `json:"module"`
	Blocks []BlockConflict `json:"blocks"`
}

// BlockConflict explains one dependency block that cannot be satisfied.
type BlockConflict struct {
	// Block is the index of the dependency block.
	Block int `json:"block"`
	// BuildRequires are the block's buildrequires after stream expansion.
	BuildRequires map[string][]string `json:"buildrequires,omitempty"`
	// Missing lists buildrequires with no candidate build at all.
	Missing []string `json:"missing,omitempty"`
	// Attempts are the combinations tried, one per combination of streams.
	Attempts []Attempt `json:"attempts,omitempty"`
}

// Attempt is one combination of builds (one per buildrequired module) and
// the reasons it failed.
type Attempt struct {
	// Combination lists the NSVCs tried, base modules first.
	Combination []string `json:"combination"`
	// Conflicts are sentences such as "nodejs:12 requires platform:[f30];
	// this block buildrequires platform:f29".
	Conflicts []string `json:"conflicts"`
}

// Error implements error; it renders the whole explanation.
func (e *ConflictError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: no combination of buildrequired streams can be satisfied", e.Module)
	for _, blk := range e.Blocks {
		fmt.Fprintf(&b, "\n  dependency block %d (buildrequires %s):", blk.Block, formatLists(blk.BuildRequires))
		for _, m := range blk.Missing {
			fmt.Fprintf(&b, "\n    %s", m)
		}
		for _, a := range blk.Attempts {
			fmt.Fprintf(&b, "\n    tried %s:", strings.Join(a.Combination, ", "))
			for _, c := range a.Conflicts {
				fmt.Fprintf(&b, "\n      %s", c)
			}
		}
	}
	return b.String()
}

// Unwrap returns [ErrUnsatisfiable].
func (e *ConflictError) Unwrap() error { return ErrUnsatisfiable }

func asConflict(err error, target **ConflictError) bool {
	return err != nil && errors.As(err, target)
}

func formatLists(m map[string][]string) string {
	parts := make([]string, 0, len(m))
	for _, n := range sortedKeys(m) {
		parts = append(parts, n+":["+strings.Join(m[n], ", ")+"]")
	}
	return strings.Join(parts, " ")
}

func nameStream(c *cand) string { return c.s.Name + ":" + c.s.Stream }

// explain says why the forced combination (one candidate per buildrequired
// name) cannot be installed.
func (m *model) explain(forced []int, names []string, reqs []requirement) Attempt {
	a := Attempt{}
	inBlock := map[string]*cand{}
	for _, f := range forced {
		c := m.cands[f]
		a.Combination = append(a.Combination, c.id)
		inBlock[c.s.Name] = c
	}
	seen := map[string]bool{}
	say := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		if !seen[s] {
			seen[s] = true
			a.Conflicts = append(a.Conflicts, s)
		}
	}
	// 1. Direct: a chosen build requires a stream of another buildrequired
	// module that this combination does not hold, or one nobody provides.
	for _, f := range forced {
		c := m.cands[f]
		for b, blk := range c.blocks {
			for k, r := range blk {
				other, isBR := inBlock[r.name]
				switch {
				case isBR && !slices.Contains(c.deps[b][k], other.idx):
					say("%s requires %s; this block buildrequires %s", nameStream(c), r, nameStream(other))
				case len(c.deps[b][k]) == 0:
					say("%s requires %s; no build of it is available", nameStream(c), r)
				}
			}
		}
	}
	if len(a.Conflicts) > 0 {
		return a
	}
	// 2. A chosen build that cannot be installed at all.
	for _, f := range forced {
		if _, ok := m.solve([]int{f}, nil); !ok {
			say("%s cannot be installed: %s", nameStream(m.cands[f]), m.whyAlone(f))
		}
	}
	if len(a.Conflicts) > 0 {
		return a
	}
	// 3. Two chosen builds that need different streams of a third module.
	for i := range forced {
		for j := i + 1; j < len(forced); j++ {
			if _, ok := m.solve([]int{forced[i], forced[j]}, nil); ok {
				continue
			}
			ci, cj := m.cands[forced[i]], m.cands[forced[j]]
			found := false
			for _, z := range m.names {
				ni, needI := m.needs(forced[i], z)
				nj, needJ := m.needs(forced[j], z)
				if needI && needJ && !intersects(ni, nj) {
					say("%s needs %s:[%s]; %s needs %s:[%s]: the module has conflicting buildrequires of %s and %s",
						nameStream(ci), z, strings.Join(ni, ", "), nameStream(cj), z, strings.Join(nj, ", "), nameStream(ci), nameStream(cj))
					found = true
				}
			}
			if !found {
				say("%s and %s cannot be installed together", nameStream(ci), nameStream(cj))
			}
		}
	}
	if len(a.Conflicts) == 0 {
		say("the combination's runtime dependencies cannot all be installed together")
	}
	return a
}

// whyAlone names the requirement of candidate f that no installable build
// satisfies.
func (m *model) whyAlone(f int) string {
	c := m.cands[f]
	var parts []string
	for b, blk := range c.blocks {
		for k, r := range blk {
			ok := false
			for _, p := range c.deps[b][k] {
				if _, sat := m.solve([]int{f, p}, nil); sat {
					ok = true
					break
				}
			}
			if !ok {
				parts = append(parts, "it requires "+r.String()+", and no build of it can be installed with it")
			}
		}
	}
	if len(parts) == 0 {
		return "its runtime dependencies conflict"
	}
	return strings.Join(parts, "; ")
}

// needs reports whether every transaction with candidate f contains module
// z, and which streams of z are possible with f.
func (m *model) needs(f int, z string) ([]string, bool) {
	var all []int
	for _, c := range m.byName[z] {
		all = append(all, c.idx)
	}
	if len(all) == 0 || m.cands[f].s.Name == z {
		return nil, false
	}
	if _, ok := m.solve([]int{f}, all); ok {
		return nil, false // f can do without z
	}
	var streams []string
	for _, d := range all {
		if _, ok := m.solve([]int{f, d}, nil); ok && !slices.Contains(streams, m.cands[d].s.Stream) {
			streams = append(streams, m.cands[d].s.Stream)
		}
	}
	slices.Sort(streams)
	return streams, true
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}
