package modulemd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// LoadOptions tune [ReadIndex] and [ReadIndexFile]. A nil *LoadOptions means
// defaults.
type LoadOptions struct {
	// Strict makes keys the format does not define errors, as libmodulemd's
	// strict mode.
	Strict bool
	// File names the input in errors (ReadIndexFile sets it to the path when
	// empty).
	File string
	// Now is the index clock; see [IndexOptions].
	Now func() time.Time
}

// ReadIndex decodes a modules.yaml stream (possibly compressed), validates
// every document and adds it to a new index, like libmodulemd's
// update_from_stream. The index keeps every document that loaded; the error,
// if any, joins the failures of the others (decode errors, validation
// errors, streams without a name, conflicting duplicates, packager
// documents). A YAML syntax error ends the stream; the documents before it
// stay loaded. The returned index is never nil.
func ReadIndex(r io.Reader, opts *LoadOptions) (*Index, error) {
	if opts == nil {
		opts = &LoadOptions{}
	}
	idx := NewIndex(&IndexOptions{Now: opts.Now})
	err := idx.load(r, opts.File, opts.Strict)
	return idx, err
}

// ReadIndexFile is [ReadIndex] on the file at path.
func ReadIndexFile(path string, opts *LoadOptions) (*Index, error) {
	var o LoadOptions
	if opts != nil {
		o = *opts
	}
	if o.File == "" {
		o.File = path
	}
	f, err := os.Open(path)
	if err != nil {
		return NewIndex(&IndexOptions{Now: o.Now}), fmt.Errorf("modulemd: %w", err)
	}
	defer f.Close()
	return ReadIndex(f, &o)
}

// load decodes r into idx, validating documents in the decoder's workers.
func (idx *Index) load(r io.Reader, file string, strict bool) error {
	dec := NewDecoder(r)
	dec.SetFile(file)
	dec.Strict(strict)
	dec.validate = validateForIndex
	var errs []error
	for doc, err := range dec.All() {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := idx.Add(doc); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// validateForIndex is the per-document check run while loading an index.
// Packager documents are left to Index.Add, which refuses them.
func validateForIndex(doc Document) error {
	if _, ok := doc.(*Packager); ok {
		return nil
	}
	return Validate(doc)
}

// ErrEmptyIndex is returned when dumping an index that holds no modules.
var ErrEmptyIndex = errors.New("modulemd: index contains no modules")

// Documents returns every document in dump order: modules sorted by name;
// for each, its defaults, obsoletes (in insertion order), translations (by
// stream name) and streams (by NSVCA string).
func (idx *Index) Documents() []Document {
	var docs []Document
	for _, m := range idx.Modules() {
		if m.defaults != nil {
			docs = append(docs, m.defaults)
		}
		for _, o := range m.obsoletes {
			docs = append(docs, o)
		}
		for _, t := range m.Translations() {
			docs = append(docs, t)
		}
		for _, s := range m.Streams() {
			docs = append(docs, s)
		}
	}
	return docs
}

// Dump validates every document of the index and encodes them all, in
// [Index.Documents] order, as one YAML stream. The first invalid document
// aborts the dump; an empty index is [ErrEmptyIndex].
func (idx *Index) Dump() ([]byte, error) {
	parts, err := idx.dumpParts()
	if err != nil {
		return nil, err
	}
	return concat(parts), nil
}

// dumpParts validates and encodes the documents in parallel, one slice
// each.
func (idx *Index) dumpParts() ([][]byte, error) {
	if len(idx.modules) == 0 {
		return nil, ErrEmptyIndex
	}
	return encodeAll(idx.Documents(), func(d Document) error {
		if err := Validate(d); err != nil {
			return fmt.Errorf("modulemd: cannot dump the index: %s is not valid: %w", describeDoc(d), err)
		}
		return nil
	})
}

// Encode writes [Index.Dump]'s output to w; nothing is written when the
// dump fails.
func (idx *Index) Encode(w io.Writer) error {
	parts, err := idx.dumpParts()
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	for i, p := range parts {
		if _, err := bw.Write(p); err != nil {
			return err
		}
		parts[i] = nil // written: let it go
	}
	return bw.Flush()
}

func describeDoc(d Document) string {
	switch x := d.(type) {
	case *Stream:
		return describe(x)
	case *Defaults:
		return "defaults for module " + x.moduleName()
	case *Obsoletes:
		return "obsoletes for " + x.Module + ":" + x.Stream
	case *Translations:
		return "translations for " + x.Module + ":" + x.Stream
	default:
		return fmt.Sprintf("%T", d)
	}
}

// MergeDefaultsDirectory merges defaults from a directory tree into idx, as
// libmodulemd's update_from_defaults_directory: every *.yaml file of dir is
// read (strictly when strict is set) and merged without overriding (strict
// also makes default-stream disagreements [ErrConflict] errors); then, when
// overridesDir is not empty, its *.yaml files are merged the same way and
// override the first set; finally the result is merged into idx without
// overriding. Any unreadable or invalid file fails the whole call and leaves
// idx unchanged.
func (idx *Index) MergeDefaultsDirectory(dir, overridesDir string, strict bool) error {
	base, err := idx.readDefaultsDir(dir, strict)
	if err != nil {
		return err
	}
	if overridesDir != "" {
		over, err := idx.readDefaultsDir(overridesDir, strict)
		if err != nil {
			return err
		}
		if err := mergeInto(base, over, true, strict, slog.Default()); err != nil {
			return err
		}
	}
	// Merge into a copy first so a failure leaves idx unchanged.
	trial := idx.shallowCopy()
	if err := mergeInto(trial, base, false, strict, slog.Default()); err != nil {
		return err
	}
	*idx = *trial
	return nil
}

func (idx *Index) readDefaultsDir(dir string, strict bool) (*Index, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("modulemd: reading defaults directory: %w", err)
	}
	out := NewIndex(&IndexOptions{Now: idx.now})
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	for _, n := range names {
		p := filepath.Join(dir, n)
		fi, err := ReadIndexFile(p, &LoadOptions{Strict: strict, Now: idx.now})
		if err != nil {
			return nil, fmt.Errorf("modulemd: defaults directory %s: %w", dir, err)
		}
		if err := mergeInto(out, fi, false, strict, slog.Default()); err != nil {
			return nil, fmt.Errorf("modulemd: defaults directory %s: merging %s: %w", dir, n, err)
		}
	}
	return out, nil
}

// shallowCopy copies the index structure (modules, lists, maps) but shares
// the documents.
func (idx *Index) shallowCopy() *Index {
	c := &Index{now: idx.now, mdversion: idx.mdversion, modules: make(map[string]*Module, len(idx.modules))}
	for name, m := range idx.modules {
		mc := &Module{
			name:         m.name,
			streams:      slices.Clone(m.streams),
			sorted:       slices.Clone(m.sorted),
			keys:         slices.Clone(m.keys),
			byKey:        make(map[streamKey]*Stream, len(m.byKey)),
			byStream:     make(map[string][]*Stream, len(m.byStream)),
			defaults:     m.defaults,
			obsoletes:    slices.Clone(m.obsoletes),
			translations: make(map[string]*Translations, len(m.translations)),
			attached:     make(map[*Stream]*Obsoletes, len(m.attached)),
		}
		for k, v := range m.byKey {
			mc.byKey[k] = v
		}
		for k, v := range m.byStream {
			mc.byStream[k] = slices.Clone(v)
		}
		for k, v := range m.translations {
			mc.translations[k] = v
		}
		for k, v := range m.attached {
			mc.attached[k] = v
		}
		c.modules[name] = mc
	}
	return c
}
