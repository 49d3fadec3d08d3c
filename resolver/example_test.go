package resolver_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/resolver"
)

const exampleIndex = `---
document: modulemd
version: 2
data:
  name: platform
  stream: f28
  version: 3
  context: "00000000"
  summary: Fedora 28
  description: Base module.
  license: {module: [MIT]}
  xmd: {mbs: {koji_tag: module-f28-build, commit: virtual}}
...
---
document: modulemd
version: 2
data:
  name: nodejs
  stream: "10"
  version: 2820190101000000
  context: 6c81f848
  summary: Node.js
  description: Node.js 10.
  license: {module: [MIT]}
  xmd: {mbs: {buildrequires: {platform: {stream: f28, version: "3", context: "00000000"}}}}
  dependencies:
  - buildrequires: {platform: [f28]}
    requires: {platform: [f28]}
  artifacts:
    rpms: [nodejs-1:10.0-1.x86_64]
...
---
document: modulemd-defaults
version: 1
data:
  module: nodejs
  stream: "10"
...
`

func exampleSource() (*modulemd.Index, resolver.Source) {
	idx, err := modulemd.ReadIndex(strings.NewReader(exampleIndex), nil)
	if err != nil {
		panic(err)
	}
	return idx, resolver.NewIndexSource(idx)
}

func ExampleExpand() {
	_, src := exampleSource()
	app := &modulemd.Stream{MDVersionNumber: 2, Name: "app", Stream: "main", Version: 20200101000000,
		Dependencies: []modulemd.Dependency{{
			BuildRequires: map[string][]string{"platform": {"f28"}, "nodejs": {}},
			Requires:      map[string][]string{"platform": {"f28"}, "nodejs": {}},
		}}}
	exps, err := resolver.Expand(context.Background(), src, app, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range exps {
		fmt.Println(e.NSVC())
		for _, br := range e.BuildRequires {
			fmt.Println("  built against", br.NSVC())
		}
	}
	// Output:
	// app:main:2820200101000000:58bede09
	//   built against nodejs:10:2820190101000000:6c81f848
	//   built against platform:f28:3:00000000
}

func ExampleExpand_conflict() {
	_, src := exampleSource()
	app := &modulemd.Stream{MDVersionNumber: 2, Name: "app", Stream: "main",
		Dependencies: []modulemd.Dependency{{BuildRequires: map[string][]string{"platform": {"f28"}, "nodejs": {"12"}}}}}
	_, err := resolver.Expand(context.Background(), src, app, nil)
	var nf *resolver.NotFoundError
	fmt.Println(errors.As(err, &nf), err)
	// Output:
	// true cannot find any module builds for nodejs:12
}

func ExampleContext() {
	build := resolver.BuildContext(map[string]string{"platform": "f28"})
	runtime := resolver.RuntimeContext(map[string][]string{"platform": {"f28"}})
	fmt.Println(resolver.Context(build, runtime))
	// Output: 9c690d0e
}

func ExampleBatches() {
	s := &modulemd.Stream{Components: modulemd.Components{RPMs: map[string]*modulemd.RPMComponent{
		"core": {}, "cli": {BuildAfter: []string{"core"}}, "gui": {BuildAfter: []string{"core"}},
	}}}
	batches, err := resolver.Batches(s)
	fmt.Println(batches, err)
	// Output: [[core] [cli gui]] <nil>
}

func ExampleNewGraph() {
	idx, _ := exampleSource()
	g := resolver.NewGraph(idx.Streams())
	fmt.Println(g.RequiredBy("platform:f28", resolver.AnyTime))
	// Output: [nodejs:10]
}

func ExampleChoose() {
	idx, _ := exampleSource()
	c, err := resolver.Choose(idx, nil, &resolver.ChooseOptions{Platform: "platform:f28"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Streams)
	fmt.Println(c.Filter([]string{"nodejs-1:10.0-1.x86_64", "nodejs-1:8.0-1.x86_64", "bash-0:5.0-1.x86_64"}))
	// Output:
	// map[nodejs:10]
	// [nodejs-1:10.0-1.x86_64 bash-0:5.0-1.x86_64] [nodejs-1:8.0-1.x86_64]
}

func ExampleCheck() {
	dir, _ := os.MkdirTemp("", "resolver-example")
	defer os.RemoveAll(dir)
	os.WriteFile(dir+"/modules.yaml", []byte(exampleIndex), 0o644)
	os.WriteFile(dir+"/app.yaml", []byte(`document: modulemd-packager
version: 3
data:
  name: app
  stream: main
  summary: App
  description: An application.
  license: [MIT]
  configurations:
  - context: f28only
    platform: f28
    buildrequires: {nodejs: ["10"]}
  components:
    rpms:
      app: {rationale: The app.}
`), 0o644)
	plan, err := resolver.Check(context.Background(), dir+"/app.yaml", []string{dir}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range plan.Builds {
		fmt.Println(b.NSVC, b.Batches)
	}
	// Output: app:main:0:f28only [[app]]
}

func ExampleStreamVersion() {
	v, _ := resolver.StreamVersion("el8.3.0", true)
	fmt.Println(v, resolver.PrefixVersion("el8.3.0", 20201001000000))
	// Output: 80300 8030020201001000000
}

func ExampleStreamVersionSuffixed() {
	suffixes := []resolver.StreamSuffix{{Pattern: regexp.MustCompile(`el\d+\.\d+\.\d+\.z`), Fraction: 0.1}}
	z, _ := resolver.StreamVersionSuffixed("el8.3.0.z", true, suffixes)
	plain, _ := resolver.StreamVersionSuffixed("el8.3.0", true, suffixes)
	fmt.Println(z, plain, z > plain)
	// Output: 80300.1 80300 true
}

func ExampleBranchStream() {
	regexes := []*regexp.Regexp{regexp.MustCompile(`^(?:rh)(el)-(\d+\.\d+\.\d+)(?:-z)?$`)}
	fmt.Println(resolver.BranchStream("rhel-8.0.0", regexes))
	fmt.Println(resolver.BranchStream("rhel-8.0.0-z", regexes))
	fmt.Printf("%q\n", resolver.BranchStream("main", regexes))
	// Output:
	// el8.0.0
	// el8.0.0
	// ""
}

// A module whose stream requires another module that has no default stream:
// dnf pulls the other module in and `module enable` enables both.
const clientExampleYAML = `---
document: modulemd
version: 2
data:
  name: app
  stream: "1"
  version: 1
  context: c1
  arch: x86_64
  summary: app
  description: app
  license: {module: [MIT]}
  dependencies:
  - requires: {platform: [f39], runtime: []}
  profiles:
    default: {rpms: [app]}
  artifacts: {rpms: [app-0:1.0-1.x86_64]}
...
---
document: modulemd
version: 2
data:
  name: runtime
  stream: "2"
  version: 1
  context: c1
  arch: x86_64
  summary: runtime
  description: runtime
  license: {module: [MIT]}
  artifacts: {rpms: [runtime-0:2.0-1.x86_64]}
...
---
document: modulemd-defaults
version: 1
data:
  module: app
  stream: "1"
  profiles: {"1": [default]}
...
`

func ExampleClient_Install() {
	idx, err := modulemd.ReadIndex(strings.NewReader(clientExampleYAML), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	c := &resolver.Client{
		Index:    idx,
		Packages: []string{"app-0:1.0-1.x86_64", "app-0:0.9-1.x86_64", "runtime-0:2.0-1.x86_64"},
		State:    &resolver.State{},
		Options:  &resolver.ChooseOptions{Platform: "platform:f39", Arch: "x86_64"},
	}
	r, err := c.Install("app")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("enabled:", r.Enabled)
	fmt.Println("profiles:", r.State.Profiles("app"))
	fmt.Println("install:", r.Install)
	fmt.Println("why active:", r.Choice.Enabled, r.Choice.PulledIn)
	fmt.Print(string(resolver.FormatModuleFile("app", r.State.Modules["app"])))
	// Output:
	// enabled: [app:1 runtime:2]
	// profiles: [default]
	// install: [app-0:1.0-1.x86_64]
	// why active: map[app:1 runtime:2] map[]
	// [app]
	// name=app
	// stream=1
	// profiles=default
	// state=enabled
}
