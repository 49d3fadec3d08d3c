// Package zerobuilder is an [orchestrator.Builder] that builds nothing: each
// component "builds" instantly (or after a fixed delay) into a made-up NVR
// and RPM list. It is the equivalent of MBS's test builder, for unit tests,
// crash tests and benchmarks of the orchestration itself.
//
// With a journal file, every component build it performs is appended to the
// file before Submit returns, and Submit consults the journal, so a
// restarted process never builds the same (component, attempt) twice; the
// file lets tests check exactly that.
package zerobuilder
