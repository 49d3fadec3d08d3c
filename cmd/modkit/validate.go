package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/modkit/modkit/modulemd"
)

func init() {
	register("validate", "check module metadata files and report every problem", runValidate)
}

const validateAbout = `
Validate reads each FILE ("-" for standard input; gzip, xz, bzip2 and zstd are
detected) and reports every problem of every document as
"file:line:col: path: message" on standard error, then lint warnings, which
never change the exit status. Lint warnings are things that are valid but
probably mistakes; by default the first 3 of each rule are printed, followed
by a count per rule. --lint=all prints every one, --lint=none none.

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
	// WarningCounts counts every warning by rule, also those --lint left
	// out of Warnings.
	WarningCounts map[string]int `json:"warning_counts"`
	// IOError is set when the file could not be read at all.
	IOError string `json:"io_error,omitempty"`
}

// validateReport is the whole --json output.
type validateReport struct {
	Valid  bool         `json:"valid"`
	Mode   string       `json:"mode"` // "repository" or "source"
	Strict bool         `json:"strict"`
	Lint   string       `json:"lint"` // "summary", "all" or "none"
	Files  []fileReport `json:"files"`
}

// lintShown is how many warnings of each rule --lint=summary prints.
const lintShown = 3

// selectWarnings keeps the warnings mode shows: all, none, or the first
// lintShown of each rule ("summary"). It returns them with the count of every
// rule in ws.
func selectWarnings(ws []problem, mode string) ([]problem, map[string]int) {
	counts := map[string]int{}
	kept := []problem{}
	for _, w := range ws {
		counts[w.Code]++
		if mode == "all" || (mode == "summary" && counts[w.Code] <= lintShown) {
			kept = append(kept, w)
		}
	}
	return kept, counts
}

// lintSummary is the per-rule count line --lint=summary prints after a
// file's warnings: "FILE: 7 warnings: rule-a 5, rule-b 2 (...)", rules in
// the order they first appear. It is empty when there are fewer than two
// warnings: one is its own count.
func lintSummary(file string, ws []problem, shown int, counts map[string]int) string {
	total := 0
	for _, n := range counts {
		total += n
	}
	if total < 2 {
		return ""
	}
	var order []string
	seen := map[string]bool{}
	for _, w := range ws {
		if !seen[w.Code] {
			seen[w.Code] = true
			order = append(order, w.Code)
		}
	}
	parts := make([]string, len(order))
	for i, c := range order {
		parts[i] = fmt.Sprintf("%s %d", c, counts[c])
	}
	line := fmt.Sprintf("%s: %d lint warnings: %s", file, total, strings.Join(parts, ", "))
	if shown < total {
		line += fmt.Sprintf(" (the first %d of each shown; --lint=all shows every one, --lint=none none)", lintShown)
	}
	return line
}

func runValidate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newCmdFlags("validate", "validate [--strict] [--source] [--json] FILE...", validateAbout, stdout)
	strict := fs.Bool("strict", false, "treat keys the format does not define as errors")
	source := fs.Bool("source", false, "judge files as module sources (dist-git) rather than repository metadata")
	asJSON := fs.Bool("json", false, "print one JSON object with per-file verdicts, errors and warnings to standard output")
	lint := fs.String("lint", "summary", "`MODE` of lint output: summary (the first 3 warnings of each rule and a count per rule), all, or none")
	files, err := fs.parse(args)
	if err != nil {
		return err
	}
	switch *lint {
	case "summary", "all", "none":
	default:
		return fs.usageError("--lint %q: want summary, all or none", *lint)
	}
	if len(files) == 0 {
		return fs.usageError("no FILE given")
	}
	if n := countStdin(files); n > 1 {
		return fs.usageError("standard input (-) given %d times", n)
	}

	rep := validateReport{Valid: true, Mode: "repository", Strict: *strict, Lint: *lint}
	if *source {
		rep.Mode = "source"
	}
	ioFailed := false
	for _, arg := range files {
		fr := validateFile(ctx, arg, stdin, *strict, *source)
		if err := ctx.Err(); err != nil {
			return err
		}
		all := fr.Warnings
		fr.Warnings, fr.WarningCounts = selectWarnings(all, *lint)
		shown := len(fr.Warnings)
		if fr.IOError != "" {
			ioFailed = true
			if !*asJSON {
				fmt.Fprintln(stderr, "modkit:", fr.IOError)
			}
		} else if !*asJSON {
			printProblems(stderr, fr.Errors)
			printProblems(stderr, fr.Warnings)
			if line := lintSummary(fr.File, all, shown, fr.WarningCounts); line != "" && *lint == "summary" {
				fmt.Fprintln(stderr, line)
			}
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
			if s, ok := doc.(*modulemd.Stream); ok && s.MDVersionNumber == 1 {
				// The index upgrades v1 streams, so its lint would not
				// say that the file holds a deprecated format.
				for _, w := range modulemd.Lint(doc) {
					if w.Code == modulemd.LintDeprecatedV1 {
						fr.Warnings = append(fr.Warnings, warnings(name, []modulemd.Warning{w})...)
					}
				}
			}
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
