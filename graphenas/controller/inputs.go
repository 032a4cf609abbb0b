package controller

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph-building code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/graphenas/graphenas/graphenas/space"
)

// graphArgs are a batch of T graphs of N nodes as the networks read them: feats [T, N, F];
// pred, succ, adj [T, N, N] (row-normalised predecessor and successor adjacency, and the plain
// one); and the masks of legal choices, mKind [T, 2], mNode [T, N], mOp [T, N, nOps], mSrc [T, N],
// mDst [T, N, N] (see maskedLogSoftmax). V is *tensors.Tensor on the host, *Node in a graph.
type graphArgs[V any] struct {
	Feats, Pred, Succ, Adj        V
	MKind, MNode, MOp, MSrc, MDst V
}

// The three networks' inputs, named. Each has one list, the order of the executable's
// parameters, and its inverse: both written here, next to each other, and checked against each
// other by TestArgsRoundTrip.

// policyArgs are the actor's inputs: a batch of graphs, the distance codes of node pairs
// [N, N, bits] and the inverse temperature β (a scalar).
type policyArgs[V any] struct {
	Graphs graphArgs[V]
	Dist   V
	Beta   V
}

func (a policyArgs[V]) list() []V {
	g := a.Graphs
	return []V{g.Feats, g.Pred, g.Succ, g.Adj, g.MKind, g.MNode, g.MOp, g.MSrc, g.MDst, a.Dist, a.Beta}
}

func policyArgsOf[V any](l []V) policyArgs[V] {
	return policyArgs[V]{Graphs: graphArgs[V]{l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7], l[8]}, Dist: l[9], Beta: l[10]}
}

// criticArgs are the critic's inputs: the graphs before and after each edit (features and
// normalised adjacencies).
type criticArgs[V any] struct {
	BeforeFeats, BeforePred, BeforeSucc V
	AfterFeats, AfterPred, AfterSucc    V
}

func (a criticArgs[V]) list() []V {
	return []V{a.BeforeFeats, a.BeforePred, a.BeforeSucc, a.AfterFeats, a.AfterPred, a.AfterSucc}
}

func criticArgsOf[V any](l []V) criticArgs[V] {
	return criticArgs[V]{l[0], l[1], l[2], l[3], l[4], l[5]}
}

// trainArgs are the training step's inputs, one row per transition: the graphs before (for the
// encoder, critic and actor) and after (for the critic), the taken action as one-hots of its
// factors (kind [T, 2], node [T, N], op [T, nOps], src [T, N], dst [T, N]), the returns in the
// critic's units [T], the critic's and actor's weight of each row [T], the baseline and entropy
// bonus (scalars), the critic's mean for every legal edit (qOp [T, N, nOps], qDst [T, N, N]) and
// whether the actor uses them (AllActions, a scalar 0 or 1).
type trainArgs[V any] struct {
	Before                              graphArgs[V]
	Dist                                V
	AfterFeats, AfterPred, AfterSucc    V
	KindOH, NodeOH, OpOH, SrcOH, DstOH  V
	Returns, CriticWeights, ActorWeight V
	Baseline, EntropyBonus              V
	QOp, QDst, AllActions               V
}

func (a trainArgs[V]) list() []V {
	g := a.Before
	return []V{g.Feats, g.Pred, g.Succ, g.Adj, g.MKind, g.MNode, g.MOp, g.MSrc, g.MDst, a.Dist,
		a.AfterFeats, a.AfterPred, a.AfterSucc,
		a.KindOH, a.NodeOH, a.OpOH, a.SrcOH, a.DstOH,
		a.Returns, a.CriticWeights, a.ActorWeight, a.Baseline, a.EntropyBonus,
		a.QOp, a.QDst, a.AllActions}
}

func trainArgsOf[V any](l []V) trainArgs[V] {
	return trainArgs[V]{Before: graphArgs[V]{l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7], l[8]}, Dist: l[9],
		AfterFeats: l[10], AfterPred: l[11], AfterSucc: l[12],
		KindOH: l[13], NodeOH: l[14], OpOH: l[15], SrcOH: l[16], DstOH: l[17],
		Returns: l[18], CriticWeights: l[19], ActorWeight: l[20], Baseline: l[21], EntropyBonus: l[22],
		QOp: l[23], QDst: l[24], AllActions: l[25]}
}

// anys turns a list of host values into Exec's arguments.
func anys[V any](l []V) []any {
	out := make([]any, len(l))
	for i, v := range l {
		out[i] = v
	}
	return out
}

// graphInputs builds the network inputs of graphs (all of the space's MaxNodes nodes).
func (c *Controller) graphInputs(graphs []*space.Graph) graphArgs[*tensors.Tensor] {
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
		for _, a := range space.Actions(c.sp, g) {
			if a.Kind == space.ChangeOp {
				mOp[(b*n+a.Node)*k+a.Op] = 1
				mNode[b*n+a.Node]++
				mKind[b*2]++
			} else {
				mDst[base+a.From*n+a.To] = 1
				mSrc[b*n+a.From]++
				mKind[b*2+1]++
			}
		}
	}
	tens := func(v []float32, dims ...int) *tensors.Tensor { return tensors.FromFlatDataAndDimensions(v, dims...) }
	return graphArgs[*tensors.Tensor]{Feats: tens(feats, t, n, f), Pred: tens(pred, t, n, n), Succ: tens(succ, t, n, n), Adj: tens(adj, t, n, n),
		MKind: tens(mKind, t, 2), MNode: tens(mNode, t, n), MOp: tens(mOp, t, n, k), MSrc: tens(mSrc, t, n), MDst: tens(mDst, t, n, n)}
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

// anyGraphs turns a batch of graphs' tensors into Exec arguments.
func anyGraphs(g graphArgs[*tensors.Tensor]) graphArgs[any] {
	return graphArgs[any]{g.Feats, g.Pred, g.Succ, g.Adj, g.MKind, g.MNode, g.MOp, g.MSrc, g.MDst}
}

// masksOf returns the masks of a batch of graphs in the networks' form.
func masksOf(g graphArgs[*Node]) masks {
	return masks{kind: g.MKind, node: g.MNode, op: g.MOp, src: g.MSrc, dst: g.MDst}
}

// criticInputs are the critic's Exec arguments for moves from the graphs of b to those of a.
func (c *Controller) criticInputs(b, a graphArgs[*tensors.Tensor]) []any {
	return anys(criticArgs[any]{b.Feats, b.Pred, b.Succ, a.Feats, a.Pred, a.Succ}.list())
}
