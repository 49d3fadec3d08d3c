package pdc_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/pdc"
	"github.com/modkit/modkit/resolver"
	"github.com/modkit/modkit/resolver/resolvertest"
)

var _ resolver.Source = (*pdc.Source)(nil)

func TestSource(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, w, r := newServer(t)
	add := func(name, stream string, version uint64, context string, active bool) {
		md := fmt.Sprintf("document: modulemd\nversion: 2\ndata:\n  name: %s\n  stream: \"%s\"\n  version: %d\n  context: %s\n  summary: s\n  description: d.\n  license:\n    module: [MIT]\n", name, stream, version, context)
		m, err := w.CreateModule(ctx, &pdc.Module{Name: name, Stream: stream, Version: fmt.Sprint(version), Context: context, KojiTag: "t", Modulemd: md})
		if err != nil {
			t.Fatal(err)
		}
		if active {
			if _, err := w.PatchModule(ctx, m.UID, map[string]any{"active": true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	add("nodejs", "8", 1, "aaaa0000", true)
	add("nodejs", "8", 2, "bbbb0000", true)
	add("nodejs", "8", 2, "aaaa0000", true)
	add("nodejs", "10", 1, "aaaa0000", true)
	add("nodejs", "12", 1, "aaaa0000", false)
	src := &pdc.Source{Client: r}
	streams, err := src.Streams(ctx, "nodejs")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"10", "8"}, streams); diff != "" {
		t.Errorf("streams (-want +got):\n%s", diff)
	}
	builds, err := src.Builds(ctx, "nodejs", "8")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range builds {
		got = append(got, fmt.Sprintf("%d:%s", b.Version, b.Context))
	}
	if diff := cmp.Diff([]string{"2:aaaa0000", "2:bbbb0000", "1:aaaa0000"}, got); diff != "" {
		t.Errorf("builds (-want +got):\n%s", diff)
	}
	if s, err := src.Streams(ctx, "nope"); err != nil || s != nil {
		t.Errorf("unknown module: %v, %v", s, err)
	}
}

// TestSourceContract runs resolver's contract suite over a PDC holding
// the fixture's builds, all active.
func TestSourceContract(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, w, r := newServer(t)
	for _, st := range resolvertest.Fixture() {
		md, err := modulemd.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		m, err := w.CreateModule(ctx, &pdc.Module{Name: st.Name, Stream: st.Stream, Version: fmt.Sprint(st.Version),
			Context: st.Context, KojiTag: "module-" + st.Name, Modulemd: string(md)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.PatchModule(ctx, m.UID, map[string]any{"active": true}); err != nil {
			t.Fatal(err)
		}
	}
	resolvertest.Run(t, &pdc.Source{Client: r})
}
