// Package proc holds the process plumbing of the long-running commands: an
// exclusive lock on a state directory ([Lock]) and records of the process
// groups a service starts, so that a later run of the same state directory
// can kill those a crash left behind without ever killing an unrelated
// process ([Group], [Group.KillStale]).
package proc
