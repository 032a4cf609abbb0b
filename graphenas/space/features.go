package space

import (
	"fmt"
	"math/bits"
)

// FeatureWidth returns the width of a node's feature vector in sp (graphenas/DESIGN.md §3):
// 2 flags + one-hot op + two binary codes of ⌈log2 MaxNodes⌉ bits + two one-hot stages + 2 degrees.
func FeatureWidth(sp Space) int {
	return 2 + len(sp.OpNames()) + 2*codeBits(sp.MaxNodes()) + 2*sp.MaxStages() + 2
}

// codeBits is ⌈log2 n⌉, at least 1.
func codeBits(n int) int {
	if n <= 2 {
		return 1
	}
	return bits.Len(uint(n - 1))
}

// Features returns the node features of g, row-major [N, FeatureWidth(sp)]. This is the one place
// they are computed. Per node i of N: input flag (i = 0); output flag (i = N−1); one-hot op
// (all zero for a node without op); binary code of i and of N−1−i (least significant bit first);
// one-hot stage s(i) and reverse stage s(N−1)−s(i); out-degree and in-degree, divided by
// MaxNodes−1 so they stay in [0, 1].
func Features(sp Space, g *Graph) []float32 {
	n, w := g.N(), FeatureWidth(sp)
	nOps, nBits, nStages := len(sp.OpNames()), codeBits(sp.MaxNodes()), sp.MaxStages()
	scale := 1 / float32(max(sp.MaxNodes()-1, 1))
	f := make([]float32, n*w)
	last := sp.Stage(g, n-1)
	for i := 0; i < n; i++ {
		row := f[i*w : (i+1)*w]
		k := 0
		if i == 0 {
			row[k] = 1
		}
		if i == n-1 {
			row[k+1] = 1
		}
		k += 2
		if op := g.Ops[i]; op >= 0 {
			row[k+op] = 1
		}
		k += nOps
		for b := 0; b < nBits; b++ {
			row[k+b] = float32((i >> b) & 1)
			row[k+nBits+b] = float32(((n - 1 - i) >> b) & 1)
		}
		k += 2 * nBits
		s := sp.Stage(g, i)
		row[k+s] = 1
		row[k+nStages+last-s] = 1
		k += 2 * nStages
		row[k] = float32(g.OutDegree(i)) * scale
		row[k+1] = float32(g.InDegree(i)) * scale
	}
	return f
}

// MeanAdjacency returns the row-normalised adjacency matrices the controller's GraphSAGE layers
// aggregate with, [N][N]: pred[i][j] = 1/indeg(i) when j → i, and succ[i][j] = 1/outdeg(i) when
// i → j; so pred·h is the mean of a node's predecessors' embeddings, succ·h of its successors'.
func MeanAdjacency(g *Graph) (pred, succ [][]float64) {
	n := g.N()
	pred, succ = make([][]float64, n), make([][]float64, n)
	for i := 0; i < n; i++ {
		pred[i], succ[i] = make([]float64, n), make([]float64, n)
		in, out := g.InDegree(i), g.OutDegree(i)
		for j := 0; j < n; j++ {
			if g.HasEdge(j, i) {
				pred[i][j] = 1 / float64(in)
			}
			if g.HasEdge(i, j) {
				succ[i][j] = 1 / float64(out)
			}
		}
	}
	return pred, succ
}

// FeatureNames names the columns of Features, in order, e.g. "input", "op=conv3", "index bit 0",
// "stage 1", "out-degree".
func FeatureNames(sp Space) []string {
	names := []string{"input", "output"}
	for _, op := range sp.OpNames() {
		names = append(names, "op="+op)
	}
	nBits := codeBits(sp.MaxNodes())
	for b := 0; b < nBits; b++ {
		names = append(names, fmt.Sprintf("index bit %d", b))
	}
	for b := 0; b < nBits; b++ {
		names = append(names, fmt.Sprintf("rev. index bit %d", b))
	}
	for s := 0; s < sp.MaxStages(); s++ {
		names = append(names, fmt.Sprintf("stage %d", s))
	}
	for s := 0; s < sp.MaxStages(); s++ {
		names = append(names, fmt.Sprintf("rev. stage %d", s))
	}
	return append(names, "out-degree", "in-degree")
}
