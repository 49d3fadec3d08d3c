package modulemd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

func TestSchemaLookup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind    Kind
		version uint64
		id      string // "" = error
	}{
		{KindStream, 1, "stream-v1.json"},
		{KindStream, 2, "stream-v2.json"},
		{"modulemd-stream", 2, "stream-v2.json"},
		{KindPackager, 2, "packager-v2.json"},
		{KindPackager, 3, "packager-v3.json"},
		{KindDefaults, 1, "defaults-v1.json"},
		{KindObsoletes, 1, "obsoletes-v1.json"},
		{KindTranslations, 1, "translations-v1.json"},
		{KindTranslations, 5, "translations-v1.json"}, // libmodulemd ignores the number
		{KindStream, 3, ""},
		{KindPackager, 1, ""},
		{KindDefaults, 2, ""},
		{KindObsoletes, 0, ""},
		{"modulemd-foo", 1, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.kind, tt.version), func(t *testing.T) {
			t.Parallel()
			data, err := Schema(tt.kind, tt.version)
			if tt.id == "" {
				if !errors.Is(err, ErrUnknownDocument) {
					t.Fatalf("Schema() error = %v, want ErrUnknownDocument", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Schema string `json:"$schema"`
				ID     string `json:"$id"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.ID != schemaBaseURL+tt.id || doc.Schema != "https://json-schema.org/draft/2020-12/schema" {
				t.Errorf("got $id %q $schema %q, want %q on draft 2020-12", doc.ID, doc.Schema, schemaBaseURL+tt.id)
			}
		})
	}
}

// TestSchemaFilesCompile compiles each file on its own, as an editor would,
// which also checks it against the draft 2020-12 meta-schema.
func TestSchemaFilesCompile(t *testing.T) {
	t.Parallel()
	names, err := fs.Glob(SchemaFS, "*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 7 {
		t.Errorf("SchemaFS holds %d schemas, want 7: %v", len(names), names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := fs.ReadFile(SchemaFS, name)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			c := jsonschema.NewCompiler()
			if err := c.AddResource(name, doc); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Compile(name); err != nil {
				t.Fatal(err)
			}
		})
	}
}

const schemaStreamV2 = `document: modulemd
version: 2
data:
  name: foo
  stream: 1.10
  version: 20200101000000
  context: c0ffee43
  static_context: true
  arch: x86_64
  summary: Foo
  description: The foo module.
  servicelevels:
    rawhide: {eol: 2077-10-23}
  license:
    module: MIT
  xmd: {a: [b, c]}
  dependencies:
  - buildrequires: {platform: [-f27, -f28]}
    requires: {platform: []}
  profiles:
    default: {rpms: [foo], default: true}
  components:
    rpms:
      foo: {rationale: r, buildorder: -1, buildonly: false}
      bar: {rationale: r, buildorder: 18446744073709551615}
      baz: {rationale: r, buildafter: [], buildorder: 3}
    modules:
      m: {rationale: r, buildorder: +5}
  artifacts:
    rpms: [foo-0:1.0-1.x86_64]
    rpm-map:
      sha256:
        abc: {name: foo, epoch: 0, version: "1.0", release: "1", arch: x86_64, nevra: foo-0:1.0-1.x86_64}
`

func TestValidateSchema(t *testing.T) {
	t.Parallel()
	// edit replaces the first occurrence of old in base.
	edit := func(base, old, new string) string {
		if !strings.Contains(base, old) {
			panic("fixture lacks " + old)
		}
		return strings.Replace(base, old, new, 1)
	}
	type want struct {
		path string
		line int
		err  error
		msg  string // substring
	}
	tests := []struct {
		name string
		in   string
		want []want
	}{
		{"stream v2 valid", schemaStreamV2, nil},
		{"stream v1 valid", "document: modulemd\nversion: 1\ndata:\n  summary: s\n  description: d\n  license: {module: [MIT]}\n  eol: 2077-1-2\n  dependencies: {requires: {platform: f28}}\n", nil},
		{"packager v3 valid", "document: modulemd-packager\nversion: 3\ndata:\n  summary: s\n  description: d\n  configurations:\n  - {context: CTX1, platform: f33, requires: {a: [b]}, buildrequires: {c: d}}\n", nil},
		{"defaults valid", "document: modulemd-defaults\nversion: 1\ndata:\n  module: foo\n  stream: '1'\n  profiles: {'1': []}\n  intents: {desktop: {stream: x, profiles: {x: [a]}}}\n", nil},
		{"obsoletes valid", "document: modulemd-obsoletes\nversion: 1\ndata:\n  modified: 2022-01-31T23:59Z\n  module: a\n  stream: b\n  message: m\n  obsoleted_by: {module: c, stream: d, extra: ignored}\n", nil},
		{"translations any version", "document: modulemd-translations\nversion: 5\ndata:\n  module: a\n  stream: b\n  modified: 7\n  translations: {ja: {summary: s, profiles: {p: x}}}\n", nil},
		{"bool must be lowercase", edit(schemaStreamV2, "buildonly: false", "buildonly: False"),
			[]want{{"data.components.rpms.foo.buildonly", 24, ErrType, `"False": expected exactly true or false`}}},
		{"negative version", edit(schemaStreamV2, "version: 20200101000000", "version: -1"),
			[]want{{"data.version", 6, ErrType, `"-1": expected an unsigned base-10 integer`}}},
		{"version overflow", edit(schemaStreamV2, "version: 20200101000000", "version: 18446744073709551616"),
			[]want{{"data.version", 6, ErrType, "up to 18446744073709551615"}}},
		{"unknown key", edit(schemaStreamV2, "  arch: x86_64", "  arch: x86_64\n  archh: x"),
			[]want{{"data.archh", 10, ErrUnknownKey, `unknown key "archh"; expected one of: api, arch,`}}},
		{"missing summary", edit(schemaStreamV2, "  summary: Foo\n", ""),
			[]want{{"data", 3, ErrMissingField, "summary"}}},
		{"static context charset", edit(schemaStreamV2, "context: c0ffee43", "context: c0-ffee"),
			[]want{{"data.context", 7, ErrInvalid, "static context"}}},
		{"free context without static_context", edit(edit(schemaStreamV2, "context: c0ffee43", "context: c0-ffee"), "  static_context: true\n", ""), nil},
		{"impossible month", edit(schemaStreamV2, "2077-10-23", "2077-13-01"),
			[]want{{"data.servicelevels.rawhide.eol", 13, ErrInvalid, "calendar date"}}},
		{"mixed dependency signs", edit(schemaStreamV2, "[-f27, -f28]", "[-f27, f28]"),
			[]want{{"data.dependencies.0.buildrequires.platform", 18, ErrInvalid, "all plain"}}},
		{"artifact without epoch", edit(schemaStreamV2, "rpms: [foo-0:1.0-1.x86_64]", "rpms: [foo-1.0-1.x86_64]"),
			[]want{{"data.artifacts.rpms.0", 30, ErrInvalid, "mandatory epoch"}}},
		{"buildorder with buildafter", edit(schemaStreamV2, "buildafter: []", "buildafter: [foo]"),
			[]want{{"data.components.rpms.baz", 26, ErrInvalid, "cannot mix buildorder and buildafter"}}},
		{"buildorder out of range", edit(schemaStreamV2, "buildorder: -1", "buildorder: 9223372036854775808"),
			[]want{{"data.components.rpms.foo.buildorder", 24, ErrType, "signed base-10 integer"}}},
		{"rpm-map entry incomplete", edit(schemaStreamV2, "epoch: 0, ", ""),
			[]want{{"data.artifacts.rpm-map.sha256.abc", 33, ErrMissingField, "epoch"}}},
		{"packager v3 context", "document: modulemd-packager\nversion: 3\ndata:\n  summary: s\n  description: d\n  configurations:\n  - {context: a2345678901, platform: f33, requires: {a: [b, c]}}\n",
			[]want{
				{"data.configurations.0.context", 7, ErrInvalid, "1 to 10 characters"},
				{"data.configurations.0.requires.a", 7, ErrInvalid, "exactly one stream"},
			}},
		{"obsoletes reset with eol_date", "document: modulemd-obsoletes\nversion: 1\ndata:\n  modified: 2022-01-31T23:59Z\n  reset: true\n  eol_date: 2022-02-01T00:00Z\n  module: a\n  stream: b\n  message: m\n",
			[]want{{"data", 3, ErrInvalid, "reset goes with neither eol_date nor obsoleted_by"}}},
		{"obsoletes bad timestamp", "document: modulemd-obsoletes\nversion: 1\ndata:\n  modified: 2022-01-31 23:59Z\n  module: a\n  stream: b\n  message: ''\n",
			[]want{
				{"data.modified", 4, ErrInvalid, "YYYY-MM-DDTHH:MMZ"},
				{"data.message", 7, ErrType, "non-empty"},
			}},
		{"obsoleted_by half", "document: modulemd-obsoletes\nversion: 1\ndata:\n  modified: 2022-01-31T23:59Z\n  module: a\n  stream: b\n  message: m\n  obsoleted_by: {module: c}\n",
			[]want{{"data.obsoleted_by", 8, ErrMissingField, "'stream' required"}}},
		{"translations modified zero", "document: modulemd-translations\nversion: 1\ndata:\n  module: a\n  stream: b\n  modified: 0\n",
			[]want{{"data.modified", 6, ErrType, "other than 0"}}},
		{"xmd sequence", edit(schemaStreamV2, "xmd: {a: [b, c]}", "xmd: [a]"),
			[]want{{"data.xmd", 16, ErrInvalid, "top-level sequence is rejected"}}},
		{"no header", "data: {}\n", []want{{"", 1, ErrMissingHeader, "header"}}},
		{"unknown type", "document: modulemd-foo\nversion: 1\ndata: {}\n", []want{{"document", 1, ErrUnknownDocument, "modulemd-foo"}}},
		{"not a mapping", "- a\n", []want{{"", 1, ErrType, "not a mapping"}}},
		{"syntax error", "a: [\n", []want{{"", 1, ErrSyntax, "did not find expected node content"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateSchema(strings.NewReader(tt.in), &SchemaOptions{File: "in.yaml"})
			got := parseErrors(err)
			if len(got) != len(tt.want) {
				t.Fatalf("ValidateSchema() = %d errors, want %d:\n%v", len(got), len(tt.want), err)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Path != w.path || g.Line != w.line || !errors.Is(g, w.err) || !strings.Contains(g.Msg, w.msg) || g.File != "in.yaml" || g.Doc != 1 {
					t.Errorf("error %d = %+v (%v)\nwant path %q line %d sentinel %v message containing %q", i, *g, g.Err, w.path, w.line, w.err, w.msg)
				}
			}
		})
	}
}

// parseErrors flattens an errors.Join tree into its *ParseError leaves.
func parseErrors(err error) []*ParseError {
	if err == nil {
		return nil
	}
	var out []*ParseError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, parseErrors(e)...)
		}
		return out
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		return []*ParseError{pe}
	}
	return []*ParseError{{Msg: err.Error()}}
}

// TestValidateSchemaEditorMapping checks that the schemas also accept the
// native-typed JSON an editor's YAML language server builds (numbers,
// booleans, nulls) for the valid fixture.
func TestValidateSchemaEditorMapping(t *testing.T) {
	t.Parallel()
	schemas, err := compiledSchemas()
	if err != nil {
		t.Fatal(err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(schemaStreamV2), &n); err != nil {
		t.Fatal(err)
	}
	v := typedJSON(n.Content[0])
	if err := schemas["stream-v2.json"].Validate(v); err != nil {
		t.Errorf("typed mapping rejected: %v", err)
	}
}

// typedJSON maps YAML with native scalar types, as editors do.
func typedJSON(n *yaml.Node) any {
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = typedJSON(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		a := []any{}
		for _, c := range n.Content {
			a = append(a, typedJSON(c))
		}
		return a
	case yaml.AliasNode:
		return typedJSON(n.Alias)
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		if f, err := strconv.ParseFloat(strings.TrimPrefix(n.Value, "+"), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return json.Number(strings.TrimPrefix(n.Value, "+"))
		}
	case "!!bool":
		return n.Value == "true"
	case "!!null":
		return nil
	}
	return n.Value
}

// schemaBlind lists libmodulemd failures that no JSON Schema can express, with
// the reason. A document that fails only for these must still pass its
// schema; every other failure must be caught by it.
var schemaBlind = []struct {
	re  *regexp.Regexp
	why string
}{
	{regexp.MustCompile(`^modulemd-error/7: The module and stream names are required when adding to ModuleIndex`),
		"an index rule: a stream document may omit name and stream (build systems fill them in), so the schema makes them optional"},
	{regexp.MustCompile(`^modulemd-yaml-error/3: modulemd-packager document ignored while reading into a module index`),
		"an index rule: packager documents are checked against the packager schemas and libmodulemd's packager readers instead"},
	{regexp.MustCompile(`^modulemd-error/1: Buildafter '.*' not found in components list`),
		"a reference between components"},
	{regexp.MustCompile(`^modulemd-error/1: Cannot mix buildorder and buildafter in the same stream`),
		"a rule across components"},
	{regexp.MustCompile(`^modulemd-error/1: Component rpm '.*' arch '.*' not in module buildopts.arches`),
		"a rule between two fields"},
	{regexp.MustCompile(`^modulemd-yaml-error/3: Failed to parse buildorder in component: 18446744073709551615:`),
		"a deliberate difference: 18446744073709551615 is read as -1, as Fedora's libmodulemd build does"},
}

func blindReason(msg string) (string, bool) {
	for _, b := range schemaBlind {
		if b.re.MatchString(msg) {
			return b.why, true
		}
	}
	return "", false
}

// TestSchemaSharedData checks every document of ../shared/modulemd-specs,
// ../shared/testdata/libmodulemd and ../shared/corpus against its schema and
// compares the verdict with libmodulemd's in strict mode (the schemas
// describe strict mode): live from the oracle when available, else from the
// cached answers in testdata/oracle.
func TestSchemaSharedData(t *testing.T) {
	t.Parallel()
	shared := sharedDir(t)
	t.Run("group", func(t *testing.T) {
		for _, c := range sharedCorpora {
			root := filepath.Join(shared, c.dir)
			for _, rel := range sharedFiles(t, root) {
				t.Run(c.name+"/"+rel, func(t *testing.T) {
					t.Parallel()
					fv, _ := expectedVerdict(t, c.name, root, rel, c.name != "libmodulemd")
					checkSchemaVerdict(t, filepath.Join(root, rel), fv)
				})
			}
		}
	})
	if *updateOracle {
		golden.flush(t)
	}
}

func checkSchemaVerdict(t *testing.T, path string, fv fileVerdict) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int][]*ParseError{}
	all := parseErrors(ValidateSchema(bytes.NewReader(data), &SchemaOptions{File: path}))
	for _, pe := range all {
		got[pe.Doc] = append(got[pe.Doc], pe)
	}
	if fv.Strict.Hard != "" {
		// libmodulemd gave up on the whole file; the schema check must
		// find a problem too.
		if len(all) == 0 {
			t.Errorf("libmodulemd: hard error %q; schema: no error", fv.Strict.Hard)
		}
		return
	}
	docs, err := yamlTrees(data)
	if err != nil {
		t.Fatalf("libmodulemd parsed the file but go-yaml did not: %v", err)
	}
	want := map[int]string{} // doc → first failure the schema must catch
	blind := map[int]string{}
	for _, f := range fv.Strict.Failures {
		if f.Doc == 0 {
			t.Errorf("could not tell which document libmodulemd's failure %q belongs to", f.Error)
			continue
		}
		if why, ok := blindReason(f.Error); ok {
			blind[f.Doc] = why
			continue
		}
		if _, ok := want[f.Doc]; !ok {
			want[f.Doc] = f.Error
		}
	}
	for _, pv := range fv.Packager {
		if !pv.OK {
			want[pv.Doc] = "packager reader: " + pv.Error
		}
	}
	for i := range docs {
		doc := i + 1
		switch reason, bad := want[doc]; {
		case bad && len(got[doc]) == 0:
			t.Errorf("document %d: libmodulemd (strict) rejects it (%s); the schema accepts it", doc, reason)
		case !bad && len(got[doc]) > 0:
			t.Errorf("document %d: libmodulemd (strict) accepts it%s; the schema rejects it:\n%v", doc, ifBlind(blind[doc]), errors.Join(toErrs(got[doc])...))
		}
	}
}

func ifBlind(why string) string {
	if why == "" {
		return ""
	}
	return " (apart from a rule no schema can express: " + why + ")"
}

func toErrs(pes []*ParseError) []error {
	out := make([]error, len(pes))
	for i, p := range pes {
		out[i] = p
	}
	return out
}

func ExampleValidateSchema() {
	const doc = `document: modulemd-defaults
version: 1
data:
  module: nodejs
  stream: 20
  profiles:
    20: [default]
  intent: typo
`
	err := ValidateSchema(strings.NewReader(doc), &SchemaOptions{File: "nodejs.yaml"})
	fmt.Println(err)
	// Output:
	// nodejs.yaml:8:3: data.intent: unknown key "intent"; expected one of: intents, modified, module, profiles, stream
}

func ExampleSchema() {
	data, err := Schema(KindObsoletes, 1)
	if err != nil {
		panic(err)
	}
	var s struct {
		Title string `json:"title"`
	}
	_ = json.Unmarshal(data, &s)
	fmt.Println(s.Title)
	// Output: modulemd-obsoletes, version 1
}
