package compose

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/pungi"
)

// kojiFixture is a test hub with module builds imported as MBS imports
// them, and a top directory served over HTTP as koji serves its files.
type kojiFixture struct {
	hub    *kojitest.Hub
	client *koji.Client
	top    string // the files behind topURL
	topURL string
	rpms   string // where RPMs are built
	n      int
	pkgs   map[string]bool
	// real is set for a real koji hub, which stores imported files in its
	// top directory itself.
	real bool
	// hubURL is the hub's URL; benchTag the benchmark's tag.
	hubURL, benchTag string
	// hubPID is the process of a hub run in a child process.
	hubPID int
	prefix string
}

// updir is a per-fixture upload directory prefix (a real hub is shared
// between runs).
func (f *kojiFixture) updir() string {
	if f.prefix == "" {
		f.prefix = fmt.Sprintf("t%d", time.Now().UnixNano())
	}
	return f.prefix
}

func (f *kojiFixture) url() string { return f.hubURL }

func newKojiFixture(t testing.TB) *kojiFixture {
	t.Helper()
	top := t.TempDir()
	hub := kojitest.New(t, kojitest.WithTopDir(top))
	srv := httptest.NewServer(http.FileServer(http.Dir(top)))
	t.Cleanup(srv.Close)
	f := setupKojiFixture(t, hub.URL(), top, srv.URL)
	f.hub = hub
	return f
}

// setupKojiFixture logs in to the kojitest hub at hubURL and prepares it
// for module imports; top is the directory topURL serves.
func setupKojiFixture(t testing.TB, hubURL, top, topURL string) *kojiFixture {
	t.Helper()
	ctx := context.Background()
	c, err := koji.NewClient(hubURL, koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.AddBType(ctx, "module"); err != nil {
		t.Fatal(err)
	}
	if err := c.GrantCGAccess(ctx, koji.Name(kojitest.AdminUser), "module-build-service", true); err != nil {
		t.Fatal(err)
	}
	rpms := t.TempDir()
	return &kojiFixture{client: c, top: top, topURL: topURL, rpms: rpms, hubURL: hubURL}
}

func md5hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

// importRPMBuild uploads and imports one RPM build (binary + source) and
// places its files where koji serves them.
func (f *kojiFixture) importRPMBuild(t testing.TB, name, version, release string) []koji.RPM {
	t.Helper()
	ctx := context.Background()
	bin, src := buildRPM(t, f.rpms, name, version, release)
	f.n++
	dir := fmt.Sprintf("cg/%s/%d", f.updir(), f.n)
	md := &koji.CGMetadata{
		Build: koji.CGBuild{Name: name, Version: version, Release: release, Source: "git+https://src.example.org/" + name, StartTime: 1, EndTime: 2,
			// A real hub needs build.extra (koji.CGBuild omits an empty one).
			Extra: map[string]any{"modkit_fixture": true}},
		Buildroots: []koji.CGBuildroot{{ID: 1, Host: koji.CGHost{OS: "Test", Arch: "x86_64"}, ContentGenerator: koji.CGTool{Name: "module-build-service", Version: "1"}, Container: koji.CGContainer{Type: "none", Arch: "x86_64"}, Tools: []koji.CGTool{}, Components: []koji.CGComponent{}}},
	}
	for _, p := range []struct{ path, arch string }{{bin, "noarch"}, {src, "src"}} {
		data, err := os.ReadFile(p.path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.client.Upload(ctx, bytes.NewReader(data), dir, filepath.Base(p.path), &koji.UploadOptions{Overwrite: true}); err != nil {
			t.Fatal(err)
		}
		md.Output = append(md.Output, koji.CGOutput{BuildrootID: 1, Filename: filepath.Base(p.path), Filesize: int64(len(data)),
			Arch: p.arch, Checksum: md5hex(data), ChecksumType: "md5", Type: "rpm"})
		if !f.real {
			dst := filepath.Join(f.top, "packages", name, version, release, p.arch, filepath.Base(p.path))
			if err := linkOrCopy(p.path, dst); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := f.client.CGImport(ctx, md, dir, nil)
	if err != nil {
		t.Fatalf("CGImport %s: %v", name, err)
	}
	rpms, err := f.client.ListRPMs(ctx, &koji.ListRPMsOptions{BuildID: b.ID})
	if err != nil {
		t.Fatal(err)
	}
	return rpms
}

// importModule imports a fixture module build (its RPM builds first) with
// per-arch modulemd whose artifacts list its RPMs.
func (f *kojiFixture) importModule(t testing.TB, m fixtureModule, arches []string) *koji.Build {
	t.Helper()
	ctx := context.Background()
	var comps []koji.CGComponent
	var files []string
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for k := range m.pkgs {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, r := range f.importRPMBuild(t, p, m.pkgs[p], m.release()) {
			comps = append(comps, koji.RPMComponent(r))
		}
		bin, src := buildRPM(t, f.rpms, p, m.pkgs[p], m.release())
		files = append(files, bin, src)
	}
	rpms, err := pungi.ReadRPMs(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	archMD := map[string]string{}
	archRPMs := map[string][]koji.CGComponent{}
	for _, a := range arches {
		docs, err := modulemd.Parse([]byte(m.modulemd(a)))
		if err != nil {
			t.Fatal(err)
		}
		st := docs[0].(*modulemd.Stream)
		pungi.FillArtifacts(st, rpms)
		idx := modulemd.NewIndex(nil)
		if err := idx.AddStream(st); err != nil {
			t.Fatal(err)
		}
		y, err := idx.Dump()
		if err != nil {
			t.Fatal(err)
		}
		archMD[a] = string(y)
		archRPMs[a] = comps
	}
	tag := fmt.Sprintf("module-%s-%s-%d-%s", m.name, m.stream, m.version, m.context)
	imp := &koji.ModuleImport{Name: m.name, Stream: m.stream, Version: m.version, Context: m.context, ModuleBuildServiceID: int64(f.n),
		ContentKojiTag: tag, SCMURL: "https://src.example.org/modules/" + m.name + "#" + m.stream, Owner: kojitest.AdminUser,
		Start: time.Unix(1767225600, 0), End: time.Unix(1767229200, 0), Modulemd: m.modulemd(arches[0]), ArchModulemd: archMD, ArchRPMs: archRPMs}
	f.n++
	b, err := f.client.ImportModuleBuild(ctx, imp, fmt.Sprintf("mbs/%s/%d", f.updir(), f.n), nil)
	if err != nil {
		t.Fatalf("import %s: %v", m.nsvc(), err)
	}
	if f.real {
		return b
	}
	nvr := imp.NVR()
	for name, data := range map[string]string{"modulemd.txt": imp.Modulemd} {
		archMD[strings.TrimSuffix(strings.TrimPrefix(name, "modulemd."), ".txt")] = data
	}
	for a, data := range archMD {
		fn := "modulemd." + a + ".txt"
		dst := filepath.Join(f.top, "packages", nvr.Name, nvr.Version, nvr.Release, "files", "module", fn)
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func (f *kojiFixture) tag(t testing.TB, tag string, b *koji.Build) {
	t.Helper()
	if f.pkgs == nil {
		f.pkgs = map[string]bool{}
	}
	if !f.pkgs[tag+"/"+b.Name] {
		f.pkgs[tag+"/"+b.Name] = true
		if err := f.client.AddPackage(context.Background(), koji.Name(tag), b.Name, &koji.AddPackageOptions{Owner: kojitest.AdminUser}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.client.TagBuildBypass(context.Background(), koji.Name(tag), koji.ID(b.ID), false); err != nil {
		t.Fatal(err)
	}
}

func (f *kojiFixture) lastEvent(t testing.TB) int64 {
	ev, err := f.client.GetLastEvent(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

// TestKojiSelection checks Pungi's selection rules against a koji hub.
func TestKojiSelection(t *testing.T) {
	t.Parallel()
	testenv_RequireRPM(t)
	ctx := context.Background()
	arch := hostArch()
	f := newKojiFixture(t)
	if _, err := f.client.CreateTag(ctx, "modular-base", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.CreateTag(ctx, "modular-updates", &koji.CreateTagOptions{Parent: "modular-base"}); err != nil {
		t.Fatal(err)
	}
	builds := map[string]*koji.Build{}
	for _, m := range fixtureModules[:5] { // the newer extra comes after the event
		builds[m.nsvc()] = f.importModule(t, m, []string{arch, "s390x"})
	}
	// hello:1 sits in the parent tag, everything else in modular-updates;
	// an older hello:2 build in the parent must lose to the child's.
	f.tag(t, "modular-base", builds["hello:1:20260101000000:c0000001"])
	for _, m := range fixtureModules[1:5] {
		f.tag(t, "modular-updates", builds[m.nsvc()])
	}
	old := fixtureModule{"hello", "2", 20260109000000, "ffff0000", map[string]string{"hello": "2.5"}}
	f.tag(t, "modular-base", f.importModule(t, old, []string{arch, "s390x"}))
	event := f.lastEvent(t)
	late := fixtureModules[5] // extra 1.1, newer version, after the event
	f.tag(t, "modular-updates", f.importModule(t, late, []string{arch, "s390x"}))

	src := &KojiSource{Client: f.client, TopURL: f.topURL, Event: event}
	cases := []struct {
		name string
		spec string
		want []string
	}{
		{"latest version every context", "tools:1", []string{"tools:1:20260103000000:aaaa0001", "tools:1:20260103000000:bbbb0002"}},
		{"pinned N:S:V", "hello:2:20260102000000", []string{"hello:2:20260102000000:c0000002"}},
		{"N:S:V:C", "tools:1:20260103000000:bbbb0002", []string{"tools:1:20260103000000:bbbb0002"}},
		{"builds after the event are ignored", "extra:1", []string{"extra:1:20260104000000:e0000001"}},
		{"latest of two versions", "hello:2", []string{"hello:2:20260109000000:ffff0000"}},
	}
	for _, c := range cases {
		spec, _, err := ParseModuleSpec(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		got, err := src.Find(ctx, spec)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if diff := cmp.Diff(c.want, nsvcs(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
	// Without the event the late build is the latest extra.
	now := &KojiSource{Client: f.client, TopURL: f.topURL}
	spec, _, _ := ParseModuleSpec("extra:1")
	if got, _ := now.Find(ctx, spec); !slices.Equal(nsvcs(got), []string{"extra:1:20260105000000:e0000001"}) {
		t.Errorf("unpinned extra:1 = %v", nsvcs(got))
	}
	// Tags: the topmost tag wins per name:stream, latest version, event.
	tagged, err := src.Tagged(ctx, "modular-updates")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"extra:1:20260104000000:e0000001", "hello:1:20260101000000:c0000001", "hello:2:20260102000000:c0000002",
		"tools:1:20260103000000:aaaa0001", "tools:1:20260103000000:bbbb0002"}
	if diff := cmp.Diff(want, nsvcs(latestContexts(tagged))); diff != "" {
		t.Errorf("from tags (-want +got):\n%s", diff)
	}

	// The same through a compose: * from the tag, a whitelist, and
	// filter_modules per arch.
	dir := t.TempDir()
	vx := `<variants>
  <variant id="Everything" name="Everything" type="variant">
    <arches><arch>` + arch + `</arch><arch>s390x</arch></arches>
    <modules><module>*</module><kojitag>modular-updates</kojitag></modules>
  </variant>
  <variant id="Hello" name="Hello" type="variant">
    <arches><arch>` + arch + `</arch></arches>
    <modules><module>hello:2</module><module>nosuch:1</module><kojitag>modular-updates</kojitag></modules>
  </variant>
</variants>`
	os.WriteFile(filepath.Join(dir, "variants.xml"), []byte(vx), 0o644)
	cfg := writeConfig(t, dir, fmt.Sprintf(`release: {name: Tagged, short: Tagged, version: "2"}
variants_file: variants.xml
koji: {url: %s, topurl: %s, event: %d}
filter_modules:
  - variant: ^Everything$
    modules: {s390x: ["tools"], "*": ["extra:*"]}
target_dir: out
`, f.url(), f.topURL, event))
	res, err := Run(ctx, cfg, &Options{Koji: f.client})
	if err != nil {
		t.Fatal(err)
	}
	if res.KojiEvent != event {
		t.Errorf("koji event %d, want %d", res.KojiEvent, event)
	}
	got := map[string][]string{"Everything." + arch: res.Modules["Everything"][arch], "Everything.s390x": res.Modules["Everything"]["s390x"],
		"Hello." + arch: res.Modules["Hello"][arch]}
	wantSel := map[string][]string{
		"Everything." + arch: {"hello:1:20260101000000:c0000001", "hello:2:20260102000000:c0000002", "tools:1:20260103000000:aaaa0001", "tools:1:20260103000000:bbbb0002"},
		"Everything.s390x":   {"hello:1:20260101000000:c0000001", "hello:2:20260102000000:c0000002"},
		"Hello." + arch:      {"hello:2:20260102000000:c0000002"},
	}
	if diff := cmp.Diff(wantSel, got); diff != "" {
		t.Errorf("compose selection (-want +got):\n%s", diff)
	}
	if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, "nosuch:1") }) {
		t.Errorf("no warning for a spec no tag has: %v", res.Warnings)
	}
	for _, rep := range productmdOracle(t, res.Dir) {
		if rep["verdict"] != "ok" {
			t.Errorf("productmd rejects %s: %v", rep["file"], rep["error"])
		}
	}
	b, _ := os.ReadFile(filepath.Join(res.Dir, "compose", "metadata", "modules.json"))
	if !strings.Contains(string(b), `"koji_tag": "module-hello-1-20260101000000-c0000001"`) {
		t.Errorf("modules.json lacks the content koji tag:\n%s", b)
	}
}

func nsvcs(bs []*Build) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.NSVC())
	}
	return out
}

// TestComposeFromKoji composes modules built in koji (three modules, two
// streams of one, two contexts of another, defaults and an obsolete) and
// checks the result with productmd and dnf.
func TestComposeFromKoji(t *testing.T) {
	t.Parallel()
	testenv_RequireRPM(t)
	ctx := context.Background()
	arch := hostArch()
	f := newKojiFixture(t)
	for _, m := range fixtureModules {
		f.importModule(t, m, []string{arch})
	}
	dir := t.TempDir()
	writeMetadataDirs(t, dir)
	os.WriteFile(filepath.Join(dir, "variants.xml"), []byte(strings.ReplaceAll(variantsXML, "%ARCH%", arch)), 0o644)
	cfg := writeConfig(t, dir, `release: {name: Koji Modules, short: KM, version: "3"}
compose_type: production
label: RC-1.0
final: true
variants_file: variants.xml
module_defaults_dir: defaults
module_obsoletes_dir: obsoletes
koji: {url: `+f.url()+`, topurl: `+f.topURL+`}
target_dir: out
`)
	res, err := Run(ctx, cfg, &Options{Koji: f.client})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.ID, "KM-3-") || strings.Count(res.ID, ".") != 1 || res.Compose.Label != "RC-1.0" {
		t.Errorf("production compose id %s", res.ID)
	}
	want := []string{"extra:1:20260105000000:e0000001", "hello:1:20260101000000:c0000001", "hello:2:20260102000000:c0000002",
		"tools:1:20260103000000:aaaa0001", "tools:1:20260103000000:bbbb0002"}
	if diff := cmp.Diff(want, res.Modules["Modular"][arch]); diff != "" {
		t.Errorf("selected (-want +got):\n%s", diff)
	}
	for _, rep := range productmdOracle(t, res.Dir) {
		if rep["verdict"] != "ok" {
			t.Errorf("productmd rejects %s: %v", rep["file"], rep["error"])
		}
	}
	osDir := filepath.Join(res.Dir, "compose", "Modular", arch, "os")
	out := dnfModuleCheck(t, osDir, "module list", "install hello", "rpm -q hello", "@fresh", "module install tools:1/default", "rpm -qa")
	for _, w := range []string{"hello-1.0-1.module+c0000001.noarch", "tools-1."} {
		if !strings.Contains(out, w) {
			t.Errorf("dnf output lacks %s:\n%s", w, out)
		}
	}
	_ = strconv.Itoa
}

// TestKojiReadsOnlySelectedBuilds checks that, as in Pungi, only the
// selected builds' metadata is read: an older version whose modulemd files
// are gone from the top directory does not stop a compose of the stream,
// from a tag or by N:S.
func TestKojiReadsOnlySelectedBuilds(t *testing.T) {
	t.Parallel()
	testenv_RequireRPM(t)
	ctx := context.Background()
	arch := hostArch()
	f := newKojiFixture(t)
	if _, err := f.client.CreateTag(ctx, "modular-only", nil); err != nil {
		t.Fatal(err)
	}
	old := fixtureModule{"lazy", "1", 20260101000000, "0a000001", map[string]string{"lazy": "1.0"}}
	cur := fixtureModule{"lazy", "1", 20260102000000, "0a000001", map[string]string{"lazy": "1.1"}}
	ob := f.importModule(t, old, []string{arch})
	f.tag(t, "modular-only", ob)
	f.tag(t, "modular-only", f.importModule(t, cur, []string{arch}))
	if err := os.RemoveAll(filepath.Join(f.top, "packages", ob.Name, ob.Version, ob.Release, "files")); err != nil {
		t.Fatal(err)
	}
	for i, mods := range []string{"<module>*</module><kojitag>modular-only</kojitag>", "<module>lazy:1</module>"} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "variants.xml"), []byte(`<variants><variant id="Lazy" name="Lazy" type="variant"><arches><arch>`+arch+
			`</arch></arches><modules>`+mods+`</modules></variant></variants>`), 0o644)
		cfg := writeConfig(t, dir, fmt.Sprintf("release: {name: Lazy, short: Lazy, version: \"%d\"}\nvariants_file: variants.xml\nkoji: {url: %s, topurl: %s}\ntarget_dir: out\n", i, f.url(), f.topURL))
		res, err := Run(ctx, cfg, &Options{Koji: f.client, NoLatestLink: true})
		if err != nil {
			t.Fatalf("%s: %v", mods, err)
		}
		if got := res.Modules["Lazy"][arch]; !slices.Equal(got, []string{cur.nsvc()}) {
			t.Errorf("%s: selected %v, want %s", mods, got, cur.nsvc())
		}
	}
}
