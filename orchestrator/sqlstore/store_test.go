package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/orchestrator/storetest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) orchestrator.Store {
		st, err := sqlstore.Open(t.Context(), filepath.Join(t.TempDir(), "sub", "modkit.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

func TestContractInMemory(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) orchestrator.Store {
		st, err := sqlstore.Open(t.Context(), ":memory:", nil)
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

// TestReopen checks that data and the schema version survive closing and
// reopening, and that migrations are not applied twice.
func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "modkit.db")
	st, err := sqlstore.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	mb := &orchestrator.ModuleBuild{Name: "foo", Stream: "1", Version: "1", Context: "c", Modulemd: "x"}
	if err := st.Update(ctx, func(tx orchestrator.Tx) error { return tx.CreateModuleBuild(ctx, mb) }); err != nil {
		t.Fatal(err)
	}
	v1, err := st.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = sqlstore.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v2, err := st.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v1 != v2 || v1 < 1 {
		t.Errorf("schema version %d after reopen, %d before", v2, v1)
	}
	err = st.View(ctx, func(tx orchestrator.Tx) error {
		got, err := tx.ModuleBuild(ctx, mb.ID)
		if err == nil && got.Name != "foo" {
			t.Errorf("got %+v", got)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
