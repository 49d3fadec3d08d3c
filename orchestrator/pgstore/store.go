package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/modkit/modkit/orchestrator"
)

// Options tune [Open]; nil means defaults.
type Options struct {
	// MaxConns is the most connections the store opens; default 10 (a
	// service process runs one transaction per module build worker at a
	// time, briefly).
	MaxConns int32
}

// Store is an [orchestrator.Store] in a PostgreSQL database. It is safe for
// concurrent use, and several processes may share one database.
type Store struct {
	pool *pgxpool.Pool
	name string // the database, for messages
	// queries counts the statements sent (BEGIN and COMMIT included), for
	// measuring round trips.
	queries atomic.Int64
}

var _ orchestrator.Store = (*Store)(nil)

// ErrSchemaTooNew is returned by Open for a database whose schema a newer
// modkit wrote.
var ErrSchemaTooNew = errors.New("database schema is newer than this program")

// migrationLock is the advisory lock key serialising concurrent Opens that
// migrate one database ("modkit" in ASCII).
const migrationLock = 0x6d6f646b6974

// Open connects to the PostgreSQL database at url (a postgres:// URL or a
// libpq key=value string) and brings its schema up to date, creating the
// tables in an empty database. A database with a newer schema than this
// program knows is refused with an error wrapping [ErrSchemaTooNew].
func Open(ctx context.Context, url string, opts *Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	cfg.MaxConns = 10
	if opts != nil && opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s := &Store{pool: pool, name: cfg.ConnConfig.Database + " on " + cfg.ConnConfig.Host}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Statements returns the number of statements the store has sent to the
// server, BEGIN and COMMIT included: each is one network round trip.
func (s *Store) Statements() int64 { return s.queries.Load() }

// SchemaVersion returns the schema version of the database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// SchemaVersions returns the schema version this program writes.
func SchemaVersions() int { return len(migrations) }

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: connect to %s: %w", s.name, err)
	}
	defer tx.Rollback(ctx)
	// Several processes starting at once: one migrates, the others wait
	// and then find the schema current.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("pgstore: lock %s for migration: %w", s.name, err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("pgstore: open %s: %w", s.name, err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("pgstore: read schema version of %s: %w", s.name, err)
	}
	if have > len(migrations) {
		return fmt.Errorf("pgstore: database %s has schema version %d, this program knows up to %d: upgrade modkit: %w",
			s.name, have, len(migrations), ErrSchemaTooNew)
	}
	for v := have + 1; v <= len(migrations); v++ {
		if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
			return fmt.Errorf("pgstore: migrate %s to schema version %d: %w", s.name, v, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v); err != nil {
			return fmt.Errorf("pgstore: migrate %s to schema version %d: %w", s.name, v, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: migrate %s: %w", s.name, err)
	}
	return nil
}

// Update implements [orchestrator.Store]. The transaction runs at READ
// COMMITTED; ModuleBuild locks the row it reads (SELECT ... FOR UPDATE).
func (s *Store) Update(ctx context.Context, fn func(orchestrator.Tx) error) error {
	return s.run(ctx, pgx.TxOptions{}, true, fn)
}

// View implements [orchestrator.Store]: a read-only REPEATABLE READ
// transaction, so a View sees one consistent snapshot.
func (s *Store) View(ctx context.Context, fn func(orchestrator.Tx) error) error {
	return s.run(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, false, fn)
}

func (s *Store) run(ctx context.Context, opts pgx.TxOptions, write bool, fn func(orchestrator.Tx) error) error {
	s.queries.Add(1)
	ptx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("pgstore: begin: %w", err)
	}
	t := &tx{tx: ptx, s: s, write: write}
	if err := fn(t); err != nil {
		s.queries.Add(1)
		ptx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	s.queries.Add(1)
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: commit: %w", err)
	}
	return nil
}

type tx struct {
	tx    pgx.Tx
	s     *Store
	write bool
}

func (t *tx) queryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	t.s.queries.Add(1)
	return t.tx.QueryRow(ctx, sql, args...)
}

func (t *tx) query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	t.s.queries.Add(1)
	return t.tx.Query(ctx, sql, args...)
}

func (t *tx) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	t.s.queries.Add(1)
	return t.tx.Exec(ctx, sql, args...)
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

const moduleCols = `id, name, stream, version, context, build_context, build_context_no_bms,
	runtime_context, state, state_reason, modulemd, source_version, koji_tag, dist_tag, scmurl, owner,
	scratch, rebuild_strategy, batch, reused_module_id, repository, koji_build_id,
	time_submitted, time_modified, time_completed, defaults`

func moduleArgs(mb *orchestrator.ModuleBuild) []any {
	return []any{mb.Name, mb.Stream, mb.Version, mb.Context, mb.BuildContext, mb.BuildContextNoBMS,
		mb.RuntimeContext, int(mb.State), mb.StateReason, mb.Modulemd, mb.SourceVersion, mb.KojiTag, mb.DistTag,
		mb.SCMURL, mb.Owner, mb.Scratch, mb.RebuildStrategy, mb.Batch, mb.ReusedModuleID,
		mb.Publication.Repository, mb.Publication.KojiBuildID,
		mb.TimeSubmitted, mb.TimeModified, nullTime(mb.TimeCompleted), mb.Defaults}
}

// placeholders returns "$from, $from+1, ..., $from+n-1".
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

func scanModule(r pgx.Row, extra ...any) (*orchestrator.ModuleBuild, error) {
	var mb orchestrator.ModuleBuild
	var state int
	var sub, mod time.Time
	var done *time.Time
	dest := []any{&mb.ID, &mb.Name, &mb.Stream, &mb.Version, &mb.Context, &mb.BuildContext,
		&mb.BuildContextNoBMS, &mb.RuntimeContext, &state, &mb.StateReason, &mb.Modulemd,
		&mb.SourceVersion, &mb.KojiTag, &mb.DistTag, &mb.SCMURL, &mb.Owner, &mb.Scratch, &mb.RebuildStrategy,
		&mb.Batch, &mb.ReusedModuleID, &mb.Publication.Repository, &mb.Publication.KojiBuildID,
		&sub, &mod, &done, &mb.Defaults}
	if err := r.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	mb.State = orchestrator.ModuleState(state)
	mb.TimeSubmitted, mb.TimeModified, mb.TimeCompleted = sub.UTC(), mod.UTC(), utc(done)
	return &mb, nil
}

func (t *tx) CreateModuleBuild(ctx context.Context, mb *orchestrator.ModuleBuild) error {
	err := t.queryRow(ctx, `INSERT INTO module_builds (`+moduleCols[4:]+`) VALUES (`+placeholders(1, 25)+`) RETURNING id`,
		moduleArgs(mb)...).Scan(&mb.ID)
	if isUnique(err) {
		return fmt.Errorf("pgstore: module build %s:%s:%s:%s exists: %w", mb.Name, mb.Stream, mb.Version, mb.Context, orchestrator.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("pgstore: insert module build: %w", err)
	}
	return nil
}

func (t *tx) UpdateModuleBuild(ctx context.Context, mb *orchestrator.ModuleBuild) error {
	args := append(moduleArgs(mb), mb.ID)
	tag, err := t.exec(ctx, `UPDATE module_builds SET name = $1, stream = $2, version = $3,
		context = $4, build_context = $5, build_context_no_bms = $6, runtime_context = $7, state = $8,
		state_reason = $9, modulemd = $10, source_version = $11, koji_tag = $12, dist_tag = $13, scmurl = $14,
		owner = $15, scratch = $16, rebuild_strategy = $17, batch = $18, reused_module_id = $19, repository = $20,
		koji_build_id = $21, time_submitted = $22, time_modified = $23, time_completed = $24, defaults = $25
		WHERE id = $26`, args...)
	if isUnique(err) {
		return fmt.Errorf("pgstore: module build %s:%s:%s:%s exists: %w", mb.Name, mb.Stream, mb.Version, mb.Context, orchestrator.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("pgstore: update module build %d: %w", mb.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: module build %d: %w", mb.ID, orchestrator.ErrNotFound)
	}
	return nil
}

func (t *tx) ModuleBuild(ctx context.Context, id int64) (*orchestrator.ModuleBuild, error) {
	q := `SELECT ` + moduleCols + ` FROM module_builds WHERE id = $1`
	if t.write {
		q += ` FOR UPDATE`
	}
	mb, err := scanModule(t.queryRow(ctx, q, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("module build %d: %w", id, orchestrator.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: read module build %d: %w", id, err)
	}
	return mb, nil
}

// where accumulates conditions and their arguments ($n placeholders).
type where struct {
	conds []string
	args  []any
}

func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *where) eq(col string, v string) {
	if v != "" {
		w.conds = append(w.conds, col+" = "+w.arg(v))
	}
}

func (w *where) add(col, op string, v any) {
	w.conds = append(w.conds, col+" "+op+" "+w.arg(v))
}

func (w *where) before(col string, t time.Time) {
	if !t.IsZero() {
		w.add(col, "<", t)
	}
}

func (w *where) after(col string, t time.Time) {
	if !t.IsZero() {
		w.add(col, ">", t)
	}
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func orderClause(orders []orchestrator.Order, allowed []string, def string, numeric map[string]bool) (string, error) {
	if len(orders) == 0 {
		return " ORDER BY " + def, nil
	}
	var parts []string
	hasID := false
	for _, o := range orders {
		if !slices.Contains(allowed, o.Field) {
			return "", fmt.Errorf("%w: cannot order by %q", orchestrator.ErrInvalid, o.Field)
		}
		dir := " ASC"
		if o.Desc {
			dir = " DESC"
		}
		if numeric[o.Field] {
			// Decimal strings without leading zeros sort numerically by
			// length first; exact beyond int64.
			parts = append(parts, "LENGTH("+o.Field+")"+dir)
		}
		parts = append(parts, o.Field+dir)
		hasID = hasID || o.Field == "id"
	}
	if !hasID {
		parts = append(parts, "id DESC")
	}
	return " ORDER BY " + strings.Join(parts, ", "), nil
}

func limitClause(limit, offset int) string {
	var s string
	if limit > 0 {
		s += fmt.Sprintf(" LIMIT %d", limit)
	}
	if offset > 0 {
		s += fmt.Sprintf(" OFFSET %d", offset)
	}
	return s
}

// list runs a paged query with the total count in the same round trip
// (COUNT(*) OVER ()); only a page past the end needs a second query for
// the total.
func list[T any](ctx context.Context, t *tx, what, cols, table string, w *where, order string, limit, offset int, scan func(pgx.Row, *int) (T, error)) ([]T, int, error) {
	rows, err := t.query(ctx, `SELECT `+cols+`, COUNT(*) OVER () FROM `+table+w.String()+order+limitClause(limit, offset), w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("pgstore: list %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	total := 0
	for rows.Next() {
		v, err := scan(rows, &total)
		if err != nil {
			return nil, 0, fmt.Errorf("pgstore: list %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("pgstore: list %s: %w", what, err)
	}
	if len(out) == 0 && offset > 0 {
		if err := t.queryRow(ctx, `SELECT COUNT(*) FROM `+table+w.String(), w.args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("pgstore: count %s: %w", what, err)
		}
	}
	return out, total, nil
}

func (t *tx) ListModuleBuilds(ctx context.Context, f *orchestrator.ModuleBuildFilter) ([]*orchestrator.ModuleBuild, int, error) {
	if f == nil {
		f = &orchestrator.ModuleBuildFilter{}
	}
	var w where
	if len(f.IDs) > 0 {
		w.conds = append(w.conds, "id = ANY("+w.arg(f.IDs)+")")
	}
	w.eq("name", f.Name)
	w.eq("stream", f.Stream)
	w.eq("version", f.Version)
	w.eq("context", f.Context)
	w.eq("owner", f.Owner)
	w.eq("scmurl", f.SCMURL)
	w.eq("rebuild_strategy", f.RebuildStrategy)
	w.eq("koji_tag", f.KojiTag)
	w.eq("build_context", f.BuildContext)
	w.eq("build_context_no_bms", f.BuildContextNoBMS)
	w.eq("runtime_context", f.RuntimeContext)
	w.eq("source_version", f.SourceVersion)
	w.eq("state_reason", f.StateReason)
	if f.Scratch != nil {
		w.add("scratch", "=", *f.Scratch)
	}
	if f.Batch != nil {
		w.add("batch", "=", *f.Batch)
	}
	if len(f.States) > 0 {
		states := make([]int32, len(f.States))
		for i, s := range f.States {
			states[i] = int32(s)
		}
		w.conds = append(w.conds, "state = ANY("+w.arg(states)+")")
	}
	w.before("time_submitted", f.SubmittedBefore)
	w.after("time_submitted", f.SubmittedAfter)
	w.before("time_modified", f.ModifiedBefore)
	w.after("time_modified", f.ModifiedAfter)
	w.before("time_completed", f.CompletedBefore)
	w.after("time_completed", f.CompletedAfter)
	order, err := orderClause(f.OrderBy, orchestrator.ModuleBuildColumns, "id DESC", map[string]bool{"version": true})
	if err != nil {
		return nil, 0, err
	}
	return list(ctx, t, "module builds", moduleCols, "module_builds", &w, order, f.Limit, f.Offset,
		func(r pgx.Row, total *int) (*orchestrator.ModuleBuild, error) { return scanModule(r, total) })
}

const componentCols = `id, module_id, package, scmurl, ref, format, batch, state, state_reason,
	task_id, nvr, build_time_only, buildonly, reused_component_id, weight, attempt, rpms, licenses`

func jsonList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func nullState(s *orchestrator.ComponentState) *int32 {
	if s == nil {
		return nil
	}
	v := int32(*s)
	return &v
}

func componentArgs(c *orchestrator.ComponentBuild) []any {
	return []any{c.ModuleID, c.Package, c.SCMURL, c.Ref, c.Format, c.Batch, nullState(c.State),
		c.StateReason, c.TaskID, c.NVR, c.BuildTimeOnly, c.Buildonly, c.ReusedComponentID, c.Weight, c.Attempt,
		jsonList(c.RPMs), jsonList(c.Licenses)}
}

func scanComponent(r pgx.Row, extra ...any) (*orchestrator.ComponentBuild, error) {
	var c orchestrator.ComponentBuild
	var state *int32
	var rpms, lic []byte
	dest := []any{&c.ID, &c.ModuleID, &c.Package, &c.SCMURL, &c.Ref, &c.Format, &c.Batch, &state,
		&c.StateReason, &c.TaskID, &c.NVR, &c.BuildTimeOnly, &c.Buildonly, &c.ReusedComponentID,
		&c.Weight, &c.Attempt, &rpms, &lic}
	if err := r.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	if state != nil {
		s := orchestrator.ComponentState(*state)
		c.State = &s
	}
	if err := json.Unmarshal(rpms, &c.RPMs); err != nil {
		return nil, fmt.Errorf("component build %d: rpms: %w", c.ID, err)
	}
	if err := json.Unmarshal(lic, &c.Licenses); err != nil {
		return nil, fmt.Errorf("component build %d: licenses: %w", c.ID, err)
	}
	if len(c.RPMs) == 0 {
		c.RPMs = nil
	}
	if len(c.Licenses) == 0 {
		c.Licenses = nil
	}
	return &c, nil
}

func (t *tx) CreateComponentBuild(ctx context.Context, c *orchestrator.ComponentBuild) error {
	err := t.queryRow(ctx, `INSERT INTO component_builds (`+componentCols[4:]+`) VALUES (`+placeholders(1, 17)+`) RETURNING id`,
		componentArgs(c)...).Scan(&c.ID)
	if isUnique(err) {
		return fmt.Errorf("pgstore: component %s of module build %d exists: %w", c.Package, c.ModuleID, orchestrator.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("pgstore: insert component build %s: %w", c.Package, err)
	}
	return nil
}

func (t *tx) UpdateComponentBuild(ctx context.Context, c *orchestrator.ComponentBuild) error {
	args := append(componentArgs(c), c.ID)
	tag, err := t.exec(ctx, `UPDATE component_builds SET module_id = $1, package = $2,
		scmurl = $3, ref = $4, format = $5, batch = $6, state = $7, state_reason = $8, task_id = $9, nvr = $10,
		build_time_only = $11, buildonly = $12, reused_component_id = $13, weight = $14, attempt = $15,
		rpms = $16, licenses = $17 WHERE id = $18`, args...)
	if err != nil {
		return fmt.Errorf("pgstore: update component build %d: %w", c.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: component build %d: %w", c.ID, orchestrator.ErrNotFound)
	}
	return nil
}

func (t *tx) ComponentBuild(ctx context.Context, id int64) (*orchestrator.ComponentBuild, error) {
	c, err := scanComponent(t.queryRow(ctx, `SELECT `+componentCols+` FROM component_builds WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("component build %d: %w", id, orchestrator.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: read component build %d: %w", id, err)
	}
	return c, nil
}

func (t *tx) ListComponentBuilds(ctx context.Context, f *orchestrator.ComponentBuildFilter) ([]*orchestrator.ComponentBuild, int, error) {
	if f == nil {
		f = &orchestrator.ComponentBuildFilter{}
	}
	var w where
	if len(f.IDs) > 0 {
		w.conds = append(w.conds, "id = ANY("+w.arg(f.IDs)+")")
	}
	if f.ModuleID != 0 {
		w.add("module_id", "=", f.ModuleID)
	}
	w.eq("package", f.Package)
	w.eq("format", f.Format)
	w.eq("scmurl", f.SCMURL)
	w.eq("ref", f.Ref)
	w.eq("task_id", f.TaskID)
	w.eq("nvr", f.NVR)
	w.eq("state_reason", f.StateReason)
	if f.Batch != nil {
		w.add("batch", "=", *f.Batch)
	}
	if f.BuildTimeOnly != nil {
		w.add("build_time_only", "=", *f.BuildTimeOnly)
	}
	if f.Buildonly != nil {
		w.add("buildonly", "=", *f.Buildonly)
	}
	if f.ReusedComponentID != nil {
		w.add("reused_component_id", "=", *f.ReusedComponentID)
	}
	if len(f.States) > 0 || f.Waiting {
		var alts []string
		if len(f.States) > 0 {
			states := make([]int32, len(f.States))
			for i, s := range f.States {
				states[i] = int32(s)
			}
			alts = append(alts, "state = ANY("+w.arg(states)+")")
		}
		if f.Waiting {
			alts = append(alts, "state IS NULL")
		}
		w.conds = append(w.conds, "("+strings.Join(alts, " OR ")+")")
	}
	order, err := orderClause(f.OrderBy, orchestrator.ComponentBuildColumns, "id ASC", nil)
	if err != nil {
		return nil, 0, err
	}
	return list(ctx, t, "component builds", componentCols, "component_builds", &w, order, f.Limit, f.Offset,
		func(r pgx.Row, total *int) (*orchestrator.ComponentBuild, error) { return scanComponent(r, total) })
}

func (t *tx) AddModuleTrace(ctx context.Context, moduleID int64, tr orchestrator.StateTrace) error {
	_, err := t.exec(ctx, `INSERT INTO module_build_traces (module_id, state_time, state, state_reason) VALUES ($1, $2, $3, $4)`,
		moduleID, tr.Time, int(tr.State), tr.Reason)
	if err != nil {
		return fmt.Errorf("pgstore: insert trace of module build %d: %w", moduleID, err)
	}
	return nil
}

func (t *tx) ModuleTraces(ctx context.Context, moduleID int64) ([]orchestrator.StateTrace, error) {
	rows, err := t.query(ctx, `SELECT state_time, state, state_reason FROM module_build_traces WHERE module_id = $1 ORDER BY id`, moduleID)
	if err != nil {
		return nil, fmt.Errorf("pgstore: read traces of module build %d: %w", moduleID, err)
	}
	defer rows.Close()
	var out []orchestrator.StateTrace
	for rows.Next() {
		var tm time.Time
		var st int
		var tr orchestrator.StateTrace
		if err := rows.Scan(&tm, &st, &tr.Reason); err != nil {
			return nil, fmt.Errorf("pgstore: read traces of module build %d: %w", moduleID, err)
		}
		tr.Time, tr.State = tm.UTC(), orchestrator.ModuleState(st)
		out = append(out, tr)
	}
	return out, rows.Err()
}

func (t *tx) AddComponentTrace(ctx context.Context, componentID int64, tr orchestrator.ComponentTrace) error {
	_, err := t.exec(ctx, `INSERT INTO component_build_traces (component_id, state_time, state, state_reason, task_id) VALUES ($1, $2, $3, $4, $5)`,
		componentID, tr.Time, nullState(tr.State), tr.Reason, tr.TaskID)
	if err != nil {
		return fmt.Errorf("pgstore: insert trace of component build %d: %w", componentID, err)
	}
	return nil
}

func (t *tx) ComponentTraces(ctx context.Context, componentID int64) ([]orchestrator.ComponentTrace, error) {
	rows, err := t.query(ctx, `SELECT state_time, state, state_reason, task_id FROM component_build_traces WHERE component_id = $1 ORDER BY id`, componentID)
	if err != nil {
		return nil, fmt.Errorf("pgstore: read traces of component build %d: %w", componentID, err)
	}
	defer rows.Close()
	var out []orchestrator.ComponentTrace
	for rows.Next() {
		var tm time.Time
		var st *int32
		var tr orchestrator.ComponentTrace
		if err := rows.Scan(&tm, &st, &tr.Reason, &tr.TaskID); err != nil {
			return nil, fmt.Errorf("pgstore: read traces of component build %d: %w", componentID, err)
		}
		tr.Time = tm.UTC()
		if st != nil {
			s := orchestrator.ComponentState(*st)
			tr.State = &s
		}
		out = append(out, tr)
	}
	return out, rows.Err()
}

func (t *tx) AddLogMessage(ctx context.Context, m *orchestrator.LogMessage) error {
	var comp *int64
	if m.ComponentID != 0 {
		comp = &m.ComponentID
	}
	err := t.queryRow(ctx, `INSERT INTO log_messages (module_id, component_id, time_created, message, level) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		m.ModuleID, comp, m.Time, m.Message, int(m.Level)).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("pgstore: insert log message of module build %d: %w", m.ModuleID, err)
	}
	return nil
}

func (t *tx) LogMessages(ctx context.Context, f *orchestrator.LogMessageFilter) ([]*orchestrator.LogMessage, int, error) {
	if f == nil {
		f = &orchestrator.LogMessageFilter{}
	}
	var w where
	if f.ModuleID != 0 {
		w.add("module_id", "=", f.ModuleID)
	}
	if f.ComponentID != 0 {
		w.add("component_id", "=", f.ComponentID)
	}
	if !f.Debug {
		w.add("level", ">=", int(slog.LevelInfo))
	}
	return list(ctx, t, "log messages", "id, module_id, component_id, time_created, message, level", "log_messages", &w,
		" ORDER BY time_created DESC, id DESC", f.Limit, f.Offset,
		func(r pgx.Row, total *int) (*orchestrator.LogMessage, error) {
			var m orchestrator.LogMessage
			var comp *int64
			var tm time.Time
			var level int
			if err := r.Scan(&m.ID, &m.ModuleID, &comp, &tm, &m.Message, &level, total); err != nil {
				return nil, err
			}
			m.Level = slog.Level(level)
			if comp != nil {
				m.ComponentID = *comp
			}
			m.Time = tm.UTC()
			return &m, nil
		})
}

func (t *tx) AddEvent(ctx context.Context, e *orchestrator.Event) error {
	err := t.queryRow(ctx, `INSERT INTO events (message_id, topic, time_created, body) VALUES ($1, $2, $3, $4) RETURNING id`,
		e.MessageID, e.Topic, e.Time, string(e.Body)).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("pgstore: insert event: %w", err)
	}
	return nil
}

func (t *tx) PendingEvents(ctx context.Context, limit int) ([]*orchestrator.Event, error) {
	rows, err := t.query(ctx, `SELECT id, message_id, topic, time_created, body::text FROM events ORDER BY id`+limitClause(limit, 0))
	if err != nil {
		return nil, fmt.Errorf("pgstore: read outbox: %w", err)
	}
	defer rows.Close()
	var out []*orchestrator.Event
	for rows.Next() {
		var e orchestrator.Event
		var tm time.Time
		var body string
		if err := rows.Scan(&e.ID, &e.MessageID, &e.Topic, &tm, &body); err != nil {
			return nil, fmt.Errorf("pgstore: read outbox: %w", err)
		}
		e.Time, e.Body = tm.UTC(), json.RawMessage(body)
		out = append(out, &e)
	}
	return out, rows.Err()
}

func (t *tx) MarkEventsSent(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := t.exec(ctx, `DELETE FROM events WHERE id = ANY($1)`, ids); err != nil {
		return fmt.Errorf("pgstore: clear outbox: %w", err)
	}
	return nil
}

// Claim implements [orchestrator.Store]. Leases expire by the database
// server's clock, so the processes' clocks need not agree.
func (s *Store) Claim(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	s.queries.Add(1)
	var got string
	err := s.pool.QueryRow(ctx, `INSERT INTO leases (name, holder, expires) VALUES ($1, $2, now() + $3::bigint * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
		WHERE leases.holder = excluded.holder OR leases.expires <= now()
		RETURNING holder`, name, holder, ttl.Microseconds()).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("pgstore: claim lease %s: %w", name, err)
	}
	return got == holder, nil
}

// Release implements [orchestrator.Store].
func (s *Store) Release(ctx context.Context, name, holder string) error {
	s.queries.Add(1)
	if _, err := s.pool.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder); err != nil {
		return fmt.Errorf("pgstore: release lease %s: %w", name, err)
	}
	return nil
}

// HoldsLease implements [orchestrator.Tx]; in an Update transaction it
// share-locks the lease row, so a takeover (an UPDATE of the row) waits
// for the transaction to end.
func (t *tx) HoldsLease(ctx context.Context, name, holder string) (bool, error) {
	q := `SELECT COUNT(*) FROM leases WHERE name = $1 AND holder = $2 AND expires > now()`
	if t.write {
		q = `SELECT COUNT(*) FROM (SELECT 1 FROM leases WHERE name = $1 AND holder = $2 AND expires > now() FOR SHARE) l`
	}
	var n int
	if err := t.queryRow(ctx, q, name, holder).Scan(&n); err != nil {
		return false, fmt.Errorf("pgstore: read lease %s: %w", name, err)
	}
	return n > 0, nil
}

// slotLock is the key of the transaction-level advisory lock that
// serializes the reservations of build slots.
const slotLock = 0x6d6f646b69740001 // "modkit" 1

// ReserveBuildSlots implements orchestrator.SlotTx: under an advisory lock
// held until the transaction ends, it counts the slots in use (components
// BUILDING and not reused, plus waiting components holding a reservation)
// and reserves slots for ids in order while fewer than limit are used.
func (t *tx) ReserveBuildSlots(ctx context.Context, ids []int64, limit int) ([]int64, error) {
	if !t.write {
		return nil, errors.New("pgstore: ReserveBuildSlots in a read-only transaction")
	}
	if _, err := t.exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(slotLock)); err != nil {
		return nil, err
	}
	var used int
	if err := t.queryRow(ctx, `SELECT
		(SELECT count(*) FROM component_builds WHERE state = 0 AND reused_component_id = 0) +
		(SELECT count(*) FROM build_slots s JOIN component_builds c ON c.id = s.component_id WHERE c.state IS NULL)`).Scan(&used); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, `SELECT component_id FROM build_slots WHERE component_id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	held, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	var granted, fresh []int64
	for _, id := range ids {
		switch {
		case slices.Contains(held, id):
			granted = append(granted, id)
		case used < limit:
			used++
			granted = append(granted, id)
			fresh = append(fresh, id)
		}
	}
	if len(fresh) > 0 {
		if _, err := t.exec(ctx, `INSERT INTO build_slots (component_id, time_reserved) SELECT unnest($1::bigint[]), now()`, fresh); err != nil {
			return nil, err
		}
	}
	return granted, nil
}

// ReleaseBuildSlots implements orchestrator.SlotTx.
func (t *tx) ReleaseBuildSlots(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := t.exec(ctx, `DELETE FROM build_slots WHERE component_id = ANY($1)`, ids)
	return err
}

var _ orchestrator.SlotTx = (*tx)(nil)
