package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
)

func main() {
	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	cmd := exec.Command(goCmd, append([]string{"test", "-json"}, os.Args[1:]...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	// Ctrl-C reaches go test through the process group; wait for it.
	signal.Ignore(os.Interrupt)
	s := newSummary(os.Stdout)
	if err := s.read(out); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
	}
	werr := cmd.Wait()
	s.print()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(werr, &ee):
		code = ee.ExitCode()
	case werr != nil:
		fmt.Fprintln(os.Stderr, "testsummary:", werr)
		code = 2
	}
	if code == 0 && s.failed > 0 {
		code = 1
	}
	os.Exit(code)
}

// event is one line of 'go test -json' (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

type testKey struct{ pkg, test string }

// summary follows the events of a test run.
type summary struct {
	w                     io.Writer
	output                map[testKey][]string
	passed, failed, skipd int
	skips                 map[testKey]string // test → reason
	failures              []testKey
	packages, pkgFailures int
	skippedPackages       []string // packages with no test files are not counted
}

func newSummary(w io.Writer) *summary {
	return &summary{w: w, output: map[testKey][]string{}, skips: map[testKey]string{}}
}

// read consumes the event stream, printing as plain go test would.
func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// Not an event (go test printed something itself).
			fmt.Fprintln(s.w, string(line))
			continue
		}
		s.event(e)
	}
	return sc.Err()
}

func (s *summary) event(e event) {
	k := testKey{e.Package, e.Test}
	switch e.Action {
	case "build-output":
		fmt.Fprint(s.w, e.Output)
	case "output":
		if e.Test == "" {
			// Package level: keep the result lines, drop the framing of
			// verbose mode that -json turns on.
			if o := strings.TrimSpace(e.Output); o == "PASS" || strings.HasPrefix(o, "=== ") || strings.HasPrefix(o, "--- PASS") || strings.HasPrefix(o, "--- SKIP") {
				return
			}
			fmt.Fprint(s.w, e.Output)
			return
		}
		s.output[k] = append(s.output[k], e.Output)
	case "pass":
		if e.Test == "" {
			s.packages++
			return
		}
		s.passed++
		delete(s.output, k)
	case "fail":
		if e.Test == "" {
			s.packages++
			s.pkgFailures++
			return
		}
		s.failed++
		s.failures = append(s.failures, k)
		for _, o := range s.output[k] {
			fmt.Fprint(s.w, o)
		}
		delete(s.output, k)
	case "skip":
		if e.Test == "" {
			return // a package without test files
		}
		s.skipd++
		s.skips[k] = skipReason(s.output[k])
		delete(s.output, k)
	}
}

// skipReason is the message a skipped test logged: its output without the
// test framework's own lines.
func skipReason(out []string) string {
	var msg []string
	for _, o := range out {
		t := strings.TrimSpace(o)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- ") {
			continue
		}
		msg = append(msg, t)
	}
	if len(msg) == 0 {
		return "(no reason given)"
	}
	return strings.Join(msg, " ")
}

// print writes the summary.
func (s *summary) print() {
	w := s.w
	fmt.Fprintf(w, "\n== test summary: %d passed, %d failed, %d skipped (%d packages", s.passed, s.failed, s.skipd, s.packages)
	if s.pkgFailures > 0 {
		fmt.Fprintf(w, ", %d failed", s.pkgFailures)
	}
	fmt.Fprintln(w, ")")
	if len(s.skips) > 0 {
		// One line per package and reason, naming the tests.
		type group struct {
			pkg, reason string
			tests       []string
		}
		var groups []*group
		byKey := map[[2]string]*group{}
		keys := make([]testKey, 0, len(s.skips))
		for k := range s.skips {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b testKey) int {
			if c := strings.Compare(a.pkg, b.pkg); c != 0 {
				return c
			}
			return strings.Compare(a.test, b.test)
		})
		for _, k := range keys {
			gk := [2]string{k.pkg, s.skips[k]}
			g := byKey[gk]
			if g == nil {
				g = &group{pkg: k.pkg, reason: s.skips[k]}
				byKey[gk] = g
				groups = append(groups, g)
			}
			g.tests = append(g.tests, k.test)
		}
		fmt.Fprintln(w, "skipped:")
		for _, g := range groups {
			names := g.tests
			more := ""
			if len(names) > 4 {
				more = fmt.Sprintf(" and %d more", len(names)-4)
				names = names[:4]
			}
			fmt.Fprintf(w, "  %s %s%s: %s\n", g.pkg, strings.Join(names, ", "), more, g.reason)
		}
	}
	if len(s.failures) > 0 {
		fmt.Fprintln(w, "failed:")
		for _, k := range s.failures {
			fmt.Fprintf(w, "  %s %s\n", k.pkg, k.test)
		}
	}
}
