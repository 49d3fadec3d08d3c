package odcs_test

import (
	"context"
	"database/sql"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/orchestrator/mbsapi"
	"github.com/modkit/modkit/orchestrator/pgstore/pgtest"
	"github.com/modkit/modkit/pungi/odcs"
)

var update = flag.Bool("update", false, "rewrite golden files")

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// openStore opens a compose store on SQLite, or on a new PostgreSQL
// database when pg.
func openStore(t *testing.T, pg bool) *odcs.SQLStore {
	t.Helper()
	ctx := context.Background()
	var db *sql.DB
	var err error
	d := odcs.SQLite
	if pg {
		if os.Getenv("MODKIT_TEST_PG_URL") == "" {
			testenv.SkipOrFatal(t, "MODKIT_TEST_PG_URL is not set: no PostgreSQL server for the compose store tests")
		}
		db, err = sql.Open("pgx", pgtest.NewDatabase(t))
		d = odcs.PostgreSQL
	} else {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "odcs.db")+"?_pragma=busy_timeout(10000)")
		if db != nil {
			db.SetMaxOpenConns(1)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := odcs.NewSQLStore(ctx, db, d)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

var testTokens = mbsapi.Tokens{
	"alice-token": {Name: "alice", Groups: []string{"packager"}},
	"bob-token":   {Name: "bob", Groups: []string{"packager"}},
	"eve-token":   {Name: "eve", Groups: []string{"users"}},
	"root-token":  {Name: "root", Groups: []string{"admin"}},
}

// env is a running service with its API.
type env struct {
	svc   *odcs.Service
	srv   *httptest.Server
	clock *clock
	dir   string
	stop  func()
}

func newEnv(t *testing.T, opts *odcs.Options) *env {
	t.Helper()
	e := &env{clock: &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, dir: t.TempDir()}
	if opts.Store == nil {
		opts.Store = openStore(t, false)
	}
	if opts.TargetDir == "" {
		opts.TargetDir = filepath.Join(e.dir, "composes")
	}
	if opts.Now == nil {
		opts.Now = e.clock.Now
	}
	if opts.ReapInterval == 0 {
		opts.ReapInterval = time.Hour // tests call Reap
	}
	var files string
	var h http.Handler
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	if opts.PublicURL == "" {
		files = "/composes/"
		opts.PublicURL = e.srv.URL + "/composes"
	}
	svc, err := odcs.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	h = odcs.NewHandler(svc, &odcs.APIOptions{Auth: testTokens, FilesPrefix: files, Version: "test"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	e.stop = func() { cancel(); <-done; e.srv.Close() }
	t.Cleanup(e.stop)
	return e
}

// emptyRepo writes an empty repository (createrepo_c) and returns it.
func emptyRepo(t *testing.T, dir string) string {
	t.Helper()
	testenv.RequireTools(t, "createrepo_c")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := pungiCreateRepo(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

var revisionRe = regexp.MustCompile(`"koji_event": [0-9]{9,}`)

func normalize(s, server string) string {
	return revisionRe.ReplaceAllString(strings.ReplaceAll(s, server, "http://SERVER"), `"koji_event": "$$REVISION"`)
}
