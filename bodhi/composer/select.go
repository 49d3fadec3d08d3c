package composer

import (
	"cmp"
	"slices"
)

// ModuleBuild identifies a module build (koji's extra.typeinfo.module).
type ModuleBuild struct {
	Name, Stream string
	Version      uint64
	Context      string
	NVR          string // koji NVR
}

// NSVC returns name:stream:version:context.
func (b ModuleBuild) NSVC() string {
	return b.Name + ":" + b.Stream + ":" + uitoa(b.Version) + ":" + b.Context
}

func uitoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for v > 0 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return string(buf[i:])
}

// SelectModules returns a modular compose's module set, as Bodhi's
// ModuleComposerThread computes it: of all the release's builds, per
// name:stream only the one with the highest version (one context
// survives: the greatest, for a stable order), then the builds of the
// updates being pushed replace the choice for their name:stream. The
// result is sorted by name, stream.
func SelectModules(release, pushed []ModuleBuild) []ModuleBuild {
	best := map[string]ModuleBuild{}
	key := func(b ModuleBuild) string { return b.Name + ":" + b.Stream }
	for _, b := range release {
		cur, ok := best[key(b)]
		if !ok || b.Version > cur.Version || (b.Version == cur.Version && b.Context > cur.Context) {
			best[key(b)] = b
		}
	}
	override := map[string]ModuleBuild{}
	for _, b := range pushed {
		cur, ok := override[key(b)]
		if !ok || b.Version > cur.Version || (b.Version == cur.Version && b.Context > cur.Context) {
			override[key(b)] = b
		}
	}
	for k, b := range override {
		best[k] = b
	}
	out := make([]ModuleBuild, 0, len(best))
	for _, b := range best {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b ModuleBuild) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Stream, b.Stream))
	})
	return out
}
