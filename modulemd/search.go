package modulemd

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Query selects streams by glob patterns on each NSVCA field; an empty
// pattern matches anything. Patterns use fnmatch(3) syntax without flags:
// '*' (any run, including '/'), '?' (any one character), bracket
// expressions ("[a-c]", "[!x]" or "[^x]") and '\' to quote the next
// character. Version is matched against the decimal version ("0" when
// unset); Context and Arch never match an unset field unless the pattern is
// empty.
type Query struct {
	Name, Stream, Version, Context, Arch string
}

// Match reports whether s is selected by q.
func (q Query) Match(s *Stream) bool {
	return globField(q.Name, s.Name, true) && globField(q.Stream, s.Stream, true) &&
		(q.Version == "" || fnmatch(q.Version, strconv.FormatUint(s.Version, 10))) &&
		globField(q.Context, s.Context, false) && globField(q.Arch, s.Arch, false)
}

// globField matches an optional pattern against a field; unset fields
// (empty) only match the empty pattern unless emptyIsValue.
func globField(pattern, value string, emptyIsValue bool) bool {
	if pattern == "" {
		return true
	}
	if value == "" && !emptyIsValue {
		return false
	}
	return fnmatch(pattern, value)
}

// hasGlobMeta reports whether p contains any fnmatch special character.
func hasGlobMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// sortSearchResults orders streams by name, stream, version descending,
// context and arch, as libmodulemd's search functions do.
func sortSearchResults(ss []*Stream) {
	slices.SortStableFunc(ss, func(a, b *Stream) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if c := strings.Compare(a.Stream, b.Stream); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Version, a.Version); c != 0 {
			return c
		}
		if c := strings.Compare(a.Context, b.Context); c != 0 {
			return c
		}
		return strings.Compare(a.Arch, b.Arch)
	})
}

// fnmatch reports whether name matches the shell pattern, with fnmatch(3)
// semantics and no flags: '*' and '?' match any character including '/' and
// a leading '.', '\' quotes the next character, and a '[' that does not start
// a complete bracket expression matches itself.
func fnmatch(pattern, name string) bool {
	// Iterative matcher with single-star backtracking over bytes; bracket
	// expressions and '?' consume one UTF-8 character.
	px, nx := 0, 0
	starPx, starNx := -1, -1
	for px < len(pattern) || nx < len(name) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				starPx, starNx = px, nx
				px++
				continue
			case '?':
				if nx < len(name) {
					px++
					nx += charLen(name[nx:])
					continue
				}
			case '[':
				if nx < len(name) {
					ok, width, valid := matchBracket(pattern[px:], name[nx:])
					if !valid {
						// Literal '['.
						if name[nx] == '[' {
							px++
							nx++
							continue
						}
					} else if ok {
						px += width
						nx += charLen(name[nx:])
						continue
					}
				}
			case '\\':
				lit := byte('\\')
				w := 1
				if px+1 < len(pattern) {
					lit, w = pattern[px+1], 2
				}
				if nx < len(name) && name[nx] == lit {
					px += w
					nx++
					continue
				}
			default:
				if nx < len(name) && name[nx] == c {
					px++
					nx++
					continue
				}
			}
		}
		if starPx >= 0 && starNx < len(name) {
			starNx += charLen(name[starNx:])
			px, nx = starPx+1, starNx
			continue
		}
		return false
	}
	return true
}

// matchBracket matches the bracket expression at the start of p against the
// first character of s. width is the length of the expression; valid is
// false when p has no closing ']'.
func matchBracket(p, s string) (ok bool, width int, valid bool) {
	r, _ := decodeRune(s)
	i := 1
	negate := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	matched := false
	first := true
	for {
		if i >= len(p) {
			return false, 0, false
		}
		if p[i] == ']' && !first {
			i++
			break
		}
		first = false
		lo, w := bracketChar(p[i:])
		if w == 0 {
			return false, 0, false
		}
		i += w
		hi := lo
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			h, w2 := bracketChar(p[i+1:])
			if w2 == 0 {
				return false, 0, false
			}
			hi = h
			i += 1 + w2
		}
		if lo <= r && r <= hi {
			matched = true
		}
	}
	return matched != negate, i, true
}

func bracketChar(p string) (rune, int) {
	if p[0] == '\\' {
		if len(p) < 2 {
			return 0, 0
		}
		r, w := decodeRune(p[1:])
		return r, w + 1
	}
	return decodeRune(p)
}
