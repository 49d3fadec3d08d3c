package resolver

import (
	"cmp"
	"slices"
	"strings"

	"github.com/modkit/modkit/modulemd"
	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/topo"
	"gonum.org/v1/gonum/graph/traverse"
)

// EdgeKind selects which dependencies a [Graph] query follows.
type EdgeKind int

// The kinds of dependency edges. AnyTime follows both.
const (
	BuildTime EdgeKind = 1 << iota // buildrequires
	RunTime                        // requires
	AnyTime   = BuildTime | RunTime
)

// Graph is the dependency graph between the module streams of an index. Its
// nodes are "name:stream"; an edge A → B means some build of A buildrequires
// or requires B's module with a stream list that admits B's stream (the
// stream-list rules of [ExpandStreamList]; a base module also matches by its
// virtual streams). Queries are answered from indexes built once by
// [NewGraph]; a Graph is safe for concurrent reads.
type Graph struct {
	names []string         // "name:stream", sorted
	id    map[string]int64 // name:stream -> node id (index into names)
	build *simple.DirectedGraph
	run   *simple.DirectedGraph
	any   *simple.DirectedGraph
	// components maps an RPM component name to ref to sorted NSVCs; ref ""
	// lists every NSVC with the component.
	components map[string]map[string][]string
}

// NewGraph builds the dependency graph of streams (for example
// Index.Streams()).
func NewGraph(streams []*modulemd.Stream) *Graph {
	g := &Graph{
		id:         map[string]int64{},
		build:      simple.NewDirectedGraph(),
		run:        simple.NewDirectedGraph(),
		any:        simple.NewDirectedGraph(),
		components: map[string]map[string][]string{},
	}
	byModule := map[string][]string{} // module -> its streams
	virtual := map[string][]string{}  // module:virtual -> real streams
	for _, s := range streams {
		if s == nil || s.Name == "" || s.Stream == "" {
			continue
		}
		ns := s.Name + ":" + s.Stream
		if _, ok := g.id[ns]; !ok {
			g.id[ns] = -1
			g.names = append(g.names, ns)
			byModule[s.Name] = append(byModule[s.Name], s.Stream)
		}
		for _, v := range virtualStreams(s) {
			virtual[s.Name+":"+v] = append(virtual[s.Name+":"+v], s.Stream)
		}
		id := nsvcOf(s)
		for rpm, c := range s.Components.RPMs {
			refs := g.components[rpm]
			if refs == nil {
				refs = map[string][]string{}
				g.components[rpm] = refs
			}
			refs[""] = append(refs[""], id)
			if c.Ref != "" {
				refs[c.Ref] = append(refs[c.Ref], id)
			}
		}
	}
	slices.Sort(g.names)
	for i, ns := range g.names {
		g.id[ns] = int64(i)
		for _, gr := range []*simple.DirectedGraph{g.build, g.run, g.any} {
			gr.AddNode(simple.Node(i))
		}
	}
	for _, refs := range g.components {
		for ref, ids := range refs {
			slices.Sort(ids)
			refs[ref] = slices.Compact(ids)
		}
	}
	// targets resolves a dependency stream list to the name:stream nodes it
	// admits.
	targets := func(name string, list []string) []string {
		var out []string
		for _, st := range ExpandStreamList(list, byModule[name]) {
			if _, ok := g.id[name+":"+st]; ok {
				out = append(out, name+":"+st)
			}
			for _, real := range virtual[name+":"+st] {
				out = append(out, name+":"+real)
			}
		}
		return out
	}
	for _, s := range streams {
		if s == nil || s.Name == "" || s.Stream == "" {
			continue
		}
		from := simple.Node(g.id[s.Name+":"+s.Stream])
		for _, d := range s.Dependencies {
			for name, list := range d.BuildRequires {
				for _, to := range targets(name, list) {
					g.addEdge(g.build, from, to)
				}
			}
			for name, list := range d.Requires {
				for _, to := range targets(name, list) {
					g.addEdge(g.run, from, to)
				}
			}
		}
	}
	return g
}

func (g *Graph) addEdge(gr *simple.DirectedGraph, from simple.Node, to string) {
	t := simple.Node(g.id[to])
	if from == t {
		return
	}
	gr.SetEdge(gr.NewEdge(from, t))
	g.any.SetEdge(g.any.NewEdge(from, t))
}

func (g *Graph) graph(kind EdgeKind) *simple.DirectedGraph {
	switch kind {
	case BuildTime:
		return g.build
	case RunTime:
		return g.run
	default:
		return g.any
	}
}

// Nodes returns every "name:stream" in the graph, sorted.
func (g *Graph) Nodes() []string { return slices.Clone(g.names) }

// Requires returns the sorted name:streams that nameStream depends on
// directly; nil when it is unknown.
func (g *Graph) Requires(nameStream string, kind EdgeKind) []string {
	id, ok := g.id[nameStream]
	if !ok {
		return nil
	}
	return g.sortedNames(g.graph(kind).From(id))
}

// RequiredBy returns the sorted name:streams that depend directly on
// nameStream ("which streams require nodejs:12"); nil when none do.
func (g *Graph) RequiredBy(nameStream string, kind EdgeKind) []string {
	id, ok := g.id[nameStream]
	if !ok {
		return nil
	}
	return g.sortedNames(g.graph(kind).To(id))
}

// RequiredByAll returns the sorted name:streams that depend on nameStream
// directly or through others.
func (g *Graph) RequiredByAll(nameStream string, kind EdgeKind) []string {
	id, ok := g.id[nameStream]
	if !ok {
		return nil
	}
	gr := g.graph(kind)
	var out []string
	bf := traverse.BreadthFirst{}
	bf.Walk(reversed{gr}, simple.Node(id), func(n graph.Node, _ int) bool {
		if n.ID() != id {
			out = append(out, g.names[n.ID()])
		}
		return false
	})
	slices.Sort(out)
	return out
}

// WithComponent returns the sorted NSVCs of the builds that contain the RPM
// component rpm, at ref when ref is not empty ("which modules contain foo at
// f27").
func (g *Graph) WithComponent(rpm, ref string) []string {
	return slices.Clone(g.components[rpm][ref])
}

// Cycles returns every dependency cycle among the streams: each cycle's
// members sorted, the cycles sorted by first member; nil when there is none.
func (g *Graph) Cycles(kind EdgeKind) [][]string {
	var out [][]string
	for _, comp := range topo.TarjanSCC(g.graph(kind)) {
		if len(comp) < 2 {
			continue
		}
		c := make([]string, len(comp))
		for i, n := range comp {
			c[i] = g.names[n.ID()]
		}
		slices.Sort(c)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b []string) int { return cmp.Compare(a[0], b[0]) })
	return out
}

// CheckCycles returns a [*CycleError] listing every cycle, or nil.
func (g *Graph) CheckCycles(kind EdgeKind) error {
	c := g.Cycles(kind)
	if c == nil {
		return nil
	}
	what := "module dependencies"
	switch kind {
	case BuildTime:
		what = "module build dependencies"
	case RunTime:
		what = "module runtime dependencies"
	}
	return &CycleError{What: what, Cycles: c}
}

func (g *Graph) sortedNames(it graph.Nodes) []string {
	if it.Len() == 0 {
		return nil
	}
	out := make([]string, 0, it.Len())
	for it.Next() {
		out = append(out, g.names[it.Node().ID()])
	}
	slices.Sort(out)
	return out
}

// reversed walks a directed graph against its edges.
type reversed struct{ *simple.DirectedGraph }

func (r reversed) From(id int64) graph.Nodes { return r.DirectedGraph.To(id) }

// virtualStreams returns xmd.mbs.virtual_streams of a base module build.
func virtualStreams(s *modulemd.Stream) []string {
	var out []string
	if l, ok := xmdPath(s.XMD, "mbs", "virtual_streams").([]any); ok {
		for _, v := range l {
			if str, ok := v.(string); ok && str != "" {
				out = append(out, str)
			}
		}
	}
	return out
}

// xmdPath returns (a copy of) the xmd value at keys, nil when absent.
func xmdPath(x modulemd.XMD, keys ...string) any { return x.Get(keys...) }

// xmdString returns the string at a path ("" when absent or not a string).
func xmdString(x modulemd.XMD, keys ...string) string {
	return strings.TrimSpace(x.GetString(keys...))
}
