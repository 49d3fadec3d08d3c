// Package rpmver compares RPM version strings the way rpm does
// (rpmvercmp), including the tilde (sorts before anything, even the end of
// the string) and caret (sorts after the end of the string but before any
// other character) separators, and parses and compares epoch:version-release
// triples.
//
// It is internal plumbing shared by modulemd (which re-exports it as
// modulemd.CompareVersions and modulemd.CompareEVR) and the resolver.
package rpmver
