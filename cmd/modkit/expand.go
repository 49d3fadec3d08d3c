package main

import (
	"context"
	"fmt"
	"io"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/resolver"
)

func init() {
	register("expand", "module stream expansion: print each expanded NSVC and its contexts", runExpand)
}

func runExpand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var rf resolveFlags
	fs := newFlags("expand", "expand MODULE.yaml --against PATH... [--json | --yaml]", `
Expands MODULE.yaml against the given indexes as the Module Build Service
does and prints one line per resulting build: NSVC, context, build context
and runtime context. --yaml prints the expanded module documents instead
(with xmd.mbs.buildrequires).`, stdout)
	rf.add(fs)
	yamlOut := fs.Bool("yaml", false, "print the expanded modulemd documents")
	path, opts, err := rf.parse(fs, args)
	if err != nil {
		return err
	}
	plan, err := resolver.Check(ctx, path, rf.against, opts)
	if err != nil {
		return resolveFailure(stdout, rf.jsonOut, err)
	}
	switch {
	case *yamlOut:
		docs := make([]modulemd.Document, len(plan.Builds))
		for i, b := range plan.Builds {
			docs[i] = b.Expansion.Stream
		}
		data, err := modulemd.Marshal(docs...)
		if err != nil {
			return err
		}
		_, err = stdout.Write(data)
		return err
	case rf.jsonOut:
		type row struct {
			NSVC, Context, BuildContext, RuntimeContext string
			BuildRequires                               []string
		}
		rows := []row{}
		for _, b := range plan.Builds {
			rows = append(rows, row{b.NSVC, b.Context, b.BuildContext, b.RuntimeContext, b.BuildRequires})
		}
		return writeJSON(stdout, rows)
	}
	for _, b := range plan.Builds {
		if _, err := fmt.Fprintf(stdout, "%s\tcontext=%s\tbuild_context=%s\truntime_context=%s\n", b.NSVC, b.Context, b.BuildContext, b.RuntimeContext); err != nil {
			return err
		}
	}
	return nil
}
