package rebuilds

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/modkit/modkit/internal/sqlq"
)

// ErrNotFound is returned for a missing event or build.
var ErrNotFound = errors.New("not found")

// Store keeps events and artifact builds.
type Store interface {
	// AddEvent records e (setting e.ID) unless an event with its MessageID
	// exists; then it returns that event and false.
	AddEvent(ctx context.Context, e *Event) (*Event, bool, error)
	UpdateEvent(ctx context.Context, e *Event) error
	Event(ctx context.Context, id int64) (*Event, error)
	// Events returns events matching f, newest first, and the total count.
	Events(ctx context.Context, f *EventFilter) ([]*Event, int, error)
	// AddBuild records b and sets b.ID.
	AddBuild(ctx context.Context, b *ArtifactBuild) error
	UpdateBuild(ctx context.Context, b *ArtifactBuild) error
	// Builds returns builds matching f, oldest first, and the total count.
	Builds(ctx context.Context, f *BuildFilter) ([]*ArtifactBuild, int, error)
}

// EventFilter selects events; zero fields match anything.
type EventFilter struct {
	MessageID, SearchKey string
	Types                []EventType
	States               []EventState
	Limit, Offset        int
}

// BuildFilter selects artifact builds; zero fields match anything.
type BuildFilter struct {
	ID, EventID, BuildID, DepOnID int64
	Name                          string
	States                        []BuildState
	Limit, Offset                 int
}

// Dialect is the SQL flavour of a [SQLStore]'s database.
type Dialect int

// Supported dialects.
const (
	SQLite Dialect = iota
	PostgreSQL
)

// SQLStore is a [Store] in two tables, rebuild_events and rebuild_builds,
// of a SQLite or PostgreSQL database (it may be the orchestrator's own:
// the tables do not clash with its). The caller opens the *sql.DB with
// the driver it links (modernc.org/sqlite's "sqlite", pgx's "pgx").
type SQLStore struct {
	db *sql.DB
	d  Dialect
}

// NewSQLStore creates the tables when missing.
func NewSQLStore(ctx context.Context, db *sql.DB, d Dialect) (*SQLStore, error) {
	s := &SQLStore{db: db, d: d}
	id := "INTEGER PRIMARY KEY AUTOINCREMENT"
	if d == PostgreSQL {
		id = "BIGSERIAL PRIMARY KEY"
	}
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS rebuild_events (id ` + id + `, message_id TEXT NOT NULL UNIQUE, search_key TEXT NOT NULL,
			event_type_id INTEGER NOT NULL, state INTEGER NOT NULL, state_reason TEXT NOT NULL, dry_run BOOLEAN NOT NULL,
			requester TEXT NOT NULL, time_created BIGINT NOT NULL, time_done BIGINT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS rebuild_builds (id ` + id + `, event_id BIGINT NOT NULL REFERENCES rebuild_events(id),
			name TEXT NOT NULL, type INTEGER NOT NULL, state INTEGER NOT NULL, state_reason TEXT NOT NULL, build_id BIGINT NOT NULL,
			dep_on_id BIGINT NOT NULL, dep_on TEXT NOT NULL, original_nvr TEXT NOT NULL, rebuilt_nvr TEXT NOT NULL,
			rebuild_reason TEXT NOT NULL, rule TEXT NOT NULL, path TEXT NOT NULL, time_submitted BIGINT NOT NULL, time_completed BIGINT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS rebuild_builds_build_id ON rebuild_builds (build_id)`,
		`CREATE INDEX IF NOT EXISTS rebuild_builds_event_id ON rebuild_builds (event_id)`,
	} {
		// Processes starting at once on one PostgreSQL database may
		// collide creating a table (a unique violation in pg_type):
		// the loser tries again and finds it.
		var err error
		for try := 0; try < 5; try++ {
			if _, err = db.ExecContext(ctx, q); err == nil {
				break
			}
			time.Sleep(time.Duration(50*(try+1)) * time.Millisecond)
		}
		if err != nil {
			return nil, fmt.Errorf("rebuilds: create tables: %w", err)
		}
	}
	return s, nil
}

// q rewrites ? placeholders for PostgreSQL.
func (s *SQLStore) q(query string) string { return sqlq.Rebind(query, s.d == PostgreSQL) }

func toDB(t time.Time) int64 { return sqlq.Micros(t) }

func fromDB(us int64) time.Time { return sqlq.Time(us) }

const eventCols = `id, message_id, search_key, event_type_id, state, state_reason, dry_run, requester, time_created, time_done`

func scanEvent(r interface{ Scan(...any) error }) (*Event, error) {
	e := &Event{}
	var tc, td int64
	if err := r.Scan(&e.ID, &e.MessageID, &e.SearchKey, &e.Type, &e.State, &e.StateReason, &e.DryRun, &e.Requester, &tc, &td); err != nil {
		return nil, err
	}
	e.TimeCreated, e.TimeDone = fromDB(tc), fromDB(td)
	return e, nil
}

// AddEvent implements [Store].
func (s *SQLStore) AddEvent(ctx context.Context, e *Event) (*Event, bool, error) {
	conflict := " ON CONFLICT (message_id) DO NOTHING"
	row := s.db.QueryRowContext(ctx, s.q(`INSERT INTO rebuild_events (message_id, search_key, event_type_id, state, state_reason, dry_run, requester, time_created, time_done)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`+conflict+` RETURNING id`),
		e.MessageID, e.SearchKey, e.Type, e.State, e.StateReason, e.DryRun, e.Requester, toDB(e.TimeCreated), toDB(e.TimeDone))
	err := row.Scan(&e.ID)
	if errors.Is(err, sql.ErrNoRows) {
		old, err := scanEvent(s.db.QueryRowContext(ctx, s.q(`SELECT `+eventCols+` FROM rebuild_events WHERE message_id = ?`), e.MessageID))
		if err != nil {
			return nil, false, fmt.Errorf("rebuilds: read event %s: %w", e.MessageID, err)
		}
		return old, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("rebuilds: add event: %w", err)
	}
	return e, true, nil
}

// UpdateEvent implements [Store].
func (s *SQLStore) UpdateEvent(ctx context.Context, e *Event) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE rebuild_events SET search_key = ?, event_type_id = ?, state = ?, state_reason = ?, dry_run = ?, requester = ?, time_done = ? WHERE id = ?`),
		e.SearchKey, e.Type, e.State, e.StateReason, e.DryRun, e.Requester, toDB(e.TimeDone), e.ID)
	if err != nil {
		return fmt.Errorf("rebuilds: update event %d: %w", e.ID, err)
	}
	return nil
}

// Event implements [Store].
func (s *SQLStore) Event(ctx context.Context, id int64) (*Event, error) {
	e, err := scanEvent(s.db.QueryRowContext(ctx, s.q(`SELECT `+eventCols+` FROM rebuild_events WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("rebuild event %d: %w", id, ErrNotFound)
	}
	return e, err
}

type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) in(col string, n int, get func(i int) any) {
	if n == 0 {
		return
	}
	ph := make([]string, n)
	for i := range ph {
		ph[i] = "?"
		w.args = append(w.args, get(i))
	}
	w.conds = append(w.conds, col+" IN ("+strings.Join(ph, ", ")+")")
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func page(limit, offset int) string {
	if limit <= 0 {
		return ""
	}
	return fmt.Sprintf(" LIMIT %d OFFSET %d", limit, max(offset, 0))
}

// Events implements [Store].
func (s *SQLStore) Events(ctx context.Context, f *EventFilter) ([]*Event, int, error) {
	if f == nil {
		f = &EventFilter{}
	}
	w := &where{}
	if f.MessageID != "" {
		w.add("message_id = ?", f.MessageID)
	}
	if f.SearchKey != "" {
		w.add("search_key = ?", f.SearchKey)
	}
	w.in("event_type_id", len(f.Types), func(i int) any { return int(f.Types[i]) })
	w.in("state", len(f.States), func(i int) any { return int(f.States[i]) })
	var total int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM rebuild_events`+w.String()), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("rebuilds: count events: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+eventCols+` FROM rebuild_events`+w.String()+` ORDER BY id DESC`+page(f.Limit, f.Offset)), w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("rebuilds: list events: %w", err)
	}
	defer rows.Close()
	var out []*Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

const buildCols = `id, event_id, name, type, state, state_reason, build_id, dep_on_id, dep_on, original_nvr, rebuilt_nvr, rebuild_reason, rule, path, time_submitted, time_completed`

func buildArgs(b *ArtifactBuild) []any {
	return []any{b.EventID, b.Name, b.Type, b.State, b.StateReason, b.BuildID, b.DepOnID, b.DepOn, b.OriginalNVR, b.RebuiltNVR,
		b.RebuildReason, b.Rule, b.Path, toDB(b.TimeSubmitted), toDB(b.TimeCompleted)}
}

// AddBuild implements [Store].
func (s *SQLStore) AddBuild(ctx context.Context, b *ArtifactBuild) error {
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO rebuild_builds (`+strings.TrimPrefix(buildCols, "id, ")+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), buildArgs(b)...).Scan(&b.ID)
	if err != nil {
		return fmt.Errorf("rebuilds: add build %s: %w", b.Name, err)
	}
	return nil
}

// UpdateBuild implements [Store].
func (s *SQLStore) UpdateBuild(ctx context.Context, b *ArtifactBuild) error {
	cols := strings.Split(strings.TrimPrefix(buildCols, "id, "), ", ")
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE rebuild_builds SET `+strings.Join(cols, " = ?, ")+` = ? WHERE id = ?`), append(buildArgs(b), b.ID)...)
	if err != nil {
		return fmt.Errorf("rebuilds: update build %d: %w", b.ID, err)
	}
	return nil
}

// Builds implements [Store].
func (s *SQLStore) Builds(ctx context.Context, f *BuildFilter) ([]*ArtifactBuild, int, error) {
	if f == nil {
		f = &BuildFilter{}
	}
	w := &where{}
	if f.ID != 0 {
		w.add("id = ?", f.ID)
	}
	if f.EventID != 0 {
		w.add("event_id = ?", f.EventID)
	}
	if f.BuildID != 0 {
		w.add("build_id = ?", f.BuildID)
	}
	if f.DepOnID != 0 {
		w.add("dep_on_id = ?", f.DepOnID)
	}
	if f.Name != "" {
		w.add("name = ?", f.Name)
	}
	w.in("state", len(f.States), func(i int) any { return int(f.States[i]) })
	var total int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM rebuild_builds`+w.String()), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("rebuilds: count builds: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+buildCols+` FROM rebuild_builds`+w.String()+` ORDER BY id`+page(f.Limit, f.Offset)), w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("rebuilds: list builds: %w", err)
	}
	defer rows.Close()
	var out []*ArtifactBuild
	for rows.Next() {
		b := &ArtifactBuild{}
		var ts, tc int64
		if err := rows.Scan(&b.ID, &b.EventID, &b.Name, &b.Type, &b.State, &b.StateReason, &b.BuildID, &b.DepOnID, &b.DepOn,
			&b.OriginalNVR, &b.RebuiltNVR, &b.RebuildReason, &b.Rule, &b.Path, &ts, &tc); err != nil {
			return nil, 0, err
		}
		b.TimeSubmitted, b.TimeCompleted = fromDB(ts), fromDB(tc)
		out = append(out, b)
	}
	return out, total, rows.Err()
}
