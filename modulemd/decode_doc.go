package modulemd

import (
	"go.yaml.in/yaml/v3"
)

// decodeNode turns one parsed YAML document into a Document. It checks the
// header (document, version, data), then hands the data mapping to the
// reader of that document type. Every problem is reported; the document is
// returned only when there are none.
func (r *docReader) decodeNode(doc *yaml.Node) (Document, error) {
	r.aliasBudget = maxAliasNodes
	r.pos = &positions{src: Source{File: r.file, Doc: r.doc, Line: doc.Line + r.lineOff, Col: doc.Column}}
	var root *yaml.Node
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = r.deref(doc.Content[0], "")
	}
	if root == nil {
		if !r.limitHit {
			r.fail(doc, "", ErrType, "document is empty; expected a mapping with the keys document, version and data")
		}
		return nil, r.err()
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" && root.Value == "" {
		r.fail(doc, "", ErrType, "document is empty; expected a mapping with the keys document, version and data")
		return nil, r.err()
	}
	if root.Kind != yaml.MappingNode {
		r.fail(root, "", ErrType, "document is %s; expected a mapping with the keys document, version and data", kindName(root))
		return nil, r.err()
	}
	if r.pos.src.Line == 0 {
		r.pos.src.Line, r.pos.src.Col = root.Line+r.lineOff, root.Column
	}

	var (
		kind                   Kind
		kindNode, versionNode  *yaml.Node
		version                uint64
		data                   *yaml.Node
		dataKey                *yaml.Node
		headerOK               = true
		rootKeysBeforeData     []entry
		seenDocument, seenVers bool
	)
	for _, e := range r.entries(root, "") {
		switch e.key {
		case "document":
			if seenDocument {
				r.fail(e.kn, "document", ErrDuplicate, "the key document appears twice; expected one document type")
				headerOK = false
				continue
			}
			seenDocument = true
			s, ok := r.str(e.v, "document")
			if !ok {
				headerOK = false
				continue
			}
			kindNode = r.deref(e.v, "document")
			switch Kind(s) {
			case KindStream, "modulemd-stream":
				kind = KindStream
			case KindDefaults, KindObsoletes, KindTranslations, KindPackager:
				kind = Kind(s)
			default:
				r.fail(kindNode, "document", ErrUnknownDocument,
					"unknown document type %q; expected modulemd, modulemd-stream, modulemd-defaults, modulemd-obsoletes, modulemd-translations or modulemd-packager", s)
				headerOK = false
			}
		case "version":
			if seenVers {
				r.fail(e.kn, "version", ErrDuplicate, "the key version appears twice; expected one metadata version")
				headerOK = false
				continue
			}
			seenVers = true
			v, ok := r.uint64(e.v, "version")
			if !ok {
				headerOK = false
				continue
			}
			version, versionNode = v, r.deref(e.v, "version")
		case "data":
			if data == nil {
				data, dataKey = e.v, e.kn
			}
		default:
			if data == nil {
				rootKeysBeforeData = append(rootKeysBeforeData, e)
			}
		}
	}
	if !headerOK {
		return nil, r.err()
	}
	if kind == "" {
		r.fail(root, "document", ErrMissingHeader, "no document type specified; expected a document: key")
	}
	if version == 0 {
		n := root
		if versionNode != nil {
			n = versionNode
		}
		r.fail(n, "version", ErrMissingHeader, "no metadata version specified; expected a version: key with a number from 1")
	}
	if data == nil {
		r.fail(root, "data", ErrMissingHeader, "no data section provided; expected a data: key")
	}
	if kind != "" && version != 0 && !knownVersion(kind, version) {
		r.fail(versionNode, "version", ErrUnknownDocument, "%s documents have no version %d; expected %s",
			kind, version, expectedVersions(kind))
	}
	if len(r.errs) > 0 {
		return nil, r.err()
	}
	if r.strict {
		for _, e := range rootKeysBeforeData {
			r.unknownStrict(e, "", []string{"document", "version", "data"})
		}
	}
	_ = kindNode
	r.at("document", kindNode)
	r.at("version", versionNode)
	r.at("data", dataKey)
	dm := r.deref(data, "data")
	if dm == nil {
		return nil, r.err()
	}
	if dm.Kind != yaml.MappingNode {
		r.fail(dm, "data", ErrType, "expected the data section to be a mapping, got %s", kindName(dm))
		return nil, r.err()
	}

	var d Document
	switch kind {
	case KindStream:
		if version == 1 {
			d = r.streamV1(dm)
		} else {
			d = r.streamV2(dm, false)
		}
	case KindPackager:
		if version == 2 {
			d = r.packagerV2(dm)
		} else {
			d = r.packagerV3(dm)
		}
	case KindDefaults:
		d = r.defaults(dm)
	case KindObsoletes:
		d = r.obsoletes(dm)
	case KindTranslations:
		d = r.translations(dm, version)
	}
	if len(r.errs) > 0 {
		return nil, r.err()
	}
	r.pos.seal()
	return d, nil
}

func knownVersion(k Kind, v uint64) bool {
	switch k {
	case KindStream:
		return v == 1 || v == 2
	case KindPackager:
		return v == 2 || v == 3
	case KindDefaults, KindObsoletes:
		return v == 1
	case KindTranslations:
		// libmodulemd never checks the translations version: it loads and
		// re-emits any number.
		return true
	}
	return false
}

func expectedVersions(k Kind) string {
	switch k {
	case KindStream:
		return "1 or 2"
	case KindPackager:
		return "2 or 3"
	}
	return "1"
}
