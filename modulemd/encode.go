package modulemd

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// An Encoder writes modulemd documents in libmodulemd 2.15's style: each
// document between "---" and "...", keys in libmodulemd's order, maps and
// sets sorted by byte order, indentation 2, descriptions folded, stream names
// double-quoted, and every string another YAML parser could read as a
// number, boolean or null double-quoted. The output is deterministic.
//
// Decoding what an Encoder wrote gives back an equal document. Where
// libmodulemd's emitter loses data (it drops rpm-map entries) or writes
// translation locales in hash order, the Encoder writes everything, sorted.
type Encoder struct {
	w io.Writer
}

// NewEncoder returns an encoder that writes to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// Encode writes one document. It fails, writing nothing, when the document
// holds something the format cannot represent (for example demodularized
// packages in a version 1 stream, several dependency entries in a v1 stream,
// an unset metadata version, or invalid UTF-8): nothing is dropped silently.
// Encode does not run [Validate].
func (e *Encoder) Encode(doc Document) error {
	b, err := encodeDoc(doc)
	if err != nil {
		return err
	}
	_, err = e.w.Write(b)
	return err
}

// Marshal encodes docs, in order, as one YAML stream. Large inputs are
// encoded in parallel.
func Marshal(docs ...Document) ([]byte, error) {
	parts, err := encodeAll(docs, nil)
	if err != nil {
		return nil, err
	}
	return concat(parts), nil
}

func concat(parts [][]byte) []byte {
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	out := make([]byte, 0, size)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// encodeAll encodes docs in parallel, each into its own exactly sized slice.
// When check is set it runs on every document first, and its failures take
// precedence: the error is that of the first document check refused, else
// "document N: ..." for the first one that could not be encoded.
func encodeAll(docs []Document, check func(Document) error) ([][]byte, error) {
	parts := make([][]byte, len(docs))
	checkErrs := make([]error, len(docs))
	errs := make([]error, len(docs))
	workers := min(runtime.GOMAXPROCS(0), len(docs)/8+1)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var e docEncoder
			for {
				i := int(next.Add(1)) - 1
				if i >= len(docs) {
					return
				}
				if check != nil {
					if checkErrs[i] = check(docs[i]); checkErrs[i] != nil {
						continue
					}
				}
				out, err := e.encode(docs[i])
				if err != nil {
					errs[i] = err
					continue
				}
				parts[i] = bytes.Clone(out)
			}
		})
	}
	wg.Wait()
	for _, err := range checkErrs {
		if err != nil {
			return nil, err
		}
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
	}
	return parts, nil
}

// encodeErr reports a document the encoder cannot write; it wraps
// ErrInvalid (xmdNode wraps ErrLimit for xmd nested too deeply).
func encodeErr(path, format string, args ...any) error {
	return fmt.Errorf("modulemd: encode: %s: %s: %w", path, fmt.Sprintf(format, args...), ErrInvalid)
}

// encodeDoc renders one document as "---\n...\n...\n".
func encodeDoc(doc Document) ([]byte, error) {
	var e docEncoder
	return e.encode(doc)
}

// docEncoder encodes documents one after the other, reusing its memory.
type docEncoder struct {
	b   builder
	out []byte
}

// encode renders doc; the result is valid until the next call.
func (e *docEncoder) encode(doc Document) ([]byte, error) {
	e.b.reset()
	root, err := e.b.docNode(doc)
	if err != nil {
		return nil, err
	}
	if out, ok := renderFastTo(e.out[:0], root); ok {
		e.out = out
		return out, nil
	}
	return renderYAMLv3(root)
}

// docNode builds the YAML tree of a document.
func docNode(doc Document) (*yaml.Node, error) {
	return new(builder).docNode(doc)
}

func (b *builder) docNode(doc Document) (*yaml.Node, error) {
	if doc == nil || isNilDoc(doc) {
		return nil, encodeErr("document", "nil document")
	}
	var data mapNode
	var kind Kind
	version := doc.MDVersion()
	switch d := doc.(type) {
	case *Stream:
		kind = KindStream
		data = b.stream(d)
	case *Defaults:
		kind = KindDefaults
		data = b.defaults(d)
	case *Obsoletes:
		kind = KindObsoletes
		data = b.obsoletes(d)
	case *Translations:
		kind = KindTranslations
		data = b.translations(d)
	case *Packager:
		kind = KindPackager
		data = b.packager(d)
	default:
		return nil, encodeErr("document", "unsupported document type %T", doc)
	}
	if b.err != nil {
		return nil, b.err
	}
	root := b.newMap()
	root.add("document", b.plain(string(kind)))
	root.add("version", b.intNode(version))
	root.add("data", data.node())
	return root.n, nil
}

// renderFast renders a document with the fast writer, if it can.
func renderFast(root *yaml.Node) ([]byte, bool) {
	return renderFastTo(make([]byte, 0, 4096), root)
}

// renderFastTo is renderFast appending to dst.
func renderFastTo(dst []byte, root *yaml.Node) ([]byte, bool) {
	w := fastWriter{b: dst}
	w.b = append(w.b, "---\n"...)
	if !w.writeDoc(root) {
		return nil, false
	}
	w.b = append(w.b, "...\n"...)
	return w.b, true
}

// renderYAMLv3 renders a document with yaml.v3's encoder.
func renderYAMLv3(root *yaml.Node) (out []byte, err error) {
	var buf bytes.Buffer
	buf.Grow(4096)
	buf.WriteString("---\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	defer func() {
		// yaml.v3 reports emitter failures by panicking.
		if v := recover(); v != nil {
			out, err = nil, encodeErr("document", "YAML emitter failed: %v", v)
		}
	}()
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("modulemd: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("modulemd: encode: %w", err)
	}
	buf.WriteString("...\n")
	return buf.Bytes(), nil
}

func isNilDoc(doc Document) bool {
	switch d := doc.(type) {
	case *Stream:
		return d == nil
	case *Defaults:
		return d == nil
	case *Obsoletes:
		return d == nil
	case *Translations:
		return d == nil
	case *Packager:
		return d == nil
	}
	return false
}

// builder makes yaml.Node trees, remembering the first problem.
//
// Nodes and Content arrays come from slabs that a builder reuses for the
// next document after reset: a tree is rendered and dropped before that, so
// encoding a large index allocates almost nothing per node.
type builder struct {
	err   error
	nodes []yaml.Node // nodes[:nn] are in use
	nn    int
	ptrs  []*yaml.Node // ptrs[:pn] are in use
	pn    int
}

// reset makes the builder's slabs available for a new tree; every tree it
// built before must be out of use.
func (b *builder) reset() {
	b.err = nil
	clear(b.nodes[:b.nn]) // drop references to the previous document's strings
	clear(b.ptrs[:b.pn])
	b.nn, b.pn = 0, 0
}

// alloc returns a node holding v.
func (b *builder) alloc(v yaml.Node) *yaml.Node {
	if b.nn == len(b.nodes) {
		// The full slab stays alive as long as its nodes are referenced;
		// later resets reuse the new, larger one.
		b.nodes = make([]yaml.Node, max(256, 2*len(b.nodes)))
		b.nn = 0
	}
	n := &b.nodes[b.nn]
	b.nn++
	*n = v
	return n
}

// content returns an empty Content array with room for n nodes.
func (b *builder) content(n int) []*yaml.Node {
	if len(b.ptrs)-b.pn < n {
		b.ptrs = make([]*yaml.Node, max(1024, 2*len(b.ptrs), n))
		b.pn = 0
	}
	s := b.ptrs[b.pn : b.pn : b.pn+n]
	b.pn += n
	return s
}

// appendContent appends to a Content array, growing it within the slab.
func (b *builder) appendContent(s []*yaml.Node, xs ...*yaml.Node) []*yaml.Node {
	if len(s)+len(xs) > cap(s) {
		ns := b.content(max(2*cap(s), len(s)+len(xs), 8))
		s = append(ns, s...)
	}
	return append(s, xs...)
}

func (b *builder) fail(path, format string, args ...any) {
	if b.err == nil {
		b.err = encodeErr(path, format, args...)
	}
}

// mapNode is a block mapping under construction.
type mapNode struct {
	n *yaml.Node
	b *builder
}

func (b *builder) newMap() mapNode {
	return mapNode{b.alloc(yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}), b}
}

func (m mapNode) add(key string, v *yaml.Node) {
	m.n.Content = m.b.appendContent(m.n.Content, m.b.plainKey(key), v)
}

// addKey adds an entry whose key is data (a name chosen by the user).
func (m mapNode) addKey(b *builder, path, key string, v *yaml.Node) {
	m.n.Content = b.appendContent(m.n.Content, b.str(path, key), v)
}

// addStr adds key with the string v unless v is empty; path.key names it
// in an error.
func (m mapNode) addStr(path, key, v string) {
	if v == "" {
		return
	}
	if !utf8.ValidString(v) {
		m.b.fail(path+"."+key, "string is not valid UTF-8")
	}
	m.add(key, m.b.strNode(v))
}

func (m mapNode) empty() bool { return len(m.n.Content) == 0 }

// node returns the mapping, written as {} when empty.
func (m mapNode) node() *yaml.Node {
	if m.empty() {
		m.n.Style = yaml.FlowStyle
	}
	return m.n
}

func (b *builder) plainKey(k string) *yaml.Node {
	return b.alloc(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k})
}

// plain is a scalar written without quotes or tag whatever it looks like
// (document types, dates).
func (b *builder) plain(s string) *yaml.Node {
	return b.alloc(yaml.Node{Kind: yaml.ScalarNode, Value: s})
}

// strNode is a string scalar, double-quoted when another YAML parser could
// read it as something else.
func (b *builder) strNode(s string) *yaml.Node {
	n := b.alloc(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s})
	if looksRetyped(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// str is strNode with a UTF-8 check.
func (b *builder) str(path, s string) *yaml.Node {
	if !utf8.ValidString(s) {
		b.fail(path, "string is not valid UTF-8")
	}
	return b.strNode(s)
}

// quoted is a string that is always double-quoted (stream names).
func (b *builder) quoted(path, s string) *yaml.Node {
	n := b.str(path, s)
	n.Style = yaml.DoubleQuotedStyle
	return n
}

// folded is a string written in folded block style (descriptions, macros).
// yaml.v3's folded writer mishandles a line break followed by a blank
// (a more-indented line), adding a newline; such values are written in
// literal style, which is exact.
func (b *builder) folded(path, s string) *yaml.Node {
	n := b.str(path, s)
	if n.Style == 0 {
		n.Style = yaml.FoldedStyle
		if strings.Contains(s, "\n ") || strings.Contains(s, "\n\t") {
			n.Style = yaml.LiteralStyle
		}
	}
	return n
}

func (b *builder) intNode(v uint64) *yaml.Node {
	return b.alloc(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatUint(v, 10)})
}

func (b *builder) int64Node(v int64) *yaml.Node {
	return b.alloc(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)})
}

func (b *builder) trueNode() *yaml.Node {
	return b.alloc(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
}

// seq builds a sequence of strings, sorted and deduplicated (sets).
func (b *builder) seq(path string, items []string, flow bool) *yaml.Node {
	s := b.alloc(yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"})
	if flow || len(items) == 0 {
		s.Style = yaml.FlowStyle
	}
	if !slices.IsSorted(items) {
		items = slices.Sorted(slices.Values(items))
	}
	if len(items) > 0 {
		s.Content = b.content(len(items))
	}
	for i, it := range items {
		if i > 0 && items[i-1] == it {
			continue
		}
		s.Content = append(s.Content, b.str(path, it))
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func isAutogenerated(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	return ok && rest != "" && allDigits(rest)
}
