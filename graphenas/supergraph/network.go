package supergraph

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // graph-building code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gopjrt/dtypes"

	"github.com/graphenas/graphenas/graphenas/arch"
)

// The child network of one architecture (DESIGN.md §2), built as a GoMLX graph over the shared
// weights. Shapes are for the default configuration on Fashion-MNIST (B=64, 28×28×1, C=20, L=4).

// network builds one architecture's graph over the weights in ctx. With a tape it is the
// training graph (batch statistics, backward recorded); without, the inference graph.
type network struct {
	cfg  Config
	ctx  *context.Context
	g    *Graph
	tape *tape // nil for inference.

	// used maps each weight variable read by the graph to its value node, for the update.
	used map[*context.Variable]*Node
	// bnStats collects (running mean, running var, batch mean, batch var) per batch-norm.
	bnStats []bnStat
}

type bnStat struct {
	runMean, runVar *context.Variable
	mean, variance  *Node
	count           int
}

// param returns the value node of the shared weight scope/name, recording it as used.
func (n *network) param(scope, name string) *Node {
	v := n.ctx.InspectVariable(scope, name)
	if v == nil {
		panic("supergraph: missing weight " + scope + "/" + name) // weights are all made by newWeights.
	}
	if node, ok := n.used[v]; ok {
		return node
	}
	node := v.ValueGraph(n.g)
	n.used[v] = node
	return node
}

// batchNorm normalises x with the batch-norm weights in scope.
func (n *network) batchNorm(scope string, x *Node) *Node {
	gamma, beta := n.param(scope, "gamma"), n.param(scope, "beta")
	if n.tape == nil && n.cfg.EvalBatchStats {
		y, _, _ := batchNormTrain(nil, x, gamma, beta)
		return y
	}
	if n.tape == nil {
		return batchNormInfer(x, gamma, beta, n.param(scope, "running_mean"), n.param(scope, "running_var"))
	}
	y, mean, variance := batchNormTrain(n.tape, x, gamma, beta)
	d := x.Shape().Dimensions
	n.bnStats = append(n.bnStats, bnStat{
		runMean: n.ctx.InspectVariable(scope, "running_mean"), runVar: n.ctx.InspectVariable(scope, "running_var"),
		mean: mean, variance: variance, count: d[0] * d[1] * d[2]})
	return y
}

// applyOp runs node j's op on x, which keeps its shape.
func (n *network) applyOp(j int, op arch.Op, x *Node) *Node {
	scope := opScope(j, op)
	switch op.Family() {
	case arch.FamilyConv, arch.FamilyDilated:
		return conv(n.tape, x, n.param(scope, "weights"), op.Kernel(), op.Dilation())
	case arch.FamilyDepthwise:
		return depthwiseConv(n.tape, x, n.param(scope, "weights"), op.Kernel())
	case arch.FamilyPool:
		return maxPool(n.tape, x, op.Kernel())
	}
	panic("supergraph: op without an implementation: " + op.String())
}

// logits runs the child network of a on images [B, H, W, Cin] and returns [B, classes].
func (n *network) logits(a *arch.Arch, images *Node) *Node {
	N := a.N()
	used := a.Live()
	out := make([]*Node, N)

	// Node 0, the stem: batch-norm of the image, then a 1×1 conv to C channels. [B, 28, 28, 20]
	out[0] = pointwiseConv(n.tape, n.batchNorm(stemScope+"/bn", images), n.param(stemScope, "weights"))
	b := images.Shape().Dimensions[0]
	h, w := images.Shape().Dimensions[1], images.Shape().Dimensions[2]

	for j := 1; j < N; j++ {
		if !used[j] {
			continue // not on a path from the input to the output: not computed.
		}
		// Input: the sum of the links from every incoming edge, each a 1×1 conv to node j's
		// channels followed by one 2×2 max-pool per stage crossed. [B, Hj, Wj, Cj]
		var in *Node
		for _, i := range a.Inputs(j) {
			if !used[i] {
				continue // a node the input does not reach contributes nothing.
			}
			x := pointwiseConv(n.tape, out[i], n.param(linkScope(i, j), "weights"))
			for s := n.cfg.Stage(i); s < n.cfg.Stage(j); s++ {
				x = halve(n.tape, x)
			}
			if in == nil {
				in = x
			} else {
				in = n.add(in, x)
			}
		}
		if in == nil { // only the output can lack a live input: a zero input of its shape.
			hj, wj := n.cfg.NodeSize(j, h, w)
			in = Zeros(n.g, shapeF32(b, hj, wj, n.cfg.NodeChannels(j)))
		}
		x := n.batchNorm(nodeScope(j)+"/bn", in)
		if j < N-1 {
			x = n.applyOp(j, a.Op(j), x)
		}
		out[j] = fuzzyReLU(n.tape, x)
	}

	// Head: global average pool, then a linear layer to the classes. [B, C_out] → [B, classes]
	return linear(n.tape, globalAvgPool(n.tape, out[N-1]), n.param(headScope, "weights"), n.param(headScope, "bias"))
}

// add sums two activations, passing the gradient to both.
func (n *network) add(x, y *Node) *Node {
	s := Add(x, y)
	n.tape.record(func() {
		if d := n.tape.grad(s); d != nil {
			n.tape.accumulate(x, d)
			n.tape.accumulate(y, d)
		}
	})
	return s
}

// trainStep builds one SGD-with-momentum step of architecture a: forward, the hand-written
// backward, and the update of every weight the architecture uses (and of nothing else). If the
// loss or any gradient is not finite, nothing is updated. Outputs: loss, correct count, finite
// flag (1 or 0).
func trainStep(cfg Config, ctx *context.Context, a *arch.Arch, images, labels, lr *Node) []*Node {
	g := images.Graph()
	n := &network{cfg: cfg, ctx: ctx, g: g, tape: newTape(), used: map[*context.Variable]*Node{}}
	logits := n.logits(a, images)
	loss, correct := softmaxCrossEntropy(logits, labels)
	n.tape.backward(logits, softmaxCrossEntropyGrad(logits, labels))

	// One finiteness check over the loss and every gradient.
	vars := sortedVars(n.used)
	check := loss
	grads := make([]*Node, len(vars))
	for k, v := range vars {
		grads[k] = n.tape.grad(n.used[v])
		if grads[k] != nil {
			check = Add(check, ReduceAllSum(grads[k]))
		}
	}
	finite := IsFinite(check)
	momentum := ConstAs(loss, cfg.Momentum)
	for k, v := range vars {
		if grads[k] == nil {
			continue // read but not reached by the loss (e.g. an unused running statistic).
		}
		vel := ctx.InspectVariable(v.Scope(), v.Name()+velocitySuffix)
		velNew := Add(Mul(momentum, vel.ValueGraph(g)), grads[k])
		wNew := Sub(n.used[v], Mul(lr, velNew))
		vel.SetValueGraph(Where(finite, velNew, vel.ValueGraph(g)))
		v.SetValueGraph(Where(finite, wNew, n.used[v]))
	}
	// Batch-norm running statistics (PyTorch's convention: unbiased variance).
	bm := cfg.BNMomentum
	for _, s := range n.bnStats {
		unbiased := MulScalar(s.variance, float64(s.count)/float64(max(s.count-1, 1)))
		rm, rv := s.runMean.ValueGraph(g), s.runVar.ValueGraph(g)
		s.runMean.SetValueGraph(Where(finite, Add(MulScalar(rm, 1-bm), MulScalar(s.mean, bm)), rm))
		s.runVar.SetValueGraph(Where(finite, Add(MulScalar(rv, 1-bm), MulScalar(unbiased, bm)), rv))
	}
	return []*Node{loss, correct, ConvertDType(finite, dtypes.Float32)}
}

// evalStep builds the inference graph of a: outputs the summed loss and the correct count.
func evalStep(cfg Config, ctx *context.Context, a *arch.Arch, images, labels *Node) []*Node {
	n := &network{cfg: cfg, ctx: ctx, g: images.Graph(), used: map[*context.Variable]*Node{}}
	logits := n.logits(a, images)
	loss, correct := softmaxCrossEntropy(logits, labels)
	b := float64(images.Shape().Dimensions[0])
	return []*Node{MulScalar(loss, b), correct}
}
