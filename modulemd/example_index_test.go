package modulemd_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/modkit/modkit/modulemd"
)

const exampleRepo = `---
document: modulemd
version: 2
data:
  name: nodejs
  stream: "20"
  version: 4020240101
  context: a1b2c3d4
  arch: x86_64
  summary: JavaScript runtime
  description: Node.js 20.
  license:
    module: [MIT]
  profiles:
    default:
      rpms: [nodejs]
...
---
document: modulemd
version: 2
data:
  name: nodejs
  stream: "18"
  version: 4020230101
  context: a1b2c3d4
  arch: x86_64
  summary: JavaScript runtime
  description: Node.js 18.
  license:
    module: [MIT]
...
---
document: modulemd-defaults
version: 1
data:
  module: nodejs
  stream: "20"
  profiles:
    "20": [default]
...
`

func ExampleNewIndex() {
	idx := modulemd.NewIndex(nil)
	for _, s := range []*modulemd.Stream{
		{MDVersionNumber: 2, Name: "perl", Stream: "5.40", Version: 2, Context: "c0ffee", Arch: "x86_64",
			Summary: "Perl", Description: "Practical Extraction and Report Language.", License: modulemd.License{Module: []string{"MIT"}}},
		{MDVersionNumber: 2, Name: "perl", Stream: "5.40", Version: 10, Context: "c0ffee", Arch: "x86_64",
			Summary: "Perl", Description: "Practical Extraction and Report Language.", License: modulemd.License{Module: []string{"MIT"}}},
	} {
		if err := idx.AddStream(s); err != nil {
			log.Fatal(err)
		}
	}
	// Search sorts versions newest first; the dump order is by NSVCA string.
	for _, s := range idx.Search(modulemd.Query{Name: "perl", Stream: "5.*"}) {
		fmt.Println(s.NSVCA())
	}
	// Output:
	// perl:5.40:10:c0ffee:x86_64
	// perl:5.40:2:c0ffee:x86_64
}

func ExampleReadIndex() {
	idx, err := modulemd.ReadIndex(strings.NewReader(exampleRepo), &modulemd.LoadOptions{File: "modules.yaml"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(idx.ModuleNames())
	fmt.Println(idx.DefaultStreams())
	for _, s := range idx.Module("nodejs").Streams() {
		fmt.Println(s.NSVC())
	}
	// Output:
	// [nodejs]
	// map[nodejs:20]
	// nodejs:18:4020230101:a1b2c3d4
	// nodejs:20:4020240101:a1b2c3d4
}

func ExampleMerger() {
	base, err := modulemd.ReadIndex(strings.NewReader(exampleRepo), nil)
	if err != nil {
		log.Fatal(err)
	}
	// An updates repository that changes the default stream.
	updates := modulemd.NewIndex(nil)
	if err := updates.AddDefaults(&modulemd.Defaults{MDVersionNumber: 1, Module: "nodejs", Stream: "18"}); err != nil {
		log.Fatal(err)
	}
	m := modulemd.NewMerger()
	if err := m.Add(base, 0); err != nil {
		log.Fatal(err)
	}
	if err := m.Add(updates, 10); err != nil { // higher priority overrides
		log.Fatal(err)
	}
	merged, err := m.Resolve(nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(merged.DefaultStreams()["nodejs"], len(merged.Streams()))
	// Output:
	// 18 2
}

func ExampleParseNSVCA() {
	n, err := modulemd.ParseNSVCA("nodejs:20:4020240101:a1b2c3d4:x86_64")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n.Name, n.Stream, n.Version, n.Context, n.Arch)
	// Unset fields are empty; trailing ones are dropped when formatting.
	fmt.Println(modulemd.NSVCA{Name: "nodejs", Stream: "20", Context: "a1b2c3d4"})
	_, err = modulemd.ParseNSVCA("nodejs:20:latest")
	fmt.Println(err)
	// Output:
	// nodejs 20 4020240101 a1b2c3d4 x86_64
	// nodejs:20::a1b2c3d4
	// modulemd: parse NSVCA "nodejs:20:latest": version "latest" is not a base-10 unsigned integer: invalid value
}

func ExampleCompareVersions() {
	fmt.Println(modulemd.CompareVersions("1.10", "1.9"))
	fmt.Println(modulemd.CompareVersions("2.0~rc1", "2.0"))
	fmt.Println(modulemd.CompareVersions("2.0^git1", "2.0"))
	fmt.Println(modulemd.CompareEVR("1:1.0-1", "2.0-1"))
	// Output:
	// 1
	// -1
	// 1
	// 1
}

func ExamplePackager_ToIndex() {
	p := &modulemd.Packager{
		MDVersionNumber: 3,
		Name:            "foo", Stream: "latest",
		Summary: "Example", Description: "An example module.",
		Configurations: []modulemd.Configuration{
			{Context: "CTX2", Platform: "f41"},
			{Context: "CTX1", Platform: "f40"},
		},
		Profiles: map[string]modulemd.Profile{"minimal": {RPMs: []string{"foo"}, Default: true}},
	}
	idx, err := p.ToIndex()
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range idx.Streams() {
		fmt.Println(s.NSVCA(), s.Dependencies[0].Requires["platform"], s.License.Module)
	}
	fmt.Println(idx.Defaults("foo").Profiles)
	// Output:
	// foo:latest::CTX1 [f40] [MIT]
	// foo:latest::CTX2 [f41] [MIT]
	// map[latest:[minimal]]
}

func ExampleValidate() {
	s := &modulemd.Stream{MDVersionNumber: 2, Name: "foo", Stream: "a", Summary: "Foo",
		License:   modulemd.License{Module: []string{"MIT"}},
		Artifacts: modulemd.Artifacts{RPMs: []string{"foo-1.0-1.x86_64"}}}
	fmt.Println(modulemd.Validate(s))
	// Output:
	// data.description: the description is missing; expected a paragraph describing the module
	// data.artifacts.rpms: artifact "foo-1.0-1.x86_64" is not in N-E:V-R.A form (name-epoch:version-release.arch; the epoch is required)
}

func ExampleLint() {
	s := &modulemd.Stream{MDVersionNumber: 2, Name: "foo", Stream: "a", Summary: "Foo.", Description: "Foo.",
		License:    modulemd.License{Module: []string{"MIT"}},
		Components: modulemd.Components{RPMs: map[string]*modulemd.RPMComponent{"foo": {}}}}
	for _, w := range modulemd.Lint(s) {
		fmt.Println(w)
	}
	// Output:
	// data.components.rpms.foo: rpm component "foo" has no rationale; the format requires one [missing-rationale]
}
