//go:build !unix

package compose

import "time"

func processCPU() time.Duration { return 0 }
