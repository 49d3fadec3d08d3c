package resolver

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/modkit/modkit/modulemd"
)

// UsesDefaultModules reports whether base module build base asks for
// default modules (xmd.mbs.use_default_modules true, or
// xmd.mbs.default_modules_scm_url set, as MBS checks), and the defaults
// repository it names ("" = the service's configured one).
func UsesDefaultModules(base *modulemd.Stream) (scmURL string, ok bool) {
	scmURL = xmdString(base.XMD, "mbs", "default_modules_scm_url")
	return scmURL, scmURL != "" || truthy(xmdPath(base.XMD, "mbs", "use_default_modules"))
}

// addDefaultModules adds the default modules of e's base modules to e (see
// ExpandOptions.DefaultModules).
func (x *expander) addDefaultModules(e *Expansion) error {
	if x.opts == nil || x.opts.DefaultModules == nil {
		return nil
	}
	have := map[string]bool{}
	for _, b := range e.BuildRequires {
		have[b.Name] = true
	}
	// xmd.mbs.buildrequires records the default modules too.
	xmdTop := e.Stream.XMD.Map()
	mbs, _ := xmdTop["mbs"].(map[string]any)
	xmdBR, _ := mbs["buildrequires"].(map[string]any)
	added := false
	for _, name := range x.opts.baseNames() {
		i := slices.IndexFunc(e.BuildRequires, func(s *modulemd.Stream) bool { return s.Name == name })
		if i < 0 {
			continue
		}
		bm := e.BuildRequires[i]
		if _, ok := UsesDefaultModules(bm); !ok {
			continue
		}
		defs, err := x.defaultsOf(bm)
		if err != nil {
			return err
		}
		for _, mod := range sortedKeys(defs) {
			if have[mod] || x.base[mod] {
				continue // already buildrequired (same or conflicting stream)
			}
			found, err := x.defaultModuleBuild(mod, defs[mod], bm)
			if err != nil {
				return err
			}
			if found == nil {
				continue // no usable build: ignored, as MBS does
			}
			have[mod] = true
			e.BuildRequires = append(e.BuildRequires, found)
			e.DefaultModules = append(e.DefaultModules, nsvcOf(found))
			if xmdBR != nil {
				xmdBR[mod] = xmdBuildRequire(found)
				added = true
			}
		}
	}
	if added {
		x, err := modulemd.NewXMD(xmdTop)
		if err != nil {
			return fmt.Errorf("%s: recording default modules in xmd: %w", nsvcOf(e.Stream), err)
		}
		e.Stream.XMD = x
	}
	slices.SortFunc(e.BuildRequires, func(a, b *modulemd.Stream) int { return cmp.Compare(a.Name, b.Name) })
	return nil
}

// defaultsOf calls ExpandOptions.DefaultModules once per base module build.
func (x *expander) defaultsOf(bm *modulemd.Stream) (map[string]string, error) {
	id := nsvcOf(bm)
	if d, ok := x.defaults[id]; ok {
		return d, nil
	}
	d, err := x.opts.DefaultModules(x.ctx, bm)
	if err != nil {
		return nil, fmt.Errorf("%w of %s: %w", ErrDefaultModules, id, err)
	}
	if x.defaults == nil {
		x.defaults = map[string]map[string]string{}
	}
	x.defaults[id] = d
	return d, nil
}

// defaultModuleBuild finds the build of default module name:stream to add
// for base module build bm: among bm and its compatible base modules (ready,
// then garbage ones when allowed), newest stream version first, the latest
// builds made against that base module: the first whose runtime requires
// of bm's module admit bm's stream. nil when there is none.
func (x *expander) defaultModuleBuild(name, stream string, bm *modulemd.Stream) (*modulemd.Stream, error) {
	ready, garbage, err := x.compatibleBases(bm)
	if err != nil {
		return nil, err
	}
	bases := append(append([]*modulemd.Stream{bm}, ready...), garbage...)
	slices.SortStableFunc(bases, func(a, b *modulemd.Stream) int { return cmp.Compare(x.baseVersion(b), x.baseVersion(a)) })
	all, err := x.builds(name, stream)
	if err != nil {
		return nil, err
	}
	baseStreams, err := x.src.Streams(x.ctx, bm.Name)
	if err != nil {
		return nil, err
	}
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
			for _, d := range s.Dependencies {
				list, ok := d.Requires[bm.Name]
				if ok && slices.Contains(ExpandStreamList(list, baseStreams), bm.Stream) {
					return s, nil
				}
			}
		}
	}
	return nil, nil
}
