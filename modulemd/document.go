package modulemd

// Kind is the value of a document's `document:` header.
type Kind string

// The document kinds libmodulemd knows. "modulemd-stream" is accepted as a
// synonym of [KindStream] when reading.
const (
	KindStream       Kind = "modulemd"
	KindDefaults     Kind = "modulemd-defaults"
	KindObsoletes    Kind = "modulemd-obsoletes"
	KindTranslations Kind = "modulemd-translations"
	KindPackager     Kind = "modulemd-packager"
)

// Document is one document of a modulemd YAML stream: a [*Stream],
// [*Defaults], [*Obsoletes], [*Translations] or [*Packager].
type Document interface {
	// Kind reports the document type written in the `document:` header.
	Kind() Kind
	// MDVersion reports the metadata version written in the `version:` header.
	MDVersion() uint64
	// Source reports where the document was read from; the zero Source for
	// documents built in code.
	Source() Source
}

// Source locates a decoded document: the file name given to the decoder, the
// 1-based index of the document in the stream and the position of its first
// line.
type Source struct {
	File string
	Doc  int
	Line int
	Col  int
}

// Position is a 1-based line and column in a YAML source.
type Position struct {
	Line, Column int
}

// positions records where each field of a decoded document was found, keyed by
// field path ("data.components.rpms.foo.buildorder"). It lets validation report
// a location for semantic problems. It is nil for documents built in code.
type positions struct {
	src Source
	// at holds the positions of eagerPaths, by index (Line 0: not seen).
	at [len(eagerPaths)]Position
	// warnings are lint findings only the decoder can see (for example a
	// buildorder written as 18446744073709551615); Lint reports them.
	warnings []Warning
	// hashed holds the positions of deeper paths compactly (decode_pos.go);
	// pos consults it after at.
	hashed []posEntry
}

// pos returns the position of path, falling back to its nearest recorded
// ancestor, then to the document start.
func (p *positions) pos(path string) Position {
	if p == nil {
		return Position{}
	}
	for q := path; q != ""; {
		if i := eagerIndex(q); i >= 0 && p.at[i].Line != 0 {
			return p.at[i]
		}
		if at, ok := p.lookup(q); ok {
			return at
		}
		i := lastDot(q)
		if i < 0 {
			break
		}
		q = q[:i]
	}
	return Position{Line: p.src.Line, Column: p.src.Col}
}

func (p *positions) source() Source {
	if p == nil {
		return Source{}
	}
	return p.src
}

func (p *positions) set(path string, at Position) {
	if i := eagerIndex(path); i >= 0 {
		p.at[i] = at
	}
}

func lastDot(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}
