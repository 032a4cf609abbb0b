package controller

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph-building code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/graphenas/graphenas/graphenas/activation"
)

// The controller's networks, GoMLX graphs over a batch of T graphs of N nodes with F features.
// Shapes: feats [T, N, F]; pred, succ [T, N, N] (row-normalised adjacency: pred[t,i,j] = 1/indeg(i)
// when j → i, succ[t,i,j] = 1/outdeg(i) when i → j).

// dense is a linear layer with bias in its own scope. At, not In: the encoder is built twice in
// one graph (the graphs before and after an edit) over the same weights.
func dense(scope *model.Scope, name string, x *Node, out int) *Node {
	return layers.Dense(scope.At("%s", name), x, true, out)
}

// encode embeds every node: a feature MLP, then GraphSAGE-style layers (Hamilton et al. 2017,
// arXiv:1706.02216) that aggregate predecessors and successors separately, each with a skip link.
// [T, N, F] → [T, N, D].
func encode(scope *model.Scope, cfg Config, feats, pred, succ *Node) *Node {
	scope = scope.At("encoder")
	h := activation.FuzzyReLU(dense(scope, "features", feats, cfg.Hidden)) // [T, N, D]
	for l := 0; l < cfg.Layers; l++ {
		c := scope.At("sage_%d", l)
		fromPred := Einsum("tij,tjd->tid", pred, dense(c, "pred", h, cfg.Hidden)) // mean over predecessors
		fromSucc := Einsum("tij,tjd->tid", succ, dense(c, "succ", h, cfg.Hidden)) // mean over successors
		self := dense(c, "self", h, cfg.Hidden)
		h = Add(h, activation.FuzzyReLU(dense(c, "mix", Concatenate([]*Node{fromPred, fromSucc, self}, -1), cfg.Hidden)))
	}
	return h
}

// policyHeads are the actor's log-probability tables for every factor of an action, each a
// log-softmax over its legal choices (−∞ elsewhere), at inverse temperature beta:
//
//	kind [T, 2]  change an op, or switch an edge
//	node [T, N]  which node's op        op  [T, N, nOps] its new op
//	src  [T, N]  the edge's source      dst [T, N, N]     its destination, given the source
type policyHeads struct {
	kind, node, op, src, dst *Node
}

// masks are, for every choice, the number of legal actions it leads to (0 where illegal):
// kind [T, 2], node [T, N], op [T, N, nOps], src [T, N], dst [T, N, N].
type masks struct {
	kind, node, op, src, dst *Node
}

// maskedLogSoftmax is log-softmax over axis of beta·logits + log(mask), restricted to mask > 0.
// The mask holds, for each legal choice, the number of complete actions behind it (1 for a leaf
// choice), so at beta = 0 the whole hierarchical action is uniform over the legal actions.
// Illegal entries get a logit of −1e9: their probability is exactly 0 in float32 and no −∞ can
// turn a gradient into NaN. A row without any legal entry comes out uniform; it is never sampled.
func maskedLogSoftmax(logits, mask, beta *Node, axis int) *Node {
	legal := GreaterThan(mask, ScalarZero(logits.Graph(), mask.DType()))
	prior := Log(Max(mask, ScalarOne(logits.Graph(), mask.DType()))) // log(count); 0 where illegal
	scaled := Add(Mul(logits, beta), prior)
	masked := Where(legal, scaled, BroadcastToShape(ConstAs(scaled, -1e9), scaled.Shape()))
	shifted := Sub(masked, StopGradient(ReduceAndKeep(masked, ReduceMax, axis)))
	return Sub(shifted, Log(ReduceAndKeep(Exp(shifted), ReduceSum, axis)))
}

// policy computes the actor's tables from node embeddings h [T, N, D] and features.
func policy(scope *model.Scope, cfg Config, h, feats, adj *Node, m masks, beta *Node, distCode *Node) policyHeads {
	scope = scope.At("actor")
	t, n := h.Shape().Dimensions[0], h.Shape().Dimensions[1]
	pooled := ReduceMean(h, 1) // [T, D]
	kind := dense(scope, "kind", activation.FuzzyReLU(dense(scope, "kind_hidden", pooled, cfg.Hidden)), 2)
	node := Reshape(dense(scope, "node", h, 1), t, n)
	hf := Concatenate([]*Node{h, feats}, -1)
	op := dense(scope, "op", activation.FuzzyReLU(dense(scope, "op_hidden", hf, cfg.Hidden)), cfg.NumOps)
	src := Reshape(dense(scope, "src", h, 1), t, n)
	// Destination given source: an MLP on both endpoints, their distance (binary code of j − i)
	// and the current edge bit. [T, N, N, 2D + bits + 1]
	d := h.Shape().Dimensions[2]
	hi := BroadcastToDims(Reshape(h, t, n, 1, d), t, n, n, d)
	hj := BroadcastToDims(Reshape(h, t, 1, n, d), t, n, n, d)
	bits := distCode.Shape().Dimensions[2]
	dist := BroadcastToDims(Reshape(distCode, 1, n, n, bits), t, n, n, bits)
	pair := Concatenate([]*Node{hi, hj, dist, Reshape(adj, t, n, n, 1)}, -1)
	dst := Reshape(dense(scope, "dst", activation.FuzzyReLU(dense(scope, "dst_hidden", pair, cfg.Hidden)), 1), t, n, n)
	return policyHeads{
		kind: maskedLogSoftmax(kind, m.kind, beta, 1),
		node: maskedLogSoftmax(node, m.node, beta, 1),
		op:   maskedLogSoftmax(op, m.op, beta, 2),
		src:  maskedLogSoftmax(src, m.src, beta, 1),
		dst:  maskedLogSoftmax(dst, m.dst, beta, 2),
	}
}

// critic predicts the mean and standard deviation of the return of moving from the graph
// embedded as hBefore (features fBefore) to the one embedded as hAfter: [T] and [T]. Both graphs
// have the same nodes, so besides each graph's mean embedding it sees the edit itself: the summed
// change of the embeddings and of the raw features (which, for an op change, is the op swapped).
func critic(scope *model.Scope, cfg Config, hBefore, hAfter, fBefore, fAfter *Node) (mean, std *Node) {
	scope = scope.At("critic")
	b, a := ReduceMean(hBefore, 1), ReduceMean(hAfter, 1) // [T, D]
	z := Concatenate([]*Node{b, a, ReduceSum(Sub(hAfter, hBefore), 1), ReduceSum(Sub(fAfter, fBefore), 1)}, -1)
	z = activation.FuzzyReLU(dense(scope, "hidden_1", z, cfg.Hidden))
	z = activation.FuzzyReLU(dense(scope, "hidden_2", z, cfg.Hidden))
	t := z.Shape().Dimensions[0]
	mean = Reshape(dense(scope, "mean", z, 1), t)
	std = AddScalar(Softplus(Reshape(dense(scope, "std", z, 1), t)), 1e-3)
	return mean, std
}
