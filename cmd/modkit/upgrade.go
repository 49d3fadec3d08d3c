package main

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/modkit/modkit/modulemd"
)

func init() {
	register("upgrade", "upgrade module streams to a newer metadata version", runUpgrade)
}

const upgradeAbout = `
Upgrade rewrites every module stream of FILE ("-" for standard input) to
metadata version --to (modulemd v1 to v2: the single dependencies mapping
becomes one dependencies entry), keeps every other document as it is, and
prints the result in canonical style, in file order. With -w the result
replaces FILE atomically.

A file with a problem is never written: the problems are printed and the exit
status is 1; so is a downgrade. The file is read as leniently as validate
reads it: a key the format does not define is skipped with a warning and is
not in the output; -w does not rewrite such a file (the key would be lost)
unless --drop-unknown drops unknown keys without a warning. --strict makes
them errors.`

func runUpgrade(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newCmdFlags("upgrade", "upgrade [--to VERSION] [-w] [--strict | --drop-unknown] FILE", upgradeAbout, stdout)
	to := fs.Uint64("to", 2, "target stream metadata `version`")
	write := fs.Bool("w", false, "write the result back to FILE instead of standard output")
	drop := fs.Bool("drop-unknown", false, "drop keys the format does not define without a warning, also with -w")
	strict := fs.Bool("strict", false, "treat keys the format does not define as errors")
	files, err := fs.parse(args)
	if err != nil {
		return err
	}
	switch {
	case len(files) != 1:
		return fs.usageError("want exactly one FILE, got %d", len(files))
	case *to < 1 || *to > 2:
		return fs.usageError("--to %d: stream metadata versions are 1 and 2", *to)
	case *write && files[0] == "-":
		return fs.usageError("-w cannot rewrite standard input")
	case *strict && *drop:
		return fs.usageError("--strict and --drop-unknown exclude each other")
	}
	arg := files[0]
	name := displayName(arg)
	data, err := readInput(ctx, arg, stdin)
	if err != nil {
		return failIO(err)
	}
	docs, err := decodeAll(ctx, data, name, *strict)
	if reportLoad(stderr, name, err) {
		return &exitError{Code: 1}
	}
	if unknown := unknownKeys(name, docs); len(unknown) > 0 && !*drop {
		printProblems(stderr, unknown)
		if *write {
			return &exitError{Code: 1, Msg: fmt.Sprintf("upgrade: %s: not rewritten: %s would be lost; correct the file, or give --drop-unknown to drop them",
				name, plural(len(unknown), "unknown key"))}
		}
		fmt.Fprintf(stderr, "modkit: upgrade: %s: %s not in the output (--strict refuses the file, --drop-unknown drops them without a warning)\n",
			name, plural(len(unknown), "unknown key is", "unknown keys are"))
	}
	if len(docs) == 0 {
		return &exitError{Code: 1, Msg: name + ": no modulemd documents found"}
	}
	var buf bytes.Buffer
	enc := modulemd.NewEncoder(&buf)
	failed := false
	for _, doc := range docs {
		if s, ok := doc.(*modulemd.Stream); ok {
			up, err := modulemd.UpgradeStream(s, *to)
			if err != nil {
				printProblems(stderr, problems(name, addError(doc, err)))
				failed = true
				continue
			}
			doc = up
		}
		if err := enc.Encode(doc); err != nil {
			printProblems(stderr, problems(name, addError(doc, err)))
			failed = true
		}
	}
	if failed {
		return &exitError{Code: 1}
	}
	if !*write {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	if bytes.Equal(buf.Bytes(), data) {
		return nil
	}
	if isCompressed(data) {
		return failIO(fmt.Errorf("%s: compressed file cannot be rewritten in place; run 'modkit upgrade %s > NEW.yaml' and compress the result", name, arg))
	}
	if err := writeFileAtomic(arg, buf.Bytes()); err != nil {
		return failIO(err)
	}
	return nil
}
