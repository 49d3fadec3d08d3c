package bodhidb

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
)

// ErrNoUpdate is returned by Mark for an alias the database does not hold.
var ErrNoUpdate = errors.New("bodhidb: no such update")

// Marker writes pushes into a Bodhi database. It is safe for concurrent
// use (calls take turns on one connection).
type Marker struct {
	mu   sync.Mutex
	conn *pgx.Conn
}

// Open connects to Bodhi's database, e.g.
// "postgresql://bodhi@db.example.org/bodhi".
func Open(ctx context.Context, url string) (*Marker, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("bodhidb: connect: %w", err)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('updates', 'comments', 'users')").Scan(&n); err != nil || n != 3 {
		conn.Close(ctx)
		if err == nil {
			err = errors.New("the database has no updates, comments and users tables")
		}
		return nil, fmt.Errorf("bodhidb: not a Bodhi database: %w", err)
	}
	return &Marker{conn: conn}, nil
}

// Close closes the connection.
func (m *Marker) Close(ctx context.Context) error { return m.conn.Close(ctx) }

// Mark records that the update alias was pushed to status (testing or
// stable), in one transaction, as Bodhi's composer does: the status, its
// date (date_testing or date_stable, UTC), pushed, no request, unlocked,
// and the comment of Bodhi's user "bodhi" ("This update has been pushed to
// testing." or "...to stable."; the user is created as Bodhi's comment
// code does when missing).
func (m *Marker) Mark(ctx context.Context, alias, status string) error {
	var dateCol string
	switch status {
	case "testing":
		dateCol = "date_testing"
	case "stable":
		dateCol = "date_stable"
	default:
		return fmt.Errorf("bodhidb: mark %s: status %q: want testing or stable", alias, status)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return pgx.BeginFunc(ctx, m.conn, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `UPDATE updates SET status = $2, `+dateCol+` = timezone('utc', now()), pushed = true,
			request = NULL, locked = false WHERE alias = $1 RETURNING id`, alias, status).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: %s", ErrNoUpdate, alias)
		}
		if err != nil {
			return fmt.Errorf("bodhidb: mark %s %s: %w", alias, status, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO users (name) VALUES ('bodhi') ON CONFLICT (name) DO NOTHING`); err != nil {
			return fmt.Errorf("bodhidb: mark %s: user bodhi: %w", alias, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO comments (karma, karma_critpath, text, timestamp, update_id, user_id)
			SELECT 0, 0, $1, timezone('utc', now()), $2, id FROM users WHERE name = 'bodhi'`,
			"This update has been pushed to "+status+".", id); err != nil {
			return fmt.Errorf("bodhidb: mark %s: comment: %w", alias, err)
		}
		return nil
	})
}
