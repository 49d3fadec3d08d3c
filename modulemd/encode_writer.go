package modulemd

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// fastWriter renders the yaml.Node trees the builder makes, for the common
// subset of scalars whose rendering is unambiguous, producing exactly the
// bytes yaml.v3's encoder would (indent 2, compact sequences). yaml.v3's
// emitter keeps every event of a document in a queue that is never trimmed
// (about 400 bytes per scalar), which made encoding a large index slow and
// memory hungry; this writer is a shortcut, not a second emitter: anything
// outside the subset (non-ASCII or control characters, escapes, literal
// scalars, multi-line plain strings, long keys, nested sequences) makes it
// give up, and the document is encoded by yaml.v3 instead. Tests compare the
// two on every document of the shared corpus and on fuzzed input.
type fastWriter struct {
	b  []byte
	ok bool
}

// writeDoc renders root (a block mapping) or reports false.
func (w *fastWriter) writeDoc(root *yaml.Node) bool {
	w.ok = true
	w.mapEntries(root, 0, false)
	return w.ok
}

func (w *fastWriter) spaces(n int) {
	for range n {
		w.b = append(w.b, ' ')
	}
}

func isEmptyColl(n *yaml.Node) bool {
	return (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && len(n.Content) == 0
}

func (w *fastWriter) mapEntries(m *yaml.Node, indent int, firstInline bool) {
	for i := 0; i+1 < len(m.Content) && w.ok; i += 2 {
		if i > 0 || !firstInline {
			w.spaces(indent)
		}
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode || len(k.Value) > 128 {
			w.ok = false
			return
		}
		w.scalar(k, false)
		w.b = append(w.b, ':')
		w.value(m.Content[i+1], indent)
	}
}

// isLiteral reports scalars yaml.v3 writes in literal style: those asking
// for it, and plain strings with line breaks.
func isLiteral(n *yaml.Node) bool {
	return n.Style&yaml.LiteralStyle != 0 ||
		n.Style == 0 && n.Tag == "!!str" && strings.IndexByte(n.Value, '\n') >= 0
}

// value writes what follows "key:" for a mapping entry at indent.
func (w *fastWriter) value(v *yaml.Node, indent int) {
	switch {
	case v.Kind == yaml.ScalarNode && v.Style&yaml.FoldedStyle != 0:
		w.folded(v.Value, indent+2)
	case v.Kind == yaml.ScalarNode && isLiteral(v):
		w.literal(v.Value, indent+2)
	case v.Kind == yaml.ScalarNode:
		w.b = append(w.b, ' ')
		w.scalar(v, false)
		w.b = append(w.b, '\n')
	case isEmptyColl(v) || v.Style&yaml.FlowStyle != 0:
		w.b = append(w.b, ' ')
		w.flow(v)
		w.b = append(w.b, '\n')
	case v.Kind == yaml.MappingNode:
		w.b = append(w.b, '\n')
		w.mapEntries(v, indent+2, false)
	case v.Kind == yaml.SequenceNode:
		w.b = append(w.b, '\n')
		w.seqItems(v, indent)
	default:
		w.ok = false
	}
}

func (w *fastWriter) seqItems(s *yaml.Node, indent int) {
	for _, it := range s.Content {
		if !w.ok {
			return
		}
		w.spaces(indent)
		w.b = append(w.b, '-')
		switch {
		case it.Kind == yaml.ScalarNode && it.Style&yaml.FoldedStyle != 0:
			w.folded(it.Value, indent+2)
		case it.Kind == yaml.ScalarNode && isLiteral(it):
			w.literal(it.Value, indent+2)
		case it.Kind == yaml.ScalarNode:
			w.b = append(w.b, ' ')
			w.scalar(it, false)
			w.b = append(w.b, '\n')
		case isEmptyColl(it) || it.Style&yaml.FlowStyle != 0:
			w.b = append(w.b, ' ')
			w.flow(it)
			w.b = append(w.b, '\n')
		case it.Kind == yaml.MappingNode:
			w.b = append(w.b, ' ')
			w.mapEntries(it, indent+2, true)
		default:
			w.ok = false
		}
	}
}

// flow writes an empty collection or a flow sequence of scalars.
func (w *fastWriter) flow(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		if len(n.Content) > 0 {
			w.ok = false
			return
		}
		w.b = append(w.b, "{}"...)
		return
	}
	w.b = append(w.b, '[')
	for i, it := range n.Content {
		if it.Kind != yaml.ScalarNode || it.Style&(yaml.FoldedStyle|yaml.LiteralStyle) != 0 {
			w.ok = false
			return
		}
		if i > 0 {
			w.b = append(w.b, ", "...)
		}
		w.scalar(it, true)
	}
	w.b = append(w.b, ']')
}

// printableASCII reports whether s holds only the characters 0x20..0x7e.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// scalar writes a plain or double-quoted scalar, giving up on anything
// yaml.v3 might render differently.
func (w *fastWriter) scalar(n *yaml.Node, inFlow bool) {
	s := n.Value
	if !printableASCII(s) {
		w.ok = false
		return
	}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for i := 0; i < len(s); i++ {
			if s[i] == '"' || s[i] == '\\' {
				w.ok = false
				return
			}
		}
		w.b = append(w.b, '"')
		w.b = append(w.b, s...)
		w.b = append(w.b, '"')
	case n.Style == 0 && plainSafe(s, inFlow) && (n.Tag != "!!str" || !looksRetyped(s)):
		w.b = append(w.b, s...)
	default:
		w.ok = false
	}
}

// plainSafe is a conservative test for printable-ASCII strings that yaml.v3
// writes plain: no indicator at the start ('-' only when followed by a
// non-blank, '.' not as "..."), no leading or trailing space, no ": " or
// " #", no trailing ':' and, in flow context, none of ",?[]{}:".
func plainSafe(s string, inFlow bool) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' || s[len(s)-1] == ':' {
		return false
	}
	switch s[0] {
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	case '-':
		if len(s) == 1 || s[1] == ' ' || strings.HasPrefix(s, "---") {
			return false
		}
	case '.':
		if strings.HasPrefix(s, "...") {
			return false
		}
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ':':
			if inFlow || s[i+1] == ' ' {
				return false
			}
		case '#':
			if s[i-1] == ' ' {
				return false
			}
		case ',', '?', '[', ']', '{', '}':
			if inFlow {
				return false
			}
		}
	}
	return true
}

// folded writes a folded block scalar whose content lines start at indent,
// as yaml.v3 does for the values it accepts: printable ASCII and line
// breaks, no leading blank or break, no blank before a break or at the end,
// no line starting with a blank, and at most one final line break.
func (w *fastWriter) folded(s string, indent int) {
	if !w.blockHeader(s, '>') {
		return
	}
	n := len(s)
	// Each line is written indented; a run of k line breaks after it
	// becomes k+1 newlines (folding turns a single newline into a space, so
	// a kept one needs an empty line; yaml.v3 also writes one before the
	// final break), and the last line without a break ends with one.
	for i := 0; i < n; {
		j := i
		for j < n && s[j] != '\n' {
			j++
		}
		if j > i {
			w.spaces(indent)
			w.b = append(w.b, s[i:j]...)
		}
		k := 0
		for j < n && s[j] == '\n' {
			j++
			k++
		}
		if k == 0 {
			w.b = append(w.b, '\n')
		} else {
			for range k + 1 {
				w.b = append(w.b, '\n')
			}
		}
		i = j
	}
}

// literal writes a literal block scalar whose content lines start at
// indent, for values yaml.v3 writes that way without hints: printable ASCII
// and line breaks, not starting with a blank or break, no blank before a
// break or at the end, at most one final line break.
func (w *fastWriter) literal(s string, indent int) {
	if !w.blockHeader(s, '|') {
		return
	}
	n := len(s)
	for i := 0; i < n; {
		j := i
		for j < n && s[j] != '\n' {
			j++
		}
		if j > i {
			w.spaces(indent)
			w.b = append(w.b, s[i:j]...)
		}
		w.b = append(w.b, '\n')
		i = j + 1
	}
}

// blockHeader writes the header line of a block scalar in style '>' or '|'
// after checking the restrictions folded and literal describe, the folded
// style also rejecting a line that starts with a blank or tab. It clears
// w.ok and writes nothing when s does not qualify.
func (w *fastWriter) blockHeader(s string, style byte) bool {
	n := len(s)
	if n == 0 || s[0] == ' ' || s[0] == '\n' || s[n-1] == ' ' || n >= 2 && s[n-1] == '\n' && s[n-2] == '\n' {
		w.ok = false
		return false
	}
	for i := 0; i < n; i++ {
		c := s[i]
		if c == '\n' {
			if i > 0 && s[i-1] == ' ' || style == '>' && i+1 < n && (s[i+1] == ' ' || s[i+1] == '\t') {
				w.ok = false
				return false
			}
			continue
		}
		if c < 0x20 || c > 0x7e {
			w.ok = false
			return false
		}
	}
	w.b = append(w.b, ' ', style)
	if s[n-1] != '\n' {
		w.b = append(w.b, '-')
	}
	w.b = append(w.b, '\n')
	return true
}
