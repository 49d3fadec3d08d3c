package resolver

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
)

// BuildContext hashes the resolved build-time streams of a module the way MBS
// does: the SHA-1 hex digest of Python's json.dumps of the name → stream map
// with sorted keys. Pass the transitive set (xmd.mbs.buildrequires), not the
// modulemd buildrequires.
func BuildContext(buildrequires map[string]string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range sortedKeys(buildrequires) {
		if i > 0 {
			b.WriteString(", ")
		}
		pyString(&b, name)
		b.WriteString(": ")
		pyString(&b, buildrequires[name])
	}
	b.WriteByte('}')
	return sha1Hex(b.String())
}

// RuntimeContext hashes the run-time requirements of a module the way MBS
// does: the SHA-1 hex digest of Python's json.dumps of the name → sorted
// stream list map with sorted keys.
func RuntimeContext(requires map[string][]string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range sortedKeys(requires) {
		if i > 0 {
			b.WriteString(", ")
		}
		pyString(&b, name)
		b.WriteString(": [")
		streams := slices.Clone(requires[name])
		slices.Sort(streams)
		for j, s := range streams {
			if j > 0 {
				b.WriteString(", ")
			}
			pyString(&b, s)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return sha1Hex(b.String())
}

// Context combines a build and a runtime context into the 8-character module
// context: the first 8 hex digits of SHA-1("<build>:<runtime>").
func Context(buildContext, runtimeContext string) string {
	return sha1Hex(buildContext + ":" + runtimeContext)[:8]
}

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// pyString writes s as Python's json.dumps does with ensure_ascii: short
// escapes for quote, backslash and \b \f \n \r \t, \u00XX for other control
// characters and \uXXXX (surrogate pairs above U+FFFF) for non-ASCII.
func pyString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, `\u%04x`, r)
		case r < 0x80:
			b.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
}
