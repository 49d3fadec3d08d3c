//go:build linux

package proc

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as a second process holding a lock.
func TestMain(m *testing.M) {
	if dir := os.Getenv("PROC_TEST_HOLD_LOCK"); dir != "" {
		if _, err := Lock(dir); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestLockTwoProcesses takes the lock in another process, checks that this
// one is refused with that process's PID, and that the lock is free again
// once the holder is killed with SIGKILL.
func TestLockTwoProcesses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PROC_TEST_HOLD_LOCK="+dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper: %q", line)
	}
	_, err := Lock(dir)
	var ie *InUseError
	if !errors.As(err, &ie) || ie.PID != cmd.Process.Pid || !errors.Is(err, ErrInUse) {
		t.Fatalf("Lock while another process holds it: %v, want in use by PID %d", err, cmd.Process.Pid)
	}
	if want := fmt.Sprintf("state directory %s in use by PID %d", dir, cmd.Process.Pid); err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	l, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after the holder died: %v", err)
	}
	if b, _ := os.ReadFile(dir + "/" + LockFile); strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q, want our PID", b)
	}
	if _, err := Lock(dir); !errors.Is(err, ErrInUse) {
		t.Errorf("second Lock in the same process: %v, want in use", err)
	}
	l.Unlock()
	l2, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after Unlock: %v", err)
	}
	l2.Unlock()
}

// startGroup starts sh in its own process group with two background
// sleeps that outlive it when detach is set.
func startGroup(t *testing.T, token string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sh", "-c", "sleep 300 & sleep 300 & wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(), TokenEnv+"="+token)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	return cmd
}

func alive(pgid int) []int {
	m, _ := groupMembers(pgid)
	return m
}

func waitMembers(t *testing.T, pgid, n int) {
	t.Helper()
	for i := 0; i < 500 && len(alive(pgid)) < n; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if got := len(alive(pgid)); got < n {
		t.Fatalf("group %d has %d processes, want %d", pgid, got, n)
	}
}

func TestKillStale(t *testing.T) {
	t.Parallel()
	tok := NewToken()
	cmd := startGroup(t, tok)
	pgid := cmd.Process.Pid
	waitMembers(t, pgid, 3)
	g, err := Describe(pgid, tok)
	if err != nil {
		t.Fatal(err)
	}

	// A record that does not match (another start time, another token)
	// is some other process that got the PID: it must survive.
	wrong := g
	wrong.Start++
	wrong.Token = NewToken()
	if n, err := KillStale(wrong); n != 0 || err != nil {
		t.Fatalf("KillStale of a mismatched record = %d, %v; want 0, nil", n, err)
	}
	if len(alive(pgid)) != 3 {
		t.Fatalf("a mismatched record killed processes: %v left", alive(pgid))
	}

	// The recorded group, leader matching: everything goes.
	if n, err := KillStale(g); n == 0 || err != nil {
		t.Fatalf("KillStale = %d, %v", n, err)
	}
	if left := alive(pgid); len(left) != 0 {
		t.Fatalf("processes %v of group %d survived", left, pgid)
	}
	if n, _ := KillStale(g); n != 0 {
		t.Errorf("KillStale of a dead group signalled %d processes", n)
	}
}

// TestKillStaleOrphans kills the leader first: its children keep the group
// and are recognised by the token alone.
func TestKillStaleOrphans(t *testing.T) {
	t.Parallel()
	tok := NewToken()
	cmd := startGroup(t, tok)
	pgid := cmd.Process.Pid
	waitMembers(t, pgid, 3)
	g, err := Describe(pgid, tok)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if len(alive(pgid)) != 2 {
		t.Fatalf("want the two orphaned sleeps, got %v", alive(pgid))
	}
	other := g
	other.Token = NewToken()
	if n, _ := KillStale(other); n != 0 || len(alive(pgid)) != 2 {
		t.Fatalf("orphans killed without their token")
	}
	if n, err := KillStale(g); n != 2 || err != nil {
		t.Fatalf("KillStale = %d, %v; want the 2 orphans", n, err)
	}
	if left := alive(pgid); len(left) != 0 {
		t.Fatalf("orphans %v survived", left)
	}
}

func TestRecords(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() + "/procs"
	g := Group{PGID: 4242, Start: 7, Boot: "b", Token: "t"}
	if err := WriteRecord(dir, g, map[string]any{"package": "bash"}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(dir+"/broken.json", []byte("{"), 0o644)
	rs, err := ReadRecords(dir)
	if err != nil || len(rs) != 1 || rs[0].Group != g || string(rs[0].Extra) != `{"package":"bash"}` {
		t.Fatalf("ReadRecords = %+v, %v", rs, err)
	}
	if _, err := os.Stat(dir + "/broken.json"); err == nil {
		t.Error("broken record kept")
	}
	if err := RemoveRecord(dir, 4242); err != nil {
		t.Fatal(err)
	}
	if rs, _ := ReadRecords(dir); len(rs) != 0 {
		t.Errorf("records after remove: %+v", rs)
	}
}
