package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/modkit/modkit/orchestrator/mbsapi"
)

// submitFlags are the options of 'modkit builds submit'.
type submitFlags struct {
	branch, file, name, stream, strategy, reuse string
	scratch, watch                              bool
	buildrequires, requires                     multiFlag
}

func addSubmitFlags(fs *flagSet) *submitFlags {
	sf := &submitFlags{}
	fs.StringVar(&sf.branch, "branch", "", "the `BRANCH` the module is built from, which names its stream (default: REF, unless it is a commit hash)")
	fs.StringVar(&sf.file, "file", "", "submit the module definition in `FILE` instead of a git URL (the server must allow it: serve --allow-yaml, or --scratch with --allow-scratch)")
	fs.StringVar(&sf.name, "name", "", "with --file: the module `NAME` (default: the one in FILE)")
	fs.StringVar(&sf.stream, "stream", "", "with --file: the module `STREAM` (default: the one in FILE)")
	fs.StringVar(&sf.strategy, "rebuild-strategy", "", "`STRATEGY`: all, changed-and-after or only-changed (default: the server's)")
	fs.StringVar(&sf.reuse, "reuse-components-from", "", "reuse components from the module build `NSVC_OR_ID`")
	fs.Var(&sf.buildrequires, "buildrequire", "override the streams of a buildrequired module: `NAME:STREAM[,STREAM...]` (repeatable)")
	fs.Var(&sf.requires, "require", "override the streams of a required module: `NAME:STREAM[,STREAM...]` (repeatable)")
	fs.BoolVar(&sf.scratch, "scratch", false, "a scratch build (the server must allow them: serve --allow-scratch)")
	fs.BoolVar(&sf.watch, "watch", false, "watch the submitted builds until they finish (exit status 1 if one fails)")
	return sf
}

var commitRE = regexp.MustCompile(`^[0-9a-f]{7,40}$`)

// request builds the submit request from the options and the positional
// arguments, or returns a usage error.
func (sf *submitFlags) request(fs *flagSet, pos []string) (*mbsapi.SubmitRequest, error) {
	req := &mbsapi.SubmitRequest{Scratch: sf.scratch, RebuildStrategy: sf.strategy, ReuseComponentsFrom: sf.reuse}
	switch sf.strategy {
	case "", "all", "changed-and-after", "only-changed":
	default:
		return nil, fs.usageError("--rebuild-strategy %q: want all, changed-and-after or only-changed", sf.strategy)
	}
	for _, o := range []struct {
		flag string
		vals multiFlag
		dst  *map[string][]string
	}{{"--buildrequire", sf.buildrequires, &req.BuildRequireOverrides}, {"--require", sf.requires, &req.RequireOverrides}} {
		for _, v := range o.vals {
			name, streams, ok := strings.Cut(v, ":")
			if !ok || name == "" || streams == "" || strings.Contains(streams, ",,") {
				return nil, fs.usageError("%s %q: expected NAME:STREAM[,STREAM...]", o.flag, v)
			}
			if *o.dst == nil {
				*o.dst = map[string][]string{}
			}
			(*o.dst)[name] = append((*o.dst)[name], strings.Split(streams, ",")...)
		}
	}
	switch {
	case sf.file != "" && len(pos) > 0:
		return nil, fs.usageError("give a GIT_URL#REF or --file, not both")
	case sf.file != "":
		if sf.branch != "" {
			return nil, fs.usageError("--branch goes with a GIT_URL#REF, not with --file (use --stream)")
		}
		data, err := os.ReadFile(sf.file)
		if err != nil {
			return nil, &exitError{Code: 2, Msg: fs.Name() + ": " + (&ioError{File: sf.file, Op: "read", Err: err}).Error()}
		}
		req.Modulemd, req.ModuleName, req.ModuleStream = string(data), sf.name, sf.stream
		return req, nil
	case len(pos) != 1:
		return nil, fs.usageError("want exactly one GIT_URL#REF (or --file MODULE.yaml), got %d arguments", len(pos))
	}
	if sf.name != "" || sf.stream != "" {
		return nil, fs.usageError("--name and --stream go with --file; a git URL's module is named by its repository and branch")
	}
	u := pos[0]
	_, ref, ok := strings.Cut(u, "#")
	if !ok || ref == "" {
		return nil, fs.usageError("%q has no #REF: write GIT_URL#BRANCH, or GIT_URL#COMMIT with --branch BRANCH", u)
	}
	req.SCMURL, req.Branch = u, sf.branch
	if req.Branch == "" {
		if commitRE.MatchString(ref) {
			return nil, fs.usageError("%q names a commit: give the branch it is on with --branch BRANCH", u)
		}
		req.Branch = ref
	}
	return req, nil
}

// submitBuild submits req and prints the builds created; with watch it
// follows each to its end.
func submitBuild(ctx context.Context, c *mbsapi.Client, server string, req *mbsapi.SubmitRequest, watch bool, interval time.Duration, asJSON, noToken bool, w io.Writer) error {
	mbs, err := c.SubmitModuleBuild(ctx, req)
	if err != nil {
		err = clientErr(err)
		if noToken {
			if ee, ok := err.(*exitError); ok && !strings.Contains(ee.Msg, "--token") && strings.Contains(ee.Msg, "HTTP 40") {
				ee.Msg += " (no token was sent: give --token TOKEN or set MODKIT_TOKEN)"
			}
		}
		return err
	}
	if asJSON {
		if err := printJSON(w, mbs); err != nil {
			return err
		}
	} else {
		for _, mb := range mbs {
			fmt.Fprintf(w, "submitted module build %d: %s (%s)\n", mb.ID, mb.NSVC(), mb.StateName)
		}
		if !watch {
			for _, mb := range mbs {
				fmt.Fprintf(w, "follow it with: modkit builds watch --server %s %d\n", server, mb.ID)
			}
		}
	}
	if !watch {
		return nil
	}
	var failed []error
	for _, mb := range mbs {
		if err := watchBuild(ctx, c, mb.ID, interval, w); err != nil {
			if ctx.Err() != nil {
				return err
			}
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return failed[0]
	}
	return nil
}
