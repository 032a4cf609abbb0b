package arch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Limits on the number of nodes.
const (
	MinNodes = 2
	MaxNodes = 64
)

// Arch is one architecture: N nodes, one Op per middle node, and edges i → j with i < j. Its zero
// value is not usable; make one with New, Parse, Random or by unmarshalling JSON.
type Arch struct {
	ops []Op   // ops[0] and ops[N-1] are NoOp.
	adj []bool // adj[i*N+j]: edge i → j.
}

// New returns an architecture of n nodes with no edges and every middle node set to op.
// It panics when n is out of [MinNodes, MaxNodes] or op is not valid: both are programmer errors.
func New(n int, op Op) *Arch {
	if n < MinNodes || n > MaxNodes {
		panic(fmt.Sprintf("arch.New: %d nodes, want %d..%d", n, MinNodes, MaxNodes))
	}
	if !op.Valid() {
		panic(fmt.Sprintf("arch.New: invalid op %d", op))
	}
	a := &Arch{ops: make([]Op, n), adj: make([]bool, n*n)}
	for i := range a.ops {
		a.ops[i] = op
	}
	a.ops[0], a.ops[n-1] = NoOp, NoOp
	return a
}

// Chain returns New(n, op) with the edges 0 → 1 → … → n−1.
func Chain(n int, op Op) *Arch {
	a := New(n, op)
	for i := 0; i+1 < n; i++ {
		a.SetEdge(i, i+1, true)
	}
	return a
}

// Random returns an architecture of n nodes with uniformly random ops and each possible edge
// present with probability edgeProb, drawn from r.
func Random(n int, edgeProb float64, r *rand.Rand) *Arch {
	a := New(n, Conv3x3)
	for i := 1; i < n-1; i++ {
		a.ops[i] = Op(r.IntN(NumOps))
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			a.adj[i*n+j] = r.Float64() < edgeProb
		}
	}
	return a
}

// RandomConnected is Random drawn again until a path leads from the input to the output
// (Connected), as a baseline architecture should: one that ignores its input is no baseline.
func RandomConnected(n int, edgeProb float64, r *rand.Rand) *Arch {
	for {
		if a := Random(n, edgeProb, r); a.Connected() {
			return a
		}
	}
}

// N returns the number of nodes.
func (a *Arch) N() int { return len(a.ops) }

// Op returns node i's op (NoOp for the input and output nodes).
func (a *Arch) Op(i int) Op { return a.ops[i] }

// SetOp sets middle node i's op. It panics for the input or output node or an invalid op.
func (a *Arch) SetOp(i int, op Op) {
	if i <= 0 || i >= a.N()-1 || !op.Valid() {
		panic(fmt.Sprintf("arch.SetOp(%d, %v): only middle nodes 1..%d take one of the %d ops", i, op, a.N()-2, NumOps))
	}
	a.ops[i] = op
}

// HasEdge reports whether the edge i → j is present.
func (a *Arch) HasEdge(i, j int) bool {
	if i < 0 || j >= a.N() || i >= j {
		return false
	}
	return a.adj[i*a.N()+j]
}

// SetEdge switches the edge i → j on or off. It panics unless 0 ≤ i < j < N.
func (a *Arch) SetEdge(i, j int, on bool) {
	if i < 0 || j >= a.N() || i >= j {
		panic(fmt.Sprintf("arch.SetEdge(%d, %d): edges go from a lower to a higher node of 0..%d", i, j, a.N()-1))
	}
	a.adj[i*a.N()+j] = on
}

// Edges returns the edges sorted by source, then destination.
func (a *Arch) Edges() [][2]int {
	var e [][2]int
	n := a.N()
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if a.adj[i*n+j] {
				e = append(e, [2]int{i, j})
			}
		}
	}
	return e
}

// Inputs returns the sources of the edges into node j, in increasing order.
func (a *Arch) Inputs(j int) []int {
	var in []int
	for i := 0; i < j; i++ {
		if a.adj[i*a.N()+j] {
			in = append(in, i)
		}
	}
	return in
}

// OutDegree and InDegree count node i's outgoing and incoming edges.
func (a *Arch) OutDegree(i int) int {
	d := 0
	for j := i + 1; j < a.N(); j++ {
		if a.adj[i*a.N()+j] {
			d++
		}
	}
	return d
}

// InDegree counts node i's incoming edges.
func (a *Arch) InDegree(i int) int { return len(a.Inputs(i)) }

// Ancestors returns, for every node, whether the output node depends on it (the output itself
// included). Only these nodes are computed by the child network.
func (a *Arch) Ancestors() []bool {
	n := a.N()
	used := make([]bool, n)
	used[n-1] = true
	for j := n - 1; j >= 0; j-- {
		if !used[j] {
			continue
		}
		for i := 0; i < j; i++ {
			if a.adj[i*n+j] {
				used[i] = true
			}
		}
	}
	return used
}

// Live returns, for every node, whether it lies on a path from the input (node 0) to the output
// (node N−1); the input and the output are always live. Only live nodes are computed by the child
// network: a node the input does not reach would see a constant, and one that does not reach the
// output changes nothing.
func (a *Arch) Live() []bool {
	n := a.N()
	fromInput := make([]bool, n)
	fromInput[0] = true
	for j := 1; j < n; j++ {
		for i := 0; i < j && !fromInput[j]; i++ {
			fromInput[j] = fromInput[i] && a.adj[i*n+j]
		}
	}
	live := a.Ancestors()
	for i := 1; i < n-1; i++ {
		live[i] = live[i] && fromInput[i]
	}
	live[0] = true
	return live
}

// Connected reports whether a path leads from the input (node 0) to the output (node N−1). A
// network without one ignores its input: it can only guess. The search space contains such
// architectures (an edit may disconnect the output), but training one on purpose is a mistake.
func (a *Arch) Connected() bool {
	return len(a.LiveInputs(a.N()-1)) > 0
}

// Computed returns the text form (String) of what the child network computes for a: its live
// nodes (Live) with their ops and the edges between them; every other node is written "-" and its
// edges are left out. Two architectures with the same Computed compute the same function with the
// same shared weights, so an edit that leaves it unchanged (the op of a node off every path, an
// edge between such nodes) changes nothing a search could measure. Every architecture without a
// path from input to output computes "1:- 2:- … |", a guess.
func (a *Arch) Computed() string {
	live := a.Live()
	n := a.N()
	var b strings.Builder
	for i := 1; i < n-1; i++ {
		if i > 1 {
			b.WriteByte(' ')
		}
		if live[i] {
			fmt.Fprintf(&b, "%d:%s", i, a.ops[i])
		} else {
			fmt.Fprintf(&b, "%d:-", i)
		}
	}
	b.WriteString(" |")
	for _, e := range a.Edges() {
		if live[e[0]] && live[e[1]] {
			fmt.Fprintf(&b, " %d>%d", e[0], e[1])
		}
	}
	return b.String()
}

// LiveInputs returns the live nodes with an edge into node j.
func (a *Arch) LiveInputs(j int) []int {
	live := a.Live()
	var in []int
	for _, i := range a.Inputs(j) {
		if live[i] {
			in = append(in, i)
		}
	}
	return in
}

// Clone returns an independent copy.
func (a *Arch) Clone() *Arch {
	return &Arch{ops: append([]Op(nil), a.ops...), adj: append([]bool(nil), a.adj...)}
}

// Equal reports whether a and b are the same architecture.
func (a *Arch) Equal(b *Arch) bool { return a.String() == b.String() }

// Validate checks everything an Arch must satisfy, and says what is wrong.
func (a *Arch) Validate() error {
	if a == nil || len(a.ops) == 0 {
		return fmt.Errorf("arch: empty architecture")
	}
	n := len(a.ops)
	if n < MinNodes || n > MaxNodes {
		return fmt.Errorf("arch: %d nodes, want %d..%d", n, MinNodes, MaxNodes)
	}
	if len(a.adj) != n*n {
		return fmt.Errorf("arch: adjacency has %d entries for %d nodes", len(a.adj), n)
	}
	if a.ops[0] != NoOp || a.ops[n-1] != NoOp {
		return fmt.Errorf("arch: the input node 0 and the output node %d carry no op (got %v and %v)", n-1, a.ops[0], a.ops[n-1])
	}
	for i := 1; i < n-1; i++ {
		if !a.ops[i].Valid() {
			return fmt.Errorf("arch: node %d has op %d, out of range 0..%d", i, int(a.ops[i]), NumOps-1)
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			if a.adj[i*n+j] {
				return fmt.Errorf("arch: edge %d → %d goes backwards; edges go from a lower to a higher node", i, j)
			}
		}
	}
	return nil
}

// String returns the compact text form used in logs, e.g.
// "1:dwconv7 2:maxpool7 3:conv3 | 0>1 0>2 0>3 1>2 1>4 2>3 2>4 3>4". It is canonical: two
// architectures are equal exactly when their strings are.
func (a *Arch) String() string {
	var b strings.Builder
	for i := 1; i < a.N()-1; i++ {
		if i > 1 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d:%s", i, a.ops[i])
	}
	b.WriteString(" |")
	for _, e := range a.Edges() {
		fmt.Fprintf(&b, " %d>%d", e[0], e[1])
	}
	if a.N() == 2 {
		return "n=2" + b.String()
	}
	return b.String()
}

// Parse reads the text form written by String. The number of nodes is one more than the highest
// node named; a two-node architecture is written "n=2 | 0>1".
func Parse(s string) (*Arch, error) {
	opsPart, edgesPart, ok := strings.Cut(s, "|")
	if !ok {
		return nil, fmt.Errorf("arch: %q: want \"<ops> | <edges>\"", s)
	}
	ops := map[int]Op{}
	n, count := 0, -1 // count: the n=<nodes> item, when given
	for _, f := range strings.Fields(opsPart) {
		if strings.HasPrefix(f, "n=") {
			v, err := strconv.Atoi(f[2:])
			if err != nil || v < MinNodes || v > MaxNodes {
				return nil, fmt.Errorf("arch: %q: bad node count %q, want n=%d..%d", s, f, MinNodes, MaxNodes)
			}
			if count >= 0 {
				return nil, fmt.Errorf("arch: %q: the node count is given twice", s)
			}
			count = v
			n = max(n, v)
			continue
		}
		idx, name, ok := strings.Cut(f, ":")
		i, err := strconv.Atoi(idx)
		if !ok || err != nil {
			return nil, fmt.Errorf("arch: %q: bad op item %q, want <node>:<op>", s, f)
		}
		if _, dup := ops[i]; dup {
			return nil, fmt.Errorf("arch: %q: node %d is given two ops", s, i)
		}
		op, err := ParseOp(name)
		if err != nil {
			return nil, err
		}
		ops[i] = op
		n = max(n, i+2)
	}
	var edges [][2]int
	seen := map[[2]int]bool{}
	for _, f := range strings.Fields(edgesPart) {
		si, sj, ok := strings.Cut(f, ">")
		i, err1 := strconv.Atoi(si)
		j, err2 := strconv.Atoi(sj)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("arch: %q: bad edge %q, want <from>><to>", s, f)
		}
		if seen[[2]int{i, j}] {
			return nil, fmt.Errorf("arch: %q: edge %d>%d is listed twice", s, i, j)
		}
		seen[[2]int{i, j}] = true
		edges = append(edges, [2]int{i, j})
		n = max(n, j+1)
	}
	if count >= 0 && n > count {
		return nil, fmt.Errorf("arch: %q: n=%d, but its ops and edges name node %d", s, count, n-1)
	}
	return fromParts(n, ops, edges)
}

// fromParts builds and validates an architecture from its node count, middle ops and edges.
func fromParts(n int, ops map[int]Op, edges [][2]int) (*Arch, error) {
	if n < MinNodes || n > MaxNodes {
		return nil, fmt.Errorf("arch: %d nodes, want %d..%d", n, MinNodes, MaxNodes)
	}
	a := &Arch{ops: make([]Op, n), adj: make([]bool, n*n)}
	a.ops[0], a.ops[n-1] = NoOp, NoOp
	for i := 1; i < n-1; i++ {
		op, ok := ops[i]
		if !ok {
			return nil, fmt.Errorf("arch: middle node %d has no op", i)
		}
		a.ops[i] = op
	}
	for i, op := range ops {
		if (i == 0 || i == n-1) && op != NoOp {
			return nil, fmt.Errorf("arch: the input and output nodes carry no op, node %d has %v", i, op)
		}
		if i < 0 || i >= n {
			return nil, fmt.Errorf("arch: op for node %d outside 0..%d", i, n-1)
		}
	}
	for _, e := range edges {
		if e[0] < 0 || e[1] >= n || e[0] >= e[1] {
			return nil, fmt.Errorf("arch: edge %d → %d: edges go from a lower to a higher node of 0..%d", e[0], e[1], n-1)
		}
		a.adj[e[0]*n+e[1]] = true
	}
	return a, a.Validate()
}

// archJSON is the canonical JSON form: {"nodes":5,"ops":["none","dwconv7",…,"none"],"edges":[[0,1],…]}.
type archJSON struct {
	Nodes int      `json:"nodes"`
	Ops   []Op     `json:"ops"`
	Edges [][2]int `json:"edges"`
}

// MarshalJSON writes the canonical JSON form.
func (a *Arch) MarshalJSON() ([]byte, error) {
	edges := a.Edges()
	if edges == nil {
		edges = [][2]int{}
	}
	return json.Marshal(archJSON{Nodes: a.N(), Ops: a.ops, Edges: edges})
}

// UnmarshalJSON reads the canonical JSON form and validates it.
func (a *Arch) UnmarshalJSON(b []byte) error {
	var j archJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("arch: %w", err)
	}
	if len(j.Ops) != j.Nodes {
		return fmt.Errorf("arch: %d ops for %d nodes", len(j.Ops), j.Nodes)
	}
	ops := map[int]Op{}
	for i, op := range j.Ops {
		ops[i] = op
	}
	parsed, err := fromParts(j.Nodes, ops, j.Edges)
	if err != nil {
		return err
	}
	*a = *parsed
	return nil
}

// Key returns a short stable hash of the architecture, for caches and file names.
func (a *Arch) Key() string {
	sum := sha256.Sum256([]byte(a.String()))
	return hex.EncodeToString(sum[:8])
}

// OpCounts returns how many middle nodes use each op, indexed by Op.
func (a *Arch) OpCounts() []int {
	counts := make([]int, NumOps)
	for i := 1; i < a.N()-1; i++ {
		counts[a.ops[i]]++
	}
	return counts
}
