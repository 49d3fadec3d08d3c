package odcs_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/pungi"
	"github.com/modkit/modkit/pungi/odcs"
)

// buildRPM builds name-version-release.noarch.rpm and its source RPM in dir.
func buildRPM(t *testing.T, dir, name, version, release string, requires ...string) (bin, src string) {
	t.Helper()
	spec := filepath.Join(dir, name+"-"+version+"-"+release+".spec")
	var req string
	for _, r := range requires {
		req += "Requires: " + r + "\n"
	}
	text := "Name: " + name + "\nVersion: " + version + "\nRelease: " + release + "\nSummary: test\nLicense: MIT\nBuildArch: noarch\n" + req +
		"%description\ntest\n%install\nmkdir -p %{buildroot}/usr/share/" + name + "\necho " + version + " > %{buildroot}/usr/share/" + name + "/version\n" +
		"%files\n/usr/share/" + name + "/version\n"
	if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	top := filepath.Join(dir, "top-"+name+"-"+version)
	out, err := exec.Command("rpmbuild", "-ba", "--quiet", "--define", "_topdir "+top, "--define", "_build_id_links none", spec).CombinedOutput()
	if err != nil {
		t.Fatalf("rpmbuild: %v\n%s", err, out)
	}
	return filepath.Join(top, "RPMS", "noarch", name+"-"+version+"-"+release+".noarch.rpm"), filepath.Join(top, "SRPMS", name+"-"+version+"-"+release+".src.rpm")
}

type localModule struct {
	name, stream string
	version      uint64
	context      string
	requires     string // a run-time requirement "name: [stream]" or ""
}

func (m localModule) yaml(arch string) string {
	req := "platform: [f99]"
	if m.requires != "" {
		req += "\n      " + m.requires
	}
	return fmt.Sprintf(`---
document: modulemd
version: 2
data:
  name: %s
  stream: "%s"
  version: %d
  context: %s
  arch: %s
  summary: %s
  description: %s module.
  license:
    module: [MIT]
  dependencies:
  - requires:
      %s
  profiles:
    default:
      rpms: [%s]
  components:
    rpms:
      %s:
        rationale: the module
        ref: main
...
`, m.name, m.stream, m.version, m.context, arch, m.name, m.name, req, m.name, m.name)
}

// localStore records ready module builds with their repositories in an
// orchestrator store, as local builds publish them.
func localStore(t *testing.T, dir string, mods []localModule) orchestrator.Store {
	t.Helper()
	testenv.RequireTools(t, "rpmbuild", "createrepo_c", "modifyrepo_c")
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(dir, "modkit.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	arch := odcs.HostArch()
	for i, m := range mods {
		rel := fmt.Sprintf("1.module+%s", m.context)
		bin, src := buildRPM(t, dir, m.name, m.stream+".0", rel+fmt.Sprint(m.version%1000))
		docs, err := modulemd.Parse([]byte(m.yaml(arch)))
		if err != nil {
			t.Fatal(err)
		}
		repo := filepath.Join(dir, "builds", fmt.Sprint(i), "repo")
		if _, err := pungi.WriteRepo(ctx, repo, []pungi.RepoModule{{Stream: docs[0].(*modulemd.Stream), RPMs: []string{bin, src}}},
			&pungi.RepoOptions{SourceDir: filepath.Join(filepath.Dir(repo), "source")}); err != nil {
			t.Fatal(err)
		}
		mb := &orchestrator.ModuleBuild{Name: m.name, Stream: m.stream, Version: fmt.Sprint(m.version), Context: m.context,
			State: orchestrator.StateReady, Modulemd: m.yaml(arch), Owner: "alice", TimeSubmitted: time.Now(), TimeModified: time.Now()}
		mb.Publication.Repository = repo
		if err := st.Update(ctx, func(tx orchestrator.Tx) error { return tx.CreateModuleBuild(ctx, mb) }); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// dnfModuleList runs real dnf with the compose's .repo file, fetched from
// the server, as its only repository, and returns `dnf module list`.
func dnfModuleList(t *testing.T, repofileURL, platform string) string {
	t.Helper()
	return dnfRun(t, repofileURL, platform, "module", "list")
}

func dnfRun(t *testing.T, repofileURL, platform string, args ...string) string {
	t.Helper()
	testenv.RequireTools(t, "dnf")
	resp, err := http.Get(repofileURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", repofileURL, resp.StatusCode)
	}
	work := t.TempDir()
	reposd := filepath.Join(work, "repos.d")
	os.MkdirAll(reposd, 0o755)
	os.MkdirAll(filepath.Join(work, "home"), 0o755)
	os.WriteFile(filepath.Join(work, "home", ".rpmmacros"), []byte("%_dbpath /var/lib/rpm\n"), 0o644)
	if err := os.WriteFile(filepath.Join(reposd, "odcs.repo"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(work, "dnf.conf")
	os.WriteFile(conf, []byte("[main]\ngpgcheck=False\nplugins=False\nreposdir="+reposd+"\ncachedir="+filepath.Join(work, "cache")+"\nmodule_platform_id="+platform+"\n"), 0o644)
	cmd := exec.Command("dnf", append([]string{"-y", "--config=" + conf, "--installroot=" + filepath.Join(work, "root"), "--releasever=1",
		"--setopt=cachedir=" + filepath.Join(work, "cache")}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Join(work, "home"), "LC_ALL=C.UTF-8"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dnf %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestModuleComposeEndToEnd composes modules built locally (ready builds
// of an orchestrator store): the spec app:1 resolves to its latest
// version plus the module it requires at run time; the .repo file served
// by the API works with real dnf, which lists both streams; expiry
// removes the directory.
func TestModuleComposeEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mods := []localModule{
		{"app", "1", 20260101000000, "a0000001", "lib: [\"2\"]"},
		{"app", "1", 20260102000000, "a0000002", "lib: [\"2\"]"},
		{"lib", "2", 20260101000000, "b0000001", ""},
		{"lib", "3", 20260101000000, "c0000001", ""},
	}
	orch := localStore(t, dir, mods)
	e := newEnv(t, &odcs.Options{Modules: &odcs.StoreResolver{Store: orch}, Outbox: odcs.OrchestratorOutbox(orch), TopicPrefix: "org.modkit.test."})
	ctx := context.Background()
	c, err := odcs.NewClient(e.srv.URL, odcs.WithToken("alice-token"), odcs.WithPollInterval(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.Submit(ctx, &odcs.Request{Source: odcs.RequestSource{Type: "module", Source: "app:1"}})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	done, err := c.Wait(wctx, sub.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "app:1:20260102000000:a0000002 lib:2:20260101000000:b0000001"; done.Source != want {
		t.Errorf("source resolved to %q, want %q", done.Source, want)
	}
	if !strings.HasPrefix(done.PungiComposeID, fmt.Sprintf("odcs-%d-1-", sub.ID)) {
		t.Errorf("pungi_compose_id %q", done.PungiComposeID)
	}
	list := dnfModuleList(t, done.ResultRepofile, "platform:f99")
	for _, want := range []string{"app", "lib"} {
		if !strings.Contains(list, "\n"+want+" ") {
			t.Errorf("dnf module list does not show %s:\n%s", want, list)
		}
	}
	if strings.Contains(list, " 3 ") {
		t.Errorf("lib:3 is listed though nothing asked for it:\n%s", list)
	}
	// The state changes went to the orchestrator's outbox.
	var topics []string
	orch.View(ctx, func(tx orchestrator.Tx) error {
		evs, err := tx.PendingEvents(ctx, 100)
		for _, ev := range evs {
			topics = append(topics, ev.Topic+" "+string(ev.Body[:min(len(ev.Body), 0)]))
		}
		return err
	})
	if len(topics) < 3 || !strings.HasPrefix(topics[0], "org.modkit.test.odcs.compose.state-changed") {
		t.Errorf("outbox events: %q", topics)
	}
	// no_deps: only app.
	nd, err := c.Submit(ctx, &odcs.Request{Source: odcs.RequestSource{Type: "module", Source: "app:1:20260101000000"}, Flags: []string{"no_deps"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Wait(wctx, nd.ID, nil); err != nil || got.Source != "app:1:20260101000000:a0000001" {
		t.Errorf("no_deps compose: %v %q", err, got.Source)
	}
	// Expiry removes the directory.
	cdir := e.svc.Dir(done)
	if _, err := os.Stat(cdir); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(25 * time.Hour)
	if _, err := e.svc.Reap(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cdir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after expiry", cdir)
	}
	if got, _ := c.Get(ctx, done.ID); got.State != odcs.StateRemoved || got.StateReason != "Compose is expired." {
		t.Errorf("after expiry: %s %q", got.State, got.StateReason)
	}
	// A missing module fails the compose with a clear reason.
	bad, err := c.Submit(ctx, &odcs.Request{Source: odcs.RequestSource{Type: "module", Source: "nope:1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Wait(wctx, bad.ID, nil); err == nil || !strings.Contains(got.StateReason, "module nope:1: no module build found") {
		t.Errorf("missing module: %v %q", err, got.StateReason)
	}
}
