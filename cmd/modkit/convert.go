package main

import (
	"context"
	"fmt"
	"io"

	"github.com/modkit/modkit/modulemd"
)

func init() {
	register("convert", "turn modulemd-packager documents into module streams", runConvert)
}

const convertAbout = `
Convert reads the modulemd-packager documents (version 2 or 3) of FILE ("-" for
standard input) and prints them as repository metadata: a packager v3 document
becomes one module stream per build configuration (its context is the
configuration's), plus a modulemd-defaults document when a profile is marked
default; a packager v2 document becomes one stream. With --single a v3
document becomes one stream with one dependencies entry per configuration
instead. Other documents in FILE are copied unchanged.

A packager document usually leaves out its name and stream, which come from
the dist-git repository and branch: give them with --name and --stream (they
override what the document says).`

func runConvert(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newCmdFlags("convert", "convert [--name NAME] [--stream STREAM] [--single] [--strict] FILE", convertAbout, stdout)
	modName := fs.String("name", "", "module `name` to use (the dist-git repository name)")
	modStream := fs.String("stream", "", "module `stream` to use (the dist-git branch)")
	single := fs.Bool("single", false, "make one stream with a dependencies entry per configuration")
	strict := fs.Bool("strict", false, "treat keys the format does not define as errors (packager v3 always is strict)")
	files, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return fs.usageError("want exactly one FILE, got %d", len(files))
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
	// The converted documents cannot carry keys the lenient reader skipped.
	printProblems(stderr, unknownKeys(name, docs))

	out := modulemd.NewIndex(nil)
	var errs []problem
	converted := 0
	for _, doc := range docs {
		p, ok := doc.(*modulemd.Packager)
		if !ok {
			if err := out.Add(doc); err != nil {
				errs = append(errs, problems(name, addError(doc, err))...)
			}
			continue
		}
		converted++
		if *modName != "" {
			p.Name = *modName
		}
		if *modStream != "" {
			p.Stream = *modStream
		}
		if err := modulemd.Validate(p); err != nil {
			errs = append(errs, problems(name, err)...)
			continue
		}
		if missing := missingNames(p); missing != "" {
			src := p.Source()
			errs = append(errs, problem{File: name, Doc: src.Doc, Line: src.Line, Column: src.Col, Path: "data",
				Message: fmt.Sprintf("the packager document has no %s; give it with %s", missing, missingFlags(p)),
				Kind:    "missing-field"})
			continue
		}
		if err := convertPackager(p, *single, out); err != nil {
			errs = append(errs, problems(name, addError(p, err))...)
		}
	}
	if len(errs) > 0 {
		printProblems(stderr, errs)
		return &exitError{Code: 1}
	}
	if converted == 0 {
		return &exitError{Code: 1, Msg: name + ": no modulemd-packager document to convert"}
	}
	return dumpIndex(out, stdout)
}

// missingNames says which of name and stream p lacks, for the message.
func missingNames(p *modulemd.Packager) string {
	switch {
	case p.Name == "" && p.Stream == "":
		return "module name and stream"
	case p.Name == "":
		return "module name"
	case p.Stream == "":
		return "stream name"
	}
	return ""
}

func missingFlags(p *modulemd.Packager) string {
	switch {
	case p.Name == "" && p.Stream == "":
		return "--name (the dist-git repository) and --stream (the branch)"
	case p.Name == "":
		return "--name (the dist-git repository)"
	}
	return "--stream (the dist-git branch)"
}

// convertPackager adds the streams (and defaults) p converts to into out.
func convertPackager(p *modulemd.Packager, single bool, out *modulemd.Index) error {
	if single {
		s, err := p.ToStream()
		if err != nil {
			return err
		}
		return out.AddStream(s)
	}
	idx, err := p.ToIndex()
	if err != nil {
		return err
	}
	for _, m := range idx.Modules() {
		if d := m.Defaults(); d != nil {
			if err := out.AddDefaults(d); err != nil {
				return err
			}
		}
		for _, s := range m.Streams() {
			if err := out.AddStream(s); err != nil {
				return err
			}
		}
	}
	return nil
}
