package localbuild

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/modkit/modkit/internal/proc"
	"github.com/modkit/modkit/internal/rpmver"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/pungi"
)

// specBuildRequires returns the BuildRequires of spec (rpmspec -q
// --buildrequires with the build's macros).
func (b *Builder) specBuildRequires(ctx context.Context, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild, spec string, macros []string) ([]string, error) {
	macrosFile := b.macrosFile(mb)
	args := append([]string{"-q", "--buildrequires"}, macros...)
	args = append(args, spec)
	var cmd *exec.Cmd
	if b.sandbox != nil {
		// Parsing a spec runs its %(...) shell expansions: sandboxed too,
		// with the spec's directory and the macros file read-only.
		dir := filepath.Dir(spec)
		cmd = b.sandbox.command(ctx, nil, []string{dir, macrosFile}, dir, append([]string{"rpmspec"}, args...)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=/tmp", "LC_ALL=C"}
	} else {
		cmd = exec.CommandContext(ctx, "rpmspec", args...)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
	}
	setProcessGroup(cmd)
	token := proc.NewToken()
	cmd.Env = append(cmd.Env, proc.TokenEnv+"="+token)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	end := b.tool("rpmspec")
	err := cmd.Start()
	if err == nil {
		// Recorded like rpmbuild: a spec's %(...) may run anything.
		done := b.recordGroup(cmd.Process.Pid, token, mb, c, "rpmspec", "")
		err = cmd.Wait()
		done()
	}
	end()
	if err != nil {
		return nil, fmt.Errorf("rpmspec cannot parse %s: %s", filepath.Base(spec), strings.TrimSpace(stderr.String()))
	}
	var reqs []string
	for _, l := range strings.Split(stdout.String(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			reqs = append(reqs, l)
		}
	}
	return reqs, nil
}

// resolveBuildRequires checks every requirement of reqs (see the package
// documentation) and returns the RPMs of this module (and of Options.Repos)
// that must be unpacked into the sysroot. It fails with the list of
// requirements nothing satisfies.
func (b *Builder) resolveBuildRequires(ctx context.Context, mb *orchestrator.ModuleBuild, reqs []string, log io.Writer) ([]pungi.RPM, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	avail, err := b.availableRPMs(ctx, mb)
	if err != nil {
		return nil, err
	}
	var need []pungi.RPM
	var missing []string
	for _, req := range reqs {
		if p := findProvider(avail, req); p != nil {
			fmt.Fprintf(log, "# BuildRequires %s: %s (built earlier)\n", req, filepath.Base(p.Path))
			need = append(need, *p)
			continue
		}
		if how, ok := b.hostProvides(ctx, req); ok {
			fmt.Fprintf(log, "# BuildRequires %s: %s\n", req, how)
			continue
		}
		fmt.Fprintf(log, "# BuildRequires %s: NOT SATISFIED\n", req)
		missing = append(missing, req)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("BuildRequires not satisfiable: %s (not built by an earlier batch of this module, not in the host's rpm database, not a program or file on the host; the local builder installs nothing on the host)", strings.Join(missing, ", "))
	}
	// What the needed RPMs require from the same set, transitively.
	for i := 0; i < len(need); i++ {
		for _, req := range need[i].Requires {
			if p := findProvider(avail, req); p != nil && !slices.ContainsFunc(need, func(r pungi.RPM) bool { return r.Path == p.Path }) {
				need = append(need, *p)
			}
		}
	}
	slices.SortFunc(need, func(a, b pungi.RPM) int { return strings.Compare(a.Path, b.Path) })
	return slices.CompactFunc(need, func(a, b pungi.RPM) bool { return a.Path == b.Path }), nil
}

// availableRPMs reads the binary RPMs of the module's build repository and
// of Options.Repos.
func (b *Builder) availableRPMs(ctx context.Context, mb *orchestrator.ModuleBuild) ([]pungi.RPM, error) {
	var files []string
	for _, dir := range append([]string{b.buildRepoDir(mb)}, b.opts.Repos...) {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".rpm") && !strings.HasSuffix(p, ".src.rpm") {
				files = append(files, p)
			}
			return nil
		})
	}
	rpms, err := pungi.ReadRPMs(ctx, files)
	if err != nil {
		return nil, err
	}
	return rpms, nil
}

// dep is a parsed "name [op evr]" requirement or provide.
type dep struct {
	name, op, evr string
}

func parseDep(s string) dep {
	f := strings.Fields(s)
	if len(f) == 3 {
		return dep{name: f[0], op: f[1], evr: f[2]}
	}
	return dep{name: s}
}

// findProvider returns an RPM of rpms whose provides satisfy req, the
// highest version first.
func findProvider(rpms []pungi.RPM, req string) *pungi.RPM {
	r := parseDep(req)
	var best *pungi.RPM
	for i := range rpms {
		for _, p := range rpms[i].Provides {
			if satisfies(parseDep(p), r) {
				if best == nil || rpmver.CompareEVRStrings(evrOf(&rpms[i]), evrOf(best)) > 0 {
					best = &rpms[i]
				}
				break
			}
		}
	}
	return best
}

func evrOf(r *pungi.RPM) string {
	return fmt.Sprintf("%d:%s-%s", r.Epoch, r.Version, r.Release)
}

// satisfies reports whether provide p satisfies requirement r, comparing
// releases only when both sides have one (as rpm does).
func satisfies(p, r dep) bool {
	if p.name != r.name {
		return false
	}
	if r.op == "" || p.op == "" {
		return true
	}
	pe, err1 := rpmver.ParseEVR(p.evr)
	re, err2 := rpmver.ParseEVR(r.evr)
	if err1 != nil || err2 != nil || p.op != "=" {
		return false
	}
	if pe.Release == "" || re.Release == "" {
		pe.Release, re.Release = "", ""
	}
	c := rpmver.CompareEVR(pe, re)
	switch r.op {
	case "=":
		return c == 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// hostProvides checks req against the host: its rpm database, a file path,
// or a program on PATH (hosts such as Debian have an empty rpm database).
func (b *Builder) hostProvides(ctx context.Context, req string) (string, bool) {
	if strings.HasPrefix(req, "(") {
		return "", false // rich dependencies are not evaluated
	}
	cmd := exec.CommandContext(ctx, "rpm", "-q", "--whatprovides", req)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	end := b.tool("rpm")
	out, err := cmd.Output()
	end()
	if err == nil {
		return "host package " + strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0]), true
	}
	d := parseDep(req)
	if strings.HasPrefix(d.name, "/") {
		if _, err := os.Stat(d.name); err == nil {
			return "host file", true
		}
		return "", false
	}
	if d.op == "" {
		if p, err := exec.LookPath(d.name); err == nil {
			return "host program " + p, true
		}
	}
	return "", false
}

// installSysroot unpacks rpms into dir, the files a spec reaches through
// %modkit_sysroot: in Go (unpackRPMs), or with rpm --root (no scripts, no
// dependency checks) for a payload that cannot be read so.
func (b *Builder) installSysroot(ctx context.Context, dir string, rpms []pungi.RPM, log io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	paths := make([]string, len(rpms))
	for i, r := range rpms {
		paths[i] = r.Path
	}
	fmt.Fprintf(log, "# unpacking into %s: %s\n", dir, strings.Join(paths, " "))
	err := unpackRPMs(dir, paths)
	if err == nil {
		return nil
	}
	fmt.Fprintf(log, "# %v; letting rpm unpack them\n", err)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	args := []string{"--root=" + dir, "--dbpath=/var/lib/rpm", "-i", "--nodeps", "--noscripts", "--notriggers", "--nosignature", "--nodigest", "--ignorearch", "--"}
	for _, r := range rpms {
		args = append(args, r.Path)
	}
	fmt.Fprintf(log, "$ rpm %s\n", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "rpm", args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	end := b.tool("rpm")
	err = cmd.Run()
	end()
	log.Write(out.Bytes())
	if err != nil {
		return fmt.Errorf("rpm -i into %s: %v: %s", dir, err, strings.TrimSpace(out.String()))
	}
	return nil
}
