package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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
