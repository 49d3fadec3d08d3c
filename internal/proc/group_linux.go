package proc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// stat returns the fields of /proc/pid/stat after the command name
// (field 3 onwards; the name may contain spaces and parentheses).
func stat(pid int) ([]string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return strings.Fields(string(b[i+1:])), nil
}

// startTime is field 22 of /proc/pid/stat: the start time in clock ticks
// after boot.
func startTime(pid int) (uint64, error) {
	f, err := stat(pid)
	if err != nil {
		return 0, err
	}
	if len(f) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	if f[0] == "Z" {
		return 0, fmt.Errorf("process %d is a zombie", pid)
	}
	return strconv.ParseUint(f[19], 10, 64)
}

func bootID() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}

// groupMembers lists the live (not zombie) processes whose process group is
// pgid.
func groupMembers(pgid int) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, err := stat(pid)
		if err != nil || len(f) < 3 || f[0] == "Z" {
			continue
		}
		if g, _ := strconv.Atoi(f[2]); g == pgid {
			out = append(out, pid)
		}
	}
	return out, nil
}

// hasEnv reports whether the environment of pid holds kv ("NAME=value").
func hasEnv(pid int, kv string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	for _, e := range bytes.Split(b, []byte{0}) {
		if string(e) == kv {
			return true
		}
	}
	return false
}

func killGroup(pgid int) error { return ignoreESRCH(syscall.Kill(-pgid, syscall.SIGKILL)) }
func killPID(pid int) error    { return ignoreESRCH(syscall.Kill(pid, syscall.SIGKILL)) }

func ignoreESRCH(err error) error {
	if errors.Is(err, syscall.ESRCH) {
		return errors.New("no such process")
	}
	return err
}

// waitGone waits up to a second for the processes to disappear (a killed
// process whose parent is gone is reaped by init).
func waitGone(pgid int, pids []int) {
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		left, _ := groupMembers(pgid)
		if len(left) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
