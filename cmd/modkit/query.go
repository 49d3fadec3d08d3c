package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/modkit/modkit/modulemd"
)

func init() {
	register("query", "list module streams matching NSVCA globs", runQuery)
}

const queryAbout = `
Query loads each FILE ("-" for standard input) into one module index and
prints the streams that match, one NAME:STREAM:VERSION:CONTEXT:ARCH per line,
sorted by name, stream, version (newest first), context and arch.

--nsvca matches a shell glob against the whole NSVCA string, as libmodulemd's
search_streams_by_nsvca_glob does ("nodejs:*", "*:*:*:*:x86_64"). --name,
--stream, --version, --context and --arch match one field each; all given
patterns must match. Without any pattern every stream is listed.

Problems in a file are printed on standard error and make the exit status 1;
the streams that did load are still listed.`

// queryResult is one stream as --json prints it.
type queryResult struct {
	NSVCA   string `json:"nsvca"`
	Name    string `json:"name"`
	Stream  string `json:"stream"`
	Version uint64 `json:"version"`
	Context string `json:"context"`
	Arch    string `json:"arch"`
}

func runQuery(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newCmdFlags("query", "query [--nsvca GLOB] [--name GLOB] [--stream GLOB] [--version GLOB] [--context GLOB] [--arch GLOB] [--json] FILE...", queryAbout, stdout)
	nsvca := fs.String("nsvca", "", "shell `glob` matched against N:S:V:C:A")
	var q modulemd.Query
	fs.StringVar(&q.Name, "name", "", "shell `glob` matched against the module name")
	fs.StringVar(&q.Stream, "stream", "", "shell `glob` matched against the stream name")
	fs.StringVar(&q.Version, "version", "", "shell `glob` matched against the version")
	fs.StringVar(&q.Context, "context", "", "shell `glob` matched against the context")
	fs.StringVar(&q.Arch, "arch", "", "shell `glob` matched against the architecture")
	strict := fs.Bool("strict", false, "treat keys the format does not define as errors")
	asJSON := fs.Bool("json", false, "print a JSON array of {nsvca, name, stream, version, context, arch}")
	files, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fs.usageError("no FILE given")
	}
	if countStdin(files) > 1 {
		return fs.usageError("standard input (-) given more than once")
	}
	idx := modulemd.NewIndex(nil)
	failed := false
	for _, arg := range files {
		name := displayName(arg)
		in, err := openInput(ctx, arg, stdin)
		if err != nil {
			return failIO(err)
		}
		// The file is streamed: memory holds the index, not the file.
		var addErrs []error
		err = decodeStream(ctx, in, name, *strict, func(doc modulemd.Document) error {
			if err := idx.Add(doc); err != nil {
				addErrs = append(addErrs, indexError(idx, doc, err))
			}
			return nil
		})
		in.close()
		if rerr := in.readError(arg); rerr != nil {
			return failIO(rerr)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// reportLoad prints decode and index problems in document order.
		if reportLoad(stderr, name, errors.Join(append([]error{err}, addErrs...)...)) {
			failed = true
		}
	}

	found := idx.Search(q)
	if *nsvca != "" {
		keep := make(map[*modulemd.Stream]bool)
		for _, s := range idx.SearchNSVCA(*nsvca) {
			keep[s] = true
		}
		n := 0
		for _, s := range found {
			if keep[s] {
				found[n] = s
				n++
			}
		}
		found = found[:n]
	}

	if *asJSON {
		out := make([]queryResult, 0, len(found))
		for _, s := range found {
			id := s.NSVCA()
			out = append(out, queryResult{NSVCA: id.String(), Name: id.Name, Stream: id.Stream,
				Version: id.Version, Context: id.Context, Arch: id.Arch})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		for _, s := range found {
			if _, err := io.WriteString(stdout, s.NSVCA().String()+"\n"); err != nil {
				return err
			}
		}
	}
	if failed {
		return &exitError{Code: 1}
	}
	return nil
}
