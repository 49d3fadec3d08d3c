package modulemd

import (
	"fmt"
	"strconv"
	"strings"
)

// NSVCA identifies a module stream build: name, stream, version, context and
// architecture. Empty strings and a zero version mean "unset".
type NSVCA struct {
	Name    string
	Stream  string
	Version uint64
	Context string
	Arch    string
}

// ParseNSVCA parses "N:S:V:C:A". Trailing fields may be omitted and any field
// but the name may be empty ("foo", "foo:bar", "foo:bar::c1",
// "foo:bar:::x86_64"). The version, when present, must be a base-10
// unsigned integer. Errors wrap [ErrInvalid].
func ParseNSVCA(s string) (NSVCA, error) {
	parts := strings.Split(s, ":")
	if len(parts) > 5 {
		return NSVCA{}, fmt.Errorf("modulemd: parse NSVCA %q: %d fields, want at most 5 (name:stream:version:context:arch): %w",
			s, len(parts), ErrInvalid)
	}
	if parts[0] == "" {
		return NSVCA{}, fmt.Errorf("modulemd: parse NSVCA %q: empty module name, want name[:stream[:version[:context[:arch]]]]: %w",
			s, ErrInvalid)
	}
	var n NSVCA
	n.Name = parts[0]
	if len(parts) > 1 {
		n.Stream = parts[1]
	}
	if len(parts) > 2 && parts[2] != "" {
		v, err := strconv.ParseUint(parts[2], 10, 64)
		if err != nil || parts[2][0] == '+' {
			return NSVCA{}, fmt.Errorf("modulemd: parse NSVCA %q: version %q is not a base-10 unsigned integer: %w",
				s, parts[2], ErrInvalid)
		}
		n.Version = v
	}
	if len(parts) > 3 {
		n.Context = parts[3]
	}
	if len(parts) > 4 {
		n.Arch = parts[4]
	}
	return n, nil
}

// String formats n as libmodulemd does: "N:S:V:C:A" with a zero version and
// unset fields left empty and trailing colons stripped ("foo:a",
// "foo:a::c1", "foo:a:::x86_64", "foo::5"). It returns "" when the name is
// empty.
func (n NSVCA) String() string {
	if n.Name == "" {
		return ""
	}
	var b strings.Builder
	n.appendTo(&b)
	return b.String()
}

func (n NSVCA) appendTo(b *strings.Builder) {
	start := b.Len()
	b.WriteString(n.Name)
	b.WriteByte(':')
	b.WriteString(n.Stream)
	b.WriteByte(':')
	if n.Version != 0 {
		b.WriteString(strconv.FormatUint(n.Version, 10))
	}
	b.WriteByte(':')
	b.WriteString(n.Context)
	b.WriteByte(':')
	b.WriteString(n.Arch)
	// Strip trailing colons.
	s := b.String()
	end := len(s)
	for end > start && s[end-1] == ':' {
		end--
	}
	if end != len(s) {
		cut := s[:end]
		b.Reset()
		b.WriteString(cut)
	}
}

// NSVCA returns the stream's identity.
func (s *Stream) NSVCA() NSVCA {
	return NSVCA{Name: s.Name, Stream: s.Stream, Version: s.Version, Context: s.Context, Arch: s.Arch}
}

// NSVC returns "N:S:V" or, when a context is set, "N:S:V:C", always printing
// the version ("foo:a:0"). It returns "" when the name or the stream is
// empty, as libmodulemd returns NULL.
func (s *Stream) NSVC() string {
	if s.Name == "" || s.Stream == "" {
		return ""
	}
	v := s.Name + ":" + s.Stream + ":" + strconv.FormatUint(s.Version, 10)
	if s.Context != "" {
		v += ":" + s.Context
	}
	return v
}
