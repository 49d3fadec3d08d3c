package modulemd

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// XMD is a document's free-form extensible metadata (`xmd`), held in a
// compact, immutable encoding: a large index would otherwise spend more
// memory on its xmd maps than on everything else. The zero XMD is absent.
// [XMD.Get] reads one value without decoding the rest; [XMD.Value] decodes a
// fresh copy of the whole tree; [NewXMD] makes an XMD from Go values, so
// changing xmd means decoding it, changing the copy and making a new XMD.
//
// Values, as decoded and encoded:
//
//   - a scalar is a string holding the scalar's text, except the exact
//     scalars TRUE and FALSE, quoted or not, which are the booleans true and
//     false (as in libmodulemd; so the strings "TRUE" and "FALSE" cannot be
//     written: encoding a document holding them fails). There is no null: `key:` is the empty
//     string and `~` is the string "~", which is what libmodulemd reads too,
//     so every value survives a decode/encode round trip unchanged;
//   - a mapping is a map[string]any (keys are written sorted);
//   - a sequence is a []any (elements of any kind, kept in order; unlike
//     libmodulemd, mixed lists lose nothing).
//
// The top level is a mapping or a scalar; a top-level sequence is an error.
type XMD struct {
	// enc is the encoded value (see xmdEnc*), "" when absent. Mapping keys
	// are sorted and unique, so equal values have equal encodings.
	enc string
}

// The encoding: a tag byte, then for a string a uvarint length and the bytes,
// for a mapping a uvarint count and that many (uvarint key length, key,
// value), for a sequence a uvarint count and that many values.
const (
	xmdEncString = 's'
	xmdEncTrue   = 't'
	xmdEncFalse  = 'f'
	xmdEncMap    = 'm'
	xmdEncList   = 'l'
)

// NewXMD makes an XMD from v: nil (absent), a string, a bool, or a
// map[string]any of such values, []any and map[string]any, nested at most
// 100 levels deep. It refuses other types, invalid UTF-8 and a top-level
// list. Errors name the
// offending value's path ("xmd.mbs.rpms") and wrap [ErrInvalid] or
// [ErrLimit].
func NewXMD(v any) (XMD, error) {
	if v == nil {
		return XMD{}, nil
	}
	if _, ok := v.([]any); ok {
		return XMD{}, fmt.Errorf("modulemd: xmd must be a mapping or a scalar, not a list: %w", ErrInvalid)
	}
	e := xmdEncoder{top: "xmd"}
	if err := e.value(v, 1); err != nil {
		return XMD{}, fmt.Errorf("modulemd: %w", err)
	}
	return XMD{enc: string(e.b)}, nil
}

// MustXMD is NewXMD for values known to be valid (literals in programs and
// tests); it panics on an error.
func MustXMD(v any) XMD {
	x, err := NewXMD(v)
	if err != nil {
		panic(err.Error() + " (in MustXMD)")
	}
	return x
}

// IsZero reports whether x is absent.
func (x XMD) IsZero() bool { return x.enc == "" }

// Value returns a fresh copy of the whole value (string, bool,
// map[string]any or []any), or nil when x is absent. The caller may change
// it; x does not change.
func (x XMD) Value() any {
	if x.enc == "" {
		return nil
	}
	d := xmdDecoder{s: x.enc}
	return d.value()
}

// Map returns a fresh copy of the top-level mapping: an empty map when x is
// absent or a scalar.
func (x XMD) Map() map[string]any {
	if m, ok := x.Value().(map[string]any); ok {
		return m
	}
	return map[string]any{}
}

// Get returns a fresh copy of the value reached from the top-level mapping
// through keys (each naming a mapping entry), decoding nothing else; nil when
// a key is missing or a value on the way is not a mapping. With no keys it
// is Value.
func (x XMD) Get(keys ...string) any {
	if x.enc == "" {
		return nil
	}
	d := xmdDecoder{s: x.enc}
	for _, k := range keys {
		if !d.find(k) {
			return nil
		}
	}
	return d.value()
}

// GetString is Get for a string value: "" when the value is missing or is
// not a string.
func (x XMD) GetString(keys ...string) string {
	s, _ := x.Get(keys...).(string)
	return s
}

// Equal reports whether x and y hold the same value. An absent XMD equals an
// empty mapping.
func (x XMD) Equal(y XMD) bool {
	const emptyMap = string(xmdEncMap) + "\x00"
	norm := func(s string) string {
		if s == emptyMap {
			return ""
		}
		return s
	}
	return norm(x.enc) == norm(y.enc)
}

// String formats the value as fmt's %v does for Value.
func (x XMD) String() string { return fmt.Sprint(x.Value()) }

// MarshalJSON encodes the value as JSON (null when absent).
func (x XMD) MarshalJSON() ([]byte, error) { return json.Marshal(x.Value()) }

// xmdEncoder builds the encoding of a Go value, checking it.
type xmdEncoder struct {
	b    []byte
	top  string
	segs []xmdSeg
	keys []string // a stack of sorted map keys
}

func (e *xmdEncoder) path() string { return spellXMDPath(e.top, e.segs) }

func (e *xmdEncoder) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *xmdEncoder) value(v any, depth int) error {
	if depth > maxXMDDepth {
		return fmt.Errorf("%s: xmd is nested more than %d levels deep: %w", e.path(), maxXMDDepth, ErrLimit)
	}
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) {
			return fmt.Errorf("%s: xmd string is not valid UTF-8: %w", e.path(), ErrInvalid)
		}
		e.b = append(e.b, xmdEncString)
		e.str(x)
	case bool:
		if x {
			e.b = append(e.b, xmdEncTrue)
		} else {
			e.b = append(e.b, xmdEncFalse)
		}
	case map[string]any:
		e.b = append(e.b, xmdEncMap)
		e.b = binary.AppendUvarint(e.b, uint64(len(x)))
		base := len(e.keys)
		for k := range x {
			e.keys = append(e.keys, k)
		}
		slices.Sort(e.keys[base:])
		defer func() { clear(e.keys[base:]); e.keys = e.keys[:base] }()
		for i := base; i < base+len(x); i++ {
			k := e.keys[i] // e.keys may be reallocated by the recursion
			if !utf8.ValidString(k) {
				return fmt.Errorf("%s: xmd key is not valid UTF-8: %w", e.path(), ErrInvalid)
			}
			e.str(k)
			e.segs = append(e.segs, xmdSeg{key: k, index: -1})
			if err := e.value(x[k], depth+1); err != nil {
				return err
			}
			e.segs = e.segs[:len(e.segs)-1]
		}
	case []any:
		e.b = append(e.b, xmdEncList)
		e.b = binary.AppendUvarint(e.b, uint64(len(x)))
		for i, el := range x {
			e.segs = append(e.segs, xmdSeg{index: i})
			if err := e.value(el, depth+1); err != nil {
				return err
			}
			e.segs = e.segs[:len(e.segs)-1]
		}
	case nil:
		return fmt.Errorf("%s: xmd holds nil; expected a string, bool, []any or map[string]any: %w", e.path(), ErrInvalid)
	default:
		return fmt.Errorf("%s: xmd holds a %T; expected a string, bool, []any or map[string]any: %w",
			e.path(), v, ErrInvalid)
	}
	return nil
}

// xmdDecoder reads an encoding made by xmdEncoder or docReader.xmd, which
// are the only writers, so it trusts its input.
type xmdDecoder struct {
	s   string
	off int
}

func (d *xmdDecoder) uvarint() int {
	v, n := binary.Uvarint([]byte(d.s[d.off:min(len(d.s), d.off+binary.MaxVarintLen64)]))
	d.off += n
	return int(v)
}

func (d *xmdDecoder) str() string {
	n := d.uvarint()
	s := d.s[d.off : d.off+n]
	d.off += n
	return s
}

// value decodes the value at the cursor into fresh Go values.
func (d *xmdDecoder) value() any {
	tag := d.s[d.off]
	d.off++
	switch tag {
	case xmdEncString:
		return strings.Clone(d.str())
	case xmdEncTrue:
		return true
	case xmdEncFalse:
		return false
	case xmdEncMap:
		n := d.uvarint()
		m := make(map[string]any, n)
		for range n {
			k := strings.Clone(d.str())
			m[k] = d.value()
		}
		return m
	default: // xmdEncList
		n := d.uvarint()
		l := make([]any, n)
		for i := range l {
			l[i] = d.value()
		}
		return l
	}
}

// skip moves the cursor past the value there.
func (d *xmdDecoder) skip() {
	tag := d.s[d.off]
	d.off++
	switch tag {
	case xmdEncString:
		d.str()
	case xmdEncMap:
		for range d.uvarint() {
			d.str()
			d.skip()
		}
	case xmdEncList:
		for range d.uvarint() {
			d.skip()
		}
	}
}

// find moves the cursor, at a mapping, to the value of key; it reports
// false when the value there is not a mapping or has no such key.
func (d *xmdDecoder) find(key string) bool {
	if d.s[d.off] != xmdEncMap {
		return false
	}
	d.off++
	for range d.uvarint() {
		k := d.str()
		if k == key {
			return true
		}
		if k > key { // keys are sorted
			return false
		}
		d.skip()
	}
	return false
}

// node builds the YAML for the value at the cursor; segs is the path below
// top, for errors.
func (d *xmdDecoder) node(b *builder, top string, segs []xmdSeg) (*yaml.Node, error) {
	tag := d.s[d.off]
	d.off++
	switch tag {
	case xmdEncString:
		s := d.str()
		if s == "TRUE" || s == "FALSE" {
			// libmodulemd reads the scalar TRUE as a boolean however it is
			// quoted, so this string cannot be written faithfully.
			return nil, fmt.Errorf("%s: the xmd string %q would read back as a boolean; use the bool %s: %w",
				spellXMDPath(top, segs), s, strings.ToLower(s), ErrInvalid)
		}
		return b.strNode(s), nil
	case xmdEncTrue:
		return b.alloc(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "TRUE"}), nil
	case xmdEncFalse:
		return b.alloc(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "FALSE"}), nil
	case xmdEncMap:
		m := b.alloc(yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
		n := d.uvarint()
		if n == 0 {
			m.Style = yaml.FlowStyle
			return m, nil
		}
		m.Content = b.content(2 * n)
		for range n {
			key := d.str()
			v, err := d.node(b, top, append(segs, xmdSeg{key: key, index: -1}))
			if err != nil {
				return nil, err
			}
			m.Content = append(m.Content, b.strNode(key), v)
		}
		return m, nil
	default: // xmdEncList
		l := b.alloc(yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"})
		n := d.uvarint()
		if n == 0 {
			l.Style = yaml.FlowStyle
			return l, nil
		}
		l.Content = b.content(n)
		for i := range n {
			v, err := d.node(b, top, append(segs, xmdSeg{index: i}))
			if err != nil {
				return nil, err
			}
			l.Content = append(l.Content, v)
		}
		return l, nil
	}
}

// xmdNode builds the YAML for an xmd value found at path.
func (b *builder) xmdNode(x XMD, path string) (*yaml.Node, error) {
	d := xmdDecoder{s: x.enc}
	return d.node(b, path, nil)
}

// xmd reads an xmd value, checking it, into its encoding.
func (r *docReader) xmd(n *yaml.Node, path string) XMD {
	n = r.deref(n, path)
	if n == nil {
		return XMD{}
	}
	if n.Kind == yaml.SequenceNode {
		r.fail(n, path, ErrType, "expected xmd to be a mapping or a scalar, got a sequence")
		return XMD{}
	}
	r.at(path, n)
	sc := xmdScratchPool.Get().(*xmdScratch)
	sc.reset()
	r.xmdTop, r.scratch = path, sc
	defer func() {
		r.scratch = nil
		if cap(sc.buf) <= maxPooledXMDScratch {
			xmdScratchPool.Put(sc)
		}
	}()
	if !r.xmdAt(n, 0) {
		return XMD{}
	}
	return XMD{enc: string(sc.buf)}
}

// xmdScratch is the working space of reading one xmd value, reused across
// documents (decoding a large index reads thousands of them).
type xmdScratch struct {
	segs []xmdSeg // the path below xmdTop
	// buf receives the encoding; tmp is where a mapping's entries are
	// sorted.
	buf, tmp []byte
	// spans is a stack: each mapping being read uses the part from where
	// it started, and truncates it back when done.
	spans []xmdSpan
}

// maxPooledXMDScratch is the largest buffer kept for reuse; the scratch of
// an unusually large xmd value is left to the collector.
const maxPooledXMDScratch = 1 << 20

var xmdScratchPool = sync.Pool{New: func() any { return new(xmdScratch) }}

func (sc *xmdScratch) reset() {
	sc.segs, sc.buf, sc.tmp = sc.segs[:0], sc.buf[:0], sc.tmp[:0]
	sc.spans = sc.spans[:0]
}

// xmdPath spells out the path of the xmd value being read, for errors and
// the rare aliased node.
func (r *docReader) xmdPath() string {
	return spellXMDPath(r.xmdTop, r.scratch.segs)
}

// xmdSpan is a mapping entry being encoded: its key and where its encoded
// value lies in the scratch buffer.
type xmdSpan struct {
	key        string
	start, end int
}

// xmdAt appends the encoding of the xmd value at the path r.xmdTop + the
// scratch segments to the scratch buffer; it reports false when the value
// is unusable (an error was recorded).
func (r *docReader) xmdAt(n *yaml.Node, depth int) bool {
	if n != nil && n.Kind == yaml.AliasNode {
		n = r.deref(n, r.xmdPath())
	}
	if n == nil {
		return false
	}
	sc := r.scratch
	if depth >= maxXMDDepth {
		r.limitHit = true
		r.fail(n, r.xmdPath(), ErrLimit, "xmd is nested more than %d levels deep", maxXMDDepth)
		return false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Value {
		case "TRUE":
			sc.buf = append(sc.buf, xmdEncTrue)
		case "FALSE":
			sc.buf = append(sc.buf, xmdEncFalse)
		default:
			sc.buf = append(sc.buf, xmdEncString)
			sc.buf = binary.AppendUvarint(sc.buf, uint64(len(n.Value)))
			sc.buf = append(sc.buf, n.Value...)
		}
		return true
	case yaml.MappingNode:
		return r.xmdMapping(n, depth)
	case yaml.SequenceNode:
		sc.buf = append(sc.buf, xmdEncList)
		sc.buf = binary.AppendUvarint(sc.buf, uint64(len(n.Content)))
		ok := true
		for i, c := range n.Content {
			if r.limitHit {
				return false
			}
			sc.segs = append(sc.segs, xmdSeg{index: i})
			ok = r.xmdAt(c, depth+1) && ok
			sc.segs = sc.segs[:len(sc.segs)-1]
		}
		return ok
	}
	r.fail(n, r.xmdPath(), ErrType, "unexpected %s in xmd", kindName(n))
	return false
}

// xmdMapping encodes a mapping: its values are encoded in document order
// (so that problems are reported in that order), then the entries are
// rewritten sorted by key, the last of duplicate keys winning.
func (r *docReader) xmdMapping(n *yaml.Node, depth int) bool {
	sc := r.scratch
	simple := true
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Kind != yaml.ScalarNode {
			simple = false
			break
		}
	}
	// The entries come from the document's slab (docReader.entries); this
	// mapping's spans are sc.spans[sb:] (an index, not a slice: the values
	// read below push onto the stack and may move it).
	var ents []entry
	if simple {
		eb := len(r.ents)
		for i := 0; i+1 < len(n.Content); i += 2 {
			r.ents = append(r.ents, entry{key: n.Content[i].Value, kn: n.Content[i], v: n.Content[i+1]})
		}
		ents = r.ents[eb:len(r.ents):len(r.ents)]
	} else {
		ents = r.entries(n, r.xmdPath())
	}
	sb := len(sc.spans)
	defer func() { sc.spans = sc.spans[:sb] }()
	start := len(sc.buf)
	ok := true
	sorted := true
	for i, e := range ents {
		if r.limitHit {
			return false
		}
		sc.segs = append(sc.segs, xmdSeg{key: e.key, index: -1})
		vs := len(sc.buf)
		ok = r.xmdAt(e.v, depth+1) && ok
		sc.segs = sc.segs[:len(sc.segs)-1]
		sc.spans = append(sc.spans, xmdSpan{key: e.key, start: vs - start, end: len(sc.buf) - start})
		if i > 0 && e.key <= ents[i-1].key {
			sorted = false
		}
	}
	if !ok {
		return false
	}
	spans := sc.spans[sb:]
	if !sorted {
		slices.SortStableFunc(spans, func(a, b xmdSpan) int { return strings.Compare(a.key, b.key) })
		// Keep the last of equal keys.
		out := spans[:0]
		for i, sp := range spans {
			if i+1 < len(spans) && spans[i+1].key == sp.key {
				continue
			}
			out = append(out, sp)
		}
		spans = out
	}
	sc.tmp = append(sc.tmp[:0], sc.buf[start:]...)
	sc.buf = append(sc.buf[:start], xmdEncMap)
	sc.buf = binary.AppendUvarint(sc.buf, uint64(len(spans)))
	for _, sp := range spans {
		sc.buf = binary.AppendUvarint(sc.buf, uint64(len(sp.key)))
		sc.buf = append(sc.buf, sp.key...)
		sc.buf = append(sc.buf, sc.tmp[sp.start:sp.end]...)
	}
	return true
}

// xmdSeg is one step of the path to an xmd value: a mapping key, or a
// sequence index when index >= 0.
type xmdSeg struct {
	key   string
	index int
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
