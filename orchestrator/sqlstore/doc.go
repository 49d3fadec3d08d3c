// Package sqlstore is the embedded SQLite implementation of
// [orchestrator.Store], built on the pure-Go driver modernc.org/sqlite (no cgo).
//
// The database is created on first use, runs in WAL mode so readers never
// block the writer, and carries its schema version in a schema_migrations
// table: [Open] applies the migrations a database lacks, in order, each in its
// own transaction.
//
// The SQL is kept portable (RETURNING, no INSERT OR REPLACE, no SQLite date
// functions; times are BIGINT microseconds since the epoch), so a PostgreSQL
// store can share the statements with `$n` placeholders.
//
// Usage:
//
//	st, err := sqlstore.Open(ctx, filepath.Join(stateDir, "modkit.db"), nil)
//	if err != nil { ... }
//	defer st.Close()
//	svc, err := orchestrator.NewService(&orchestrator.Options{Store: st, Builder: b, ...})
package sqlstore
