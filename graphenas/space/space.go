// Package space is what the controller sees and edits: a DAG whose nodes carry one op from a
// vocabulary (or none), the legal single edits of it, and their application. The child network's
// architectures (arch.Arch) are one search space; the NAS-Bench-201 cell (Dong & Yang 2020,
// arXiv:2001.00326) is another, used to measure the controller on a tabular benchmark.
package space

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// NoOp marks a node that carries no op (input, output, and a cell's sum nodes).
const NoOp = -1

// Graph is a DAG of N nodes, edges only from lower to higher index, each node with an op index
// into its space's vocabulary or NoOp.
type Graph struct {
	Ops []int
	adj []bool // adj[i*N+j]
}

// NewGraph returns a graph with the given ops and no edges.
func NewGraph(ops []int) *Graph {
	n := len(ops)
	return &Graph{Ops: append([]int(nil), ops...), adj: make([]bool, n*n)}
}

// N returns the number of nodes.
func (g *Graph) N() int { return len(g.Ops) }

// HasEdge reports whether the edge i → j exists.
func (g *Graph) HasEdge(i, j int) bool {
	return i >= 0 && j < g.N() && i < j && g.adj[i*g.N()+j]
}

// SetEdge sets the edge i → j; it panics unless 0 ≤ i < j < N (a programmer error).
func (g *Graph) SetEdge(i, j int, on bool) {
	if i < 0 || j >= g.N() || i >= j {
		panic(fmt.Sprintf("space: edge %d → %d outside the upper triangle of %d nodes", i, j, g.N()))
	}
	g.adj[i*g.N()+j] = on
}

// InDegree and OutDegree count node i's edges.
func (g *Graph) InDegree(i int) int {
	d := 0
	for k := 0; k < i; k++ {
		if g.adj[k*g.N()+i] {
			d++
		}
	}
	return d
}

// OutDegree counts node i's outgoing edges.
func (g *Graph) OutDegree(i int) int {
	d := 0
	for k := i + 1; k < g.N(); k++ {
		if g.adj[i*g.N()+k] {
			d++
		}
	}
	return d
}

// Clone returns an independent copy.
func (g *Graph) Clone() *Graph {
	return &Graph{Ops: append([]int(nil), g.Ops...), adj: append([]bool(nil), g.adj...)}
}

// Key is a canonical string of the graph, for maps.
func (g *Graph) Key() string {
	var b strings.Builder
	for i, op := range g.Ops {
		fmt.Fprintf(&b, "%d,", op)
		for j := i + 1; j < g.N(); j++ {
			if g.adj[i*g.N()+j] {
				fmt.Fprintf(&b, "%d>%d,", i, j)
			}
		}
	}
	return b.String()
}

// ActionKind says what an action edits.
type ActionKind int

// The two kinds of edit.
const (
	ChangeOp ActionKind = iota // set node Node's op to Op
	SetEdge                    // switch edge From → To on or off
)

// String names the kind for logs.
func (k ActionKind) String() string {
	if k == ChangeOp {
		return "op"
	}
	return "edge"
}

// MarshalJSON writes the kind by name ("op" or "edge"), so step logs read without a key.
func (k ActionKind) MarshalJSON() ([]byte, error) { return json.Marshal(k.String()) }

// UnmarshalJSON reads a kind written by name or as its number.
func (k *ActionKind) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		switch name {
		case "op":
			*k = ChangeOp
		case "edge":
			*k = SetEdge
		default:
			return fmt.Errorf("space: unknown action kind %q (op or edge)", name)
		}
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil || (n != int(ChangeOp) && n != int(SetEdge)) {
		return fmt.Errorf("space: bad action kind %s", b)
	}
	*k = ActionKind(n)
	return nil
}

// Action is one edit of a graph.
type Action struct {
	Kind ActionKind `json:"kind"`
	Node int        `json:"node,omitempty"`
	Op   int        `json:"op,omitempty"`
	From int        `json:"from,omitempty"`
	To   int        `json:"to,omitempty"`
	On   bool       `json:"on,omitempty"`
}

// String describes the action, e.g. "op 2=5" or "edge 1>3 on".
func (a Action) String() string {
	if a.Kind == ChangeOp {
		return fmt.Sprintf("op %d=%d", a.Node, a.Op)
	}
	state := "off"
	if a.On {
		state = "on"
	}
	return fmt.Sprintf("edge %d>%d %s", a.From, a.To, state)
}

// Describe says what the action does with the op names of its space, e.g. "node 2 → dwconv7"
// or "edge 1→3 on".
func (a Action) Describe(opNames []string) string {
	if a.Kind == ChangeOp {
		name := fmt.Sprint(a.Op)
		if a.Op >= 0 && a.Op < len(opNames) {
			name = opNames[a.Op]
		}
		return fmt.Sprintf("node %d → %s", a.Node, name)
	}
	state := "off"
	if a.On {
		state = "on"
	}
	return fmt.Sprintf("edge %d→%d %s", a.From, a.To, state)
}

// Space is a search space: its vocabulary, which nodes and edges may change, and the geometry
// the node features describe.
type Space interface {
	// Name identifies the space, e.g. "supergraph-5" or "nas-bench-201".
	Name() string
	// OpNames is the op vocabulary.
	OpNames() []string
	// MaxNodes bounds N over the space (for the width of the node features' binary codes).
	MaxNodes() int
	// MaxStages bounds the number of resolution stages (at least 1).
	MaxStages() int
	// Stage is node i's resolution stage.
	Stage(g *Graph, i int) int
	// OpNode reports whether node i's op may change.
	OpNode(g *Graph, i int) bool
	// EdgesMutable reports whether edges may be switched at all.
	EdgesMutable() bool
	// Random returns a random member of the space, the starting point of random search,
	// evolution's first population and the loops' first cells (see each space for its law).
	Random(r *rand.Rand) *Graph
}

// LiveSpace is a space whose members may compute less than they hold (the Supergraph space): a
// member without a path from the input to the output ignores its input and can only guess, and
// the nodes off every such path are not computed, so editing them changes nothing.
type LiveSpace interface {
	Space
	// Connected reports whether g has a path from its input to its output.
	Connected(g *Graph) bool
	// Computed is a key of what g computes: two members with the same key compute the same
	// network with the same weights.
	Computed(g *Graph) string
}

// Legal reports whether a is a legal edit of g in sp: an op node set to a valid op different
// from its current one, or an edge i → j (i < j) of a space whose edges change, switched to the
// other state.
func Legal(sp Space, g *Graph, a Action) bool {
	switch a.Kind {
	case ChangeOp:
		return a.Node >= 0 && a.Node < g.N() && sp.OpNode(g, a.Node) &&
			a.Op >= 0 && a.Op < len(sp.OpNames()) && a.Op != g.Ops[a.Node]
	case SetEdge:
		return sp.EdgesMutable() && a.From >= 0 && a.To < g.N() && a.From < a.To && g.HasEdge(a.From, a.To) != a.On
	}
	return false
}

// Apply returns g edited by a, or an error naming what is illegal. g is not modified.
func Apply(sp Space, g *Graph, a Action) (*Graph, error) {
	if !Legal(sp, g, a) {
		return nil, fmt.Errorf("space %s: illegal action %v", sp.Name(), a)
	}
	out := g.Clone()
	if a.Kind == ChangeOp {
		out.Ops[a.Node] = a.Op
	} else {
		out.SetEdge(a.From, a.To, a.On)
	}
	return out, nil
}

// Actions lists every legal edit of g, ops first then edges, in a fixed order.
func Actions(sp Space, g *Graph) []Action {
	var acts []Action
	for i := 0; i < g.N(); i++ {
		if !sp.OpNode(g, i) {
			continue
		}
		for op := range sp.OpNames() {
			if a := (Action{Kind: ChangeOp, Node: i, Op: op}); Legal(sp, g, a) {
				acts = append(acts, a)
			}
		}
	}
	if sp.EdgesMutable() {
		for i := 0; i < g.N(); i++ {
			for j := i + 1; j < g.N(); j++ {
				acts = append(acts, Action{Kind: SetEdge, From: i, To: j, On: !g.HasEdge(i, j)})
			}
		}
	}
	return acts
}
