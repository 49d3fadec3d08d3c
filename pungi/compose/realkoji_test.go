package compose

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/koji"
)

// TestComposeFromRealKoji runs the koji source against a real koji hub
// (../shared/tools/koji-hub; KOJI_HUB_URL, KOJI_TOPDIR, KOJI_ADMIN and
// KOJI_ADMIN_PASSWORD): module builds imported as MBS imports them, files
// served from the hub's top directory, selection from a tag pinned to an
// event, and the composed repository checked with productmd and dnf.
func TestComposeFromRealKoji(t *testing.T) {
	t.Parallel()
	hubURL, topdir := os.Getenv("KOJI_HUB_URL"), os.Getenv("KOJI_TOPDIR")
	if hubURL == "" || topdir == "" {
		testenv.SkipOrFatal(t, "KOJI_HUB_URL/KOJI_TOPDIR not set (eval \"$(../shared/tools/koji-hub up)\")")
	}
	testenv_RequireRPM(t)
	ctx := context.Background()
	c, err := koji.NewClient(hubURL, koji.WithAuth(koji.PasswordAuth{User: os.Getenv("KOJI_ADMIN"), Password: os.Getenv("KOJI_ADMIN_PASSWORD")}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	_ = c.GrantCGAccess(ctx, koji.Name(os.Getenv("KOJI_ADMIN")), "module-build-service", true)
	srv := httptest.NewServer(http.FileServer(http.Dir(topdir)))
	t.Cleanup(srv.Close)
	f := &kojiFixture{client: c, top: topdir, topURL: srv.URL, rpms: t.TempDir(), real: true}
	rnd := make([]byte, 4)
	rand.Read(rnd)
	sfx := hex.EncodeToString(rnd)
	arch := hostArch()
	mods := []fixtureModule{
		{"hello" + sfx, "1", 20260101000000, "c0000001", map[string]string{"hello" + sfx: "1.0"}},
		{"hello" + sfx, "2", 20260102000000, "c0000002", map[string]string{"hello" + sfx: "2.0"}},
		{"tools" + sfx, "1", 20260103000000, "aaaa0001", map[string]string{"tools" + sfx: "1.0"}},
		{"tools" + sfx, "1", 20260103000000, "bbbb0002", map[string]string{"tools" + sfx: "1.1"}},
		{"tools" + sfx, "1", 20260104000000, "aaaa0001", map[string]string{"tools" + sfx: "1.2"}},
	}
	tag := "modular-" + sfx
	if _, err := c.CreateTag(ctx, tag, nil); err != nil {
		t.Fatal(err)
	}
	for _, m := range mods[:4] {
		f.tag(t, tag, f.importModule(t, m, []string{arch}))
	}
	event := f.lastEvent(t)
	f.tag(t, tag, f.importModule(t, mods[4], []string{arch})) // newer, after the event

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "variants.xml"), []byte(`<variants><variant id="Modular" name="Modular" type="variant"><arches><arch>`+arch+
		`</arch></arches><modules><module>*</module><kojitag>`+tag+`</kojitag></modules></variant></variants>`), 0o644)
	cfg := writeConfig(t, dir, fmt.Sprintf("release: {name: Real, short: Real, version: \"1\"}\nvariants_file: variants.xml\nkoji: {url: %s, topurl: %s, event: %d}\ntarget_dir: out\n", hubURL, srv.URL, event))
	res, err := Run(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{mods[0].nsvc(), mods[1].nsvc(), mods[2].nsvc(), mods[3].nsvc()}
	slices.Sort(want)
	if diff := cmp.Diff(want, res.Modules["Modular"][arch]); diff != "" {
		t.Errorf("selected at event %d (-want +got):\n%s", event, diff)
	}
	for _, rep := range productmdOracle(t, res.Dir) {
		if rep["verdict"] != "ok" {
			t.Errorf("productmd rejects %s: %v", rep["file"], rep["error"])
		}
	}
	osDir := filepath.Join(res.Dir, "compose", "Modular", arch, "os")
	out := dnfModuleCheck(t, osDir, "module list", "module install hello"+sfx+":2/default", "rpm -qa")
	if !strings.Contains(out, "hello"+sfx+"-2.0-1.module+c0000002.noarch") {
		t.Errorf("dnf did not install hello:2 from the compose:\n%s", out)
	}

	// With a koji cache: the listing without extra and getBuild (first
	// compose), then the records alone (second) select the same builds
	// and write the same modules.yaml as the compose above.
	cache := t.TempDir()
	modulesYAML := func(res *Result) []byte {
		t.Helper()
		files, _ := filepath.Glob(filepath.Join(res.Dir, "compose", "Modular", arch, "os", "repodata", "*-modules.yaml*"))
		if len(files) != 1 {
			t.Fatalf("modules.yaml in %s: %v", res.Dir, files)
		}
		data, _ := os.ReadFile(files[0])
		return data
	}
	for _, run := range []string{"filling the cache", "from the cache"} {
		cres, err := Run(ctx, cfg, &Options{KojiCache: cache, NoLatestLink: true})
		if err != nil {
			t.Fatalf("%s: %v", run, err)
		}
		if diff := cmp.Diff(res.Modules, cres.Modules); diff != "" {
			t.Errorf("%s: selection differs (-uncached +cached):\n%s", run, diff)
		}
		if !bytes.Equal(modulesYAML(res), modulesYAML(cres)) {
			t.Errorf("%s: modules.yaml differs from the uncached compose's", run)
		}
	}
	if recs, _ := filepath.Glob(filepath.Join(cache, "v1", "*", "module-*.json")); len(recs) != 4 {
		t.Errorf("cache records %v, want the 4 builds tagged at the event", recs)
	}
}
