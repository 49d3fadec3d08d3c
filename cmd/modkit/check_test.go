package main

import "testing"

// resolveDir holds the fixtures of the check, expand and plan commands.
const resolveDir = "testdata/resolve/"

func TestCheck(t *testing.T) {
	t.Parallel()
	const dir = resolveDir
	runCases(t, []cliCase{
		{name: "check-ok", args: []string{"check", dir + "module.yaml", "--against", dir + "index.yaml"}},
		{name: "check-json", args: []string{"check", dir + "module.yaml", "--against", dir + "index.yaml", "--json"}},
		{name: "check-conflict", args: []string{"check", dir + "conflict.yaml", "--against", dir + "index.yaml"}},
		{name: "check-conflict-json", args: []string{"check", "--json", dir + "conflict.yaml", "--against", dir + "index.yaml"}},
		{name: "check-override", args: []string{"check", dir + "module.yaml", "--buildrequire", "platform:f29", "--against", dir + "index.yaml"}},
		{name: "check-static-contexts", args: []string{"check", dir + "buildafter.yaml", "--against", dir + "index.yaml"}},
		{name: "check-branch", args: []string{"check", dir + "module.yaml", "--branch", "f29-candidate", "--branch-regex", `^(f\d+)-`, "--against", dir + "index.yaml"}},
		{name: "check-branch-overridden", args: []string{"check", dir + "module.yaml", "--branch", "f29-candidate", "--branch-regex", `^(f\d+)-`, "--buildrequire", "platform:f28", "--against", dir + "index.yaml"}},
		{name: "check-branch-regex-bad", args: []string{"check", dir + "module.yaml", "--branch", "x", "--branch-regex", "(", "--against", dir + "index.yaml"}},
		{name: "check-stream-suffix-bad", args: []string{"check", dir + "module.yaml", "--stream-suffix", "el8=2", "--against", dir + "index.yaml"}},
		{name: "check-no-against", args: []string{"check", dir + "module.yaml"}},
		{name: "check-missing-index", args: []string{"check", dir + "module.yaml", "--against", dir + "nope.yaml"}},
	})
}
