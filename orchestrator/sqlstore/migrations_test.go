package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/modkit/modkit/orchestrator"
)

// TestMigrateFromVersion1 opens a database written by the first schema: the
// upgrade keeps its module builds and gives them empty defaults.
func TestMigrateFromVersion1(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "modkit.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied BIGINT NOT NULL)`,
		migrations[0],
		`INSERT INTO schema_migrations (version, applied) VALUES (1, 0)`,
		`INSERT INTO module_builds (name, stream, version, context, build_context, build_context_no_bms,
			runtime_context, state, state_reason, modulemd, source_version, koji_tag, dist_tag, scmurl, owner,
			scratch, rebuild_strategy, batch, reused_module_id, repository, koji_build_id, time_submitted, time_modified)
			VALUES ('old', '1', '1', 'c', '', '', '', 5, '', 'x', '1', '', '', '', 'alice', 0, 'all', 0, 0, '', 0, 0, 0)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	st, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, err := st.SchemaVersion(ctx); err != nil || v != len(migrations) {
		t.Fatalf("schema version %d (%v), want %d", v, err, len(migrations))
	}
	err = st.Update(ctx, func(tx orchestrator.Tx) error {
		mb, err := tx.ModuleBuild(ctx, 1)
		if err != nil {
			return err
		}
		if mb.Name != "old" || mb.State != orchestrator.StateReady || mb.Defaults != "" {
			t.Errorf("migrated build: name %q state %s defaults %q", mb.Name, mb.State, mb.Defaults)
		}
		mb.Defaults = "document: modulemd-defaults\n"
		if err := tx.UpdateModuleBuild(ctx, mb); err != nil {
			return err
		}
		got, err := tx.ModuleBuild(ctx, 1)
		if err == nil && got.Defaults != mb.Defaults {
			t.Errorf("defaults after update: %q", got.Defaults)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
