package resolver

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/modkit/modkit/modulemd"
)

// Client answers what a dnf 4 client (libdnf 0.69) does with module
// commands, over module metadata, the packages of the repositories, the
// installed packages and the persisted module state. Operations never change
// the Client; each returns the state and package changes dnf would make.
type Client struct {
	// Index holds the modules and defaults of every repository.
	Index *modulemd.Index
	// Packages are the NEVRAs ("name-epoch:version-release.arch") of every
	// package the repositories carry, modular or not.
	Packages []string
	// Installed are the NEVRAs of the installed packages.
	Installed []string
	// State is the persisted module state (/etc/dnf/modules.d).
	State *State
	// Options are the module solve's options (platform, arch).
	Options *ChooseOptions
	// StreamSwitch is dnf's module_stream_switch: allow enable and install to
	// change an enabled stream.
	StreamSwitch bool

	cache *clientCache
}

// clientCache keeps what a Client computed: the index's solvables and the
// module solve of every state seen. It assumes Index and Options do not
// change while the Client is used; a Client is not safe for concurrent use.
type clientCache struct {
	tmpl  *poolTemplate
	memo  map[string]*Choice
	opts  ChooseOptions
	index *modulemd.Index
}

// choose is Choose for st, memoized.
func (c *Client) choose(st *State) (*Choice, error) {
	opts := c.Options
	if opts == nil {
		opts = &ChooseOptions{}
	}
	if c.cache == nil || c.cache.index != c.Index || c.cache.opts.Platform != opts.Platform || c.cache.opts.Arch != opts.Arch {
		if _, err := Choose(modulemd.NewIndex(nil), nil, opts); err != nil {
			return nil, err
		}
		platName, platStream, _ := strings.Cut(opts.Platform, ":")
		c.cache = &clientCache{tmpl: newTemplate(c.Index, opts.Arch, platName, platStream), memo: map[string]*Choice{}, opts: *opts, index: c.Index}
	}
	key := stateKey(st)
	if ch := c.cache.memo[key]; ch != nil {
		return ch, nil
	}
	// The operations apply the obsoletes once, to the state they start
	// from (startState); the solves within a command do not (dnf's sack
	// updates run with update_only).
	inner := *opts
	inner.Obsoletes = false
	ch := chooseWith(c.cache.tmpl, c.Index, st, &inner)
	if len(c.cache.memo) > 64 {
		clear(c.cache.memo)
	}
	c.cache.memo[key] = ch
	return ch, nil
}

// stateKey identifies what of a state the module solve reads.
func stateKey(st *State) string {
	if st == nil {
		return ""
	}
	var b strings.Builder
	for _, n := range sortedKeys(st.Modules) {
		m := st.Modules[n]
		if m.Status == StatusDefault {
			continue
		}
		b.WriteString(n)
		b.WriteByte(0)
		b.WriteString(m.Stream)
		b.WriteByte(0)
		b.WriteString(string(m.Status))
		b.WriteByte(1)
	}
	return b.String()
}

// ProblemKind classifies an operation's problem.
type ProblemKind int

const (
	// NoMatch: no module matches the argument ("Unable to resolve argument").
	NoMatch ProblemKind = iota
	// MultipleStreams: the argument names no stream and the module has
	// several, none enabled or default.
	MultipleStreams
	// NotActive: the requested stream has no active build (its
	// requirements cannot be met).
	NotActive
	// NoProfile: the named profile does not exist, or the stream has no
	// default profile.
	NoProfile
	// NoPackage: a profile names a package no repository has.
	NoPackage
	// ModularDependency: the module solve failed (see Request).
	ModularDependency
	// StreamSwitch: the operation would switch an enabled stream.
	StreamSwitch
	// NoPackageMatch: `dnf install NAME` found no package of that name.
	NoPackageMatch
)

func (k ProblemKind) String() string {
	return [...]string{"no match", "multiple streams", "not active", "no profile", "no package",
		"modular dependency problem", "stream switch", "no package match"}[k]
}

// Problem is one reason an operation failed or warned.
type Problem struct {
	Kind ProblemKind
	// Arg is the command-line argument (spec) the problem blocks, if any.
	Arg string
	// Origin, for a modular dependency problem, says whose request it
	// blocks: the user's enabled stream or a default stream.
	Origin Origin
	// Module and Stream name the stream concerned, when known.
	Module, Stream string
	// Blocking is set when dnf fails because of the problem (exit status 1).
	Blocking bool
	// Message is what dnf prints.
	Message string
}

func (p *Problem) Error() string { return p.Message }

// ErrOperation is wrapped by the error of a failed operation.
var ErrOperation = errors.New("module operation failed")

// OpError is a failed operation: dnf exits 1 and saves nothing.
type OpError struct{ Problems []*Problem }

func (e *OpError) Error() string {
	var msgs []string
	for _, p := range e.Problems {
		if p.Blocking {
			msgs = append(msgs, p.Message)
		}
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns ErrOperation.
func (e *OpError) Unwrap() error { return ErrOperation }

// Result is what one dnf command does.
type Result struct {
	// State is the module state dnf saves (the old state when it fails).
	State *State
	// Choice is the module solve after the command.
	Choice *Choice
	// Install and Remove are the packages the transaction installs and
	// removes; Installed is the installed set afterwards.
	Install, Remove, Installed []string
	// Enabled lists the name:streams the command enables (dnf's "Enabling
	// module streams").
	Enabled []string
	// Switched are the module obsoletes dnf applied when it set up the
	// sack (Options.Obsoletes): name:stream to its successor, or "" for a
	// reset.
	Switched map[string]string
	// Problems are every problem, blocking or not; Err is non-nil (an
	// *OpError) when dnf fails.
	Problems []*Problem
	Err      error
}

// DependencyProblem reports whether dnf prints "Modular dependency
// problems" while running the command.
func (r *Result) DependencyProblem() bool {
	for _, p := range r.Problems {
		if p.Kind == ModularDependency {
			return true
		}
	}
	return false
}

// op is one command in progress.
type op struct {
	c        *Client
	st       *State
	start    *Choice
	res      *Result
	defaults map[string]string
}

func (c *Client) begin() (*op, error) {
	if c.Index == nil {
		return nil, fmt.Errorf("%w: no index", ErrInput)
	}
	st, switched := c.startState()
	ch, err := c.choose(st)
	if err != nil {
		return nil, err
	}
	o := &op{c: c, st: st.Clone(), start: ch, res: &Result{Switched: switched}, defaults: c.Index.DefaultStreams()}
	o.solverProblems(ch, "")
	return o, nil
}

// startState is the state dnf works from when it has set up the sack: the
// persisted state with the module obsoletes applied (with
// Options.Obsoletes), and the switches they made.
func (c *Client) startState() (*State, map[string]string) {
	if c.Options == nil || !c.Options.Obsoletes {
		return c.State, nil
	}
	st, switched := obsoleteState(c.Index, c.State)
	if len(switched) == 0 {
		return c.State, nil
	}
	return st, switched
}

// Current is the module solve for the client's state as dnf sees it
// (obsoletes applied with Options.Obsoletes), as `dnf module list` or
// `dnf repoquery` shows it.
func (c *Client) Current() (*Choice, error) {
	if c.Index == nil {
		return nil, fmt.Errorf("%w: no index", ErrInput)
	}
	st, switched := c.startState()
	ch, err := c.choose(st)
	if err == nil && len(switched) > 0 {
		cp := *ch
		cp.Switched = switched
		return &cp, nil
	}
	return ch, err
}

func (o *op) problem(p *Problem) { o.res.Problems = append(o.res.Problems, p) }

// solverProblems records the modular dependency problems of ch; when arg is
// set and the solve failed beyond the defaults, they block.
func (o *op) solverProblems(ch *Choice, arg string) bool {
	if ch.Result != SolveOK && len(ch.Problems) == 0 {
		// libdnf reports the failure with no rule it can describe (a
		// best-candidate rule).
		o.problem(&Problem{Kind: ModularDependency, Arg: arg, Blocking: arg != "" && ch.Result != SolveErrorInDefaults,
			Message: "Modular dependency problems: " + ch.Result.String()})
		return true
	}
	for _, sp := range ch.Problems {
		o.problem(&Problem{Kind: ModularDependency, Arg: arg, Origin: sp.Origin, Module: sp.Module, Stream: sp.Stream,
			Blocking: arg != "" && ch.Result != SolveErrorInDefaults,
			Message:  "Modular dependency problem: conflicting requests: " + strings.Join(sp.Rules, "; ")})
	}
	return ch.Result != SolveOK
}

// spec is a parsed module argument NAME[:STREAM[:VERSION[:CONTEXT]]][/PROFILE].
type spec struct {
	arg, name, stream, version, context, profile string
}

func parseSpec(arg string) spec {
	s := spec{arg: arg}
	rest, prof, _ := strings.Cut(arg, "/")
	s.profile = prof
	parts := strings.Split(rest, ":")
	s.name = parts[0]
	if len(parts) > 1 {
		s.stream = parts[1]
	}
	if len(parts) > 2 {
		s.version = parts[2]
	}
	if len(parts) > 3 {
		s.context = parts[3]
	}
	return s
}

// query returns the builds matching the spec (all builds, active or not).
func (o *op) query(s spec) []*modulemd.Stream {
	var out []*modulemd.Stream
	for _, b := range o.c.Index.Streams() {
		if !globMatch(s.name, b.Name) || (s.stream != "" && !globMatch(s.stream, b.Stream)) ||
			(s.version != "" && s.version != fmt.Sprint(b.Version)) || (s.context != "" && !globMatch(s.context, b.Context)) {
			continue
		}
		out = append(out, b)
	}
	return out
}

func globMatch(pattern, s string) bool {
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

// streamDict groups builds by module and picks one stream per module the
// way dnf's _create_module_dict_and_enable does.
func (o *op) streamDict(s spec, builds []*modulemd.Stream, enable bool) (map[string]string, *Problem) {
	streams := map[string][]string{}
	for _, b := range builds {
		if !slices.Contains(streams[b.Name], b.Stream) {
			streams[b.Name] = append(streams[b.Name], b.Stream)
		}
	}
	out := map[string]string{}
	for _, name := range sortedKeys(streams) {
		list := streams[name]
		if len(list) == 1 {
			out[name] = list[0]
			if enable {
				o.enable(name, list[0])
			}
			continue
		}
		status := o.st.Status(name)
		def := o.defaults[name]
		if status == StatusDefault && def == "" {
			slices.SortFunc(list, compareStreamEVR)
			return nil, &Problem{Kind: MultipleStreams, Arg: s.arg, Module: name, Blocking: true,
				Message: fmt.Sprintf("Argument '%s' matches %d streams ('%s') of module '%s', but none of the streams are enabled or default",
					s.arg, len(list), strings.Join(list, "', '"), name)}
		}
		stream := def
		if status == StatusEnabled {
			stream = o.st.Enabled(name)
		}
		if stream == "" || !slices.Contains(list, stream) {
			return nil, &Problem{Kind: MultipleStreams, Arg: s.arg, Module: name, Blocking: true,
				Message: fmt.Sprintf("Cannot enable multiple streams for module '%s'", name)}
		}
		out[name] = stream
		if enable {
			o.enable(name, stream)
		}
	}
	return out, nil
}

// compareStreamEVR orders stream names as rpm's version comparison does.
func compareStreamEVR(a, b string) int { return modulemd.CompareVersions(a, b) }

// enable is libdnf's ModulePackageContainer::enable.
func (o *op) enable(name, stream string) {
	e := o.st.entry(name)
	if e.Stream != stream || e.Status != StatusEnabled {
		e.Stream, e.Status, e.Profiles = stream, StatusEnabled, nil
	}
}

// enableDependencies is enableDependencyTree: every active build of the
// requested streams is enabled with, transitively, the active builds that
// provide its requires.
func (o *op) enableDependencies(ch *Choice, name, stream string) {
	var builds []*modulemd.Stream
	for _, b := range ch.Active {
		if b.Name == name && b.Stream == stream {
			builds = append(builds, b)
		}
	}
	o.enableTree(ch, builds)
}

// enableTree is libdnf's enableDependencyTree over the given active builds:
// each is enabled with, transitively, the active builds that provide its
// requires.
func (o *op) enableTree(ch *Choice, builds []*modulemd.Stream) {
	u := ch.pool
	var queue []int
	done := map[int]bool{}
	for _, b := range builds {
		if ch.active[b] {
			queue = append(queue, u.idOf[b])
		}
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if done[id] {
			continue
		}
		done[id] = true
		b := u.solv[id].s
		o.enable(b.Name, b.Stream)
		for _, d := range u.solv[id].reqs {
			for _, q := range d.prov {
				if qs := u.solv[q].s; qs != nil && ch.active[qs] && !done[q] {
					queue = append(queue, q)
				}
			}
		}
	}
}

// finish applies dnf's transaction checks and computes the results.
func (o *op) finish(blocking bool) (*Result, error) {
	r := o.res
	if !blocking && !o.c.StreamSwitch {
		for _, name := range sortedKeys(o.st.Modules) {
			was := o.c.State.Enabled(name)
			now := o.st.Modules[name]
			if was != "" && now.Status == StatusEnabled && now.Stream != was {
				o.problem(&Problem{Kind: StreamSwitch, Module: name, Stream: now.Stream, Blocking: true,
					Message: fmt.Sprintf("The operation would result in switching of module '%s' stream '%s' to stream '%s'", name, was, now.Stream)})
				blocking = true
			}
		}
	}
	if blocking {
		for _, p := range r.Problems {
			if p.Blocking {
				r.Err = &OpError{Problems: r.Problems}
				break
			}
		}
		if r.Err == nil {
			r.Err = &OpError{Problems: append(r.Problems, &Problem{Blocking: true, Message: "operation failed"})}
		}
		r.State = o.c.State.Clone()
		r.Install, r.Remove = nil, nil
		r.Installed = slices.Clone(o.c.Installed)
		r.Enabled = nil
		ch, err := o.c.choose(r.State)
		if err != nil {
			return nil, err
		}
		r.Choice = ch
		return r, r.Err
	}
	r.State = o.st
	ch, err := o.c.choose(o.st)
	if err != nil {
		return nil, err
	}
	r.Choice = ch
	for _, name := range sortedKeys(o.st.Modules) {
		if s := o.st.Enabled(name); s != "" && o.c.State.Enabled(name) != s {
			r.Enabled = append(r.Enabled, name+":"+s)
		}
	}
	inst := map[string]bool{}
	for _, p := range o.c.Installed {
		inst[p] = true
	}
	for _, p := range r.Remove {
		delete(inst, p)
	}
	for _, p := range r.Install {
		inst[p] = true
	}
	r.Installed = sortedKeys(inst)
	return r, nil
}

// resolveSpecs enables the specs' streams, re-solves and enables their
// dependencies (module_base._resolve_specs_enable_update_sack).
func (o *op) resolveSpecs(args []string) (dicts []specDict, ch *Choice, blocking bool, err error) {
	for _, a := range args {
		s := parseSpec(a)
		builds := o.query(s)
		if len(builds) == 0 {
			o.problem(&Problem{Kind: NoMatch, Arg: a, Blocking: true, Message: "Unable to resolve argument " + a})
			blocking = true
			continue
		}
		d, p := o.streamDict(s, builds, true)
		if p != nil {
			o.problem(p)
			blocking = true
			continue
		}
		dicts = append(dicts, specDict{s, d})
	}
	ch, err = o.c.choose(o.st)
	if err != nil {
		return nil, nil, false, err
	}
	for _, d := range dicts {
		for _, name := range sortedKeys(d.streams) {
			o.enableDependencies(ch, name, d.streams[name])
		}
	}
	return dicts, ch, blocking, nil
}

type specDict struct {
	spec    spec
	streams map[string]string
}

// Enable is `dnf module enable SPEC...`.
func (c *Client) Enable(args ...string) (*Result, error) {
	o, err := c.begin()
	if err != nil {
		return nil, err
	}
	_, ch, blocking, err := o.resolveSpecs(args)
	if err != nil {
		return nil, err
	}
	if o.solverProblems(ch, strings.Join(args, " ")) && ch.Result != SolveErrorInDefaults {
		blocking = true
	}
	return o.finish(blocking)
}

// Disable is `dnf module disable SPEC...`.
func (c *Client) Disable(args ...string) (*Result, error) {
	return c.resetOrDisable(args, true)
}

// Reset is `dnf module reset SPEC...`.
func (c *Client) Reset(args ...string) (*Result, error) {
	return c.resetOrDisable(args, false)
}

func (c *Client) resetOrDisable(args []string, disable bool) (*Result, error) {
	o, err := c.begin()
	if err != nil {
		return nil, err
	}
	blocking := false
	for _, a := range args {
		s := parseSpec(a)
		builds := o.query(s)
		if len(builds) == 0 {
			o.problem(&Problem{Kind: NoMatch, Arg: a, Blocking: true, Message: "Unable to resolve argument " + a})
			blocking = true
			continue
		}
		for _, b := range builds {
			e := o.st.entry(b.Name)
			e.Stream, e.Profiles = "", nil
			if disable {
				e.Status = StatusDisabled
			} else {
				e.Status = StatusDefault
			}
		}
	}
	ch, err := c.choose(o.st)
	if err != nil {
		return nil, err
	}
	if o.solverProblems(ch, strings.Join(args, " ")) && disable && ch.Result != SolveErrorInDefaults {
		blocking = true
	}
	return o.finish(blocking)
}

// Install is `dnf module install SPEC...`: enable each stream, then install
// the named profile or the default profiles (from the defaults documents)
// of the stream's latest active build.
func (c *Client) Install(args ...string) (*Result, error) {
	o, err := c.begin()
	if err != nil {
		return nil, err
	}
	dicts, ch, blocking, err := o.resolveSpecs(args)
	if err != nil {
		return nil, err
	}
	o.solverProblems(ch, "")
	visible, _ := ch.Filter(c.Packages)
	type want struct {
		names     []string
		artifacts map[string]bool
		arg       string
	}
	var wants []want
	for _, d := range dicts {
		for _, name := range sortedKeys(d.streams) {
			stream := d.streams[name]
			active := activeMatches(ch, d.spec, name, stream)
			if len(active) == 0 {
				o.problem(&Problem{Kind: NotActive, Arg: d.spec.arg, Module: name, Stream: stream, Blocking: true,
					Message: fmt.Sprintf("All matches for argument '%s' in module '%s:%s' are not active", d.spec.arg, name, stream)})
				blocking = true
				continue
			}
			latest := latestBuild(active)
			var profiles []string
			if d.spec.profile != "" {
				profiles = globProfiles(latest, d.spec.profile)
				if len(profiles) == 0 {
					o.problem(&Problem{Kind: NoProfile, Arg: d.spec.arg, Module: name, Stream: stream, Blocking: true,
						Message: fmt.Sprintf("Unable to match profile for argument %s", d.spec.arg)})
					blocking = true
					continue
				}
			} else {
				defs, _ := c.Index.Module(name).Defaults().DefaultProfiles(stream)
				if len(defs) == 0 {
					o.problem(&Problem{Kind: NoProfile, Arg: d.spec.arg, Module: name, Stream: stream, Blocking: true,
						Message: fmt.Sprintf("No default profiles for module %s:%s", name, stream)})
					blocking = true
				}
				for _, p := range defs {
					if _, ok := latest.Profiles[p]; !ok {
						o.problem(&Problem{Kind: NoProfile, Arg: d.spec.arg, Module: name, Stream: stream, Blocking: true,
							Message: fmt.Sprintf("Default profile %s not available in module %s:%s", p, name, stream)})
						blocking = true
						continue
					}
					profiles = append(profiles, p)
				}
			}
			w := want{arg: d.spec.arg, artifacts: map[string]bool{}}
			for _, p := range profiles {
				if o.st.Enabled(name) == stream {
					e := o.st.entry(name)
					if !slices.Contains(e.Profiles, p) {
						e.Profiles = append(e.Profiles, p)
					}
				}
				w.names = append(w.names, latest.Profiles[p].RPMs...)
			}
			for _, b := range active {
				for _, a := range b.Artifacts.RPMs {
					w.artifacts[a] = true
				}
			}
			wants = append(wants, w)
		}
	}
	var install []string
	for _, w := range wants {
		for _, pkg := range w.names {
			var q []string
			for _, p := range visible {
				if n, err := modulemd.ParseNEVRA(p); err == nil && n.Name == pkg && w.artifacts[n.String()] {
					q = append(q, p)
				}
			}
			if len(q) == 0 {
				for _, p := range visible {
					if n, err := modulemd.ParseNEVRA(p); err == nil && n.Name == pkg {
						q = append(q, p)
					}
				}
			}
			if len(q) == 0 {
				o.problem(&Problem{Kind: NoPackage, Arg: w.arg, Blocking: true, Message: "No match for package " + pkg})
				blocking = true
				continue
			}
			install = append(install, bestPackage(q))
		}
	}
	o.res.Install = o.newPackages(install)
	o.enableForPackages(ch, o.res.Install)
	return o.finish(blocking)
}

// newPackages drops packages already installed (same NEVRA) and duplicates,
// and replaces installed packages of the same name (upgrade or downgrade is
// not done by install: an installed name is kept).
func (o *op) newPackages(pkgs []string) []string {
	names := map[string]bool{}
	for _, p := range o.c.Installed {
		if n, err := modulemd.ParseNEVRA(p); err == nil {
			names[n.Name] = true
		}
	}
	var out []string
	for _, p := range pkgs {
		n, err := modulemd.ParseNEVRA(p)
		if err != nil || names[n.Name] {
			continue
		}
		names[n.Name] = true
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// activeMatches returns the active builds of name:stream that spec s
// matches.
func activeMatches(ch *Choice, s spec, name, stream string) []*modulemd.Stream {
	var out []*modulemd.Stream
	for _, b := range ch.Active {
		if b.Name == name && b.Stream == stream && matchesSpec(s, b) {
			out = append(out, b)
		}
	}
	return out
}

// globProfiles returns b's profiles matching the glob pattern, sorted.
func globProfiles(b *modulemd.Stream, pattern string) []string {
	var out []string
	for _, p := range sortedKeys(b.Profiles) {
		if globMatch(pattern, p) {
			out = append(out, p)
		}
	}
	return out
}

func matchesSpec(s spec, b *modulemd.Stream) bool {
	return (s.version == "" || s.version == fmt.Sprint(b.Version)) && (s.context == "" || globMatch(s.context, b.Context))
}

// latestBuild is dnf's _get_latest: the highest version, the first of equals.
func latestBuild(builds []*modulemd.Stream) *modulemd.Stream {
	var l *modulemd.Stream
	for _, b := range builds {
		if l == nil || b.Version > l.Version {
			l = b
		}
	}
	return l
}

// bestPackage picks the highest EVR (then the lowest NEVRA string).
func bestPackage(nevras []string) string {
	best := ""
	var bn modulemd.NEVRA
	for _, p := range nevras {
		n, err := modulemd.ParseNEVRA(p)
		if err != nil {
			continue
		}
		if best == "" || compareEVR(n, bn) > 0 {
			best, bn = p, n
		}
	}
	return best
}

func compareEVR(a, b modulemd.NEVRA) int {
	if a.Epoch != b.Epoch {
		if a.Epoch > b.Epoch {
			return 1
		}
		return -1
	}
	if c := modulemd.CompareVersions(a.Version, b.Version); c != 0 {
		return c
	}
	return modulemd.CompareVersions(a.Release, b.Release)
}

// Remove is `dnf module remove SPEC...`: the installed profiles of the
// stream are removed and their packages that no other installed profile
// names.
func (c *Client) Remove(args ...string) (*Result, error) {
	o, err := c.begin()
	if err != nil {
		return nil, err
	}
	removeNames := map[string]bool{}
	for _, a := range args {
		s := parseSpec(a)
		builds := o.query(s)
		if len(builds) == 0 {
			o.problem(&Problem{Kind: NoMatch, Arg: a, Message: "Unable to resolve argument " + a})
			continue
		}
		d, p := o.streamDict(s, builds, false)
		if p != nil {
			o.problem(p)
			return o.finish(true)
		}
		for _, name := range sortedKeys(d) {
			var sb []*modulemd.Stream
			for _, b := range builds {
				if b.Name == name && b.Stream == d[name] {
					sb = append(sb, b)
				}
			}
			latest := latestBuild(sb)
			installed := o.st.Profiles(name)
			for _, prof := range slices.Clone(installed) {
				if s.profile != "" && !globMatch(s.profile, prof) {
					continue
				}
				if o.st.Enabled(name) == latest.Stream {
					e := o.st.entry(name)
					e.Profiles = slices.DeleteFunc(e.Profiles, func(x string) bool { return x == prof })
				}
				for _, r := range latest.Profiles[prof].RPMs {
					removeNames[r] = true
				}
			}
		}
	}
	// Keep the packages that profiles still installed name.
	ch, err := c.choose(o.st)
	if err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(o.st.Modules) {
		stream := o.st.Enabled(name)
		profs := o.st.Profiles(name)
		if stream == "" || len(profs) == 0 {
			continue
		}
		var sb, act []*modulemd.Stream
		for _, b := range c.Index.Streams() {
			if b.Name == name && b.Stream == stream {
				sb = append(sb, b)
				if ch.active[b] {
					act = append(act, b)
				}
			}
		}
		l := latestBuild(act)
		if l == nil {
			l = latestBuild(sb)
		}
		if l == nil {
			continue
		}
		for _, p := range profs {
			for _, r := range l.Profiles[p].RPMs {
				delete(removeNames, r)
			}
		}
	}
	for _, p := range c.Installed {
		if n, err := modulemd.ParseNEVRA(p); err == nil && removeNames[n.Name] {
			o.res.Remove = append(o.res.Remove, p)
		}
	}
	return o.finish(false)
}

// SwitchTo is `dnf module switch-to SPEC...` for specs whose module has no
// installed packages to synchronise: the stream is enabled (switching is
// allowed) and the profiles installed before, or the named one, installed.
func (c *Client) SwitchTo(args ...string) (*Result, error) {
	saved := c.StreamSwitch
	c.StreamSwitch = true
	defer func() { c.StreamSwitch = saved }()
	o, err := c.begin()
	if err != nil {
		return nil, err
	}
	// The package names of the builds active before the switch, for the
	// distro-sync (module_base.switch_to reads them before the new solve).
	oldNames := map[string]bool{}
	dicts0 := map[string]bool{}
	for _, a := range args {
		s := parseSpec(a)
		for _, b := range o.query(s) {
			dicts0[b.Name] = true
		}
	}
	for _, b := range o.start.Active {
		if dicts0[b.Name] {
			for _, n := range artifactNames(b) {
				oldNames[n] = true
			}
		}
	}
	dicts, ch, blocking, err := o.resolveSpecs(args)
	if err != nil {
		return nil, err
	}
	o.solverProblems(ch, "")
	visible, _ := ch.Filter(c.Packages)
	// Profiles the stream change removed are installed again from the new
	// stream when it has them; the packages of profiles named in the
	// argument too.
	newArtifacts := map[string]bool{}
	newNames := map[string]bool{}
	var profileNames []string
	for _, d := range dicts {
		for _, name := range sortedKeys(d.streams) {
			stream := d.streams[name]
			active := activeMatches(ch, d.spec, name, stream)
			if len(active) == 0 {
				o.problem(&Problem{Kind: NotActive, Arg: d.spec.arg, Module: name, Stream: stream, Blocking: true,
					Message: fmt.Sprintf("No active matches for argument '%s' in module '%s:%s'", d.spec.arg, name, stream)})
				blocking = true
				continue
			}
			latest := latestBuild(active)
			var profiles []string
			if d.spec.profile != "" {
				profiles = globProfiles(latest, d.spec.profile)
				if len(profiles) == 0 {
					o.problem(&Problem{Kind: NoProfile, Arg: d.spec.arg, Module: name, Stream: stream, Blocking: true,
						Message: fmt.Sprintf("Unable to match profile for argument %s", d.spec.arg)})
					blocking = true
					continue
				}
			} else {
				for _, p := range c.State.Profiles(name) {
					if slices.Contains(o.st.Profiles(name), p) {
						continue
					}
					if _, ok := latest.Profiles[p]; !ok {
						o.problem(&Problem{Kind: NoProfile, Arg: d.spec.arg, Module: name, Stream: stream,
							Message: fmt.Sprintf("Installed profile '%s' is not available in module '%s' stream '%s'", p, name, stream)})
						continue
					}
					profiles = append(profiles, p)
				}
			}
			for _, p := range profiles {
				if o.st.Enabled(name) == stream {
					e := o.st.entry(name)
					if !slices.Contains(e.Profiles, p) {
						e.Profiles = append(e.Profiles, p)
					}
				}
				profileNames = append(profileNames, latest.Profiles[p].RPMs...)
			}
			for _, b := range active {
				for _, a := range b.Artifacts.RPMs {
					newArtifacts[a] = true
				}
				for _, n := range artifactNames(b) {
					newNames[n] = true
				}
			}
		}
	}
	installedByName := map[string][]string{}
	for _, p := range c.Installed {
		if n, err := modulemd.ParseNEVRA(p); err == nil {
			installedByName[n.Name] = append(installedByName[n.Name], p)
		}
	}
	visibleByName := map[string][]string{}
	for _, p := range visible {
		if n, err := modulemd.ParseNEVRA(p); err == nil && n.Arch != "src" && n.Arch != "nosrc" {
			visibleByName[n.Name] = append(visibleByName[n.Name], p)
		}
	}
	fromNew := func(l []string) []string {
		var out []string
		for _, p := range l {
			if n, err := modulemd.ParseNEVRA(p); err == nil && newArtifacts[n.String()] {
				out = append(out, p)
			}
		}
		return out
	}
	// Profile packages not installed yet: the best of the new streams'
	// artifacts of that name, else of every visible package of the name.
	var install, remove []string
	for _, pkg := range profileNames {
		if len(installedByName[pkg]) > 0 {
			continue // the distro-sync below decides
		}
		q := fromNew(visibleByName[pkg])
		if len(q) == 0 {
			q = visibleByName[pkg]
		}
		if len(q) == 0 {
			o.problem(&Problem{Kind: NoPackage, Blocking: true, Message: "No match for package " + pkg})
			blocking = true
			continue
		}
		install = append(install, bestPackage(q))
	}
	// The distro-sync: every installed package of a name the old or new
	// builds ship goes to the best package of the new streams' artifacts
	// of that name, else to the best visible package of the name (up or
	// down); with none visible it stays (dnf removes it only when nothing
	// the user installed needs it, and the user installed it).
	names := map[string]bool{}
	for n := range oldNames {
		names[n] = true
	}
	for n := range newNames {
		names[n] = true
	}
	for _, name := range sortedKeys(names) {
		inst := installedByName[name]
		if len(inst) == 0 || len(visibleByName[name]) == 0 {
			continue
		}
		q := fromNew(visibleByName[name])
		if len(q) == 0 {
			q = visibleByName[name]
		}
		target := bestPackage(q)
		tn, _ := modulemd.ParseNEVRA(target)
		for _, p := range inst {
			if n, err := modulemd.ParseNEVRA(p); err == nil && n.String() == tn.String() {
				target = ""
			}
		}
		if target == "" {
			continue
		}
		remove = append(remove, inst...)
		install = append(install, target)
	}
	slices.Sort(install)
	install = slices.Compact(install)
	slices.Sort(remove)
	o.res.Install, o.res.Remove = install, remove
	return o.finish(blocking)
}

// artifactNames are the binary package names of a build's artifacts.
func artifactNames(b *modulemd.Stream) []string {
	var out []string
	for _, a := range b.Artifacts.RPMs {
		if n, err := modulemd.ParseNEVRA(a); err == nil && n.Arch != "src" && n.Arch != "nosrc" {
			out = append(out, n.Name)
		}
	}
	return out
}

// InstallPackage is `dnf install NAME`: the best visible package of that
// name after modular filtering.
func (c *Client) InstallPackage(name string) (*Result, error) {
	o, err := c.begin()
	if err != nil {
		return nil, err
	}
	visible, _ := o.start.Filter(c.Packages)
	var q []string
	for _, p := range visible {
		if n, err := modulemd.ParseNEVRA(p); err == nil && n.Name == name {
			q = append(q, p)
		}
	}
	if len(q) == 0 {
		o.problem(&Problem{Kind: NoPackageMatch, Arg: name, Blocking: true, Message: "No match for argument: " + name})
		return o.finish(true)
	}
	o.res.Install = o.newPackages([]string{bestPackage(q)})
	o.enableForPackages(o.start, o.res.Install)
	return o.finish(false)
}

// enableForPackages is dnf's sack.set_modules_enabled_by_pkgset:
// libdnf's requiresModuleEnablement (the active builds of streams not
// enabled that carry an artifact being installed), then
// enableDependencyTree over those builds, so the active builds they require
// are enabled too.
func (o *op) enableForPackages(ch *Choice, pkgs []string) {
	set := map[string]bool{}
	for _, p := range pkgs {
		if n, err := modulemd.ParseNEVRA(p); err == nil {
			set[n.String()] = true
		}
	}
	var builds []*modulemd.Stream
	for _, b := range ch.Active {
		if o.st.Enabled(b.Name) == b.Stream {
			continue
		}
		for _, a := range b.Artifacts.RPMs {
			if set[a] {
				builds = append(builds, b)
				break
			}
		}
	}
	o.enableTree(ch, builds)
}
