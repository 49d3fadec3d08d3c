package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/pgstore"
	"github.com/modkit/modkit/orchestrator/pgstore/pgtest"
	"github.com/modkit/modkit/orchestrator/storetest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) orchestrator.Store {
		st, err := pgstore.Open(t.Context(), pgtest.NewDatabase(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

// TestMigrations checks that reopening applies nothing twice, that
// concurrent opens of an empty database migrate it once, and that a
// database with a newer schema is refused.
func TestMigrations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			st, err := pgstore.Open(ctx, url, nil)
			if err == nil {
				st.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent open: %v", err)
		}
	}
	st, err := pgstore.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := st.SchemaVersion(ctx)
	st.Close()
	if err != nil || v != pgstore.SchemaVersions() {
		t.Fatalf("schema version %d (%v), want %d", v, err, pgstore.SchemaVersions())
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != v {
		t.Errorf("%d rows in schema_migrations (%v), want %d", n, err, v)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v+1); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	_, err = pgstore.Open(ctx, url, nil)
	if !errors.Is(err, pgstore.ErrSchemaTooNew) || !strings.Contains(err.Error(), "upgrade modkit") {
		t.Errorf("open of a newer database: got %v, want ErrSchemaTooNew", err)
	}
}

func TestBadURL(t *testing.T) {
	t.Parallel()
	_, err := pgstore.Open(context.Background(), "postgres://%zz", nil)
	if err == nil || !strings.HasPrefix(err.Error(), "pgstore:") {
		t.Errorf("got %v, want a pgstore error", err)
	}
}
