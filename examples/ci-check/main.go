// Command ci-check shows how another Go tool embeds modkit's CI check: it
// validates a module definition, expands it against repositories the way
// the Module Build Service would, and prints a build plan or the explained
// failure, as a CI job would.
//
// Usage:
//
//	go run ./examples/ci-check MODULE.yaml REPO_OR_MODULES_YAML...
//	go run ./examples/ci-check    # the bundled example in testdata/
//
// The exit status is 0 when the module can be built, 1 when it cannot (the
// explanation names each combination of streams tried), 2 on usage errors.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/modkit/modkit/resolver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := check(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func check(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{filepath.Join("examples", "ci-check", "testdata", "module.yaml"), filepath.Join("examples", "ci-check", "testdata", "repo")}
		if _, err := os.Stat(args[0]); err != nil {
			args = []string{filepath.Join("testdata", "module.yaml"), filepath.Join("testdata", "repo")}
		}
	}
	if len(args) < 2 {
		fmt.Fprintln(stderr, "usage: ci-check MODULE.yaml REPO_OR_MODULES_YAML...")
		return 2
	}
	plan, err := resolver.Check(ctx, args[0], args[1:], nil)
	var conflict *resolver.ConflictError
	switch {
	case errors.As(err, &conflict):
		// A tool can render the explanation its own way.
		fmt.Fprintf(stdout, "FAIL %s cannot be built:\n", conflict.Module)
		for _, b := range conflict.Blocks {
			for _, a := range b.Attempts {
				for _, c := range a.Conflicts {
					fmt.Fprintf(stdout, "  block %d: %s\n", b.Block, c)
				}
			}
			for _, m := range b.Missing {
				fmt.Fprintf(stdout, "  block %d: %s\n", b.Block, m)
			}
		}
		return 1
	case err != nil:
		fmt.Fprintf(stdout, "FAIL %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "OK %s: %d build(s)\n", plan.Module, len(plan.Builds))
	for _, b := range plan.Builds {
		fmt.Fprintf(stdout, "  %s (%d batches, %d buildrequires)\n", b.NSVC, len(b.Batches), len(b.BuildRequires))
	}
	return 0
}
