package main

import "testing"

func TestPlan(t *testing.T) {
	t.Parallel()
	const dir = resolveDir
	runCases(t, []cliCase{
		{name: "plan-buildorder", args: []string{"plan", dir + "module.yaml"}},
		{name: "plan-buildafter", args: []string{"plan", dir + "buildafter.yaml"}},
		{name: "plan-dot", args: []string{"plan", "--dot", dir + "buildafter.yaml"}},
		{name: "plan-json", args: []string{"plan", "--json", dir + "module.yaml"}},
		{name: "plan-no-args", args: []string{"plan"}},
	})
}
