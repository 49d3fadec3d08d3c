package orchestrator_test

import (
	"context"
	"strconv"
	"testing"

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
	err = st.Update(ctx, func(tx orchestrator.Tx) error {
		for state, ss := range builds {
			for _, s := range ss {
				y, err := modulemd.Marshal(s)
				if err != nil {
					return err
				}
				mb := &orchestrator.ModuleBuild{Name: s.Name, Stream: s.Stream, Version: strconv.FormatUint(s.Version, 10),
					Context: s.Context, State: state, Modulemd: string(y), Owner: "test"}
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
	return st
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
