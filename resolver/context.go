package resolver

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"slices"

	"github.com/modkit/modkit/internal/pyjson"
)

// BuildContext hashes the resolved build-time streams of a module the way MBS
// does: the SHA-1 hex digest of Python's json.dumps of the name → stream map
// with sorted keys. Pass the transitive set (xmd.mbs.buildrequires), not the
// modulemd buildrequires.
func BuildContext(buildrequires map[string]string) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, name := range sortedKeys(buildrequires) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Write(pyjson.AppendString(b.AvailableBuffer(), name))
		b.WriteString(": ")
		b.Write(pyjson.AppendString(b.AvailableBuffer(), buildrequires[name]))
	}
	b.WriteByte('}')
	return sha1Hex(b.String())
}

// RuntimeContext hashes the run-time requirements of a module the way MBS
// does: the SHA-1 hex digest of Python's json.dumps of the name → sorted
// stream list map with sorted keys.
func RuntimeContext(requires map[string][]string) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, name := range sortedKeys(requires) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Write(pyjson.AppendString(b.AvailableBuffer(), name))
		b.WriteString(": [")
		streams := slices.Clone(requires[name])
		slices.Sort(streams)
		for j, s := range streams {
			if j > 0 {
				b.WriteString(", ")
			}
			b.Write(pyjson.AppendString(b.AvailableBuffer(), s))
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

// appendSortedKeys appends m's keys, sorted, to buf[:0] (no allocation
// when buf is large enough).
func appendSortedKeys[V any](buf []string, m map[string]V) []string {
	buf = buf[:0]
	for k := range m {
		buf = append(buf, k)
	}
	slices.Sort(buf)
	return buf
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
