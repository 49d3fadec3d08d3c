// Package zerobuilder is an [orchestrator.Builder] that builds nothing: each
// component "builds" instantly (or after a fixed delay) into a made-up NVR
// and RPM list. It is the equivalent of MBS's test builder, for unit tests,
// crash tests and benchmarks of the orchestration itself.
//
// With a journal file, every component build it performs is appended to the
// file, with its start time, before Submit returns, and Submit consults the
// journal under a file lock, so neither a restarted process nor another
// process sharing the journal builds the same (component, attempt) twice,
// and Poll in any of them sees builds submitted by the others (with Delay,
// counted from the recorded start): a shared journal stands in for a build
// system that several service processes use. The file lets tests check
// that nothing was built twice.
package zerobuilder
