package pdc

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/modkit/modkit/modulemd"
)

// Source is a module source over PDC for package resolver (it implements
// resolver.Source): the active module builds recorded in PDC, with their
// modulemd. Freshmaker and MBS's PDC resolver asked PDC the same way.
type Source struct {
	Client *Client
	// Inactive also returns builds that are not active (not ready).
	Inactive bool
}

func (s *Source) filter(name, stream string) *ModuleFilter {
	f := &ModuleFilter{Name: name, Stream: stream, PageSize: -1}
	if !s.Inactive {
		t := true
		f.Active = &t
	}
	return f
}

// Streams returns the sorted distinct streams of module name; nil when PDC
// has no build of it.
func (s *Source) Streams(ctx context.Context, name string) ([]string, error) {
	var out []string
	for m, err := range s.Client.Modules(ctx, s.filter(name, "")) {
		if err != nil {
			return nil, err
		}
		if m.Name == name && !slices.Contains(out, m.Stream) {
			out = append(out, m.Stream)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Builds returns every build of name:stream, newest version first, then by
// context, parsed from the modulemd PDC holds; nil when there is none.
func (s *Source) Builds(ctx context.Context, name, stream string) ([]*modulemd.Stream, error) {
	var out []*modulemd.Stream
	for m, err := range s.Client.Modules(ctx, s.filter(name, stream)) {
		if err != nil {
			return nil, err
		}
		if m.Name != name || m.Stream != stream {
			continue
		}
		docs, err := modulemd.Parse([]byte(m.Modulemd))
		if err != nil {
			return nil, fmt.Errorf("pdc: modulemd of %s: %w", m.UID, err)
		}
		var st *modulemd.Stream
		for _, d := range docs {
			if v, ok := d.(*modulemd.Stream); ok {
				st = v
				break
			}
		}
		if st == nil {
			return nil, fmt.Errorf("pdc: modulemd of %s has no module stream", m.UID)
		}
		// PDC's fields are authoritative for the build's identity.
		st.Name, st.Stream, st.Context = m.Name, m.Stream, m.Context
		if v, err := strconv.ParseUint(m.Version, 10, 64); err == nil {
			st.Version = v
		} else {
			return nil, fmt.Errorf("pdc: module %s: version %q is not a number", m.UID, m.Version)
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b *modulemd.Stream) int {
		return cmp.Or(cmp.Compare(b.Version, a.Version), cmp.Compare(a.Context, b.Context))
	})
	return out, nil
}
