// Package scm is the git plumbing of the module build service: resolving a
// branch or tag to a commit, reading a commit's time and files, and exporting
// a commit's tree into a directory.
//
// A repository is a local path (a work tree or a bare repository), a file://
// URL or any URL git understands. Local repositories are read in place;
// remote ones are mirrored into a cache directory (see [Git.CacheDir]) and
// fetched again whenever a ref is resolved. Every call runs the git binary
// with a clean environment: no system or global configuration, no terminal
// prompts, no discovery of repositories above a local path.
package scm
