package resolver

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/modulemd"
)

func graphFixture() *Graph {
	nodejs12 := st("nodejs:12:1:a", "br:platform=f30;req:platform=f30")
	nodejs12.Components.RPMs = map[string]*modulemd.RPMComponent{"nodejs": {Ref: "12"}, "libuv": {Ref: "f27"}}
	return NewGraph([]*modulemd.Stream{
		platform("f30", 1), platform("el8.3.0", 1, "el8"),
		st("nodejs:10:1:a", "br:platform=f30;req:platform=f30"),
		nodejs12,
		st("npm:6:1:a", "br:nodejs=12;req:nodejs="),
		st("yarn:1:1:a", "br:nodejs=-10;req:nodejs=12"),
		st("legacy:1:1:a", "br:platform=el8;req:platform=el8"),
		st("cyc:a:1:a", "req:cyc=b"), st("cyc:b:1:a", "req:cyc=c"), st("cyc:c:1:a", "br:cyc=a"),
		st("tool:1:1:a", "br:libfoo=1"),
	})
}

func TestGraphQueries(t *testing.T) {
	t.Parallel()
	g := graphFixture()
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"build-time reverse", g.RequiredBy("nodejs:12", BuildTime), []string{"npm:6", "yarn:1"}},
		{"run-time reverse, empty list means any stream", g.RequiredBy("nodejs:10", RunTime), []string{"npm:6"}},
		{"negated stream excluded", g.RequiredBy("nodejs:10", BuildTime), nil},
		{"any-time reverse", g.RequiredBy("nodejs:12", AnyTime), []string{"npm:6", "yarn:1"}},
		{"virtual stream reaches the base module", g.RequiredBy("platform:el8.3.0", AnyTime), []string{"legacy:1"}},
		{"forward", g.Requires("npm:6", AnyTime), []string{"nodejs:10", "nodejs:12"}},
		{"transitive reverse", g.RequiredByAll("platform:f30", AnyTime), []string{"nodejs:10", "nodejs:12", "npm:6", "yarn:1"}},
		{"unknown", g.RequiredBy("nope:1", AnyTime), nil},
		{"component at ref", g.WithComponent("libuv", "f27"), []string{"nodejs:12:1:a"}},
		{"component at any ref", g.WithComponent("nodejs", ""), []string{"nodejs:12:1:a"}},
		{"component at other ref", g.WithComponent("libuv", "f28"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestGraphCycles(t *testing.T) {
	t.Parallel()
	g := graphFixture()
	if diff := cmp.Diff([][]string{{"cyc:a", "cyc:b", "cyc:c"}}, g.Cycles(AnyTime)); diff != "" {
		t.Errorf("AnyTime cycles (-want +got):\n%s", diff)
	}
	if got := g.Cycles(RunTime); got != nil {
		t.Errorf("RunTime cycles = %v, want none (the cycle needs the build edge)", got)
	}
	err := g.CheckCycles(AnyTime)
	var ce *CycleError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCycle) {
		t.Fatalf("CheckCycles = %v, want *CycleError", err)
	}
	if g.CheckCycles(RunTime) != nil {
		t.Error("CheckCycles(RunTime) reported a cycle")
	}
}
