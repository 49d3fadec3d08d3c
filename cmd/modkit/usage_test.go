package main

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// helpTargets are every command and builds subcommand, as arguments.
func helpTargets() [][]string {
	var out [][]string
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range commands {
			if !yield(n) {
				return
			}
		}
	}) {
		out = append(out, []string{name})
	}
	for _, sub := range slices.Sorted(func(yield func(string) bool) {
		for n := range buildsSynopsis {
			if !yield(n) {
				return
			}
		}
	}) {
		out = append(out, []string{"builds", sub})
	}
	out = append(out, []string{"updates", "push"})
	return out
}

// genericPlaceholder is what the flag package shows for an option whose
// usage names no placeholder.
var genericPlaceholder = regexp.MustCompile(`(?m)^  --?[a-z0-9-]+ (value|string|int|int64|uint|uint64|float|duration)\b`)

// TestHelp pins every command's help (golden files under
// testdata/golden/usage) and checks the one style: GNU options, a real
// placeholder for every option that takes a value.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, target := range helpTargets() {
		name := strings.Join(target, "-")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args := append(slices.Clone(target), "--help")
			res := runCLI(t, args, nil)
			checkGolden(t, filepath.Join("testdata", "golden", "usage", name+"-help.golden"), res.golden(args))
			if res.code != 0 || res.stderr != "" || !strings.HasPrefix(res.stdout, "usage: modkit "+strings.Join(target, " ")) {
				t.Errorf("modkit %s --help: exit %d, stderr %q", strings.Join(target, " "), res.code, res.stderr)
			}
			if m := genericPlaceholder.FindString(res.stdout); m != "" {
				t.Errorf("option without a real placeholder: %q", m)
			}
			if strings.Contains(res.stdout, "\n  -") && !strings.Contains(res.stdout, "Options:") {
				t.Errorf("options listed without an Options: heading")
			}
		})
	}
}

// TestUsageMistakes checks that a missing argument and an unknown option get
// the same short answer from every command: "modkit: CMD: what is wrong",
// the usage line and where to find help, exit status 2.
func TestUsageMistakes(t *testing.T) {
	t.Parallel()
	noArgs := map[string]bool{"version": true}
	for _, target := range helpTargets() {
		cmd := strings.Join(target, " ")
		name := strings.Join(target, "-")
		cases := [][]string{append(slices.Clone(target), "--no-such-option")}
		if !noArgs[cmd] && cmd != "builds list" {
			cases = append(cases, slices.Clone(target))
		}
		for i, args := range cases {
			kind := []string{"unknown-option", "missing-argument"}[i]
			t.Run(name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				// serve has no argument; what it misses is --tokens, and it
				// says so before it touches its state directory.
				res := runCLI(t, args, nil)
				if kind == "missing-argument" || cmd != "serve" {
					checkGolden(t, filepath.Join("testdata", "golden", "usage", name+"-"+kind+".golden"), res.golden(args))
				}
				lines := strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n")
				if res.code != 2 || res.stdout != "" || len(lines) != 3 ||
					!strings.HasPrefix(lines[0], "modkit: "+cmd+": ") ||
					!strings.HasPrefix(lines[1], "usage: modkit "+cmd) ||
					lines[2] != "Run 'modkit "+cmd+" -h' for help." {
					t.Errorf("modkit %s: exit %d, stdout %q, stderr:\n%s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
				}
				if kind == "unknown-option" && !strings.Contains(lines[0], ": unknown option --no-such-option") {
					t.Errorf("first line %q, want the unknown option named", lines[0])
				}
			})
		}
	}
}

// TestErrorsNameTheCommand checks that errors that are not usage mistakes
// also read "modkit: CMD: ...".
func TestErrorsNameTheCommand(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"plan", "testdata/nope.yaml"},
		{"check", "testdata/nope.yaml", "--against", "testdata/valid.yaml"},
		{"expand", "testdata/nope.yaml", "--against", "testdata/valid.yaml"},
		{"validate", "testdata/nope.yaml"},
		{"fmt", "testdata/nope.yaml"},
		{"query", "testdata/nope.yaml"},
		{"merge", "testdata/nope.yaml"},
		{"convert", "testdata/nope.yaml"},
		{"upgrade", "testdata/nope.yaml"},
		{"build", "testdata/nope.yaml", "--state-dir", "$TMP"},
		{"serve", "--tokens", "testdata/nope", "--state-dir", "$TMP"},
		{"builds", "show", "1", "--server", "http://127.0.0.1:1"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "$TMP", dir)
			}
			res := runCLI(t, args, nil)
			cmd := args[0]
			if res.code == 0 || !strings.HasPrefix(res.stderr, "modkit: "+cmd+": ") {
				t.Errorf("modkit %s: exit %d, stderr:\n%s", strings.Join(args, " "), res.code, res.stderr)
			}
		})
	}
}
