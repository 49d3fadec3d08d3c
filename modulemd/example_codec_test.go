package modulemd_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"github.com/modkit/modkit/modulemd"
)

const exampleYAML = `---
document: modulemd
version: 2
data:
  name: nodejs
  stream: "20"
  version: 20240101000000
  context: 6c81f848
  arch: x86_64
  summary: Javascript runtime
  description: Node.js is a platform built on Chrome's JavaScript runtime.
  license:
    module: [MIT]
...
---
document: modulemd-defaults
version: 1
data:
  module: nodejs
  stream: 20
  profiles: {"20": [default]}
...
`

// Read documents one at a time; per-document problems do not stop the loop.
func ExampleNewDecoder() {
	dec := modulemd.NewDecoder(strings.NewReader(exampleYAML + "---\ndocument: modulemd\nversion: 2\ndata:\n  version: soon\n"))
	dec.SetFile("modules.yaml")
	for {
		doc, err := dec.Decode()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("error:", err)
			var pe *modulemd.ParseError
			if errors.As(err, &pe) {
				fmt.Println("field:", pe.Path, "line:", pe.Line, "type error:", errors.Is(err, modulemd.ErrType))
			}
			continue
		}
		switch d := doc.(type) {
		case *modulemd.Stream:
			fmt.Println("stream", d.Name+":"+d.Stream, "at line", d.Source().Line)
		case *modulemd.Defaults:
			fmt.Println("defaults for", d.Module, "default stream", d.Stream)
		}
	}
	// Output:
	// stream nodejs:20 at line 1
	// defaults for nodejs default stream 20
	// error: modules.yaml:27:12: data.version: "soon": the string is not a valid integer; expected an unsigned base-10 integer
	// field: data.version line: 27 type error: true
}

// Decode and validate in one pass: the decoder's workers validate each
// document, and an invalid one comes back with its problems.
func ExampleDecoder_ValidateWith() {
	dec := modulemd.NewDecoder(strings.NewReader(exampleYAML +
		"---\ndocument: modulemd\nversion: 2\ndata:\n  summary: s\n  description: d\n  license: {module: [MIT]}\n"))
	dec.SetFile("modules.yaml")
	dec.ValidateWith(nil)
	for doc, err := range dec.All() {
		switch {
		case doc == nil:
			fmt.Println("does not decode:", err)
		case err != nil:
			fmt.Printf("document %d is invalid: %v\n", doc.Source().Doc, err)
		default:
			fmt.Printf("document %d is valid\n", doc.Source().Doc)
		}
	}
	// Output:
	// document 1 is valid
	// document 2 is valid
	// document 3 is invalid: modules.yaml:26:1: data.name: the module name is missing; repository metadata needs it (it is required to add the stream to an index)
	// modules.yaml:26:1: data.stream: the stream name is missing; repository metadata needs it (it is required to add the stream to an index)
}

// Parse a whole (possibly compressed) stream at once.
func ExampleParse() {
	docs, err := modulemd.Parse([]byte(exampleYAML))
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range docs {
		fmt.Println(d.Kind(), d.MDVersion())
	}
	// Output:
	// modulemd 2
	// modulemd-defaults 1
}

// Write documents in libmodulemd's style.
func ExampleNewEncoder() {
	s := &modulemd.Stream{
		MDVersionNumber: 2,
		Name:            "hello",
		Stream:          "1.0",
		Version:         1,
		Summary:         "Hello",
		Description:     "Says hello.",
		License:         modulemd.License{Module: []string{"MIT"}},
		Profiles:        map[string]modulemd.Profile{"default": {RPMs: []string{"hello"}}},
		Components: modulemd.Components{RPMs: map[string]*modulemd.RPMComponent{
			"hello": {Rationale: "The program.", Arches: []string{"x86_64", "aarch64"}},
		}},
	}
	if err := modulemd.NewEncoder(os.Stdout).Encode(s); err != nil {
		log.Fatal(err)
	}
	// Output:
	// ---
	// document: modulemd
	// version: 2
	// data:
	//   name: hello
	//   stream: "1.0"
	//   version: 1
	//   summary: Hello
	//   description: >-
	//     Says hello.
	//   license:
	//     module:
	//     - MIT
	//   profiles:
	//     default:
	//       rpms:
	//       - hello
	//   components:
	//     rpms:
	//       hello:
	//         rationale: The program.
	//         arches: [aarch64, x86_64]
	// ...
}

// An XMD is read with Get, without decoding the rest, and changed by making
// a new one from a decoded copy.
func ExampleXMD() {
	s := &modulemd.Stream{XMD: modulemd.MustXMD(map[string]any{
		"mbs": map[string]any{"commit": "abc123", "mse": true},
	})}
	fmt.Println(s.XMD.GetString("mbs", "commit"), s.XMD.Get("mbs", "mse"), s.XMD.Get("mbs", "missing"))

	root := s.XMD.Map()
	root["mbs"].(map[string]any)["koji_tag"] = "module-x"
	x, err := modulemd.NewXMD(root)
	if err != nil {
		log.Fatal(err)
	}
	s.XMD = x
	fmt.Println(s.XMD)

	_, err = modulemd.NewXMD(map[string]any{"n": 1})
	fmt.Println(err)
	// Output:
	// abc123 true <nil>
	// map[mbs:map[commit:abc123 koji_tag:module-x mse:true]]
	// modulemd: xmd.n: xmd holds a int; expected a string, bool, []any or map[string]any: invalid value
}
