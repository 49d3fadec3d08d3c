package productmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/modkit/modkit/internal/pyjson"
)

// FormatVersion is the header version this package writes.
const FormatVersion = "1.2"

// Header types of the metadata files.
const (
	TypeComposeInfo = "productmd.composeinfo"
	TypeRPMs        = "productmd.rpms"
	TypeModules     = "productmd.modules"
	TypeImages      = "productmd.images"
	TypeExtraFiles  = "productmd.extra_files"
	TypeTreeInfo    = "productmd.treeinfo"
)

// ErrUnsupportedVersion is returned (wrapped) for a header version this
// package cannot read (2.0 and later).
var ErrUnsupportedVersion = errors.New("unsupported productmd format version")

// Header is the envelope header of every metadata file.
type Header struct {
	// Type is one of the Type* constants. Files older than 1.1 may have none.
	Type string
	// Version is the format version of the file as read ("0.3", "1.2", ...).
	// Encoders ignore it and write FormatVersion.
	Version string
}

// version returns the header version as (major, minor).
func (h Header) version() (int, int) {
	maj, min, _ := parseVersion(h.Version)
	return maj, min
}

// atLeast reports whether the header version is >= maj.min.
func (h Header) atLeast(maj, min int) bool {
	a, b := h.version()
	return a > maj || a == maj && b >= min
}

var versionRE = regexp.MustCompile(`^\d+\.\d+$`)

func parseVersion(v string) (int, int, bool) {
	if !versionRE.MatchString(v) {
		return 0, 0, false
	}
	a, b, _ := strings.Cut(v, ".")
	maj, err1 := strconv.Atoi(a)
	min, err2 := strconv.Atoi(b)
	return maj, min, err1 == nil && err2 == nil
}

// Problem is one validation failure: the field (a dotted path inside the
// document, such as "payload.variants.Server.arches") and what is wrong.
type Problem struct {
	Field   string
	Message string
}

func (p Problem) String() string {
	if p.Field == "" {
		return p.Message
	}
	return p.Field + ": " + p.Message
}

// ValidationError lists every problem found in a document.
type ValidationError struct {
	// Kind is the header type of the document ("productmd.rpms", ...).
	Kind     string
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "productmd: invalid %s", e.Kind)
	if len(e.Problems) == 1 {
		b.WriteString(": " + e.Problems[0].String())
		return b.String()
	}
	fmt.Fprintf(&b, " (%d problems)", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n\t" + p.String())
	}
	return b.String()
}

// problems collects validation problems.
type problems struct {
	kind string
	list []Problem
}

func (p *problems) add(field, format string, args ...any) {
	p.list = append(p.list, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{Kind: p.kind, Problems: p.list}
}

// SyntaxError is a JSON or INI syntax error at a line and column (both from
// 1) of the input.
type SyntaxError struct {
	Kind         string
	Line, Column int
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("productmd: %s: line %d, column %d: %s", e.Kind, e.Line, e.Column, e.Msg)
}

// lineCol converts a byte offset into a line and column.
func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// decodeJSON unmarshals data into v, turning JSON errors into errors with a
// position or a field.
func decodeJSON(kind string, data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			l, c := lineCol(data, se.Offset)
			return &SyntaxError{Kind: kind, Line: l, Column: c, Msg: se.Error()}
		case errors.As(err, &te):
			l, c := lineCol(data, te.Offset)
			return &SyntaxError{Kind: kind, Line: l, Column: c,
				Msg: fmt.Sprintf("field %s: expected %s, got JSON %s", te.Field, te.Type, te.Value)}
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			l, c := lineCol(data, int64(len(data)))
			return &SyntaxError{Kind: kind, Line: l, Column: c, Msg: "unexpected end of input"}
		}
		return fmt.Errorf("productmd: %s: %w", kind, err)
	}
	if dec.More() {
		l, c := lineCol(data, dec.InputOffset())
		return &SyntaxError{Kind: kind, Line: l, Column: c, Msg: "data after the JSON document"}
	}
	return nil
}

// envelope is the outer JSON object of every metadata file.
type envelope struct {
	Header *struct {
		Type    *string `json:"type"`
		Version *string `json:"version"`
	} `json:"header"`
	Payload json.RawMessage `json:"payload"`
}

// decodePayload decodes the payload of a whole document into v, so that
// errors carry positions in the document and field paths from its root.
func decodePayload(kind string, data []byte, v any) error {
	return decodeJSON(kind, data, &struct {
		Payload any `json:"payload"`
	}{Payload: v})
}

// readEnvelope reads and checks the header: the version must be a
// MAJOR.MINOR string, below 2.0, and from 1.1 on the type must be want.
func readEnvelope(want string, data []byte) (Header, json.RawMessage, error) {
	var env envelope
	if err := decodeJSON(want, data, &env); err != nil {
		return Header{}, nil, err
	}
	p := problems{kind: want}
	var h Header
	switch {
	case env.Header == nil:
		p.add("header", "missing")
	case env.Header.Version == nil:
		p.add("header.version", "missing")
	default:
		h.Version = *env.Header.Version
		if env.Header.Type != nil {
			h.Type = *env.Header.Type
		}
		maj, _, ok := parseVersion(h.Version)
		switch {
		case !ok:
			p.add("header.version", "%q is not MAJOR.MINOR", h.Version)
		case maj >= 2:
			return h, nil, fmt.Errorf("productmd: %s: header.version %s: %w (this package reads 0.x to 1.2)", want, h.Version, ErrUnsupportedVersion)
		case h.atLeast(1, 1) && env.Header.Type == nil:
			p.add("header.type", "missing (required from version 1.1)")
		case h.atLeast(1, 1) && h.Type != want:
			p.add("header.type", "is %q, expected %q", h.Type, want)
		}
	}
	if env.Payload == nil || string(env.Payload) == "null" {
		p.add("payload", "missing")
	}
	if err := p.err(); err != nil {
		return h, nil, err
	}
	if h.Type == "" {
		h.Type = want
	}
	return h, env.Payload, nil
}

// RPMArches are the architecture names productmd accepts.
var RPMArches = []string{
	"aarch64", "alpha", "alphaev4", "alphaev45", "alphaev5", "alphaev56", "alphaev6", "alphaev67",
	"alphaev68", "alphaev7", "alphapca56", "amd64", "arm64", "armhfp", "armv5tejl", "armv5tel",
	"armv5tl", "armv6hl", "armv6l", "armv7hl", "armv7hnl", "armv7l", "armv8hl", "armv8l", "athlon",
	"geode", "i386", "i486", "i586", "i686", "ia32e", "ia64", "loongarch64", "mips", "mips64",
	"mips64el", "mipsel", "ppc", "ppc64", "ppc64iseries", "ppc64le", "ppc64p7", "ppc64pseries",
	"riscv128", "riscv32", "riscv64", "s390", "s390x", "sh3", "sh4", "sh4a", "sparc", "sparc64",
	"sparc64v", "sparcv8", "sparcv9", "sparcv9v", "x86_64", "src", "nosrc", "noarch",
}

// IsRPMArch reports whether arch is one of RPMArches.
func IsRPMArch(arch string) bool { return slices.Contains(RPMArches, arch) }

// isSourceArch reports whether arch is src or nosrc.
func isSourceArch(arch string) bool { return arch == "src" || arch == "nosrc" }

// Categories of RPMs and module metadata.
const (
	CategoryBinary = "binary"
	CategoryDebug  = "debug"
	CategorySource = "source"
)

var categories = []string{CategoryBinary, CategoryDebug, CategorySource}

// ---- output: the JSON productmd writes ----

// obj is an ordered-on-output JSON object (keys are sorted when written).
type obj = map[string]any

// writeJSON renders v as Python's json.dump(indent=4, sort_keys=True,
// separators=(",", ": ")) with ensure_ascii does, plus a final newline-free
// end (productmd writes none).
func writeJSON(v any) []byte {
	var b bytes.Buffer
	writeValue(&b, v, 0)
	return b.Bytes()
}

func writeValue(b *bytes.Buffer, v any, depth int) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		b.Write(pyjson.AppendString(b.AvailableBuffer(), x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case []string:
		l := make([]any, len(x))
		for i, s := range x {
			l[i] = s
		}
		writeValue(b, l, depth)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(",")
			}
			newline(b, depth+1)
			writeValue(b, e, depth+1)
		}
		newline(b, depth)
		b.WriteString("]")
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}")
			return
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, comparePython)
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			newline(b, depth+1)
			b.Write(pyjson.AppendString(b.AvailableBuffer(), k))
			b.WriteString(": ")
			writeValue(b, x[k], depth+1)
		}
		newline(b, depth)
		b.WriteString("}")
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		writeValue(b, m, depth)
	default:
		panic(fmt.Sprintf("productmd: writeValue: unexpected %T", v))
	}
}

// comparePython orders strings by code point, as Python's sorted() does.
func comparePython(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	return slices.Compare(ra, rb)
}

func newline(b *bytes.Buffer, depth int) {
	b.WriteByte('\n')
	for range depth {
		b.WriteString("    ")
	}
}

// document wraps a payload into the envelope with the current header.
func document(kind string, payload obj) []byte {
	return writeJSON(obj{
		"header":  obj{"type": kind, "version": FormatVersion},
		"payload": payload,
	})
}

// isRelative reports whether path does not start with a slash.
func isRelative(path string) bool { return !strings.HasPrefix(path, "/") }

func errorf(format string, args ...any) error { return fmt.Errorf("productmd: "+format, args...) }

// formatNumber formats a JSON number as Python's str() of int or float.
func formatNumber(f float64) string {
	if f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
