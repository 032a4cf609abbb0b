package space

import (
	"math/rand/v2"

	"github.com/graphenas/graphenas/graphenas/arch"
)

// Supergraph is the search space of the child network: N-node architectures (arch.Arch) whose
// middle nodes take any op of the catalogue and whose edges i → j may be switched.
type Supergraph struct {
	// Nodes is N; LayersPerStage is L (node i is in stage i/L).
	Nodes, LayersPerStage int
	// EdgeProb is the probability of each edge in Random (0.5 when zero).
	EdgeProb float64
}

// Name implements Space.
func (s Supergraph) Name() string { return "supergraph" }

// OpNames implements Space.
func (s Supergraph) OpNames() []string {
	names := make([]string, arch.NumOps)
	for i, op := range arch.AllOps() {
		names[i] = op.String()
	}
	return names
}

// MaxNodes implements Space.
func (s Supergraph) MaxNodes() int { return s.Nodes }

// MaxStages implements Space.
func (s Supergraph) MaxStages() int { return (s.Nodes-1)/s.LayersPerStage + 1 }

// Stage implements Space.
func (s Supergraph) Stage(_ *Graph, i int) int { return i / s.LayersPerStage }

// OpNode implements Space: the middle nodes.
func (s Supergraph) OpNode(g *Graph, i int) bool { return i > 0 && i < g.N()-1 }

// EdgesMutable implements Space.
func (s Supergraph) EdgesMutable() bool { return true }

// Random implements Space: random ops, each edge with probability EdgeProb, drawn again until a
// path leads from the input to the output (arch.RandomConnected). A disconnected architecture
// ignores its input (about a third of 5-node draws at EdgeProb 0.5 are), so all of them score the
// same chance-level loss, and a search that started among them could take many steps to leave.
// Edits may still disconnect an architecture; the search then learns that the edit is bad. A
// connected first draw is returned as it is, so a run that never drew a disconnected
// architecture is the same as before this rule.
func (s Supergraph) Random(r *rand.Rand) *Graph {
	p := s.EdgeProb
	if p == 0 {
		p = 0.5
	}
	return FromArch(arch.RandomConnected(s.Nodes, p, r))
}

// Connected implements LiveSpace: whether a path leads from the input to the output
// (arch.Arch.Connected).
func (s Supergraph) Connected(g *Graph) bool { return ToArch(g).Connected() }

// Computed implements LiveSpace: the live part of the architecture (arch.Arch.Computed).
func (s Supergraph) Computed(g *Graph) string { return ToArch(g).Computed() }

// FromArch converts an architecture to the controller's graph.
func FromArch(a *arch.Arch) *Graph {
	ops := make([]int, a.N())
	for i := range ops {
		ops[i] = int(a.Op(i))
	}
	g := NewGraph(ops)
	for _, e := range a.Edges() {
		g.SetEdge(e[0], e[1], true)
	}
	return g
}

// ToArch converts a graph of the Supergraph space back to an architecture.
func ToArch(g *Graph) *arch.Arch {
	a := arch.New(g.N(), arch.Conv3x3)
	for i := 1; i < g.N()-1; i++ {
		a.SetOp(i, arch.Op(g.Ops[i]))
	}
	for i := 0; i < g.N(); i++ {
		for j := i + 1; j < g.N(); j++ {
			if g.HasEdge(i, j) {
				a.SetEdge(i, j, true)
			}
		}
	}
	return a
}
