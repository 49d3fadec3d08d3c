// Command modulemd-lint shows how a Go program embeds the modulemd package:
// it loads module metadata files, validates every document, lints it and
// prints each problem as "file:line:col: path: message".
//
// Usage:
//
//	go run ./examples/modulemd-lint FILE...
//
// Files may be compressed (gzip, xz, bzip2, zstd). The exit status is 1 if
// any document is invalid, 2 if a file cannot be read; lint warnings are
// printed but do not change it.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/modkit/modkit/modulemd"
)

func main() {
	os.Exit(lint(os.Args[1:], os.Stdout))
}

// lint checks every file and returns the exit status.
func lint(files []string, w io.Writer) int {
	if len(files) == 0 {
		fmt.Fprintln(w, "usage: modulemd-lint FILE...")
		return 2
	}
	status := 0
	for _, file := range files {
		s, err := lintFile(file, w)
		if err != nil {
			fmt.Fprintln(w, err)
		}
		status = max(status, s)
	}
	return status
}

// lintFile prints the problems of one file and returns its exit status.
func lintFile(file string, w io.Writer) (int, error) {
	f, err := os.Open(file)
	if err != nil {
		return 2, err
	}
	defer f.Close()

	// The decoder detects compression. SetFile names the file in errors;
	// Strict makes keys the format does not define errors, which catches
	// misspellings such as "licence:".
	dec := modulemd.NewDecoder(f)
	dec.SetFile(file)
	dec.Strict(true)

	status := 0
	for doc, err := range dec.All() {
		if err != nil {
			// One document failed to decode (wrong types, unknown keys...).
			// The decoder goes on with the next document.
			status = 1
			printErrors(w, err)
			continue
		}
		// Decoding only checks shapes and types; Validate applies the
		// semantic rules (required fields, buildorder vs buildafter, ...)
		// and reports all of them at once.
		if err := modulemd.Validate(doc); err != nil {
			status = 1
			printErrors(w, err)
		}
		// Lint finds what is valid but probably a mistake.
		for _, warn := range modulemd.Lint(doc) {
			fmt.Fprintln(w, "warning:", warn)
		}
	}
	return status, nil
}

// printErrors prints one line per problem in err. Problems are joined with
// errors.Join; each leaf is usually a *modulemd.ParseError, which carries the
// file, line, column and field path and formats itself as
// "file:line:col: path: message". errors.Is tells the kind of problem apart.
func printErrors(w io.Writer, err error) {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			printErrors(w, e)
		}
		return
	}
	if errors.Is(err, modulemd.ErrUnknownKey) {
		fmt.Fprintf(w, "%v (misspelt key?)\n", err)
		return
	}
	fmt.Fprintln(w, err)
}
