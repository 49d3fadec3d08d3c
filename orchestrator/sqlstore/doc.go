// Package sqlstore is the embedded SQLite implementation of
// [orchestrator.Store], built on the pure-Go driver modernc.org/sqlite (no cgo).
//
// The database is created on first use, runs in WAL mode so readers never
// block the writer, and carries its schema version in a schema_migrations
// table: [Open] applies the migrations a database lacks, in order, each in its
// own transaction.
//
// Durability: the database uses synchronous=NORMAL, which in WAL mode syncs
// the log at checkpoints rather than at every commit. A committed
// transaction survives the process being killed (the WAL is in the
// operating system's cache and is replayed on the next open; the crash
// test kills the service with SIGKILL), but the last transactions before a
// power loss or kernel crash may be lost, never leaving the database
// inconsistent: the service then redoes a little work (Builder calls are
// idempotent). synchronous=FULL would cost an fsync per state change.
//
// One service process works on an SQLite database at a time: the store's
// leases ([Store.Claim]) live in its memory, so a restarted process resumes
// at once. Several processes sharing the work need the PostgreSQL store
// (orchestrator/pgstore).
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
