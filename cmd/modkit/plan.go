package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/modkit/modkit/resolver"
)

func init() {
	register("plan", "component build order: print the batches of a module (--dot for Graphviz)", runPlan)
}

func runPlan(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("plan", "plan MODULE.yaml [--dot | --json]", `
Prints the component batches of MODULE.yaml (from buildorder or buildafter),
one line per batch. --dot writes a Graphviz picture of the batches, the
buildafter dependencies and the module's buildrequires instead.`, stdout)
	dot := fs.Bool("dot", false, "write Graphviz DOT")
	jsonOut := fs.Bool("json", false, "print the batches as JSON")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fs.usageError("want exactly one MODULE.yaml, got %d", len(pos))
	}
	data, err := readInput(ctx, pos[0], stdin)
	if err != nil {
		return err
	}
	docs, err := decodeAll(ctx, data, displayName(pos[0]), false)
	if err != nil {
		return &exitError{Code: 1, Msg: err.Error()}
	}
	streams, err := resolver.ModuleDocument(docs)
	if err != nil {
		return &exitError{Code: 1, Msg: displayName(pos[0]) + ": " + err.Error()}
	}
	s := streams[0]
	if *dot {
		if err := resolver.WriteDOT(stdout, s); err != nil {
			return &exitError{Code: 1, Msg: err.Error()}
		}
		return nil
	}
	batches, err := resolver.Batches(s)
	if err != nil {
		return &exitError{Code: 1, Msg: err.Error()}
	}
	if *jsonOut {
		if batches == nil {
			batches = [][]string{}
		}
		return writeJSON(stdout, batches)
	}
	for i, b := range batches {
		if _, err := fmt.Fprintf(stdout, "batch %d: %s\n", i+1, strings.Join(b, " ")); err != nil {
			return err
		}
	}
	return nil
}
