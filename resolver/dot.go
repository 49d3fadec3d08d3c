package resolver

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/modkit/modkit/modulemd"
)

// WriteDOT writes a Graphviz picture of how s builds: one cluster per
// component batch (see [Batches]), an edge for every buildafter
// dependency (or from each batch to the next when buildorder is used), and
// the module's buildrequires as a cluster that the first batch depends on.
// The output is deterministic.
func WriteDOT(w io.Writer, s *modulemd.Stream) error {
	batches, err := Batches(s)
	if err != nil {
		return err
	}
	var b strings.Builder
	q := func(v string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"` }
	fmt.Fprintf(&b, "digraph %s {\n  rankdir=LR;\n  node [shape=box];\n", q(s.Name+":"+s.Stream))
	var deps []string
	for _, d := range s.Dependencies {
		for _, name := range sortedKeys(d.BuildRequires) {
			deps = append(deps, name+":["+strings.Join(d.BuildRequires[name], ",")+"]")
		}
	}
	slices.Sort(deps)
	deps = slices.Compact(deps)
	if len(deps) > 0 {
		b.WriteString("  subgraph cluster_buildrequires {\n    label=\"buildrequires\"; style=dashed;\n")
		for _, d := range deps {
			fmt.Fprintf(&b, "    %s [shape=component];\n", q("module "+d))
		}
		b.WriteString("  }\n")
	}
	for i, batch := range batches {
		fmt.Fprintf(&b, "  subgraph cluster_batch%d {\n    label=\"batch %d\";\n", i+1, i+1)
		for _, c := range batch {
			fmt.Fprintf(&b, "    %s;\n", q(c))
		}
		b.WriteString("  }\n")
	}
	after := false
	for _, name := range sortedKeys(s.Components.RPMs) {
		for _, dep := range slices.Sorted(slices.Values(s.Components.RPMs[name].BuildAfter)) {
			fmt.Fprintf(&b, "  %s -> %s;\n", q(dep), q(name))
			after = true
		}
	}
	if !after {
		for i := 1; i < len(batches); i++ {
			fmt.Fprintf(&b, "  %s -> %s [ltail=cluster_batch%d, lhead=cluster_batch%d];\n", q(batches[i-1][0]), q(batches[i][0]), i, i+1)
		}
	}
	if len(batches) > 0 {
		for _, d := range deps {
			fmt.Fprintf(&b, "  %s -> %s [style=dashed];\n", q("module "+d), q(batches[0][0]))
		}
	}
	b.WriteString("}\n")
	_, err = io.WriteString(w, b.String())
	return err
}
