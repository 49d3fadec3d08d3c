//go:build unix

package proc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the name of the lock file in a state directory.
const LockFile = "lock"

// InUseError is returned by [Lock] when another process holds the lock.
type InUseError struct {
	Dir string
	PID int // 0 when the holder did not record its PID yet
}

func (e *InUseError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("state directory %s in use by PID %d", e.Dir, e.PID)
	}
	return fmt.Sprintf("state directory %s in use by another process", e.Dir)
}

// ErrInUse is matched by every *InUseError (errors.Is).
var ErrInUse = errors.New("state directory in use")

// Is makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// DirLock is an exclusive lock on a state directory, held until Unlock or
// the end of the process (the kernel drops it when the process dies, even
// by kill -9, so a crash never leaves a stale lock).
type DirLock struct {
	f *os.File
}

// Lock creates dir if needed and takes an exclusive, non-blocking flock on
// dir/lock, writing this process's PID into it. When another process holds
// it, Lock fails at once with an *InUseError naming that process.
func Lock(dir string) (*DirLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			e := &InUseError{Dir: dir}
			if b, rerr := os.ReadFile(p); rerr == nil {
				e.PID, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			}
			return nil, e
		}
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &DirLock{f: f}, nil
}

// Unlock releases the lock.
func (l *DirLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := l.f.Close()
	l.f = nil
	return err
}
