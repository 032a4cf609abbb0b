package controller

import (
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/graphenas/graphenas/graphenas/space"
)

// inputs are the tensors describing a batch of graphs to the networks.
type inputs struct {
	feats, pred, succ, adj        *tensors.Tensor
	mKind, mNode, mOp, mSrc, mDst *tensors.Tensor
}

// graphInputs builds the network inputs of graphs (all of the space's MaxNodes nodes).
func (c *Controller) graphInputs(graphs []*space.Graph) inputs {
	t, n, f, k := len(graphs), c.sp.MaxNodes(), space.FeatureWidth(c.sp), c.cfg.NumOps
	feats := make([]float32, 0, t*n*f)
	pred, succ, adj := make([]float32, t*n*n), make([]float32, t*n*n), make([]float32, t*n*n)
	mKind, mNode, mOp := make([]float32, t*2), make([]float32, t*n), make([]float32, t*n*k)
	mSrc, mDst := make([]float32, t*n), make([]float32, t*n*n)
	for b, g := range graphs {
		if g.N() != n {
			panic("controller: every graph of a space has MaxNodes nodes") // spaces guarantee it
		}
		feats = append(feats, space.Features(c.sp, g)...)
		base := b * n * n
		p, s := space.MeanAdjacency(g)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				pred[base+i*n+j], succ[base+i*n+j] = float32(p[i][j]), float32(s[i][j])
				if g.HasEdge(i, j) {
					adj[base+i*n+j] = 1
				}
			}
		}
		// Each mask entry counts the legal actions behind the choice (see maskedLogSoftmax).
		for i := 0; i < n; i++ {
			if !c.sp.OpNode(g, i) {
				continue
			}
			for op := 0; op < k; op++ {
				if op != g.Ops[i] {
					mOp[(b*n+i)*k+op] = 1
					mNode[b*n+i]++
					mKind[b*2]++
				}
			}
		}
		if c.sp.EdgesMutable() {
			for i := 0; i+1 < n; i++ {
				for j := i + 1; j < n; j++ {
					mDst[base+i*n+j] = 1
					mSrc[b*n+i]++
					mKind[b*2+1]++
				}
			}
		}
	}
	tens := func(v []float32, dims ...int) *tensors.Tensor { return tensors.FromFlatDataAndDimensions(v, dims...) }
	return inputs{feats: tens(feats, t, n, f), pred: tens(pred, t, n, n), succ: tens(succ, t, n, n), adj: tens(adj, t, n, n),
		mKind: tens(mKind, t, 2), mNode: tens(mNode, t, n), mOp: tens(mOp, t, n, k), mSrc: tens(mSrc, t, n), mDst: tens(mDst, t, n, n)}
}

// distanceCodes returns, for every pair i < j of n nodes, the binary code of j − i
// (least significant bit first): [n, n, bits].
func distanceCodes(n int) *tensors.Tensor {
	bits := 1
	for (1 << bits) < n {
		bits++
	}
	v := make([]float32, n*n*bits)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			for b := 0; b < bits; b++ {
				v[(i*n+j)*bits+b] = float32(((j - i) >> b) & 1)
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(v, n, n, bits)
}

// Tables are the actor's log-probabilities for one graph: Kind [2], Node [N], Op [N·nOps],
// Src [N], Dst [N·N]. An action's probability is the product along its path:
// p(kind) · p(node) · p(op | node) for an op change, p(kind) · p(src) · p(dst | src) for an edge.
type Tables struct {
	n, nOps                  int
	Kind, Node, Op, Src, Dst []float32
}

// LogProb returns log π(a).
func (t *Tables) LogProb(a space.Action) float64 {
	if a.Kind == space.ChangeOp {
		return float64(t.Kind[0]) + float64(t.Node[a.Node]) + float64(t.Op[a.Node*t.nOps+a.Op])
	}
	return float64(t.Kind[1]) + float64(t.Src[a.From]) + float64(t.Dst[a.From*t.n+a.To])
}

// Sample draws an action and returns it with its log-probability.
func (t *Tables) Sample(r *rand.Rand) (space.Action, float64) {
	var a space.Action
	if draw(t.Kind, r) == 0 {
		a.Kind = space.ChangeOp
		a.Node = draw(t.Node, r)
		a.Op = draw(t.Op[a.Node*t.nOps:(a.Node+1)*t.nOps], r)
	} else {
		a.Kind = space.SetEdge
		a.From = draw(t.Src, r)
		a.To = draw(t.Dst[a.From*t.n:(a.From+1)*t.n], r)
	}
	return a, t.LogProb(a)
}

// draw samples an index from log-probabilities.
func draw(logp []float32, r *rand.Rand) int {
	u := r.Float64()
	acc := 0.0
	last := 0
	for i, l := range logp {
		p := math.Exp(float64(l))
		if p == 0 {
			continue
		}
		last = i
		acc += p
		if u < acc {
			return i
		}
	}
	return last // rounding: the last index with non-zero probability
}

// ActionProbabilities returns every legal edit of g with its probability under the actor at
// inverse temperature beta (they sum to one).
func (c *Controller) ActionProbabilities(g *space.Graph, beta float64) ([]space.Action, []float64, error) {
	t, err := c.Tables(g, beta)
	if err != nil {
		return nil, nil, err
	}
	acts := space.Actions(c.sp, g)
	probs := make([]float64, len(acts))
	for i, a := range acts {
		probs[i] = math.Exp(t.LogProb(a))
	}
	return acts, probs, nil
}
