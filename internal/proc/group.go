package proc

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// TokenEnv is the environment variable that carries a [Group]'s token into
// every process of the group, so that members can be recognised after the
// group's leader is gone.
const TokenEnv = "MODKIT_PROCESS_GROUP"

// Group identifies a process group started by this program: the leader's
// PID (= the group id), the leader's start time in clock ticks since boot
// and the boot it started in (so a PID reused by another process, or the
// same PID after a reboot, is never taken for it), and a random token set
// in the environment of the group's processes ([TokenEnv]).
type Group struct {
	PGID  int    `json:"pgid"`
	Start uint64 `json:"start"`
	Boot  string `json:"boot"`
	Token string `json:"token"`
}

// NewToken returns a random token for [Group.Token].
func NewToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Describe fills g.Start and g.Boot for the running leader pid.
func Describe(pid int, token string) (Group, error) {
	st, err := startTime(pid)
	if err != nil {
		return Group{}, err
	}
	return Group{PGID: pid, Start: st, Boot: bootID(), Token: token}, nil
}

// KillStale kills what is left of g, a group a previous run of this
// program recorded: the whole group when its leader is still the process
// that was recorded (same PID, boot and start time), and any other process
// of that group whose environment carries g's token. It never signals a
// process that fails both tests. It returns the number of processes
// signalled; 0 means nothing of g was left.
func KillStale(g Group) (int, error) {
	if g.PGID <= 1 {
		return 0, fmt.Errorf("process group %d: not a group this program starts", g.PGID)
	}
	if g.Boot != "" && g.Boot != bootID() {
		return 0, nil // rebooted since: nothing of it can be left
	}
	killed := 0
	for round := 0; round < 50; round++ {
		pids, err := groupMembers(g.PGID)
		if err != nil {
			return killed, err
		}
		n := 0
		if st, err := startTime(g.PGID); err == nil && st == g.Start {
			// The leader is the recorded process: the whole group is
			// ours, killed at once (no fork escapes between a scan and
			// the kills).
			if killGroup(g.PGID) == nil {
				n = max(len(pids), 1)
			}
		} else {
			for _, pid := range pids {
				if g.Token != "" && hasEnv(pid, TokenEnv+"="+g.Token) && killPID(pid) == nil {
					n++
				}
			}
		}
		if n == 0 {
			return killed, nil
		}
		killed += n
		waitGone(g.PGID, pids)
	}
	return killed, fmt.Errorf("process group %d: processes are still alive after SIGKILL", g.PGID)
}

// WriteRecord records g in dir (one file per group) with extra data
// of the caller.
func WriteRecord(dir string, g Group, extra any) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(struct {
		Group
		Extra any `json:"extra,omitempty"`
	}{g, extra})
	if err != nil {
		return err
	}
	p := filepath.Join(dir, strconv.Itoa(g.PGID)+".json")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// RemoveRecord removes the record of group pgid from dir.
func RemoveRecord(dir string, pgid int) error {
	err := os.Remove(filepath.Join(dir, strconv.Itoa(pgid)+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Record is a group read back by [ReadRecords], with the caller's data
// (raw JSON).
type Record struct {
	Group
	Extra json.RawMessage `json:"extra,omitempty"`
}

// ReadRecords returns the groups recorded in dir. Unreadable files are
// skipped (and removed: a record is written atomically, so a broken one is
// not one of ours).
func ReadRecords(dir string) ([]Record, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(p)
		var r Record
		if err == nil {
			err = json.Unmarshal(b, &r)
		}
		if err != nil || r.PGID <= 1 {
			_ = os.Remove(p)
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// Self describes this process (PID and start time), to record as the
// owner of the groups it starts.
func Self() (pid int, start uint64) {
	pid = os.Getpid()
	start, _ = startTime(pid)
	return pid, start
}

// Alive reports whether process pid is running and is the one that started
// at start (clock ticks after boot, as [Self] gives).
func Alive(pid int, start uint64) bool {
	st, err := startTime(pid)
	return err == nil && st == start
}
