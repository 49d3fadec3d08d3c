package resolver

import (
	"cmp"
	"context"
	"slices"
	"strconv"

	"github.com/modkit/modkit/modulemd"
)

// Source is where stream expansion finds the module builds a module can be
// built against: MBS's "resolver" backend. An index of modules.yaml files is
// one ([NewSource], [LoadSource]); the build service's database is another.
//
// A Source returns only builds usable as dependencies (for MBS: in state
// ready). Base modules (platform) are ordinary builds whose stream name
// carries the stream version (f28, el8.3.0) and whose xmd.mbs.virtual_streams
// lists their virtual streams. Every implementation must pass
// resolvertest.Run. Returned streams are shared: callers must not modify
// them.
type Source interface {
	// Streams returns the sorted, distinct stream names of module name that
	// have at least one build; nil when the module is unknown.
	Streams(ctx context.Context, name string) ([]string, error)
	// Builds returns every build of name:stream (all versions and contexts),
	// newest version first, then by context; nil when there is none.
	Builds(ctx context.Context, name, stream string) ([]*modulemd.Stream, error)
}

// GarbageSource is a Source that also knows the builds in state garbage:
// for base modules, those retired as end of life. With
// [ExpandOptions.AllowIncompatibleBaseModules], dependencies built against a
// garbage base module that shares a virtual stream with the buildrequired
// one are candidates, as in MBS; the module being built still gets only
// ready base modules. Sources that do not implement it have no garbage
// builds.
type GarbageSource interface {
	Source
	// GarbageBuilds returns every build of module name in state garbage,
	// any stream, ordered by stream, then newest version first, then by
	// context; nil when there is none. Streams and Builds never return
	// them.
	GarbageBuilds(ctx context.Context, name string) ([]*modulemd.Stream, error)
}

// StateSource is a Source of a build service, which knows every module build
// in any state. Stream expansion then refuses, as MBS does, a chosen
// dependency that has another context of the same name:stream:version
// neither ready nor failed, or that predates module stream expansion (no
// xmd.mbs.mse): an [*UnusableError]. Repository metadata (modules.yaml)
// carries neither states nor xmd, so index sources do not implement it.
type StateSource interface {
	Source
	// BuildStates returns the state (MBS's name: init, wait, build, done,
	// failed, ready, garbage) of every non-scratch build of
	// name:stream:version, by context; nil when the source does not hold
	// that build, and then no check applies to it.
	BuildStates(ctx context.Context, name, stream string, version uint64) (map[string]string, error)
}

// memSource is the in-memory Source over a fixed set of streams.
type memSource struct {
	streams map[string][]string           // name -> sorted stream names
	builds  map[string][]*modulemd.Stream // "name:stream" -> newest first
}

// garbageMemSource adds garbage builds to a memSource.
type garbageMemSource struct {
	*memSource
	garbage map[string][]*modulemd.Stream // name -> garbage builds
}

// NewSource returns a Source over the given module streams (for example
// every stream of a [modulemd.Index]). Streams without a name or stream
// are ignored; of several builds with one NSVC (per-arch copies) the first is
// kept.
func NewSource(streams []*modulemd.Stream) Source {
	return newMemSource(streams)
}

// NewSourceWithGarbage returns a [GarbageSource] over the given ready
// builds and garbage builds (see [NewSource]).
func NewSourceWithGarbage(ready, garbage []*modulemd.Stream) GarbageSource {
	src := &garbageMemSource{memSource: newMemSource(ready), garbage: map[string][]*modulemd.Stream{}}
	g := newMemSource(garbage)
	for name, ss := range g.streams {
		for _, st := range ss {
			src.garbage[name] = append(src.garbage[name], g.builds[name+":"+st]...)
		}
	}
	return src
}

func newMemSource(streams []*modulemd.Stream) *memSource {
	src := &memSource{streams: map[string][]string{}, builds: map[string][]*modulemd.Stream{}}
	seen := map[string]bool{}
	for _, s := range streams {
		if s == nil || s.Name == "" || s.Stream == "" {
			continue
		}
		id := nsvcOf(s)
		if seen[id] {
			continue
		}
		seen[id] = true
		key := s.Name + ":" + s.Stream
		if len(src.builds[key]) == 0 {
			src.streams[s.Name] = append(src.streams[s.Name], s.Stream)
		}
		src.builds[key] = append(src.builds[key], s)
	}
	for _, ss := range src.streams {
		slices.Sort(ss)
	}
	for _, bs := range src.builds {
		sortBuilds(bs)
	}
	return src
}

// sortBuilds orders builds newest version first, then by context.
func sortBuilds(bs []*modulemd.Stream) {
	slices.SortStableFunc(bs, func(a, b *modulemd.Stream) int {
		if c := cmp.Compare(b.Version, a.Version); c != 0 {
			return c
		}
		return cmp.Compare(a.Context, b.Context)
	})
}

func (m *memSource) Streams(ctx context.Context, name string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return slices.Clone(m.streams[name]), nil
}

func (m *memSource) Builds(ctx context.Context, name, stream string) ([]*modulemd.Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return slices.Clone(m.builds[name+":"+stream]), nil
}

func (m *garbageMemSource) GarbageBuilds(ctx context.Context, name string) ([]*modulemd.Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return slices.Clone(m.garbage[name]), nil
}

// nsvcOf formats N:S:V[:C].
func nsvcOf(s *modulemd.Stream) string {
	id := s.Name + ":" + s.Stream + ":" + strconv.FormatUint(s.Version, 10)
	if s.Context != "" {
		id += ":" + s.Context
	}
	return id
}
