//go:build unix

package compose

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) this process has used, its
// child processes not included.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
