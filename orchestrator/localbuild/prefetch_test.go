package localbuild

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
)

// prefetchFixture is a builder, a prepared module build and a component in
// a git repository whose spec buildrequires a host file.
func prefetchFixture(t *testing.T) (*Builder, *orchestrator.ModuleBuild, *orchestrator.ComponentBuild) {
	t.Helper()
	requireTools(t, Programs...)
	work := t.TempDir()
	src := filepath.Join(work, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	spec := "Name: early\nVersion: 1\nRelease: 1%{?dist}\nSummary: s\nLicense: MIT\nBuildArch: noarch\nBuildRequires: /bin/sh\n%description\nd\n%install\nmkdir -p %{buildroot}/usr/share/early\necho x > %{buildroot}/usr/share/early/f\n%files\n/usr/share/early/f\n"
	if err := os.WriteFile(filepath.Join(src, "early.spec"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	dir, commit := gitRepo(t, src, filepath.Join(work, "git"))
	b, err := New(&Options{Dir: filepath.Join(work, "builds"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	mb := &orchestrator.ModuleBuild{ID: 4, Name: "p", Stream: "s", Version: "1", Context: "c", DistTag: ".module+t+4+12345678"}
	if err := b.Prepare(context.Background(), mb, &modulemd.Stream{Name: "p", Stream: "s"}); err != nil {
		t.Fatal(err)
	}
	c := &orchestrator.ComponentBuild{ID: 9, Package: "early", SCMURL: "file://" + dir + "?#" + commit, Ref: commit, Batch: 2}
	return b, mb, c
}

func buildLog(t *testing.T, b *Builder, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild) string {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(b.componentDir(mb, c.Package), "run-*", "build.log"))
	if len(logs) != 1 {
		t.Fatalf("%d build logs, want 1", len(logs))
	}
	data, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestPrefetch: a component prefetched before its Submit builds from the
// prefetched sources and BuildRequires, with the same result as one built
// without prefetching; the prefetch directory is gone afterwards.
func TestPrefetch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	results := map[bool]orchestrator.ComponentResult{}
	for _, prefetch := range []bool{true, false} {
		b, mb, c := prefetchFixture(t)
		if prefetch {
			b.Prefetch(mb, []*orchestrator.ComponentBuild{c})
			b.fetchers.Wait() // the prefetch is done before the build asks
		}
		if _, err := b.Submit(ctx, mb, c); err != nil {
			t.Fatal(err)
		}
		r := waitFor(t, b, mb, c)
		if r.State != orchestrator.ComponentComplete {
			t.Fatalf("prefetch=%v: %v %s", prefetch, r.State, r.Reason)
		}
		results[prefetch] = r
		log := buildLog(t, b, mb, c)
		if got := strings.Contains(log, "BuildRequires read while earlier batches built"); got != prefetch {
			t.Errorf("prefetch=%v: the build log says prefetched=%v:\n%s", prefetch, got, log)
		}
		if !strings.Contains(log, "# BuildRequires /bin/sh: ") {
			t.Errorf("prefetch=%v: the BuildRequires were not checked:\n%s", prefetch, log)
		}
		if _, err := os.Stat(filepath.Join(b.componentDir(mb, c.Package), "prefetch")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("prefetch=%v: the prefetch directory is left: %v", prefetch, err)
		}
	}
	if diff := cmp.Diff(results[false], results[true]); diff != "" {
		t.Errorf("result with prefetch differs (-without +with):\n%s", diff)
	}
}

// TestPrefetchNotUsed: a prefetch of another ref, or one that failed, is
// not used; the build does the work itself and reports its own errors.
func TestPrefetchNotUsed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	b, mb, c := prefetchFixture(t)
	other := *c
	other.Ref = strings.Repeat("0", 40)
	other.SCMURL = strings.SplitN(c.SCMURL, "#", 2)[0] + "#" + other.Ref
	b.Prefetch(mb, []*orchestrator.ComponentBuild{&other})
	b.fetchers.Wait()
	if _, err := b.Submit(ctx, mb, c); err != nil {
		t.Fatal(err)
	}
	if r := waitFor(t, b, mb, c); r.State != orchestrator.ComponentComplete {
		t.Fatalf("%v %s", r.State, r.Reason)
	}
	if log := buildLog(t, b, mb, c); strings.Contains(log, "while earlier batches built") {
		t.Errorf("a prefetch of another commit was used:\n%s", log)
	}

	// The missing commit fails its prefetch; its build fails with the
	// error of its own fetch.
	b2, mb2, _ := prefetchFixture(t)
	b2.Prefetch(mb2, []*orchestrator.ComponentBuild{&other})
	b2.fetchers.Wait()
	if _, err := b2.Submit(ctx, mb2, &other); err != nil {
		t.Fatal(err)
	}
	r := waitFor(t, b2, mb2, &other)
	if r.State != orchestrator.ComponentFailed || !strings.Contains(r.Reason, "fetching the sources of early") || !strings.Contains(r.Reason, "not found") {
		t.Errorf("result = %v %q; want failed fetching the sources (not found)", r.State, r.Reason)
	}
}

// TestPrefetchIgnores components without a pinned git commit and
// module-build-macros.
func TestPrefetchIgnores(t *testing.T) {
	t.Parallel()
	requireTools(t, Programs...)
	b, err := New(&Options{Dir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	mb := &orchestrator.ModuleBuild{ID: 1, Name: "m", Stream: "s", Version: "1", Context: "c"}
	b.Prefetch(mb, []*orchestrator.ComponentBuild{
		{Package: orchestrator.MacrosPackage, BuildTimeOnly: true},
		{Package: "branch", SCMURL: "file:///nowhere?#main", Ref: "main"},
		{Package: "norepo"},
	})
	b.fetchers.Wait()
	if len(b.prefetch) != 0 || len(b.queue) != 0 {
		t.Errorf("prefetched %d, queued %d; want nothing", len(b.prefetch), len(b.queue))
	}
}

// TestFinishBatchReportsBackgroundFailure: a createrepo_c that failed in
// the background fails the next FinishBatch (or Close) with its batch.
func TestFinishBatchReportsBackgroundFailure(t *testing.T) {
	t.Parallel()
	requireTools(t, Programs...)
	b, err := New(&Options{Dir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	mb := &orchestrator.ModuleBuild{ID: 2, Name: "m", Stream: "s", Version: "1", Context: "c"}
	failed := func() {
		j := &repoJob{batch: 2, done: make(chan struct{}), err: errors.New("createrepo_c exploded")}
		close(j.done)
		b.repoMu.Lock()
		b.repoJob[b.buildRepoDir(mb)] = j
		b.repoMu.Unlock()
	}
	failed()
	err = b.FinishBatch(context.Background(), mb, 3, nil)
	if err == nil || !strings.Contains(err.Error(), "finish batch 3") || !strings.Contains(err.Error(), "the build repository of batch 2: createrepo_c exploded") {
		t.Errorf("FinishBatch = %v, want the failure of batch 2's repository", err)
	}
	if err := b.FinishBatch(context.Background(), mb, 3, nil); err != nil {
		t.Errorf("the failure is reported once; FinishBatch again = %v", err)
	}
	failed()
	if err := b.Close(); err == nil || !strings.Contains(err.Error(), "createrepo_c exploded") {
		t.Errorf("Close = %v, want the unreported failure", err)
	}

	// A job still running is waited for, within the caller's context.
	j := &repoJob{batch: 2, done: make(chan struct{})}
	b.repoMu.Lock()
	b.repoJob[b.buildRepoDir(mb)] = j
	b.repoMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := b.FinishBatch(ctx, mb, 3, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("FinishBatch while createrepo_c runs, context ending = %v, want DeadlineExceeded", err)
	}
	close(j.done)
	if err := b.FinishBatch(context.Background(), mb, 3, nil); err != nil {
		t.Errorf("FinishBatch after it ended = %v", err)
	}
}

// TestFinishBatchAfterKilledCreaterepo: the work directory of a createrepo_c
// killed with its process does not stop the next one.
func TestFinishBatchAfterKilledCreaterepo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b, mb, c := prefetchFixture(t)
	if _, err := b.Submit(ctx, mb, c); err != nil {
		t.Fatal(err)
	}
	if r := waitFor(t, b, mb, c); r.State != orchestrator.ComponentComplete {
		t.Fatalf("%v %s", r.State, r.Reason)
	}
	stale := filepath.Join(b.buildRepoDir(mb), ".repodata")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := b.FinishBatch(ctx, mb, 2, []*orchestrator.ComponentBuild{c}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("createrepo_c after a killed run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(b.buildRepoDir(mb), "repodata", "repomd.xml")); err != nil {
		t.Errorf("no repodata: %v", err)
	}
}
