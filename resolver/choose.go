package resolver

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modkit/modkit/modulemd"
)

// ChooseOptions adjust [Choose]; nil means defaults.
type ChooseOptions struct {
	// Platform is dnf's module_platform_id ("platform:f39"): the virtual base
	// module the client provides (an installed module solvable that
	// provides module(platform), module(platform:f39) and
	// module(platform:f39:0)). Empty means none.
	Platform string
	// Arch is the client's architecture; builds with another non-noarch arch
	// cannot be installed. Empty accepts every arch.
	Arch string
	// Obsoletes applies module_obsoletes as dnf does when it sets up the
	// sack: an enabled stream with an active obsoletes is replaced by its
	// successor, or reset when the obsoletes names none (end of life).
	// Default streams are not obsoleted.
	Obsoletes bool
	// Now is the clock for obsoletes activeness; nil means time.Now.
	Now func() time.Time
}

// SolveResult is libdnf's ModuleErrorType: how the module solve went.
type SolveResult int

const (
	// SolveOK: every enabled and default stream could be used.
	SolveOK SolveResult = iota
	// SolveErrorInDefaults: the enabled streams could be used, some default
	// streams (or some of their versions) not; those were left out.
	SolveErrorInDefaults
	// SolveError: the enabled streams themselves could not all be used;
	// the modules in conflict were excluded and the rest solved as wishes.
	SolveError
	// SolveCannotResolve: even that failed; no module is active.
	SolveCannotResolve
)

func (r SolveResult) String() string {
	switch r {
	case SolveOK:
		return "ok"
	case SolveErrorInDefaults:
		return "error in defaults"
	case SolveError:
		return "error"
	default:
		return "cannot resolve modules"
	}
}

// Origin says why a stream takes part in the module solve.
type Origin int

const (
	// OriginEnabled: the user enabled the stream (state=enabled).
	OriginEnabled Origin = iota
	// OriginDefault: the stream is the module's default and the module is in
	// its default state.
	OriginDefault
	// OriginDependency: an active build requires the module (libdnf pulls
	// it in through module(name) or module(name:stream) provides).
	OriginDependency
)

func (o Origin) String() string {
	switch o {
	case OriginEnabled:
		return "enabled"
	case OriginDefault:
		return "default"
	default:
		return "dependency"
	}
}

// SolveProblem is one of dnf's "Modular dependency problems": a request of
// the module solve that could not be met.
type SolveProblem struct {
	// Request is the module(name:stream:version) request that failed.
	Request string
	// Module and Stream name the requested stream; Origin says whose request
	// it is (the user's enabled stream or a default).
	Module, Stream string
	Origin         Origin
	// Rules are libsolv's explanation, one line each ("nothing provides
	// module(x) needed by module a:1:1:c.x86_64").
	Rules []string
}

func (p SolveProblem) String() string {
	return fmt.Sprintf("%s stream %s:%s: conflicting requests: %s", p.Origin, p.Module, p.Stream, strings.Join(p.Rules, "; "))
}

// Choice is the outcome of dnf's module solve.
type Choice struct {
	// Streams maps each module with an active build to its active stream.
	Streams map[string]string
	// Enabled, Default and PulledIn partition Streams by why the stream is
	// active: enabled in the state, the module's default stream, or pulled
	// in by the requires of another active build.
	Enabled, Default, PulledIn map[string]string
	// Contexts maps each active name:stream to its one active context in
	// libdnf's sense: the static context, or the requires string shared by
	// the builds with equal runtime requires ("NoRequires", "mb;mc:[1]").
	// Every build (every version) of that context is active.
	Contexts map[string]string
	// Active lists the active builds, sorted by NSVC.
	Active []*modulemd.Stream
	// Result is how the solve went; Problems explain anything but SolveOK.
	Result   SolveResult
	Problems []SolveProblem
	// Switched maps name:stream to the name:stream that replaced it through
	// an obsoletes, or to "" when the obsoletes reset the module (with
	// ChooseOptions.Obsoletes).
	Switched map[string]string
	// EOL lists active name:streams with an active end-of-life obsoletes
	// that names no successor.
	EOL []string

	pool   *modPool
	active map[*modulemd.Stream]bool
	idx    *modulemd.Index
	flt    *choiceFilter
}

// choiceFilter is the package filter of a Choice, computed on first use.
type choiceFilter struct {
	once    sync.Once
	include map[string]bool // NEVRAs of active artifacts
	exclude map[string]bool // NEVRAs of inactive artifacts
	names   map[string]bool // package names of active artifacts
}

// IsActive reports whether the build s is active.
func (c *Choice) IsActive(s *modulemd.Stream) bool { return c.active[s] }

// ProblemLines returns the problems as dnf prints them under "Modular
// dependency problems:".
func (c *Choice) ProblemLines() []string {
	var out []string
	for i, p := range c.Problems {
		out = append(out, fmt.Sprintf(" Problem %d: conflicting requests", i+1))
		for _, r := range p.Rules {
			out = append(out, "  - "+r)
		}
	}
	return out
}

// Choose computes which module builds a dnf client (libdnf 0.69) treats as
// active for idx and state, by libdnf's rules:
//
//   - every build of an enabled stream and, for modules in their default
//     state, of the default stream is requested as
//     module(name:stream:version); enabled requests are hard, default ones
//     first hard, then (when the whole set fails) wishes that are dropped;
//   - each build requires, from every dependency block, every module it
//     names: module(name) for an empty or negative-only list, otherwise one
//     of module(name:stream); a "-stream" is a conflict; builds of one
//     module's different streams conflict;
//   - a requirement is met by any build of any stream that provides it, so a
//     module with no enabled or default stream is pulled in, and a default
//     stream that cannot be used gives way to another stream;
//   - one build per requested name:stream:version is chosen, the first by
//     name (lowest context) that can be installed with the rest;
//   - when the enabled streams fail, the builds in conflict are excluded and
//     everything is retried as wishes; when that fails no module is active.
//
// Disabled modules never take part. The [Choice] also answers the modular
// filter ([Choice.Hidden]).
func Choose(idx *modulemd.Index, state *State, opts *ChooseOptions) (*Choice, error) {
	if idx == nil {
		return nil, fmt.Errorf("%w: no index", ErrInput)
	}
	if opts == nil {
		opts = &ChooseOptions{}
	}
	var platName, platStream string
	if opts.Platform != "" {
		var ok bool
		platName, platStream, ok = strings.Cut(opts.Platform, ":")
		if !ok || platName == "" || platStream == "" {
			return nil, fmt.Errorf("%w: platform %q: expected name:stream", ErrInput, opts.Platform)
		}
	}
	return chooseWith(newTemplate(idx, opts.Arch, platName, platStream), idx, state, opts), nil
}

// chooseWith is Choose over a prepared template of idx.
func chooseWith(t *poolTemplate, idx *modulemd.Index, state *State, opts *ChooseOptions) *Choice {
	c := &Choice{Switched: map[string]string{}}
	state = applyObsoletes(idx, state, opts, c)
	u := t.instantiate(state)
	c.pool = u
	res := u.solve()
	c.Result = res.result
	c.Problems = res.problems
	c.fill(idx, u, res, opts)
	return c
}

// applyObsoletes returns the state with module obsoletes applied
// (module_obsoletes=True), recording the switches in c.
func applyObsoletes(idx *modulemd.Index, state *State, opts *ChooseOptions, c *Choice) *State {
	if !opts.Obsoletes {
		return state
	}
	st, switched := obsoleteState(idx, state)
	maps.Copy(c.Switched, switched)
	return st
}

// obsoleteState is libdnf's ModulePackageContainer::applyObsoletes, which
// dnf runs when it sets up the sack with module_obsoletes=True: for each
// build in pool order whose stream is enabled, the obsoletes associated
// with the build (the newest active one for its stream and context, not a
// reset: [modulemd.Module.StreamObsoletes]) enables its successor and
// resets the obsoleted module when the successor is another module, unless
// the successor's module is disabled; an end-of-life obsoletes without a
// successor resets the module. Default streams are never obsoleted. The
// changes are in memory: dnf saves them only with a command that saves the
// module state. It returns the new state and the switches, name:stream to
// name:stream ("" for a reset).
func obsoleteState(idx *modulemd.Index, state *State) (*State, map[string]string) {
	st := state.Clone()
	switched := map[string]string{}
	for _, m := range idx.Modules() {
		for _, b := range m.StreamsInOrder() {
			if st.Enabled(b.Name) != b.Stream {
				continue
			}
			o := m.StreamObsoletes(b)
			if o == nil {
				continue
			}
			from := b.Name + ":" + b.Stream
			if to := o.ObsoletedBy; to != nil {
				if st.Status(to.Module) == StatusDisabled {
					continue
				}
				e := st.entry(to.Module)
				if e.Stream != to.Stream || e.Status != StatusEnabled {
					e.Stream, e.Status, e.Profiles = to.Stream, StatusEnabled, nil
				}
				if to.Module != b.Name {
					r := st.entry(b.Name)
					r.Status, r.Stream, r.Profiles = StatusDefault, "", nil
				}
				switched[from] = to.Module + ":" + to.Stream
				continue
			}
			r := st.entry(b.Name)
			r.Status, r.Stream, r.Profiles = StatusDefault, "", nil
			switched[from] = ""
		}
	}
	return st, switched
}

// fill computes the exported views and the package filter.
func (c *Choice) fill(idx *modulemd.Index, u *modPool, res *solveOutcome, opts *ChooseOptions) {
	c.Streams, c.Enabled, c.Default, c.PulledIn = map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}
	c.Contexts = map[string]string{}
	c.active = map[*modulemd.Stream]bool{}
	c.idx = idx
	c.flt = &choiceFilter{}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	for _, id := range res.installed {
		b := u.solv[id].s
		c.active[b] = true
		c.Active = append(c.Active, b)
		c.Streams[b.Name] = b.Stream
		c.Contexts[b.Name+":"+b.Stream] = strings.TrimPrefix(u.solv[id].name, b.Name+":"+b.Stream+":")
		switch {
		case u.state.Enabled(b.Name) == b.Stream:
			c.Enabled[b.Name] = b.Stream
		case res.keptDefault[b.Name+":"+b.Stream]:
			c.Default[b.Name] = b.Stream
		default:
			c.PulledIn[b.Name] = b.Stream
		}
		if opts.Obsoletes {
			if o := idx.Module(b.Name).ActiveObsoletesAt(b.Stream, b.Context, now()); o != nil && o.ObsoletedBy == nil {
				c.EOL = append(c.EOL, b.Name+":"+b.Stream)
			}
		}
	}
	for n, s := range c.Default {
		if c.Enabled[n] == s {
			delete(c.Default, n)
		}
	}
	slices.SortFunc(c.Active, func(a, b *modulemd.Stream) int { return strings.Compare(a.NSVC(), b.NSVC()) })
	slices.Sort(c.EOL)
	c.EOL = slices.Compact(c.EOL)
}

// buildFilter computes the package filter on first use: the NEVRAs of
// active and inactive artifacts and the package names active builds ship.
func (c *Choice) buildFilter() {
	f := c.flt
	f.include, f.exclude, f.names = map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, b := range c.Active {
		for _, a := range b.Artifacts.RPMs {
			f.include[a] = true
			if n, err := modulemd.ParseNEVRA(a); err == nil && n.Arch != "src" && n.Arch != "nosrc" {
				f.names[n.Name] = true
			}
		}
	}
	if c.idx == nil {
		return
	}
	for _, s := range c.idx.Streams() {
		if c.active[s] {
			continue
		}
		for _, a := range s.Artifacts.RPMs {
			if !f.include[a] {
				f.exclude[a] = true
			}
		}
	}
	// Demodularized packages of active builds are ordinary packages again.
	for _, b := range c.Active {
		for _, d := range b.Demodularized {
			delete(f.names, d)
		}
	}
}

// Hidden reports whether the modular filter hides the package with this NEVRA
// ("name-epoch:version-release.arch", epoch optional): an artifact of a build
// that is not active, or a non-modular package whose name an active build
// ships.
func (c *Choice) Hidden(nevra string) bool {
	if c.flt == nil {
		return false // a zero Choice: nothing is modular
	}
	c.flt.once.Do(c.buildFilter)
	f := c.flt
	n, err := modulemd.ParseNEVRA(nevra)
	if err != nil {
		return false
	}
	full := n.String()
	if f.include[full] || f.include[nevra] {
		return false
	}
	if f.exclude[full] || f.exclude[nevra] {
		return true
	}
	return f.names[n.Name]
}

// Filter splits package NEVRAs into those a client sees and those the
// modular filter hides, each in input order.
func (c *Choice) Filter(nevras []string) (visible, hidden []string) {
	for _, p := range nevras {
		if c.Hidden(p) {
			hidden = append(hidden, p)
		} else {
			visible = append(visible, p)
		}
	}
	return visible, hidden
}
