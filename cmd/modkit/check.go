package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/modkit/modkit/resolver"
)

func init() {
	register("check", "CI check: validate a module, expand it against indexes, plan its batches", runCheck)
}

// resolveFlags are the options check and expand share.
type resolveFlags struct {
	against      []string
	overrides    []string
	jsonOut      bool
	strict       bool
	branch       string
	branchRegex  []string
	branchModule string
	suffixes     []string
}

func (r *resolveFlags) add(fs *flagSet) {
	fs.Func("against", "`PATH` of module metadata to build against: modules.yaml (compressed or not) or a repository directory; repeatable, and further PATH arguments are added", func(v string) error {
		r.against = append(r.against, v)
		return nil
	})
	fs.Func("buildrequire", "override the stream list of a buildrequired module: `NAME:STREAM[,STREAM...]`; repeatable", func(v string) error {
		r.overrides = append(r.overrides, v)
		return nil
	})
	fs.StringVar(&r.branch, "branch", "", "the module's SCM `BRANCH`: with --branch-regex, the base module stream is derived from it")
	fs.Func("branch-regex", "`REGEX` whose non-empty capture groups, concatenated, turn --branch into the base module stream unless --buildrequire overrides it (MBS BR_STREAM_OVERRIDE_REGEXES); repeatable, the first match decides", func(v string) error {
		r.branchRegex = append(r.branchRegex, v)
		return nil
	})
	fs.StringVar(&r.branchModule, "branch-module", "platform", "the base `MODULE` whose stream --branch-regex derives (MBS BR_STREAM_OVERRIDE_MODULE)")
	fs.Func("stream-suffix", "`REGEX=FRACTION`: base module streams REGEX matches at their start order as stream version + FRACTION (MBS STREAM_SUFFIXES, e.g. 'el\\d+\\.\\d+\\.\\d+\\.z=0.1'); repeatable, the first match wins", func(v string) error {
		r.suffixes = append(r.suffixes, v)
		return nil
	})
	fs.BoolVar(&r.jsonOut, "json", false, "print JSON")
	fs.BoolVar(&r.strict, "strict", false, "refuse unknown keys in the indexes")
}

// parse returns the module path and the check options.
func (r *resolveFlags) parse(fs *flagSet, args []string) (string, *resolver.CheckOptions, error) {
	pos, err := fs.parse(args)
	if err != nil {
		return "", nil, err
	}
	if len(pos) == 0 {
		return "", nil, fs.usageError("no MODULE.yaml given")
	}
	r.against = append(r.against, pos[1:]...)
	if len(r.against) == 0 {
		return "", nil, fs.usageError("give at least one index with --against PATH")
	}
	opts := &resolver.CheckOptions{Load: &resolver.LoadOptions{Strict: r.strict}, Expand: &resolver.ExpandOptions{}}
	for _, o := range r.overrides {
		name, streams, ok := strings.Cut(o, ":")
		if !ok || name == "" || streams == "" {
			return "", nil, fs.usageError("--buildrequire %q: expected NAME:STREAM[,STREAM...]", o)
		}
		if opts.Expand.BuildRequireOverrides == nil {
			opts.Expand.BuildRequireOverrides = map[string][]string{}
		}
		opts.Expand.BuildRequireOverrides[name] = strings.Split(streams, ",")
	}
	opts.Expand.Branch, opts.Expand.BranchStreamModule = r.branch, r.branchModule
	for _, v := range r.branchRegex {
		re, err := regexp.Compile(v)
		if err != nil {
			return "", nil, fs.usageError("--branch-regex %q: %v", v, err)
		}
		opts.Expand.BranchStreamRegexes = append(opts.Expand.BranchStreamRegexes, re)
	}
	if len(r.branchRegex) > 0 && r.branch == "" {
		return "", nil, fs.usageError("--branch-regex needs --branch")
	}
	for _, v := range r.suffixes {
		i := strings.LastIndex(v, "=")
		if i <= 0 {
			return "", nil, fs.usageError("--stream-suffix %q: expected REGEX=FRACTION", v)
		}
		re, err := regexp.Compile(v[:i])
		if err != nil {
			return "", nil, fs.usageError("--stream-suffix %q: %v", v, err)
		}
		f, err := strconv.ParseFloat(v[i+1:], 64)
		if err != nil || f < 0 || f >= 1 {
			return "", nil, fs.usageError("--stream-suffix %q: the fraction must be a number in [0, 1)", v)
		}
		opts.Expand.StreamSuffixes = append(opts.Expand.StreamSuffixes, resolver.StreamSuffix{Pattern: re, Fraction: f})
	}
	return pos[0], opts, nil
}

func runCheck(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var rf resolveFlags
	fs := newFlags("check", "check MODULE.yaml --against PATH... [--json]", `
Validates MODULE.yaml (a module stream or packager document), expands it the
way the Module Build Service would against the given indexes and prints each
resulting build with its contexts, resolved buildrequires and component
batches. Exit status 1 when the module is invalid or cannot be satisfied;
the explanation lists every combination of streams that was tried.`, stdout)
	rf.add(fs)
	path, opts, err := rf.parse(fs, args)
	if err != nil {
		return err
	}
	plan, err := resolver.Check(ctx, path, rf.against, opts)
	if err != nil {
		return resolveFailure(stdout, rf.jsonOut, err)
	}
	if rf.jsonOut {
		return writeJSON(stdout, plan)
	}
	return plan.WriteText(stdout)
}

// resolveFailure reports a failed check or expansion: in JSON mode as
// {"error": ..., "conflict": ...} on stdout; exit status 1 either way.
func resolveFailure(stdout io.Writer, jsonOut bool, err error) error {
	if jsonOut {
		out := struct {
			Error    string                  `json:"error"`
			Conflict *resolver.ConflictError `json:"conflict,omitempty"`
		}{Error: err.Error()}
		var ce *resolver.ConflictError
		if errors.As(err, &ce) {
			out.Conflict = ce
		}
		if werr := writeJSON(stdout, out); werr != nil {
			return werr
		}
		return &exitError{Code: 1}
	}
	return &exitError{Code: 1, Msg: err.Error()}
}

func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}
