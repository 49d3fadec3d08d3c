package localbuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modkit/modkit/internal/systool"
)

// SandboxUID and SandboxGID are the user and group the sandboxed programs
// run as when the builder runs as root (nobody/nogroup on Debian and
// Fedora alike). A builder that is not root runs them as itself.
const (
	SandboxUID = 65534
	SandboxGID = 65534
)

// ErrSandbox is wrapped by New's error when Options.Sandbox is set and
// bubblewrap cannot make a sandbox on this machine.
var ErrSandbox = errors.New("the build sandbox (bubblewrap) does not work here")

// sandbox runs programs that read or build the submitter's spec (rpmspec,
// rpmbuild) inside bubblewrap: the system directories read-only, a private
// /tmp and /var/tmp, no network, no other host namespaces, only the
// component's work directory writable, and nothing else of the host's file
// system visible (not the state directory, not the home directories).
type sandbox struct {
	root  bool   // the builder runs as root: drop to SandboxUID with setpriv
	bwrap string // the bwrap program
}

// newSandbox checks the programs and that a sandbox can be made here, by
// running one (a clear error instead of failed builds later).
func newSandbox(ctx context.Context, scratch string) (*sandbox, error) {
	progs := []string{"bwrap"}
	if os.Geteuid() == 0 {
		progs = append(progs, "setpriv")
	}
	if err := systool.Check(progs...); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSandbox, err)
	}
	return probeSandbox(ctx, scratch, "bwrap")
}

// probeSandbox makes a sandbox with the bwrap program and checks that it
// works.
func probeSandbox(ctx context.Context, scratch, bwrap string) (*sandbox, error) {
	s := &sandbox{root: os.Geteuid() == 0, bwrap: bwrap}
	dir, err := os.MkdirTemp(scratch, ".sandbox-probe-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	if err := s.prepare(dir); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// The probe writes in its directory and must not reach the network.
	cmd := s.command(ctx, []string{dir}, nil, dir, "sh", "-c", "echo ok > probe && ! cat /proc/net/route 2>/dev/null | grep -q -v '^Iface'")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: %v%s", ErrSandbox, err, sandboxHint(out.String()))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "probe")); err != nil || string(b) != "ok\n" {
		return nil, fmt.Errorf("%w: the probe could not write its work directory (%v)", ErrSandbox, err)
	}
	return s, nil
}

// sandboxHint explains bwrap's usual failures.
func sandboxHint(out string) string {
	out = strings.TrimSpace(out)
	hint := ""
	switch {
	case strings.Contains(out, "uid map"), strings.Contains(out, "namespace"), strings.Contains(out, "Operation not permitted"):
		hint = "; bubblewrap needs user namespaces when not run as root: they are disabled or blocked here " +
			"(check sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone, kernel.apparmor_restrict_unprivileged_userns, " +
			"or the container's seccomp profile); run the service as root, allow them, or turn the sandbox off (modkit serve --sandbox=false) " +
			"to build unconfined"
	}
	if out != "" {
		return " (bwrap: " + out + ")" + hint
	}
	return hint
}

// prepare makes the directory tree at dir writable by the sandbox's user.
func (s *sandbox) prepare(dir string) error {
	if !s.root {
		return nil
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, SandboxUID, SandboxGID)
	})
}

// systemDirs are bound read-only when they exist (a symbolic link such as
// /bin -> usr/bin on merged-/usr systems is recreated as a link).
var systemDirs = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt"}

// args returns bwrap's arguments to run argv with rw writable and ro
// readable (files or directories), in dir.
func (s *sandbox) args(rw, ro []string, dir string, argv []string) []string {
	a := []string{}
	for _, d := range systemDirs {
		st, err := os.Lstat(d)
		switch {
		case err != nil:
		case st.Mode()&fs.ModeSymlink != 0:
			if target, err := os.Readlink(d); err == nil {
				a = append(a, "--symlink", target, d)
			}
		case st.IsDir():
			a = append(a, "--ro-bind", d, d)
		}
	}
	a = append(a, "--dev", "/dev", "--proc", "/proc",
		"--perms", "1777", "--tmpfs", "/tmp", "--perms", "1777", "--tmpfs", "/var/tmp")
	// bwrap makes the missing parents of a mount point 0700, which the
	// sandbox's user cannot traverse: make them 0755 first.
	made := map[string]bool{"/": true, "/tmp": true, "/var/tmp": true, "/dev": true, "/proc": true}
	for _, d := range systemDirs {
		made[d] = true
	}
	for _, p := range append(slices.Clone(ro), rw...) {
		var parents []string
		for d := filepath.Dir(p); !made[d] && d != "."; d = filepath.Dir(d) {
			if underSystemDir(d) {
				break
			}
			parents = append(parents, d)
		}
		for i := len(parents) - 1; i >= 0; i-- {
			a = append(a, "--perms", "0755", "--dir", parents[i])
			made[parents[i]] = true
		}
	}
	for _, p := range ro {
		a = append(a, "--ro-bind", p, p)
	}
	for _, p := range rw {
		a = append(a, "--bind", p, p)
	}
	a = append(a, "--chdir", dir,
		"--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
		"--die-with-parent")
	if s.root {
		// Mounts are made as root (no user namespace needed); the
		// program runs as nobody without capabilities. setpriv needs
		// these three to switch user and empty the bounding set.
		a = append(a, "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP",
			"--", "setpriv", "--reuid", strconv.Itoa(SandboxUID), "--regid", strconv.Itoa(SandboxGID), "--clear-groups",
			"--inh-caps=-all", "--bounding-set=-all", "--")
	} else {
		a = append(a, "--unshare-user", "--cap-drop", "ALL", "--")
	}
	return append(a, argv...)
}

// underSystemDir reports whether d is inside a directory bound from the
// host (it exists there with the host's permissions).
func underSystemDir(d string) bool {
	for _, s := range systemDirs {
		if strings.HasPrefix(d, s+"/") {
			return true
		}
	}
	return false
}

// command is exec.CommandContext of argv inside the sandbox.
func (s *sandbox) command(ctx context.Context, rw, ro []string, dir string, argv ...string) *exec.Cmd {
	return exec.CommandContext(ctx, s.bwrap, s.args(rw, ro, dir, argv)...)
}
