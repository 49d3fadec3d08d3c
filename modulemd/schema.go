package modulemd

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The JSON Schemas (draft 2020-12), one self-contained file per document type
// and version. They describe what libmodulemd accepts in strict mode: every
// known key with its type, the required keys, enumerations and patterns
// (integers, booleans, dates, static and packager contexts, artifact NEVRAs),
// and `additionalProperties: false` wherever libmodulemd rejects unknown keys.
//
//go:embed schema/*.json
var schemaFiles embed.FS

// SchemaFS holds the JSON Schemas (draft 2020-12) of every modulemd document
// type and version: stream-v1.json, stream-v2.json, packager-v2.json,
// packager-v3.json, defaults-v1.json, obsoletes-v1.json and
// translations-v1.json. Each file is self-contained, so it can be given to an
// editor's YAML language server as is. See [ValidateSchema] for how a YAML
// document is mapped to the JSON the schemas describe.
var SchemaFS fs.FS = mustSub(schemaFiles, "schema")

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	return s
}

// schemaFile names the schema of a document type and version, or "" if there
// is none. Translations use one schema whatever the version, because
// libmodulemd does not check it.
func schemaFile(k Kind, version uint64) string {
	switch {
	case (k == KindStream || k == "modulemd-stream") && (version == 1 || version == 2):
		return fmt.Sprintf("stream-v%d.json", version)
	case k == KindPackager && (version == 2 || version == 3):
		return fmt.Sprintf("packager-v%d.json", version)
	case k == KindDefaults && version == 1:
		return "defaults-v1.json"
	case k == KindObsoletes && version == 1:
		return "obsoletes-v1.json"
	case k == KindTranslations && version >= 1:
		return "translations-v1.json"
	}
	return ""
}

// Schema returns the JSON Schema (draft 2020-12) of a document type and
// version, as stored in [SchemaFS]. An unknown pair gives an error wrapping
// [ErrUnknownDocument].
func Schema(k Kind, version uint64) ([]byte, error) {
	name := schemaFile(k, version)
	if name == "" {
		return nil, fmt.Errorf("modulemd: no schema for document %q version %d: %w", k, version, ErrUnknownDocument)
	}
	return fs.ReadFile(SchemaFS, name)
}

// SchemaOptions are options for [ValidateSchema]; nil means defaults.
type SchemaOptions struct {
	// File names the input in errors.
	File string
}

// compiledSchemas compiles every embedded schema once.
var compiledSchemas = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	names, err := fs.Glob(SchemaFS, "*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		data, err := fs.ReadFile(SchemaFS, name)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
		if err := c.AddResource(schemaBaseURL+name, doc); err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
	}
	out := make(map[string]*jsonschema.Schema, len(names))
	for _, name := range names {
		s, err := c.Compile(schemaBaseURL + name)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
		out[name] = s
	}
	return out, nil
})

// schemaPrinter formats the schema library's messages.
var schemaPrinter = message.NewPrinter(language.English)

// schemaBaseURL is the common prefix of the schemas' $id.
const schemaBaseURL = "https://github.com/modkit/modkit/modulemd/schema/"

// schemaDocs holds the embedded schemas parsed as plain JSON, by file name.
var schemaDocs = sync.OnceValue(func() map[string]any {
	out := make(map[string]any)
	names, _ := fs.Glob(SchemaFS, "*.json")
	for _, name := range names {
		data, err := fs.ReadFile(SchemaFS, name)
		if err != nil {
			continue
		}
		var doc any
		if json.Unmarshal(data, &doc) == nil {
			out[name] = doc
		}
	}
	return out
})

// schemaDescriptions maps "file#/json/pointer" of every subschema with a
// description to that description; error messages quote them.
var schemaDescriptions = sync.OnceValue(func() map[string]string {
	out := make(map[string]string)
	for name, doc := range schemaDocs() {
		name := name
		var walk func(v any, ptr string)
		walk = func(v any, ptr string) {
			switch v := v.(type) {
			case map[string]any:
				if d, ok := v["description"].(string); ok {
					out[name+"#"+ptr] = d
				}
				for k, c := range v {
					walk(c, ptr+"/"+k)
				}
			case []any:
				for i, c := range v {
					walk(c, ptr+"/"+strconv.Itoa(i))
				}
			}
		}
		walk(doc, "")
	}
	return out
})

// ValidateSchema checks every document of a YAML stream against the JSON
// Schema of its type and version (chosen from its `document:` and `version:`
// headers) and returns nil or an [errors.Join] of [*ParseError], each naming
// the document, line, column and field path. A YAML syntax error stops the
// check; a document without a known header is reported and skipped.
//
// The schemas describe libmodulemd's strict mode. Rules that span several
// fields or documents (buildafter references, component arches within
// buildopts.arches, rpm-map NEVRAs matching their parts, unique packager
// contexts, calendar-exact dates) are beyond a schema; [Validate] checks them.
//
// Mapping YAML to JSON: libmodulemd reads every scalar as its raw text,
// whatever its tag or quoting, so `stream: 1.10` is the string "1.10" and
// `buildonly: True` is rejected. ValidateSchema maps YAML the same way: every
// scalar becomes a JSON string holding its text, mappings become objects (the
// last of duplicate keys wins), sequences become arrays and aliases are
// expanded. The schemas therefore check integers, booleans and dates with
// patterns on strings. So that editors, which map YAML with native types, can
// use the same files, integer, boolean and string slots also accept JSON
// numbers and booleans.
func ValidateSchema(r io.Reader, opts *SchemaOptions) error {
	if opts == nil {
		opts = &SchemaOptions{}
	}
	schemas, err := compiledSchemas()
	if err != nil {
		return fmt.Errorf("modulemd: compiling schemas: %w", err)
	}
	dec := yaml.NewDecoder(r)
	var errs []error
	for doc := 1; ; doc++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, col := yamlErrorLine(err)
			errs = append(errs, &ParseError{File: opts.File, Doc: doc, Line: line, Column: col, Msg: err.Error(), Err: ErrSyntax})
			break
		}
		errs = append(errs, validateSchemaDoc(schemas, &n, doc, opts.File)...)
	}
	return errors.Join(errs...)
}

// yamlErrorLine extracts the line from a go-yaml error ("yaml: line 3: ...").
func yamlErrorLine(err error) (int, int) {
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		rest := msg[i+5:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if n, e := strconv.Atoi(rest[:j]); e == nil {
			return n, 0
		}
	}
	return 0, 0
}

// schemaInstance is one YAML document mapped to JSON, with the position of
// every value and mapping key by instance location.
type schemaInstance struct {
	value  any
	at     map[string]Position
	budget int
}

// maxSchemaNodes bounds the JSON built from one document, counting nodes
// that aliases repeat.
const maxSchemaNodes = 10_000_000

func locKey(loc []string) string { return strings.Join(loc, "\x00") }

func (si *schemaInstance) convert(n *yaml.Node, loc []string, depth int) (any, error) {
	si.budget--
	if si.budget < 0 {
		return nil, fmt.Errorf("the document expands to more than %d nodes: %w", maxSchemaNodes, ErrLimit)
	}
	if depth > 10_000 {
		return nil, fmt.Errorf("the document nests deeper than 10000 levels: %w", ErrLimit)
	}
	if _, ok := si.at[locKey(loc)]; !ok {
		si.at[locKey(loc)] = Position{Line: n.Line, Column: n.Column}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return si.convert(n.Content[0], loc, depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, fmt.Errorf("unresolvable alias %q: %w", n.Value, ErrSyntax)
		}
		return si.convert(n.Alias, loc, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			for k.Kind == yaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				return nil, &ParseError{Line: k.Line, Column: k.Column, Msg: "a mapping key is not a scalar", Err: ErrType}
			}
			child := append(loc[:len(loc):len(loc)], k.Value)
			si.at[locKey(child)] = Position{Line: k.Line, Column: k.Column}
			v, err := si.convert(n.Content[i+1], child, depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		a := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := si.convert(c, append(loc[:len(loc):len(loc)], strconv.Itoa(i)), depth+1)
			if err != nil {
				return nil, err
			}
			a[i] = v
		}
		return a, nil
	default:
		return n.Value, nil
	}
}

// validateSchemaDoc checks one decoded YAML document.
func validateSchemaDoc(schemas map[string]*jsonschema.Schema, n *yaml.Node, doc int, file string) []error {
	pe := func(p Position, path, msg string, sentinel error) *ParseError {
		return &ParseError{File: file, Doc: doc, Line: p.Line, Column: p.Column, Path: path, Msg: msg, Err: sentinel}
	}
	start := Position{Line: n.Line, Column: n.Column}
	si := &schemaInstance{at: make(map[string]Position), budget: maxSchemaNodes}
	v, err := si.convert(n, nil, 0)
	if err != nil {
		var p *ParseError
		if errors.As(err, &p) {
			p.File, p.Doc = file, doc
			return []error{p}
		}
		return []error{pe(start, "", err.Error(), errors.Unwrap(err))}
	}
	root, ok := v.(map[string]any)
	if !ok {
		return []error{pe(start, "", "the document is not a mapping; expected document, version and data keys", ErrType)}
	}
	kindText, hasKind := root["document"].(string)
	versionText, hasVersion := root["version"].(string)
	if !hasKind || !hasVersion {
		return []error{pe(start, "", "missing `document:` or `version:` header", ErrMissingHeader)}
	}
	version, err := strconv.ParseUint(strings.TrimPrefix(versionText, "+"), 10, 64)
	if err != nil {
		return []error{pe(si.at[locKey([]string{"version"})], "version",
			fmt.Sprintf("%q: expected an unsigned base-10 integer", versionText), ErrType)}
	}
	name := schemaFile(Kind(kindText), version)
	if name == "" {
		return []error{pe(si.at[locKey([]string{"document"})], "document",
			fmt.Sprintf("no schema for document %q version %d", kindText, version), ErrUnknownDocument)}
	}
	verr := schemas[name].Validate(v)
	if verr == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(verr, &ve) {
		return []error{pe(start, "", verr.Error(), ErrInvalid)}
	}
	var out []error
	for _, leaf := range schemaLeaves(ve) {
		loc := leaf.InstanceLocation
		msg := leaf.ErrorKind.LocalizedString(schemaPrinter)
		if k, ok := leaf.ErrorKind.(*kind.AdditionalProperties); ok {
			// One error per unknown key, located at the key.
			for _, p := range k.Properties {
				kl := append(loc[:len(loc):len(loc)], p)
				out = append(out, pe(si.at[locKey(kl)], strings.Join(kl, "."),
					"unknown key "+strconv.Quote(p)+"; "+expectedKeys(leaf), ErrUnknownKey))
			}
			continue
		}
		switch leaf.ErrorKind.(type) {
		case *kind.Required, *kind.DependentRequired, *kind.Type:
		default:
			if d := describeSchema(name, leaf); d != "" {
				msg = d
			}
		}
		sentinel := schemaSentinel(leaf)
		if s, ok := valueAt(v, loc); ok {
			msg = fmt.Sprintf("%q: %s", shorten(s, 80), msg)
		}
		out = append(out, pe(si.at[locKey(loc)], strings.Join(loc, "."), msg, sentinel))
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].(*ParseError), out[j].(*ParseError)
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return out
}

// schemaLeaves flattens a validation error to the errors worth reporting: the
// innermost ones. An anyOf whose branches all failed on the value's type but
// one is explained by that branch; otherwise it is reported as one error, as
// is a "not" (their branches would only list every way the value could have
// been right).
func schemaLeaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	switch ve.ErrorKind.(type) {
	case *kind.AnyOf:
		var near []*jsonschema.ValidationError
		for _, c := range ve.Causes {
			if !onlyTypeErrors(c, ve.InstanceLocation) {
				near = append(near, c)
			}
		}
		if len(near) == 1 {
			return schemaLeaves(near[0])
		}
		return []*jsonschema.ValidationError{ve}
	case *kind.Not:
		return []*jsonschema.ValidationError{ve}
	}
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, schemaLeaves(c)...)
	}
	return out
}

// onlyTypeErrors reports whether every leaf of ve is a type mismatch of the
// value at loc itself: the branch did not fit the value's shape at all.
func onlyTypeErrors(ve *jsonschema.ValidationError, loc []string) bool {
	if len(ve.Causes) == 0 {
		_, isType := ve.ErrorKind.(*kind.Type)
		return isType && len(ve.InstanceLocation) == len(loc)
	}
	for _, c := range ve.Causes {
		if !onlyTypeErrors(c, loc) {
			return false
		}
	}
	return true
}

// schemaKeywords are the keywords a description lookup climbs through.
var schemaKeywords = map[string]bool{
	"anyOf": true, "allOf": true, "oneOf": true, "not": true, "if": true, "then": true, "else": true,
	"items": true, "additionalProperties": true,
}

// describeSchema returns the description of the subschema that failed, or of
// the nearest described subschema enclosing it within the same property.
func describeSchema(file string, ve *jsonschema.ValidationError) string {
	descs := schemaDescriptions()
	_, frag, _ := strings.Cut(ve.SchemaURL, "#")
	frag = unescapePointer(frag)
	kw := strings.Join(ve.ErrorKind.KeywordPath(), "/")
	if _, ok := ve.ErrorKind.(*kind.Not); ok {
		kw = "not" // the library reports no keyword path for it
	}
	if d, ok := descs[file+"#"+frag+"/"+kw]; ok {
		return "expected " + lowerFirst(strings.TrimSuffix(d, "."))
	}
	for {
		if d, ok := descs[file+"#"+frag]; ok {
			return "expected " + lowerFirst(strings.TrimSuffix(d, "."))
		}
		i := strings.LastIndexByte(frag, '/')
		if i < 0 {
			return ""
		}
		last := frag[i+1:]
		if _, err := strconv.Atoi(last); err != nil && !schemaKeywords[last] {
			return "" // a property or definition name: its parent describes something else
		}
		frag = frag[:i]
	}
}

// scalarDefs are the definitions of scalar types; failing one is a type error.
var scalarDefs = []string{"/$defs/bool", "/$defs/uint64", "/$defs/int64", "/$defs/positiveUint64", "/$defs/nonEmptyString", "/$defs/string"}

// schemaSentinel picks the package sentinel for a schema error.
func schemaSentinel(ve *jsonschema.ValidationError) error {
	_, frag, _ := strings.Cut(ve.SchemaURL, "#")
	frag = unescapePointer(frag)
	for _, d := range scalarDefs {
		if frag == d || strings.HasPrefix(frag, d+"/") {
			return ErrType
		}
	}
	switch ve.ErrorKind.(type) {
	case *kind.Required, *kind.DependentRequired:
		return ErrMissingField
	case *kind.Type:
		return ErrType
	}
	return ErrInvalid
}

func lowerFirst(s string) string {
	if s == "" || (len(s) > 1 && s[1] >= 'A' && s[1] <= 'Z') {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// expectedKeys lists the keys the schema allows where an unknown key was
// found.
func expectedKeys(ve *jsonschema.ValidationError) string {
	u, frag, _ := strings.Cut(ve.SchemaURL, "#")
	doc := schemaDocs()[path.Base(u)]
	for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		if tok == "" {
			continue
		}
		tok = unescapePointer(tok)
		m, ok := doc.(map[string]any)
		if !ok {
			return "not allowed here"
		}
		doc = m[tok]
	}
	m, _ := doc.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	if len(props) == 0 {
		return "not allowed here"
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return "expected one of: " + strings.Join(keys, ", ")
}

// unescapePointer undoes JSON pointer (~0, ~1) and URL (%24 for $) escaping.
func unescapePointer(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		s = u
	}
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
}

// shorten cuts s to at most n bytes (on a rune boundary), marking the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// valueAt returns the scalar at loc, if the value there is one.
func valueAt(v any, loc []string) (string, bool) {
	for _, tok := range loc {
		switch t := v.(type) {
		case map[string]any:
			v = t[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(t) {
				return "", false
			}
			v = t[i]
		default:
			return "", false
		}
	}
	s, ok := v.(string)
	return s, ok
}
