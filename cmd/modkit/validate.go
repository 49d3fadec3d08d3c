package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/modkit/modkit/modulemd"
)

func init() {
	register("validate", "check module metadata files and report every problem", runValidate)
}

const validateAbout = `
Validate reads each FILE ("-" for standard input; gzip, xz, bzip2 and zstd are
detected) and reports every problem of every document as
"file:line:col: path: message" on standard error, then lint warnings, which
never change the exit status.

By default files are judged as repository metadata (modules.yaml): the
documents must load into a module index, as with modulemd-validator, so
modulemd-packager documents are refused and stream NSVCAs must not collide;
unlike modulemd-validator, which invents names for them, streams also need a
name and a stream. With --source a file is judged as a module definition kept
in dist-git: name and stream may be absent (they come from the repository and
branch) and modulemd-packager documents are welcome. An empty file is valid,
with a warning.

Exit status: 0 when every file is valid, 1 when a file is invalid, 2 on usage
or I/O errors.`

// fileReport is the verdict on one file, as --json prints it.
type fileReport struct {
	File      string    `json:"file"`
	Valid     bool      `json:"valid"`
	Documents int       `json:"documents"`
	Errors    []problem `json:"errors"`
	Warnings  []problem `json:"warnings"`
	// IOError is set when the file could not be read at all.
	IOError string `json:"io_error,omitempty"`
}

// validateReport is the whole --json output.
type validateReport struct {
	Valid  bool         `json:"valid"`
	Mode   string       `json:"mode"` // "repository" or "source"
	Strict bool         `json:"strict"`
	Files  []fileReport `json:"files"`
}

func runValidate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newCmdFlags("validate", "validate [--strict] [--source] [--json] FILE...", validateAbout, stdout)
	strict := fs.Bool("strict", false, "treat keys the format does not define as errors")
	source := fs.Bool("source", false, "judge files as module sources (dist-git) rather than repository metadata")
	asJSON := fs.Bool("json", false, "print one JSON object with per-file verdicts, errors and warnings to standard output")
	files, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fs.usageError("no FILE given")
	}
	if n := countStdin(files); n > 1 {
		return fs.usageError("standard input (-) given %d times", n)
	}

	rep := validateReport{Valid: true, Mode: "repository", Strict: *strict}
	if *source {
		rep.Mode = "source"
	}
	ioFailed := false
	for _, arg := range files {
		fr := validateFile(ctx, arg, stdin, *strict, *source)
		if err := ctx.Err(); err != nil {
			return err
		}
		if fr.IOError != "" {
			ioFailed = true
			if !*asJSON {
				fmt.Fprintln(stderr, "modkit:", fr.IOError)
			}
		} else if !*asJSON {
			printProblems(stderr, fr.Errors)
			printProblems(stderr, fr.Warnings)
		}
		rep.Valid = rep.Valid && fr.Valid
		rep.Files = append(rep.Files, fr)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	}
	switch {
	case ioFailed:
		return &exitError{Code: 2}
	case !rep.Valid:
		return &exitError{Code: 1}
	}
	return nil
}

// validateFile reads, decodes, validates and lints one file, reporting the
// problems in document order.
func validateFile(ctx context.Context, arg string, stdin io.Reader, strict, source bool) fileReport {
	name := displayName(arg)
	fr := fileReport{File: name, Errors: []problem{}, Warnings: []problem{}}
	in, err := openInput(ctx, arg, stdin)
	if err != nil {
		fr.IOError = err.Error()
		return fr
	}
	defer in.close()
	// The file is streamed through the decoder, whose workers also validate
	// each document: memory holds the decoded documents, not the file.
	dec := modulemd.NewDecoder(in)
	dec.SetFile(name)
	dec.Strict(strict)
	dec.ValidateWith(&modulemd.ValidateOptions{Source: source})
	// In repository mode every document must also fit into a module index,
	// where stream NSVCAs must not collide.
	var idx *modulemd.Index
	if !source {
		idx = modulemd.NewIndex(nil)
	}
	for {
		if ctx.Err() != nil {
			return fr
		}
		doc, err := dec.Decode()
		if errors.Is(err, io.EOF) {
			break
		}
		if rerr := in.readError(arg); rerr != nil {
			// The file could not be read to its end: an I/O error, as when
			// it cannot be opened, whatever was decoded before.
			return fileReport{File: name, Errors: []problem{}, Warnings: []problem{}, IOError: rerr.Error()}
		}
		if doc == nil {
			fr.Errors = append(fr.Errors, problems(name, err)...)
			continue
		}
		fr.Documents++
		if err != nil {
			// Decoded, but invalid (the decoder validated it).
			fr.Errors = append(fr.Errors, problems(name, err)...)
		} else if idx != nil {
			if err := idx.Add(doc); err != nil {
				fr.Errors = append(fr.Errors, problems(name, indexError(idx, doc, err))...)
			} else {
				continue // linted with the whole index below
			}
		}
		fr.Warnings = append(fr.Warnings, warnings(name, modulemd.Lint(doc))...)
	}
	if idx != nil {
		// The index also checks across documents: default streams and
		// profiles that no stream has, translations for missing streams.
		fr.Warnings = append(fr.Warnings, warnings(name, idx.Lint())...)
		slices.SortStableFunc(fr.Warnings, func(a, b problem) int { return cmp.Compare(a.Doc, b.Doc) })
	}
	if fr.Documents == 0 && len(fr.Errors) == 0 {
		// modulemd-validator accepts an empty file, and repositories carry
		// them (an empty defaults file), so this is only a warning.
		fr.Warnings = append(fr.Warnings, problem{File: name, Message: "the file holds no modulemd documents", Code: "empty-file"})
	}
	fr.Valid = len(fr.Errors) == 0
	return fr
}
