package orchestrator

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"sync"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/resolver"
)

// DBSource is a [resolver.Source] over the store's own module builds in state
// ready: MBS's "db" resolver. It is also a [resolver.GarbageSource] (builds
// in state garbage, for base modules retired as end of life). Decoded
// streams are cached (a ready or garbage build's metadata never changes), so
// repeated expansions stay cheap.
type DBSource struct {
	store Store

	mu    sync.Mutex
	cache map[int64]*modulemd.Stream
}

var (
	_ resolver.GarbageSource = (*DBSource)(nil)
	_ resolver.StateSource   = (*DBSource)(nil)
)

// NewDBSource returns a source over the ready builds of st.
func NewDBSource(st Store) *DBSource {
	return &DBSource{store: st, cache: map[int64]*modulemd.Stream{}}
}

// Streams implements [resolver.Source].
func (d *DBSource) Streams(ctx context.Context, name string) ([]string, error) {
	var out []string
	err := d.store.View(ctx, func(tx Tx) error {
		mbs, _, err := tx.ListModuleBuilds(ctx, &ModuleBuildFilter{Name: name, States: []ModuleState{StateReady}})
		for _, mb := range mbs {
			out = append(out, mb.Stream)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Builds implements [resolver.Source].
func (d *DBSource) Builds(ctx context.Context, name, stream string) ([]*modulemd.Stream, error) {
	return d.list(ctx, &ModuleBuildFilter{
		Name: name, Stream: stream, States: []ModuleState{StateReady},
		OrderBy: []Order{{Field: "version", Desc: true}, {Field: "context"}},
	})
}

// BuildStates implements [resolver.StateSource]: the states of the
// non-scratch builds of name:stream:version in the store.
func (d *DBSource) BuildStates(ctx context.Context, name, stream string, version uint64) (map[string]string, error) {
	var out map[string]string
	err := d.store.View(ctx, func(tx Tx) error {
		mbs, _, err := tx.ListModuleBuilds(ctx, &ModuleBuildFilter{
			Name: name, Stream: stream, Version: strconv.FormatUint(version, 10), Scratch: new(bool)})
		for _, mb := range mbs {
			if out == nil {
				out = map[string]string{}
			}
			out[mb.Context] = mb.State.String()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GarbageBuilds implements [resolver.GarbageSource].
func (d *DBSource) GarbageBuilds(ctx context.Context, name string) ([]*modulemd.Stream, error) {
	return d.list(ctx, &ModuleBuildFilter{
		Name: name, States: []ModuleState{StateGarbage},
		OrderBy: []Order{{Field: "stream"}, {Field: "version", Desc: true}, {Field: "context"}},
	})
}

// list returns the decoded streams of the module builds f selects.
func (d *DBSource) list(ctx context.Context, f *ModuleBuildFilter) ([]*modulemd.Stream, error) {
	var mbs []*ModuleBuild
	err := d.store.View(ctx, func(tx Tx) error {
		var err error
		mbs, _, err = tx.ListModuleBuilds(ctx, f)
		return err
	})
	if err != nil || len(mbs) == 0 {
		return nil, err
	}
	out := make([]*modulemd.Stream, 0, len(mbs))
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, mb := range mbs {
		s := d.cache[mb.ID]
		if s == nil {
			s, err = decodeStream(mb.Modulemd)
			if err != nil {
				return nil, err
			}
			// The stored document carries the NSVC the build got.
			s.Name, s.Stream, s.Context = mb.Name, mb.Stream, mb.Context
			s.Version, _ = strconv.ParseUint(mb.Version, 10, 64)
			d.cache[mb.ID] = s
		}
		out = append(out, s)
	}
	return out, nil
}

// Sources combines several sources into one: Streams is the union, Builds the
// concatenation ordered newest version first, then by context (earlier
// sources first on ties). The result is a [resolver.GarbageSource] and a
// [resolver.StateSource] over the sources that implement them.
func Sources(srcs ...resolver.Source) resolver.Source { return multiSource(srcs) }

type multiSource []resolver.Source

func (m multiSource) BuildStates(ctx context.Context, name, stream string, version uint64) (map[string]string, error) {
	var out map[string]string
	for _, s := range m {
		ss, ok := s.(resolver.StateSource)
		if !ok {
			continue
		}
		states, err := ss.BuildStates(ctx, name, stream, version)
		if err != nil {
			return nil, err
		}
		for c, st := range states {
			if out == nil {
				out = map[string]string{}
			}
			if _, seen := out[c]; !seen {
				out[c] = st
			}
		}
	}
	return out, nil
}

func (m multiSource) GarbageBuilds(ctx context.Context, name string) ([]*modulemd.Stream, error) {
	var out []*modulemd.Stream
	seen := map[string]bool{}
	for _, s := range m {
		gs, ok := s.(resolver.GarbageSource)
		if !ok {
			continue
		}
		bs, err := gs.GarbageBuilds(ctx, name)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			if id := b.NSVC(); !seen[id] {
				seen[id] = true
				out = append(out, b)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b *modulemd.Stream) int {
		return cmp.Or(cmp.Compare(a.Stream, b.Stream), cmp.Compare(b.Version, a.Version), cmp.Compare(a.Context, b.Context))
	})
	return out, nil
}

func (m multiSource) Streams(ctx context.Context, name string) ([]string, error) {
	var out []string
	for _, s := range m {
		ss, err := s.Streams(ctx, name)
		if err != nil {
			return nil, err
		}
		out = append(out, ss...)
	}
	if len(out) == 0 {
		return nil, nil
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func (m multiSource) Builds(ctx context.Context, name, stream string) ([]*modulemd.Stream, error) {
	var out []*modulemd.Stream
	seen := map[string]bool{}
	for _, s := range m {
		bs, err := s.Builds(ctx, name, stream)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			id := b.Name + ":" + b.Stream + ":" + strconv.FormatUint(b.Version, 10) + ":" + b.Context
			if !seen[id] {
				seen[id] = true
				out = append(out, b)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b *modulemd.Stream) int {
		if c := cmp.Compare(b.Version, a.Version); c != 0 {
			return c
		}
		return cmp.Compare(a.Context, b.Context)
	})
	return out, nil
}
