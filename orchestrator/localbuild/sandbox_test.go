package localbuild

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modkit/modkit/internal/proc"
	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
)

// probeSpec is a package whose %build reports what it can reach.
func probeSpec(secret, state string, port int) string {
	return fmt.Sprintf(`Name: probe
Version: 1
Release: 1
Summary: s
License: MIT
BuildArch: noarch
%%description
d
%%build
echo "uid=$(id -u)"
touch /usr/modkit-probe 2>/dev/null && echo USR-WRITABLE || echo usr-read-only
touch /etc/modkit-probe 2>/dev/null && echo ETC-WRITABLE || echo etc-read-only
test -e %[1]s && echo SECRET-VISIBLE || echo secret-hidden
test -e %[2]s/modkit.db && echo STATE-VISIBLE || echo state-hidden
touch /tmp/probe && echo tmp-writable || echo TMP-NOT-WRITABLE
touch "$HOME/probe" && echo home-writable || echo HOME-NOT-WRITABLE
timeout 3 bash -c 'echo hello > /dev/tcp/127.0.0.1/%[3]d' 2>/dev/null && echo NET-REACHED || echo net-blocked
ps -e -o pid= | wc -l | sed 's/^ */processes=/'
%%files
`, secret, state, port)
}

// TestSandboxedBuild builds a package whose %build probes its sandbox:
// the system is read-only, the rest of the host's files (another file of
// the test, the state directory) are not there, the network is not
// reachable, /tmp and the build's own directories are writable.
func TestSandboxedBuild(t *testing.T) {
	t.Parallel()
	requireTools(t, append(Programs, "bwrap")...)
	ctx := context.Background()
	work := t.TempDir()
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("x"), 0o644)
	os.WriteFile(filepath.Join(work, "modkit.db"), []byte("x"), 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	reached := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			reached <- struct{}{}
			c.Close()
		}
	}()
	src := filepath.Join(work, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "probe.spec"), []byte(probeSpec(secret, work, ln.Addr().(*net.TCPAddr).Port)), 0o644)
	dir, commit := gitRepo(t, src, filepath.Join(work, "git"))

	b, err := New(&Options{Dir: filepath.Join(work, "builds"), Logger: quiet, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	mb := &orchestrator.ModuleBuild{ID: 1, Name: "m", Stream: "s", Version: "1", Context: "c"}
	if err := b.Prepare(ctx, mb, &modulemd.Stream{Name: "m", Stream: "s"}); err != nil {
		t.Fatal(err)
	}
	c := &orchestrator.ComponentBuild{ID: 1, Package: "probe", SCMURL: dir + "?#" + commit, Ref: commit}
	if _, err := b.Submit(ctx, mb, c); err != nil {
		t.Fatal(err)
	}
	r := waitFor(t, b, mb, c)
	logs, _ := filepath.Glob(filepath.Join(b.componentDir(mb, "probe"), "run-*", "build.log"))
	if len(logs) != 1 {
		t.Fatalf("build logs: %v", logs)
	}
	log, _ := os.ReadFile(logs[0])
	if r.State != orchestrator.ComponentComplete {
		t.Fatalf("state %v: %s\n%s", r.State, r.Reason, log)
	}
	for _, want := range []string{"usr-read-only", "etc-read-only", "secret-hidden", "state-hidden", "tmp-writable", "home-writable", "net-blocked", "in a bubblewrap sandbox"} {
		if !strings.Contains(string(log), "\n"+want) && !strings.Contains(string(log), "# "+want) {
			t.Errorf("build log lacks %q", want)
		}
	}
	if os.Geteuid() == 0 && !strings.Contains(string(log), fmt.Sprintf("\nuid=%d", SandboxUID)) {
		t.Errorf("run as root, the build did not run as uid %d", SandboxUID)
	}
	if _, err := os.Stat("/usr/modkit-probe"); err == nil {
		os.Remove("/usr/modkit-probe")
		t.Error("the build wrote /usr/modkit-probe")
	}
	select {
	case <-reached:
		t.Error("the build reached a TCP server on the host's loopback")
	default:
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("build log:\n%s", log)
	}
}

// TestSandboxKilledWithBuilder checks that a sandboxed build dies with the
// Builder's Close, every process of it.
func TestSandboxKilledWithBuilder(t *testing.T) {
	t.Parallel()
	requireTools(t, append(Programs, "bwrap")...)
	ctx := context.Background()
	work := t.TempDir()
	src := filepath.Join(work, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "sleeper.spec"), []byte("Name: sleeper\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\nBuildArch: noarch\n%description\nd\n%build\nsleep 600 &\nsleep 600\n%files\n"), 0o644)
	dir, commit := gitRepo(t, src, filepath.Join(work, "git"))
	b, err := New(&Options{Dir: filepath.Join(work, "builds"), Logger: quiet, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	mb := &orchestrator.ModuleBuild{ID: 1, Name: "m", Stream: "s", Version: "1", Context: "c"}
	if err := b.Prepare(ctx, mb, &modulemd.Stream{Name: "m", Stream: "s"}); err != nil {
		t.Fatal(err)
	}
	c := &orchestrator.ComponentBuild{ID: 1, Package: "sleeper", SCMURL: dir + "?#" + commit, Ref: commit}
	if _, err := b.Submit(ctx, mb, c); err != nil {
		t.Fatal(err)
	}
	var rec proc.Record
	for i := 0; i < 600 && rec.PGID == 0; i++ {
		recs, _ := proc.ReadRecords(b.procsDir())
		if len(recs) == 1 && len(tokenPIDs(recs[0].Token)) >= 3 {
			rec = recs[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rec.PGID == 0 {
		t.Fatal("the build did not start")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if left := tokenPIDs(rec.Token); len(left) != 0 {
		t.Errorf("processes %v of the sandboxed build survived Close", left)
	}
	if r, _ := readRecord(b.componentDir(mb, "sleeper")); r == nil || r.Result != nil {
		t.Errorf("Close recorded a result (%+v); the next start must build it again", r)
	}
	if _, err := b.Submit(ctx, mb, c); err == nil {
		t.Error("Submit after Close accepted")
	}
}

func tokenPIDs(token string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !strings.Contains(string(env), proc.TokenEnv+"="+token+"\x00") {
			continue
		}
		st, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		if i := strings.LastIndexByte(string(st), ')'); i >= 0 && strings.HasPrefix(string(st[i+1:]), " Z") {
			continue
		}
		var pid int
		fmt.Sscan(e.Name(), &pid)
		out = append(out, pid)
	}
	return out
}

// TestSandboxError checks that a sandbox that cannot be made is a clear
// error at New, not failed builds later.
func TestSandboxError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// bwrap failing as it does without user namespaces.
	fake := filepath.Join(dir, "bwrap")
	os.WriteFile(fake, []byte("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n"), 0o755)
	_, err := probeSandbox(context.Background(), t.TempDir(), fake)
	if !errors.Is(err, ErrSandbox) || !strings.Contains(err.Error(), "setting up uid map") || !strings.Contains(err.Error(), "user namespaces") || !strings.Contains(err.Error(), "--sandbox=false") {
		t.Errorf("with a failing bwrap: %v, want ErrSandbox with bwrap's message and the user namespace hint", err)
	}
	// bwrap that runs nothing.
	os.WriteFile(fake, []byte("#!/bin/sh\nexit 0\n"), 0o755)
	_, err = probeSandbox(context.Background(), t.TempDir(), fake)
	if !errors.Is(err, ErrSandbox) || !strings.Contains(err.Error(), "could not write") {
		t.Errorf("with a bwrap that runs nothing: %v", err)
	}
}

// TestMain lets the test binary run the sandbox probe as another user
// (TestSandboxUnprivileged).
func TestMain(m *testing.M) {
	if dir := os.Getenv("LOCALBUILD_TEST_UNPRIVILEGED_SANDBOX"); dir != "" {
		os.Exit(unprivilegedSandbox(dir))
	}
	os.Exit(m.Run())
}

// unprivilegedSandbox makes a sandbox as the current (non-root) user and
// runs a program in it that writes its work directory and probes the rest.
func unprivilegedSandbox(dir string) int {
	s, err := newSandbox(context.Background(), dir)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	cmd := s.command(context.Background(), []string{work}, nil, work, "sh", "-c",
		`echo "uid=$(id -u)"; echo hi > out && echo work-writable; touch /usr/x 2>/dev/null && echo USR-WRITABLE || echo usr-read-only; `+
			`grep -q -v '^Iface' /proc/net/route && echo NETWORK || echo no-network; grep CapEff /proc/self/status`)
	out, err := cmd.CombinedOutput()
	fmt.Print(string(out))
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	return 0
}

// TestSandboxUnprivileged runs the sandbox as an ordinary user, as a
// service not run by root does: bubblewrap then needs user namespaces.
// Run as root, the test runs itself as nobody.
func TestSandboxUnprivileged(t *testing.T) {
	t.Parallel()
	requireTools(t, "bwrap")
	dir := t.TempDir()
	exe := filepath.Join(dir, "localbuild.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "LOCALBUILD_TEST_UNPRIVILEGED_SANDBOX="+dir)
	uid := os.Getuid()
	if uid == 0 {
		uid = SandboxUID
		// The test's directories are root's and 0700: let nobody in.
		for d := dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
			os.Chmod(d, 0o755)
		}
		os.Chown(dir, SandboxUID, SandboxGID)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: SandboxUID, Gid: SandboxGID}}
		cmd.Env = append(cmd.Env, "HOME=/")
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "user namespaces") {
			// The clear error the service gives; on this machine the
			// sandbox needs root.
			testenv.SkipOrFatal(t, "unprivileged user namespaces are not available here: %s", out)
		}
		t.Fatalf("sandbox as uid %d: %v\n%s", uid, err, out)
	}
	if testing.Verbose() {
		t.Logf("as uid %d:\n%s", uid, out)
	}
	for _, want := range []string{fmt.Sprintf("uid=%d", uid), "work-writable", "usr-read-only", "no-network", "CapEff:\t0000000000000000"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestHidePaths checks that a failure reason does not name the server's
// directories when HidePaths is set (modkit serve).
func TestHidePaths(t *testing.T) {
	t.Parallel()
	requireTools(t, Programs...)
	ctx := context.Background()
	work := t.TempDir()
	src := filepath.Join(work, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "bad.spec"), []byte("Name: bad\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\nBuildArch: noarch\n%description\nd\n%build\necho \"in $PWD\"; exit 1\n%files\n"), 0o644)
	dir, commit := gitRepo(t, src, filepath.Join(work, "git"))
	b, err := New(&Options{Dir: filepath.Join(work, "builds"), Logger: quiet, HidePaths: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	mb := &orchestrator.ModuleBuild{ID: 1, Name: "m", Stream: "s", Version: "1", Context: "c"}
	if err := b.Prepare(ctx, mb, &modulemd.Stream{Name: "m", Stream: "s"}); err != nil {
		t.Fatal(err)
	}
	c := &orchestrator.ComponentBuild{ID: 1, Package: "bad", SCMURL: dir + "?#" + commit, Ref: commit}
	if _, err := b.Submit(ctx, mb, c); err != nil {
		t.Fatal(err)
	}
	r := waitFor(t, b, mb, c)
	if r.State != orchestrator.ComponentFailed || strings.Contains(r.Reason, work) || !strings.Contains(r.Reason, HiddenDir+"/1-m-s-1-c/components/bad/run-1/build.log") {
		t.Errorf("reason %q: want a failure naming %s, not %s", r.Reason, HiddenDir, work)
	}
}
