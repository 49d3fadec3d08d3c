package main

import "testing"

func TestExpand(t *testing.T) {
	t.Parallel()
	const dir = resolveDir
	runCases(t, []cliCase{
		{name: "expand-ok", args: []string{"expand", dir + "module.yaml", "--against", dir + "index.yaml"}},
		{name: "expand-yaml", args: []string{"expand", dir + "module.yaml", "--against", dir + "index.yaml", "--yaml"}},
		{name: "expand-branch", args: []string{"expand", dir + "module.yaml", "--branch", "f28-test", "--branch-regex", `^(f\d+)-`, "--stream-suffix", `f28=0.5`, "--against", dir + "index.yaml"}},
		{name: "expand-json", args: []string{"expand", dir + "module.yaml", "--json", "--against", dir + "index.yaml"}},
	})
}
