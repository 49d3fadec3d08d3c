package modulemd

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// xmd values, as decoded and encoded here:
//
//   - a scalar is a string holding the scalar's text, except the exact
//     scalars TRUE and FALSE, quoted or not, which are the booleans true and
//     false (as in libmodulemd; so the strings "TRUE" and "FALSE" cannot be
//     written and encoding them is an error). There is no null: `key:` is the empty string and `~` is
//     the string "~", which is what libmodulemd reads too, so every value
//     survives a decode/encode round trip unchanged;
//   - a mapping is a map[string]any (keys are written sorted);
//   - a sequence is a []any (elements of any kind, kept in order; unlike
//     libmodulemd, mixed lists lose nothing).
//
// The top level is a mapping or a scalar; a top-level sequence is an error.

// xmd reads an xmd value.
func (r *docReader) xmd(n *yaml.Node, path string) any {
	n = r.deref(n, path)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.SequenceNode {
		r.fail(n, path, ErrType, "expected xmd to be a mapping or a scalar, got a sequence")
		return nil
	}
	r.at(path, n)
	return r.xmdValue(n, path, 0)
}

func (r *docReader) xmdValue(n *yaml.Node, path string, depth int) any {
	r.xmdTop, r.xmdSegs = path, r.xmdSegs[:0]
	return r.xmdAt(n, depth)
}

// xmdPath spells out the path of the xmd value being read, for errors and
// the rare aliased node.
func (r *docReader) xmdPath() string {
	return spellXMDPath(r.xmdTop, r.xmdSegs)
}

// xmdAt reads the xmd value at the path r.xmdTop + r.xmdSegs.
func (r *docReader) xmdAt(n *yaml.Node, depth int) any {
	if n != nil && n.Kind == yaml.AliasNode {
		n = r.deref(n, r.xmdPath())
	}
	if n == nil {
		return nil
	}
	if depth >= maxXMDDepth {
		r.limitHit = true
		r.fail(n, r.xmdPath(), ErrLimit, "xmd is nested more than %d levels deep", maxXMDDepth)
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Value {
		case "TRUE":
			return true
		case "FALSE":
			return false
		}
		return r.in.getAny(n.Value)
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		simple := true
		for i := 0; i < len(n.Content); i += 2 {
			if n.Content[i].Kind != yaml.ScalarNode {
				simple = false
				break
			}
		}
		if !simple {
			for _, e := range r.entries(n, r.xmdPath()) {
				if r.limitHit {
					return nil
				}
				r.xmdSegs = append(r.xmdSegs, xmdSeg{key: e.key, index: -1})
				out[e.key] = r.xmdAt(e.v, depth+1)
				r.xmdSegs = r.xmdSegs[:len(r.xmdSegs)-1]
			}
			return out
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if r.limitHit {
				return nil
			}
			key := r.in.get(n.Content[i].Value)
			r.xmdSegs = append(r.xmdSegs, xmdSeg{key: key, index: -1})
			out[key] = r.xmdAt(n.Content[i+1], depth+1)
			r.xmdSegs = r.xmdSegs[:len(r.xmdSegs)-1]
		}
		return out
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			if r.limitHit {
				return nil
			}
			r.xmdSegs = append(r.xmdSegs, xmdSeg{index: i})
			out = append(out, r.xmdAt(c, depth+1))
			r.xmdSegs = r.xmdSegs[:len(r.xmdSegs)-1]
		}
		return out
	}
	r.fail(n, r.xmdPath(), ErrType, "unexpected %s in xmd", kindName(n))
	return nil
}

// xmdSeg is one step of the path to the xmd value being built: a mapping
// key, or a sequence index when index >= 0.
type xmdSeg struct {
	key   string
	index int
}

// xmdPath spells out the path to the xmd value being built, for errors.
func (b *builder) xmdPath() string {
	return spellXMDPath(b.xmdTop, b.xmdSegs)
}

func spellXMDPath(top string, segs []xmdSeg) string {
	var sb strings.Builder
	sb.WriteString(top)
	for _, sg := range segs {
		sb.WriteByte('.')
		if sg.index >= 0 {
			sb.WriteString(itoa(sg.index))
		} else {
			sb.WriteString(sg.key)
		}
	}
	return sb.String()
}

// xmdNode builds the YAML for an xmd value. It refuses values of other Go
// types and nesting deeper than the decoder accepts, so that what is written
// can be read back.
func (b *builder) xmdNode(v any, depth int) (*yaml.Node, error) {
	if depth > maxXMDDepth {
		return nil, fmt.Errorf("%s: xmd is nested more than %d levels deep: %w", b.xmdPath(), maxXMDDepth, ErrLimit)
	}
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) {
			return nil, fmt.Errorf("%s: xmd string is not valid UTF-8: %w", b.xmdPath(), ErrInvalid)
		}
		if x == "TRUE" || x == "FALSE" {
			// libmodulemd reads the scalar TRUE as a boolean however it is
			// quoted, so this string cannot be written faithfully.
			return nil, fmt.Errorf("%s: the xmd string %q would read back as a boolean; use the bool %s: %w",
				b.xmdPath(), x, strings.ToLower(x), ErrInvalid)
		}
		return b.strNode(x), nil
	case bool:
		if x {
			return b.alloc(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "TRUE"}), nil
		}
		return b.alloc(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "FALSE"}), nil
	case map[string]any:
		m := b.alloc(yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
		if len(x) == 0 {
			m.Style = yaml.FlowStyle
			return m, nil
		}
		base := len(b.keys)
		for k := range x {
			b.keys = append(b.keys, k)
		}
		slices.Sort(b.keys[base:])
		m.Content = b.content(2 * len(x))
		for i := base; i < base+len(x); i++ {
			k := b.keys[i] // b.keys may be reallocated by the recursion
			if !utf8.ValidString(k) {
				b.keys = b.keys[:base]
				return nil, fmt.Errorf("%s: xmd key is not valid UTF-8: %w", b.xmdPath(), ErrInvalid)
			}
			b.xmdSegs = append(b.xmdSegs, xmdSeg{key: k, index: -1})
			c, err := b.xmdNode(x[k], depth+1)
			if err != nil {
				b.keys = b.keys[:base]
				return nil, err
			}
			b.xmdSegs = b.xmdSegs[:len(b.xmdSegs)-1]
			m.Content = append(m.Content, b.strNode(k), c)
		}
		clear(b.keys[base:])
		b.keys = b.keys[:base]
		return m, nil
	case []any:
		s := b.alloc(yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"})
		if len(x) == 0 {
			s.Style = yaml.FlowStyle
			return s, nil
		}
		s.Content = b.content(len(x))
		for i, e := range x {
			b.xmdSegs = append(b.xmdSegs, xmdSeg{index: i})
			c, err := b.xmdNode(e, depth+1)
			if err != nil {
				return nil, err
			}
			b.xmdSegs = b.xmdSegs[:len(b.xmdSegs)-1]
			s.Content = append(s.Content, c)
		}
		return s, nil
	case nil:
		return nil, fmt.Errorf("%s: xmd holds nil; expected a string, bool, []any or map[string]any: %w", b.xmdPath(), ErrInvalid)
	}
	return nil, fmt.Errorf("%s: xmd holds a %T; expected a string, bool, []any or map[string]any: %w",
		b.xmdPath(), v, ErrInvalid)
}

// xmdTopNode is xmdNode for the top level, where a sequence is not allowed.
func (b *builder) xmdTopNode(v any, path string) (*yaml.Node, error) {
	if _, ok := v.([]any); ok {
		return nil, fmt.Errorf("%s: xmd must be a mapping or a scalar, not a list: %w", path, ErrInvalid)
	}
	b.xmdTop, b.xmdSegs = path, b.xmdSegs[:0]
	return b.xmdNode(v, 1)
}

// looksRetyped reports whether a plain scalar s would be read as something
// other than a string by some YAML parser (YAML 1.1 or 1.2 numbers, booleans,
// nulls), or is empty: such strings are written double-quoted.
func looksRetyped(s string) bool {
	if s == "" {
		return true
	}
	switch strings.ToLower(s) {
	case "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n",
		".nan", ".inf", "+.inf", "-.inf", "nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity",
		"=", "<<":
		return true
	}
	return looksNumeric(s)
}

// looksNumeric reports strings that YAML 1.1 or 1.2 resolvers may read as a
// number or a timestamp: decimal, hexadecimal, octal and binary integers,
// floats with exponents, base-60 numbers (1:20), underscores as digit
// separators, and dates (2077-10-23).
func looksNumeric(s string) bool {
	if looksTimestamp(s) {
		return true
	}
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	if len(s) > 2 && s[0] == '0' {
		switch s[1] {
		case 'x', 'X', 'o', 'O', 'b', 'B':
			// yaml.v3 strips underscores and also accepts a sign after
			// the prefix (0b-1), so be generous here.
			for i := 2; i < len(s); i++ {
				if !isHex(s[i]) && s[i] != '_' && s[i] != '+' && s[i] != '-' {
					return false
				}
			}
			return true
		}
	}
	digits := false
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			digits = true
		} else if c != '_' && c != '.' && c != ':' {
			break
		}
	}
	if !digits {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(s)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// looksTimestamp matches the start of a YAML 1.1 timestamp: YYYY-M-D
// followed by nothing, 'T', 't' or white space.
func looksTimestamp(s string) bool {
	i := 0
	digits := func(min, max int) bool {
		j := i
		for i < len(s) && i-j < max && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i-j >= min
	}
	if !digits(4, 4) || i >= len(s) || s[i] != '-' {
		return false
	}
	i++
	if !digits(1, 2) || i >= len(s) || s[i] != '-' {
		return false
	}
	i++
	if !digits(1, 2) {
		return false
	}
	return i == len(s) || s[i] == 'T' || s[i] == 't' || s[i] == ' ' || s[i] == '\t'
}
