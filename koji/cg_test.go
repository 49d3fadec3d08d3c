package koji_test

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

func cgSetup(t *testing.T) (*kojitest.Hub, *koji.Client) {
	t.Helper()
	hub, c := setup(t, kojitest.WithBuilder(kojitest.AutoComplete))
	ctx := t.Context()
	check(t, c.AddBType(ctx, "module"))
	check(t, c.GrantCGAccess(ctx, koji.Name(kojitest.AdminUser), "module-build-service", true))
	// The module's component RPMs come from a normal build.
	must[int64](t)(c.CreateTag(ctx, "module-foo-1-20250101-abcd1234-build", &koji.CreateTagOptions{Arches: []string{"x86_64"}}))
	must[int64](t)(c.CreateTag(ctx, "module-foo-1-20250101-abcd1234", nil))
	check(t, c.CreateTarget(ctx, "module-foo-1-20250101-abcd1234", koji.Name("module-foo-1-20250101-abcd1234-build"), koji.Name("module-foo-1-20250101-abcd1234")))
	check(t, c.AddPackage(ctx, koji.Name("module-foo-1-20250101-abcd1234"), "foo", &koji.AddPackageOptions{Owner: kojitest.AdminUser}))
	id := must[int64](t)(c.Build(ctx, "git+https://src.example.org/rpms/foo.git#1", "module-foo-1-20250101-abcd1234", nil))
	must[*koji.Task](t)(c.WaitTask(ctx, id, nil))
	return hub, c
}

func moduleImport(t *testing.T, c *koji.Client) *koji.ModuleImport {
	rpms := must[[]koji.RPM](t)(c.ListRPMs(t.Context(), nil))
	var comps, all []koji.CGComponent
	for _, r := range rpms {
		if r.Arch == "x86_64" {
			comps = append(comps, koji.RPMComponent(r))
		}
		all = append(all, koji.RPMComponent(r))
	}
	return &koji.ModuleImport{
		Name: "foo", Stream: "1", Version: 20250101, Context: "abcd1234",
		ModuleBuildServiceID: 7, ContentKojiTag: "module-foo-1-20250101-abcd1234",
		SCMURL: "https://src.example.org/modules/foo.git?#0123", Owner: kojitest.AdminUser,
		Start: time.Unix(1735689600, 0), End: time.Unix(1735693200, 0),
		Modulemd:       "---\ndocument: modulemd\nversion: 2\ndata:\n  name: foo\n",
		ArchModulemd:   map[string]string{"x86_64": "---\ndocument: modulemd\nversion: 2\ndata:\n  name: foo\n  arch: x86_64\n"},
		ArchRPMs:       map[string][]koji.CGComponent{"x86_64": comps},
		RPMs:           all,
		SourceModulemd: "---\ndocument: modulemd\nversion: 2\ndata:\n  name: foo\n  stream: 1\n",
		BuildLog:       "built\n", CGVersion: "3.9.2", HostOS: "Fedora 42",
		Tools: []koji.CGTool{{Name: "libmodulemd", Version: "2.15.0"}},
	}
}

func TestModuleImport(t *testing.T) {
	t.Parallel()
	hub, c := cgSetup(t)
	ctx := t.Context()
	m := moduleImport(t, c)
	if got := m.NVR().String(); got != "foo-1-20250101.abcd1234" {
		t.Errorf("NVR = %q", got)
	}
	res := must[*koji.CGReservation](t)(c.CGInitBuild(ctx, "module-build-service", m.NVR()))
	reserved := must[*koji.Build](t)(c.GetBuild(ctx, koji.ID(res.BuildID)))
	if reserved.State != koji.BuildBuilding {
		t.Errorf("reserved build state = %v", reserved.State)
	}
	dir := "mbs/1735693200.7"
	b := must[*koji.Build](t)(c.ImportModuleBuild(ctx, m, dir, res))
	if b.ID != res.BuildID || b.State != koji.BuildComplete || b.CGName != "module-build-service" {
		t.Errorf("imported build = %+v", b)
	}
	info := must[*koji.Build](t)(c.GetBuild(ctx, koji.Name("foo-1-20250101.abcd1234"))).ModuleInfo()
	want := &koji.ModuleTypeInfo{ModuleBuildServiceID: 7, ContentKojiTag: "module-foo-1-20250101-abcd1234",
		ModulemdStr: m.Modulemd, Name: "foo", Stream: "1", Version: "20250101", Context: "abcd1234"}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("ModuleInfo (-want +got):\n%s", diff)
	}
	archives := must[[]koji.Archive](t)(c.ListArchives(ctx, &koji.ListArchivesOptions{BuildID: b.ID, Type: "module"}))
	var names []string
	var archID int64
	for _, a := range archives {
		names = append(names, a.Filename)
		if a.Filename == "modulemd.x86_64.txt" {
			archID = a.ID
		}
		if a.BType != "module" || a.TypeName != "txt" || a.ChecksumType != 0 {
			t.Errorf("archive %+v", a)
		}
	}
	slices.Sort(names)
	if diff := cmp.Diff([]string{"modulemd.src.txt", "modulemd.txt", "modulemd.x86_64.txt"}, names); diff != "" {
		t.Errorf("archives (-want +got):\n%s", diff)
	}
	comps := must[[]koji.RPM](t)(c.ListRPMs(ctx, &koji.ListRPMsOptions{ImageID: archID}))
	if len(comps) != 1 || comps[0].NEVRA() != "foo-1.0-1.x86_64" {
		t.Errorf("module components = %+v", comps)
	}
	// As MBS does: modulemd.txt and modulemd.src.txt carry every RPM of
	// the module, the source RPM included.
	for _, a := range archives {
		if a.Filename == "modulemd.x86_64.txt" {
			continue
		}
		var got []string
		for _, r := range must[[]koji.RPM](t)(c.ListRPMs(ctx, &koji.ListRPMsOptions{ImageID: a.ID})) {
			got = append(got, r.NEVRA())
		}
		slices.Sort(got)
		if diff := cmp.Diff([]string{"foo-1.0-1.src", "foo-1.0-1.x86_64"}, got); diff != "" {
			t.Errorf("%s components (-want +got):\n%s", a.Filename, diff)
		}
	}
	if data, ok := hub.Uploaded(dir, "modulemd.txt"); !ok || string(data) != m.Modulemd {
		t.Errorf("uploaded modulemd.txt = %q, %v", data, ok)
	}
	mod := "module"
	if got := must[[]koji.Build](t)(c.ListBuilds(ctx, &koji.ListBuildsOptions{Type: mod, TypeInfo: map[string]any{"name": "foo"}})); len(got) != 1 {
		t.Errorf("ListBuilds(type=module) = %v", nvrs(got))
	}

	// Importing the same NVR again fails; a reservation can be refunded.
	if _, err := c.ImportModuleBuild(ctx, m, dir, nil); !errors.Is(err, koji.ErrGeneric) || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second import = %v", err)
	}
	m2 := moduleImport(t, c)
	m2.Context = "ffff0000"
	res2 := must[*koji.CGReservation](t)(c.CGInitBuild(ctx, "module-build-service", m2.NVR()))
	check(t, c.CGRefundBuild(ctx, "module-build-service", res2.BuildID, res2.Token, koji.BuildFailed))
	if b := must[*koji.Build](t)(c.GetBuild(ctx, koji.ID(res2.BuildID))); b.State != koji.BuildFailed {
		t.Errorf("refunded build state = %v", b.State)
	}
	if err := c.CGRefundBuild(ctx, "module-build-service", res2.BuildID, "bad", koji.BuildFailed); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("refund with bad token = %v", err)
	}
	// The refunded NVR can be imported again.
	must[*koji.Build](t)(c.ImportModuleBuild(ctx, m2, "mbs/2", nil))
}

func TestCGImportChecks(t *testing.T) {
	t.Parallel()
	_, c := cgSetup(t)
	ctx := t.Context()
	m := moduleImport(t, c)
	md, files := m.Metadata(0)
	for name, data := range files {
		must[*koji.UploadResult](t)(c.Upload(ctx, strings.NewReader(string(data)), "d", name, nil))
	}
	// Corrupt one checksum.
	md.Output[0].Filesize++
	if _, err := c.CGImport(ctx, md, "d", nil); err == nil || !strings.Contains(err.Error(), "Corrupted upload") {
		t.Errorf("size mismatch = %v", err)
	}
	md.Output[0].Filesize--
	md.Build.Extra = map[string]any{"typeinfo": map[string]any{"nosuchtype": map[string]any{}}}
	if _, err := c.CGImport(ctx, md, "d", nil); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("unknown btype = %v", err)
	}
	hub2 := kojitest.New(t)
	anon := newClient(t, hub2, nil)
	if _, err := anon.CGInitBuild(ctx, "module-build-service", m.NVR()); !errors.Is(err, koji.ErrActionNotAllowed) {
		t.Errorf("anonymous CGInitBuild = %v", err)
	}
}

func TestUpload(t *testing.T) {
	t.Parallel()
	hub, c := setup(t)
	ctx := t.Context()
	data := strings.Repeat("0123456789", 1000) + "tail"
	res := must[*koji.UploadResult](t)(c.Upload(ctx, strings.NewReader(data), "work/x", "f.bin", &koji.UploadOptions{ChunkSize: 4096}))
	if res.Size != int64(len(data)) || res.Path != "work/x/f.bin" || len(res.Adler32) != 8 {
		t.Errorf("Upload = %+v", res)
	}
	if got, _ := hub.Uploaded("work/x", "f.bin"); string(got) != data {
		t.Errorf("hub has %d bytes, want %d", len(got), len(data))
	}
	var chunks int
	for _, call := range hub.Calls() {
		if call.Method == "upload" {
			chunks++
		}
	}
	if chunks != 3 {
		t.Errorf("chunks = %d, want 3", chunks)
	}
	// Without overwrite an existing file is refused.
	if _, err := c.Upload(ctx, strings.NewReader("x"), "work/x", "f.bin", nil); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("upload over existing file = %v", err)
	}
	must[*koji.UploadResult](t)(c.Upload(ctx, strings.NewReader("x"), "work/x", "f.bin", &koji.UploadOptions{Overwrite: true}))
	if got, _ := hub.Uploaded("work/x", "f.bin"); string(got) != "x" {
		t.Errorf("after overwrite: %q", got)
	}
	// Empty files still get created.
	must[*koji.UploadResult](t)(c.Upload(ctx, strings.NewReader(""), "work/x", "empty", nil))
	if _, ok := hub.Uploaded("work/x", "empty"); !ok {
		t.Error("empty file not created")
	}
	if _, err := newClient(t, hub, nil).Upload(ctx, strings.NewReader("x"), "d", "n", nil); !errors.Is(err, koji.ErrNotLoggedIn) {
		t.Errorf("anonymous upload = %v", err)
	}
}

func TestUploadRetry(t *testing.T) {
	t.Parallel()
	fl := &flaky{match: "offset=4096"}
	hub, c := setup(t, kojitest.WithMiddleware(fl.wrap))
	fl.mu.Lock()
	fl.n = 1
	fl.mu.Unlock()
	data := strings.Repeat("a", 5000)
	must[*koji.UploadResult](t)(c.Upload(t.Context(), strings.NewReader(data), "d", "f", &koji.UploadOptions{ChunkSize: 4096}))
	if got, _ := hub.Uploaded("d", "f"); string(got) != data {
		t.Errorf("hub has %d bytes after a retried chunk", len(got))
	}
}

// TestCGImportExtraRequired: the hub requires build.extra (a missing or nil
// one is a Python exception, fault 1); CGImport sends {} for a nil Extra.
func TestCGImportExtraRequired(t *testing.T) {
	t.Parallel()
	_, c := cgSetup(t)
	ctx := t.Context()
	log := []byte("log\n")
	must[*koji.UploadResult](t)(c.Upload(ctx, strings.NewReader(string(log)), "plain", "build.log", nil))
	md := &koji.CGMetadata{
		Build: koji.CGBuild{Name: "plain", Version: "1", Release: "1", Source: "none", StartTime: 1735689600, EndTime: 1735693200},
		Buildroots: []koji.CGBuildroot{{ID: 1, Host: koji.CGHost{OS: "Linux", Arch: "x86_64"},
			ContentGenerator: koji.CGTool{Name: "module-build-service", Version: "1"},
			Container:        koji.CGContainer{Type: "none", Arch: "x86_64"}, Tools: []koji.CGTool{}, Components: []koji.CGComponent{}}},
		Output: []koji.CGOutput{{BuildrootID: 1, Filename: "build.log", Filesize: int64(len(log)), Arch: "noarch",
			Checksum: md5hex(log), ChecksumType: "md5", Type: "log"}},
	}
	b := must[*koji.Build](t)(c.CGImport(ctx, md, "plain", nil))
	if b.NVR != "plain-1-1" || b.State != koji.BuildComplete {
		t.Errorf("imported %+v", b)
	}
	// What the hub does with metadata that has no extra, or a nil one.
	raw := func(extra any, with bool) map[string]any {
		bd := map[string]any{"name": "plain", "version": "1", "release": "2", "source": "none",
			"start_time": 1735689600, "end_time": 1735693200}
		if with {
			bd["extra"] = extra
		}
		return map[string]any{"metadata_version": 0, "build": bd, "buildroots": md.Buildroots, "output": md.Output}
	}
	for _, tt := range []struct {
		name string
		md   map[string]any
	}{{"missing", raw(nil, false)}, {"nil", raw(nil, true)}} {
		err := c.Call(ctx, "CGImport", nil, tt.md, "plain")
		var f *koji.Fault
		if !errors.As(err, &f) || f.Code != 1 {
			t.Errorf("%s build.extra: %v, want fault 1", tt.name, err)
		}
	}
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// TestModuleMetadata checks the CG metadata against MBS's format: per-arch
// files first, then modulemd.txt (noarch) and modulemd.src.txt (src), both
// with every RPM of the module, then the log.
func TestModuleMetadata(t *testing.T) {
	t.Parallel()
	one := 1
	x86 := koji.CGComponent{Type: "rpm", Name: "foo", Version: "1", Release: "1", Arch: "x86_64", SigMD5: "a"}
	arm := koji.CGComponent{Type: "rpm", Name: "foo", Version: "1", Release: "1", Arch: "aarch64", SigMD5: "b"}
	noarch := koji.CGComponent{Type: "rpm", Name: "foo-doc", Epoch: &one, Version: "1", Release: "1", Arch: "noarch", SigMD5: "c"}
	m := &koji.ModuleImport{Name: "foo", Stream: "1-2", Version: 3, Context: "c", Modulemd: "m", SourceModulemd: "s",
		ArchModulemd: map[string]string{"x86_64": "x", "aarch64": "a"},
		ArchRPMs:     map[string][]koji.CGComponent{"x86_64": {x86, noarch}, "aarch64": {arm, noarch}},
		BuildLog:     "l"}
	md, files := m.Metadata(0)
	type out struct {
		File, Arch, Type string
		Comps            int
	}
	var got []out
	for _, o := range md.Output {
		got = append(got, out{o.Filename, o.Arch, o.Type, len(o.Components)})
		if _, ok := files[o.Filename]; !ok {
			t.Errorf("%s has no content", o.Filename)
		}
	}
	want := []out{{"modulemd.aarch64.txt", "aarch64", "file", 2}, {"modulemd.x86_64.txt", "x86_64", "file", 2},
		{"modulemd.txt", "noarch", "file", 3}, {"modulemd.src.txt", "src", "file", 3}, {"build.log", "noarch", "log", 0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	if md.Build.Version != "1_2" || md.Build.Release != "3.c" || md.Build.Extra == nil {
		t.Errorf("build = %+v", md.Build)
	}
	m.RPMs = []koji.CGComponent{x86}
	md, _ = m.Metadata(0)
	for _, o := range md.Output {
		if (o.Filename == "modulemd.txt" || o.Filename == "modulemd.src.txt") && len(o.Components) != 1 {
			t.Errorf("%s: %d components with RPMs set, want 1", o.Filename, len(o.Components))
		}
	}
}
