// Command modkit is the command-line front end of the modkit SDK: validate,
// format, query, merge and convert module metadata, plan and run module
// builds. Every subcommand is a thin wrapper around a library call.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// command is one subcommand. run returns an error for exit status 1, or an
// *exitError to choose the status.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

// commands is filled by each subcommand's file through register.
var commands = map[string]command{}

// register adds a subcommand; called from init functions.
func register(name, summary string, run func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error) {
	if _, dup := commands[name]; dup {
		panic("modkit: command registered twice: " + name)
	}
	commands[name] = command{summary: summary, run: run}
}

// exitError carries an exit status; Msg (if any) is printed to stderr.
type exitError struct {
	Code int
	Msg  string
}

func (e *exitError) Error() string { return e.Msg }

// usageError is a command-line mistake: exit status 2.
func usageError(format string, args ...any) error {
	return &exitError{Code: 2, Msg: fmt.Sprintf(format, args...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	tuneGCFor(os.Args[1:])
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err (if any) and turns it into a process exit status.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.Msg != "" {
			fmt.Fprintln(stderr, "modkit:", ee.Msg)
		}
		return ee.Code
	}
	fmt.Fprintln(stderr, "modkit:", err)
	return 1
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		if len(args) == 0 {
			return &exitError{Code: 2}
		}
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return usageError("unknown command %q (run 'modkit help')", args[0])
	}
	return withCommand(args[0], cmd.run(ctx, args[1:], stdin, stdout, stderr))
}

// withCommand makes every error message of command name read
// "modkit: NAME: ...", whoever made the error.
func withCommand(name string, err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		return &exitError{Code: 1, Msg: name + ": " + trimPkg(err.Error())}
	}
	if ee.Msg != "" && !strings.HasPrefix(ee.Msg, name+": ") && !strings.HasPrefix(ee.Msg, name+" ") {
		return &exitError{Code: ee.Code, Msg: name + ": " + ee.Msg}
	}
	return err
}

func printUsage(w io.Writer) {
	names := make([]string, 0, len(commands))
	width := 0
	for n := range commands {
		names = append(names, n)
		width = max(width, len(n))
	}
	slices.Sort(names)
	fmt.Fprintln(w, "usage: modkit COMMAND [options] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %s%s  %s\n", n, strings.Repeat(" ", width-len(n)), commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'modkit COMMAND -h' for a command's options.")
}
