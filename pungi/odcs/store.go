package odcs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modkit/modkit/internal/sqlq"
)

// ErrNotFound is returned for a missing compose.
var ErrNotFound = errors.New("no such compose")

// Store keeps composes.
type Store interface {
	// Create records c and sets c.ID.
	Create(ctx context.Context, c *Compose) error
	// Update writes every field of c (found by ID).
	Update(ctx context.Context, c *Compose) error
	// Get returns the compose with the given id (an error wrapping
	// ErrNotFound when there is none).
	Get(ctx context.Context, id int64) (*Compose, error)
	// List returns the composes matching f and the number of matches
	// before Limit and Offset.
	List(ctx context.Context, f *Filter) ([]*Compose, int, error)
	// Claim moves compose id from wait to generating, setting
	// time_started, and reports whether this caller did it (false when
	// it was not waiting any more: another worker took it).
	Claim(ctx context.Context, id int64, now time.Time) (bool, error)
}

// PublishLog is an optional interface of a [Store]: it remembers the last
// state published for each compose, so that a state change whose message
// a crash kept from the [Outbox] (the compose and the outbox are written
// in two transactions) is published when the service next sweeps
// (at start and with every reaping). Messages are delivered at least
// once: a crash after publishing and before marking repeats one.
type PublishLog interface {
	// MarkPublished records that state was published for compose id.
	MarkPublished(ctx context.Context, id int64, state State) error
	// Unpublished returns the composes whose state was not published.
	Unpublished(ctx context.Context) ([]*Compose, error)
}

// Filter selects composes; zero fields match anything.
type Filter struct {
	IDs            []int64
	Owner          string
	SourceType     SourceType
	Source         string
	States         []State
	ComposeType    string
	Label          string
	PungiComposeID string
	ReusedID       int64
	// ExpiresBefore matches composes whose time_to_expire is earlier.
	ExpiresBefore time.Time
	// OrderBy is a column (id, owner, source_type, koji_event, state,
	// time_to_expire, time_submitted, time_done, time_removed), with a
	// leading "-" for descending; the default is "-id".
	OrderBy       string
	Limit, Offset int
}

// OrderColumns are the columns a list may be ordered by (ODCS's).
var OrderColumns = []string{"id", "owner", "source_type", "koji_event", "state", "time_to_expire", "time_submitted", "time_done", "time_removed"}

// Dialect is the SQL flavour of a [SQLStore]'s database.
type Dialect int

// Supported dialects.
const (
	SQLite Dialect = iota
	PostgreSQL
)

// SQLStore is a [Store] in one table, odcs_composes, of a SQLite or
// PostgreSQL database (it may be the orchestrator's: the table does not
// clash with its). The caller opens the *sql.DB with the driver it links
// (modernc.org/sqlite's "sqlite", pgx's "pgx").
type SQLStore struct {
	db *sql.DB
	d  Dialect
}

// NewSQLStore creates the table when missing.
func NewSQLStore(ctx context.Context, db *sql.DB, d Dialect) (*SQLStore, error) {
	id := "INTEGER PRIMARY KEY AUTOINCREMENT"
	if d == PostgreSQL {
		id = "BIGSERIAL PRIMARY KEY"
	}
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS odcs_composes (id ` + id + `, owner TEXT NOT NULL, source_type INTEGER NOT NULL,
			source TEXT NOT NULL, state INTEGER NOT NULL, state_reason TEXT NOT NULL, time_submitted BIGINT NOT NULL,
			time_started BIGINT NOT NULL, time_done BIGINT NOT NULL, time_to_expire BIGINT NOT NULL, time_removed BIGINT NOT NULL,
			removed_by TEXT NOT NULL, packages TEXT NOT NULL, builds TEXT NOT NULL, sigkeys TEXT NOT NULL, arches TEXT NOT NULL,
			modules TEXT NOT NULL, lookaside_repos TEXT NOT NULL, modular_koji_tags TEXT NOT NULL, flags INTEGER NOT NULL,
			results INTEGER NOT NULL, koji_event BIGINT NOT NULL, label TEXT NOT NULL, compose_type TEXT NOT NULL,
			pungi_compose_id TEXT NOT NULL, respin_of TEXT NOT NULL, reused_id BIGINT NOT NULL, seconds_to_live BIGINT NOT NULL,
			published_state INTEGER NOT NULL DEFAULT -1)`,
		`CREATE INDEX IF NOT EXISTS odcs_composes_state ON odcs_composes (source_type, state)`,
		`CREATE INDEX IF NOT EXISTS odcs_composes_reused ON odcs_composes (reused_id)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("odcs: create tables: %w", err)
		}
	}
	return &SQLStore{db: db, d: d}, nil
}

// q rewrites ? placeholders for PostgreSQL.
func (s *SQLStore) q(query string) string { return sqlq.Rebind(query, s.d == PostgreSQL) }

func toDB(t time.Time) int64 { return sqlq.Micros(t) }

func fromDB(us int64) time.Time { return sqlq.Time(us) }

func listToDB(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func listFromDB(s string) []string {
	var l []string
	_ = json.Unmarshal([]byte(s), &l)
	if len(l) == 0 {
		return nil
	}
	return l
}

const columns = `owner, source_type, source, state, state_reason, time_submitted, time_started, time_done, time_to_expire, time_removed,
	removed_by, packages, builds, sigkeys, arches, modules, lookaside_repos, modular_koji_tags, flags, results, koji_event, label,
	compose_type, pungi_compose_id, respin_of, reused_id, seconds_to_live`

func args(c *Compose) []any {
	return []any{c.Owner, int(c.SourceType), c.Source, int(c.State), c.StateReason, toDB(c.TimeSubmitted), toDB(c.TimeStarted),
		toDB(c.TimeDone), toDB(c.TimeToExpire), toDB(c.TimeRemoved), c.RemovedBy, listToDB(c.Packages), listToDB(c.Builds),
		listToDB(c.Sigkeys), listToDB(c.Arches), listToDB(c.Modules), listToDB(c.LookasideRepos), listToDB(c.ModularKojiTags),
		int64(c.Flags), int64(c.Results), c.KojiEvent, c.Label, c.ComposeType, c.PungiComposeID, c.RespinOf, c.ReusedID, c.SecondsToLive}
}

func scan(r interface{ Scan(...any) error }) (*Compose, error) {
	c := &Compose{}
	var st, state int
	var flags, results int64
	var ts, tst, td, tte, tr int64
	var pk, bu, sk, ar, mo, lr, mk string
	if err := r.Scan(&c.ID, &c.Owner, &st, &c.Source, &state, &c.StateReason, &ts, &tst, &td, &tte, &tr, &c.RemovedBy,
		&pk, &bu, &sk, &ar, &mo, &lr, &mk, &flags, &results, &c.KojiEvent, &c.Label, &c.ComposeType, &c.PungiComposeID,
		&c.RespinOf, &c.ReusedID, &c.SecondsToLive); err != nil {
		return nil, err
	}
	c.SourceType, c.State, c.Flags, c.Results = SourceType(st), State(state), Flags(flags), Results(results)
	c.TimeSubmitted, c.TimeStarted, c.TimeDone, c.TimeToExpire, c.TimeRemoved = fromDB(ts), fromDB(tst), fromDB(td), fromDB(tte), fromDB(tr)
	c.Packages, c.Builds, c.Sigkeys, c.Arches = listFromDB(pk), listFromDB(bu), listFromDB(sk), listFromDB(ar)
	c.Modules, c.LookasideRepos, c.ModularKojiTags = listFromDB(mo), listFromDB(lr), listFromDB(mk)
	return c, nil
}

// Create implements [Store].
func (s *SQLStore) Create(ctx context.Context, c *Compose) error {
	ph := strings.TrimSuffix(strings.Repeat("?, ", 27), ", ")
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO odcs_composes (`+columns+`) VALUES (`+ph+`) RETURNING id`), args(c)...).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("odcs: add compose: %w", err)
	}
	return nil
}

// Update implements [Store].
func (s *SQLStore) Update(ctx context.Context, c *Compose) error {
	cols := strings.Split(strings.Join(strings.Fields(columns), ""), ",")
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE odcs_composes SET `+strings.Join(cols, " = ?, ")+` = ? WHERE id = ?`), append(args(c), c.ID)...)
	if err != nil {
		return fmt.Errorf("odcs: update compose %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("compose %d: %w", c.ID, ErrNotFound)
	}
	return nil
}

// Get implements [Store].
func (s *SQLStore) Get(ctx context.Context, id int64) (*Compose, error) {
	c, err := scan(s.db.QueryRowContext(ctx, s.q(`SELECT id, `+columns+` FROM odcs_composes WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("compose %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("odcs: read compose %d: %w", id, err)
	}
	return c, nil
}

// Claim implements [Store].
func (s *SQLStore) Claim(ctx context.Context, id int64, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE odcs_composes SET state = ?, time_started = ?, state_reason = ? WHERE id = ? AND state = ?`),
		int(StateGenerating), toDB(now), "Compose is being generated", id, int(StateWait))
	if err != nil {
		return false, fmt.Errorf("odcs: claim compose %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// List implements [Store].
func (s *SQLStore) List(ctx context.Context, f *Filter) ([]*Compose, int, error) {
	if f == nil {
		f = &Filter{}
	}
	var conds []string
	var a []any
	add := func(cond string, v ...any) { conds = append(conds, cond); a = append(a, v...) }
	if len(f.IDs) > 0 {
		ph := make([]string, len(f.IDs))
		for i, id := range f.IDs {
			ph[i] = "?"
			a = append(a, id)
		}
		conds = append(conds, "id IN ("+strings.Join(ph, ", ")+")")
	}
	if f.Owner != "" {
		add("owner = ?", f.Owner)
	}
	if f.SourceType != 0 {
		add("source_type = ?", int(f.SourceType))
	}
	if f.Source != "" {
		add("source = ?", f.Source)
	}
	if len(f.States) > 0 {
		ph := make([]string, len(f.States))
		for i, st := range f.States {
			ph[i] = "?"
			a = append(a, int(st))
		}
		conds = append(conds, "state IN ("+strings.Join(ph, ", ")+")")
	}
	if f.ComposeType != "" {
		add("compose_type = ?", f.ComposeType)
	}
	if f.Label != "" {
		add("label = ?", f.Label)
	}
	if f.PungiComposeID != "" {
		add("pungi_compose_id = ?", f.PungiComposeID)
	}
	if f.ReusedID != 0 {
		add("reused_id = ?", f.ReusedID)
	}
	if !f.ExpiresBefore.IsZero() {
		add("time_to_expire < ? AND time_to_expire <> 0", toDB(f.ExpiresBefore))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	order := f.OrderBy
	if order == "" {
		order = "-id"
	}
	col, desc := strings.TrimPrefix(order, "-"), strings.HasPrefix(order, "-")
	if !slices.Contains(OrderColumns, col) {
		return nil, 0, fmt.Errorf("odcs: cannot order by %q (allowed: %s)", order, strings.Join(OrderColumns, ", "))
	}
	orderBy := " ORDER BY " + col
	if desc {
		orderBy += " DESC"
	}
	if col != "id" {
		orderBy += ", id DESC"
	}
	var total int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM odcs_composes`+where), a...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("odcs: count composes: %w", err)
	}
	page := ""
	if f.Limit > 0 {
		page = fmt.Sprintf(" LIMIT %d OFFSET %d", f.Limit, max(f.Offset, 0))
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, `+columns+` FROM odcs_composes`+where+orderBy+page), a...)
	if err != nil {
		return nil, 0, fmt.Errorf("odcs: list composes: %w", err)
	}
	defer rows.Close()
	var out []*Compose
	for rows.Next() {
		c, err := scan(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// MarkPublished implements [PublishLog].
func (s *SQLStore) MarkPublished(ctx context.Context, id int64, state State) error {
	if _, err := s.db.ExecContext(ctx, s.q(`UPDATE odcs_composes SET published_state = ? WHERE id = ?`), int(state), id); err != nil {
		return fmt.Errorf("odcs: mark compose %d published: %w", id, err)
	}
	return nil
}

// Unpublished implements [PublishLog].
func (s *SQLStore) Unpublished(ctx context.Context) ([]*Compose, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, `+columns+` FROM odcs_composes WHERE published_state <> state ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("odcs: list unpublished composes: %w", err)
	}
	defer rows.Close()
	var out []*Compose
	for rows.Next() {
		c, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("odcs: list unpublished composes: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
