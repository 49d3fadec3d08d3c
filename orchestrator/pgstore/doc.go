// Package pgstore is the PostgreSQL implementation of [orchestrator.Store],
// built on github.com/jackc/pgx/v5, for running several `modkit serve`
// processes on one database.
//
// [Open] applies the schema migrations the database lacks, in one
// transaction under an advisory lock (processes starting together migrate
// once), and refuses a database whose schema a newer modkit wrote
// ([ErrSchemaTooNew]).
//
// Concurrency: Update transactions run at READ COMMITTED, and
// Tx.ModuleBuild in an Update transaction locks the module build's row
// (SELECT ... FOR UPDATE), so changes to one module build, and the events
// describing them, are committed one after another in the order the
// outbox ids say; View transactions are read-only REPEATABLE READ
// snapshots. Leases ([Store.Claim]) live in the leases table and expire by
// the database server's clock; Tx.HoldsLease share-locks the lease row, so
// work recorded under a lease cannot commit after the lease was taken
// over.
//
// Times are stored as timestamptz (microseconds), lists as jsonb, event
// bodies as json (the text is kept byte for byte).
//
// Usage:
//
//	st, err := pgstore.Open(ctx, "postgres://modkit@db.example.com/modkit", nil)
//	if err != nil { ... }
//	defer st.Close()
//	svc, err := orchestrator.NewService(&orchestrator.Options{Store: st, Builder: b, ...})
package pgstore
