package odcs_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/modkit/modkit/pungi/odcs"
)

// A container rebuild asks for a compose of exactly the builds of an
// update, waits for it and hands the .repo URL to the image build.
func ExampleClient_Submit() {
	ctx := context.Background()
	c, err := odcs.NewClient("https://odcs.example.org", odcs.WithToken("TOKEN"))
	if err != nil {
		fmt.Println(err)
		return
	}
	req := &odcs.Request{
		Source:        odcs.RequestSource{Type: "build", Builds: []string{"openssl-3.2.1-1.fc40"}, Sigkeys: []string{"a15b79cc"}},
		Arches:        []string{"x86_64", "aarch64"},
		SecondsToLive: 3 * 60 * 60,
	}
	cp, err := c.Submit(ctx, req)
	if err != nil {
		return // no such server here
	}
	done, err := c.Wait(ctx, cp.ID, nil)
	if err != nil {
		return
	}
	fmt.Println(done.ResultRepofile)
}

// DecodeRequest reads a request strictly and reports every problem.
func ExampleDecodeRequest() {
	_, err := odcs.DecodeRequest(strings.NewReader(`{"source": {"type": "module", "source": "nodejs"}, "flags": ["fast"]}`))
	fmt.Println(err)
	// Output: source.source: Module definition must be in "n:s", "n:s:v" or "n:s:v:c" format, but got "nodejs"; flags: Unknown flag fast
}

// RepoFile is the .repo file a compose serves.
func ExampleRepoFile() {
	c := &odcs.Compose{ID: 7, ResultRepo: "https://odcs.example.org/composes/odcs-7/compose/Temporary"}
	fmt.Print(strings.SplitAfterN(odcs.RepoFile(c), "\n", 4)[:3])
	// Output: [[odcs-7]
	//  name=ODCS repository for compose odcs-7
	//  baseurl=https://odcs.example.org/composes/odcs-7/compose/Temporary/$basearch/os
	// ]
}

// ResolveModules expands module specs to full NSVCs.
func ExampleResolveModules() {
	r := fakeResolver{
		{Name: "app", Stream: "1", Version: 1, Context: "a", Requires: map[string][]string{"platform": {"f40"}, "lib": {"2"}}},
		{Name: "app", Stream: "1", Version: 2, Context: "a", Requires: map[string][]string{"platform": {"f40"}, "lib": {"2"}}},
		{Name: "lib", Stream: "2", Version: 5, Context: "b"},
	}
	mods, err := odcs.ResolveModules(context.Background(), r, []string{"app:1"}, false, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range mods {
		fmt.Println(m.NSVC())
	}
	// Output:
	// app:1:2:a
	// lib:2:5:b
}

type fakeResolver []*odcs.ModuleBuild

func (f fakeResolver) FindModules(_ context.Context, name, stream, version, context string, _ bool) ([]*odcs.ModuleBuild, error) {
	var out []*odcs.ModuleBuild
	for _, b := range f {
		if b.Name == name && (stream == "" || b.Stream == stream) && (version == "" || fmt.Sprint(b.Version) == version) && (context == "" || b.Context == context) {
			out = append(out, b)
		}
	}
	return out, nil
}
