package orchestrator_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/pgstore"
	"github.com/modkit/modkit/orchestrator/pgstore/pgtest"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
	"github.com/modkit/modkit/resolver"
)

// memSCM is an in-memory SCM: every repository has every ref; the commit
// is a hash of repository and ref, so changing a ref changes the commit.
type memSCM struct {
	mu    sync.Mutex
	files map[string][]byte // "repo@path"
	refs  map[string]string // "repo#ref" -> commit override
}

func newMemSCM() *memSCM { return &memSCM{files: map[string][]byte{}, refs: map[string]string{}} }

func (m *memSCM) ResolveRef(ctx context.Context, repo, ref string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if strings.Contains(repo, "missing") {
		return "", fmt.Errorf("repository %s not found", repo)
	}
	if c, ok := m.refs[repo+"#"+ref]; ok {
		return c, nil
	}
	sum := sha1.Sum([]byte(repo + "#" + ref))
	return hex.EncodeToString(sum[:]), nil
}

func (m *memSCM) CommitTime(ctx context.Context, repo, commit string) (time.Time, error) {
	return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), nil
}

func (m *memSCM) ReadFile(ctx context.Context, repo, commit, path string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[repo+"@"+path]
	if !ok {
		return nil, fmt.Errorf("%s: no such file", path)
	}
	return b, nil
}

// platform returns a base module build platform:f40.
func platform() *modulemd.Stream {
	return &modulemd.Stream{
		MDVersionNumber: 2, Name: "platform", Stream: "f40", Version: 1, Context: "00000000",
		Summary: "Fedora 40", Description: "Platform", License: modulemd.License{Module: []string{"MIT"}},
		XMD: modulemd.MustXMD(map[string]any{"mbs": map[string]any{"mse": "TRUE", "koji_tag": "module-f40-build"}}),
	}
}

// moduleYAML builds a module definition with n components in `batches`
// buildorder groups.
func moduleYAML(name string, n, batches int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `document: modulemd
version: 2
data:
  name: %s
  stream: "1"
  summary: Test module
  description: A module for tests.
  license:
    module: [MIT]
  dependencies:
  - buildrequires:
      platform: [f40]
    requires:
      platform: [f40]
  components:
    rpms:
`, name)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "      pkg%03d:\n        rationale: test\n        repository: https://git.example.com/rpms/pkg%03d\n        ref: main\n        buildorder: %d\n", i, i, i%batches)
	}
	b.WriteString("...\n")
	return b.String()
}

// storeEnv selects the store of the service tests: unset or "sqlite" for
// SQLite, "postgres" for a new database on MODKIT_TEST_PG_URL per test.
// TestServiceOnPostgres runs the service tests again with it set.
const storeEnv = "MODKIT_TEST_ORCHESTRATOR_STORE"

// openStore opens the store of a test environment whose files live in dir.
func openStore(t testing.TB, dir string) orchestrator.Store {
	t.Helper()
	ctx := context.Background()
	var st orchestrator.Store
	var err error
	switch kind := os.Getenv(storeEnv); kind {
	case "", "sqlite":
		st, err = sqlstore.Open(ctx, dir+"/modkit.db", nil)
	case "postgres":
		// The database outlives one env of the crash test: keep its URL
		// in dir.
		url, rerr := os.ReadFile(dir + "/pg.url")
		if rerr != nil {
			url = []byte(pgtest.NewDatabase(t))
			if err := os.WriteFile(dir+"/pg.url", url, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		st, err = pgstore.Open(ctx, string(url), nil)
	default:
		t.Fatalf("%s=%q: want sqlite or postgres", storeEnv, kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

type env struct {
	svc   *orchestrator.Service
	store orchestrator.Store
	zb    *zerobuilder.Builder
	scm   *memSCM
}

func newEnv(t testing.TB, dir string, zopts *zerobuilder.Options, mod func(*orchestrator.Options)) *env {
	t.Helper()
	return newEnvOn(t, openStore(t, dir), zopts, mod)
}

// newEnvOn is newEnv over an open store: several services may share it.
func newEnvOn(t testing.TB, st orchestrator.Store, zopts *zerobuilder.Options, mod func(*orchestrator.Options)) *env {
	t.Helper()
	zb, err := zerobuilder.New(zopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { zb.Close() })
	m := newMemSCM()
	opts := &orchestrator.Options{
		Store: st, Builder: zb, SCM: m, AllowComponentRepository: true,
		Source:       orchestrator.Sources(orchestrator.NewDBSource(st), resolver.NewSource([]*modulemd.Stream{platform()})),
		PollInterval: 50 * time.Millisecond,
		Logger:       slog.New(slog.DiscardHandler),
		Concurrency:  20,
		Now:          func() time.Time { return time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC) },
	}
	if mod != nil {
		mod(opts)
	}
	svc, err := orchestrator.NewService(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, store: st, zb: zb, scm: m}
}

// run starts the service; it stops at test end or when stop is called.
func (e *env) run(t testing.TB) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		e.svc.Run(ctx)
		close(done)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(stop)
	return stop
}

func (e *env) wait(t testing.TB, id int64) []*orchestrator.ModuleBuild {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	mbs, err := e.svc.Wait(ctx, id)
	if err != nil {
		t.Fatalf("wait for module build %d: %v", id, err)
	}
	return mbs
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
