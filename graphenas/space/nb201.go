package space

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// NB201Ops is the NAS-Bench-201 op vocabulary, in its order.
var NB201Ops = []string{"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"}

// The NAS-Bench-201 cell has 4 nodes and an op on each of its 6 edges i → j. For the controller
// the edges become op-carrying nodes, so that "change an op" is the only edit:
//
//	c0 → e01 → c1;  c0 → e02, c1 → e12 → c2;  c0 → e03, c1 → e13, c2 → e23 → c3
//
// numbered in topological order c0=0 e01=1 c1=2 e02=3 e12=4 c2=5 e03=6 e13=7 e23=8 c3=9.
var (
	nb201CellNode = [4]int{0, 2, 5, 9}
	// nb201Edges lists the cell edges (from, to) in the order of the NAS-Bench-201 string, with
	// the controller node that carries each one's op.
	nb201Edges = []struct{ from, to, node int }{
		{0, 1, 1}, {0, 2, 3}, {1, 2, 4}, {0, 3, 6}, {1, 3, 7}, {2, 3, 8},
	}
)

// NB201 is the NAS-Bench-201 cell search space (15,625 cells).
type NB201 struct{}

// Name implements Space.
func (NB201) Name() string { return "nas-bench-201" }

// OpNames implements Space.
func (NB201) OpNames() []string { return NB201Ops }

// MaxNodes implements Space.
func (NB201) MaxNodes() int { return 10 }

// MaxStages implements Space: the cell has one resolution.
func (NB201) MaxStages() int { return 1 }

// Stage implements Space.
func (NB201) Stage(*Graph, int) int { return 0 }

// OpNode implements Space: the six edge nodes carry ops.
func (NB201) OpNode(g *Graph, i int) bool { return g.Ops[i] != NoOp }

// EdgesMutable implements Space: the cell's wiring is fixed.
func (NB201) EdgesMutable() bool { return false }

// Random implements Space: a uniformly random cell of the 15,625 (every op independent and
// uniform), those whose zero ops cut the input from the output included, as the benchmark counts them.
func (NB201) Random(r *rand.Rand) *Graph {
	var ops [6]int
	for k := range ops {
		ops[k] = r.IntN(len(NB201Ops))
	}
	return NB201Graph(ops)
}

// NB201Graph returns the controller graph of the cell whose six edge ops are ops (in the
// NAS-Bench-201 string order: 0→1, 0→2, 1→2, 0→3, 1→3, 2→3).
func NB201Graph(ops [6]int) *Graph {
	nodeOps := make([]int, 10)
	for i := range nodeOps {
		nodeOps[i] = NoOp
	}
	g := NewGraph(nodeOps)
	for k, e := range nb201Edges {
		g.Ops[e.node] = ops[k]
		g.SetEdge(nb201CellNode[e.from], e.node, true)
		g.SetEdge(e.node, nb201CellNode[e.to], true)
	}
	return g
}

// NB201EdgeOps returns the six edge ops of a cell graph.
func NB201EdgeOps(g *Graph) [6]int {
	var ops [6]int
	for k, e := range nb201Edges {
		ops[k] = g.Ops[e.node]
	}
	return ops
}

// NB201String writes the cell in NAS-Bench-201 notation, e.g.
// "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|".
func NB201String(g *Graph) string {
	ops := NB201EdgeOps(g)
	var b strings.Builder
	k := 0
	for to := 1; to <= 3; to++ {
		if to > 1 {
			b.WriteByte('+')
		}
		b.WriteByte('|')
		for from := 0; from < to; from++ {
			fmt.Fprintf(&b, "%s~%d|", NB201Ops[ops[k]], from)
			k++
		}
	}
	return b.String()
}

// ParseNB201 reads a cell in NAS-Bench-201 notation.
func ParseNB201(s string) (*Graph, error) {
	parts := strings.Split(s, "+")
	if len(parts) != 3 {
		return nil, fmt.Errorf("space: %q is not a NAS-Bench-201 cell: want 3 groups separated by '+'", s)
	}
	var ops [6]int
	k := 0
	for to, part := range parts {
		items := strings.Split(strings.Trim(part, "|"), "|")
		if len(items) != to+1 {
			return nil, fmt.Errorf("space: %q: node %d has %d inputs, want %d", s, to+1, len(items), to+1)
		}
		for from, item := range items {
			name, src, ok := strings.Cut(item, "~")
			if !ok || src != fmt.Sprint(from) {
				return nil, fmt.Errorf("space: %q: bad edge %q, want <op>~%d", s, item, from)
			}
			op := -1
			for i, n := range NB201Ops {
				if n == name {
					op = i
				}
			}
			if op < 0 {
				return nil, fmt.Errorf("space: %q: unknown op %q", s, name)
			}
			ops[k] = op
			k++
		}
	}
	return NB201Graph(ops), nil
}
