// Package modulemd reads, validates, writes, indexes, merges and upgrades RPM
// module metadata: every document type libmodulemd knows.
//
// The document types are module streams ([Stream], modulemd v1 and v2),
// module definitions as packagers keep them ([Packager], modulemd-packager v2
// and v3), default streams and profiles ([Defaults]), end-of-life notices
// ([Obsoletes]) and localized strings ([Translations]).
//
// The behaviour follows libmodulemd 2.15, the C reference library: the same
// documents are accepted and rejected, and output is written in its style
// (key order, sorted sets, quoting) so it diffs cleanly against what Fedora
// tooling writes. Where libmodulemd has a known bug (it drops rpm-map entries
// on output, crashes on impossible dates) this package does the right thing.
//
// Errors locate every problem by file, line, column and field path; see
// [ParseError].
package modulemd
