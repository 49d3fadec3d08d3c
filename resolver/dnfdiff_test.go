package resolver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/modulemd"
)

// The differential test against real dnf: random scenarios (modules,
// streams, versions, contexts, requires, defaults, profiles, non-modular
// packages of the same names), each a repository of tiny RPMs and a
// sequence of dnf commands run in a throwaway installroot. After every
// command the exit status, the persisted module state, the installed
// packages, the packages dnf lists and whether dnf reports a modular
// dependency problem must equal what Client predicts.
//
// MODKIT_DNF_SCENARIOS sets the number of scenarios (default 10: as many
// dnf runs as the 12 before switch-to and obsoletes were added);
// MODKIT_DNF_SEED the first seed (default 1); MODKIT_DNF_SEEDS a list
// ("13,30"); MODKIT_DNF_KEEP=DIR keeps each scenario's repository and
// installroot (dnf --setopt=debug_solver=1 there writes libsolv's testcase of
// the module solve to debugdata/modules).
//
// A third of the scenarios end with a `module switch-to` (distro-sync of
// installed packages) and a third carry a modulemd-obsoletes document
// (successor in the module or another one, end of life now or later, reset)
// and run with module_obsoletes=True; both are drawn from random streams of
// their own, so the scenarios' other parts are what they were before.
//
// Known disagreements: none in the seeds run on 2 December 2026: with this
// generator seeds 1, 2, 4, 7, 8, 9, 11, 17, 21, 23, 24, 26, 28, 32, 39 (the
// obsoletes scenarios among 1..40) and 41..64 (39 of 39 agree); with the
// generator before obsoletes, the switch-to scenarios 2, 10, 15, 16, 22, 26,
// 54, 61, 63, 65, 76, 80 (12 of 12). Seeds 13 and 30 (two default streams
// that cannot be used together) agree since the model follows libsolv's
// rule: the job with the highest rule id in the proof gives way.
//
// Seeds 78, 96 and 97 (branch dnf3) agree since: the at-most-one-build
// constraints reach gophersat as clauses (its AtMost1 let two ma builds in
// and seed 96's impossible request looked solvable); installing a package
// enables the dependency tree of the builds it enables (seed 78); and
// defaults whose propagation alone conflicts give way first, as libsolv's
// level-1 proofs make them (seed 97). TestDNFSeedRegressions keeps the three
// checked without dnf. Runs after these changes: seeds 1..64 (64 of 64) and
// 65..123 (59 of 59) agree.

// scenario is one generated case.
type scenario struct {
	seed     uint64
	yaml     string
	packages []string // every NEVRA in the repository
	labels   map[string]string
	commands []string
	// obsoletes: the repository has a modulemd-obsoletes document and dnf
	// runs with module_obsoletes=True.
	obsoletes bool
}

var modNames = []string{"ma", "mb", "mc", "md", "me"}

// genScenario draws a scenario from seed.
func genScenario(seed uint64) *scenario {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	sc := &scenario{seed: seed, labels: map[string]string{}}
	nmod := 2 + r.IntN(4)
	mods := modNames[:nmod]
	streams := map[string][]string{}
	for _, m := range mods {
		n := 1 + r.IntN(3)
		for i := 1; i <= n; i++ {
			streams[m] = append(streams[m], strconv.Itoa(i))
		}
	}
	var docs []string
	pick := func(l []string) string { return l[r.IntN(len(l))] }
	reqList := func(self string) string {
		// One required module with a stream list.
		var target string
		switch x := r.IntN(10); {
		case x == 0:
			target = "mz" // no such module
		default:
			for {
				target = pick(mods)
				if target != self {
					break
				}
			}
		}
		var list []string
		switch r.IntN(6) {
		case 0, 1:
		case 2, 3:
			if target == "mz" {
				list = []string{"1"}
			} else {
				list = []string{pick(streams[target])}
			}
		case 4:
			list = []string{"1", "2"}
		default:
			list = []string{"-1"}
		}
		return fmt.Sprintf("      %s: [%s]\n", target, strings.Join(list, ", "))
	}
	for _, m := range mods {
		pkg := "p" + m[1:]
		for _, s := range streams[m] {
			nver := 1 + r.IntN(2)
			for v := 1; v <= nver; v++ {
				nctx := 1
				if r.IntN(3) == 0 {
					nctx = 2
				}
				for c := 1; c <= nctx; c++ {
					ctx := fmt.Sprintf("c%d", c)
					nevra := fmt.Sprintf("%s-0:%s.%d-%d.noarch", pkg, s, v, c)
					sc.packages = append(sc.packages, nevra)
					sc.labels[nevra] = fmt.Sprintf("%s:%s:%d:%s", m, s, v, ctx)
					var deps strings.Builder
					nblocks := r.IntN(3)
					if nblocks > 0 {
						deps.WriteString("  dependencies:\n")
					}
					for b := 0; b < nblocks; b++ {
						deps.WriteString("  - requires:\n")
						if r.IntN(8) == 0 {
							deps.WriteString("      platform: [f1]\n")
						} else {
							deps.WriteString("      platform: [f99]\n")
						}
						if r.IntN(3) > 0 && nmod > 1 {
							deps.WriteString(reqList(m))
						}
					}
					profiles := fmt.Sprintf("  profiles:\n    default:\n      rpms: [%s]\n", pkg)
					if r.IntN(2) == 0 {
						profiles += fmt.Sprintf("    extra:\n      rpms: [%s, pz]\n", pkg)
					}
					docs = append(docs, fmt.Sprintf(`---
document: modulemd
version: 2
data:
  name: %s
  stream: "%s"
  version: %d
  context: %s
  arch: x86_64
  summary: %s stream %s
  description: generated
  license:
    module: [MIT]
%s%s  artifacts:
    rpms: [%s]
...
`, m, s, v, ctx, m, s, deps.String(), profiles, nevra))
				}
			}
		}
		if r.IntN(2) == 0 {
			sc.packages = append(sc.packages, pkg+"-0:0.5-1.noarch")
		}
		if r.IntN(10) < 6 {
			def := pick(streams[m])
			prof := ""
			switch r.IntN(3) {
			case 0:
				prof = fmt.Sprintf("  profiles:\n    \"%s\": [default]\n", def)
			case 1:
				prof = fmt.Sprintf("  profiles:\n    \"%s\": [extra]\n", def)
			}
			docs = append(docs, fmt.Sprintf(`---
document: modulemd-defaults
version: 1
data:
  module: %s
  stream: "%s"
%s...
`, m, def, prof))
		}
	}
	sc.packages = append(sc.packages, "pz-0:1.0-1.noarch")
	sc.yaml = strings.Join(docs, "")
	// Commands.
	ncmd := 1 + r.IntN(3)
	for i := 0; i < ncmd; i++ {
		m := pick(mods)
		pkg := "p" + m[1:]
		var c string
		switch r.IntN(9) {
		case 0, 1:
			c = "module enable " + m + ":" + pick(streams[m])
		case 2:
			c = "module enable " + m
		case 3:
			c = "module disable " + m
		case 4:
			c = "module reset " + m
		case 5:
			c = "module install " + m + ":" + pick(streams[m])
		case 6:
			c = "module install " + m + ":" + pick(streams[m]) + "/" + pick([]string{"default", "extra"})
		case 7:
			c = "module install " + m
		default:
			c = "install " + pkg
		}
		sc.commands = append(sc.commands, c)
	}
	// Later additions draw from their own generator so that the scenarios
	// above stay what they were for every seed.
	r2 := rand.New(rand.NewPCG(seed, 0x5717c4))
	if r2.IntN(3) == 0 {
		// switch-to, preferably of a module a command above installed.
		m := pick(mods)
		for _, c := range sc.commands {
			if f := strings.Fields(c); len(f) == 3 && f[1] == "install" && r2.IntN(2) == 0 {
				m, _, _ = strings.Cut(f[2], ":")
				m, _, _ = strings.Cut(m, "/")
			}
		}
		c := "module switch-to " + m + ":" + streams[m][r2.IntN(len(streams[m]))]
		if r2.IntN(4) == 0 {
			c += "/extra"
		}
		sc.commands = append(sc.commands, c)
	}
	if r.IntN(4) == 0 {
		sc.commands = append(sc.commands, "module remove "+pick(mods))
	}
	// A third of the scenarios carry one modulemd-obsoletes document and run
	// with module_obsoletes=True; they start by enabling the obsoleted
	// stream (dnf obsoletes enabled streams only).
	r3 := rand.New(rand.NewPCG(seed, 0x0b501e7e))
	if r3.IntN(3) == 0 {
		m := mods[r3.IntN(len(mods))]
		st := streams[m][r3.IntN(len(streams[m]))]
		var body string
		switch r3.IntN(5) {
		case 0, 1: // a successor in the same module
			to := streams[m][r3.IntN(len(streams[m]))]
			body = fmt.Sprintf("  obsoleted_by:\n    module: %s\n    stream: \"%s\"\n", m, to)
		case 2: // a successor in another module
			o := mods[r3.IntN(len(mods))]
			body = fmt.Sprintf("  obsoleted_by:\n    module: %s\n    stream: \"%s\"\n", o, streams[o][r3.IntN(len(streams[o]))])
		case 3: // end of life: no successor; in effect or not yet
			if r3.IntN(2) == 0 {
				body = "  eol_date: 2099-01-01T00:00Z\n"
			}
		default: // a reset cancels obsoletes: nothing happens
			body = "  reset: true\n"
		}
		sc.yaml += fmt.Sprintf(`---
document: modulemd-obsoletes
version: 1
data:
  modified: 2020-01-01T00:00Z
  module: %s
  stream: "%s"
  message: "%s:%s is obsolete"
%s...
`, m, st, m, st, body)
		sc.obsoletes = true
		sc.commands = append([]string{"module enable " + m + ":" + st}, sc.commands...)
	}
	return sc
}

// dnfEnv is the machinery shared by the scenarios.
type dnfEnv struct {
	cache string
	mu    sync.Mutex // serialises RPM builds
}

func rpmKey(nevra, label string) string {
	h := sha256.Sum256([]byte(nevra + "\x00" + label))
	return hex.EncodeToString(h[:12])
}

const multiSpecHead = `Name: modkit-dnfdiff
Version: 1
Release: 1
Summary: modkit dnf differential test packages
License: MIT
BuildArch: noarch
%description
Packages for the dnf differential test of package resolver.
`

// rpms returns the paths of the scenario's RPMs, building the missing ones
// (one rpmbuild per batch of distinct names) into the cache.
func (e *dnfEnv) rpms(t *testing.T, sc *scenario) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var paths []string
	var missing []string
	for _, p := range sc.packages {
		f := filepath.Join(e.cache, rpmKey(p, sc.labels[p])+".rpm")
		paths = append(paths, f)
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, p)
		}
	}
	for len(missing) > 0 {
		var batch, rest []string
		names := map[string]bool{}
		for _, p := range missing {
			n, _ := modulemd.ParseNEVRA(p)
			if names[n.Name] {
				rest = append(rest, p)
				continue
			}
			names[n.Name] = true
			batch = append(batch, p)
		}
		e.build(t, batch, sc.labels)
		missing = rest
	}
	return paths
}

func (e *dnfEnv) build(t *testing.T, batch []string, labels map[string]string) {
	t.Helper()
	dir := t.TempDir()
	var spec strings.Builder
	spec.WriteString(multiSpecHead)
	for _, p := range batch {
		n, _ := modulemd.ParseNEVRA(p)
		fmt.Fprintf(&spec, "%%package -n %s\nVersion: %s\nRelease: %s\nSummary: %s\n", n.Name, n.Version, n.Release, n.Name)
		if l := labels[p]; l != "" {
			fmt.Fprintf(&spec, "ModularityLabel: %s\n", l)
		}
		fmt.Fprintf(&spec, "%%description -n %s\n%s\n%%files -n %s\n", n.Name, n.Name, n.Name)
	}
	sp := filepath.Join(dir, "p.spec")
	if err := os.WriteFile(sp, []byte(spec.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	top := filepath.Join(dir, "top")
	out, err := exec.Command("rpmbuild", "-bb", "--quiet", "--define", "_topdir "+top, "--define", "_build_id_links none",
		"--define", "__os_install_post %{nil}", sp).CombinedOutput()
	if err != nil {
		t.Fatalf("rpmbuild: %v\n%s\n%s", err, out, spec.String())
	}
	for _, p := range batch {
		n, _ := modulemd.ParseNEVRA(p)
		src := filepath.Join(top, "RPMS", "noarch", fmt.Sprintf("%s-%s-%s.noarch.rpm", n.Name, n.Version, n.Release))
		dst := filepath.Join(e.cache, rpmKey(p, labels[p])+".rpm")
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+".tmp", data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(dst+".tmp", dst); err != nil {
			t.Fatal(err)
		}
	}
}

// dnfRoot is one scenario's repository and installroot.
type dnfRoot struct {
	dir, conf string
}

func (e *dnfEnv) root(t *testing.T, sc *scenario) *dnfRoot {
	dir := t.TempDir()
	if keep := os.Getenv("MODKIT_DNF_KEEP"); keep != "" {
		// Debugging: keep the repository and installroot.
		dir = filepath.Join(keep, fmt.Sprint(sc.seed))
		os.RemoveAll(dir)
		t.Logf("scenario %d kept in %s", sc.seed, dir)
	}
	repo := filepath.Join(dir, "repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, p := range e.rpms(t, sc) {
		n, _ := modulemd.ParseNEVRA(sc.packages[i])
		if err := os.Link(p, filepath.Join(repo, fmt.Sprintf("%s-%s-%s.noarch.rpm", n.Name, n.Version, n.Release))); err != nil {
			t.Fatal(err)
		}
	}
	run := func(name string, args ...string) {
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run("createrepo_c", "--quiet", repo)
	my := filepath.Join(dir, "modules.yaml")
	if err := os.WriteFile(my, []byte(sc.yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	run("modifyrepo_c", "--mdtype=modules", my, filepath.Join(repo, "repodata"))
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".rpmmacros"), []byte("%_dbpath /var/lib/rpm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "dnf.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`[main]
gpgcheck=False
repo_gpgcheck=False
plugins=False
install_weak_deps=False
skip_if_unavailable=False
reposdir=
cachedir=%s/cache
module_platform_id=platform:f99
module_obsoletes=%s

[repo]
name=repo
baseurl=file://%s
`, dir, map[bool]string{false: "False", true: "True"}[sc.obsoletes], repo)), 0o644); err != nil {
		t.Fatal(err)
	}
	return &dnfRoot{dir: dir, conf: conf}
}

// dnf runs one dnf command line; it returns the exit status and output.
func (d *dnfRoot) dnf(t *testing.T, cmdline string) (int, string) {
	args := []string{"-y", "--config=" + d.conf, "--installroot=" + filepath.Join(d.dir, "root"), "--releasever=1",
		"--setopt=cachedir=" + filepath.Join(d.dir, "cache"), "--forcearch=x86_64"}
	args = append(args, strings.Fields(cmdline)...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dnf", args...)
	cmd.Env = append(os.Environ(), "HOME="+filepath.Join(d.dir, "home"), "LC_ALL=C.UTF-8")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("dnf %s: %v", cmdline, err)
		}
		code = ee.ExitCode()
	}
	return code, out.String()
}

func (d *dnfRoot) installed(t *testing.T) []string {
	cmd := exec.Command("rpm", "--root="+filepath.Join(d.dir, "root"), "-qa", "--qf", "%{name}-%{epochnum}:%{version}-%{release}.%{arch}\n")
	cmd.Env = append(os.Environ(), "HOME="+filepath.Join(d.dir, "home"))
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	l := strings.Fields(string(out))
	slices.Sort(l)
	return l
}

// observation is what one command did, by dnf or by the model.
type observation struct {
	Exit     bool // failed
	Problem  bool // printed "Modular dependency problem"
	State    map[string]ModuleConfig
	Install  []string
	Visible  []string
	VisProbs bool
}

func stateMap(st *State) map[string]ModuleConfig {
	m := map[string]ModuleConfig{}
	for n, c := range st.Modules {
		cc := *c
		if len(cc.Profiles) == 0 {
			cc.Profiles = nil
		}
		slices.Sort(cc.Profiles)
		m[n] = cc
	}
	return m
}

// modelRun applies a command to the client.
func modelRun(c *Client, cmdline string) (*Result, error) {
	f := strings.Fields(cmdline)
	if f[0] == "install" {
		return c.InstallPackage(f[1])
	}
	switch f[1] {
	case "enable":
		return c.Enable(f[2:]...)
	case "disable":
		return c.Disable(f[2:]...)
	case "reset":
		return c.Reset(f[2:]...)
	case "install":
		return c.Install(f[2:]...)
	case "remove":
		return c.Remove(f[2:]...)
	case "switch-to":
		return c.SwitchTo(f[2:]...)
	}
	return nil, fmt.Errorf("unknown command %q", cmdline)
}

func TestDNFDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("builds RPMs and runs dnf")
	}
	for _, prog := range []string{"rpmbuild", "createrepo_c", "modifyrepo_c", "dnf"} {
		if _, err := exec.LookPath(prog); err != nil {
			need(t, prog+" is not installed (Debian packages: rpm createrepo-c dnf)")
		}
	}
	n, first := 10, uint64(1) // 10 with switch-to and obsoletes take the time 12 took before
	if v, err := strconv.Atoi(os.Getenv("MODKIT_DNF_SCENARIOS")); err == nil && v > 0 {
		n = v
	}
	if v, err := strconv.ParseUint(os.Getenv("MODKIT_DNF_SEED"), 10, 64); err == nil {
		first = v
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	env := &dnfEnv{cache: filepath.Join(cache, "modkit", "dnfdiff-rpms")}
	if err := os.MkdirAll(env.cache, 0o755); err != nil {
		t.Fatal(err)
	}
	sem := make(chan struct{}, 2)
	var mu sync.Mutex
	agree := 0
	t.Cleanup(func() { t.Logf("dnf differential: %d of %d scenarios agree", agree, n) })
	seeds := []uint64{}
	for seed := first; seed < first+uint64(n); seed++ {
		seeds = append(seeds, seed)
	}
	if v := os.Getenv("MODKIT_DNF_SEEDS"); v != "" {
		seeds = nil
		for _, f := range strings.Split(v, ",") {
			x, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
			if err != nil {
				t.Fatalf("MODKIT_DNF_SEEDS: %v", err)
			}
			seeds = append(seeds, x)
		}
		n = len(seeds)
	}
	t.Run("seeds", func(t *testing.T) {
		for _, seed := range seeds {
			t.Run(fmt.Sprint(seed), func(t *testing.T) {
				t.Parallel()
				sem <- struct{}{}
				defer func() { <-sem }()
				if runScenario(t, env, genScenario(seed)) {
					mu.Lock()
					agree++
					mu.Unlock()
				}
			})
		}
	})
}

// runScenario runs one scenario through dnf and the model; it reports
// agreement.
func runScenario(t *testing.T, env *dnfEnv, sc *scenario) bool {
	idx, err := modulemd.ReadIndex(strings.NewReader(sc.yaml), nil)
	if err != nil {
		t.Fatalf("scenario yaml: %v\n%s", err, sc.yaml)
	}
	root := env.root(t, sc)
	client := &Client{Index: idx, Packages: sc.packages, State: &State{}, Options: &ChooseOptions{Platform: "platform:f99", Arch: "x86_64", Obsoletes: sc.obsoletes}}
	ok := true
	listed := func() ([]string, bool) {
		_, out := root.dnf(t, "repoquery --qf %{name}-%{epoch}:%{version}-%{release}.%{arch}")
		var l []string
		for _, line := range strings.Split(out, "\n") {
			if strings.Count(line, ":") == 1 && strings.HasSuffix(line, ".noarch") && !strings.Contains(line, " ") {
				l = append(l, line)
			}
		}
		slices.Sort(l)
		return l, strings.Contains(out, "Modular dependency problem")
	}
	compareList := func(step string) {
		vis, prob := listed()
		ch, err := client.Current()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := ch.Filter(sc.packages)
		slices.Sort(want)
		if diff := cmp.Diff(vis, want); diff != "" || prob != (ch.Result != SolveOK) {
			ok = false
			t.Errorf("%s: listed packages dnf (-) model (+):\n%s\ndnf problem %v, model %v %v", step, diff, prob, ch.Result, ch.Problems)
		}
	}
	compareList("initial")
	for _, cmdline := range sc.commands {
		code, out := root.dnf(t, cmdline)
		res, err := modelRun(client, cmdline)
		if res == nil {
			t.Fatalf("%s: %v", cmdline, err)
		}
		got := observation{Exit: code != 0, Problem: strings.Contains(out, "Modular dependency problem")}
		dst, rerr := ReadState(filepath.Join(root.dir, "root", "etc", "dnf", "modules.d"))
		if rerr != nil {
			t.Fatal(rerr)
		}
		got.State = stateMap(dst)
		got.Install = root.installed(t)
		// The model's state as written to disk and read back.
		simDir := filepath.Join(root.dir, "sim-modules.d")
		if err := WriteState(simDir, res.State); err != nil {
			t.Fatal(err)
		}
		sim, err := ReadState(simDir)
		if err != nil {
			t.Fatal(err)
		}
		want := observation{Exit: res.Err != nil, Problem: res.DependencyProblem(), State: stateMap(sim), Install: slices.Clone(res.Installed)}
		if want.Install == nil {
			want.Install = nil
		}
		if len(got.Install) == 0 {
			got.Install = nil
		}
		if len(want.Install) == 0 {
			want.Install = nil
		}
		if diff := cmp.Diff(got, want); diff != "" {
			ok = false
			t.Errorf("%q: dnf (-) model (+):\n%s\nmodel problems: %v\ndnf output:\n%s", cmdline, diff, problemsString(res.Problems), out)
		}
		// Continue from what dnf did.
		client.State = dst
		client.Installed = got.Install
		compareList("after " + cmdline)
	}
	if !ok {
		t.Logf("scenario %d commands %q\n%s", sc.seed, sc.commands, sc.yaml)
	}
	return ok
}

func problemsString(ps []*Problem) string {
	var l []string
	for _, p := range ps {
		l = append(l, fmt.Sprintf("[%s blocking=%v arg=%q] %s", p.Kind, p.Blocking, p.Arg, p.Message))
	}
	return strings.Join(l, "\n")
}
