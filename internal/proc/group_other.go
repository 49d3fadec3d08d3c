//go:build !linux

package proc

import "errors"

var errNoProc = errors.New("process records need Linux's /proc")

func startTime(pid int) (uint64, error)    { return 0, errNoProc }
func bootID() string                       { return "" }
func groupMembers(pgid int) ([]int, error) { return nil, nil }
func hasEnv(pid int, kv string) bool       { return false }
func killGroup(pgid int) error             { return errNoProc }
func killPID(pid int) error                { return errNoProc }
func waitGone(pgid int, pids []int)        {}
