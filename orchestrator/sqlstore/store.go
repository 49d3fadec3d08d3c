package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modkit/modkit/orchestrator"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// Options tune [Open]; nil means defaults.
type Options struct {
	// BusyTimeout is how long a connection waits for another process's
	// write lock; default 10 s.
	BusyTimeout time.Duration
}

// Store is an [orchestrator.Store] in one SQLite database file. It is safe
// for concurrent use; transactions are serialised on one connection, which
// is what SQLite does with writers anyway.
type Store struct {
	db   *sql.DB
	path string

	leaseMu sync.Mutex
	leases  map[string]lease
}

type lease struct {
	holder  string
	expires time.Time
}

var _ orchestrator.Store = (*Store)(nil)

// Open opens (creating it and its directory if needed) the database at path
// and brings its schema up to date. path ":memory:" gives a private
// in-memory database.
func Open(ctx context.Context, path string, opts *Options) (*Store, error) {
	busy := 10 * time.Second
	if opts != nil && opts.BusyTimeout > 0 {
		busy = opts.BusyTimeout
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_txlock", "immediate")
	dsn := ""
	if path == ":memory:" {
		dsn = "file::memory:?" + q.Encode()
	} else {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("sqlstore: create directory of %s: %w", path, err)
		}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		dsn = "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	// One connection: SQLite has one writer at a time, and an in-memory
	// database exists per connection.
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s := &Store{db: db, path: path, leases: map[string]lease{}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Path returns the database file name given to Open.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// SchemaVersion returns the schema version of the open database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("sqlstore: open %s: %w", s.path, err)
	}
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: read schema version of %s: %w", s.path, err)
	}
	if have > len(migrations) {
		return fmt.Errorf("sqlstore: %s has schema version %d, newer than this program knows (%d)", s.path, have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("sqlstore: migrate %s: %w", s.path, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlstore: migrate %s to version %d: %w", s.path, v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`, v, toDB(time.Now())); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlstore: migrate %s to version %d: %w", s.path, v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlstore: migrate %s to version %d: %w", s.path, v, err)
		}
	}
	return nil
}

// Update implements [orchestrator.Store].
func (s *Store) Update(ctx context.Context, fn func(orchestrator.Tx) error) error {
	return s.run(ctx, fn)
}

// View implements [orchestrator.Store].
func (s *Store) View(ctx context.Context, fn func(orchestrator.Tx) error) error {
	return s.run(ctx, fn)
}

func (s *Store) run(ctx context.Context, fn func(orchestrator.Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	if err := fn(&tx{tx: sqlTx, s: s}); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", err)
	}
	return nil
}

type tx struct {
	tx *sql.Tx
	s  *Store
}

// toDB converts a time to microseconds since the epoch; the zero time is 0.
func toDB(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromDB(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
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
		toDB(mb.TimeSubmitted), toDB(mb.TimeModified), nullTime(mb.TimeCompleted), mb.Defaults}
}

type scanner interface{ Scan(dest ...any) error }

func scanModule(r scanner) (*orchestrator.ModuleBuild, error) {
	var mb orchestrator.ModuleBuild
	var state int
	var sub, mod int64
	var done sql.NullInt64
	err := r.Scan(&mb.ID, &mb.Name, &mb.Stream, &mb.Version, &mb.Context, &mb.BuildContext,
		&mb.BuildContextNoBMS, &mb.RuntimeContext, &state, &mb.StateReason, &mb.Modulemd,
		&mb.SourceVersion, &mb.KojiTag, &mb.DistTag, &mb.SCMURL, &mb.Owner, &mb.Scratch, &mb.RebuildStrategy,
		&mb.Batch, &mb.ReusedModuleID, &mb.Publication.Repository, &mb.Publication.KojiBuildID,
		&sub, &mod, &done, &mb.Defaults)
	if err != nil {
		return nil, err
	}
	mb.State = orchestrator.ModuleState(state)
	mb.TimeSubmitted, mb.TimeModified = fromDB(sub), fromDB(mod)
	if done.Valid {
		mb.TimeCompleted = fromDB(done.Int64)
	}
	return &mb, nil
}

func (t *tx) CreateModuleBuild(ctx context.Context, mb *orchestrator.ModuleBuild) error {
	err := t.tx.QueryRowContext(ctx, `INSERT INTO module_builds (`+moduleCols[4:]+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		moduleArgs(mb)...).Scan(&mb.ID)
	if isUnique(err) {
		return fmt.Errorf("sqlstore: module build %s:%s:%s:%s exists: %w", mb.Name, mb.Stream, mb.Version, mb.Context, orchestrator.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: insert module build: %w", err)
	}
	return nil
}

func (t *tx) UpdateModuleBuild(ctx context.Context, mb *orchestrator.ModuleBuild) error {
	args := append(moduleArgs(mb), mb.ID)
	res, err := t.tx.ExecContext(ctx, `UPDATE module_builds SET name = ?, stream = ?, version = ?,
		context = ?, build_context = ?, build_context_no_bms = ?, runtime_context = ?, state = ?,
		state_reason = ?, modulemd = ?, source_version = ?, koji_tag = ?, dist_tag = ?, scmurl = ?, owner = ?,
		scratch = ?, rebuild_strategy = ?, batch = ?, reused_module_id = ?, repository = ?,
		koji_build_id = ?, time_submitted = ?, time_modified = ?, time_completed = ?, defaults = ? WHERE id = ?`, args...)
	if isUnique(err) {
		return fmt.Errorf("sqlstore: module build %s:%s:%s:%s exists: %w", mb.Name, mb.Stream, mb.Version, mb.Context, orchestrator.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: update module build %d: %w", mb.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlstore: module build %d: %w", mb.ID, orchestrator.ErrNotFound)
	}
	return nil
}

func (t *tx) ModuleBuild(ctx context.Context, id int64) (*orchestrator.ModuleBuild, error) {
	mb, err := scanModule(t.tx.QueryRowContext(ctx, `SELECT `+moduleCols+` FROM module_builds WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("module build %d: %w", id, orchestrator.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read module build %d: %w", id, err)
	}
	return mb, nil
}

// where accumulates conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) eq(col string, v string) {
	if v != "" {
		w.conds = append(w.conds, col+" = ?")
		w.args = append(w.args, v)
	}
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) in(col string, vals []any) {
	if len(vals) == 0 {
		return
	}
	w.conds = append(w.conds, col+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ")+")")
	w.args = append(w.args, vals...)
}

func (w *where) before(col string, t time.Time) {
	if !t.IsZero() {
		w.add(col+" < ?", t.UnixMicro())
	}
}

func (w *where) after(col string, t time.Time) {
	if !t.IsZero() {
		w.add(col+" > ?", t.UnixMicro())
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
			// length first; portable and exact beyond int64.
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
	if limit <= 0 && offset <= 0 {
		return ""
	}
	if limit <= 0 {
		limit = -1
	}
	return fmt.Sprintf(" LIMIT %d OFFSET %d", limit, offset)
}

func ids(v []int64) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

func (t *tx) ListModuleBuilds(ctx context.Context, f *orchestrator.ModuleBuildFilter) ([]*orchestrator.ModuleBuild, int, error) {
	if f == nil {
		f = &orchestrator.ModuleBuildFilter{}
	}
	var w where
	w.in("id", ids(f.IDs))
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
		w.add("scratch = ?", *f.Scratch)
	}
	if f.Batch != nil {
		w.add("batch = ?", *f.Batch)
	}
	states := make([]any, len(f.States))
	for i, s := range f.States {
		states[i] = int(s)
	}
	w.in("state", states)
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
	var total int
	if err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM module_builds`+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: count module builds: %w", err)
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT `+moduleCols+` FROM module_builds`+w.String()+order+limitClause(f.Limit, f.Offset), w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list module builds: %w", err)
	}
	defer rows.Close()
	var out []*orchestrator.ModuleBuild
	for rows.Next() {
		mb, err := scanModule(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlstore: list module builds: %w", err)
		}
		out = append(out, mb)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list module builds: %w", err)
	}
	return out, total, nil
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

func nullState(s *orchestrator.ComponentState) any {
	if s == nil {
		return nil
	}
	return int(*s)
}

func componentArgs(c *orchestrator.ComponentBuild) []any {
	return []any{c.ModuleID, c.Package, c.SCMURL, c.Ref, c.Format, c.Batch, nullState(c.State),
		c.StateReason, c.TaskID, c.NVR, c.BuildTimeOnly, c.Buildonly, c.ReusedComponentID, c.Weight, c.Attempt,
		jsonList(c.RPMs), jsonList(c.Licenses)}
}

func scanComponent(r scanner) (*orchestrator.ComponentBuild, error) {
	var c orchestrator.ComponentBuild
	var state sql.NullInt64
	var rpms, lic string
	err := r.Scan(&c.ID, &c.ModuleID, &c.Package, &c.SCMURL, &c.Ref, &c.Format, &c.Batch, &state,
		&c.StateReason, &c.TaskID, &c.NVR, &c.BuildTimeOnly, &c.Buildonly, &c.ReusedComponentID,
		&c.Weight, &c.Attempt, &rpms, &lic)
	if err != nil {
		return nil, err
	}
	if state.Valid {
		s := orchestrator.ComponentState(state.Int64)
		c.State = &s
	}
	if err := json.Unmarshal([]byte(rpms), &c.RPMs); err != nil {
		return nil, fmt.Errorf("component build %d: rpms: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(lic), &c.Licenses); err != nil {
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
	err := t.tx.QueryRowContext(ctx, `INSERT INTO component_builds (`+componentCols[4:]+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		componentArgs(c)...).Scan(&c.ID)
	if isUnique(err) {
		return fmt.Errorf("sqlstore: component %s of module build %d exists: %w", c.Package, c.ModuleID, orchestrator.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: insert component build %s: %w", c.Package, err)
	}
	return nil
}

func (t *tx) UpdateComponentBuild(ctx context.Context, c *orchestrator.ComponentBuild) error {
	args := append(componentArgs(c), c.ID)
	res, err := t.tx.ExecContext(ctx, `UPDATE component_builds SET module_id = ?, package = ?,
		scmurl = ?, ref = ?, format = ?, batch = ?, state = ?, state_reason = ?, task_id = ?, nvr = ?,
		build_time_only = ?, buildonly = ?, reused_component_id = ?, weight = ?, attempt = ?, rpms = ?, licenses = ?
		WHERE id = ?`, args...)
	if err != nil {
		return fmt.Errorf("sqlstore: update component build %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlstore: component build %d: %w", c.ID, orchestrator.ErrNotFound)
	}
	return nil
}

func (t *tx) ComponentBuild(ctx context.Context, id int64) (*orchestrator.ComponentBuild, error) {
	c, err := scanComponent(t.tx.QueryRowContext(ctx, `SELECT `+componentCols+` FROM component_builds WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("component build %d: %w", id, orchestrator.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read component build %d: %w", id, err)
	}
	return c, nil
}

func (t *tx) ListComponentBuilds(ctx context.Context, f *orchestrator.ComponentBuildFilter) ([]*orchestrator.ComponentBuild, int, error) {
	if f == nil {
		f = &orchestrator.ComponentBuildFilter{}
	}
	var w where
	w.in("id", ids(f.IDs))
	if f.ModuleID != 0 {
		w.add("module_id = ?", f.ModuleID)
	}
	w.eq("package", f.Package)
	w.eq("format", f.Format)
	w.eq("scmurl", f.SCMURL)
	w.eq("ref", f.Ref)
	w.eq("task_id", f.TaskID)
	w.eq("nvr", f.NVR)
	w.eq("state_reason", f.StateReason)
	if f.Batch != nil {
		w.add("batch = ?", *f.Batch)
	}
	if f.BuildTimeOnly != nil {
		w.add("build_time_only = ?", *f.BuildTimeOnly)
	}
	if f.Buildonly != nil {
		w.add("buildonly = ?", *f.Buildonly)
	}
	if f.ReusedComponentID != nil {
		w.add("reused_component_id = ?", *f.ReusedComponentID)
	}
	if len(f.States) > 0 || f.Waiting {
		var alts []string
		if len(f.States) > 0 {
			alts = append(alts, "state IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.States)), ", ")+")")
			for _, s := range f.States {
				w.args = append(w.args, int(s))
			}
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
	var total int
	if err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM component_builds`+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: count component builds: %w", err)
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT `+componentCols+` FROM component_builds`+w.String()+order+limitClause(f.Limit, f.Offset), w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list component builds: %w", err)
	}
	defer rows.Close()
	var out []*orchestrator.ComponentBuild
	for rows.Next() {
		c, err := scanComponent(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlstore: list component builds: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list component builds: %w", err)
	}
	return out, total, nil
}

func (t *tx) AddModuleTrace(ctx context.Context, moduleID int64, tr orchestrator.StateTrace) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO module_build_traces (module_id, state_time, state, state_reason) VALUES (?, ?, ?, ?)`,
		moduleID, toDB(tr.Time), int(tr.State), tr.Reason)
	if err != nil {
		return fmt.Errorf("sqlstore: insert trace of module build %d: %w", moduleID, err)
	}
	return nil
}

func (t *tx) ModuleTraces(ctx context.Context, moduleID int64) ([]orchestrator.StateTrace, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT state_time, state, state_reason FROM module_build_traces WHERE module_id = ? ORDER BY id`, moduleID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read traces of module build %d: %w", moduleID, err)
	}
	defer rows.Close()
	var out []orchestrator.StateTrace
	for rows.Next() {
		var tm int64
		var st int
		var tr orchestrator.StateTrace
		if err := rows.Scan(&tm, &st, &tr.Reason); err != nil {
			return nil, fmt.Errorf("sqlstore: read traces of module build %d: %w", moduleID, err)
		}
		tr.Time, tr.State = fromDB(tm), orchestrator.ModuleState(st)
		out = append(out, tr)
	}
	return out, rows.Err()
}

func (t *tx) AddComponentTrace(ctx context.Context, componentID int64, tr orchestrator.ComponentTrace) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO component_build_traces (component_id, state_time, state, state_reason, task_id) VALUES (?, ?, ?, ?, ?)`,
		componentID, toDB(tr.Time), nullState(tr.State), tr.Reason, tr.TaskID)
	if err != nil {
		return fmt.Errorf("sqlstore: insert trace of component build %d: %w", componentID, err)
	}
	return nil
}

func (t *tx) ComponentTraces(ctx context.Context, componentID int64) ([]orchestrator.ComponentTrace, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT state_time, state, state_reason, task_id FROM component_build_traces WHERE component_id = ? ORDER BY id`, componentID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read traces of component build %d: %w", componentID, err)
	}
	defer rows.Close()
	var out []orchestrator.ComponentTrace
	for rows.Next() {
		var tm int64
		var st sql.NullInt64
		var tr orchestrator.ComponentTrace
		if err := rows.Scan(&tm, &st, &tr.Reason, &tr.TaskID); err != nil {
			return nil, fmt.Errorf("sqlstore: read traces of component build %d: %w", componentID, err)
		}
		tr.Time = fromDB(tm)
		if st.Valid {
			s := orchestrator.ComponentState(st.Int64)
			tr.State = &s
		}
		out = append(out, tr)
	}
	return out, rows.Err()
}

func (t *tx) AddLogMessage(ctx context.Context, m *orchestrator.LogMessage) error {
	var comp any
	if m.ComponentID != 0 {
		comp = m.ComponentID
	}
	err := t.tx.QueryRowContext(ctx, `INSERT INTO log_messages (module_id, component_id, time_created, message, level) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		m.ModuleID, comp, toDB(m.Time), m.Message, int(m.Level)).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("sqlstore: insert log message of module build %d: %w", m.ModuleID, err)
	}
	return nil
}

func (t *tx) LogMessages(ctx context.Context, f *orchestrator.LogMessageFilter) ([]*orchestrator.LogMessage, int, error) {
	if f == nil {
		f = &orchestrator.LogMessageFilter{}
	}
	var w where
	if f.ModuleID != 0 {
		w.add("module_id = ?", f.ModuleID)
	}
	if f.ComponentID != 0 {
		w.add("component_id = ?", f.ComponentID)
	}
	if !f.Debug {
		w.add("level >= ?", int(slog.LevelInfo))
	}
	var total int
	if err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM log_messages`+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: count log messages: %w", err)
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT id, module_id, component_id, time_created, message, level FROM log_messages`+
		w.String()+" ORDER BY time_created DESC, id DESC"+limitClause(f.Limit, f.Offset), w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list log messages: %w", err)
	}
	defer rows.Close()
	var out []*orchestrator.LogMessage
	for rows.Next() {
		var m orchestrator.LogMessage
		var comp sql.NullInt64
		var tm int64
		var level int
		if err := rows.Scan(&m.ID, &m.ModuleID, &comp, &tm, &m.Message, &level); err != nil {
			return nil, 0, fmt.Errorf("sqlstore: list log messages: %w", err)
		}
		m.ComponentID, m.Time, m.Level = comp.Int64, fromDB(tm), slog.Level(level)
		out = append(out, &m)
	}
	return out, total, rows.Err()
}

func (t *tx) AddEvent(ctx context.Context, e *orchestrator.Event) error {
	err := t.tx.QueryRowContext(ctx, `INSERT INTO events (message_id, topic, time_created, body) VALUES (?, ?, ?, ?) RETURNING id`,
		e.MessageID, e.Topic, toDB(e.Time), string(e.Body)).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("sqlstore: insert event: %w", err)
	}
	return nil
}

func (t *tx) PendingEvents(ctx context.Context, limit int) ([]*orchestrator.Event, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT id, message_id, topic, time_created, body FROM events ORDER BY id`+limitClause(limit, 0))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read outbox: %w", err)
	}
	defer rows.Close()
	var out []*orchestrator.Event
	for rows.Next() {
		var e orchestrator.Event
		var tm int64
		var body string
		if err := rows.Scan(&e.ID, &e.MessageID, &e.Topic, &tm, &body); err != nil {
			return nil, fmt.Errorf("sqlstore: read outbox: %w", err)
		}
		e.Time, e.Body = fromDB(tm), json.RawMessage(body)
		out = append(out, &e)
	}
	return out, rows.Err()
}

func (t *tx) MarkEventsSent(ctx context.Context, idList []int64) error {
	if len(idList) == 0 {
		return nil
	}
	var w where
	w.in("id", ids(idList))
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM events`+w.String(), w.args...); err != nil {
		return fmt.Errorf("sqlstore: clear outbox: %w", err)
	}
	return nil
}

// Claim implements [orchestrator.Store]. An SQLite database is worked on
// by one service process (several processes sharing work need pgstore), so
// leases live in the Store's memory: a restarted process takes its work
// over at once instead of waiting for the dead process's leases to expire.
func (s *Store) Claim(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	now := time.Now()
	if l, ok := s.leases[name]; ok && l.holder != holder && now.Before(l.expires) {
		return false, nil
	}
	s.leases[name] = lease{holder: holder, expires: now.Add(ttl)}
	return true, nil
}

// Release implements [orchestrator.Store].
func (s *Store) Release(ctx context.Context, name, holder string) error {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	if l, ok := s.leases[name]; ok && l.holder == holder {
		delete(s.leases, name)
	}
	return nil
}

func (t *tx) HoldsLease(ctx context.Context, name, holder string) (bool, error) {
	t.s.leaseMu.Lock()
	defer t.s.leaseMu.Unlock()
	l, ok := t.s.leases[name]
	return ok && l.holder == holder && time.Now().Before(l.expires), nil
}
