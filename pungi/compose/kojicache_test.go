package compose

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/koji"
)

// TestKojiCache composes the same tag three times with one koji cache:
// the first compose fills it, a damaged record is read from the hub again
// and rewritten, and once every record is good a compose asks the hub only
// what the tag holds and no longer needs the modulemd files of the top
// URL. Every compose selects and writes the same modules.
func TestKojiCache(t *testing.T) {
	t.Parallel()
	testenv_RequireRPM(t)
	ctx := context.Background()
	arch := hostArch()
	f := newKojiFixture(t)
	if _, err := f.client.CreateTag(ctx, "cached-modular", nil); err != nil {
		t.Fatal(err)
	}
	var built []*koji.Build
	for _, m := range fixtureModules {
		b := f.importModule(t, m, []string{arch})
		f.tag(t, "cached-modular", b)
		built = append(built, b)
	}
	cacheDir := t.TempDir()
	compose := func(name string) (*Result, []string) {
		t.Helper()
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "variants.xml"), []byte(`<variants><variant id="Cached" name="Cached" type="variant"><arches><arch>`+arch+
			`</arch></arches><modules><module>*</module><kojitag>cached-modular</kojitag></modules></variant></variants>`), 0o644)
		cfg := writeConfig(t, dir, fmt.Sprintf("release: {name: Cached, short: Cached, version: \"1\"}\nvariants_file: variants.xml\nkoji: {url: %s, topurl: %s, cache_dir: %s}\ntarget_dir: out\n",
			f.url(), f.topURL, cacheDir))
		before := len(f.hub.Calls())
		res, err := Run(ctx, cfg, &Options{Koji: f.client, NoLatestLink: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var methods []string
		for _, c := range f.hub.Calls()[before:] {
			methods = append(methods, c.Method)
		}
		return res, methods
	}
	modulesYAML := func(res *Result) string {
		t.Helper()
		files, _ := filepath.Glob(filepath.Join(res.Dir, "compose", "Cached", arch, "os", "repodata", "*-modules.yaml*"))
		if len(files) != 1 {
			t.Fatalf("modules.yaml in %s: %v", res.Dir, files)
		}
		data, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		return hex.EncodeToString(sum[:])
	}
	want := []string{"extra:1:20260105000000:e0000001", "hello:1:20260101000000:c0000001", "hello:2:20260102000000:c0000002",
		"tools:1:20260103000000:aaaa0001", "tools:1:20260103000000:bbbb0002"}

	first, _ := compose("first")
	if diff := cmp.Diff(want, first.Modules["Cached"][arch]); diff != "" {
		t.Fatalf("first compose selected (-want +got):\n%s", diff)
	}
	recs, _ := filepath.Glob(filepath.Join(cacheDir, "v1", "*", "module-*.json"))
	// The selected builds are stored whole, the older extra build (listed,
	// not read) with its build info only.
	if len(recs) != len(fixtureModules) {
		t.Fatalf("cache holds %d records, want %d: %v", len(recs), len(fixtureModules), recs)
	}
	whole, damaged := 0, ""
	for _, p := range recs {
		data, _ := os.ReadFile(p)
		rec, err := decodeCacheRecord(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if rec.Archives {
			whole++
			damaged = p
		}
	}
	if whole != len(want) {
		t.Errorf("%d whole records, want %d", whole, len(want))
	}

	// A damaged record (a changed byte) is a miss: read again and rewritten.
	data, _ := os.ReadFile(damaged)
	os.WriteFile(damaged, bytes.Replace(data, []byte(`"arches"`), []byte(`"arches "`), 1), 0o644)
	second, methods := compose("damaged record")
	if !slices.Contains(methods, "multiCall") {
		t.Errorf("a damaged record was not read from the hub again: calls %v", methods)
	}
	if _, err := os.ReadFile(damaged); err != nil {
		t.Fatal(err)
	} else if data2, _ := os.ReadFile(damaged); !bytes.Equal(data, data2) {
		t.Errorf("the damaged record was not rewritten as it was")
	}

	// Everything from the cache: the hub is asked only what the tag holds,
	// and the modulemd files of the top URL are not read.
	for _, b := range built {
		os.RemoveAll(filepath.Join(f.top, "packages", b.Name, b.Version, b.Release, "files"))
	}
	third, methods := compose("cached")
	if diff := cmp.Diff([]string{"getLastEvent", "listTagged", "getFullInheritance"}, methods); diff != "" {
		t.Errorf("hub calls of a cached compose (-want +got):\n%s", diff)
	}
	for _, res := range []*Result{second, third} {
		if diff := cmp.Diff(first.Modules, res.Modules); diff != "" {
			t.Errorf("selection differs from the first compose (-first +now):\n%s", diff)
		}
		if modulesYAML(res) != modulesYAML(first) {
			t.Errorf("modules.yaml of %s differs from the first compose's", res.Dir)
		}
	}
	for _, rep := range productmdOracle(t, third.Dir) {
		if rep["verdict"] != "ok" {
			t.Errorf("productmd rejects %s: %v", rep["file"], rep["error"])
		}
	}
}

// TestKojiCacheConcurrent runs two composes at once on one empty cache:
// both succeed and every record left is whole.
func TestKojiCacheConcurrent(t *testing.T) {
	t.Parallel()
	testenv_RequireRPM(t)
	ctx := context.Background()
	arch := hostArch()
	f := newKojiFixture(t)
	if _, err := f.client.CreateTag(ctx, "shared-cache", nil); err != nil {
		t.Fatal(err)
	}
	for _, m := range fixtureModules[:3] {
		f.tag(t, "shared-cache", f.importModule(t, m, []string{arch}))
	}
	cacheDir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "variants.xml"), []byte(`<variants><variant id="S" name="S" type="variant"><arches><arch>`+arch+
			`</arch></arches><modules><module>*</module><kojitag>shared-cache</kojitag></modules></variant></variants>`), 0o644)
		cfg := writeConfig(t, dir, fmt.Sprintf("release: {name: S, short: S, version: \"%d\"}\nvariants_file: variants.xml\nkoji: {url: %s, topurl: %s}\ntarget_dir: out\n", i, f.url(), f.topURL))
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _ := koji.NewClient(f.url())
			_, errs[i] = Run(ctx, cfg, &Options{Koji: c, NoLatestLink: true, KojiCache: cacheDir})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	recs, _ := filepath.Glob(filepath.Join(cacheDir, "v1", "*", "*"))
	if len(recs) != 3 {
		t.Errorf("cache holds %v, want 3 records and no temporary files", recs)
	}
	for _, p := range recs {
		data, _ := os.ReadFile(p)
		if _, err := decodeCacheRecord(data); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestDecodeCacheRecord(t *testing.T) {
	t.Parallel()
	body := `{"format":1,"build":{"ID":7,"State":1,"Extra":{"typeinfo":{"module":{"name":"m","stream":"s","version":"1","context":"c"}}}}}`
	sum := sha256.Sum256([]byte(body))
	good := hex.EncodeToString(sum[:]) + "\n" + body
	if rec, err := decodeCacheRecord([]byte(good)); err != nil || rec.Build.ID != 7 || rec.Build.ModuleInfo().Name != "m" {
		t.Fatalf("good record: %+v, %v", rec, err)
	}
	other := strings.Replace(body, `"State":1`, `"State":2`, 1)
	sum2 := sha256.Sum256([]byte(other))
	for name, data := range map[string]string{
		"empty":          "",
		"no checksum":    body,
		"wrong checksum": strings.Repeat("0", 64) + "\n" + body,
		"truncated":      good[:len(good)-3],
		"not complete":   hex.EncodeToString(sum2[:]) + "\n" + other,
	} {
		if _, err := decodeCacheRecord([]byte(data)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzDecodeCacheRecord(f *testing.F) {
	body := `{"format":1,"build":{"ID":7,"State":1,"Extra":{"typeinfo":{"module":{"name":"m"}}}},"arches":[{"arch":"x86_64","modulemd":"---\n"}]}`
	sum := sha256.Sum256([]byte(body))
	f.Add([]byte(hex.EncodeToString(sum[:]) + "\n" + body))
	f.Add([]byte("x\n{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := decodeCacheRecord(data)
		if err == nil && (rec.Format != kojiCacheFormat || rec.Build.ModuleInfo() == nil) {
			t.Fatalf("accepted a record that is not one: %+v", rec)
		}
	})
}

// TestKojiFileTopURLLinks composes from a top URL on the local file
// system (a mounted koji volume): the packages are links to the volume's
// files, as Pungi links them, and the compose is the same as over HTTP.
func TestKojiFileTopURLLinks(t *testing.T) {
	t.Parallel()
	testenv_RequireRPM(t)
	ctx := context.Background()
	arch := hostArch()
	f := newKojiFixture(t)
	if _, err := f.client.CreateTag(ctx, "volume", nil); err != nil {
		t.Fatal(err)
	}
	f.tag(t, "volume", f.importModule(t, fixtureModules[0], []string{arch}))
	var results []*Result
	for i, top := range []string{f.topURL, "file://" + f.top} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "variants.xml"), []byte(`<variants><variant id="V" name="V" type="variant"><arches><arch>`+arch+
			`</arch></arches><modules><module>*</module><kojitag>volume</kojitag></modules></variant></variants>`), 0o644)
		cfg := writeConfig(t, dir, fmt.Sprintf("release: {name: V, short: V, version: \"%d\"}\nvariants_file: variants.xml\nkoji: {url: %s, topurl: %s}\ntarget_dir: out\n", i, f.url(), top))
		res, err := Run(ctx, cfg, &Options{Koji: f.client, NoLatestLink: true})
		if err != nil {
			t.Fatalf("topurl %s: %v", top, err)
		}
		results = append(results, res)
	}
	if diff := cmp.Diff(results[0].Modules, results[1].Modules); diff != "" {
		t.Errorf("http and file top URLs select differently:\n%s", diff)
	}
	pkgs, _ := filepath.Glob(filepath.Join(results[1].Dir, "compose", "V", arch, "os", "Packages", "*", "*.rpm"))
	if len(pkgs) == 0 {
		t.Fatal("no packages in the compose")
	}
	for _, p := range pkgs {
		src, _ := filepath.Glob(filepath.Join(f.top, "packages", "*", "*", "*", "*", filepath.Base(p)))
		if len(src) != 1 {
			t.Fatalf("%s: not found once in the top directory: %v", filepath.Base(p), src)
		}
		a, err1 := os.Stat(p)
		b, err2 := os.Stat(src[0])
		if err1 != nil || err2 != nil || !os.SameFile(a, b) {
			t.Errorf("%s is not a link to %s", p, src[0])
		}
	}
}
