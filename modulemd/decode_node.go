package modulemd

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Safety limits of the decoder.
const (
	// maxAliasNodes bounds how many nodes one document may reach through YAML
	// aliases, counting each expansion (alias bombs).
	maxAliasNodes = 100_000
	// maxXMDDepth bounds the nesting of xmd values.
	maxXMDDepth = 100
)

// docReader converts the yaml.Node tree of one document into a Document,
// collecting every problem and the position of every field it reads.
type docReader struct {
	file    string
	doc     int
	lineOff int // added to yaml.v3's chunk-relative line numbers
	strict  bool

	errs []error
	pos  *positions
	in   *interner // may be nil

	// xmdTop is the path of the xmd value being read (with the segments
	// in scratch.segs).
	xmdTop  string
	scratch *xmdScratch // taken from xmdScratchPool while reading xmd
	// ents is the slab entries carves its results from; entsBox is the
	// pool's holder for it.
	ents    []entry
	entsBox *[]entry
	// lastParent and lastParentHash memoize pathHash for atJoin.
	lastParent     string
	lastParentHash uint32

	aliasBudget int
	sizes       map[*yaml.Node]int // memoized alias target sizes
	limitHit    bool
}

// fail records one problem at node n (or at no location when n is nil).
func (r *docReader) fail(n *yaml.Node, path string, sentinel error, format string, args ...any) {
	e := &ParseError{File: r.file, Doc: r.doc, Path: path, Msg: fmt.Sprintf(format, args...), Err: sentinel}
	if n != nil {
		e.Line, e.Column = n.Line+r.lineOff, n.Column
	}
	r.errs = append(r.errs, e)
}

// err returns the collected problems, or nil.
func (r *docReader) err() error {
	switch len(r.errs) {
	case 0:
		return nil
	case 1:
		return r.errs[0]
	}
	return errors.Join(r.errs...)
}

// at records where path was found.
func (r *docReader) at(path string, n *yaml.Node) {
	r.pos.record(path, Position{Line: n.Line + r.lineOff, Column: n.Column})
}

// atJoin is r.at(path+"."+key, n) without building the path.
func (r *docReader) atJoin(path, key string, n *yaml.Node) {
	at := Position{Line: n.Line + r.lineOff, Column: n.Column}
	if path == "" || path == "data" {
		r.pos.record(join(path, key), at) // may be an eager path
		return
	}
	r.pos.push(joinHash(r.parentHash(path), key), at)
}

// parentHash is pathHash(path), remembered for the last path asked: the
// fields of one mapping come one after another with the same parent.
func (r *docReader) parentHash(path string) uint32 {
	if path != r.lastParent {
		r.lastParent, r.lastParentHash = path, pathHash(path)
	}
	return r.lastParentHash
}

// warn records a decode-time lint finding.
func (r *docReader) warn(n *yaml.Node, path, code, format string, args ...any) {
	r.pos.warnings = append(r.pos.warnings, Warning{
		File: r.file, Doc: r.doc, Line: n.Line + r.lineOff, Column: n.Column,
		Path: path, Msg: fmt.Sprintf(format, args...), Code: code,
	})
}

// deref follows aliases, charging the size of what they expand to against
// the document's alias budget. It returns nil once the budget is exhausted
// (after recording an ErrLimit problem once).
func (r *docReader) deref(n *yaml.Node, path string) *yaml.Node {
	for hops := 0; n != nil && n.Kind == yaml.AliasNode; hops++ {
		if r.limitHit {
			return nil
		}
		t := n.Alias
		if t == nil || hops > 100 {
			r.fail(n, path, ErrSyntax, "unresolvable alias %q", n.Value)
			return nil
		}
		r.aliasBudget -= r.size(t, 0)
		if r.aliasBudget < 0 {
			r.limitHit = true
			r.fail(n, path, ErrLimit, "aliases expand to more than %d nodes", maxAliasNodes)
			return nil
		}
		n = t
	}
	return n
}

// size counts the nodes below n, expanding aliases, saturating just above
// the alias budget so that exponential expansions stay cheap to measure.
func (r *docReader) size(n *yaml.Node, depth int) int {
	if n == nil {
		return 1
	}
	if s, ok := r.sizes[n]; ok {
		return s
	}
	if depth > 10_000 {
		return maxAliasNodes + 1
	}
	s := 1
	for _, c := range n.Content {
		s += r.size(c, depth+1)
		if s > maxAliasNodes {
			s = maxAliasNodes + 1
			break
		}
	}
	if n.Kind == yaml.AliasNode {
		s += r.size(n.Alias, depth+1)
		if s > maxAliasNodes {
			s = maxAliasNodes + 1
		}
	}
	if r.sizes == nil {
		r.sizes = make(map[*yaml.Node]int)
	}
	r.sizes[n] = s
	return s
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		return fmt.Sprintf("the scalar %q", truncate(n.Value, 40))
	case yaml.DocumentNode:
		return "a document"
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// mapping checks that n is a mapping and returns it (nil otherwise, after
// recording the problem). what names the expected content for the message.
func (r *docReader) mapping(n *yaml.Node, path, what string) *yaml.Node {
	n = r.deref(n, path)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		r.fail(n, path, ErrType, "expected %s (a mapping), got %s", what, kindName(n))
		return nil
	}
	return n
}

// mapAt is mapping that also records where path was found.
func (r *docReader) mapAt(n *yaml.Node, path, what string) *yaml.Node {
	m := r.mapping(n, path, what)
	if m != nil {
		r.at(path, m)
	}
	return m
}

// mapEntries is mapAt followed by entries: nil when n is not a mapping.
func (r *docReader) mapEntries(n *yaml.Node, path, what string) []entry {
	m := r.mapAt(n, path, what)
	if m == nil {
		return nil
	}
	return r.entries(m, path)
}

// keyed reads a mapping of names to values (what names it for the type
// error), read giving each value and whether to keep it; nil when empty.
// With dupFormat set, a name listed twice is an ErrDuplicate problem with
// that message (taking the name).
func keyed[T any](r *docReader, n *yaml.Node, path, what, dupFormat string, read func(r *docReader, e entry, path string) (T, bool)) map[string]T {
	es := r.mapEntries(n, path, what)
	if len(es) == 0 {
		return nil
	}
	out := make(map[string]T, len(es))
	for _, e := range es {
		p := path + "." + e.key
		if dupFormat != "" {
			if _, dup := out[e.key]; dup {
				r.fail(e.kn, p, ErrDuplicate, dupFormat, e.key)
				continue
			}
		}
		if v, ok := read(r, e, p); ok {
			out[r.in.get(e.key)] = v
		}
	}
	return out
}

// item checks that the value of e is a mapping (what names it for the type
// error) and records path at the key; nil when it is not a mapping.
func (r *docReader) item(e entry, path, what string) *yaml.Node {
	m := r.mapping(e.v, path, what)
	if m != nil {
		r.at(path, e.kn)
	}
	return m
}

// once reports whether a key allowed once is seen for the first time,
// recording an ErrDuplicate problem naming what otherwise.
func (r *docReader) once(seen *bool, kn *yaml.Node, path, what string) bool {
	if *seen {
		r.fail(kn, path, ErrDuplicate, "%s appears twice; expected it once", what)
		return false
	}
	*seen = true
	return true
}

// list checks that n is a sequence (of what, for the type error) and records
// where path was found; nil when it is not.
func (r *docReader) list(n *yaml.Node, path, what string) *yaml.Node {
	n = r.deref(n, path)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.fail(n, path, ErrType, "expected a list of %s, got %s", what, kindName(n))
		return nil
	}
	r.at(path, n)
	return n
}

// entry is one key/value pair of a mapping, with its key resolved.
type entry struct {
	key   string
	kn, v *yaml.Node
}

// entries lists the pairs of mapping m in order, resolving aliased keys.
// Keys that are not scalars are reported and left out.
//
// The entries are carved from r.ents, one slab per document (reused across
// documents through entsPool), instead of a slice per mapping: the result
// must not be kept after the document is read.
func (r *docReader) entries(m *yaml.Node, path string) []entry {
	start := len(r.ents)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := r.deref(m.Content[i], path)
		if k == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			r.fail(k, path, ErrType, "expected a scalar key, got %s", kindName(k))
			continue
		}
		// The key is not interned here: most keys are field names,
		// matched and dropped; what keeps a key (keyed, maps of maps)
		// interns it.
		r.ents = append(r.ents, entry{key: k.Value, kn: k, v: m.Content[i+1]})
	}
	end := len(r.ents)
	return r.ents[start:end:end]
}

// entsPool recycles the entry slabs of docReader.ents.
var entsPool = sync.Pool{New: func() any { return new([]entry) }}

// maxPooledEnts bounds the slab kept for reuse.
const maxPooledEnts = 1 << 14

// takeEnts gives r a slab for entries; releaseEnts returns it.
func (r *docReader) takeEnts() {
	r.entsBox = entsPool.Get().(*[]entry)
	r.ents = (*r.entsBox)[:0]
}

func (r *docReader) releaseEnts() {
	if r.entsBox == nil || cap(r.ents) > maxPooledEnts {
		return
	}
	clear(r.ents) // drop the references to this document's nodes
	*r.entsBox = r.ents[:0]
	entsPool.Put(r.entsBox)
	r.entsBox, r.ents = nil, nil
}

// unknown handles a key the format does not define at path: an ErrUnknownKey
// problem in strict mode, otherwise skipped with a LintUnknownKey warning.
func (r *docReader) unknown(e entry, path string, allowed []string) {
	if !r.strict {
		r.unknownLenient(e, path, allowed)
		return
	}
	r.unknownStrict(e, path, allowed)
}

// unknownLenient records a skipped unknown key as a lint finding, so that
// a lenient reader can say what it did not read.
func (r *docReader) unknownLenient(e entry, path string, allowed []string) {
	where := path
	if where == "" {
		where = "the document root"
	}
	r.warn(e.kn, join(path, e.key), LintUnknownKey, "unknown key %q in %s is ignored, as libmodulemd ignores it; expected one of: %s",
		e.key, where, strings.Join(allowed, ", "))
}

func (r *docReader) unknownStrict(e entry, path string, allowed []string) {
	where := path
	if where == "" {
		where = "the document root"
	}
	r.fail(e.kn, join(path, e.key), ErrUnknownKey, "unknown key %q in %s; expected one of: %s",
		e.key, where, strings.Join(allowed, ", "))
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// str reads a string from any scalar.
func (r *docReader) str(n *yaml.Node, path string) (string, bool) {
	n = r.deref(n, path)
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		r.fail(n, path, ErrType, "expected a string (a scalar), got %s", kindName(n))
		return "", false
	}
	r.at(path, n)
	return r.in.get(n.Value), true
}

// strField is r.str(f.v, path+"."+f.key) without building the path unless
// a problem needs it.
func (r *docReader) strField(f entry, path string) string {
	if n := f.v; n != nil && n.Kind == yaml.ScalarNode {
		r.atJoin(path, f.key, n)
		return r.in.get(n.Value)
	}
	s, _ := r.str(f.v, join(path, f.key))
	return s
}

// boolField is r.bool(f.v, path+"."+f.key) without building the path unless
// a problem needs it.
func (r *docReader) boolField(f entry, path string) bool {
	if n := f.v; n != nil && n.Kind == yaml.ScalarNode {
		if v, msg := parseBool(n.Value); msg == "" {
			r.atJoin(path, f.key, n)
			return v
		}
	}
	return r.bool(f.v, join(path, f.key))
}

// scalar returns the scalar n, or reports what was expected.
func (r *docReader) scalar(n *yaml.Node, path, what string) *yaml.Node {
	n = r.deref(n, path)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		r.fail(n, path, ErrType, "expected %s (a scalar), got %s", what, kindName(n))
		return nil
	}
	r.at(path, n)
	return n
}

func (r *docReader) uint64(n *yaml.Node, path string) (uint64, bool) {
	s := r.scalar(n, path, "an unsigned integer")
	if s == nil {
		return 0, false
	}
	v, msg := parseUint64(s.Value)
	if msg != "" {
		r.fail(s, path, ErrType, "%s", msg)
		return 0, false
	}
	return v, true
}

func (r *docReader) buildorder(n *yaml.Node, path string) int64 {
	s := r.scalar(n, path, "an integer")
	if s == nil {
		return 0
	}
	v, wrapped, msg := parseInt64(s.Value)
	if msg != "" {
		r.fail(s, path, ErrType, "%s", msg)
		return 0
	}
	if wrapped {
		r.warn(s, path, "buildorder-overflow",
			"buildorder %s is out of range; read as -1 as Fedora's libmodulemd does, write -1 instead", s.Value)
	}
	return v
}

func (r *docReader) bool(n *yaml.Node, path string) bool {
	s := r.scalar(n, path, "a boolean")
	if s == nil {
		return false
	}
	v, msg := parseBool(s.Value)
	if msg != "" {
		r.fail(s, path, ErrType, "%s", msg)
	}
	return v
}

func (r *docReader) date(n *yaml.Node, path string) Date {
	s := r.scalar(n, path, "a date YYYY-MM-DD")
	if s == nil {
		return Date{}
	}
	d, msg := parseDate(s.Value)
	if msg != "" {
		r.fail(s, path, ErrType, "%s", msg)
	}
	return d
}

// set reads a string set: a sequence of scalars or a single scalar (an empty
// scalar is the empty set). The result is sorted and deduplicated; nil when
// empty.
func (r *docReader) set(n *yaml.Node, path string) []string {
	return r.setIn(n, path, "")
}

// setField is r.set(f.v, path+"."+f.key) without building the path unless
// a problem needs it.
func (r *docReader) setField(f entry, path string) []string {
	return r.setIn(f.v, path, f.key)
}

// setIn reads the set at parent.key (at parent when key is empty). The
// positions of the set and its members are recorded by hash, continuing
// the parent's hash instead of hashing the whole path for every member;
// the path itself is spelled out only for a problem (or an eager path).
func (r *docReader) setIn(n *yaml.Node, parent, key string) []string {
	path := func() string {
		if key == "" {
			return parent
		}
		return join(parent, key)
	}
	if n != nil && n.Kind == yaml.AliasNode {
		n = r.deref(n, path())
	}
	if n == nil {
		return nil
	}
	if n.Kind != yaml.ScalarNode && n.Kind != yaml.SequenceNode {
		r.fail(n, path(), ErrType, "expected a list of strings, got %s", kindName(n))
		return nil
	}
	var h uint32
	at := Position{Line: n.Line + r.lineOff, Column: n.Column}
	switch {
	case key == "" && eagerPath(parent), key != "" && (parent == "" || parent == "data"):
		p := path()
		r.pos.record(p, at)
		h = pathHash(p)
	case key == "":
		h = pathHash(parent)
		r.pos.push(h, at)
	default:
		h = joinHash(r.parentHash(parent), key)
		r.pos.push(h, at)
	}
	if n.Kind == yaml.ScalarNode {
		if n.Value == "" {
			return nil
		}
		r.pos.push(joinHash(h, n.Value), at)
		return []string{r.in.get(n.Value)}
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			if c = r.deref(c, path()); c == nil {
				continue
			}
			if c.Kind != yaml.ScalarNode {
				r.fail(c, path(), ErrType, "expected a list of strings, got %s in the list", kindName(c))
				continue
			}
		}
		r.pos.push(joinHash(h, c.Value), Position{Line: c.Line + r.lineOff, Column: c.Column})
		out = append(out, r.in.get(c.Value))
	}
	return sortedSet(out)
}

// sortedSet sorts s by bytes and removes duplicates; nil when empty.
func sortedSet(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	if !slices.IsSorted(s) {
		slices.Sort(s)
	}
	return slices.Compact(s)
}

// setEmptyOK is set, but an empty set is returned as a non-nil empty slice
// (for map values where presence means something).
func (r *docReader) setEmptyOK(n *yaml.Node, path string) []string {
	s := r.set(n, path)
	if s == nil {
		s = []string{}
	}
	return s
}

// rpmsSet reads `{rpms: [...]}` (api, filter, demodularized).
func (r *docReader) rpmsSet(n *yaml.Node, path string) []string {
	var out []string
	for _, e := range r.mapEntries(n, path, "a mapping with the key rpms") {
		if e.key == "rpms" {
			out = r.setField(e, path)
			continue
		}
		r.unknown(e, path, []string{"rpms"})
	}
	return out
}
