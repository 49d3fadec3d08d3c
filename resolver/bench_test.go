package resolver

import (
	"context"
	"fmt"
	"testing"

	"github.com/modkit/modkit/modulemd"
)

// bigIndex generates 100 modules × 100 streams (10,000 builds) built against
// platform:f30. Stream s of module m requires module m+1 at stream s (a chain
// of requires 100 modules deep), and every build has one default.
func bigIndex() (*modulemd.Index, []*modulemd.Stream) {
	idx := modulemd.NewIndex(nil)
	plat := platform("f30", 1)
	streams := []*modulemd.Stream{plat}
	for m := 0; m < 100; m++ {
		for s := 0; s < 100; s++ {
			req := "req:platform=f30"
			if m < 99 {
				req += fmt.Sprintf(";req:mod%03d=s%02d", m+1, s)
			}
			b := against(st(fmt.Sprintf("mod%03d:s%02d:1:c0ffee%02d", m, s, s%100), "br:platform=f30;"+req), plat)
			b.Artifacts.RPMs = []string{fmt.Sprintf("pkg%03d-0:%d-1.noarch", m, s)}
			streams = append(streams, b)
		}
		idx.AddDefaults(&modulemd.Defaults{MDVersionNumber: 1, Module: fmt.Sprintf("mod%03d", m), Stream: "s00"})
	}
	for _, s := range streams {
		if err := idx.AddStream(s); err != nil {
			panic(err)
		}
	}
	return idx, streams
}

// BenchmarkExpand expands a module with 5 buildrequires × 5 streams against
// the 10,000-stream index. Each chosen build pulls a chain of runtime
// requires down to mod099, and mod090:sNN requires mod091:sNN, so only the 5
// "diagonal" combinations of the 3125 are satisfiable; each result carries
// 11 transitive buildrequires.
func BenchmarkExpand(b *testing.B) {
	_, streams := bigIndex()
	src := NewSource(streams)
	spec := "br:platform=f30"
	for m := 90; m < 95; m++ {
		spec += fmt.Sprintf(";br:mod%03d=s00,s01,s02,s03,s04", m)
	}
	mmd := st("bench:main:20240101000000", spec)
	exps, err := Expand(context.Background(), src, mmd, nil)
	if err != nil {
		b.Fatal(err)
	}
	if len(exps) != 5 {
		b.Fatalf("%d expansions, want 5", len(exps))
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Expand(context.Background(), src, mmd, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRequiredBy is one reverse-dependency query on the graph of the
// 10,000-stream index.
func BenchmarkRequiredBy(b *testing.B) {
	_, streams := bigIndex()
	g := NewGraph(streams)
	if got := g.RequiredBy("mod050:s07", RunTime); len(got) != 1 {
		b.Fatalf("RequiredBy = %v", got)
	}
	b.ResetTimer()
	for b.Loop() {
		g.RequiredBy("mod050:s07", AnyTime)
	}
}

// BenchmarkChoose is dnf-like stream choice for the whole index (defaults
// for every module, one module enabled on another stream) plus the filter of
// one package.
func BenchmarkChoose(b *testing.B) {
	idx, _ := bigIndex()
	state := enabledState("mod000", "s05")
	opts := &ChooseOptions{Platform: "platform:f30"}
	c, err := Choose(idx, state, opts)
	if err != nil {
		b.Fatal(err)
	}
	// mod000:s05 requires mod001:s05 and so on down the chain, against the
	// defaults (s00): libdnf reports the defaults' problem and drops them.
	if len(c.Streams) != 100 || c.Result != SolveErrorInDefaults || c.Streams["mod099"] != "s05" {
		b.Fatalf("streams %d result %v problems %v", len(c.Streams), c.Result, c.Problems)
	}
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		c, _ := Choose(idx, state, opts)
		c.Hidden("pkg050-0:7-1.noarch")
	}
	reportCPU(b, cpu)
}

// clientIndex is a repository of the size of a distribution's modular
// repository: 50 modules × 10 streams × 2 versions × 2 contexts (2,000
// builds), each stream requiring the next module (any stream), defaults
// with default profiles for every module, and one package per build plus a
// non-modular package of every name.
func clientIndex() (*modulemd.Index, []string) {
	idx := modulemd.NewIndex(nil)
	var pkgs []string
	for m := 0; m < 50; m++ {
		name := fmt.Sprintf("mod%02d", m)
		for s := 0; s < 10; s++ {
			for v := 1; v <= 2; v++ {
				for c := 0; c < 2; c++ {
					req := "req:platform=f39"
					if m < 49 && c == 1 {
						req += fmt.Sprintf(";req:mod%02d=", m+1)
					}
					b := st(fmt.Sprintf("%s:s%d:%d:c%d", name, s, v, c), req)
					nevra := fmt.Sprintf("p%02d-0:%d.%d-%d.noarch", m, s, v, c)
					b.Artifacts.RPMs = []string{nevra}
					b.Profiles = map[string]modulemd.Profile{"default": {RPMs: []string{fmt.Sprintf("p%02d", m)}}}
					pkgs = append(pkgs, nevra)
					if err := idx.AddStream(b); err != nil {
						panic(err)
					}
				}
			}
		}
		pkgs = append(pkgs, fmt.Sprintf("p%02d-0:0.1-1.noarch", m))
		idx.AddDefaults(&modulemd.Defaults{MDVersionNumber: 1, Module: name, Stream: "s0",
			Profiles: map[string][]string{"s0": {"default"}}})
	}
	return idx, pkgs
}

// BenchmarkClientEnable is `dnf module enable` of another stream on the
// 2,000-build repository: three module solves and the dependency walk.
func BenchmarkClientEnable(b *testing.B) {
	idx, pkgs := clientIndex()
	c := &Client{Index: idx, Packages: pkgs, State: &State{}, Options: &ChooseOptions{Platform: "platform:f39", Arch: "x86_64"}}
	if r, err := c.Enable("mod10:s3"); err != nil || r.State.Enabled("mod10") != "s3" {
		b.Fatalf("enable: %v %+v", err, r)
	}
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		c.Enable("mod10:s3")
	}
	reportCPU(b, cpu)
}

// BenchmarkClientInstall is `dnf module install` with the default profile:
// enable, solve, profile and package choice.
func BenchmarkClientInstall(b *testing.B) {
	idx, pkgs := clientIndex()
	c := &Client{Index: idx, Packages: pkgs, State: &State{}, Options: &ChooseOptions{Platform: "platform:f39", Arch: "x86_64"}}
	r, err := c.Install("mod20:s5/default")
	if err != nil || len(r.Install) != 1 || r.Install[0] != "p20-0:5.2-0.noarch" {
		b.Fatalf("install: %v %+v", err, r)
	}
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		c.Install("mod20:s5/default")
	}
	reportCPU(b, cpu)
}

// BenchmarkClientInstallPackage is `dnf install NAME`: which build of the
// name the modular filter leaves.
func BenchmarkClientInstallPackage(b *testing.B) {
	idx, pkgs := clientIndex()
	c := &Client{Index: idx, Packages: pkgs, State: &State{}, Options: &ChooseOptions{Platform: "platform:f39", Arch: "x86_64"}}
	r, err := c.InstallPackage("p30")
	if err != nil || len(r.Install) != 1 {
		b.Fatalf("install: %v %+v", err, r)
	}
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		c.InstallPackage("p30")
	}
	reportCPU(b, cpu)
}

// BenchmarkClientEnableCold is one `dnf module enable` on a new Client each
// time, as a command-line run meets it: the pool of the 2,000 builds is
// built and the states solved from scratch.
func BenchmarkClientEnableCold(b *testing.B) {
	idx, pkgs := clientIndex()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		c := &Client{Index: idx, Packages: pkgs, State: &State{}, Options: &ChooseOptions{Platform: "platform:f39", Arch: "x86_64"}}
		if _, err := c.Enable("mod10:s3"); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}
