package rebuilds_test

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/pgstore"
	"github.com/modkit/modkit/orchestrator/pgstore/pgtest"
	"github.com/modkit/modkit/orchestrator/rebuilds"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
	"github.com/modkit/modkit/resolver"
)

// gitSCM is an in-memory dist-git: files per repository, a movable commit
// per branch, a commit time per commit.
type gitSCM struct {
	mu    sync.Mutex
	files map[string][]byte    // "repo@path"
	refs  map[string]string    // "repo#ref" -> commit
	times map[string]time.Time // commit -> time
}

func newGitSCM() *gitSCM {
	return &gitSCM{files: map[string][]byte{}, refs: map[string]string{}, times: map[string]time.Time{}}
}

// push moves repo's branch to a new commit made at when.
func (g *gitSCM) push(repo, branch string, when time.Time) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	sum := sha1.Sum([]byte(repo + "#" + branch + when.String()))
	c := hex.EncodeToString(sum[:])
	g.refs[repo+"#"+branch] = c
	g.times[c] = when
	return c
}

func (g *gitSCM) ResolveRef(ctx context.Context, repo, ref string) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.refs[repo+"#"+ref]; ok {
		return c, nil
	}
	for k, c := range g.refs {
		if c == ref && len(k) > len(repo) && k[:len(repo)] == repo {
			return c, nil
		}
	}
	return "", fmt.Errorf("%s has no ref %s", repo, ref)
}

func (g *gitSCM) CommitTime(ctx context.Context, repo, commit string) (time.Time, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ok := g.times[commit]
	if !ok {
		return time.Time{}, fmt.Errorf("%s has no commit %s", repo, commit)
	}
	return t, nil
}

func (g *gitSCM) ReadFile(ctx context.Context, repo, commit, path string) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, ok := g.files[commit+"@"+path]
	if !ok {
		b, ok = g.files[repo+"@"+path]
	}
	if !ok {
		return nil, fmt.Errorf("%s: no such file", path)
	}
	return b, nil
}

const gitBase = "https://git.example.com/"

// moduleDef is a module with one component (rpms/<name>-lib, branch main)
// buildrequiring platform and the listed modules at stream 1.
func moduleDef(name string, brs ...string) string {
	deps := "      platform: [f40]\n"
	for _, b := range brs {
		deps += "      " + b + ": [\"1\"]\n"
	}
	return fmt.Sprintf(`document: modulemd
version: 2
data:
  summary: %[1]s
  description: Module %[1]s.
  license:
    module: [MIT]
  dependencies:
  - buildrequires:
%[2]s    requires:
      platform: [f40]
  components:
    rpms:
      %[1]s-lib:
        rationale: test
        repository: %[3]srpms/%[1]s-lib
        ref: main
...
`, name, deps, gitBase)
}

func platform() *modulemd.Stream {
	return &modulemd.Stream{
		MDVersionNumber: 2, Name: "platform", Stream: "f40", Version: 1, Context: "00000000",
		Summary: "Fedora 40", Description: "Platform", License: modulemd.License{Module: []string{"MIT"}},
		XMD: modulemd.MustXMD(map[string]any{"mbs": map[string]any{"mse": "TRUE", "koji_tag": "module-f40-build"}}),
	}
}

// world is an orchestrator and a rebuild service on stores in dir.
type world struct {
	t      *testing.T
	dir    string
	scm    *gitSCM
	orch   *orchestrator.Service
	rs     *rebuilds.Service
	store  rebuilds.Store
	stop   func()
	closed []func()
}

// storeEnv selects the stores as in the orchestrator's tests ("postgres"
// for a new database on MODKIT_TEST_PG_URL); a file "pg.mode" in a test's
// directory does it for that test.
const storeEnv = "MODKIT_TEST_ORCHESTRATOR_STORE"

// onPostgres makes the stores of dir PostgreSQL ones.
func onPostgres(t *testing.T, dir string) {
	t.Helper()
	if os.Getenv("MODKIT_TEST_PG_URL") == "" {
		testenv.SkipOrFatal(t, "MODKIT_TEST_PG_URL is not set: no PostgreSQL server for the rebuild tests on PostgreSQL")
	}
	if err := os.WriteFile(filepath.Join(dir, "pg.mode"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

func openStores(t *testing.T, dir string) (orchestrator.Store, rebuilds.Store, func()) {
	ctx := context.Background()
	var ost orchestrator.Store
	var db *sql.DB
	var d rebuilds.Dialect
	var err error
	mode := os.Getenv(storeEnv)
	if _, err := os.Stat(filepath.Join(dir, "pg.mode")); err == nil {
		mode = "postgres"
	}
	switch mode {
	case "postgres":
		u, rerr := os.ReadFile(filepath.Join(dir, "pg.url"))
		if rerr != nil {
			u = []byte(pgtest.NewDatabase(t))
			os.WriteFile(filepath.Join(dir, "pg.url"), u, 0o644)
		}
		if ost, err = pgstore.Open(ctx, string(u), nil); err != nil {
			t.Fatal(err)
		}
		db, err = sql.Open("pgx", string(u))
		d = rebuilds.PostgreSQL
	default:
		if ost, err = sqlstore.Open(ctx, filepath.Join(dir, "modkit.db"), nil); err != nil {
			t.Fatal(err)
		}
		db, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "rebuilds.db")+"?_pragma=busy_timeout(10000)")
		db.SetMaxOpenConns(1)
		d = rebuilds.SQLite
	}
	if err != nil {
		t.Fatal(err)
	}
	rst, err := rebuilds.NewSQLStore(ctx, db, d)
	if err != nil {
		t.Fatal(err)
	}
	return ost, rst, func() { db.Close(); ost.Close() }
}

// newWorld starts a world; zopts, optional, configure its zero builder.
func newWorld(t *testing.T, dir string, scm *gitSCM, ropts *rebuilds.Options, zopts ...*zerobuilder.Options) *world {
	ost, rst, closeStores := openStores(t, dir)
	var zo *zerobuilder.Options
	if len(zopts) > 0 {
		zo = zopts[0]
	}
	zb, err := zerobuilder.New(zo)
	if err != nil {
		t.Fatal(err)
	}
	orch, err := orchestrator.NewService(&orchestrator.Options{
		Store: ost, Builder: zb, SCM: scm, AllowComponentRepository: true,
		Source:       orchestrator.Sources(orchestrator.NewDBSource(ost), resolver.NewSource([]*modulemd.Stream{platform()})),
		PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler), Concurrency: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	o := rebuilds.Options{}
	if ropts != nil {
		o = *ropts
	}
	o.Orchestrator, o.Store = orch, rst
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	rs, err := rebuilds.New(&o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	detach := rs.Attach(ctx)
	done := make(chan struct{})
	go func() { orch.Run(ctx); close(done) }()
	var once sync.Once
	w := &world{t: t, dir: dir, scm: scm, orch: orch, rs: rs, store: rst}
	w.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			detach()
			zb.Close()
			closeStores()
		})
	}
	t.Cleanup(w.stop)
	return w
}

// build submits module name from its repository's main branch and waits
// until it is ready.
func (w *world) build(name string) *orchestrator.ModuleBuild {
	w.t.Helper()
	mbs, err := w.orch.Submit(context.Background(), &orchestrator.SubmitRequest{SCMURL: gitBase + "modules/" + name + ".git#1", Owner: "alice"})
	if err != nil {
		w.t.Fatalf("submit %s: %v", name, err)
	}
	return w.wait(mbs[0].ID)
}

func (w *world) wait(id int64) *orchestrator.ModuleBuild {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	mbs, err := w.orch.Wait(ctx, id)
	if err != nil {
		w.t.Fatalf("wait for module build %d: %v", id, err)
	}
	if mbs[0].State != orchestrator.StateReady {
		w.t.Fatalf("module build %s: %s %s", mbs[0].NSVC(), mbs[0].State, mbs[0].StateReason)
	}
	return mbs[0]
}

// settle waits until event id is no longer building and the outbox is
// empty.
func (w *world) settle(id int64) *rebuilds.Event {
	w.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := w.orch.Flush(ctx)
		cancel()
		if err != nil {
			w.t.Fatal(err)
		}
		ev, err := w.store.Event(context.Background(), id)
		if err != nil {
			w.t.Fatal(err)
		}
		if ev.State != rebuilds.EventBuilding && ev.State != rebuilds.EventInitialized {
			return ev
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("event %d still %s: %s", id, ev.State, ev.StateReason)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// setupABC defines alpha <- beta <- gamma (beta buildrequires alpha, gamma
// buildrequires beta) on branch 1 of their module repositories.
func setupABC(scm *gitSCM) {
	day := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, m := range []struct{ name, br string }{{"alpha", ""}, {"beta", "alpha"}, {"gamma", "beta"}} {
		var brs []string
		if m.br != "" {
			brs = append(brs, m.br)
		}
		repo := gitBase + "modules/" + m.name + ".git"
		scm.files[repo+"@"+m.name+".yaml"] = []byte(moduleDef(m.name, brs...))
		scm.push(repo, "1", day.Add(time.Duration(i)*time.Hour))
		scm.push(gitBase+"rpms/"+m.name+"-lib", "main", day)
	}
}

func pushMessage(id, repo, branch, rev string, files ...string) rebuilds.Message {
	stats := map[string]any{}
	for _, f := range files {
		stats[f] = map[string]int{"additions": 1, "deletions": 0, "lines": 1}
	}
	b, _ := json.Marshal(map[string]any{"commit": map[string]any{
		"namespace": "rpms", "repo": repo, "branch": branch, "rev": rev, "stats": map[string]any{"files": stats},
	}})
	return rebuilds.Message{ID: id, Topic: "org.fedoraproject.prod.git.receive", Body: b}
}
