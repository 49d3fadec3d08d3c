//go:build !unix

package zerobuilder

import "os"

// Without flock a journal is not shared safely between processes; one
// process at a time still works.
func lockFile(f *os.File, exclusive bool) error { return nil }

func unlockFile(f *os.File) {}
