package modulemd

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// packagerV3Full and packagerV2Full use every field of their format; the
// table below takes one field away at a time.
const packagerV3Full = `---
document: modulemd-packager
version: 3
data:
  name: foo
  stream: latest
  summary: An example module
  description: A module for the demonstration.
  license: [MIT]
  xmd:
    some_key: some_data
  configurations:
    - context: CTX1
      platform: f40
      buildrequires:
        appframework: [v1]
      requires:
        appframework: [v1]
      buildopts:
        rpms:
          macros: "%demomacro 1"
          whitelist: [fooscl-1-bar]
        arches: [i686, x86_64]
  references:
    community: https://www.example.com/
  profiles:
    container:
      rpms: [bar]
  api:
    rpms: [bar]
  filter:
    rpms: [baz]
  demodularized:
    rpms: [bar-old]
  components:
    rpms:
      bar:
        name: bar-real
        rationale: We need this to demonstrate stuff.
        repository: https://example.com/bar.git
        cache: https://example.com/cache
        ref: 26ca0c0
        buildafter: [baz]
      baz:
        rationale: This one is here to demonstrate other stuff.
    modules:
      includedmodule:
        rationale: Included in the stack, just because.
        repository: https://example.com/includedmodule.git
        ref: somecoolbranchname
        buildorder: 100
...
`

const packagerV2Full = `---
document: modulemd-packager
version: 2
data:
  name: foo
  stream: latest
  summary: An example module
  description: A module for the demonstration.
  servicelevels:
    rawhide:
      eol: 2077-10-23
  license:
    module: [MIT]
    content: [GPL]
  xmd:
    some_key: some_data
  dependencies:
    - buildrequires:
        platform: [f40]
      requires:
        platform: [f40]
  references:
    community: https://www.example.com/
  profiles:
    container:
      description: A profile
      rpms: [bar]
  api:
    rpms: [bar]
  filter:
    rpms: [baz]
  buildopts:
    rpms:
      macros: "%demomacro 1"
      whitelist: [fooscl-1-bar]
    arches: [i686, x86_64]
  components:
    rpms:
      bar:
        name: bar-real
        rationale: We need this to demonstrate stuff.
        repository: https://example.com/bar.git
        cache: https://example.com/cache
        ref: 26ca0c0
        buildafter: [baz]
      baz:
        rationale: This one is here to demonstrate other stuff.
    modules:
      includedmodule:
        rationale: Included in the stack, just because.
        repository: https://example.com/includedmodule.git
        ref: somecoolbranchname
        buildorder: 100
...
`

// packagerFieldCases are, per packager version, each field taken away (or
// emptied) and the problems source-mode validation must report: the
// mandatory fields of each format as libmodulemd 2.14 enforces them.
// TestValidatePackagerFieldsLibmodulemd checks every row against
// libmodulemd itself.
var packagerFieldCases = []struct {
	version int
	edit    string // "-PATH" deletes the key, "PATH=VALUE" replaces its value
	want    []string
}{
	{3, "-data.name", nil},
	{3, "-data.stream", nil},
	{3, "-data.summary", []string{"data.summary"}},
	{3, `data.summary=""`, nil},
	{3, "-data.description", []string{"data.description"}},
	{3, `data.description=""`, nil},
	{3, "-data.license", nil},
	{3, "-data.xmd", nil},
	{3, "-data.configurations", []string{"data.configurations"}},
	{3, "data.configurations=[]", []string{"data.configurations"}},
	{3, "-data.configurations.0.context", []string{"data.configurations.0.context"}},
	{3, "-data.configurations.0.platform", []string{"data.configurations.0.platform"}},
	{3, "-data.configurations.0.buildrequires", nil},
	{3, "-data.configurations.0.requires", nil},
	{3, "-data.configurations.0.buildopts", nil},
	{3, "-data.references", nil},
	{3, "-data.profiles", nil},
	{3, "-data.api", nil},
	{3, "-data.filter", nil},
	{3, "-data.demodularized", nil},
	{3, "-data.components", nil},
	{3, "-data.components.rpms.bar.rationale", nil},
	{3, "-data.components.rpms.bar.ref", nil},
	{3, "-data.components.rpms.baz", []string{"data.components.rpms.bar.buildafter"}},
	{3, "-data.components.modules.includedmodule.rationale", nil},
	{3, "-data.components.modules.includedmodule.ref", nil},
	{2, "-data.name", nil},
	{2, "-data.stream", nil},
	{2, "-data.summary", []string{"data.summary"}},
	{2, `data.summary=""`, nil},
	{2, "-data.description", []string{"data.description"}},
	{2, `data.description=""`, nil},
	{2, "-data.license", []string{"data.license.module"}},
	{2, "-data.license.module", []string{"data.license.module"}},
	{2, "-data.license.content", nil},
	{2, "-data.servicelevels", nil},
	{2, "-data.xmd", nil},
	{2, "-data.dependencies", nil},
	{2, "-data.references", nil},
	{2, "-data.profiles", nil},
	{2, "-data.profiles.container.description", nil},
	{2, "-data.api", nil},
	{2, "-data.filter", nil},
	{2, "-data.buildopts", nil},
	{2, "-data.components", nil},
	{2, "-data.components.rpms.bar.rationale", nil},
	{2, "-data.components.rpms.baz", []string{"data.components.rpms.bar.buildafter"}},
	{2, "-data.components.modules.includedmodule.rationale", nil},
}

// editYAML applies one packagerFieldCases edit to a single-document YAML.
func editYAML(t *testing.T, src, edit string) []byte {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	path, value, replace := strings.Cut(strings.TrimPrefix(edit, "-"), "=")
	keys := strings.Split(path, ".")
	n := doc.Content[0]
	for i, k := range keys {
		last := i == len(keys)-1
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for j := 0; j < len(n.Content); j += 2 {
				if n.Content[j].Value != k {
					continue
				}
				if last && !replace {
					n.Content = slices.Delete(n.Content, j, j+2)
					next = n
				} else {
					next = n.Content[j+1]
				}
				break
			}
		case yaml.SequenceNode:
			if idx, err := strconv.Atoi(k); err == nil && idx >= 0 && idx < len(n.Content) {
				next = n.Content[idx]
			}
		}
		if next == nil {
			t.Fatalf("edit %q: no %s in the document", edit, strings.Join(keys[:i+1], "."))
		}
		n = next
	}
	if replace {
		var v yaml.Node
		if err := yaml.Unmarshal([]byte(value), &v); err != nil {
			t.Fatal(err)
		}
		*n = *v.Content[0]
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte("---\n"), out...)
}

func packagerFull(version int) string {
	if version == 2 {
		return packagerV2Full
	}
	return packagerV3Full
}

// TestValidatePackagerFields is the source-mode verdict on each packager
// document that lacks one field.
func TestValidatePackagerFields(t *testing.T) {
	t.Parallel()
	for _, tc := range packagerFieldCases {
		t.Run(fmt.Sprintf("v%d%s", tc.version, tc.edit), func(t *testing.T) {
			t.Parallel()
			data := editYAML(t, packagerFull(tc.version), tc.edit)
			docs, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v\n%s", err, data)
			}
			var got []string
			for _, p := range problemsOf(t, ValidateWith(docs[0], &ValidateOptions{Source: true})) {
				got = append(got, p.Path)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("problems (-want +got):\n%s\n%s", d, data)
			}
		})
	}
}

// TestValidatePackagerFieldsLibmodulemd checks that libmodulemd reaches the
// verdict each row of packagerFieldCases gives: a packager v3 document read
// with read_packager_file and converted to streams, a packager v2 document
// read and validated as a stream.
func TestValidatePackagerFieldsLibmodulemd(t *testing.T) {
	t.Parallel()
	oracle := requireOracle(t)
	dir := t.TempDir()
	for i, tc := range packagerFieldCases {
		t.Run(fmt.Sprintf("v%d%s", tc.version, tc.edit), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, fmt.Sprintf("case%d.yaml", i))
			if err := os.WriteFile(path, editYAML(t, packagerFull(tc.version), tc.edit), 0o644); err != nil {
				t.Fatal(err)
			}
			mode := "--packager"
			if tc.version == 2 {
				mode = "--packager-v2"
			}
			rep, err := oracle.json(mode, "--no-dump", path)
			if err != nil {
				t.Fatal(err)
			}
			accepted := rep.Loaded && rep.HardError == nil && len(rep.Failures) == 0
			if want := len(tc.want) == 0; accepted != want {
				t.Errorf("libmodulemd accepted=%v (%v), but the table says valid=%v", accepted, rep.HardError, want)
			}
		})
	}
}
