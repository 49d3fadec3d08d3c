package modulemd

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// IndexOptions configure a new [Index]. A nil *IndexOptions means defaults.
type IndexOptions struct {
	// Now is the clock used to decide whether an obsoletes document is
	// active (its eol_date has passed). Nil means time.Now.
	Now func() time.Time
}

// Index is a set of module metadata, the way a repository's modules.yaml
// holds it: streams, defaults, obsoletes and translations grouped by module
// name. It follows libmodulemd's ModuleIndex semantics (duplicate handling,
// one stream metadata version per index, obsoletes association).
//
// The index keeps the documents it is given; do not modify a document after
// adding it (use [Stream.Clone] first if needed). An Index is not safe for
// concurrent modification; concurrent reads are safe.
type Index struct {
	now       func() time.Time
	modules   map[string]*Module
	mdversion uint64 // stream metadata version; 0 until a stream or obsoletes is added
}

// Module is one module of an [Index]: its streams, defaults, obsoletes and
// translations.
type Module struct {
	name    string
	streams []*Stream // insertion order
	// sorted holds the streams ordered by their NSVCA strings (keys), as
	// libmodulemd dumps them; kept up to date on every change so reads
	// never sort.
	sorted       []*Stream
	keys         []string
	byKey        map[streamKey]*Stream
	byStream     map[string][]*Stream
	defaults     *Defaults
	obsoletes    []*Obsoletes
	translations map[string]*Translations
	// attached records the obsoletes associated to each stream, following
	// libmodulemd's add-time rules.
	attached map[*Stream]*Obsoletes
}

// streamKey is the exact identity used for fast duplicate detection.
type streamKey struct {
	stream, context, arch string
	version               uint64
}

// NewIndex returns an empty index.
func NewIndex(opts *IndexOptions) *Index {
	idx := &Index{modules: make(map[string]*Module), now: time.Now}
	if opts != nil && opts.Now != nil {
		idx.now = opts.Now
	}
	return idx
}

func (idx *Index) module(name string) *Module {
	m := idx.modules[name]
	if m == nil {
		m = &Module{
			name:         name,
			byKey:        make(map[streamKey]*Stream),
			byStream:     make(map[string][]*Stream),
			translations: make(map[string]*Translations),
			attached:     make(map[*Stream]*Obsoletes),
		}
		idx.modules[name] = m
	}
	return m
}

// Add adds any document to the index, dispatching on its type. Packager
// documents are refused, as libmodulemd refuses them in a module index;
// convert them with [Packager.ToIndex] first.
func (idx *Index) Add(doc Document) error {
	switch d := doc.(type) {
	case *Stream:
		return idx.AddStream(d)
	case *Defaults:
		return idx.AddDefaults(d)
	case *Obsoletes:
		return idx.AddObsoletes(d)
	case *Translations:
		return idx.AddTranslations(d)
	case *Packager:
		return docError(d.pos, "document", ErrInvalid,
			"modulemd-packager document ignored while reading into a module index: convert it with Packager.ToIndex first")
	case nil:
		return errors.New("modulemd: Index.Add: nil document")
	default:
		return fmt.Errorf("modulemd: Index.Add: unsupported document type %T: %w", doc, ErrUnknownDocument)
	}
}

// AddStream adds a module stream. The stream needs a module name and a stream
// name. A v1 stream added to a v2 index is upgraded; a v2 stream added to a
// v1 index upgrades every stream already present.
//
// Duplicates follow libmodulemd: the module's streams are searched with the
// new stream's stream name, version, context and arch as glob patterns
// (version 0 and an empty context or arch match anything). One match with
// equal content is replaced; one match with different content is an
// [ErrConflict] error; several matches are an [ErrDuplicate] error.
func (idx *Index) AddStream(s *Stream) error {
	if s == nil {
		return errors.New("modulemd: Index.AddStream: nil stream")
	}
	if s.Name == "" || s.Stream == "" {
		var missing []string
		if s.Name == "" {
			missing = append(missing, "data.name")
		}
		if s.Stream == "" {
			missing = append(missing, "data.stream")
		}
		return docError(s.pos, missing[0], ErrMissingField,
			"the module name and stream name are required when adding to an index (missing %s)",
			strings.Join(missing, " and "))
	}
	switch s.MDVersionNumber {
	case 1, 2:
	default:
		return docError(s.pos, "version", ErrUnknownDocument,
			"invalid metadata version %d for a stream, want 1 or 2", s.MDVersionNumber)
	}
	if s.MDVersionNumber > idx.mdversion {
		if err := idx.UpgradeStreams(s.MDVersionNumber); err != nil {
			return err
		}
	} else if s.MDVersionNumber < idx.mdversion {
		up, err := UpgradeStream(s, idx.mdversion)
		if err != nil {
			return err
		}
		s = up
	}
	m := idx.module(s.Name)
	old, err := m.findDuplicate(s)
	if err != nil {
		return err
	}
	if old != nil {
		m.removeStream(old)
	}
	m.insertStream(s)
	if o := m.ActiveObsoletesAt(s.Stream, s.Context, idx.now()); o != nil {
		m.attached[s] = o
	}
	return nil
}

// findDuplicate returns the existing stream the new one duplicates, nil if
// there is none, or an error when it conflicts.
func (m *Module) findDuplicate(s *Stream) (*Stream, error) {
	var matches []*Stream
	exact := !hasGlobMeta(s.Stream) && s.Version != 0 && s.Context != "" && !hasGlobMeta(s.Context) &&
		s.Arch != "" && !hasGlobMeta(s.Arch)
	switch {
	case exact:
		if old := m.byKey[keyOf(s)]; old != nil {
			matches = append(matches, old)
		}
	default:
		q := Query{Stream: s.Stream, Context: s.Context, Arch: s.Arch}
		if s.Version != 0 {
			q.Version = strconv.FormatUint(s.Version, 10)
		}
		candidates := m.streams
		if !hasGlobMeta(s.Stream) {
			candidates = m.byStream[s.Stream]
		}
		for _, c := range candidates {
			if q.Match(c) {
				matches = append(matches, c)
			}
		}
	}
	switch len(matches) {
	case 0:
		return nil, nil
	case 1:
		if matches[0].Equal(s) {
			return matches[0], nil
		}
		return nil, docError(s.pos, "data", ErrConflict,
			"encountered two streams with matching NSVCA %s but differing content", s.NSVCA())
	default:
		names := make([]string, len(matches))
		for i, c := range matches {
			names[i] = c.NSVCA().String()
		}
		slices.Sort(names)
		return nil, docError(s.pos, "data", ErrDuplicate,
			"stream %s matches several streams already in the index (%s); give it a version, context and arch",
			s.NSVCA(), strings.Join(names, ", "))
	}
}

func keyOf(s *Stream) streamKey {
	return streamKey{stream: s.Stream, version: s.Version, context: s.Context, arch: s.Arch}
}

func (m *Module) insertStream(s *Stream) {
	m.streams = append(m.streams, s)
	key := s.NSVCA().String()
	i := sort.Search(len(m.keys), func(i int) bool { return m.keys[i] > key })
	m.keys = slices.Insert(m.keys, i, key)
	m.sorted = slices.Insert(m.sorted, i, s)
	m.byStream[s.Stream] = append(m.byStream[s.Stream], s)
	k := keyOf(s)
	if _, taken := m.byKey[k]; !taken {
		m.byKey[k] = s
	}
}

func (m *Module) removeStream(s *Stream) {
	m.streams = slices.DeleteFunc(m.streams, func(x *Stream) bool { return x == s })
	if i := m.sortedIndex(s); i >= 0 {
		m.keys = slices.Delete(m.keys, i, i+1)
		m.sorted = slices.Delete(m.sorted, i, i+1)
	}
	bs := slices.DeleteFunc(m.byStream[s.Stream], func(x *Stream) bool { return x == s })
	if len(bs) == 0 {
		delete(m.byStream, s.Stream)
	} else {
		m.byStream[s.Stream] = bs
	}
	k := keyOf(s)
	if m.byKey[k] == s {
		delete(m.byKey, k)
		for _, x := range bs {
			if keyOf(x) == k {
				m.byKey[k] = x
				break
			}
		}
	}
	delete(m.attached, s)
}

// sortedIndex finds s in m.sorted, or returns -1.
func (m *Module) sortedIndex(s *Stream) int {
	key := s.NSVCA().String()
	for i := sort.SearchStrings(m.keys, key); i < len(m.keys) && m.keys[i] == key; i++ {
		if m.sorted[i] == s {
			return i
		}
	}
	return -1
}

// replaceStream swaps old for s in place (same key), keeping the obsoletes
// association.
func (m *Module) replaceStream(old, s *Stream) {
	for i, x := range m.streams {
		if x == old {
			m.streams[i] = s
		}
	}
	if i := m.sortedIndex(old); i >= 0 {
		m.sorted[i] = s // an upgrade keeps the NSVCA
	}
	bs := m.byStream[old.Stream]
	for i, x := range bs {
		if x == old {
			bs[i] = s
		}
	}
	if k := keyOf(old); m.byKey[k] == old {
		m.byKey[k] = s
	}
	if o, ok := m.attached[old]; ok {
		delete(m.attached, old)
		m.attached[s] = o
	}
}

// AddDefaults adds a module's defaults (metadata version 1 only). They
// replace any defaults the module already has.
func (idx *Index) AddDefaults(d *Defaults) error {
	if d == nil {
		return errors.New("modulemd: Index.AddDefaults: nil defaults")
	}
	if d.MDVersionNumber != 1 {
		return docError(d.pos, "version", ErrUnknownDocument,
			"invalid metadata version %d for a defaults document, want 1", d.MDVersionNumber)
	}
	idx.module(d.moduleName()).defaults = d
	return nil
}

// moduleName is the module the defaults belong to; libmodulemd keeps a
// placeholder name when `module` is absent.
func (d *Defaults) moduleName() string {
	if d.Module == "" {
		return DefaultsPlaceholder
	}
	return d.Module
}

// DefaultsPlaceholder is the module name libmodulemd gives defaults that have
// no `module` key; such documents are still accepted into an index under this
// name.
const DefaultsPlaceholder = "__DEFAULT_PLACEHOLDER__"

// AddTranslations adds translations for one module stream; they replace any
// translations for the same module and stream, whatever their modified
// value.
func (idx *Index) AddTranslations(t *Translations) error {
	if t == nil {
		return errors.New("modulemd: Index.AddTranslations: nil translations")
	}
	if t.Module == "" || t.Stream == "" {
		return docError(t.pos, "data", ErrMissingField, "translations need a module and a stream to be added to an index")
	}
	idx.module(t.Module).translations[t.Stream] = t
	return nil
}

// AddObsoletes adds an obsoletes document. The index's streams are upgraded
// to metadata version 2. An obsoletes with the same stream, context and
// modified time as one already present replaces it; others accumulate. When
// the obsoletes is active (its eol_date has passed by the index clock), it is
// associated with every stream of that module and stream name (and context,
// if it has one) unless a newer one is already associated.
func (idx *Index) AddObsoletes(o *Obsoletes) error {
	if o == nil {
		return errors.New("modulemd: Index.AddObsoletes: nil obsoletes")
	}
	if o.MDVersionNumber != 1 {
		return docError(o.pos, "version", ErrUnknownDocument,
			"invalid metadata version %d for an obsoletes document, want 1", o.MDVersionNumber)
	}
	if o.Module == "" || o.Stream == "" {
		return docError(o.pos, "data", ErrMissingField, "obsoletes need a module and a stream to be added to an index")
	}
	if idx.mdversion < 2 {
		if err := idx.UpgradeStreams(2); err != nil {
			return err
		}
	}
	m := idx.module(o.Module)
	replaced := false
	for i, x := range m.obsoletes {
		if x.Stream == o.Stream && x.Context == o.Context && x.Modified.Equal(o.Modified) {
			m.obsoletes[i] = o
			for s, a := range m.attached {
				if a == x {
					m.attached[s] = o
				}
			}
			replaced = true
			break
		}
	}
	if !replaced {
		m.obsoletes = append(m.obsoletes, o)
	}
	if !o.activeAt(idx.now()) {
		return nil
	}
	for _, s := range m.byStream[o.Stream] {
		if o.Context != "" && o.Context != s.Context {
			continue
		}
		cur := m.attached[s]
		switch {
		case cur == nil, o.Modified.After(cur.Modified):
			m.attached[s] = o
		case o.Modified.Equal(cur.Modified):
			// On a tie, a context-less obsoletes does not displace one
			// with a context; otherwise the later one wins.
			if !(o.Context == "" && cur.Context != "") {
				m.attached[s] = o
			}
		}
	}
	return nil
}

// IsActive reports whether o is in effect at time now: it has no eol_date
// or now is at or after it (compared at minute precision, in UTC).
func (o *Obsoletes) IsActive(now time.Time) bool { return o.activeAt(now) }

func (o *Obsoletes) activeAt(now time.Time) bool {
	if o.EOLDate.IsZero() {
		return true
	}
	return !now.UTC().Truncate(time.Minute).Before(o.EOLDate.UTC().Truncate(time.Minute))
}

// ModuleNames returns the names of all modules in the index, sorted.
func (idx *Index) ModuleNames() []string {
	names := make([]string, 0, len(idx.modules))
	for n := range idx.modules {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Module returns the named module, or nil if the index has none by that
// name.
func (idx *Index) Module(name string) *Module { return idx.modules[name] }

// Modules returns every module, sorted by name.
func (idx *Index) Modules() []*Module {
	out := make([]*Module, 0, len(idx.modules))
	for _, n := range idx.ModuleNames() {
		out = append(out, idx.modules[n])
	}
	return out
}

// Streams returns every stream in dump order: modules by name, and each
// module's streams by strcmp of their NSVCA strings (so version "10" sorts
// before "9"), as libmodulemd writes them.
func (idx *Index) Streams() []*Stream {
	var out []*Stream
	for _, m := range idx.Modules() {
		out = append(out, m.Streams()...)
	}
	return out
}

// SearchNSVCA returns the streams whose NSVCA string ([NSVCA.String])
// matches the fnmatch-style glob, sorted by name, stream, version
// (descending), context and arch.
func (idx *Index) SearchNSVCA(glob string) []*Stream {
	var out []*Stream
	for _, m := range idx.modules {
		for i, s := range m.sorted {
			if fnmatch(glob, m.keys[i]) {
				out = append(out, s)
			}
		}
	}
	sortSearchResults(out)
	return out
}

// Search returns the streams that match every pattern of q, sorted by name,
// stream, version (descending), context and arch.
func (idx *Index) Search(q Query) []*Stream {
	var out []*Stream
	mods := idx.modules
	if q.Name != "" && !hasGlobMeta(q.Name) {
		m := idx.modules[q.Name]
		if m == nil {
			return nil
		}
		mods = map[string]*Module{q.Name: m}
	}
	for _, m := range mods {
		if !globField(q.Name, m.name, true) {
			continue
		}
		candidates := m.streams
		if q.Stream != "" && !hasGlobMeta(q.Stream) {
			candidates = m.byStream[q.Stream]
		}
		for _, s := range candidates {
			if q.Match(s) {
				out = append(out, s)
			}
		}
	}
	sortSearchResults(out)
	return out
}

// Defaults returns the named module's defaults, or nil.
func (idx *Index) Defaults(module string) *Defaults {
	if m := idx.modules[module]; m != nil {
		return m.defaults
	}
	return nil
}

// DefaultStreams maps each module that has a default stream to it. Modules
// whose defaults hold a merge conflict have none.
func (idx *Index) DefaultStreams() map[string]string {
	out := make(map[string]string)
	for name, m := range idx.modules {
		if m.defaults != nil {
			if s := m.defaults.DefaultStream(); s != "" {
				out[name] = s
			}
		}
	}
	return out
}

// StreamMDVersion reports the metadata version of the index's streams: 0
// when the index has never held a stream or obsoletes, else 1 or 2.
func (idx *Index) StreamMDVersion() uint64 { return idx.mdversion }

// UpgradeStreams upgrades every stream to metadata version to (0 is not
// "latest" here, as in libmodulemd: it is a downgrade request). Downgrades
// and versions beyond 2 are [ErrUpgrade] errors.
func (idx *Index) UpgradeStreams(to uint64) error {
	if to < idx.mdversion {
		return fmt.Errorf("modulemd: downgrades are not permitted: metadata version %d < current %d: %w",
			to, idx.mdversion, ErrUpgrade)
	}
	if to > LatestStreamMDVersion {
		return fmt.Errorf("modulemd: cannot upgrade beyond metadata version %d (asked for %d): %w",
			LatestStreamMDVersion, to, ErrUpgrade)
	}
	if to == idx.mdversion {
		return nil
	}
	for _, m := range idx.modules {
		for _, s := range slices.Clone(m.streams) {
			if s.MDVersionNumber >= to {
				continue
			}
			up, err := UpgradeStream(s, to)
			if err != nil {
				return err
			}
			m.replaceStream(s, up)
		}
	}
	idx.mdversion = to
	return nil
}

// Name returns the module name.
func (m *Module) Name() string { return m.name }

// Streams returns the module's streams sorted by strcmp of their NSVCA
// strings.
func (m *Module) Streams() []*Stream {
	return slices.Clone(m.sorted)
}

// StreamsInOrder returns the module's streams in the order they were added
// (file order; a merge adds each index's streams in its order), which is
// the order libmodulemd's modulemd_module_get_all_streams gives and so the
// order in which libdnf creates module solvables.
func (m *Module) StreamsInOrder() []*Stream {
	return slices.Clone(m.streams)
}

// Defaults returns the module's defaults, or nil.
func (m *Module) Defaults() *Defaults { return m.defaults }

// Obsoletes returns the module's obsoletes documents in insertion order.
func (m *Module) Obsoletes() []*Obsoletes { return slices.Clone(m.obsoletes) }

// Translations returns the module's translations sorted by stream name.
func (m *Module) Translations() []*Translations {
	keys := make([]string, 0, len(m.translations))
	for k := range m.translations {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]*Translations, len(keys))
	for i, k := range keys {
		out[i] = m.translations[k]
	}
	return out
}

// Translation returns the translations for one stream of the module, or nil.
func (m *Module) Translation(stream string) *Translations { return m.translations[stream] }

// ActiveObsoletes returns the newest obsoletes of the module that is active
// now (by the wall clock) for the stream name and context. The context must
// match exactly: "" only matches obsoletes without a context, as in
// libmodulemd. Use [Module.ActiveObsoletesAt] for another clock.
func (m *Module) ActiveObsoletes(stream, context string) *Obsoletes {
	return m.ActiveObsoletesAt(stream, context, time.Now())
}

// ActiveObsoletesAt is [Module.ActiveObsoletes] at time now.
func (m *Module) ActiveObsoletesAt(stream, context string, now time.Time) *Obsoletes {
	var newest *Obsoletes
	for _, o := range m.obsoletes {
		if o.Stream != stream || o.Context != context || !o.activeAt(now) {
			continue
		}
		if newest == nil || o.Modified.After(newest.Modified) {
			newest = o
		}
	}
	return newest
}

// StreamObsoletes returns the obsoletes associated with s in this module,
// following libmodulemd's rules: a stream picks up the newest active
// obsoletes with exactly its context when it is added, and an active
// obsoletes added later is associated with every stream of its stream name
// (and context, if set) unless a newer one already is. It returns nil when
// there is none or when the associated obsoletes is a reset.
func (m *Module) StreamObsoletes(s *Stream) *Obsoletes {
	o := m.attached[s]
	if o == nil || o.Reset {
		return nil
	}
	return o
}

// docError builds a *ParseError for a document-level problem at path.
func docError(p *positions, path string, sentinel error, format string, args ...any) *ParseError {
	at := p.pos(path)
	src := p.source()
	return &ParseError{File: src.File, Doc: src.Doc, Line: at.Line, Column: at.Column, Path: path,
		Msg: fmt.Sprintf(format, args...), Err: sentinel}
}
