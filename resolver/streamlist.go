package resolver

import (
	"slices"
	"strings"
)

// ExpandStreamList applies MBS's stream-list rules (the same ones dnf uses for
// module requires) to list, given the streams that exist:
//
//   - an empty list means every available stream;
//   - a list of only negated streams ("-f27") means every available stream
//     except those;
//   - a list with at least one positive stream means exactly the positive
//     streams, available or not; negatives are then ignored.
//
// The result is sorted and free of duplicates; it is empty when nothing
// matches.
func ExpandStreamList(list, available []string) []string {
	var pos, neg []string
	for _, s := range list {
		if rest, ok := strings.CutPrefix(s, "-"); ok {
			neg = append(neg, rest)
		} else {
			pos = append(pos, s)
		}
	}
	var out []string
	if len(pos) > 0 {
		out = slices.Clone(pos)
	} else {
		for _, s := range available {
			if !slices.Contains(neg, s) {
				out = append(out, s)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// admits reports whether the stream list admits stream (without knowing the
// available set: an empty or negatives-only list admits every stream it does
// not negate).
func admits(list []string, stream string) bool {
	hasPos := false
	for _, s := range list {
		if rest, ok := strings.CutPrefix(s, "-"); ok {
			if rest == stream && !hasPositive(list) {
				return false
			}
			continue
		}
		hasPos = true
		if s == stream {
			return true
		}
	}
	return !hasPos
}

func hasPositive(list []string) bool {
	for _, s := range list {
		if !strings.HasPrefix(s, "-") {
			return true
		}
	}
	return false
}
