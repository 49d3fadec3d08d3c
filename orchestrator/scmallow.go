package orchestrator

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
)

// SCMAllowed reports whether the repository of scmurl (an SCM URL with an
// optional "?path" and "#ref", or a bare repository URL) lies inside one of
// the allowed prefixes. An empty list allows everything.
//
// The comparison is on normalised URLs, never on raw strings: scheme and
// host compared case-insensitively ("file://localhost/" is "file:///"), the
// path cleaned and matched on a path-segment boundary
// ("file:///srv/git/modules" admits "file:///srv/git/modules/foo", not
// "file:///srv/git/modules-other/foo"). A URL whose path has a ".." segment,
// a percent-encoded dot, slash or backslash, a backslash, or that is not of
// the form scheme://host/path (a local path, git's host:path) is refused
// whenever the list is not empty.
func SCMAllowed(allow []string, scmurl string) bool {
	if len(allow) == 0 {
		return true
	}
	u, err := normSCMURL(scmurl)
	if err != nil {
		return false
	}
	for _, a := range allow {
		p, err := normSCMURL(a)
		if err != nil {
			continue
		}
		if u.scheme != p.scheme || u.user != p.user && p.user != "" || u.host != p.host {
			continue
		}
		if p.path == "/" || u.path == p.path || strings.HasPrefix(u.path, p.path+"/") {
			return true
		}
	}
	return false
}

// CheckSCMAllow checks the entries of an allowlist for [SCMAllowed]: each
// must be a scheme://host/path URL without "..", encoded dots or slashes, a
// query or a fragment. All problems are reported at once.
func CheckSCMAllow(allow []string) error {
	var errs []error
	for _, a := range allow {
		if strings.ContainsAny(a, "?#") {
			errs = append(errs, fmt.Errorf("SCM allowlist entry %q: expected scheme://host/path, without ?query or #ref", a))
			continue
		}
		if _, err := normSCMURL(a); err != nil {
			errs = append(errs, fmt.Errorf("SCM allowlist entry %q: %v", a, err))
		}
	}
	return errors.Join(errs...)
}

type normURL struct{ scheme, user, host, path string }

var errNotURL = errors.New("expected scheme://host/path")

// normSCMURL normalises the repository part of an SCM URL.
func normSCMURL(raw string) (*normURL, error) {
	repo := raw
	if i := strings.IndexAny(repo, "?#"); i >= 0 {
		repo = repo[:i]
	}
	scheme, rest, ok := strings.Cut(repo, "://")
	if !ok || scheme == "" {
		return nil, errNotURL
	}
	low := strings.ToLower(rest)
	for _, bad := range []string{"%2e", "%2f", "%5c", "%25", "%00"} {
		if strings.Contains(low, bad) {
			return nil, errors.New("percent-encoded dots, slashes, backslashes and percent signs are not allowed")
		}
	}
	if strings.ContainsAny(rest, "\\\x00") {
		return nil, errors.New("backslashes are not allowed")
	}
	u, err := url.Parse(repo)
	if err != nil {
		return nil, errNotURL
	}
	if u.Opaque != "" {
		return nil, errNotURL
	}
	p := u.Path
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return nil, errors.New(`".." is not allowed in the path`)
		}
	}
	n := &normURL{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Host)}
	if u.User != nil {
		n.user = u.User.Username()
	}
	if n.scheme == "file" && n.host == "localhost" {
		n.host = ""
	}
	if n.host == "" && n.scheme != "file" {
		return nil, errNotURL
	}
	if p == "" {
		p = "/"
	}
	if !strings.HasPrefix(p, "/") {
		return nil, errNotURL
	}
	n.path = path.Clean(p)
	return n, nil
}
