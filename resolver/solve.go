package resolver

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/crillab/gophersat/solver"
	"github.com/modkit/modkit/modulemd"
)

// The dependency model follows MBS's libsolv pool: every candidate build is a
// solvable that provides module(name:stream) = version (a base module:
// its stream version, plus one provide per virtual stream), conflicts with
// every other build of its module, and requires, per dependency block (OR),
// every required module (AND) in one of the listed streams (OR). A base
// module requirement of a build carries ">= stream version of the base it
// was built against" when that version has five digits or more; the input
// module's own requirement carries "=". The search runs on gophersat: each
// combination of one candidate per buildrequired module is tried with those
// candidates forced, and the rest of the transaction is chosen by
// minimising first the number of extra builds, then their age.

// cand is one candidate build.
type cand struct {
	s        *modulemd.Stream
	id       string // NSVC
	idx      int
	rank     int // position in its name:stream list, newest first
	provides []provide
	// blocks is the runtime requirement: OR over blocks, AND over names.
	blocks [][]requirement
	// deps[b][k] are the providers of blocks[b][k].
	deps [][][]int
}

type provide struct {
	stream string
	value  uint64
}

// requirement is "module name in one of alts" (or any stream except neg).
type requirement struct {
	name string
	list []string // as written (for messages)
	alts []alt
	neg  []string
}

type alt struct {
	stream string
	op     string // "", "=", ">="
	value  uint64
}

func (r requirement) String() string { return r.name + ":[" + strings.Join(r.list, ", ") + "]" }

func (r requirement) matches(c *cand) bool {
	if c.s.Name != r.name {
		return false
	}
	if len(r.alts) == 0 {
		return !slices.Contains(r.neg, c.s.Stream)
	}
	for _, a := range r.alts {
		for _, p := range c.provides {
			if p.stream != a.stream {
				continue
			}
			switch a.op {
			case "":
				return true
			case "=":
				if p.value == a.value {
					return true
				}
			case ">=":
				if p.value >= a.value {
					return true
				}
			}
		}
	}
	return false
}

type model struct {
	x      *expander
	cands  []*cand
	byName map[string][]*cand
	names  []string
}

func newModel(x *expander) *model {
	m := &model{x: x, byName: map[string][]*cand{}}
	add := func(s *modulemd.Stream) {
		c := &cand{s: s, id: nsvcOf(s), idx: len(m.cands)}
		if x.base[s.Name] {
			v, ok := StreamVersion(s.Stream, true)
			if !ok {
				v = s.Version
			}
			c.provides = append(c.provides, provide{s.Stream, v})
			for _, vs := range virtualStreams(s) {
				c.provides = append(c.provides, provide{vs, v})
			}
		} else {
			c.provides = []provide{{s.Stream, s.Version}}
		}
		m.cands = append(m.cands, c)
		m.byName[s.Name] = append(m.byName[s.Name], c)
	}
	for _, b := range x.bases {
		add(b)
	}
	for _, name := range sortedKeys(x.pool) {
		for _, s := range x.pool[name] {
			add(s)
		}
	}
	for name, cs := range m.byName {
		m.names = append(m.names, name)
		// rank within name:stream, newest first (pool order is newest first)
		count := map[string]int{}
		for _, c := range cs {
			c.rank = count[c.s.Stream]
			count[c.s.Stream]++
		}
	}
	slices.Sort(m.names)
	for _, c := range m.cands {
		for _, d := range c.s.Dependencies {
			var blk []requirement
			for _, name := range sortedKeys(d.Requires) {
				blk = append(blk, m.requirement(name, d.Requires[name], x.builtAgainstStream(c.s, name), ">="))
			}
			c.blocks = append(c.blocks, blk)
		}
		c.deps = make([][][]int, len(c.blocks))
		for b, blk := range c.blocks {
			c.deps[b] = make([][]int, len(blk))
			for k, r := range blk {
				c.deps[b][k] = m.providers(r)
			}
		}
	}
	return m
}

// builtAgainstStream is the base module stream a build recorded in
// xmd.mbs.buildrequires ("" if none, or name is not a base module).
func (x *expander) builtAgainstStream(s *modulemd.Stream, name string) string {
	if !x.base[name] {
		return ""
	}
	return xmdString(s.XMD, "mbs", "buildrequires", name, "stream")
}

// requirement encodes a stream list. For a base module, versionStream (the
// stream whose version applies; the listed stream itself when empty) adds a
// version constraint when its unpadded stream version has 5+ digits.
func (m *model) requirement(name string, list []string, versionStream, op string) requirement {
	r := requirement{name: name, list: list}
	for _, st := range list {
		if rest, ok := strings.CutPrefix(st, "-"); ok {
			r.neg = append(r.neg, rest)
			continue
		}
		a := alt{stream: st}
		if m.x.base[name] {
			vs := versionStream
			if vs == "" {
				vs = st
			}
			if v, ok := StreamVersion(vs, false); ok && v >= 10000 {
				a.op, a.value = op, v
			}
		}
		r.alts = append(r.alts, a)
	}
	if len(r.alts) > 0 {
		r.neg = nil
	}
	return r
}

func (m *model) providers(r requirement) []int {
	var out []int
	for _, c := range m.byName[r.name] {
		if r.matches(c) {
			out = append(out, c.idx)
		}
	}
	return out
}

// closure returns the candidates reachable from start through runtime
// requires, sorted.
func (m *model) closure(start []int) []int {
	seen := map[int]bool{}
	stack := slices.Clone(start)
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[i] {
			continue
		}
		seen[i] = true
		for _, blk := range m.cands[i].deps {
			for _, ps := range blk {
				stack = append(stack, ps...)
			}
		}
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

// solve finds the cheapest transaction containing every forced candidate
// and none of the banned ones; ok is false when there is none.
func (m *model) solve(forced, banned []int) (sol []int, ok bool) {
	if len(banned) == 0 {
		implied, complete, ok := m.propagate(forced)
		if !ok {
			return nil, false
		}
		if complete {
			return implied, true
		}
	}
	universe := m.closure(forced)
	local := make(map[int]int, len(universe)) // cand -> var
	for i, c := range universe {
		local[c] = i + 1
	}
	var cs []solver.PBConstr
	byName := map[string][]int{}
	for _, c := range universe {
		byName[m.cands[c].s.Name] = append(byName[m.cands[c].s.Name], local[c])
	}
	for _, vars := range byName {
		if len(vars) > 1 {
			cs = append(cs, solver.AtMost(vars, 1))
		} else {
			cs = append(cs, solver.PropClause(vars[0], -vars[0]))
		}
	}
	next := len(universe) + 1
	for _, c := range universe {
		cd := m.cands[c]
		v := local[c]
		if len(cd.deps) == 0 {
			continue
		}
		clause := func(ps []int, head int) solver.PBConstr {
			lits := []int{-head}
			for _, p := range ps {
				lits = append(lits, local[p])
			}
			return solver.PropClause(lits...)
		}
		if len(cd.deps) == 1 {
			for _, ps := range cd.deps[0] {
				cs = append(cs, clause(ps, v))
			}
			continue
		}
		or := []int{-v}
		for _, blk := range cd.deps {
			aux := next
			next++
			or = append(or, aux)
			for _, ps := range blk {
				cs = append(cs, clause(ps, aux))
			}
		}
		cs = append(cs, solver.PropClause(or...))
	}
	for _, f := range forced {
		cs = append(cs, solver.PropClause(local[f]))
	}
	for _, b := range banned {
		if v, ok := local[b]; ok {
			cs = append(cs, solver.PropClause(-v))
		}
	}
	pb := solver.ParsePBConstrs(cs)
	if pb.Status == solver.Unsat {
		return nil, false
	}
	big := 1
	for _, c := range universe {
		big += m.cands[c].rank
	}
	lits := make([]solver.Lit, 0, len(universe))
	weights := make([]int, 0, len(universe))
	for _, c := range universe {
		lits = append(lits, solver.IntToLit(int32(local[c])))
		weights = append(weights, big+m.cands[c].rank)
	}
	pb.SetCostFunc(lits, weights)
	s := solver.New(pb)
	if s.Minimize() < 0 {
		return nil, false
	}
	model := s.Model()
	for _, c := range universe {
		if model[local[c]-1] {
			sol = append(sol, c)
		}
	}
	return sol, true
}

// solveBlock returns the transactions of one dependency block, one per
// satisfiable combination of streams, or the explanation of its failure.
func (m *model) solveBlock(block int, d modulemd.Dependency) ([][]*modulemd.Stream, *BlockConflict) {
	var names []string
	for _, b := range m.x.opts.baseNames() {
		if _, ok := d.BuildRequires[b]; ok {
			names = append(names, b)
		}
	}
	for _, n := range sortedKeys(d.BuildRequires) {
		if !m.x.base[n] {
			names = append(names, n)
		}
	}
	bc := &BlockConflict{Block: block, BuildRequires: d.BuildRequires}
	// groups[k] lists the stream groups of names[k], each newest first.
	groups := make([][][]*cand, len(names))
	reqs := make([]requirement, len(names))
	for k, name := range names {
		reqs[k] = m.requirement(name, d.BuildRequires[name], "", "=")
		var cur []*cand
		for _, i := range m.providers(reqs[k]) {
			c := m.cands[i]
			if len(cur) > 0 && cur[0].s.Stream != c.s.Stream {
				groups[k] = append(groups[k], cur)
				cur = nil
			}
			cur = append(cur, c)
		}
		if len(cur) > 0 {
			groups[k] = append(groups[k], cur)
		}
		if len(groups[k]) == 0 {
			bc.Missing = append(bc.Missing, fmt.Sprintf("this block buildrequires %s and no build of it is available", reqs[k]))
		}
	}
	if len(bc.Missing) > 0 {
		return nil, bc
	}
	for k := range groups {
		slices.SortStableFunc(groups[k], func(a, b []*cand) int { return cmp.Compare(a[0].s.Stream, b[0].s.Stream) })
		for _, g := range groups[k] {
			slices.SortStableFunc(g, func(a, b *cand) int { return cmp.Compare(a.rank, b.rank) })
		}
	}
	var out [][]*modulemd.Stream
	var failed [][]int // explained only when the whole block fails
	pick := make([]int, len(names))
	for {
		if m.x.ctx.Err() != nil {
			return out, nil
		}
		tuple := make([][]*cand, len(names))
		for k := range names {
			tuple[k] = groups[k][pick[k]]
		}
		if sol, ok := m.solveTuple(tuple); ok {
			txn := make([]*modulemd.Stream, len(sol))
			for i, c := range sol {
				txn[i] = m.cands[c].s
			}
			out = append(out, txn)
		} else {
			first := make([]int, len(tuple))
			for k, g := range tuple {
				first[k] = g[0].idx
			}
			failed = append(failed, first)
		}
		// next tuple in product order (last name fastest)
		k := len(names) - 1
		for ; k >= 0; k-- {
			pick[k]++
			if pick[k] < len(groups[k]) {
				break
			}
			pick[k] = 0
		}
		if k < 0 {
			break
		}
	}
	if len(out) == 0 {
		for _, f := range failed {
			bc.Attempts = append(bc.Attempts, m.explain(f, names, reqs))
		}
		return nil, bc
	}
	return out, nil
}

// propagate follows the requirements that only one candidate can meet
// (unit propagation). It reports a conflict (two builds of one module, or a
// requirement nobody meets) as !ok, and whether the implied set is already a
// complete transaction.
func (m *model) propagate(forced []int) (implied []int, complete, ok bool) {
	byName := map[string]int{}
	queue := slices.Clone(forced)
	complete = true
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		c := m.cands[i]
		if j, seen := byName[c.s.Name]; seen {
			if j != i {
				return nil, false, false
			}
			continue
		}
		byName[c.s.Name] = i
		implied = append(implied, i)
		if len(c.deps) != 1 {
			if len(c.deps) > 1 {
				complete = false
			}
			continue
		}
		for _, ps := range c.deps[0] {
			switch len(ps) {
			case 0:
				return nil, false, false
			case 1:
				queue = append(queue, ps[0])
			default:
				complete = false
			}
		}
	}
	if !complete {
		// Requirements with several providers may still be met by the
		// implied set; otherwise the SAT search decides.
		complete = true
		for _, i := range implied {
			c := m.cands[i]
			if len(c.deps) != 1 {
				complete = false
				break
			}
			for _, ps := range c.deps[0] {
				if !slices.ContainsFunc(ps, func(p int) bool { return byName[m.cands[p].s.Name] == p }) {
					complete = false
				}
			}
		}
	}
	slices.Sort(implied)
	return implied, complete, true
}

// solveTuple tries the combinations of one build per name:stream in order of
// increasing sum of ranks (then product order) and returns the first
// satisfiable transaction.
func (m *model) solveTuple(tuple [][]*cand) ([]int, bool) {
	maxSum := 0
	for _, g := range tuple {
		maxSum += len(g) - 1
	}
	idx := make([]int, len(tuple))
	for sum := 0; sum <= maxSum; sum++ {
		var found []int
		ok := false
		var rec func(k, left int) bool
		rec = func(k, left int) bool {
			if k == len(tuple) {
				if left != 0 {
					return false
				}
				forced := make([]int, len(tuple))
				for j, g := range tuple {
					forced[j] = g[idx[j]].idx
				}
				found, ok = m.solve(forced, nil)
				return ok
			}
			for i := 0; i < len(tuple[k]) && i <= left; i++ {
				idx[k] = i
				if rec(k+1, left-i) {
					return true
				}
			}
			return false
		}
		if rec(0, sum) {
			return found, true
		}
	}
	return nil, false
}
