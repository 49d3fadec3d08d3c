package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/modkit/modkit/modulemd"
)

func init() {
	register("merge", "merge module metadata repositories by priority", runMerge)
}

const mergeAbout = `
Merge loads each FILE ("-" for standard input) as a module index and merges
them the way libmodulemd's ModuleIndexMerger does, then prints the merged
index. FILE@PRIORITY gives a file a priority from 0 to 1000 (default 0):
defaults from a higher priority replace lower ones; at equal priority
conflicting default streams cancel out (no default stream) unless
--strict-default-streams makes that an error. A file whose name itself ends in
@NUMBER is written with an explicit priority: "modules@2.yaml@0".

A file with a problem stops the merge (nothing is printed, exit status 1):
merging must not drop documents silently. Files are read as leniently as
validate reads them: a key the format does not define is skipped with a
warning (it is not in the output); --strict makes it an error.`

// mergeInput is one FILE[@PRIORITY] argument.
type mergeInput struct {
	arg      string // the file part
	priority int
}

// parseMergeArg splits FILE[@PRIORITY]. Only an all-digit suffix (with an
// optional sign) is a priority, so "modules@3bf3695.yaml" is a file name.
func parseMergeArg(s string) (mergeInput, error) {
	i := strings.LastIndexByte(s, '@')
	if i < 0 {
		return mergeInput{arg: s}, nil
	}
	num := s[i+1:]
	digits := strings.TrimLeft(num, "+-")
	if digits == "" || len(num)-len(digits) > 1 || strings.Trim(digits, "0123456789") != "" {
		return mergeInput{arg: s}, nil
	}
	p, err := strconv.Atoi(num)
	if err != nil || p < 0 || p > 1000 {
		return mergeInput{}, usageError("merge: %q: priority %s is out of range; want an integer from 0 to 1000", s, num)
	}
	if i == 0 {
		return mergeInput{}, usageError("merge: %q: no file name before @", s)
	}
	return mergeInput{arg: s[:i], priority: p}, nil
}

func runMerge(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newCmdFlags("merge", "merge [--strict-default-streams] [--strict] FILE[@PRIORITY]...", mergeAbout, stdout)
	strictDefaults := fs.Bool("strict-default-streams", false, "fail when files of the same priority disagree on a default stream")
	strict := fs.Bool("strict", false, "treat keys the format does not define as errors")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return fs.usageError("no FILE given")
	}
	inputs := make([]mergeInput, 0, len(rest))
	for _, a := range rest {
		in, err := parseMergeArg(a)
		if err != nil {
			return err
		}
		inputs = append(inputs, in)
	}
	if n := countStdin(argsOf(inputs)); n > 1 {
		return fs.usageError("standard input (-) given %d times", n)
	}

	m := modulemd.NewMerger()
	failed := false
	for _, in := range inputs {
		name := displayName(in.arg)
		data, err := readInput(ctx, in.arg, stdin)
		if err != nil {
			if strings.Contains(in.arg, "@") {
				err = fmt.Errorf("%w (FILE@PRIORITY takes an integer priority from 0 to 1000)", err)
			}
			return failIO(err)
		}
		idx, err := loadIndex(ctx, data, name, *strict)
		if reportLoad(stderr, name, err) {
			failed = true
			continue
		}
		// The merged index cannot carry keys the lenient reader skipped.
		printProblems(stderr, unknownKeys(name, idx.Documents()))
		if err := m.Add(idx, in.priority); err != nil {
			return fs.usageError("%s: %v", name, trimPkg(err.Error()))
		}
	}
	if failed {
		return &exitError{Code: 1}
	}
	merged, err := m.Resolve(&modulemd.MergeOptions{StrictDefaultStreams: *strictDefaults})
	if err != nil {
		msg := trimPkg(err.Error())
		if errors.Is(err, modulemd.ErrConflict) {
			msg = strings.TrimSuffix(msg, ": "+modulemd.ErrConflict.Error())
			if *strictDefaults {
				msg += "\n(give the files different priorities, or leave out --strict-default-streams to merge the module without a default stream)"
			}
		}
		return &exitError{Code: 1, Msg: "merge: " + msg}
	}
	return dumpIndex(merged, stdout)
}

func argsOf(ins []mergeInput) []string {
	out := make([]string, len(ins))
	for i, in := range ins {
		out[i] = in.arg
	}
	return out
}

// loadIndex reads data as a module index; the error joins the per-document
// failures.
func loadIndex(ctx context.Context, data []byte, name string, strict bool) (*modulemd.Index, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return modulemd.ReadIndex(bytes.NewReader(data), &modulemd.LoadOptions{Strict: strict, File: name})
}

// dumpIndex writes idx to w; an empty index prints nothing.
func dumpIndex(idx *modulemd.Index, w io.Writer) error {
	if len(idx.ModuleNames()) == 0 {
		return nil
	}
	out, err := idx.Dump()
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}
