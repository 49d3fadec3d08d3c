package orchestrator_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
	"github.com/modkit/modkit/resolver"
)

// Example builds a two-component module with the zero-time builder and
// prints the build's states and batches.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "orchestrator-example")
	defer os.RemoveAll(dir)
	st, err := sqlstore.Open(ctx, filepath.Join(dir, "modkit.db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	b, _ := zerobuilder.New(nil)
	svc, err := orchestrator.NewService(&orchestrator.Options{
		Store: st, Builder: b, SCM: newMemSCM(), AllowComponentRepository: true,
		Source: orchestrator.Sources(orchestrator.NewDBSource(st), resolver.NewSource([]*modulemd.Stream{platform()})),
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { svc.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()

	builds, err := svc.Submit(ctx, &orchestrator.SubmitRequest{Modulemd: []byte(moduleYAML("hello", 2, 2)), Owner: "me"})
	if err != nil {
		fmt.Println(err)
		return
	}
	final, err := svc.Wait(ctx, builds[0].ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(final[0].State, strings.HasPrefix(final[0].DistTag, ".module+f40+"))
	comps, _, _ := svc.Components(ctx, &orchestrator.ComponentBuildFilter{ModuleID: final[0].ID, OrderBy: []orchestrator.Order{{Field: "batch"}, {Field: "package"}}})
	for _, c := range comps {
		fmt.Println(c.Batch, c.Package, c.State)
	}
	// Output:
	// ready true
	// 1 module-build-macros COMPLETE
	// 2 pkg000 COMPLETE
	// 3 pkg001 COMPLETE
}

// ExampleMacros shows the macros module-build-macros installs.
func ExampleMacros() {
	mb := &orchestrator.ModuleBuild{Name: "hello", Stream: "1", Version: "4020240601120000", Context: "8a1111b2"}
	mb.DistTag = orchestrator.DistTag("", "f40", 7, mb.Name, mb.Stream, mb.Version, mb.Context)
	s := &modulemd.Stream{BuildOpts: &modulemd.BuildOpts{RPMs: &modulemd.RPMBuildOpts{Macros: "%_with_docs 1\n"}}}
	fmt.Print(orchestrator.Macros(mb, s))
	// Output:
	// # RPM macros for building the components of module hello:1:4020240601120000:8a1111b2
	//
	// %dist .module+f40+7+2b9697e5
	// %modularitylabel hello:1:4020240601120000:8a1111b2
	// %_module_build 1
	// %_module_name hello
	// %_module_stream 1
	// %_module_version 4020240601120000
	// %_module_context 8a1111b2
	//
	// # Macros from buildopts.rpms.macros
	// %_with_docs 1
}
