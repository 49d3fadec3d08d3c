package compose

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/pungi"
)

// benchFixture imports n module builds, each with one package of its own
// (all subpackages of one RPM build), for three arches, into a kojitest
// hub, tagged into "bench-modular".
func benchFixture(b *testing.B, n int, arches []string) *kojiFixture {
	b.Helper()
	testenv.RequireTools(b, "rpmbuild", "createrepo_c", "modifyrepo_c")
	ctx := context.Background()
	var f *kojiFixture
	sfx := ""
	if os.Getenv("MODKIT_BENCH_REAL") == "1" {
		f, sfx = realKojiFixture(b)
	} else {
		f = childKojiFixture(b)
	}
	// One spec, n noarch subpackages.
	var spec strings.Builder
	spec.WriteString("Name: bench" + sfx + "\nVersion: 1.0\nRelease: 1\nSummary: bench\nLicense: MIT\nBuildArch: noarch\n%description\nbench\n")
	for i := range n {
		fmt.Fprintf(&spec, "%%package -n pkg%s%03d\nSummary: p\n%%description -n pkg%s%03d\np\n%%files -n pkg%s%03d\n/usr/share/bench/%03d\n", sfx, i, sfx, i, sfx, i, i)
	}
	spec.WriteString("%install\nmkdir -p %{buildroot}/usr/share/bench\n")
	for i := range n {
		fmt.Fprintf(&spec, "echo %d > %%{buildroot}/usr/share/bench/%03d\n", i, i)
	}
	sp := filepath.Join(f.rpms, "bench.spec")
	os.WriteFile(sp, []byte(spec.String()), 0o644)
	top := filepath.Join(f.rpms, "top")
	if out, err := exec.Command("rpmbuild", "-ba", "--quiet", "--define", "_topdir "+top, "--define", "_build_id_links none", sp).CombinedOutput(); err != nil {
		b.Fatalf("rpmbuild: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(top, "RPMS", "noarch", "*.rpm"))
	src := filepath.Join(top, "SRPMS", "bench"+sfx+"-1.0-1.src.rpm")
	files = append(files, src)
	// Import the RPM build.
	md := &koji.CGMetadata{
		Build:      koji.CGBuild{Name: "bench" + sfx, Version: "1.0", Release: "1", Source: "git+https://src.example.org/bench", StartTime: 1, EndTime: 2, Extra: map[string]any{"modkit_fixture": true}},
		Buildroots: []koji.CGBuildroot{{ID: 1, Host: koji.CGHost{OS: "Test", Arch: "x86_64"}, ContentGenerator: koji.CGTool{Name: "module-build-service", Version: "1"}, Container: koji.CGContainer{Type: "none", Arch: "x86_64"}, Tools: []koji.CGTool{}, Components: []koji.CGComponent{}}},
	}
	for _, p := range files {
		data, _ := os.ReadFile(p)
		arch := "noarch"
		if strings.HasSuffix(p, ".src.rpm") {
			arch = "src"
		}
		if _, err := f.client.Upload(ctx, bytes.NewReader(data), "cg/"+f.updir()+"/bench", filepath.Base(p), &koji.UploadOptions{Overwrite: true}); err != nil {
			b.Fatal(err)
		}
		md.Output = append(md.Output, koji.CGOutput{BuildrootID: 1, Filename: filepath.Base(p), Filesize: int64(len(data)), Arch: arch,
			Checksum: md5hex(data), ChecksumType: "md5", Type: "rpm"})
		if !f.real {
			linkOrCopy(p, filepath.Join(f.top, "packages", "bench", "1.0", "1", arch, filepath.Base(p)))
		}
	}
	rb, err := f.client.CGImport(ctx, md, "cg/"+f.updir()+"/bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	krpms, _ := f.client.ListRPMs(ctx, &koji.ListRPMsOptions{BuildID: rb.ID})
	byName := map[string]koji.RPM{}
	for _, r := range krpms {
		byName[r.Name+"."+r.Arch] = r
	}
	local, err := pungi.ReadRPMs(ctx, files)
	if err != nil {
		b.Fatal(err)
	}
	localBy := map[string]pungi.RPM{}
	for _, r := range local {
		localBy[r.Name+"."+r.Arch] = r
	}
	if _, err := f.client.CreateTag(ctx, "bench-modular"+sfx, nil); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		name := fmt.Sprintf("pkg%s%03d", sfx, i)
		m := fixtureModule{name: "mod" + name, stream: "1", version: 20260101000000 + uint64(i), context: "cafe0001", pkgs: map[string]string{name: "1.0"}}
		comps := []koji.CGComponent{koji.RPMComponent(byName[name+".noarch"]), koji.RPMComponent(byName["bench"+sfx+".src"])}
		archMD := map[string]string{}
		archRPMs := map[string][]koji.CGComponent{}
		for _, a := range arches {
			docs, err := modulemd.Parse([]byte(m.modulemd(a)))
			if err != nil {
				b.Fatal(err)
			}
			st := docs[0].(*modulemd.Stream)
			pungi.FillArtifacts(st, []pungi.RPM{localBy[name+".noarch"], localBy["bench"+sfx+".src"]})
			idx := modulemd.NewIndex(nil)
			idx.AddStream(st)
			y, _ := idx.Dump()
			archMD[a], archRPMs[a] = string(y), comps
		}
		imp := &koji.ModuleImport{Name: m.name, Stream: m.stream, Version: m.version, Context: m.context, ModuleBuildServiceID: int64(i + 1),
			ContentKojiTag: "module-" + m.name, Owner: kojitest.AdminUser, Start: time.Unix(1767225600, 0), End: time.Unix(1767229200, 0),
			Modulemd: archMD[arches[0]], ArchModulemd: archMD, ArchRPMs: archRPMs}
		mb, err := f.client.ImportModuleBuild(ctx, imp, "mbs/"+f.updir()+"/"+strconv.Itoa(i), nil)
		if err != nil {
			b.Fatal(err)
		}
		f.tag(b, "bench-modular"+sfx, mb)
		if f.real {
			continue
		}
		nvr := imp.NVR()
		for a, y := range archMD {
			p := filepath.Join(f.top, "packages", nvr.Name, nvr.Version, nvr.Release, "files", "module", "modulemd."+a+".txt")
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(y), 0o644)
		}
		os.WriteFile(filepath.Join(f.top, "packages", nvr.Name, nvr.Version, nvr.Release, "files", "module", "modulemd.txt"), []byte(archMD[arches[0]]), 0o644)
	}
	f.benchTag = "bench-modular" + sfx
	return f
}

// realKojiFixture uses the koji hub of KOJI_HUB_URL (names get a random
// suffix: the hub is shared).
func realKojiFixture(tb testing.TB) (*kojiFixture, string) {
	hubURL, topdir := os.Getenv("KOJI_HUB_URL"), os.Getenv("KOJI_TOPDIR")
	if hubURL == "" || topdir == "" {
		testenv.SkipOrFatal(tb, "KOJI_HUB_URL/KOJI_TOPDIR not set")
	}
	c, err := koji.NewClient(hubURL, koji.WithAuth(koji.PasswordAuth{User: os.Getenv("KOJI_ADMIN"), Password: os.Getenv("KOJI_ADMIN_PASSWORD")}))
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Login(context.Background()); err != nil {
		tb.Fatal(err)
	}
	_ = c.GrantCGAccess(context.Background(), koji.Name(os.Getenv("KOJI_ADMIN")), "module-build-service", true)
	srv := httptest.NewServer(http.FileServer(http.Dir(topdir)))
	tb.Cleanup(srv.Close)
	return &kojiFixture{client: c, top: topdir, topURL: srv.URL, rpms: tb.TempDir(), real: true, hubURL: hubURL}, fmt.Sprintf("x%d", time.Now().UnixNano()%1000000)
}

// hubChildEnv names the directory a hub child process serves as its top
// URL (TestMain turns the test binary into that process).
const hubChildEnv = "MODKIT_COMPOSE_BENCH_HUB_TOP"

// serveHubChild is the benchmark's hub process: a kojitest hub and a file
// server for top, their URLs on stdout, until stdin closes. Running them
// outside the benchmark's process keeps their CPU time out of modkit's.
func serveHubChild(top string) {
	hub := kojitest.NewServer(kojitest.WithTopDir(top))
	files := httptest.NewServer(http.FileServer(http.Dir(top)))
	fmt.Println(hub.URL(), files.URL)
	io.Copy(io.Discard, os.Stdin)
	files.Close()
	hub.Close()
}

// childKojiFixture starts a kojitest hub and the top URL's file server in
// a child process.
func childKojiFixture(b *testing.B) *kojiFixture {
	b.Helper()
	top := b.TempDir()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), hubChildEnv+"="+top)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	urls := strings.Fields(line)
	if err != nil || len(urls) != 2 {
		b.Fatalf("hub process: %q, %v", line, err)
	}
	f := setupKojiFixture(b, urls[0], top, urls[1])
	f.hubPID = cmd.Process.Pid
	return f
}

// procCPU is the CPU time (user + system) process pid has used so far,
// from /proc (0 where unknown).
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}

// BenchmarkCompose200x3 composes 200 module builds for three arches from
// a koji hub (kojitest, in a child process, so that its CPU time is not
// counted as modkit's) and reports where the time went: the wall time, the
// CPU time of modkit (this process during the compose), of createrepo_c and
// modifyrepo_c (their runs' rusage) and of the hub (its process, /proc);
// %modkit is modkit's CPU time as a share of the wall time, %modkit-cpu
// its share of all the CPU time spent. MODKIT_BENCH_BUILDS changes the
// number of builds; MODKIT_BENCH_CPUPROFILE=FILE writes a CPU profile of
// the composes only (not of the fixture). MODKIT_BENCH_KOJI_CACHE=1
// measures repeated composes with a koji cache (filled by one compose
// before the timer starts); without it every compose starts cold.
// MODKIT_BENCH_TOPURL=file reads the hub's files from its top directory
// (file://, as from a mounted koji volume) instead of over HTTP.
func BenchmarkCompose200x3(b *testing.B) {
	n := 200
	if s := os.Getenv("MODKIT_BENCH_BUILDS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	arches := []string{"x86_64", "aarch64", "s390x"}
	f := benchFixture(b, n, arches)
	dir := b.TempDir()
	os.WriteFile(filepath.Join(dir, "variants.xml"), []byte(`<variants><variant id="Bench" name="Bench" type="variant"><arches><arch>x86_64</arch><arch>aarch64</arch><arch>s390x</arch></arches><modules><module>*</module><kojitag>`+f.benchTag+`</kojitag></modules></variant></variants>`), 0o644)
	topURL := f.topURL
	if os.Getenv("MODKIT_BENCH_TOPURL") == "file" {
		topURL = "file://" + f.top // a mounted koji volume: RPMs are linked
	}
	cfgText := fmt.Sprintf("release: {name: Bench, short: Bench, version: \"1\"}\nvariants_file: variants.xml\nkoji: {url: %s, topurl: %s}\ntarget_dir: out\n", f.url(), topURL)
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(cfgText), 0o644)
	cfg, err := LoadConfig(filepath.Join(dir, "compose.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	var cacheDir string
	if os.Getenv("MODKIT_BENCH_KOJI_CACHE") == "1" {
		cacheDir = b.TempDir()
		c, _ := koji.NewClient(f.url())
		res, err := Run(context.Background(), cfg, &Options{Koji: c, NoLatestLink: true, KojiCache: cacheDir})
		if err != nil {
			b.Fatal(err)
		}
		os.RemoveAll(res.Dir)
	}
	var total, tools, modkitCPU, toolsCPU, hubCPU time.Duration
	var phases = map[string]time.Duration{}
	if p := os.Getenv("MODKIT_BENCH_CPUPROFILE"); p != "" {
		pf, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			b.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); pf.Close() }()
	}
	b.ResetTimer()
	for b.Loop() {
		hub0 := procCPU(f.hubPID)
		// A fresh client each time: nothing cached between composes.
		c, _ := koji.NewClient(f.url())
		res, err := Run(context.Background(), cfg, &Options{Koji: c, NoLatestLink: true, KojiCache: cacheDir})
		if err != nil {
			b.Fatal(err)
		}
		if got := len(res.Modules["Bench"]["s390x"]); got != n {
			b.Fatalf("%d modules composed, want %d", got, n)
		}
		if f.hubPID != 0 {
			hubCPU += procCPU(f.hubPID) - hub0
		}
		total += res.Timing.Total
		tools += res.Timing.Tools
		modkitCPU += res.Timing.CPU
		toolsCPU += res.Timing.ToolsCPU
		for k, v := range res.Timing.Phases {
			phases[k] += v
		}
		os.RemoveAll(res.Dir)
	}
	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(100*float64(tools)/float64(total), "%tools-running")
	b.ReportMetric(100*float64(modkitCPU)/float64(total), "%modkit")
	b.ReportMetric(100*float64(modkitCPU)/float64(modkitCPU+toolsCPU+hubCPU), "%modkit-cpu")
	b.ReportMetric(per(modkitCPU), "modkit-cpu-s")
	b.ReportMetric(per(toolsCPU), "tools-cpu-s")
	if f.hubPID != 0 {
		b.ReportMetric(per(hubCPU), "hub-cpu-s")
	}
	var parts []string
	for _, k := range []string{"init", "pkgset", "fetch", "gather", "createrepo", "metadata"} {
		parts = append(parts, fmt.Sprintf("%s %.2fs", k, phases[k].Seconds()/float64(b.N)))
	}
	b.Logf("per compose: wall %.2fs, createrepo_c/modifyrepo_c running %.2fs; CPU: modkit %.2fs, createrepo_c/modifyrepo_c %.2fs, hub %.2fs; phases: %s",
		per(total), per(tools), per(modkitCPU), per(toolsCPU), per(hubCPU), strings.Join(parts, ", "))
	if cli := os.Getenv("MODKIT_BENCH_CLI"); cli != "" {
		// The whole process as a user runs it, three times (with
		// --koji-cache on the benchmark's cache when it has one): the
		// compose's own timing (--json) and the process's peak memory.
		for range 3 {
			args := []string{"compose", "--config", filepath.Join(dir, "compose.yaml"), "--quiet", "--no-latest-link", "--json"}
			if cacheDir != "" {
				args = append(args, "--koji-cache", cacheDir)
			}
			cmd := exec.Command(cli, args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			hub0 := procCPU(f.hubPID)
			t0 := time.Now()
			out, err := cmd.Output()
			if err != nil {
				b.Fatalf("%s compose: %v\n%s", cli, err, stderr.Bytes())
			}
			wall := time.Since(t0)
			var res Result
			if err := json.Unmarshal(out, &res); err != nil {
				b.Fatalf("%s compose --json: %v", cli, err)
			}
			var maxRSS int64
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				maxRSS = ru.Maxrss / 1024
			}
			t := res.Timing
			b.Logf("modkit compose (whole process): wall %.2fs (compose %.2fs), createrepo_c/modifyrepo_c running %.2fs; CPU: modkit %.2fs (%.1f%% of the compose's wall), createrepo_c/modifyrepo_c %.2fs, hub %.2fs; peak RSS %d MB (createrepo_c's included)",
				wall.Seconds(), t.Total.Seconds(), t.Tools.Seconds(), t.CPU.Seconds(), 100*t.CPU.Seconds()/t.Total.Seconds(), t.ToolsCPU.Seconds(), (procCPU(f.hubPID) - hub0).Seconds(), maxRSS)
			os.RemoveAll(res.Dir)
		}
	}
}
