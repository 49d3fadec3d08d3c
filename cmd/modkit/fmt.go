package main

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/modkit/modkit/modulemd"
)

func init() {
	register("fmt", "re-emit module metadata in canonical libmodulemd style", runFmt)
}

const fmtAbout = `
Fmt decodes every document of each FILE ("-" for standard input) and writes it
again in the style libmodulemd 2.15 uses (key order, sorted sets, quoting),
keeping the documents in file order. The result goes to standard output, or
back into FILE with -w (atomically: a temporary file renamed over it).

A file with a problem is never rewritten: the problems are printed and the
exit status is 1. Files are read as leniently as validate reads them (and
libmodulemd): a key the format does not define is skipped with a warning,
and is not in the output. -w does not rewrite such a file, since the key
would be lost: correct it, or give --drop-unknown to drop unknown keys
without a warning. --strict makes them errors. Comments are not kept
(libmodulemd does not keep them either). Compressed files can be printed but
not rewritten in place.

With -l or --check, fmt prints the names of files whose formatting differs
instead; --check also exits with status 1 if there are any.`

func runFmt(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newCmdFlags("fmt", "fmt [-w | -l | --check] [--strict | --drop-unknown] FILE...", fmtAbout, stdout)
	write := fs.Bool("w", false, "write the result back to FILE instead of standard output")
	list := fs.Bool("l", false, "list the files whose formatting differs from fmt's")
	check := fs.Bool("check", false, "like -l, and exit with status 1 if any file would change")
	drop := fs.Bool("drop-unknown", false, "drop keys the format does not define without a warning, also with -w")
	strict := fs.Bool("strict", false, "treat keys the format does not define as errors")
	files, err := fs.parse(args)
	if err != nil {
		return err
	}
	switch {
	case len(files) == 0:
		return fs.usageError("no FILE given")
	case *write && (*list || *check):
		return fs.usageError("-w cannot be combined with -l or --check")
	case countStdin(files) > 1:
		return fs.usageError("standard input (-) given more than once")
	case *write && countStdin(files) > 0:
		return fs.usageError("-w cannot rewrite standard input")
	case *strict && *drop:
		return fs.usageError("--strict and --drop-unknown exclude each other")
	}
	listOnly := *list || *check

	status := 0
	for _, arg := range files {
		name := displayName(arg)
		data, err := readInput(ctx, arg, stdin)
		if err != nil {
			fmt.Fprintln(stderr, "modkit: fmt:", err)
			status = max(status, 2)
			continue
		}
		out, unknown, err := format(ctx, data, name, *strict)
		if err != nil {
			reportLoad(stderr, name, err)
			status = max(status, 1)
			continue
		}
		if len(unknown) > 0 && !*drop {
			printProblems(stderr, unknown)
			if *write {
				fmt.Fprintf(stderr, "modkit: fmt: %s: not rewritten: %s would be lost; correct the file, or give --drop-unknown to drop them\n",
					name, plural(len(unknown), "unknown key"))
				status = max(status, 1)
				continue
			}
			fmt.Fprintf(stderr, "modkit: fmt: %s: %s not in the output (--strict refuses the file, --drop-unknown drops them without a warning)\n",
				name, plural(len(unknown), "unknown key is", "unknown keys are"))
		}
		switch {
		case listOnly:
			if !bytes.Equal(data, out) {
				fmt.Fprintln(stdout, name)
				if *check {
					status = max(status, 1)
				}
			}
		case *write:
			if bytes.Equal(data, out) {
				continue
			}
			if isCompressed(data) {
				fmt.Fprintf(stderr, "modkit: fmt: %s: compressed file cannot be rewritten in place; run 'modkit fmt %s > NEW.yaml' and compress the result\n", name, arg)
				status = max(status, 2)
				continue
			}
			if err := writeFileAtomic(arg, out); err != nil {
				fmt.Fprintln(stderr, "modkit: fmt:", err)
				status = max(status, 2)
			}
		default:
			if _, err := stdout.Write(out); err != nil {
				return err
			}
		}
	}
	if status != 0 {
		return &exitError{Code: status}
	}
	return nil
}

// format decodes data and encodes every document again in file order. Any
// decode problem is an error: formatting must never drop a document. A file
// without documents formats to nothing. unknown holds the keys a lenient
// decoder skipped, which are not in the output.
func format(ctx context.Context, data []byte, name string, strict bool) (out []byte, unknown []problem, err error) {
	docs, err := decodeAll(ctx, data, name, strict)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	enc := modulemd.NewEncoder(&buf)
	for _, doc := range docs {
		if err := enc.Encode(doc); err != nil {
			return nil, nil, err
		}
	}
	return buf.Bytes(), unknownKeys(name, docs), nil
}
