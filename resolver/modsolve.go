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
}

// mjob is one module(N:S) request.
type mjob struct {
	req            string
	module, stream string
	enabled        bool
	cands          []int
}

type modPool struct {
	solv     []msolv
	provides map[string][]int
	jobs     []mjob
	state    *State
	platform int // solvable id of the platform, -1 when none
	comp     []int
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
	for _, d := range s.Dependencies {
		for _, rn := range sortedKeys(d.Requires) {
			if rn == "platform" {
				continue
			}
			l := d.Requires[rn]
			if len(l) == 0 {
				parts = append(parts, rn)
				continue
			}
			l = slices.Clone(l)
			slices.Sort(l)
			parts = append(parts, rn+":["+strings.Join(l, ",")+"]")
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, ";")
}

// solvableContexts computes libdnf's context of every build: the static
// context, else the context of a static build of the stream with the same
// requires, else the requires string ("NoRequires" when empty).
func solvableContexts(streams []*modulemd.Stream) map[*modulemd.Stream]string {
	out := map[*modulemd.Stream]string{}
	static := map[string]map[string]string{} // N:S -> requires -> context
	for _, s := range streams {
		if s.StaticContext {
			out[s] = s.Context
			ns := s.Name + ":" + s.Stream
			if static[ns] == nil {
				static[ns] = map[string]string{}
			}
			if _, ok := static[ns][RequiresString(s)]; !ok {
				static[ns][RequiresString(s)] = s.Context
			}
		}
	}
	for _, s := range streams {
		if s.StaticContext {
			continue
		}
		r := RequiresString(s)
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

func newUniverse(idx *modulemd.Index, state *State, arch, platName, platStream string) *modPool {
	if state == nil {
		state = &State{}
	}
	u := &modPool{provides: map[string][]int{}, state: state, platform: -1}
	add := func(s *modulemd.Stream, name, stream, context string, ver uint64, a string, usable bool) int {
		id := len(u.solv)
		u.solv = append(u.solv, msolv{s: s, name: name + ":" + stream + ":" + context, ver: ver, arch: a, usable: usable})
		if usable {
			for _, p := range []string{"module(" + name + ")", "module(" + name + ":" + stream + ")"} {
				u.provides[p] = append(u.provides[p], id)
			}
		}
		return id
	}
	if platName != "" {
		u.platform = add(nil, platName, platStream, "00000000", 0, "noarch", true)
	}
	all := idx.Streams()
	ctx := solvableContexts(all)
	for _, s := range all {
		a := s.Arch
		if a == "" {
			a = "noarch"
		}
		usable := state.Status(s.Name) != StatusDisabled &&
			(arch == "" || a == "noarch" || a == arch || (a == "i686" && arch == "x86_64"))
		add(s, s.Name, s.Stream, ctx[s], s.Version, a, usable)
	}
	for id := range u.solv {
		m := &u.solv[id]
		if m.s == nil {
			continue
		}
		for _, d := range m.s.Dependencies {
			for _, rn := range sortedKeys(d.Requires) {
				var pos []string
				for _, st := range d.Requires[rn] {
					// libdnf treats any stream containing '-' as a negation
					// of the stream without its first character.
					if strings.Contains(st, "-") {
						dep := "module(" + rn + ":" + st[1:] + ")"
						m.confs = append(m.confs, mdep{dep, u.provides[dep]})
					} else {
						pos = append(pos, "module("+rn+":"+st+")")
					}
				}
				switch len(pos) {
				case 0:
					dep := "module(" + rn + ")"
					m.reqs = append(m.reqs, mdep{dep, u.provides[dep]})
				default:
					var prov []int
					for _, p := range pos {
						prov = append(prov, u.provides[p]...)
					}
					slices.Sort(prov)
					dep := pos[0]
					if len(pos) > 1 {
						dep = "(" + strings.Join(pos, " or ") + ")"
					}
					m.reqs = append(m.reqs, mdep{dep, slices.Compact(prov)})
				}
			}
		}
		dep := "module(" + m.s.Name + ")"
		m.confs = append(m.confs, mdep{dep, u.provides[dep]})
	}
	// Jobs: enabled streams, and default streams of modules in their
	// default state, in index order.
	defaults := idx.DefaultStreams()
	seen := map[string]bool{}
	for id := range u.solv {
		s := u.solv[id].s
		if s == nil || state.Status(s.Name) == StatusDisabled {
			continue
		}
		enabled := state.Enabled(s.Name) == s.Stream
		if !enabled && (state.Status(s.Name) == StatusEnabled || defaults[s.Name] != s.Stream) {
			continue
		}
		req := "module(" + s.Name + ":" + s.Stream + ")"
		if seen[req] {
			continue
		}
		seen[req] = true
		u.jobs = append(u.jobs, mjob{req: req, module: s.Name, stream: s.Stream, enabled: enabled, cands: u.provides[req]})
	}
	u.components()
	return u
}

// components splits the solvables into independent parts (joined by
// requires, conflicts and jobs; the always-installed platform joins nothing).
func (u *modPool) components() {
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
	for id, m := range u.solv {
		for _, d := range m.reqs {
			for _, p := range d.prov {
				union(id, p)
			}
		}
		for _, d := range m.confs {
			for _, p := range d.prov {
				union(id, p)
			}
		}
	}
	for _, j := range u.jobs {
		for _, c := range j.cands[min(1, len(j.cands)):] {
			union(j.cands[0], c)
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
	ids   []int       // solvables of the component (the platform excluded)
	v     map[int]int // solvable id -> variable
	base  [][]int
	pairs [][2]int // conflicting solvables
	// pairOff disables conflicts (by index in pairs) while looking for
	// the conflicts a failure needs.
	pairOff map[int]bool
	jobs    []int // indexes into u.jobs
	exclu   map[int]bool
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
			p = &part{u: u, v: map[int]int{}}
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
			p = &part{u: u, v: map[int]int{}}
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
		p.v[id] = i + 1
	}
	p.base, p.pairs, p.pairOff = p.base[:0], p.pairs[:0], nil
	lit := func(id int) (int, bool) {
		if id == p.u.platform {
			return 0, true
		}
		return p.v[id], false
	}
	for _, id := range p.ids {
		m := p.u.solv[id]
		x := p.v[id]
		if !m.usable || p.exclu[id] {
			p.base = append(p.base, []int{-x})
			continue
		}
		for _, d := range m.reqs {
			cl := []int{-x}
			sat := false
			for _, q := range d.prov {
				if l, plat := lit(q); plat {
					sat = true
				} else if !p.exclu[q] {
					cl = append(cl, l)
				}
			}
			if !sat {
				p.base = append(p.base, cl)
			}
		}
		for _, d := range m.confs {
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
			cl = append(cl, p.v[c])
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

// sat reports whether base plus extra clauses has a model.
func (p *part) sat(extra ...[]int) bool {
	cnf := make([][]int, 0, len(p.base)+len(p.pairs)+len(extra))
	cnf = append(cnf, p.base...)
	for i, pr := range p.pairs {
		if !p.pairOff[i] {
			cnf = append(cnf, []int{-p.v[pr[0]], -p.v[pr[1]]})
		}
	}
	for _, e := range extra {
		if len(e) == 0 {
			return false
		}
		cnf = append(cnf, e)
	}
	if len(p.ids) == 0 {
		return true
	}
	pb := solver.ParseSliceNb(cnf, len(p.ids))
	if pb.Status == solver.Unsat {
		return false
	}
	return solver.New(pb).Solve() == solver.Sat
}

// run solves the component with the given jobs hard and the others as
// wishes. It returns the installed solvables, the jobs kept, and false when
// the hard jobs cannot hold together.
func (p *part) run(hard func(ji int) bool, best bool) (installed []int, kept map[int]bool, ok bool) {
	var cons [][]int
	for _, ji := range p.jobs {
		if hard(ji) {
			cons = append(cons, p.jobClause(ji, best))
		}
	}
	if !p.sat(cons...) {
		return nil, nil, false
	}
	// Wishes that cannot all hold: libsolv disables the last weak rule of
	// each proof of unsolvability, and the first wishes' rules are the last
	// ones it meets (their best rules follow the job rules), so later wishes
	// win; they are kept from the last one backwards.
	kept = map[int]bool{}
	for i := len(p.jobs) - 1; i >= 0; i-- {
		ji := p.jobs[i]
		if hard(ji) {
			kept[ji] = true
			continue
		}
		cl := p.jobClause(ji, best)
		if p.sat(append(cons, cl)...) {
			cons = append(cons, cl)
			kept[ji] = true
		}
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
			if p.sat(append(cons, []int{p.v[c]})...) {
				cons = append(cons, []int{p.v[c]})
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

// solve runs libdnf's three attempts over every component.
func (u *modPool) solve() *solveOutcome {
	out := &solveOutcome{keptDefault: map[string]bool{}}
	parts := u.parts()
	allHard := func(int) bool { return true }
	enabledHard := func(ji int) bool { return u.jobs[ji].enabled }
	failed1 := map[*part]bool{}
	for _, p := range parts {
		p.clauses()
		if _, _, ok := p.run(allHard, true); !ok {
			failed1[p] = true
			out.problems = append(out.problems, p.explain()...)
		}
	}
	type res struct {
		inst []int
		kept map[int]bool
	}
	results := map[*part]res{}
	if len(failed1) == 0 {
		out.result = SolveOK
		for _, p := range parts {
			inst, kept, _ := p.run(allHard, true)
			results[p] = res{inst, kept}
		}
	} else {
		out.result = SolveErrorInDefaults
		failed2 := map[*part]bool{}
		for _, p := range parts {
			inst, kept, ok := p.run(enabledHard, true)
			if !ok {
				failed2[p] = true
				continue
			}
			results[p] = res{inst, kept}
		}
		if len(failed2) > 0 {
			out.result = SolveError
			for p := range failed2 {
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
// needs. A failure that holds without any conflict (a requirement nothing
// meets) has none.
func (p *part) conflictPkgs(hard func(int) bool) map[int]bool {
	var cons [][]int
	for _, ji := range p.jobs {
		if hard(ji) {
			cons = append(cons, p.jobClause(ji, true))
		}
	}
	ex := map[int]bool{}
	p.pairOff = map[int]bool{}
	for i := range p.pairs {
		p.pairOff[i] = true
	}
	if !p.sat(cons...) {
		p.pairOff = nil
		return ex
	}
	// Deletion-based minimal set of needed conflicts.
	p.pairOff = map[int]bool{}
	for i := range p.pairs {
		p.pairOff[i] = true
		if p.sat(cons...) {
			p.pairOff[i] = false
		}
	}
	for i, pr := range p.pairs {
		if !p.pairOff[i] {
			ex[pr[0]], ex[pr[1]] = true, true
		}
	}
	p.pairOff = nil
	return ex
}

// explain lists the requests of a component that cannot hold together with
// the ones before them, with libsolv-style rules.
func (p *part) explain() []SolveProblem {
	var out []SolveProblem
	var cons [][]int
	for _, ji := range p.jobs {
		j := p.u.jobs[ji]
		cl := p.jobClause(ji, true)
		if p.sat(append(cons, cl)...) {
			cons = append(cons, cl)
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

// rules explains why no candidate of j can be installed.
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
			if slices.Contains(d.prov, p.u.platform) {
				continue
			}
			usable, installable := 0, false
			for _, q := range d.prov {
				if p.u.solv[q].usable && !p.exclu[q] {
					usable++
					if !installable && p.sat([]int{p.v[q]}) {
						installable = true
					}
				}
			}
			if usable == 0 {
				out = append(out, fmt.Sprintf("nothing provides %s needed by %s", d.dep, m.label()))
			} else if !installable {
				out = append(out, fmt.Sprintf("%s requires %s, but none of the providers can be installed", m.label(), d.dep))
			}
		}
	}
	if len(out) == 0 {
		for _, c := range j.cands {
			m := p.u.solv[c]
			for _, d := range m.confs {
				for _, q := range d.prov {
					if q == c || p.u.solv[q].name == m.name {
						continue
					}
					o := p.u.solv[q]
					out = append(out, fmt.Sprintf("%s conflicts with %s provided by %s", m.label(), d.dep, o.label()))
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
