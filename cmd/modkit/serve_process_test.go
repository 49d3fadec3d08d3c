package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modkit/modkit/internal/proc"
	"github.com/modkit/modkit/internal/testenv"
)

// TestMain lets the test binary run as the modkit command itself
// (MODKIT_TEST_RUN_MAIN=1), so tests can start real modkit processes.
func TestMain(m *testing.M) {
	if os.Getenv("MODKIT_TEST_RUN_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// modkitProc is a modkit process started by a test.
type modkitProc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	lines  chan string // stderr, line by line
}

// startModkit starts "modkit args..." as a separate process; it is killed
// at the end of the test.
func startModkit(t *testing.T, args ...string) *modkitProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "MODKIT_TEST_RUN_MAIN=1")
	pr, pw := io.Pipe()
	p := &modkitProc{cmd: cmd, stderr: &syncBuffer{}, lines: make(chan string, 1000)}
	cmd.Stderr = io.MultiWriter(pw, p.stderr)
	cmd.Stdout = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		pw.Close()
	})
	return p
}

// waitLine waits for a stderr line containing s.
func (p *modkitProc) waitLine(t *testing.T, s string, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l := <-p.lines:
			if strings.Contains(l, s) {
				return l
			}
		case <-deadline:
			t.Fatalf("no line with %q after %s; stderr:\n%s", s, timeout, p.stderr.String())
		}
	}
}

// exit waits for the process to end and returns its status.
func (p *modkitProc) exit(t *testing.T, timeout time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		t.Fatalf("process did not exit after %s; stderr:\n%s", timeout, p.stderr.String())
		return -1
	}
}

// TestStateDirLock starts a real serve process and checks that a second
// serve, and a build, on the same state directory are refused with the
// PID of the first, and that the directory is free once it stopped.
func TestStateDirLock(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "state")
	first := startModkit(t, "serve", "--auth", "none", "--builder", "zero", "--platform", "f40", "--listen", "127.0.0.1:0", "--state-dir", state)
	first.waitLine(t, "listening on", 30*time.Second)
	want := fmt.Sprintf("modkit: state directory %s in use by PID %d", state, first.cmd.Process.Pid)

	second := startModkit(t, "serve", "--auth", "none", "--builder", "zero", "--platform", "f40", "--listen", "127.0.0.1:0", "--state-dir", state)
	if code := second.exit(t, 30*time.Second); code != 1 || !strings.Contains(second.stderr.String(), want) {
		t.Errorf("second serve: exit %d, stderr:\n%s\nwant exit 1 with %q", code, second.stderr.String(), want)
	}
	def := filepath.Join(t.TempDir(), "m.yaml")
	os.WriteFile(def, []byte("document: modulemd\nversion: 2\ndata:\n  name: m\n  stream: s\n  summary: s\n  description: d\n  license: {module: [MIT]}\n"), 0o644)
	build := startModkit(t, "build", "--state-dir", state, def)
	if code := build.exit(t, 30*time.Second); code != 1 || !strings.Contains(build.stderr.String(), want) {
		t.Errorf("build beside serve: exit %d, stderr:\n%s\nwant exit 1 with %q", code, build.stderr.String(), want)
	}

	// Stopped (SIGTERM), the first releases the directory.
	first.cmd.Process.Signal(syscall.SIGTERM)
	if code := first.exit(t, 30*time.Second); code != 0 {
		t.Errorf("serve after SIGTERM: exit %d\n%s", code, first.stderr.String())
	}
	third := startModkit(t, "serve", "--auth", "none", "--builder", "zero", "--platform", "f40", "--listen", "127.0.0.1:0", "--state-dir", state)
	third.waitLine(t, "listening on", 30*time.Second)
}

// tokenProcs lists the live processes whose environment carries the
// process-group token of a build (internal/proc.TokenEnv).
func tokenProcs(token string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil || strings.Contains(string(st[strings.LastIndexByte(string(st), ')')+1:]), " Z ") {
			continue
		}
		env, _ := os.ReadFile("/proc/" + e.Name() + "/environ")
		if bytes.Contains(env, []byte(proc.TokenEnv+"="+token+"\x00")) {
			out = append(out, pid)
		}
	}
	return out
}

// buildRecord waits for the process-group record of pkg's rpmbuild in
// the state directory and for a process of the build running "sleep".
func buildRecord(t *testing.T, state, pkg string, p *modkitProc) proc.Record {
	t.Helper()
	for i := 0; i < 1200; i++ {
		recs, _ := proc.ReadRecords(filepath.Join(state, "builds", "procs"))
		for _, r := range recs {
			if !strings.Contains(string(r.Extra), `"package":"`+pkg+`"`) {
				continue
			}
			for _, pid := range tokenProcs(r.Token) {
				if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); bytes.HasPrefix(cmdline, []byte("sleep\x00")) {
					return r
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no rpmbuild of %s running; stderr:\n%s", pkg, p.stderr.String())
	return proc.Record{}
}

func waitNoProcs(t *testing.T, token string, timeout time.Duration) []int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		left := tokenProcs(token)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sleeperModule makes a git repository of a package whose %build sleeps
// for ten minutes, under dir/rpms, and returns a module building it.
func sleeperModule(t *testing.T, dir string) string {
	t.Helper()
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	spec := "Name: sleeper\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\nBuildArch: noarch\n%description\nd\n%build\nsleep 600\n%files\n"
	if err := os.WriteFile(filepath.Join(src, "sleeper.spec"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	commitTree(t, src, filepath.Join(dir, "rpms", "sleeper"), "main")
	return `document: modulemd
version: 2
data:
  name: sleepy
  stream: "1"
  summary: s
  description: d
  license: {module: [MIT]}
  dependencies:
  - buildrequires: {platform: [f40]}
  components:
    rpms:
      sleeper: {rationale: x, ref: main}
`
}

func httpJSON(t *testing.T, method, url, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// TestServeCrashKillsBuilds kills a serve with SIGKILL during a build,
// checks that the build's processes are gone once the service is
// restarted on the same state directory and that the affected component
// says so, then stops the restarted service with SIGTERM and checks that
// it killed and reaped the build it had started again.
func TestServeCrashKillsBuilds(t *testing.T) {
	t.Parallel()
	requireBuildTools(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	yaml := sleeperModule(t, dir)
	addr := freeAddr(t)
	server := "http://" + addr + "/module-build-service/2/"
	args := []string{"serve", "--auth", "none", "--platform", "f40", "--allow-yaml", "--listen", addr, "--state-dir", state,
		"--rpms-base", "file://" + filepath.Join(dir, "rpms") + "/", "--sandbox=false"}
	first := startModkit(t, args...)
	first.waitLine(t, "listening on", 60*time.Second)
	body, _ := json.Marshal(map[string]any{"modulemd": yaml})
	if st := httpJSON(t, "POST", server+"module-builds/", string(body), nil); st != http.StatusCreated {
		t.Fatalf("submit: %d\n%s", st, first.stderr.String())
	}
	rec := buildRecord(t, state, "sleeper", first)

	first.cmd.Process.Signal(syscall.SIGKILL)
	first.exit(t, 10*time.Second)
	// Without a sandbox nothing ties the build to the service: it runs on.
	time.Sleep(200 * time.Millisecond)
	if len(tokenProcs(rec.Token)) == 0 {
		t.Fatal("the build ended with the killed service; the restart has nothing to clean up (test broken?)")
	}

	second := startModkit(t, args...)
	second.waitLine(t, "listening on", 60*time.Second)
	if left := tokenProcs(rec.Token); len(left) != 0 {
		t.Fatalf("processes %v of the crashed service's build survived the restart", left)
	}
	var comps struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	httpJSON(t, "GET", server+"component-builds/?package=sleeper", "", &comps)
	if len(comps.Items) != 1 {
		t.Fatalf("component builds of sleeper: %+v", comps)
	}
	var msgs struct {
		Items []struct {
			Message string `json:"message"`
		} `json:"messages"`
	}
	found := false
	for i := 0; i < 200 && !found; i++ {
		httpJSON(t, "GET", fmt.Sprintf("%scomponent-builds/%d/messages", server, comps.Items[0].ID), "", &msgs)
		for _, m := range msgs.Items {
			if strings.Contains(m.Message, "Crash recovery") && strings.Contains(m.Message, "sleeper") && strings.Contains(m.Message, "killed the") {
				found = true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !found {
		t.Errorf("no crash recovery message on the component: %+v\n%s", msgs, second.stderr.String())
	}

	// The restarted service builds the component again; SIGTERM stops
	// that build with it.
	rec2 := buildRecord(t, state, "sleeper", second)
	if rec2.Token == rec.Token {
		t.Fatal("the same build record after the restart")
	}
	second.cmd.Process.Signal(syscall.SIGTERM)
	if code := second.exit(t, 30*time.Second); code != 0 {
		t.Errorf("serve after SIGTERM: exit %d\n%s", code, second.stderr.String())
	}
	if left := tokenProcs(rec2.Token); len(left) != 0 {
		t.Errorf("processes %v of the build survived SIGTERM of the service", left)
	}
	if recs, _ := proc.ReadRecords(filepath.Join(state, "builds", "procs")); len(recs) != 0 {
		t.Errorf("process-group records left after a clean stop: %+v", recs)
	}
}

// TestServeCrashSandboxed kills a serve with SIGKILL during a sandboxed
// build: the sandbox dies with the service at once, before any restart;
// the restarted service records the interruption on the component.
func TestServeCrashSandboxed(t *testing.T) {
	t.Parallel()
	requireBuildTools(t)
	testenv.RequireTools(t, "bwrap")
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	yaml := sleeperModule(t, dir)
	addr := freeAddr(t)
	server := "http://" + addr + "/module-build-service/2/"
	args := []string{"serve", "--auth", "none", "--platform", "f40", "--allow-yaml", "--listen", addr, "--state-dir", state,
		"--rpms-base", "file://" + filepath.Join(dir, "rpms") + "/"}
	first := startModkit(t, args...)
	first.waitLine(t, "listening on", 60*time.Second)
	if strings.Contains(first.stderr.String(), "WARNING") {
		t.Errorf("warnings on loopback with the sandbox:\n%s", first.stderr.String())
	}
	body, _ := json.Marshal(map[string]any{"modulemd": yaml})
	if st := httpJSON(t, "POST", server+"module-builds/", string(body), nil); st != http.StatusCreated {
		t.Fatalf("submit: %d\n%s", st, first.stderr.String())
	}
	rec := buildRecord(t, state, "sleeper", first)
	first.cmd.Process.Signal(syscall.SIGKILL)
	first.exit(t, 10*time.Second)
	if left := waitNoProcs(t, rec.Token, 5*time.Second); len(left) != 0 {
		t.Fatalf("processes %v of the sandboxed build outlived the killed service", left)
	}
	second := startModkit(t, args...)
	second.waitLine(t, "listening on", 60*time.Second)
	found := false
	for i := 0; i < 200 && !found; i++ {
		var msgs struct {
			Items []struct {
				Message string `json:"message"`
			} `json:"messages"`
		}
		httpJSON(t, "GET", server+"module-builds/1/messages", "", &msgs)
		for _, m := range msgs.Items {
			found = found || strings.Contains(m.Message, "Crash recovery") && strings.Contains(m.Message, "none of its processes was left")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !found {
		t.Errorf("no crash recovery message on module build 1\n%s", second.stderr.String())
	}
	second.cmd.Process.Signal(syscall.SIGTERM)
	second.exit(t, 30*time.Second)
}

// TestServeNoAuthWarning checks the warning for --auth none on an address
// other than loopback.
func TestServeNoAuthWarning(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		listen string
		warn   bool
	}{{"127.0.0.1:0", false}, {"0.0.0.0:0", true}, {"[::1]:0", false}} {
		p := startModkit(t, "serve", "--auth", "none", "--builder", "zero", "--platform", "f40", "--listen", c.listen, "--state-dir", t.TempDir())
		p.waitLine(t, "listening on", 30*time.Second)
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.exit(t, 30*time.Second)
		out := p.stderr.String()
		if got := strings.Contains(out, "WARNING: --auth none on") && strings.Contains(out, "not a loopback address"); got != c.warn {
			t.Errorf("--listen %s: warning %v, want %v:\n%s", c.listen, got, c.warn, out)
		}
	}
}

// TestBuildInterruptKillsBuilds interrupts modkit build (Ctrl-C) during an
// rpmbuild: it exits 130 and no process of the build survives it.
func TestBuildInterruptKillsBuilds(t *testing.T) {
	t.Parallel()
	requireBuildTools(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	def := filepath.Join(dir, "sleepy.yaml")
	if err := os.WriteFile(def, []byte(sleeperModule(t, dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startModkit(t, "build", "--state-dir", state, "--rpms-base", "file://"+filepath.Join(dir, "rpms")+"/", def)
	rec := buildRecord(t, state, "sleeper", p)
	p.cmd.Process.Signal(os.Interrupt)
	if code := p.exit(t, 30*time.Second); code != 130 {
		t.Errorf("build after Ctrl-C: exit %d, want 130\n%s", code, p.stderr.String())
	}
	if left := tokenProcs(rec.Token); len(left) != 0 {
		t.Errorf("processes %v of the build survived the interrupted modkit build", left)
	}
}
