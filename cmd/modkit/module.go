package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/pungi"
	"github.com/modkit/modkit/resolver"
)

func init() {
	register("module", "what dnf's module commands do with a set of repositories (list, info, enable, ...)", runModule)
}

const moduleAbout = `
Answers what dnf 4 (libdnf 0.69) does with module repositories before dnf is
pointed at them. The repositories (--repo, repeatable) are directories with
repodata/ (modules metadata and primary package list) or with a modules.yaml.
The client's module state is read from --state, a directory in the format of
/etc/dnf/modules.d (NAME.module files); enable, disable, reset, install and
remove write the new state there, as dnf does, unless --dry-run is given.

Subcommands:
  list [SPEC...]      the module streams, with [d]efault, [e]nabled, [x]disabled
                      and [i]nstalled markers, latest version per stream
  info SPEC...        every build matching SPEC, [a]ctive builds marked
  enable SPEC...      enable streams (and the streams they require)
  disable SPEC...     disable modules
  reset SPEC...       reset modules to their default state
  install SPEC...     enable streams and install a profile (NAME:STREAM/PROFILE)
                      or the default profiles; the packages dnf would install
                      are printed
  remove SPEC...      remove installed profiles and their packages
  solve               the module solve itself: active streams, why each is
                      active (enabled, default, dependency), the active
                      context, and the modular dependency problems

SPEC is NAME[:STREAM[:VERSION[:CONTEXT]]][/PROFILE].

Exit status: 0 success, 1 dnf would fail (the problems are printed on
standard error; the state is not written), 2 usage or input error.`

type moduleCmd struct {
	repos     dirList
	stateDir  string
	platform  string
	arch      string
	installed string
	dryRun    bool
	stdout    io.Writer
	stderr    io.Writer
	client    *resolver.Client
	repoIdx   []*modulemd.Index
}

func runModule(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newCmdFlags("module", "module list|info|enable|disable|reset|install|remove|solve [SPEC...] --repo DIR... [--state DIR]", moduleAbout, stdout)
	m := &moduleCmd{stdout: stdout, stderr: stderr}
	fs.Var(&m.repos, "repo", "repository `DIR` (repeatable)")
	fs.StringVar(&m.stateDir, "state", "/etc/dnf/modules.d", "module state `DIR` (dnf's modules.d)")
	fs.StringVar(&m.platform, "platform", "", "module_platform_id, e.g. `platform:f39` (default: PLATFORM_ID of /etc/os-release)")
	fs.StringVar(&m.arch, "arch", "", "client `ARCH` (default: the host's)")
	fs.StringVar(&m.installed, "installed", "", "`FILE` of installed package NEVRAs, one per line (rpm -qa --qf '%{name}-%{epochnum}:%{version}-%{release}.%{arch}\\n')")
	fs.BoolVar(&m.dryRun, "dry-run", false, "print what would change; do not write the state")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fs.usageError("no subcommand given")
	}
	if len(m.repos) == 0 {
		return fs.usageError("no --repo given")
	}
	sub, specs := pos[0], pos[1:]
	switch sub {
	case "list", "solve":
	case "info", "enable", "disable", "reset", "install", "remove":
		if len(specs) == 0 {
			return fs.usageError("module %s: no SPEC given", sub)
		}
	default:
		return fs.usageError("unknown subcommand %q", sub)
	}
	if err := m.load(ctx); err != nil {
		return &exitError{Code: 2, Msg: err.Error()}
	}
	switch sub {
	case "list":
		return m.list(specs)
	case "info":
		return m.info(specs)
	case "solve":
		return m.solve()
	}
	c := m.client
	var res *resolver.Result
	switch sub {
	case "enable":
		res, err = c.Enable(specs...)
	case "disable":
		res, err = c.Disable(specs...)
	case "reset":
		res, err = c.Reset(specs...)
	case "install":
		res, err = c.Install(specs...)
	case "remove":
		res, err = c.Remove(specs...)
	}
	if res == nil {
		return &exitError{Code: 2, Msg: err.Error()}
	}
	return m.report(res, err)
}

// load reads the repositories, the state and the installed packages.
func (m *moduleCmd) load(ctx context.Context) error {
	var pkgs []string
	merger := modulemd.NewMerger()
	for _, r := range m.repos {
		one, err := resolver.LoadIndex(ctx, []string{r}, nil)
		if err != nil {
			return err
		}
		m.repoIdx = append(m.repoIdx, one)
		if err := merger.Add(one, 0); err != nil {
			return fmt.Errorf("%s: %w", r, err)
		}
		if _, err := os.Stat(filepath.Join(r, "repodata", "repomd.xml")); err == nil {
			p, err := pungi.ReadPackages(r)
			if err != nil {
				return err
			}
			pkgs = append(pkgs, p...)
		}
	}
	idx, err := merger.Resolve(nil)
	if err != nil {
		return err
	}
	st, err := resolver.ReadState(m.stateDir)
	if err != nil {
		return err
	}
	var installed []string
	if m.installed != "" {
		f, err := os.Open(m.installed)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(f)
		for ln := 1; sc.Scan(); ln++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if _, err := modulemd.ParseNEVRA(line); err != nil {
				f.Close()
				return fmt.Errorf("%s:%d: %v", m.installed, ln, err)
			}
			installed = append(installed, line)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return err
		}
	}
	if m.platform == "" {
		m.platform = osReleasePlatform()
	}
	if m.arch == "" {
		m.arch = hostArch()
	}
	m.client = &resolver.Client{Index: idx, Packages: pkgs, Installed: installed, State: st,
		Options: &resolver.ChooseOptions{Platform: m.platform, Arch: m.arch}}
	if _, err := m.client.Current(); err != nil {
		return err
	}
	return nil
}

// osReleasePlatform is PLATFORM_ID of /etc/os-release, as dnf reads it.
func osReleasePlatform() string {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "PLATFORM_ID="); ok {
				return strings.Trim(v, `"'`)
			}
		}
	}
	return ""
}

func hostArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	case "386":
		return "i686"
	case "ppc64le", "s390x":
		return runtime.GOARCH
	}
	return runtime.GOARCH
}

// markers returns dnf's stream markers ([d], [e], [x], [a]).
func (m *moduleCmd) markers(s *modulemd.Stream, ch *resolver.Choice, active bool) string {
	st := m.client.State
	def := ""
	if d := m.client.Index.Module(s.Name).Defaults().DefaultStream(); d == s.Stream {
		def = " [d]"
	}
	en, dis := "", ""
	if st.Enabled(s.Name) == s.Stream {
		if def == "" {
			en = " "
		}
		en += "[e]"
	} else if st.Status(s.Name) == resolver.StatusDisabled {
		if def == "" {
			dis = " "
		}
		dis += "[x]"
	}
	if active && ch.IsActive(s) {
		if def == "" {
			dis = " "
		}
		dis += "[a]"
	}
	return s.Stream + def + en + dis
}

func (m *moduleCmd) profiles(s *modulemd.Stream) string {
	defs, _ := m.client.Index.Module(s.Name).Defaults().DefaultProfiles(s.Stream)
	enabled := m.client.State.Enabled(s.Name) == s.Stream
	installed := m.client.State.Profiles(s.Name)
	var parts []string
	for _, p := range sortedProfileNames(s) {
		x := p
		if slices.Contains(defs, p) {
			x += " [d]"
		}
		if enabled && slices.Contains(installed, p) {
			x += " [i]"
		}
		parts = append(parts, x)
	}
	return strings.Join(parts, ", ")
}

func sortedProfileNames(s *modulemd.Stream) []string {
	var l []string
	for p := range s.Profiles {
		l = append(l, p)
	}
	slices.Sort(l)
	return l
}

// matches reports whether s matches one of the specs (none = all).
func matches(specs []string, s *modulemd.Stream) bool {
	if len(specs) == 0 {
		return true
	}
	for _, sp := range specs {
		rest, _, _ := strings.Cut(sp, "/")
		p := strings.Split(rest, ":")
		ok := globOK(p[0], s.Name)
		if len(p) > 1 {
			ok = ok && globOK(p[1], s.Stream)
		}
		if len(p) > 2 {
			ok = ok && p[2] == fmt.Sprint(s.Version)
		}
		if len(p) > 3 {
			ok = ok && globOK(p[3], s.Context)
		}
		if ok {
			return true
		}
	}
	return false
}

func globOK(pattern, s string) bool {
	ok, err := filepath.Match(pattern, s)
	return err == nil && ok
}

// list prints dnf module list: per repository, the latest version of each
// name:stream:arch (the active build when several share it).
func (m *moduleCmd) list(specs []string) error {
	ch, err := m.client.Current()
	if err != nil {
		return err
	}
	printed := false
	for i, ri := range m.repoIdx {
		type key struct{ name, stream, arch string }
		latest := map[key][]*modulemd.Stream{}
		var keys []key
		for _, s := range ri.Streams() {
			if !matches(specs, s) {
				continue
			}
			k := key{s.Name, s.Stream, s.Arch}
			l := latest[k]
			switch {
			case len(l) == 0:
				keys = append(keys, k)
				latest[k] = []*modulemd.Stream{s}
			case s.Version > l[0].Version:
				latest[k] = []*modulemd.Stream{s}
			case s.Version == l[0].Version:
				latest[k] = append(l, s)
			}
		}
		if len(keys) == 0 {
			continue
		}
		slices.SortFunc(keys, func(a, b key) int {
			if c := strings.Compare(a.name, b.name); c != 0 {
				return c
			}
			if c := modulemd.CompareVersions(a.stream, b.stream); c != 0 {
				return c
			}
			return strings.Compare(a.arch, b.arch)
		})
		rows := [][]string{{"Name", "Stream", "Profiles", "Summary"}}
		for _, k := range keys {
			l := latest[k]
			s := l[0]
			for _, b := range l {
				if ch.IsActive(b) {
					s = b
					break
				}
			}
			rows = append(rows, []string{s.Name, m.markers(s, ch, false), m.profiles(s), strings.ReplaceAll(strings.TrimSpace(s.Summary), "\n", " ")})
		}
		if printed {
			fmt.Fprintln(m.stdout)
		}
		fmt.Fprintln(m.stdout, m.repos[i])
		printTable(m.stdout, rows)
		printed = true
	}
	if printed {
		fmt.Fprint(m.stdout, "\nHint: [d]efault, [e]nabled, [x]disabled, [i]nstalled\n")
	}
	return nil
}

func printTable(w io.Writer, rows [][]string) {
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%-*s", width[i], c)
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// info prints dnf module info for every matching build.
func (m *moduleCmd) info(specs []string) error {
	ch, err := m.client.Current()
	if err != nil {
		return err
	}
	var blocks []string
	for _, s := range m.client.Index.Streams() {
		if !matches(specs, s) {
			continue
		}
		defs, _ := m.client.Index.Module(s.Name).Defaults().DefaultProfiles(s.Stream)
		var reqs []string
		for _, d := range s.Dependencies {
			for _, rn := range sortedKeys(d.Requires) {
				reqs = append(reqs, fmt.Sprintf("%s:[%s]", rn, strings.Join(d.Requires[rn], ",")))
			}
		}
		slices.Sort(reqs)
		reqs = slices.Compact(reqs)
		arts := slices.Clone(s.Artifacts.RPMs)
		slices.Sort(arts)
		lines := [][2]string{
			{"Name", s.Name}, {"Stream", m.markers(s, ch, true)}, {"Version", fmt.Sprint(s.Version)},
			{"Context", s.Context}, {"Architecture", s.Arch}, {"Profiles", m.profiles(s)},
			{"Default profiles", strings.Join(defs, " ")}, {"Repo", m.repoOf(s)}, {"Summary", strings.TrimSpace(s.Summary)},
			{"Description", strings.TrimSpace(s.Description)}, {"Requires", strings.Join(reqs, "\n")},
			{"Artifacts", strings.Join(arts, "\n")},
		}
		var b strings.Builder
		for _, l := range lines {
			for i, v := range strings.Split(l[1], "\n") {
				k := l[0]
				if i > 0 {
					k = ""
				}
				fmt.Fprintf(&b, "%-16s : %s\n", k, v)
			}
		}
		blocks = append(blocks, strings.TrimRight(b.String(), "\n"))
	}
	if len(blocks) == 0 {
		return &exitError{Code: 1, Msg: "No matching Modules to list"}
	}
	slices.Sort(blocks)
	fmt.Fprint(m.stdout, strings.Join(blocks, "\n\n"))
	fmt.Fprint(m.stdout, "\n\nHint: [d]efault, [e]nabled, [x]disabled, [i]nstalled, [a]ctive\n")
	return nil
}

// repoOf names the first repository that has the build.
func (m *moduleCmd) repoOf(s *modulemd.Stream) string {
	for i, ri := range m.repoIdx {
		if mod := ri.Module(s.Name); mod != nil {
			for _, b := range mod.Streams() {
				if b.NSVCA() == s.NSVCA() {
					return m.repos[i]
				}
			}
		}
	}
	return ""
}

// solve prints the module solve.
func (m *moduleCmd) solve() error {
	ch, err := m.client.Current()
	if err != nil {
		return err
	}
	rows := [][]string{{"Name", "Stream", "Why", "Context", "Builds"}}
	for _, name := range sortedKeys(ch.Streams) {
		s := ch.Streams[name]
		why := "dependency"
		if ch.Enabled[name] == s {
			why = "enabled"
		} else if ch.Default[name] == s {
			why = "default"
		}
		var builds []string
		for _, b := range ch.Active {
			if b.Name == name {
				builds = append(builds, fmt.Sprintf("%d:%s", b.Version, b.Context))
			}
		}
		rows = append(rows, []string{name, s, why, ch.Contexts[name+":"+s], strings.Join(builds, " ")})
	}
	printTable(m.stdout, rows)
	fmt.Fprintf(m.stdout, "\nModule solve: %s\n", ch.Result)
	if len(ch.Problems) > 0 {
		fmt.Fprintln(m.stdout, "Modular dependency problems:")
		for _, l := range ch.ProblemLines() {
			fmt.Fprintln(m.stdout, l)
		}
	}
	return nil
}

// report prints an operation's outcome like dnf and writes the state.
func (m *moduleCmd) report(res *resolver.Result, opErr error) error {
	seen := map[string]bool{}
	for _, p := range res.Problems {
		if p.Kind == resolver.ModularDependency && !p.Blocking && !seen[p.Message] {
			seen[p.Message] = true
			fmt.Fprintln(m.stderr, p.Message)
		}
	}
	var oe *resolver.OpError
	if errors.As(opErr, &oe) {
		fmt.Fprintln(m.stderr, "Error: Problems in request:")
		for _, p := range oe.Problems {
			if p.Blocking {
				fmt.Fprintf(m.stderr, "%s\n", p.Message)
			}
		}
		return &exitError{Code: 1}
	}
	if opErr != nil {
		return opErr
	}
	fmt.Fprintln(m.stdout, "Dependencies resolved.")
	section := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintln(m.stdout, title)
		for _, it := range items {
			fmt.Fprintf(m.stdout, " %s\n", it)
		}
	}
	old, now := m.client.State, res.State
	var profiles, removedProfiles, enabling, disabling, resetting []string
	for _, name := range sortedKeys(now.Modules) {
		for _, p := range now.Profiles(name) {
			if !slices.Contains(old.Profiles(name), p) {
				profiles = append(profiles, name+"/"+p)
			}
		}
		for _, p := range old.Profiles(name) {
			if !slices.Contains(now.Profiles(name), p) {
				removedProfiles = append(removedProfiles, name+"/"+p)
			}
		}
		switch {
		case now.Status(name) == resolver.StatusEnabled && (old.Enabled(name) != now.Enabled(name)):
			enabling = append(enabling, name+":"+now.Enabled(name))
		case now.Status(name) == resolver.StatusDisabled && old.Status(name) != resolver.StatusDisabled:
			disabling = append(disabling, name)
		case now.Status(name) == resolver.StatusDefault && old.Status(name) != resolver.StatusDefault:
			resetting = append(resetting, name)
		}
	}
	section("Installing group/module packages:", res.Install)
	section("Removing:", res.Remove)
	section("Installing module profiles:", profiles)
	section("Disabling module profiles:", removedProfiles)
	section("Enabling module streams:", enabling)
	section("Disabling modules:", disabling)
	section("Resetting modules:", resetting)
	if m.dryRun {
		fmt.Fprintln(m.stdout, "Dry run: state not written.")
		return nil
	}
	if err := resolver.WriteState(m.stateDir, now); err != nil {
		return &exitError{Code: 2, Msg: fmt.Sprintf("writing %s: %v", m.stateDir, err)}
	}
	fmt.Fprintln(m.stdout, "Complete!")
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	l := make([]string, 0, len(m))
	for k := range m {
		l = append(l, k)
	}
	slices.Sort(l)
	return l
}
