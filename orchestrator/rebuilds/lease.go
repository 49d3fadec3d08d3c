package rebuilds

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// ErrBusy is returned by [Service.Handle] for a message another process
// is handling right now (several `modkit serve` processes sharing one
// database and one queue): the caller puts the message back and offers it
// again later; by then it was handled, and is then not handled again.
var ErrBusy = errors.New("rebuilds: the message is being handled by another process")

// Leaser is implemented by a [Store] shared by several processes: a lease
// on a message id makes its handling exclusive across them. [SQLStore]
// implements it (table rebuild_leases); without it, handling is exclusive
// within the process only.
type Leaser interface {
	// Lease takes or renews the lease of holder on key until expires; it
	// returns false when another holder's lease has not expired.
	Lease(ctx context.Context, key, holder string, expires time.Time) (bool, error)
	// Release gives up holder's lease on key.
	Release(ctx context.Context, key, holder string) error
}

// leaseTTL is how long a lease of a process that died blocks the others;
// a live holder renews it every third of that.
const leaseTTL = 30 * time.Second

func newHolder() string {
	var b [6]byte
	rand.Read(b[:])
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// claim takes the lease of message id for this service, renewing it until
// the returned release is called.
func (s *Service) claim(ctx context.Context, id string) (release func(), err error) {
	l, ok := s.st.(Leaser)
	if !ok {
		return func() {}, nil
	}
	got, err := l.Lease(ctx, id, s.holder, s.now().Add(leaseTTL))
	if err != nil {
		return nil, err
	}
	if !got {
		return nil, fmt.Errorf("%w (message %s)", ErrBusy, id)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(leaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if _, err := l.Lease(context.WithoutCancel(ctx), id, s.holder, s.now().Add(leaseTTL)); err != nil {
					s.log.Warn("rebuilds: renewing a message lease failed", "message_id", id, "error", err)
				}
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		if err := l.Release(context.WithoutCancel(ctx), id, s.holder); err != nil {
			s.log.Warn("rebuilds: releasing a message lease failed", "message_id", id, "error", err)
		}
	}, nil
}

// extraTables records, per store, that the tables of this package's later
// features (leases, event links) exist.
var extraTables sync.Map // *SQLStore -> struct{}

// ensureTables creates the tables beyond NewSQLStore's when missing, once
// per store. Processes creating them at once on PostgreSQL may collide;
// the loser tries again.
func (s *SQLStore) ensureTables(ctx context.Context) error {
	if _, ok := extraTables.Load(s); ok {
		return nil
	}
	var err error
	for try := 0; try < 3; try++ {
		err = nil
		for _, q := range []string{
			`CREATE TABLE IF NOT EXISTS rebuild_leases (lease_key TEXT PRIMARY KEY, holder TEXT NOT NULL, expires BIGINT NOT NULL)`,
			`CREATE TABLE IF NOT EXISTS rebuild_requests (message_id TEXT PRIMARY KEY, topic TEXT NOT NULL, body TEXT NOT NULL, dry_run BOOLEAN NOT NULL, requester TEXT NOT NULL)`,
			`CREATE TABLE IF NOT EXISTS rebuild_event_links (event_id BIGINT NOT NULL, depends_on_id BIGINT NOT NULL, PRIMARY KEY (event_id, depends_on_id))`,
		} {
			if _, err = s.db.ExecContext(ctx, q); err != nil {
				break
			}
		}
		if err == nil {
			extraTables.Store(s, struct{}{})
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("rebuilds: create tables: %w", err)
}

// Lease implements [Leaser].
func (s *SQLStore) Lease(ctx context.Context, key, holder string, expires time.Time) (bool, error) {
	if err := s.ensureTables(ctx); err != nil {
		return false, err
	}
	now := time.Now().UnixMicro()
	var got string
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO rebuild_leases (lease_key, holder, expires) VALUES (?, ?, ?)
		ON CONFLICT (lease_key) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
		WHERE rebuild_leases.holder = excluded.holder OR rebuild_leases.expires < ?
		RETURNING holder`), key, holder, expires.UnixMicro(), now).Scan(&got)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return false, fmt.Errorf("rebuilds: lease %s: %w", key, err)
	}
	return got == holder, nil
}

// Release implements [Leaser].
func (s *SQLStore) Release(ctx context.Context, key, holder string) error {
	if err := s.ensureTables(ctx); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM rebuild_leases WHERE lease_key = ? AND holder = ?`), key, holder)
	return err
}
