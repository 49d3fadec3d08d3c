package resolver

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crillab/gophersat/solver"
	"github.com/modkit/modkit/modulemd"
)

// The module solve is libdnf 0.69's moduleSolve. Every module build is a
// solvable in a libsolv pool named NAME:STREAM:CONTEXT, where CONTEXT is the
// build's context when it is static and otherwise its runtime requires
// written as a string ("NoRequires", "mb;mc:[1]"), so builds of one stream
// with equal requires share a name; the version is the solvable's version.
// Each provides module(NAME) and module(NAME:STREAM), conflicts with
// module(NAME) (one build per module) and requires, from every dependency
// block, module(NAME:STREAM) (one of a list) or module(NAME). The platform
// is an installed solvable. Each enabled or default stream is a job
// "install provides module(NAME:STREAM)"; the activated builds are every
// build whose solvable name the solver installed. libsolv's choices are
// reproduced with gophersat as an oracle: jobs are taken in order, and for
// each the first candidate in libsolv's preference (solvable name by strcmp,
// highest version) that still has a model with everything decided so far.

// msolv is one module solvable.
type msolv struct {
	s      *modulemd.Stream // nil for the platform
	name   string           // N:S:CONTEXT (libdnf's solvable name)
	ver    uint64
	arch   string
	usable bool // installable: arch fits, module not disabled
	reqs   []mdep
	confs  []mdep
}

// mdep is a requires or conflicts of a solvable with its providers.
type mdep struct {
	dep  string
	prov []int
	self bool // the module(NAME) conflict of every build
}

// pkey is a module(NAME) (stream "") or module(NAME:STREAM) provide.
type pkey struct{ name, stream string }

// mjob is one module(N:S) request.
type mjob struct {
	req            string
	module, stream string
	enabled        bool
	cands          []int
}

type modPool struct {
	solv     []msolv
	provides map[pkey][]int
	jobs     []mjob
	state    *State
	platform int // solvable id of the platform, -1 when none
	comp     []int
	varOf    []int // solvable id -> variable in its component's CNF
	// tmpl is the template whose solvables the pool shares (nil when the
	// pool has its own copy).
	tmpl *poolTemplate
	idOf map[*modulemd.Stream]int // solvable id of each build
}

// newModPool is the pool for idx and state under opts (already validated by
// Choose).
func newModPool(idx *modulemd.Index, state *State, opts *ChooseOptions) *modPool {
	var platName, platStream string
	if opts != nil {
		platName, platStream, _ = strings.Cut(opts.Platform, ":")
		return newUniverse(idx, state, opts.Arch, platName, platStream)
	}
	return newUniverse(idx, state, "", "", "")
}

// RequiresString is libdnf's string of a build's runtime requires (without
// the platform): each required module as "name" (any stream) or
// "name:[s1,s2]", sorted, joined by ";"; "" when there are none.
func RequiresString(s *modulemd.Stream) string {
	var parts []string
	var keys [8]string
	for _, d := range s.Dependencies {
		for _, rn := range appendSortedKeys(keys[:0], d.Requires) {
			if rn == "platform" {
				continue
			}
			l := d.Requires[rn]
			if len(l) == 0 {
				parts = append(parts, rn)
				continue
			}
			if !slices.IsSorted(l) {
				l = slices.Sorted(slices.Values(l))
			}
			parts = append(parts, rn+":["+strings.Join(l, ",")+"]")
		}
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	slices.Sort(parts)
	return strings.Join(parts, ";")
}

// solvableContexts computes libdnf's context of every build: the static
// context, else the context of a static build of the stream with the same
// requires, else the requires string ("NoRequires" when empty).
func solvableContexts(streams []*modulemd.Stream) map[*modulemd.Stream]string {
	out := make(map[*modulemd.Stream]string, len(streams))
	static := map[string]map[string]string{} // N:S -> requires -> context
	reqs := make([]string, len(streams))
	for i, s := range streams {
		reqs[i] = RequiresString(s)
		if s.StaticContext {
			out[s] = s.Context
			ns := s.Name + ":" + s.Stream
			if static[ns] == nil {
				static[ns] = map[string]string{}
			}
			if _, ok := static[ns][reqs[i]]; !ok {
				static[ns][reqs[i]] = s.Context
			}
		}
	}
	for i, s := range streams {
		if s.StaticContext {
			continue
		}
		r := reqs[i]
		if c, ok := static[s.Name+":"+s.Stream][r]; ok {
			out[s] = c
		} else if r == "" {
			out[s] = "NoRequires"
		} else {
			out[s] = r
		}
	}
	return out
}

// poolOrder lists the builds in the order libdnf creates their solvables:
// modules by name, each module's streams in file order. The order decides
// which of two default streams that cannot be used together libsolv keeps
// (see part.run).
func poolOrder(idx *modulemd.Index) []*modulemd.Stream {
	var out []*modulemd.Stream
	for _, m := range idx.Modules() {
		out = append(out, m.StreamsInOrder()...)
	}
	return out
}

// poolTemplate is the part of the pool that depends only on the index, the
// arch and the platform: solvables, provides and dependencies.
type poolTemplate struct {
	idx      *modulemd.Index
	solv     []msolv // usable = arch fits
	provides map[pkey][]int
	platform int
	defaults map[string]string
	comp     []int // component of each solvable
	idOf     map[*modulemd.Stream]int
	// cnf caches each component's constraints for pools whose solvables
	// are the template's own (no module disabled), by component.
	cnf map[int]*cnfCache
}

// cnfCache is a component's constraints, built once per template.
type cnfCache struct {
	base   [][]int
	pairs  [][2]int
	groups [][]int
	proto  *proto
}

func newUniverse(idx *modulemd.Index, state *State, arch, platName, platStream string) *modPool {
	return newTemplate(idx, arch, platName, platStream).instantiate(state)
}

func newTemplate(idx *modulemd.Index, arch, platName, platStream string) *poolTemplate {
	all := poolOrder(idx)
	u := &poolTemplate{idx: idx, provides: make(map[pkey][]int, len(all)), platform: -1, solv: make([]msolv, 0, len(all)+1),
		defaults: idx.DefaultStreams()}
	add := func(s *modulemd.Stream, name, stream, context string, ver uint64, a string, usable bool) int {
		id := len(u.solv)
		u.solv = append(u.solv, msolv{s: s, name: name + ":" + stream + ":" + context, ver: ver, arch: a, usable: usable})
		if usable {
			k := pkey{name, ""}
			u.provides[k] = append(u.provides[k], id)
			k.stream = stream
			u.provides[k] = append(u.provides[k], id)
		}
		return id
	}
	if platName != "" {
		u.platform = add(nil, platName, platStream, "00000000", 0, "noarch", true)
	}
	ctx := solvableContexts(all)
	// Builds share their requirements: each distinct one is built once.
	single := map[pkey]mdep{}
	multi := map[string]mdep{}
	dep := func(rn, st string) mdep {
		k := pkey{rn, st}
		d, ok := single[k]
		if !ok {
			name := "module(" + rn + ")"
			if st != "" {
				name = "module(" + rn + ":" + st + ")"
			}
			d = mdep{dep: name, prov: u.provides[k]}
			single[k] = d
		}
		return d
	}
	for _, s := range all {
		a := s.Arch
		if a == "" {
			a = "noarch"
		}
		usable := arch == "" || a == "noarch" || a == arch || (a == "i686" && arch == "x86_64")
		add(s, s.Name, s.Stream, ctx[s], s.Version, a, usable)
	}
	var keyBuf [8]string
	for id := range u.solv {
		m := &u.solv[id]
		if m.s == nil {
			continue
		}
		for _, d := range m.s.Dependencies {
			for _, rn := range appendSortedKeys(keyBuf[:0], d.Requires) {
				var pos []string
				for _, st := range d.Requires[rn] {
					// libdnf treats any stream containing '-' as a negation
					// of the stream without its first character.
					if strings.Contains(st, "-") {
						m.confs = append(m.confs, dep(rn, st[1:]))
					} else {
						pos = append(pos, st)
					}
				}
				switch len(pos) {
				case 0:
					m.reqs = append(m.reqs, dep(rn, ""))
				case 1:
					m.reqs = append(m.reqs, dep(rn, pos[0]))
				default:
					deps := make([]string, len(pos))
					for i, st := range pos {
						deps[i] = "module(" + rn + ":" + st + ")"
					}
					key := "(" + strings.Join(deps, " or ") + ")"
					d, ok := multi[key]
					if !ok {
						var prov []int
						for _, st := range pos {
							prov = append(prov, u.provides[pkey{rn, st}]...)
						}
						slices.Sort(prov)
						d = mdep{dep: key, prov: slices.Compact(prov)}
						multi[key] = d
					}
					m.reqs = append(m.reqs, d)
				}
			}
		}
		m.confs = append(m.confs, mdep{prov: u.provides[pkey{m.s.Name, ""}], self: true})
	}
	u.components()
	u.idOf = make(map[*modulemd.Stream]int, len(u.solv))
	for id, m := range u.solv {
		if m.s != nil {
			u.idOf[m.s] = id
		}
	}
	return u
}

// instantiate is the pool for one module state: builds of disabled modules
// cannot be installed, and the enabled and default streams are the jobs.
func (t *poolTemplate) instantiate(state *State) *modPool {
	if state == nil {
		state = &State{}
	}
	u := &modPool{provides: t.provides, state: state, platform: t.platform, solv: t.solv, comp: t.comp, varOf: make([]int, len(t.solv)), tmpl: t, idOf: t.idOf}
	// Builds of disabled modules cannot be installed: only then does the
	// pool need its own copy of the solvables.
	cloned := false
	for id := range u.solv {
		if s := u.solv[id].s; s != nil && u.solv[id].usable && state.Status(s.Name) == StatusDisabled {
			if !cloned {
				u.solv, cloned = slices.Clone(t.solv), true
				u.tmpl = nil
			}
			u.solv[id].usable = false
		}
	}
	// Jobs: enabled streams, and default streams of modules in their
	// default state, in index order.
	seen := map[pkey]bool{}
	for id := range u.solv {
		s := u.solv[id].s
		if s == nil || state.Status(s.Name) == StatusDisabled {
			continue
		}
		enabled := state.Enabled(s.Name) == s.Stream
		if !enabled && (state.Status(s.Name) == StatusEnabled || t.defaults[s.Name] != s.Stream) {
			continue
		}
		k := pkey{s.Name, s.Stream}
		if seen[k] {
			continue
		}
		seen[k] = true
		var cands []int
		for _, c := range u.provides[k] {
			if u.solv[c].usable {
				cands = append(cands, c)
			}
		}
		u.jobs = append(u.jobs, mjob{req: "module(" + s.Name + ":" + s.Stream + ")", module: s.Name, stream: s.Stream, enabled: enabled, cands: cands})
	}
	return u
}

// components splits the solvables into independent parts (joined by
// requires and conflicts, and the builds of each module, which every job's
// candidates belong to; the always-installed platform joins nothing).
func (u *poolTemplate) components() {
	parent := make([]int, len(u.solv))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		if a == u.platform || b == u.platform {
			return
		}
		if ra, rb := find(a), find(b); ra != rb {
			parent[ra] = rb
		}
	}
	lastOfModule := map[string]int{}
	joined := map[*int]bool{}
	for id, m := range u.solv {
		if m.s == nil {
			continue
		}
		// The builds of a module conflict with each other: one chain.
		if prev, ok := lastOfModule[m.s.Name]; ok {
			union(prev, id)
		}
		lastOfModule[m.s.Name] = id
		// Builds share their dependencies' provider lists: each list is
		// joined once, then the build to its first provider.
		for _, ds := range [2][]mdep{m.reqs, m.confs} {
			for _, d := range ds {
				if d.self || len(d.prov) == 0 {
					continue
				}
				anchor := d.prov[0]
				if anchor == u.platform {
					if len(d.prov) == 1 {
						continue
					}
					anchor = d.prov[1]
				}
				if !joined[&d.prov[0]] {
					joined[&d.prov[0]] = true
					for _, p := range d.prov {
						union(anchor, p)
					}
				}
				union(id, anchor)
			}
		}
	}
	u.comp = make([]int, len(u.solv))
	for i := range parent {
		u.comp[i] = find(i)
	}
}

// solveOutcome is the result of the three solver runs.
type solveOutcome struct {
	result      SolveResult
	problems    []SolveProblem
	installed   []int
	keptDefault map[string]bool // N:S of default requests that were kept
	chosen      []int           // the solvables the solver installed
}

// part is one component's solve problem.
type part struct {
	u     *modPool
	ids   []int // solvables of the component (the platform excluded)
	base  [][]int
	pairs [][2]int // conflicting solvables (negative stream requires)
	// groups are the builds of one module: at most one is installed
	// (each conflicts with module(NAME)); variables.
	groups [][]int
	// pairOff and groupOff disable conflicts while looking for the
	// conflicts a failure needs.
	pairOff, groupOff map[int]bool
	jobs              []int // indexes into u.jobs
	exclu             map[int]bool
	proto             *proto // cached propagation structure
}

func (u *modPool) parts() []*part {
	byComp := map[int]*part{}
	var order []*part
	for id := range u.solv {
		if id == u.platform {
			continue
		}
		r := u.comp[id]
		p := byComp[r]
		if p == nil {
			p = &part{u: u}
			byComp[r] = p
			order = append(order, p)
		}
		p.ids = append(p.ids, id)
	}
	for ji, j := range u.jobs {
		var p *part
		if len(j.cands) > 0 {
			p = byComp[u.comp[j.cands[0]]]
		} else {
			p = &part{u: u}
			order = append(order, p)
		}
		p.jobs = append(p.jobs, ji)
	}
	var out []*part
	for _, p := range order {
		if len(p.jobs) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// clauses builds the component's CNF: variables 1..n for its solvables.
func (p *part) clauses() {
	for i, id := range p.ids {
		p.u.varOf[id] = i + 1
	}
	p.base, p.pairs, p.groups, p.pairOff, p.groupOff, p.proto = nil, nil, nil, nil, nil, nil
	t := p.u.tmpl
	cacheable := t != nil && p.exclu == nil && len(p.ids) > 0
	if cacheable {
		if c := t.cnf[p.u.comp[p.ids[0]]]; c != nil {
			p.base, p.pairs, p.groups, p.proto = c.base, c.pairs, c.groups, c.proto
			return
		}
		defer func() {
			if t.cnf == nil {
				t.cnf = map[int]*cnfCache{}
			}
			p.proto = p.makeProto()
			t.cnf[p.u.comp[p.ids[0]]] = &cnfCache{base: p.base, pairs: p.pairs, groups: p.groups, proto: p.proto}
		}()
	}
	byModule := map[string][]int{}
	var modules []string
	lit := func(id int) (int, bool) {
		if id == p.u.platform {
			return 0, true
		}
		return p.u.varOf[id], false
	}
	// The clauses' literals share one backing array: a requires clause per
	// requirement of every build is most of the work of a solve.
	size := 0
	for _, id := range p.ids {
		for _, d := range p.u.solv[id].reqs {
			size += len(d.prov) + 1
		}
	}
	lits := make([]int, 0, size+len(p.ids))
	clause := func(start int) []int { return lits[start:len(lits):len(lits)] }
	for _, id := range p.ids {
		m := &p.u.solv[id]
		x := p.u.varOf[id]
		if !m.usable || p.exclu[id] {
			start := len(lits)
			lits = append(lits, -x)
			p.base = append(p.base, clause(start))
			continue
		}
		g, seen := byModule[m.s.Name]
		if !seen {
			modules = append(modules, m.s.Name)
		}
		byModule[m.s.Name] = append(g, x)
		for _, d := range m.reqs {
			start := len(lits)
			lits = append(lits, -x)
			sat := false
			for _, q := range d.prov {
				if l, plat := lit(q); plat {
					sat = true
				} else if p.exclu == nil || !p.exclu[q] {
					lits = append(lits, l)
				}
			}
			if sat {
				lits = lits[:start]
			} else {
				p.base = append(p.base, clause(start))
			}
		}
		for _, d := range m.confs {
			if d.self {
				continue // the module's group
			}
			for _, q := range d.prov {
				if q == id {
					continue
				}
				if _, plat := lit(q); plat {
					p.base = append(p.base, []int{-x})
				} else if id < q {
					p.pairs = append(p.pairs, [2]int{id, q})
				} else {
					p.pairs = append(p.pairs, [2]int{q, id})
				}
			}
		}
	}
	slices.SortFunc(p.pairs, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	p.pairs = slices.Compact(p.pairs)
	for _, name := range modules {
		if g := byModule[name]; len(g) > 1 {
			p.groups = append(p.groups, g)
		}
	}
}

// jobClause is the clause of a job: one of its candidates; with best
// (libsolv's SOLVER_FORCEBEST) only the highest version of each solvable
// name counts.
func (p *part) jobClause(ji int, best bool) []int {
	cands := p.u.jobs[ji].cands
	if best {
		// libsolv's prune_to_best_version: per name the highest version,
		// and of equal versions the first solvable only.
		top := map[string]int{}
		for _, c := range cands {
			m := p.u.solv[c]
			if !m.usable || p.exclu[c] {
				continue
			}
			if t, ok := top[m.name]; !ok || m.ver > p.u.solv[t].ver {
				top[m.name] = c
			}
		}
		var keep []int
		for _, c := range cands {
			if top[p.u.solv[c].name] == c {
				keep = append(keep, c)
			}
		}
		cands = keep
	}
	var cl []int
	for _, c := range cands {
		if !p.exclu[c] {
			cl = append(cl, p.u.varOf[c])
		}
	}
	return cl
}

// prefer orders candidates as libsolv picks them: by solvable name (strcmp),
// then highest version first.
func (u *modPool) prefer(cands []int) []int {
	pref := slices.Clone(cands)
	slices.SortStableFunc(pref, func(a, b int) int {
		if c := strings.Compare(u.solv[a].name, u.solv[b].name); c != 0 {
			return c
		}
		switch x, y := u.solv[a].ver, u.solv[b].ver; {
		case x > y:
			return -1
		case x < y:
			return 1
		}
		return 0
	})
	return pref
}

// sat reports whether the component's constraints plus extra clauses have
// a model. Unit propagation refutes most unsatisfiable queries and a greedy
// completion confirms most satisfiable ones; gophersat decides the rest.
func (p *part) sat(extra ...[]int) bool {
	for _, e := range extra {
		if len(e) == 0 {
			return false
		}
	}
	if len(p.ids) == 0 {
		return true
	}
	e := p.engine(extra)
	if !e.propagate() {
		return false
	}
	if e.complete() {
		return true
	}
	var cs []solver.CardConstr
	for _, c := range e.allClauses() {
		cs = append(cs, solver.AtLeast1(c...))
	}
	// At most one build of a module, as clauses: gophersat 1.4's
	// cardinality constraints mixed with clauses can yield models that
	// break them (seed 96 of the dnf differential test: two builds of ma
	// installed at once made an impossible request look solvable).
	next := len(p.ids) + 1
	for _, g := range e.groups {
		next = atMostOne(&cs, g, next)
	}
	// Every variable must occur for gophersat to size its model.
	for i := 1; i < next; i++ {
		cs = append(cs, solver.AtLeast1(i, -i))
	}
	pb := solver.ParseCardConstrs(cs)
	if pb.Status == solver.Unsat {
		return false
	}
	return solver.New(pb).Solve() == solver.Sat
}

// atMostOne appends clauses that allow at most one of the variables g:
// pairwise for small groups, else Sinz's sequential counter with auxiliary
// variables numbered from next. It returns the next free variable.
func atMostOne(cs *[]solver.CardConstr, g []int, next int) int {
	if len(g) <= 6 {
		for i := range g {
			for j := i + 1; j < len(g); j++ {
				*cs = append(*cs, solver.AtLeast1(-g[i], -g[j]))
			}
		}
		return next
	}
	// s_i (variable next+i) holds when one of g[0..i] is true.
	for i, x := range g {
		si := next + i
		*cs = append(*cs, solver.AtLeast1(-x, si))
		if i > 0 {
			prev := next + i - 1
			*cs = append(*cs, solver.AtLeast1(-prev, si), solver.AtLeast1(-x, -prev))
		}
	}
	return next + len(g)
}

// engine is a unit propagator over the component's clauses and groups.
type engine struct {
	*proto
	extra    [][]int
	extraOcc map[int][]int // literal -> indexes into extra
	val      []int8        // 1 true, -1 false, 0 unassigned
	queue    []int         // assigned literals to propagate
	// trail lists the variables assigned while tracking (tryAdd).
	trail    []int
	tracking bool
}

// proto is the part of an engine that depends only on the component's
// constraints: built once per component (and conflict selection).
type proto struct {
	clauses [][]int
	groups  [][]int
	occ     [][]int // literal index -> clauses that contain it
	inGroup [][]int // variable -> groups
}

func litIndex(l int) int {
	if l > 0 {
		return 2 * l
	}
	return -2*l + 1
}

func (p *part) makeProto() *proto {
	n := len(p.ids)
	pr := &proto{occ: make([][]int, 2*n+2), inGroup: make([][]int, n+1)}
	pr.clauses = append(pr.clauses, p.base...)
	for i, pp := range p.pairs {
		if !p.pairOff[i] {
			pr.clauses = append(pr.clauses, []int{-p.u.varOf[pp[0]], -p.u.varOf[pp[1]]})
		}
	}
	for gi, g := range p.groups {
		if !p.groupOff[gi] {
			pr.groups = append(pr.groups, g)
			for _, x := range g {
				pr.inGroup[x] = append(pr.inGroup[x], len(pr.groups)-1)
			}
		}
	}
	// occ in one backing array: count, then fill.
	count := make([]int, len(pr.occ)+1)
	for _, c := range pr.clauses {
		for _, l := range c {
			count[litIndex(l)+1]++
		}
	}
	for i := 1; i < len(count); i++ {
		count[i] += count[i-1]
	}
	flat := make([]int, count[len(count)-1])
	next := slices.Clone(count[:len(count)-1])
	for ci, c := range pr.clauses {
		for _, l := range c {
			li := litIndex(l)
			flat[next[li]] = ci
			next[li]++
		}
	}
	for li := range pr.occ {
		pr.occ[li] = flat[count[li]:count[li+1]:count[li+1]]
	}
	return pr
}

func (p *part) engine(extra [][]int) *engine {
	if p.proto == nil || p.pairOff != nil || p.groupOff != nil {
		pr := p.makeProto()
		if p.pairOff != nil || p.groupOff != nil {
			return newEngine(pr, len(p.ids), extra)
		}
		p.proto = pr
	}
	return newEngine(p.proto, len(p.ids), extra)
}

func newEngine(pr *proto, n int, extra [][]int) *engine {
	e := &engine{proto: pr, extra: extra, extraOcc: map[int][]int{}, val: make([]int8, n+1)}
	for ci, c := range extra {
		for _, l := range c {
			e.extraOcc[l] = append(e.extraOcc[l], ci)
		}
	}
	return e
}

// clone copies the assignment; the constraints are shared until added to.
func (e *engine) clone() *engine {
	c := &engine{proto: e.proto, extra: slices.Clip(e.extra), extraOcc: make(map[int][]int, len(e.extraOcc)), val: slices.Clone(e.val)}
	for l, o := range e.extraOcc {
		c.extraOcc[l] = slices.Clip(o)
	}
	return c
}

// add adds a clause and propagates it; false on conflict.
func (e *engine) add(c []int) bool {
	ci := len(e.extra)
	e.extra = append(e.extra, c)
	for _, l := range c {
		e.extraOcc[l] = append(e.extraOcc[l], ci)
	}
	return e.check(c) && e.drain()
}

// tryAdd adds c and propagates it; on a conflict it undoes both and
// reports false.
func (e *engine) tryAdd(c []int) bool {
	e.trail = e.trail[:0]
	e.tracking = true
	ok := e.add(c)
	e.tracking = false
	if ok {
		return true
	}
	for _, v := range e.trail {
		e.val[v] = 0
	}
	e.queue = e.queue[:0]
	ci := len(e.extra) - 1
	e.extra = e.extra[:ci]
	for _, l := range c {
		if o := e.extraOcc[l]; len(o) > 0 && o[len(o)-1] == ci {
			e.extraOcc[l] = o[:len(o)-1]
		}
	}
	return false
}

// accepts reports whether the constraints so far plus c have a model; on
// true it returns the engine with c added.
func (p *part) accepts(e *engine, c []int) (*engine, bool) {
	if len(c) == 0 {
		return e, false
	}
	t := e.clone()
	if !t.add(c) {
		return e, false
	}
	if t.clone().complete() || p.sat(slices.Clip(t.extra)...) {
		return t, true
	}
	return e, false
}

// allClauses returns the base and extra clauses (for gophersat).
func (e *engine) allClauses() [][]int {
	return append(slices.Clip(e.clauses), e.extra...)
}

func (e *engine) litVal(l int) int8 {
	if l > 0 {
		return e.val[l]
	}
	return -e.val[-l]
}

// assign sets literal l true; false on conflict.
func (e *engine) assign(l int) bool {
	switch e.litVal(l) {
	case 1:
		return true
	case -1:
		return false
	}
	if l > 0 {
		e.val[l] = 1
	} else {
		e.val[-l] = -1
	}
	if e.tracking {
		e.trail = append(e.trail, max(l, -l))
	}
	e.queue = append(e.queue, l)
	return true
}

// propagate runs unit propagation from every clause; false on conflict.
func (e *engine) propagate() bool {
	for ci := range e.clauses {
		if !e.check(e.clauses[ci]) {
			return false
		}
	}
	for ci := range e.extra {
		if !e.check(e.extra[ci]) {
			return false
		}
	}
	return e.drain()
}

func (e *engine) drain() bool {
	for len(e.queue) > 0 {
		l := e.queue[0]
		e.queue = e.queue[1:]
		if l > 0 {
			for _, gi := range e.inGroup[l] {
				for _, y := range e.groups[gi] {
					if y != l && !e.assign(-y) {
						return false
					}
				}
			}
		}
		for _, ci := range e.occ[litIndex(-l)] {
			if !e.check(e.clauses[ci]) {
				return false
			}
		}
		for _, ci := range e.extraOcc[-l] {
			if !e.check(e.extra[ci]) {
				return false
			}
		}
	}
	return true
}

// check looks at one clause: satisfied, unit (assigns) or conflicting.
func (e *engine) check(c []int) bool {
	free, last := 0, 0
	for _, l := range c {
		switch e.litVal(l) {
		case 1:
			return true
		case 0:
			free++
			last = l
		}
	}
	switch free {
	case 0:
		return false
	case 1:
		return e.assign(last)
	}
	return true
}

// complete tries to extend the propagated assignment to a model without
// backtracking: each clause with no true literal gets its first free
// literal. It reports whether that found a model.
func (e *engine) complete() bool {
	for _, c := range e.allClauses() {
		sat := false
		for _, l := range c {
			if e.litVal(l) == 1 {
				sat = true
				break
			}
		}
		if sat {
			continue
		}
		// Prefer a negative literal: it never triggers a group.
		chosen := 0
		for _, l := range c {
			if e.litVal(l) == 0 && (chosen == 0 || (l < 0 && chosen > 0)) {
				chosen = l
			}
		}
		if chosen == 0 || !e.assign(chosen) || !e.drain() {
			return false
		}
	}
	return true
}

// run solves the component with the given jobs hard and the others as
// wishes. It returns the installed solvables, the jobs kept, and false when
// the hard jobs cannot hold together.
func (p *part) run(hard func(ji int) bool, best bool) (installed []int, kept map[int]bool, ok bool) {
	var cons [][]int
	allHard := true
	for _, ji := range p.jobs {
		if hard(ji) {
			cons = append(cons, p.jobClause(ji, best))
		} else {
			allHard = false
		}
	}
	if allHard {
		// Without wishes the greedy choice, when it succeeds, also shows
		// the requests hold together.
		kept = map[int]bool{}
		for _, ji := range p.jobs {
			kept[ji] = true
		}
		if T, ok := p.greedy(cons, kept, best); ok {
			return T, kept, true
		}
	}
	if !p.sat(cons...) {
		return nil, nil, false
	}
	// Wishes that cannot all hold. libdnf adds one weak job per build, in
	// pool order, so a stream's first job sits at its first build. When
	// libsolv proves the jobs unsolvable it disables the last weak rule of
	// the proof: the rule with the highest id. Job rules are numbered in job
	// order and the best rules of forcebest jobs (a job whose candidates
	// include an older version of one solvable name) come after every job
	// rule. So a job with a best rule gives way before any without, and
	// within each kind the later job gives way: keeping the jobs in the
	// reverse order (plain ones first, then those with a best rule, each in
	// job order) while they still have a model gives the same choice.
	kept = map[int]bool{}
	e := p.engine(cons)
	if !e.propagate() {
		return nil, nil, false
	}
	var plain, withBest []int
	for _, ji := range p.jobs {
		switch {
		case hard(ji):
			kept[ji] = true
		case best && len(p.jobClause(ji, true)) < len(p.jobClause(ji, false)):
			withBest = append(withBest, ji)
		default:
			plain = append(plain, ji)
		}
	}
	order := p.propagationDrops(cons, append(plain, withBest...), best)
	for _, ji := range order {
		cl := p.jobClause(ji, best)
		var ok bool
		if e, ok = p.accepts(e, cl); ok {
			cons = append(cons, cl)
			kept[ji] = true
		}
	}
	if T, ok := p.greedy(cons, kept, best); ok {
		return T, kept, true
	}
	inT := map[int]bool{}
	var T []int
	choose := func(cands []int) {
		for _, c := range cands {
			if inT[c] || c == p.u.platform {
				return
			}
		}
		for _, c := range p.u.prefer(cands) {
			if p.exclu[c] || !p.u.solv[c].usable {
				continue
			}
			if p.sat(append(cons, []int{p.u.varOf[c]})...) {
				cons = append(cons, []int{p.u.varOf[c]})
				inT[c] = true
				T = append(T, c)
				return
			}
		}
	}
	for _, ji := range p.jobs {
		if kept[ji] {
			choose(p.u.jobs[ji].cands)
		}
	}
	for i := 0; i < len(T); i++ {
		for _, d := range p.u.solv[T[i]].reqs {
			choose(d.prov)
		}
	}
	return T, kept, true
}

// propagationDrops removes the wishes libsolv gives up on before it makes
// any decision: with every wish added, unit propagation alone (libsolv's
// level 1: jobs with one possible candidate, requirements that leave one
// provider) may already conflict. The proof of such a conflict involves the
// last wish of the shortest prefix of order whose propagation conflicts, and
// no later one, so that wish has the highest rule id in the proof and is
// disabled; libsolv then starts again. Seed 97 of the dnf differential test:
// defaults ma:1, mc:1 (needs ma:3 and mb:1) and md:3 (whose one usable build
// needs mb); propagating md:3 rules out every ma:3 build mc:1 could use, so
// dnf drops md:3 and then mc:1, and only ma:1 stays active, although keeping
// md:3 and dropping mc:1 alone would have worked. It returns the wishes
// kept, in order.
//
// Starting again re-adds the same prefix and reaches the same propagated
// state (a conflict-free unit propagation has one fixpoint), so one pass
// that undoes a conflicting wish and goes on is the same.
func (p *part) propagationDrops(cons [][]int, order []int, best bool) []int {
	e := p.engine(cons)
	if !e.propagate() {
		return order
	}
	var kept []int
	for _, ji := range order {
		if e.tryAdd(p.jobClause(ji, best)) {
			kept = append(kept, ji)
		}
	}
	return kept
}

// greedy makes the choices of run by unit propagation alone: each job, then
// each requirement of what is installed, gets its first candidate (libsolv's
// order) that propagation has not ruled out. Propagated values hold in every
// model, so when no conflict arises the result is the one the SAT oracle
// would give; on a conflict it reports false and run asks the oracle.
func (p *part) greedy(cons [][]int, kept map[int]bool, best bool) ([]int, bool) {
	e := p.engine(cons)
	if !e.propagate() {
		return nil, false
	}
	inT := map[int]bool{}
	var T []int
	choose := func(cands []int, allowed map[int]bool) bool {
		for _, c := range cands {
			if inT[c] || c == p.u.platform {
				return true
			}
		}
		for _, c := range p.u.prefer(cands) {
			if p.exclu[c] || !p.u.solv[c].usable || (allowed != nil && !allowed[p.u.varOf[c]]) || e.litVal(p.u.varOf[c]) == -1 {
				continue
			}
			if !e.assign(p.u.varOf[c]) || !e.drain() {
				return false
			}
			inT[c] = true
			T = append(T, c)
			return true
		}
		return false
	}
	for _, ji := range p.jobs {
		if !kept[ji] {
			continue
		}
		allowed := map[int]bool{}
		for _, x := range p.jobClause(ji, best) {
			allowed[x] = true
		}
		if !choose(p.u.jobs[ji].cands, allowed) {
			return nil, false
		}
	}
	for i := 0; i < len(T); i++ {
		for _, d := range p.u.solv[T[i]].reqs {
			if !choose(d.prov, nil) {
				return nil, false
			}
		}
	}
	return T, true
}

// solve runs libdnf's three attempts over every component.
func (u *modPool) solve() *solveOutcome {
	out := &solveOutcome{keptDefault: map[string]bool{}}
	parts := u.parts()
	allHard := func(int) bool { return true }
	enabledHard := func(ji int) bool { return u.jobs[ji].enabled }
	type res struct {
		inst []int
		kept map[int]bool
	}
	results := map[*part]res{}
	var failed1 []*part
	for _, p := range parts {
		p.clauses()
		inst, kept, ok := p.run(allHard, true)
		if !ok {
			failed1 = append(failed1, p)
			out.problems = append(out.problems, p.explain()...)
			continue
		}
		results[p] = res{inst, kept}
	}
	// The second and third runs change nothing for a component whose
	// requests all hold: only the failed ones are solved again.
	if len(failed1) == 0 {
		out.result = SolveOK
	} else {
		out.result = SolveErrorInDefaults
		var failed2 []*part
		for _, p := range failed1 {
			inst, kept, ok := p.run(enabledHard, true)
			if !ok {
				failed2 = append(failed2, p)
				continue
			}
			results[p] = res{inst, kept}
		}
		if len(failed2) > 0 {
			out.result = SolveError
			for _, p := range failed2 {
				p.exclu = p.conflictPkgs(enabledHard)
				p.clauses()
				inst, kept, _ := p.run(func(int) bool { return false }, false)
				results[p] = res{inst, kept}
			}
		}
	}
	for _, p := range parts {
		r := results[p]
		out.installed = append(out.installed, r.inst...)
		for ji := range r.kept {
			if j := u.jobs[ji]; !j.enabled {
				out.keptDefault[j.module+":"+j.stream] = true
			}
		}
	}
	// libdnf activates every build whose solvable name was installed.
	names := map[string]bool{}
	for _, id := range out.installed {
		names[u.solv[id].name] = true
	}
	out.installed = out.installed[:0]
	for id, m := range u.solv {
		if id != u.platform && names[m.name] {
			out.installed = append(out.installed, id)
		}
	}
	return out
}

// conflictPkgs approximates libdnf's Goal::listConflictPkgs for a failed
// run: the builds on both sides of the conflicts a proof of the failure
// needs (for a module's one-build-only conflict, its builds the failing
// requests reach). A failure that holds without any conflict (a
// requirement nothing meets) has none.
func (p *part) conflictPkgs(hard func(int) bool) map[int]bool {
	var cons [][]int
	for _, ji := range p.jobs {
		if hard(ji) {
			cons = append(cons, p.jobClause(ji, true))
		}
	}
	ex := map[int]bool{}
	p.pairOff, p.groupOff = map[int]bool{}, map[int]bool{}
	defer func() { p.pairOff, p.groupOff = nil, nil }()
	for i := range p.pairs {
		p.pairOff[i] = true
	}
	for i := range p.groups {
		p.groupOff[i] = true
	}
	if !p.sat(cons...) {
		return ex
	}
	// Deletion-based minimal set of needed conflicts.
	p.pairOff, p.groupOff = map[int]bool{}, map[int]bool{}
	for i := range p.pairs {
		p.pairOff[i] = true
		if p.sat(cons...) {
			p.pairOff[i] = false
		}
	}
	for i := range p.groups {
		p.groupOff[i] = true
		if p.sat(cons...) {
			p.groupOff[i] = false
		}
	}
	for i, pr := range p.pairs {
		if !p.pairOff[i] {
			ex[pr[0]], ex[pr[1]] = true, true
		}
	}
	reach := map[int]bool{}
	var stack []int
	push := func(id int) {
		if !reach[id] && id != p.u.platform && p.u.solv[id].usable {
			reach[id] = true
			stack = append(stack, id)
		}
	}
	for _, ji := range p.jobs {
		if hard(ji) {
			for _, c := range p.u.jobs[ji].cands {
				push(c)
			}
		}
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, d := range p.u.solv[id].reqs {
			for _, q := range d.prov {
				push(q)
			}
		}
	}
	byVar := func(x int) int { return p.ids[x-1] }
	for i, g := range p.groups {
		if p.groupOff[i] {
			continue
		}
		for _, x := range g {
			if id := byVar(x); reach[id] {
				ex[id] = true
			}
		}
	}
	return ex
}

// explain lists the requests of a component that cannot hold together with
// the ones before them, with libsolv-style rules.
func (p *part) explain() []SolveProblem {
	var out []SolveProblem
	e := p.engine(nil)
	if !e.propagate() {
		return nil
	}
	for _, ji := range p.jobs {
		j := p.u.jobs[ji]
		var ok bool
		if e, ok = p.accepts(e, p.jobClause(ji, true)); ok {
			continue
		}
		origin := OriginDefault
		if j.enabled {
			origin = OriginEnabled
		}
		out = append(out, SolveProblem{Request: j.req, Module: j.module, Stream: j.stream, Origin: origin, Rules: p.rules(j)})
	}
	return out
}

// label is how libdnf names a build in problems: "module N:S:V:C.ARCH".
func (m *msolv) label() string {
	if m.s == nil {
		return "module " + m.name + "." + m.arch
	}
	return fmt.Sprintf("module %s:%s:%d:%s.%s", m.s.Name, m.s.Stream, m.s.Version, m.s.Context, m.arch)
}

// rules explains, in libsolv's words, why no candidate of j can be
// installed: requirements nothing provides, else the conflicts with the
// candidates of the component's other requests.
func (p *part) rules(j mjob) []string {
	if len(j.cands) == 0 {
		return []string{"nothing provides requested " + j.req}
	}
	var out []string
	for _, c := range j.cands {
		m := p.u.solv[c]
		if !m.usable {
			out = append(out, m.label()+" does not have a compatible architecture or is disabled")
			continue
		}
		for _, d := range m.reqs {
			usable := false
			for _, q := range d.prov {
				if q == p.u.platform || (p.u.solv[q].usable && !p.exclu[q]) {
					usable = true
					break
				}
			}
			if !usable {
				out = append(out, fmt.Sprintf("nothing provides %s needed by %s", d.dep, m.label()))
			}
		}
	}
	if len(out) == 0 {
		others := map[int]bool{}
		for _, ji := range p.jobs {
			if o := p.u.jobs[ji]; o.req != j.req {
				for _, c := range o.cands {
					others[c] = true
				}
			}
		}
		for _, c := range j.cands {
			m := p.u.solv[c]
			for _, d := range m.confs {
				for _, q := range d.prov {
					if others[q] && p.u.solv[q].name != m.name {
						dep := d.dep
						if d.self {
							dep = "module(" + m.s.Name + ")"
						}
						out = append(out, fmt.Sprintf("%s conflicts with %s provided by %s", m.label(), dep, p.u.solv[q].label()))
					}
				}
			}
			for _, d := range m.reqs {
				out = append(out, fmt.Sprintf("%s requires %s, but none of the providers can be installed", m.label(), d.dep))
			}
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 8 {
		out = append(out[:8], fmt.Sprintf("(%d more)", len(out)-8))
	}
	return out
}
