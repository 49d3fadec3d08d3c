package pungi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/modkit/modkit/internal/systool"
	"github.com/modkit/modkit/modulemd"
)

// ErrVerifyFailed is returned (wrapped) by VerifyRepo when dnf ran but at
// least one step did not behave; the report says which.
var ErrVerifyFailed = errors.New("repository check failed")

// VerifyOptions tune VerifyRepo.
type VerifyOptions struct {
	// Platform is dnf's module_platform_id ("platform:f39"). Empty means
	// the platform stream the repository's modules require, if any.
	Platform string
	// Arch is passed to dnf as --forcearch; empty means the host's.
	Arch string
	// BaseRepos are more repository directories dnf may use to satisfy
	// dependencies that are not in the repository under test.
	BaseRepos []string
	// WorkDir holds the dnf configuration, cache and installroots. It is
	// kept; empty means a temporary directory removed at the end.
	WorkDir string
	// Step, when not nil, is called after each step, for progress output.
	Step func(VerifyStep)
}

// VerifyStep is one check VerifyRepo made.
type VerifyStep struct {
	// Name says what was checked: "read modules.yaml", "dnf module list",
	// "install hello:1/default", ...
	Name string
	// Command is the dnf or rpm command line, without the isolation
	// options; empty for steps that ran no command.
	Command []string
	OK      bool
	// Problem says why the step failed; empty when OK.
	Problem string
	// Output is the command's combined output.
	Output   string
	Duration time.Duration
}

// VerifyReport is the outcome of VerifyRepo.
type VerifyReport struct {
	Dir      string
	Platform string
	// Streams are the N:S:V:C:A of the module streams in the repository.
	Streams []string
	Steps   []VerifyStep
}

// OK reports whether every step behaved.
func (r *VerifyReport) OK() bool {
	for _, s := range r.Steps {
		if !s.OK {
			return false
		}
	}
	return len(r.Steps) > 0
}

// dnfProblem matches what dnf prints, with exit status 0, when it dropped
// or could not use module metadata.
var dnfProblem = regexp.MustCompile(`Module yaml error.*|Modular dependency problem.*|Detection of Platform Module failed.*|terminate called.*|No match for package.*|broken groups or modules.*`)

// VerifyRepo asks a real dnf what it sees in the repository at dir, as a
// client would: it reads the repository's modules.yaml, runs `dnf module
// list`, and for each module stream installs its default profiles (from the
// modulemd-defaults document or the stream's default-marked profiles) into
// a new installroot, then checks with rpm that the profile's packages are
// there. dnf reads only a dnf.conf written for the run (never the host's
// configuration or repositories) and a cache inside the work directory.
//
// The report lists every step. The error is nil when all behaved, wraps
// ErrVerifyFailed when a step failed, and is something else when the check
// could not run (no dnf, not a repository, no module metadata).
func VerifyRepo(ctx context.Context, dir string, opts *VerifyOptions) (*VerifyReport, error) {
	if opts == nil {
		opts = &VerifyOptions{}
	}
	if err := systool.Check("dnf", "rpm"); err != nil {
		return nil, fmt.Errorf("pungi: verify %s: %w", dir, err)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	rep := &VerifyReport{Dir: dir}
	step := func(s VerifyStep) {
		rep.Steps = append(rep.Steps, s)
		if opts.Step != nil {
			opts.Step(s)
		}
	}

	// 1. Our own reading of the metadata.
	start := time.Now()
	yml, err := ReadModulesMetadata(dir)
	if err != nil {
		return nil, err
	}
	if yml == nil {
		return nil, fmt.Errorf("pungi: verify %s: the repository has no modules metadata (repodata/repomd.xml lists no data of type \"modules\")", dir)
	}
	idx, err := modulemd.ReadIndex(bytes.NewReader(yml), &modulemd.LoadOptions{File: "modules.yaml"})
	s := VerifyStep{Name: "read modules.yaml", OK: err == nil, Duration: time.Since(start)}
	if err != nil {
		s.Problem = err.Error()
	}
	if idx != nil {
		for _, st := range idx.Streams() {
			rep.Streams = append(rep.Streams, st.NSVCA().String())
		}
		s.Output = fmt.Sprintf("%d module streams: %s", len(rep.Streams), strings.Join(rep.Streams, ", "))
	}
	if s.OK && len(rep.Streams) == 0 {
		s.OK, s.Problem = false, "modules.yaml holds no module stream"
	}
	step(s)
	if !s.OK {
		return rep, fmt.Errorf("pungi: verify %s: %w: %s", dir, ErrVerifyFailed, s.Problem)
	}

	rep.Platform = opts.Platform
	if rep.Platform == "" {
		rep.Platform = platformOf(idx)
	}

	work := opts.WorkDir
	if work == "" {
		work, err = os.MkdirTemp("", "modkit-verify-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(work)
	}
	d, err := newDNF(work, dir, rep.Platform, opts)
	if err != nil {
		return nil, err
	}

	// 2. What dnf lists.
	s = d.run(ctx, "dnf module list", "", "module", "list")
	if s.OK {
		for _, st := range idx.Streams() {
			re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(st.Name) + `\s+` + regexp.QuoteMeta(st.Stream) + `(\s|$)`)
			if !re.MatchString(s.Output) {
				s.OK, s.Problem = false, fmt.Sprintf("dnf does not list %s:%s", st.Name, st.Stream)
				break
			}
		}
	}
	step(s)

	// 3. Install each stream's default profiles into a fresh root.
	seen := map[string]bool{}
	for _, st := range idx.Streams() {
		ns := st.Name + ":" + st.Stream
		if seen[ns] {
			continue
		}
		seen[ns] = true
		profiles := defaultProfiles(idx, st)
		root := filepath.Join(work, "root-"+sanitizeName(ns))
		if len(profiles) == 0 {
			s := d.run(ctx, "enable "+ns+" (it has no default profile)", root, "module", "enable", ns)
			step(s)
			continue
		}
		specs := make([]string, len(profiles))
		for i, p := range profiles {
			specs[i] = ns + "/" + p
		}
		s := d.run(ctx, "install "+strings.Join(specs, " "), root, append([]string{"module", "install"}, specs...)...)
		step(s)
		if !s.OK {
			continue
		}
		var pkgs []string
		for _, p := range profiles {
			pkgs = append(pkgs, st.Profiles[p].RPMs...)
		}
		slices.Sort(pkgs)
		pkgs = slices.Compact(pkgs)
		if len(pkgs) > 0 {
			step(d.rpmQuery(ctx, "profile packages of "+ns+" installed", root, pkgs))
		}
	}

	if !rep.OK() {
		var failed []string
		for _, s := range rep.Steps {
			if !s.OK {
				failed = append(failed, s.Name+": "+s.Problem)
			}
		}
		return rep, fmt.Errorf("pungi: verify %s: %w: %s", dir, ErrVerifyFailed, strings.Join(failed, "; "))
	}
	return rep, nil
}

// platformOf returns "platform:STREAM" for the first platform stream a
// module requires at run time, or "" when none does.
func platformOf(idx *modulemd.Index) string {
	for _, st := range idx.Streams() {
		for _, dep := range st.Dependencies {
			for _, s := range dep.Requires["platform"] {
				if !strings.HasPrefix(s, "-") {
					return "platform:" + s
				}
			}
		}
	}
	return ""
}

// defaultProfiles returns the profiles dnf installs for "name:stream"
// without a profile: those of the modulemd-defaults document, else the
// stream's profiles marked default.
func defaultProfiles(idx *modulemd.Index, st *modulemd.Stream) []string {
	if d := idx.Defaults(st.Name); d != nil {
		if p, ok := d.Profiles[st.Stream]; ok {
			return slices.Sorted(slices.Values(p))
		}
	}
	var out []string
	for name, p := range st.Profiles {
		if p.Default {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

// dnf runs dnf in isolation: its own dnf.conf, cache and HOME.
type dnf struct {
	conf, cache, home string
	arch              string
}

func newDNF(work, repo, platform string, opts *VerifyOptions) (*dnf, error) {
	d := &dnf{
		conf:  filepath.Join(work, "dnf.conf"),
		cache: filepath.Join(work, "cache"),
		home:  filepath.Join(work, "home"),
		arch:  opts.Arch,
	}
	for _, p := range []string{d.cache, d.home} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, err
		}
	}
	// Debian's rpm keeps its database in ~/.rpmdb unless told otherwise,
	// which would put it outside the installroot.
	if err := os.WriteFile(filepath.Join(d.home, ".rpmmacros"), []byte("%_dbpath /var/lib/rpm\n"), 0o644); err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[main]\ngpgcheck=False\nrepo_gpgcheck=False\nplugins=False\ninstall_weak_deps=False\n")
	fmt.Fprintf(&b, "skip_if_unavailable=False\nreposdir=\ncachedir=%s\nkeepcache=False\n", d.cache)
	if platform != "" {
		fmt.Fprintf(&b, "module_platform_id=%s\n", platform)
	}
	fmt.Fprintf(&b, "\n[modkit-verify]\nname=repository under test\nbaseurl=file://%s\n", repo)
	for i, base := range opts.BaseRepos {
		abs, err := filepath.Abs(base)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "\n[modkit-base%d]\nname=base repository %d\nbaseurl=file://%s\n", i+1, i+1, abs)
	}
	if err := os.WriteFile(d.conf, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *dnf) env() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + d.home, "LC_ALL=C.UTF-8", "PYTHONUNBUFFERED=1"}
}

// run runs one dnf command; root "" means an installroot shared by the
// commands that do not install.
func (d *dnf) run(ctx context.Context, name, root string, args ...string) VerifyStep {
	if root == "" {
		root = filepath.Join(filepath.Dir(d.conf), "root")
	}
	full := []string{"-y", "--config=" + d.conf, "--installroot=" + root, "--releasever=1", "--setopt=cachedir=" + d.cache}
	if d.arch != "" {
		full = append(full, "--forcearch="+d.arch)
	}
	full = append(full, args...)
	s := d.exec(ctx, name, "dnf", full, append([]string{"dnf"}, args...))
	if s.OK {
		if m := dnfProblem.FindString(s.Output); m != "" {
			s.OK, s.Problem = false, "dnf exited 0 but reported: "+m
		}
	} else if os.Geteuid() != 0 && strings.Contains(s.Output, "superuser") {
		s.Problem += " (dnf needs root to install into an installroot; run as root)"
	}
	return s
}

// rpmQuery checks that pkgs are installed in root.
func (d *dnf) rpmQuery(ctx context.Context, name, root string, pkgs []string) VerifyStep {
	args := append([]string{"--root=" + root, "-q"}, pkgs...)
	return d.exec(ctx, name, "rpm", args, append([]string{"rpm", "-q"}, pkgs...))
}

func (d *dnf) exec(ctx context.Context, name, prog string, args, shown []string) VerifyStep {
	start := time.Now()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = d.env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	s := VerifyStep{Name: name, Command: shown, OK: err == nil, Output: out.String(), Duration: time.Since(start)}
	if err != nil {
		s.Problem = fmt.Sprintf("%s failed (%v)", strings.Join(shown, " "), err)
		if ctx.Err() != nil {
			s.Problem = ctx.Err().Error()
		}
	}
	return s
}
