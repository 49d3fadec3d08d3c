package orchestrator_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/resolver"
	"github.com/modkit/modkit/resolver/resolvertest"
)

// storeWith opens a store holding builds in the given states.
func storeWith(t *testing.T, builds map[orchestrator.ModuleState][]*modulemd.Stream) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, t.TempDir()+"/modkit.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	insertBuilds(t, st, builds)
	return st
}

// insertBuilds records builds in the given states in st, last changed at
// the test environment's time (so the cleanup pollers leave them alone).
func insertBuilds(t *testing.T, st orchestrator.Store, builds map[orchestrator.ModuleState][]*modulemd.Stream) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	err := st.Update(ctx, func(tx orchestrator.Tx) error {
		for state, ss := range builds {
			for _, s := range ss {
				y, err := modulemd.Marshal(s)
				if err != nil {
					return err
				}
				mb := &orchestrator.ModuleBuild{Name: s.Name, Stream: s.Stream, Version: strconv.FormatUint(s.Version, 10),
					Context: s.Context, State: state, Modulemd: string(y), Owner: "test",
					TimeSubmitted: now, TimeModified: now}
				if err := tx.CreateModuleBuild(ctx, mb); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDBSourceContract runs the resolver.Source contract suite, garbage
// builds included, over the store's own builds; failed and building builds
// must stay invisible.
func TestDBSourceContract(t *testing.T) {
	t.Parallel()
	noise := []*modulemd.Stream{resolvertest.Fixture()[4].Clone()}
	noise[0].Version++
	failed := resolvertest.Fixture()[7].Clone()
	failed.Context = "ffff0001"
	st := storeWith(t, map[orchestrator.ModuleState][]*modulemd.Stream{
		orchestrator.StateReady:   resolvertest.Fixture(),
		orchestrator.StateGarbage: resolvertest.FixtureGarbage(),
		orchestrator.StateBuild:   noise,
		orchestrator.StateFailed:  {failed},
	})
	t.Run("DBSource", func(t *testing.T) {
		t.Parallel()
		resolvertest.Run(t, orchestrator.NewDBSource(st))
	})
	t.Run("Sources", func(t *testing.T) {
		t.Parallel()
		resolvertest.Run(t, orchestrator.Sources(resolver.NewSource(nil), orchestrator.NewDBSource(st)))
	})
}

// TestExpansionRefusesUnusableBuildRequires: as MBS's resolve_requires, a
// buildrequire with another context still in the works, or one built
// before module stream expansion, fails the build with MBS's reason.
func TestExpansionRefusesUnusableBuildRequires(t *testing.T) {
	t.Parallel()
	dep := func(context string, mse any) *modulemd.Stream {
		s := platform()
		s.Name, s.Stream, s.Version, s.Context = "dep", "1", 4020240101000000, context
		s.Dependencies = []modulemd.Dependency{{BuildRequires: map[string][]string{"platform": {"f40"}}, Requires: map[string][]string{"platform": {"f40"}}}}
		mbs := map[string]any{"commit": "abc", "buildrequires": map[string]any{"platform": map[string]any{"stream": "f40", "version": "1", "context": "00000000"}}}
		if mse != nil {
			mbs["mse"] = mse
		}
		s.XMD = modulemd.MustXMD(map[string]any{"mbs": mbs})
		return s
	}
	tests := []struct {
		name       string
		builds     map[orchestrator.ModuleState][]*modulemd.Stream
		wantState  orchestrator.ModuleState
		wantReason string
	}{
		// A sibling in an active state would be driven by the running
		// service; garbage is neither ready nor failed too.
		{name: "sibling context retired",
			builds:    map[orchestrator.ModuleState][]*modulemd.Stream{orchestrator.StateReady: {dep("aaaa0001", true)}, orchestrator.StateGarbage: {dep("bbbb0001", true)}},
			wantState: orchestrator.StateFailed, wantReason: `Buildrequire dep-1-4020240101000000 is in "garbage" state`},
		{name: "sibling context failed",
			builds:    map[orchestrator.ModuleState][]*modulemd.Stream{orchestrator.StateReady: {dep("aaaa0001", true)}, orchestrator.StateFailed: {dep("bbbb0001", true)}},
			wantState: orchestrator.StateReady},
		{name: "built before stream expansion",
			builds:    map[orchestrator.ModuleState][]*modulemd.Stream{orchestrator.StateReady: {dep("aaaa0001", nil)}},
			wantState: orchestrator.StateFailed, wantReason: `The module "dep:1:4020240101000000:aaaa0001" is not built using Module Stream Expansion. Please rebuild this module first`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, t.TempDir(), nil, nil)
			insertBuilds(t, e.store, tc.builds)
			e.run(t)
			yaml := strings.Replace(moduleYAML("demo", 1, 1), "      platform: [f40]\n    requires:", "      platform: [f40]\n      dep: [\"1\"]\n    requires:", 1)
			mb := e.wait(t, submit(t, e, yaml, nil)[0].ID)[0]
			if mb.State != tc.wantState || mb.StateReason != tc.wantReason {
				t.Errorf("got %s %q, want %s %q", mb.State, mb.StateReason, tc.wantState, tc.wantReason)
			}
		})
	}
}
