package kojibuild_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/kojibuild"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/resolver"
)

// memSCM is an in-memory SCM: every repository has every ref; the commit
// is a hash of repository and ref (or an override).
type memSCM struct {
	mu   sync.Mutex
	refs map[string]string
}

func (m *memSCM) ResolveRef(ctx context.Context, repo, ref string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.refs[repo+"#"+ref]; ok {
		return c, nil
	}
	sum := sha1.Sum([]byte(repo + "#" + ref))
	return hex.EncodeToString(sum[:]), nil
}

func (m *memSCM) setRef(repo, ref, commit string) {
	m.mu.Lock()
	m.refs[repo+"#"+ref] = commit
	m.mu.Unlock()
}

func (m *memSCM) CommitTime(ctx context.Context, repo, commit string) (time.Time, error) {
	return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), nil
}

func (m *memSCM) ReadFile(ctx context.Context, repo, commit, path string) ([]byte, error) {
	return nil, fmt.Errorf("%s: no such file", path)
}

// hubEnv is a koji hub prepared for module builds: the module btype, the
// content generator, a platform tag and a candidate tag.
type hubEnv struct {
	url      string
	admin    koji.Authenticator
	platform string // the platform's koji tag
	stream   string // the platform stream (unique per test)
	hub      *kojitest.Hub
	sim      *kojitest.Sim
	requests atomic.Int64 // HTTP requests (kojitest only)
}

// newKojitest starts an in-process hub with a simulated build farm.
func newKojitest(t testing.TB) *hubEnv {
	h := &hubEnv{sim: kojitest.NewSim()}
	h.hub = kojitest.New(t, kojitest.WithBuilder(h.sim.Builder), kojitest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.requests.Add(1)
			next.ServeHTTP(w, r)
		})
	}))
	h.url = h.hub.URL()
	h.admin = koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}
	h.setup(t)
	return h
}

// client returns a logged-in admin client.
func (h *hubEnv) client(t testing.TB) *koji.Client {
	t.Helper()
	c, err := koji.NewClient(h.url, koji.WithAuth(h.admin), koji.WithPollInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

func unique() string { return fmt.Sprintf("%08x", rand.Uint32()) }

func (h *hubEnv) setup(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	c := h.client(t)
	if err := c.AddBType(ctx, "module"); err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	user, err := c.GetLoggedInUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.GrantCGAccess(ctx, koji.Name(user.Name), "module-build-service", true); err != nil && !strings.Contains(err.Error(), "already has access") {
		t.Fatal(err)
	}
	h.stream = "f40x" + unique() // stream version 400000, like f40
	h.platform = "platform-" + h.stream + "-build"
	if _, err := c.CreateTag(ctx, h.platform, &koji.CreateTagOptions{Arches: []string{"x86_64"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTag(ctx, h.stream+"-modular-updates-candidate", nil); err != nil {
		t.Fatal(err)
	}
}

// platformStream is the base module whose koji tag is the hub's platform
// tag.
func (h *hubEnv) platformStream() *modulemd.Stream {
	return &modulemd.Stream{
		MDVersionNumber: 2, Name: "platform", Stream: h.stream, Version: 1, Context: "00000000",
		Summary: "Platform", Description: "Platform", License: modulemd.License{Module: []string{"MIT"}},
		Profiles: map[string]modulemd.Profile{
			"buildroot":      {RPMs: []string{"bash", "rpm-build"}},
			"srpm-buildroot": {RPMs: []string{"bash", "fedpkg-minimal", "rpm-build"}},
		},
		XMD: modulemd.MustXMD(map[string]any{"mbs": map[string]any{"mse": "TRUE", "koji_tag": h.platform}}),
	}
}

// env is a service with the koji builder over a hub.
type env struct {
	h     *hubEnv
	svc   *orchestrator.Service
	store *sqlstore.Store
	kb    *kojibuild.Builder
	scm   *memSCM
}

func newEnv(t testing.TB, h *hubEnv, dir string, mod func(*orchestrator.Options, *kojibuild.Options)) *env {
	t.Helper()
	testenv.RequireTools(t, "rpmbuild") // module-build-macros is made with rpmbuild -bs
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, dir+"/modkit.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := koji.NewClient(h.url, koji.WithAuth(h.admin), koji.WithPollInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	src := orchestrator.Sources(orchestrator.NewDBSource(st), resolver.NewSource([]*modulemd.Stream{h.platformStream()}))
	kopts := &kojibuild.Options{Client: c, Source: src, CandidateTag: "{}-modular-updates-candidate",
		PollInterval: 20 * time.Millisecond, WorkDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)}
	m := &memSCM{refs: map[string]string{}}
	opts := &orchestrator.Options{
		Store: st, SCM: m, Source: src,
		PollInterval: 20 * time.Millisecond,
		Logger:       slog.New(slog.DiscardHandler),
		Concurrency:  20,
		// The test modules name their components' repositories.
		AllowComponentRepository: true,
	}
	if mod != nil {
		mod(opts, kopts)
	}
	kb, err := kojibuild.New(kopts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Builder = kb
	svc, err := orchestrator.NewService(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &env{h: h, svc: svc, store: st, kb: kb, scm: m}
}

// run starts the service until the test ends or stop is called.
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

func (e *env) submit(t testing.TB, yaml string, strategy string) *orchestrator.ModuleBuild {
	t.Helper()
	mbs, err := e.svc.Submit(context.Background(), &orchestrator.SubmitRequest{Modulemd: []byte(yaml), Owner: "tester", RebuildStrategy: strategy})
	if err != nil {
		t.Fatal(err)
	}
	return mbs[0]
}

func (e *env) wait(t testing.TB, id int64) *orchestrator.ModuleBuild {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	mbs, err := e.svc.Wait(ctx, id)
	if err != nil {
		t.Fatalf("wait for module build %d: %v", id, err)
	}
	return mbs[0]
}

func (e *env) components(t testing.TB, id int64) []*orchestrator.ComponentBuild {
	t.Helper()
	var out []*orchestrator.ComponentBuild
	err := e.store.View(context.Background(), func(tx orchestrator.Tx) error {
		var err error
		out, _, err = tx.ListComponentBuilds(context.Background(), &orchestrator.ComponentBuildFilter{ModuleID: id})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *env) messages(t testing.TB, id int64, debug bool) []string {
	t.Helper()
	l, _, err := e.svc.Messages(context.Background(), &orchestrator.LogMessageFilter{ModuleID: id, Debug: debug})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range l {
		out = append(out, m.Message)
	}
	slices.Reverse(out)
	return out
}

// component is one rpm component of moduleYAML.
type component struct {
	name       string
	buildorder int
	buildafter []string
	ref        string
}

// moduleYAML is a module buildrequiring the hub's platform.
func moduleYAML(name, platform string, comps []component, extra string) string {
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
      platform: [%s]
    requires:
      platform: [%s]
%s  components:
    rpms:
`, name, platform, platform, extra)
	for _, c := range comps {
		ref := c.ref
		if ref == "" {
			ref = "main"
		}
		fmt.Fprintf(&b, "      %s:\n        rationale: test\n        repository: https://git.example.com/rpms/%s\n        ref: %s\n", c.name, c.name, ref)
		if c.buildorder != 0 {
			fmt.Fprintf(&b, "        buildorder: %d\n", c.buildorder)
		}
		if len(c.buildafter) > 0 {
			fmt.Fprintf(&b, "        buildafter: [%s]\n", strings.Join(c.buildafter, ", "))
		}
	}
	b.WriteString("...\n")
	return b.String()
}

// ordered returns n components named <prefix>NN in batches buildorder
// groups.
func ordered(prefix string, n, batches int) []component {
	var out []component
	for i := range n {
		out = append(out, component{name: fmt.Sprintf("%s%02d", prefix, i), buildorder: i % batches})
	}
	return out
}

var errSkip = errors.New("skip")
