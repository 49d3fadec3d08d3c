package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/modkit/modkit/pungi"
)

func init() {
	register("verify-repo", "ask real dnf what it sees in a module repository", runVerifyRepo)
}

const verifyRepoAbout = `
Checks a module repository the way a client sees it: dnf (which must be
installed) runs with its own dnf.conf and cache in a throwaway directory,
never the host's configuration or repositories. It lists the modules
(dnf module list) and, for each module stream, installs its default
profiles into a new installroot and checks that their packages are
installed. Each step is reported; the exit status is 1 when one fails.`

// dirList collects a repeatable directory flag.
type dirList []string

func (m *dirList) String() string     { return strings.Join(*m, ",") }
func (m *dirList) Set(v string) error { *m = append(*m, v); return nil }

func runVerifyRepo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("verify-repo", "verify-repo [options] DIR", verifyRepoAbout, stdout)
	platform := fs.String("platform", "", "dnf's module_platform_id, e.g. `platform:f39` (default: the platform the modules require)")
	arch := fs.String("arch", "", "`ARCH` passed to dnf --forcearch (default: the host's)")
	var bases dirList
	fs.Var(&bases, "base-repo", "extra repository `DIR` for dependencies outside the module (repeatable)")
	work := fs.String("work-dir", "", "keep dnf's configuration, cache and installroots in `DIR`")
	verbose := fs.Bool("v", false, "show dnf's output for every step, not only for failed ones")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fs.usageError("want exactly one repository DIR, got %d", len(pos))
	}
	opts := &pungi.VerifyOptions{Platform: *platform, Arch: *arch, BaseRepos: bases, WorkDir: *work}
	opts.Step = func(s pungi.VerifyStep) {
		status := "ok  "
		if !s.OK {
			status = "FAIL"
		}
		line := fmt.Sprintf("%s  %s (%.1fs)", status, s.Name, s.Duration.Seconds())
		if !s.OK {
			line += ": " + s.Problem
		}
		fmt.Fprintln(stdout, line)
		if !s.OK || *verbose {
			for _, l := range strings.Split(strings.TrimRight(s.Output, "\n"), "\n") {
				if strings.TrimSpace(l) != "" {
					fmt.Fprintln(stdout, "      | "+l)
				}
			}
		}
	}
	rep, err := pungi.VerifyRepo(ctx, pos[0], opts)
	if rep != nil && rep.Platform != "" && *verbose {
		fmt.Fprintf(stdout, "module_platform_id=%s\n", rep.Platform)
	}
	switch {
	case errors.Is(err, pungi.ErrVerifyFailed):
		return &exitError{Code: 1, Msg: fmt.Sprintf("%s: dnf does not accept the repository as it should", pos[0])}
	case err != nil:
		return &exitError{Code: 1, Msg: err.Error()}
	}
	fmt.Fprintf(stdout, "%s: dnf lists and installs every module stream (%s)\n", pos[0], strings.Join(rep.Streams, ", "))
	return nil
}
