package localbuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modkit/modkit/internal/proc"
	"github.com/modkit/modkit/internal/scm"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/pungi"
)

// build runs one attempt of c and returns its result; it never panics on
// bad input and always returns a state.
func (b *Builder) build(ctx context.Context, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild, cdir string, r *record) orchestrator.ComponentResult {
	run := filepath.Join(cdir, "run-"+strconv.Itoa(r.Attempt))
	logPath := filepath.Join(run, "build.log")
	fail := func(format string, args ...any) orchestrator.ComponentResult {
		reason := fmt.Sprintf(format, args...)
		if ctx.Err() != nil {
			return orchestrator.ComponentResult{State: orchestrator.ComponentCanceled, Reason: "canceled"}
		}
		b.log.Warn("component build failed", "nsvc", mb.NSVC(), "package", c.Package, "reason", reason)
		if b.opts.HidePaths {
			reason = strings.ReplaceAll(reason, b.dir, HiddenDir)
		}
		return orchestrator.ComponentResult{State: orchestrator.ComponentFailed, Reason: reason}
	}
	_ = os.RemoveAll(run)
	src, top, home, sysroot := filepath.Join(run, "src"), filepath.Join(run, "topdir"), filepath.Join(run, "home"), filepath.Join(run, "sysroot")
	for _, d := range []string{top, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fail("%v", err)
		}
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return fail("%v", err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "# %s of module %s, attempt %d, started %s\n", c.Package, mb.NSVC(), r.Attempt, time.Now().UTC().Format(time.RFC3339))

	// Sources, and the BuildRequires when Prefetch read them already.
	var spec string
	var reqs []string
	prefetched := false
	if p := b.takePrefetch(ctx, cdir, c); p != nil {
		if p.err == nil && os.Rename(filepath.Join(p.dir, "src"), src) == nil {
			spec, reqs, prefetched = filepath.Join(src, p.spec), p.reqs, true
			fmt.Fprintf(logf, "# sources exported and BuildRequires read while earlier batches built\n")
		}
		_ = os.RemoveAll(p.dir)
	}
	if !prefetched {
		_ = os.RemoveAll(src)
		err = b.fetch(ctx, mb, c, src)
		if err != nil {
			fmt.Fprintf(logf, "%v\n", err)
			return fail("fetching the sources of %s: %v", c.Package, err)
		}
		spec, err = findSpec(src, c.Package)
		if err != nil {
			return fail("%v", err)
		}
	}

	// Wait for a job slot.
	select {
	case b.jobs <- struct{}{}:
		defer func() { <-b.jobs }()
	case <-ctx.Done():
		return fail("canceled")
	}

	macros := b.rpmMacros(mb, top, src)

	// BuildRequires (the generated module-build-macros spec has none).
	if !prefetched && (c.Package != orchestrator.MacrosPackage || c.SCMURL != "") {
		reqs, err = b.specBuildRequires(ctx, mb, c, spec, macros)
	}
	var needed []pungi.RPM
	if err == nil {
		needed, err = b.resolveBuildRequires(ctx, mb, reqs, logf)
	}
	if err == nil && len(needed) > 0 {
		err = b.installSysroot(ctx, sysroot, needed, logf)
		if err != nil {
			err = fmt.Errorf("preparing the buildroot: %w", err)
		}
	}
	if err != nil {
		return fail("%s: %v", c.Package, err)
	}
	if len(needed) > 0 {
		macros = append(macros, "--define", "modkit_sysroot "+sysroot)
	}

	// rpmbuild.
	args := append([]string{"-ba", "--nodeps"}, macros...)
	args = append(args, spec)
	fmt.Fprintf(logf, "$ rpmbuild %s\n", strings.Join(args, " "))
	endRPM := b.usage.Start("rpmbuild")
	start := time.Now()
	var cmd *exec.Cmd
	if b.sandbox != nil {
		// Only the run directory is writable (sources, topdir, home,
		// sysroot and TMPDIR are in it); the macros file is read.
		if err := b.sandbox.prepare(run); err != nil {
			return fail("preparing the sandbox of %s: %v", c.Package, err)
		}
		fmt.Fprintf(logf, "# in a bubblewrap sandbox: read-only system, no network, only %s writable\n", run)
		cmd = b.sandbox.command(ctx, []string{run}, []string{b.macrosFile(mb)}, src, append([]string{"rpmbuild"}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, "rpmbuild", args...)
		cmd.Dir = src
	}
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LC_ALL=C", "TMPDIR=" + run}
	var tail tailBuffer
	cmd.Stdout = io.MultiWriter(logf, &tail)
	cmd.Stderr = cmd.Stdout
	setProcessGroup(cmd)
	// The token marks every process of the build, so that one left behind
	// is recognised even after rpmbuild itself is gone.
	token := proc.NewToken()
	cmd.Env = append(cmd.Env, proc.TokenEnv+"="+token)
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Start()
	if err == nil {
		done := b.recordGroup(cmd.Process.Pid, token, mb, c, "rpmbuild", r.TaskID)
		err = cmd.Wait()
		done()
	}
	elapsed := time.Since(start)
	endRPM()
	r.RPMBuildSeconds = elapsed.Seconds()
	fmt.Fprintf(logf, "# rpmbuild took %.2f s\n", elapsed.Seconds())
	if err != nil {
		return fail("rpmbuild failed for %s (%v); the end of %s:\n%s", c.Package, err, logPath, tail.String())
	}
	_ = os.RemoveAll(filepath.Join(top, "BUILDROOT"))
	_ = os.RemoveAll(filepath.Join(top, "BUILD"))

	// Results.
	var files []string
	for _, pat := range []string{filepath.Join(top, "SRPMS", "*.rpm"), filepath.Join(top, "RPMS", "*", "*.rpm")} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if len(files) == 0 {
		return fail("rpmbuild produced no RPMs for %s", c.Package)
	}
	rpms, err := pungi.ReadRPMs(ctx, files)
	if err != nil {
		return fail("%v", err)
	}
	res := orchestrator.ComponentResult{State: orchestrator.ComponentComplete}
	for _, p := range rpms {
		if p.IsSource() {
			res.NVR = p.NVR()
		}
		res.RPMs = append(res.RPMs, p.NEVRA().String())
		if p.License != "" && p.License != "(none)" {
			res.Licenses = append(res.Licenses, p.License)
		}
		rel, _ := filepath.Rel(cdir, p.Path)
		r.Files = append(r.Files, rel)
	}
	slices.Sort(res.RPMs)
	slices.Sort(res.Licenses)
	res.Licenses = slices.Compact(res.Licenses)
	slices.Sort(r.Files)
	fmt.Fprintf(logf, "# built %s: %s\n", res.NVR, strings.Join(res.RPMs, " "))
	b.log.Info("component built", "nsvc", mb.NSVC(), "package", c.Package, "nvr", res.NVR, "seconds", fmt.Sprintf("%.2f", elapsed.Seconds()))
	return res
}

// rpmMacros are the rpmbuild and rpmspec options of a build in top with
// the sources in src.
func (b *Builder) rpmMacros(mb *orchestrator.ModuleBuild, top, src string) []string {
	return []string{"--define", "_topdir " + top, "--define", "_sourcedir " + src, "--define", "_specdir " + src,
		"--define", "_build_id_links none", "--load", b.macrosFile(mb)}
}

// fetch puts c's sources into dir: the pinned commit of its git repository,
// or the files of a generated directory (module-build-macros).
func (b *Builder) fetch(ctx context.Context, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild, dir string) error {
	repo, commit := splitSCMURL(c.SCMURL, c.Ref)
	generated := filepath.Join(b.ModuleDir(mb), orchestrator.MacrosPackage)
	if repo == "" {
		if c.Package == orchestrator.MacrosPackage || c.BuildTimeOnly {
			return copyTree(generated, dir)
		}
		return errors.New("the component has no repository (SCMURL is empty)")
	}
	if p, ok := scm.LocalPath(repo); ok && !scm.IsCommit(commit) {
		// A generated directory, not a git repository.
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return fmt.Errorf("%s is not a directory", p)
		}
		if _, err := os.Stat(filepath.Join(p, ".git")); err == nil {
			return fmt.Errorf("%s is a git repository but the component has no pinned commit (ref %q)", repo, commit)
		}
		return copyTree(p, dir)
	}
	if !scm.IsCommit(commit) {
		return fmt.Errorf("the ref of %s is %q, not a pinned commit hash", repo, commit)
	}
	if b.timeGit {
		defer b.tool("git")()
	}
	return b.git.Export(ctx, repo, commit, dir)
}

// splitSCMURL splits "repo?#commit" (or "repo#commit"); ref is used when
// the URL has no fragment.
func splitSCMURL(u, ref string) (repo, commit string) {
	if i := strings.LastIndex(u, "#"); i >= 0 {
		repo, commit = u[:i], u[i+1:]
		repo = strings.TrimSuffix(repo, "?")
	} else {
		repo = u
	}
	if commit == "" {
		commit = ref
	}
	return repo, commit
}

// findSpec returns <pkg>.spec at the top of dir, else the only *.spec there.
func findSpec(dir, pkg string) (string, error) {
	want := filepath.Join(dir, pkg+".spec")
	if _, err := os.Stat(want); err == nil {
		return want, nil
	}
	m, _ := filepath.Glob(filepath.Join(dir, "*.spec"))
	switch len(m) {
	case 1:
		return m[0], nil
	case 0:
		return "", fmt.Errorf("no spec file in the repository of %s: expected %s.spec at the top of the tree", pkg, pkg)
	default:
		names := make([]string, len(m))
		for i, p := range m {
			names[i] = filepath.Base(p)
		}
		return "", fmt.Errorf("the repository of %s has several spec files (%s) and none is named %s.spec", pkg, strings.Join(names, ", "), pkg)
	}
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		t := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(t, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, t)
		default:
			info, err := d.Info()
			if err != nil {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(t, data, info.Mode().Perm())
		}
	})
}

// tailBuffer keeps the last lines written to it.
type tailBuffer struct{ buf bytes.Buffer }

const tailBytes = 2000

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf.Write(p)
	if t.buf.Len() > 4*tailBytes {
		b := t.buf.Bytes()
		keep := append([]byte(nil), b[len(b)-tailBytes:]...)
		t.buf.Reset()
		t.buf.Write(keep)
	}
	return len(p), nil
}

// String returns up to the last 15 lines.
func (t *tailBuffer) String() string {
	lines := strings.Split(strings.TrimRight(t.buf.String(), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}
