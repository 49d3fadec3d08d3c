//go:build !unix

package proc

import (
	"errors"
	"fmt"
)

// InUseError is returned by [Lock] when another process holds the lock.
type InUseError struct {
	Dir string
	PID int
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("state directory %s in use by PID %d", e.Dir, e.PID)
}

// ErrInUse is matched by every *InUseError (errors.Is).
var ErrInUse = errors.New("state directory in use")

// Is makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// DirLock is an exclusive lock on a state directory.
type DirLock struct{}

// Lock is not supported on this system: it returns a DirLock that locks
// nothing.
func Lock(dir string) (*DirLock, error) { return &DirLock{}, nil }

// Unlock releases the lock.
func (l *DirLock) Unlock() error { return nil }
