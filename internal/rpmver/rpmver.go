package rpmver

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Compare compares two RPM version (or release) strings with rpm's
// rpmvercmp rules and returns -1, 0 or +1.
//
// Both strings are split into maximal runs of ASCII digits or ASCII letters;
// every other byte separates runs and is otherwise ignored, except '~' and
// '^'. Runs are compared pairwise: numeric runs as integers of any length
// (leading zeros ignored), alphabetic runs byte-wise, and a numeric run is
// newer than an alphabetic one. '~' sorts before everything, including the
// end of the string ("1.0~rc1" < "1.0"); '^' sorts after the end of the
// string but before anything else ("1.0" < "1.0^git1" < "1.0.1"). When one
// string runs out first, the other one is newer.
func Compare(a, b string) int {
	if a == b {
		return 0
	}
	for len(a) > 0 || len(b) > 0 {
		a = skipSeparators(a)
		b = skipSeparators(b)

		// Tilde: before everything else.
		if hasPrefix(a, '~') || hasPrefix(b, '~') {
			if !hasPrefix(a, '~') {
				return 1
			}
			if !hasPrefix(b, '~') {
				return -1
			}
			a, b = a[1:], b[1:]
			continue
		}
		// Caret: after the end of the string, before everything else.
		if hasPrefix(a, '^') || hasPrefix(b, '^') {
			switch {
			case a == "":
				return -1
			case b == "":
				return 1
			case !hasPrefix(a, '^'):
				return 1
			case !hasPrefix(b, '^'):
				return -1
			}
			a, b = a[1:], b[1:]
			continue
		}
		if a == "" || b == "" {
			break
		}

		numeric := isDigit(a[0])
		var segA, segB string
		if numeric {
			segA, a = span(a, isDigit)
			segB, b = span(b, isDigit)
		} else {
			segA, a = span(a, isLetter)
			segB, b = span(b, isLetter)
		}
		// segA is never empty: a starts with an alphanumeric byte. segB is
		// empty when b's run is of the other kind; numeric runs are newer.
		if segB == "" {
			if numeric {
				return 1
			}
			return -1
		}
		if numeric {
			segA = strings.TrimLeft(segA, "0")
			segB = strings.TrimLeft(segB, "0")
			if len(segA) != len(segB) {
				if len(segA) > len(segB) {
					return 1
				}
				return -1
			}
		}
		if c := strings.Compare(segA, segB); c != 0 {
			return c
		}
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	default:
		return 1
	}
}

func hasPrefix(s string, c byte) bool { return len(s) > 0 && s[0] == c }

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func skipSeparators(s string) string {
	i := 0
	for i < len(s) && !isDigit(s[i]) && !isLetter(s[i]) && s[i] != '~' && s[i] != '^' {
		i++
	}
	return s[i:]
}

func span(s string, in func(byte) bool) (run, rest string) {
	i := 0
	for i < len(s) && in(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// EVR is an epoch, version and release.
type EVR struct {
	Epoch   uint64 // 0 when absent
	Version string
	Release string // may be empty
}

// ErrEVR is wrapped by every error ParseEVR returns.
var ErrEVR = errors.New("invalid epoch:version-release")

// ParseEVR splits "[epoch:]version[-release]". The epoch is everything before
// the first ':' and must be a base-10 unsigned integer; the release is
// everything after the last '-'. The version must not be empty.
func ParseEVR(s string) (EVR, error) {
	var e EVR
	rest := s
	if i := strings.IndexByte(s, ':'); i >= 0 {
		ep := s[:i]
		if ep == "" {
			return EVR{}, fmt.Errorf("%q: empty epoch before ':': %w", s, ErrEVR)
		}
		n, err := strconv.ParseUint(ep, 10, 64)
		if err != nil || ep[0] == '+' {
			return EVR{}, fmt.Errorf("%q: epoch %q is not a base-10 unsigned integer: %w", s, ep, ErrEVR)
		}
		e.Epoch = n
		rest = s[i+1:]
	}
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		e.Version, e.Release = rest[:i], rest[i+1:]
	} else {
		e.Version = rest
	}
	if e.Version == "" {
		return EVR{}, fmt.Errorf("%q: empty version: %w", s, ErrEVR)
	}
	return e, nil
}

// String formats e as "[epoch:]version[-release]", omitting a zero epoch
// and an empty release.
func (e EVR) String() string {
	var b strings.Builder
	if e.Epoch != 0 {
		b.WriteString(strconv.FormatUint(e.Epoch, 10))
		b.WriteByte(':')
	}
	b.WriteString(e.Version)
	if e.Release != "" {
		b.WriteByte('-')
		b.WriteString(e.Release)
	}
	return b.String()
}

// CompareEVR compares epochs numerically, then versions, then releases with
// [Compare], like rpm's rpmVersionCompare. It returns -1, 0 or +1.
func CompareEVR(a, b EVR) int {
	switch {
	case a.Epoch < b.Epoch:
		return -1
	case a.Epoch > b.Epoch:
		return 1
	}
	if c := Compare(a.Version, b.Version); c != 0 {
		return c
	}
	return Compare(a.Release, b.Release)
}

// CompareEVRStrings compares two "[epoch:]version[-release]" strings without
// failing on malformed input: an epoch is the run of digits before a leading
// ':' (absent means 0; any length, compared numerically), and a string whose
// prefix before ':' is not all digits is compared as a version without
// epoch. It returns -1, 0 or +1.
func CompareEVRStrings(a, b string) int {
	ea, va, ra := splitEVR(a)
	eb, vb, rb := splitEVR(b)
	if c := compareDigits(ea, eb); c != 0 {
		return c
	}
	if c := Compare(va, vb); c != 0 {
		return c
	}
	return Compare(ra, rb)
}

func splitEVR(s string) (epoch, version, release string) {
	rest := s
	if i := strings.IndexByte(s, ':'); i >= 0 {
		d, after := span(s, isDigit)
		if len(d) == i {
			epoch, rest = d, after[1:]
		}
	}
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		return epoch, rest[:i], rest[i+1:]
	}
	return epoch, rest, ""
}

// compareDigits compares two strings of ASCII digits as unbounded integers;
// the empty string is 0.
func compareDigits(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}
