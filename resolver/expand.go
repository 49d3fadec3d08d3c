package resolver

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/modkit/modkit/modulemd"
)

// ExpandOptions adjust [Expand]; nil means defaults (MBS's defaults).
type ExpandOptions struct {
	// BaseModuleNames lists the base modules in priority order (MBS
	// BASE_MODULE_NAMES); nil means ["platform"].
	BaseModuleNames []string
	// BuildRequireOverrides and RequireOverrides replace the stream list of
	// a module in every dependency block before expansion (MBS submit
	// options buildrequire_overrides and require_overrides).
	BuildRequireOverrides map[string][]string
	RequireOverrides      map[string][]string
	// DefaultStreams picks the stream of a module whose list expands to
	// more than one stream (MBS local builds' -s name:stream). It only
	// narrows stream lists the module already has; DefaultModules adds
	// modules.
	DefaultStreams map[string]string
	// DefaultModules, when set, returns the default streams (module name to
	// stream) of a chosen base module whose xmd.mbs.use_default_modules is
	// true or whose xmd.mbs.default_modules_scm_url is set: MBS's default
	// modules, read from a defaults repository on the branch named after
	// the base stream. After expansion, each default module that the
	// expansion does not already buildrequire, and that has a build made
	// against that base module or a compatible one whose runtime requires
	// admit the chosen base stream, is added to the expansion's
	// BuildRequires and xmd.mbs.buildrequires; the others are ignored.
	// Contexts do not change (MBS adds them after computing contexts). An
	// error fails the expansion with [ErrDefaultModules].
	DefaultModules func(ctx context.Context, base *modulemd.Stream) (map[string]string, error)
	// Unambiguous makes a list that expands to several streams, with no
	// DefaultStreams entry, an error (MBS local builds).
	Unambiguous bool
	// AllowIncompatibleBaseModules lets dependencies built against any base
	// module sharing a virtual stream be used, not only those of the same
	// major version and not newer (MBS ALLOW_ONLY_COMPATIBLE_BASE_MODULES
	// set to false).
	AllowIncompatibleBaseModules bool
	// NoVersionPrefix keeps the input's version instead of prefixing it
	// with the base module's stream version.
	NoVersionPrefix bool
	// StreamSuffixes add fractions to the stream versions that order base
	// module streams (MBS STREAM_SUFFIXES, see [StreamVersionSuffixed]):
	// which stream is newest, and the compatible base modules' "not newer"
	// bound. The version prefix and the solver's version constraints keep
	// the integer stream version.
	StreamSuffixes []StreamSuffix
	// Branch is the SCM branch the module is built from. When
	// BranchStreamRegexes is set and BuildRequireOverrides gives no streams
	// for BranchStreamModule, the stream [BranchStream] derives from the
	// branch overrides that module's buildrequires in every block; when no
	// block buildrequires it, the override is dropped silently (MBS
	// BR_STREAM_OVERRIDE_REGEXES).
	Branch              string
	BranchStreamRegexes []*regexp.Regexp
	// BranchStreamModule is the module whose stream the branch overrides
	// (MBS BR_STREAM_OVERRIDE_MODULE); empty means "platform".
	BranchStreamModule string
}

// buildRequireOverrides returns BuildRequireOverrides plus the override
// derived from Branch.
func (o *ExpandOptions) buildRequireOverrides() map[string][]string {
	if o == nil {
		return nil
	}
	mod := o.BranchStreamModule
	if mod == "" {
		mod = "platform"
	}
	if o.Branch == "" || len(o.BranchStreamRegexes) == 0 || len(o.BuildRequireOverrides[mod]) > 0 {
		return o.BuildRequireOverrides
	}
	st := BranchStream(o.Branch, o.BranchStreamRegexes)
	if st == "" {
		return o.BuildRequireOverrides
	}
	out := maps.Clone(o.BuildRequireOverrides)
	if out == nil {
		out = map[string][]string{}
	}
	out[mod] = []string{st}
	return out
}

func (o *ExpandOptions) suffixes() []StreamSuffix {
	if o == nil {
		return nil
	}
	return o.StreamSuffixes
}

func (o *ExpandOptions) baseNames() []string {
	if o == nil || len(o.BaseModuleNames) == 0 {
		return []string{"platform"}
	}
	return o.BaseModuleNames
}

// Expansion is one module build that stream expansion produced: what MBS
// stores as one module build row at submit time.
type Expansion struct {
	// Stream is the expanded module: a single dependency block naming the
	// chosen streams, xmd.mbs.buildrequires (every resolved dependency,
	// transitively, with stream, version, context and, when known, ref and
	// koji_tag), xmd.mbs.mse, the prefixed version and the context.
	Stream *modulemd.Stream
	// Block is the index of the input's dependency block it came from (for
	// static contexts: of the context, in sorted order).
	Block int
	// BuildRequires are the resolved builds, sorted by name.
	BuildRequires []*modulemd.Stream
	// BuildContext, BuildContextNoBMS and RuntimeContext are MBS's full
	// SHA-1 hashes; Context is the 8-character module context.
	BuildContext      string
	BuildContextNoBMS string
	RuntimeContext    string
	Context           string
	// Static is set when the context came from the packager (static
	// contexts) rather than from hashing.
	Static bool
	// DefaultModules lists the NSVCs of the default modules added to
	// BuildRequires ([ExpandOptions.DefaultModules]).
	DefaultModules []string
}

// NSVC returns name:stream:version:context of the expanded module.
func (e *Expansion) NSVC() string { return e.Stream.NSVC() }

// Expand performs MBS's module stream expansion of mmd against the builds in
// src and returns one [Expansion] per dependency block and satisfiable
// combination of one stream per buildrequired module, in block order.
//
// It applies overrides, the stream-list rules, static contexts
// (xmd.mbs_options.contexts, or StaticContext with a context set), base
// modules with stream versions, virtual streams and compatible base modules,
// transitive runtime requires, one stream per module name and the newest build
// per name:stream, as MBS 3.4 does (see the package documentation). A
// dependency block that no combination satisfies makes Expand fail with a
// [*ConflictError] explaining every attempt; a missing dependency gives a
// [*NotFoundError]. mmd is not modified.
func Expand(ctx context.Context, src Source, mmd *modulemd.Stream, opts *ExpandOptions) ([]*Expansion, error) {
	if mmd == nil {
		return nil, fmt.Errorf("%w: no module", ErrInput)
	}
	if mmd.MDVersionNumber == 1 {
		up, err := modulemd.UpgradeStream(mmd, 2)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInput, err)
		}
		mmd = up
	}
	inputs, err := staticInputs(mmd)
	if err != nil {
		return nil, err
	}
	var out []*Expansion
	var conflict *ConflictError
	for i, in := range inputs {
		exps, err := expandOne(ctx, src, in, opts)
		var ce *ConflictError
		switch {
		case asConflict(err, &ce):
			if conflict == nil {
				conflict = &ConflictError{Module: mmd.Name + ":" + mmd.Stream}
			}
			conflict.Blocks = append(conflict.Blocks, ce.Blocks...)
			continue
		case err != nil:
			return nil, err
		}
		for _, e := range exps {
			if len(inputs) > 1 {
				e.Block = i
			}
			out = append(out, e)
		}
	}
	if conflict != nil {
		return nil, conflict
	}
	return out, nil
}

// staticInputs splits a module with xmd.mbs_options.contexts into one module
// per static context, each with a single dependency block.
func staticInputs(mmd *modulemd.Stream) ([]*modulemd.Stream, error) {
	raw := xmdPath(mmd.XMD, "mbs_options", "contexts")
	if raw == nil {
		return []*modulemd.Stream{mmd}, nil
	}
	ctxs, ok := raw.(map[string]any)
	if !ok || len(ctxs) == 0 {
		return nil, fmt.Errorf("%w: xmd.mbs_options.contexts: expected a map of context name to {buildrequires, requires}", ErrInput)
	}
	var out []*modulemd.Stream
	var problems []string
	for _, name := range sortedKeys(ctxs) {
		body, _ := ctxs[name].(map[string]any)
		dep := modulemd.Dependency{}
		for _, key := range []string{"buildrequires", "requires"} {
			m, ok := body[key].(map[string]any)
			if !ok {
				problems = append(problems, fmt.Sprintf("xmd.mbs_options.contexts.%s.%s: required map of module to stream is missing", name, key))
				continue
			}
			lists := map[string][]string{}
			for mod, v := range m {
				s, ok := v.(string)
				if !ok || s == "" || strings.HasPrefix(s, "-") {
					problems = append(problems, fmt.Sprintf("xmd.mbs_options.contexts.%s.%s.%s: expected one stream name (a non-empty string not starting with '-')", name, key, mod))
					continue
				}
				lists[mod] = []string{s}
			}
			if key == "buildrequires" {
				dep.BuildRequires = lists
			} else {
				dep.Requires = lists
			}
		}
		c := mmd.Clone()
		c.Dependencies = []modulemd.Dependency{dep}
		c.Context = name
		c.StaticContext = true
		x, err := withoutStaticContexts(c.XMD)
		if err != nil {
			return nil, err
		}
		c.XMD = x
		out = append(out, c)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInput, strings.Join(problems, "; "))
	}
	return out, nil
}

func withoutStaticContexts(x modulemd.XMD) (modulemd.XMD, error) {
	m, ok := x.Value().(map[string]any)
	if !ok {
		return x, nil
	}
	opts, ok := m["mbs_options"].(map[string]any)
	if !ok {
		return x, nil
	}
	delete(opts, "contexts")
	if len(opts) == 0 {
		delete(m, "mbs_options")
	}
	return modulemd.NewXMD(m)
}

// expander holds the state of one expansion.
type expander struct {
	ctx   context.Context
	src   Source
	opts  *ExpandOptions
	mmd   *modulemd.Stream
	base  map[string]bool
	bases []*modulemd.Stream // candidate base module builds (ready)
	// garbage are compatible base modules in state garbage: dependencies
	// built against them are candidates, they are not.
	garbage []*modulemd.Stream
	// defaults caches ExpandOptions.DefaultModules by base module NSVC.
	defaults map[string]map[string]string
	pool     map[string][]*modulemd.Stream
	done     map[string]bool
	cache    map[string][]*modulemd.Stream
}

func expandOne(ctx context.Context, src Source, mmd *modulemd.Stream, opts *ExpandOptions) ([]*Expansion, error) {
	x := &expander{ctx: ctx, src: src, opts: opts, mmd: mmd, base: map[string]bool{},
		pool: map[string][]*modulemd.Stream{}, done: map[string]bool{}, cache: map[string][]*modulemd.Stream{}}
	for _, b := range opts.baseNames() {
		x.base[b] = true
	}
	// Overrides, then stream-list expansion, of every block.
	blocks := make([]modulemd.Dependency, len(mmd.Dependencies))
	for i, d := range mmd.Dependencies {
		br, err := x.expandLists(override(d.BuildRequires, opts, true))
		if err != nil {
			return nil, err
		}
		rq, err := x.expandLists(override(d.Requires, opts, false))
		if err != nil {
			return nil, err
		}
		blocks[i] = modulemd.Dependency{BuildRequires: br, Requires: rq}
	}
	if len(blocks) == 0 {
		e, err := x.write(0, modulemd.Dependency{}, nil)
		if err != nil {
			return nil, err
		}
		return []*Expansion{e}, nil
	}
	if err := x.collectBases(blocks); err != nil {
		return nil, err
	}
	for _, d := range blocks {
		for _, name := range sortedKeys(d.BuildRequires) {
			if x.base[name] {
				continue
			}
			for _, st := range d.BuildRequires[name] {
				if err := x.addCandidates(name, st, ""); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, bs := range x.pool {
		sortBuilds(bs)
	}
	m := newModel(x)
	var out []*Expansion
	var conflict *ConflictError
	for i, d := range blocks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sols, bc := m.solveBlock(i, d)
		if bc != nil {
			if conflict == nil {
				conflict = &ConflictError{Module: mmd.Name + ":" + mmd.Stream}
			}
			conflict.Blocks = append(conflict.Blocks, *bc)
			continue
		}
		for _, sol := range sols {
			if err := x.checkUsable(sol); err != nil {
				return nil, err
			}
			e, err := x.write(i, d, sol)
			if err != nil {
				return nil, err
			}
			if err := x.addDefaultModules(e); err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	}
	if conflict != nil {
		return nil, conflict
	}
	return out, nil
}

func override(lists map[string][]string, opts *ExpandOptions, build bool) map[string][]string {
	var ov map[string][]string
	if opts != nil {
		ov = opts.RequireOverrides
		if build {
			ov = opts.buildRequireOverrides()
		}
	}
	if len(ov) == 0 {
		return lists
	}
	out := maps.Clone(lists)
	for name, l := range ov {
		if _, ok := out[name]; ok {
			out[name] = l
		}
	}
	return out
}

// expandLists applies the stream-list rules to every module of a block.
func (x *expander) expandLists(lists map[string][]string) (map[string][]string, error) {
	out := make(map[string][]string, len(lists))
	for _, name := range sortedKeys(lists) {
		list := lists[name]
		var avail []string
		if !hasPositive(list) {
			var err error
			if avail, err = x.src.Streams(x.ctx, name); err != nil {
				return nil, err
			}
		}
		streams := ExpandStreamList(list, avail)
		if len(streams) > 1 && x.opts != nil {
			if d, ok := x.opts.DefaultStreams[name]; ok {
				streams = []string{d}
			} else if x.opts.Unambiguous {
				return nil, fmt.Errorf("%w: there are multiple streams to choose from for module %s: %s; choose one with a default stream", ErrInput, name, strings.Join(streams, ", "))
			}
		}
		if len(streams) == 0 {
			streams = []string{}
		}
		out[name] = streams
	}
	return out, nil
}

// baseVersion is the stream version of a base module build (padded, with
// the stream suffix fraction): what orders base modules.
func (x *expander) baseVersion(s *modulemd.Stream) float64 {
	return x.streamVersion(s.Stream)
}

func (x *expander) streamVersion(stream string) float64 {
	v, _ := StreamVersionSuffixed(stream, true, x.opts.suffixes())
	return v
}

// major is the major version of a base module build (stream version //
// 10000).
func (x *expander) major(s *modulemd.Stream) uint64 {
	return uint64(x.baseVersion(s)) / 10000
}

// collectBases finds the base module builds: the newest build of every
// buildrequired base stream, newest stream version first, and its compatible
// base modules.
func (x *expander) collectBases(blocks []modulemd.Dependency) error {
	seen := map[string]bool{}
	add := func(s *modulemd.Stream) {
		if id := nsvcOf(s); !seen[id] {
			seen[id] = true
			x.bases = append(x.bases, s)
		}
	}
	wanted := false
	var tried []string
	for _, name := range x.opts.baseNames() {
		var streams []string
		for _, d := range blocks {
			streams = append(streams, d.BuildRequires[name]...)
		}
		if _, ok := blocksHave(blocks, name); !ok {
			continue
		}
		wanted = true
		slices.Sort(streams)
		streams = slices.Compact(streams)
		slices.SortStableFunc(streams, func(a, b string) int {
			return cmp.Compare(x.streamVersion(b), x.streamVersion(a))
		})
		for _, st := range streams {
			tried = append(tried, name+":"+st)
			newest, err := x.newestBase(name, st)
			if err != nil {
				return err
			}
			if newest == nil {
				continue
			}
			add(newest)
			compat, garbage, err := x.compatibleBases(newest)
			if err != nil {
				return err
			}
			for _, c := range compat {
				add(c)
			}
			for _, g := range garbage {
				if id := nsvcOf(g); !seen[id] {
					seen[id] = true
					x.garbage = append(x.garbage, g)
				}
			}
		}
	}
	if wanted && len(x.bases) == 0 {
		return fmt.Errorf("%w: none of the base module streams in the buildrequires section could be found (tried %s)", ErrNoBaseModule, strings.Join(tried, ", "))
	}
	return nil
}

func blocksHave(blocks []modulemd.Dependency, name string) ([]string, bool) {
	for _, d := range blocks {
		if l, ok := d.BuildRequires[name]; ok {
			return l, true
		}
	}
	return nil, false
}

// newestBase returns the newest build of base module name:stream, falling
// back to the newest base module that has stream as a virtual stream.
func (x *expander) newestBase(name, stream string) (*modulemd.Stream, error) {
	bs, err := x.builds(name, stream)
	if err != nil || len(bs) > 0 {
		if len(bs) > 0 {
			return bs[0], err
		}
		return nil, err
	}
	all, err := x.allBases(name)
	if err != nil {
		return nil, err
	}
	var best *modulemd.Stream
	for _, b := range all {
		if slices.Contains(virtualStreams(b), stream) && (best == nil || x.baseVersion(b) > x.baseVersion(best)) {
			best = b
		}
	}
	return best, nil
}

// allBases returns the newest build of every stream of base module name.
func (x *expander) allBases(name string) ([]*modulemd.Stream, error) {
	streams, err := x.src.Streams(x.ctx, name)
	if err != nil {
		return nil, err
	}
	var out []*modulemd.Stream
	for _, st := range streams {
		bs, err := x.builds(name, st)
		if err != nil {
			return nil, err
		}
		if len(bs) > 0 {
			out = append(out, bs[0])
		}
	}
	return out, nil
}

// compatibleBases returns the ready base modules sharing a virtual stream
// with b, newest first: of the same major and not newer, unless
// incompatible ones are allowed. Then, and only then, garbage lists those in
// state garbage too (newest build per stream, streams without a ready
// build), when the source knows them ([GarbageSource]).
func (x *expander) compatibleBases(b *modulemd.Stream) (ready, garbage []*modulemd.Stream, err error) {
	vs := virtualStreams(b)
	if len(vs) == 0 {
		return nil, nil, nil
	}
	all, err := x.allBases(b.Name)
	if err != nil {
		return nil, nil, err
	}
	shares := func(o *modulemd.Stream) bool {
		return slices.ContainsFunc(virtualStreams(o), func(v string) bool { return slices.Contains(vs, v) })
	}
	incompatible := x.opts != nil && x.opts.AllowIncompatibleBaseModules
	own := x.baseVersion(b)
	readyStreams := map[string]bool{b.Stream: true}
	for _, o := range all {
		readyStreams[o.Stream] = true
		if o.Stream == b.Stream || !shares(o) {
			continue
		}
		if !incompatible && (x.major(o) != x.major(b) || x.baseVersion(o) > own) {
			continue
		}
		ready = append(ready, o)
	}
	if gs, ok := x.src.(GarbageSource); ok && incompatible {
		gb, err := gs.GarbageBuilds(x.ctx, b.Name)
		if err != nil {
			return nil, nil, err
		}
		for _, g := range gb {
			if readyStreams[g.Stream] || !shares(g) {
				continue
			}
			readyStreams[g.Stream] = true // newest build of the stream only
			garbage = append(garbage, g)
		}
	}
	newestFirst := func(a, b *modulemd.Stream) int { return cmp.Compare(x.baseVersion(b), x.baseVersion(a)) }
	slices.SortStableFunc(ready, newestFirst)
	slices.SortStableFunc(garbage, newestFirst)
	return ready, garbage, nil
}

func (x *expander) builds(name, stream string) ([]*modulemd.Stream, error) {
	key := name + ":" + stream
	if bs, ok := x.cache[key]; ok {
		return bs, nil
	}
	bs, err := x.src.Builds(x.ctx, name, stream)
	if err != nil {
		return nil, err
	}
	x.cache[key] = bs
	return bs, nil
}

// addCandidates adds the builds of name:stream that suit the base modules,
// then, recursively, those of their runtime requires.
func (x *expander) addCandidates(name, stream, requiredBy string) error {
	key := name + ":" + stream
	if x.done[key] {
		return nil
	}
	x.done[key] = true
	all, err := x.builds(name, stream)
	if err != nil {
		return err
	}
	found := x.suitable(all)
	if len(found) == 0 {
		return &NotFoundError{Name: name, Stream: stream, RequiredBy: requiredBy}
	}
	x.pool[name] = append(x.pool[name], found...)
	for _, c := range found {
		for _, d := range c.Dependencies {
			for _, rn := range sortedKeys(d.Requires) {
				if x.base[rn] {
					continue
				}
				for _, st := range d.Requires[rn] {
					if strings.HasPrefix(st, "-") {
						continue
					}
					if err := x.addCandidates(rn, st, nsvcOf(c)); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// suitable picks, from every build of one name:stream (newest first), those
// MBS would consider: per base module major version (newest first), the
// builds made against the newest base module that has any, of their latest
// version; without base modules, the latest version.
func (x *expander) suitable(all []*modulemd.Stream) []*modulemd.Stream {
	if len(all) == 0 {
		return nil
	}
	if len(x.bases) == 0 {
		return latest(all)
	}
	byMajor := map[uint64][]*modulemd.Stream{}
	for _, b := range append(slices.Clone(x.bases), x.garbage...) {
		byMajor[x.major(b)] = append(byMajor[x.major(b)], b)
	}
	majors := slices.Sorted(maps.Keys(byMajor))
	slices.Reverse(majors)
	var out []*modulemd.Stream
	seen := map[string]bool{}
	for _, mj := range majors {
		bases := byMajor[mj]
		slices.SortStableFunc(bases, func(a, b *modulemd.Stream) int { return cmp.Compare(x.baseVersion(b), x.baseVersion(a)) })
		for _, b := range bases {
			var match []*modulemd.Stream
			for _, s := range all {
				if builtAgainst(s, b) {
					match = append(match, s)
				}
			}
			if len(match) == 0 {
				continue
			}
			for _, s := range latest(match) {
				if id := nsvcOf(s); !seen[id] {
					seen[id] = true
					out = append(out, s)
				}
			}
			break
		}
	}
	return out
}

// latest returns the builds of the highest version (input newest first).
func latest(bs []*modulemd.Stream) []*modulemd.Stream {
	n := 1
	for n < len(bs) && bs[n].Version == bs[0].Version {
		n++
	}
	return bs[:n]
}

// builtAgainst reports whether build s was built against base module build
// b: xmd.mbs.buildrequires names b (stream, and version and context when
// recorded); without that record (metadata from a repository), its
// dependencies naming b's module must admit b's stream or a virtual stream.
func builtAgainst(s, b *modulemd.Stream) bool {
	if rec, ok := xmdPath(s.XMD, "mbs", "buildrequires", b.Name).(map[string]any); ok {
		if st, _ := rec["stream"].(string); st != b.Stream {
			return false
		}
		if v, _ := rec["version"].(string); v != "" && v != strconv.FormatUint(b.Version, 10) {
			return false
		}
		if c, _ := rec["context"].(string); c != "" && b.Context != "" && c != b.Context {
			return false
		}
		return true
	}
	names := append([]string{b.Stream}, virtualStreams(b)...)
	mentioned := false
	for _, d := range s.Dependencies {
		for _, lists := range []map[string][]string{d.BuildRequires, d.Requires} {
			list, ok := lists[b.Name]
			if !ok {
				continue
			}
			mentioned = true
			for _, n := range names {
				if admits(list, n) {
					return true
				}
			}
		}
	}
	return !mentioned
}

// checkUsable refuses, when the source is a [StateSource] that holds them,
// builds with a sibling context neither ready nor failed and builds without
// xmd.mbs.mse (MBS resolve_requires).
func (x *expander) checkUsable(sol []*modulemd.Stream) error {
	ss, ok := x.src.(StateSource)
	if !ok {
		return nil
	}
	sorted := slices.Clone(sol)
	slices.SortFunc(sorted, func(a, b *modulemd.Stream) int { return cmp.Compare(a.Name, b.Name) })
	for _, s := range sorted {
		states, err := ss.BuildStates(x.ctx, s.Name, s.Stream, s.Version)
		if err != nil {
			return err
		}
		if states == nil {
			continue
		}
		for _, c := range sortedKeys(states) {
			if c != s.Context && states[c] != "ready" && states[c] != "failed" {
				return &UnusableError{NSVC: nsvcOf(s), SiblingContext: c, SiblingState: states[c]}
			}
		}
		if !truthy(xmdPath(s.XMD, "mbs", "mse")) {
			return &UnusableError{NSVC: nsvcOf(s), NotMSE: true}
		}
	}
	return nil
}

// truthy is Python's truth of a YAML value.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case int:
		return v != 0
	case int64:
		return v != 0
	case uint64:
		return v != 0
	case float64:
		return v != 0
	case []any:
		return len(v) > 0
	case map[string]any:
		return len(v) > 0
	}
	return true
}

// xmdBuildRequire is the xmd.mbs.buildrequires entry of build s.
func xmdBuildRequire(s *modulemd.Stream) map[string]any {
	e := map[string]any{
		"stream":  s.Stream,
		"version": strconv.FormatUint(s.Version, 10),
		"context": s.Context,
	}
	if ref := xmdString(s.XMD, "mbs", "commit"); ref != "" {
		e["ref"] = ref
	}
	if tag := xmdString(s.XMD, "mbs", "koji_tag"); tag != "" {
		e["koji_tag"] = tag
	}
	return e
}

// write builds the Expansion of block i for one solution.
func (x *expander) write(i int, d modulemd.Dependency, sol []*modulemd.Stream) (*Expansion, error) {
	chosen := map[string]string{}
	for _, s := range sol {
		chosen[s.Name] = s.Stream
	}
	nb := modulemd.Dependency{BuildRequires: map[string][]string{}, Requires: map[string][]string{}}
	for name := range d.BuildRequires {
		if st, ok := chosen[name]; ok {
			nb.BuildRequires[name] = []string{st}
		} else {
			nb.BuildRequires[name] = slices.Clone(d.BuildRequires[name])
		}
	}
	for name, list := range d.Requires {
		br, isBR := d.BuildRequires[name]
		if st, ok := chosen[name]; ok && isBR && slices.Equal(br, list) {
			nb.Requires[name] = []string{st}
		} else {
			nb.Requires[name] = slices.Clone(list)
		}
	}
	out := x.mmd.Clone()
	if len(d.BuildRequires) == 0 && len(d.Requires) == 0 && len(x.mmd.Dependencies) == 0 {
		out.Dependencies = nil
	} else {
		out.Dependencies = []modulemd.Dependency{nb}
	}
	sorted := slices.Clone(sol)
	slices.SortFunc(sorted, func(a, b *modulemd.Stream) int { return cmp.Compare(a.Name, b.Name) })

	xmdBR := map[string]any{}
	streams := map[string]string{}
	noBMS := map[string]string{}
	for _, s := range sorted {
		xmdBR[s.Name] = xmdBuildRequire(s)
		streams[s.Name] = s.Stream
		if !x.base[s.Name] {
			noBMS[s.Name] = s.Stream
		}
	}
	top := out.XMD.Map()
	mbs, _ := top["mbs"].(map[string]any)
	if mbs == nil {
		mbs = map[string]any{}
	}
	mbs["buildrequires"] = xmdBR
	mbs["mse"] = true
	if out.StaticContext {
		mbs["static_context"] = true
	}
	top["mbs"] = mbs
	nx, err := modulemd.NewXMD(top)
	if err != nil {
		return nil, fmt.Errorf("%s:%s: recording buildrequires in xmd: %w", out.Name, out.Stream, err)
	}
	out.XMD = nx

	runtime := map[string][]string{}
	for _, dep := range out.Dependencies {
		for name, list := range dep.Requires {
			runtime[name] = append(runtime[name], list...)
		}
	}
	for name, l := range runtime {
		slices.Sort(l)
		runtime[name] = slices.Compact(l)
	}
	e := &Expansion{
		Block:             i,
		BuildRequires:     sorted,
		BuildContext:      BuildContext(streams),
		BuildContextNoBMS: BuildContext(noBMS),
		RuntimeContext:    RuntimeContext(runtime),
		Static:            out.StaticContext,
	}
	if !e.Static {
		out.Context = Context(e.BuildContext, e.RuntimeContext)
	}
	e.Context = out.Context
	if x.opts == nil || !x.opts.NoVersionPrefix {
		for _, b := range x.opts.baseNames() {
			if st, ok := chosen[b]; ok {
				out.Version = PrefixVersion(st, out.Version)
				break
			}
		}
	}
	e.Stream = out
	return e, nil
}
