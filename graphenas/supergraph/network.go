package supergraph

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph-building code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/model"

	"github.com/graphenas/graphenas/graphenas/arch"
)

// The child network of one architecture (graphenas/DESIGN.md §2), built as a GoMLX graph over the
// shared weights. Shapes are for the default configuration on Fashion-MNIST (B=64, 28×28×1,
// C=20, L=4).

// network builds one architecture's graph over the weights in store, with the layers of one
// back-end (see kernels). A training graph also collects what the update needs: every weight
// read, and every batch-norm's batch statistics.
type network struct {
	cfg      Config
	store    *model.Store
	g        *Graph
	k        kernels
	training bool

	// used maps each weight variable read by the graph to its value node, for the update.
	used map[*model.Variable]*Node
	// bnStats collects (running mean, running var, batch mean, batch var) per batch-norm.
	bnStats []bnStat
	// partSizes is the number of images in each part of the batch (see logits).
	partSizes []int
}

type bnStat struct {
	runMean, runVar *model.Variable
	mean, variance  *Node
	count           int
}

// variable returns the shared weight scope/name; every one is made by newWeights.
func (n *network) variable(scope, name string) *model.Variable {
	v := n.store.GetVariable(model.JoinPath(scope, name))
	if v == nil {
		panic("supergraph: missing weight " + scope + "/" + name) // a programming error.
	}
	return v
}

// param returns the value node of the shared weight scope/name, recording it as used.
func (n *network) param(scope, name string) *Node {
	v := n.variable(scope, name)
	if node, ok := n.used[v]; ok {
		return node
	}
	node := v.NodeValue(n.g)
	n.used[v] = node
	return node
}

// batchNorm normalises an activation, given as its batch parts xs, with the batch-norm weights
// in scope; in training the statistics are the whole batch's.
func (n *network) batchNorm(scope string, xs []*Node) []*Node {
	gamma, beta := n.param(scope, "gamma"), n.param(scope, "beta")
	if !n.training && !n.cfg.EvalBatchStats {
		return batchNormInfer(n.k, xs, gamma, beta, n.param(scope, "running_mean"), n.param(scope, "running_var"))
	}
	ys, mean, variance := n.k.batchNorm(xs, gamma, beta)
	if n.training {
		count := 0
		for _, x := range xs {
			d := x.Shape().Dimensions
			count += d[0] * d[1] * d[2]
		}
		n.bnStats = append(n.bnStats, bnStat{
			runMean: n.variable(scope, "running_mean"), runVar: n.variable(scope, "running_var"),
			mean: mean, variance: variance, count: count})
	}
	return ys
}

// applyOp runs node j's op on x, which keeps its shape.
func (n *network) applyOp(j int, op arch.Op, x *Node) *Node {
	scope := opScope(j, op)
	switch op.Family() {
	case arch.FamilyConv, arch.FamilyDilated:
		return n.k.conv(x, n.param(scope, "weights"), op.Kernel(), op.Dilation())
	case arch.FamilyDepthwise:
		return n.k.depthwise(x, n.param(scope, "weights"), op.Kernel())
	case arch.FamilyPool:
		return n.k.maxPool(x, op.Kernel())
	}
	panic("supergraph: op without an implementation: " + op.String())
}

// logits runs the child network of a on images [B, H, W, Cin] and returns [B, classes].
//
// The batch is cut into the kernels' parts (two on the Go back-end): every layer runs on each part
// separately, and only batch-norm (whose statistics are the whole batch's) and the head join
// them. The Go back-end runs most ops on one core each but independent ops side by side, so the
// parts' layers keep both cores busy.
func (n *network) logits(a *arch.Arch, images *Node) *Node {
	N := a.N()
	used := a.Live()
	out := make([][]*Node, N) // out[j][p]: node j's activation of part p
	h, w := images.Shape().Dimensions[1], images.Shape().Dimensions[2]

	// Node 0, the stem: batch-norm of the image, then a 1×1 conv to C channels. [B, 28, 28, 20]
	// At stem stride 2 each 2×2 block of pixels is one pixel first. [B, 14, 14, 4·Cin]
	if n.cfg.StemStride == 2 {
		images = spaceToDepth(images)
	}
	parts := splitBatch(images, n.k.parts(images.Shape().Dimensions[0]))
	n.partSizes = make([]int, len(parts))
	for p, imgs := range parts {
		n.partSizes[p] = imgs.Shape().Dimensions[0]
		parts[p] = n.k.fromImages(imgs)
	}
	out[0] = eachPart(n.batchNorm(stemScope+"/bn", parts), func(x *Node) *Node {
		return n.k.pointwise(x, n.param(stemScope, "weights"))
	})
	n.assertNodeShape(out[0], 0, h, w)

	for j := 1; j < N; j++ {
		if !used[j] {
			continue // not on a path from the input to the output: not computed.
		}
		in := make([]*Node, len(parts))
		for p := range parts {
			// Input: the sum of the links from every incoming edge, each a 1×1 conv to node j's
			// channels followed by one 2×2 max-pool per stage crossed. [B, Hj, Wj, Cj]
			for _, i := range a.Inputs(j) {
				if !used[i] {
					continue // a node the input does not reach contributes nothing.
				}
				x := n.k.pointwise(out[i][p], n.param(linkScope(i, j), "weights"))
				for s := n.cfg.Stage(i); s < n.cfg.Stage(j); s++ {
					x = n.k.halve(x)
				}
				if in[p] == nil {
					in[p] = x
				} else {
					in[p] = n.k.add(in[p], x)
				}
			}
			if in[p] == nil { // only the output can lack a live input: a zero input of its shape.
				hj, wj := n.cfg.NodeSize(j, h, w)
				in[p] = Zeros(n.g, shapeF32(n.k.activationDims(n.partSizes[p], hj, wj, n.cfg.NodeChannels(j))...))
			}
		}
		x := n.batchNorm(nodeScope(j)+"/bn", in)
		if j < N-1 {
			x = eachPart(x, func(x *Node) *Node { return n.applyOp(j, a.Op(j), x) })
		}
		out[j] = eachPart(x, n.k.fuzzyReLU)
		n.assertNodeShape(out[j], j, h, w)
	}

	// Head: global average pool, then a linear layer to the classes. [B, C_out] → [B, classes]
	return n.k.linear(n.k.globalAvgPool(out[N-1]), n.param(headScope, "weights"), n.param(headScope, "bias"))
}

// eachPart applies layer to each batch part of an activation.
func eachPart(xs []*Node, layer func(*Node) *Node) []*Node {
	ys := make([]*Node, len(xs))
	for p, x := range xs {
		ys[p] = layer(x)
	}
	return ys
}

// splitBatch cuts images [B, …] into k parts of ⌈B/k⌉ or ⌊B/k⌋ images, in order (fewer when
// B < k). The images need no gradient.
func splitBatch(images *Node, k int) []*Node {
	b := images.Shape().Dimensions[0]
	k = max(1, min(k, b))
	if k == 1 {
		return []*Node{images}
	}
	parts := make([]*Node, k)
	start := 0
	for p := range parts {
		end := start + (b-start+k-p-1)/(k-p)
		parts[p] = SliceAxis(images, 0, AxisRange(start, end))
		start = end
	}
	return parts
}

// spaceToDepth turns images [B, H, W, C] into [B, ⌈H/2⌉, ⌈W/2⌉, 4·C], each 2×2 block of pixels
// one pixel (an odd side is padded with zeros). The images need no gradient, so both
// formulations share it.
func spaceToDepth(images *Node) *Node {
	d := images.Shape().Dimensions
	b, h, w, c := d[0], d[1], d[2], d[3]
	if h%2 == 1 || w%2 == 1 {
		images = Pad(images, ScalarZero(images.Graph(), images.DType()),
			compute.PadAxis{}, compute.PadAxis{End: h % 2}, compute.PadAxis{End: w % 2}, compute.PadAxis{})
		h, w = h+h%2, w+w%2
	}
	x := Reshape(images, b, h/2, 2, w/2, 2, c) // [B, H/2, dy, W/2, dx, C]
	x = TransposeAllAxes(x, 0, 1, 3, 2, 4, 5)  // [B, H/2, W/2, dy, dx, C]
	return Reshape(x, b, h/2, w/2, 4*c)        // [B, H/2, W/2, 4·C]
}

// assertNodeShape panics (a programming error) unless xs are the batch parts of node j's
// activation [B, Hj, Wj, Cj] (in the kernels' layout) for images of h×w.
func (n *network) assertNodeShape(xs []*Node, j, h, w int) {
	hj, wj := n.cfg.NodeSize(j, h, w)
	for p, x := range xs {
		x.AssertDims(n.k.activationDims(n.partSizes[p], hj, wj, n.cfg.NodeChannels(j))...)
	}
}

// trainStep builds one SGD-with-momentum step of architecture a: forward, backward (by the
// kernels' own means), and the update of every weight the architecture uses (and of nothing
// else). If the loss or any gradient is not finite, nothing is updated. Outputs: loss, correct
// count, finite flag (1 or 0).
func trainStep(cfg Config, store *model.Store, k kernels, a *arch.Arch, images, labels, lr *Node) []*Node {
	g := images.Graph()
	n := &network{cfg: cfg, store: store, g: g, k: k, training: true, used: map[*model.Variable]*Node{}}
	logits := n.logits(a, images)
	loss, correct := softmaxCrossEntropy(logits, labels)

	vars := sortedVars(n.used)
	params := make([]*Node, len(vars))
	for i, v := range vars {
		params[i] = n.used[v]
	}
	grads := k.gradients(loss, logits, labels, params)

	// One finiteness check over the loss and every gradient.
	check := loss
	for _, gr := range grads {
		if gr != nil {
			check = Add(check, ReduceAllSum(gr))
		}
	}
	finite := IsFinite(check)
	momentum := ConstAs(loss, cfg.Momentum)
	for i, v := range vars {
		if grads[i] == nil {
			continue // read but not reached by the loss (e.g. an unused running statistic).
		}
		vel := store.GetVariable(v.Path() + velocitySuffix)
		velNew := Add(Mul(momentum, vel.NodeValue(g)), grads[i])
		wNew := Sub(params[i], Mul(lr, velNew))
		vel.SetNodeValue(Where(finite, velNew, vel.NodeValue(g)))
		v.SetNodeValue(Where(finite, wNew, params[i]))
	}
	// Batch-norm running statistics (PyTorch's convention: unbiased variance).
	bm := cfg.BNMomentum
	for _, s := range n.bnStats {
		unbiased := MulScalar(StopGradient(s.variance), float64(s.count)/float64(max(s.count-1, 1)))
		mean := StopGradient(s.mean)
		rm, rv := s.runMean.NodeValue(g), s.runVar.NodeValue(g)
		s.runMean.SetNodeValue(Where(finite, Add(MulScalar(rm, 1-bm), MulScalar(mean, bm)), rm))
		s.runVar.SetNodeValue(Where(finite, Add(MulScalar(rv, 1-bm), MulScalar(unbiased, bm)), rv))
	}
	return []*Node{loss, correct, ConvertDType(finite, dtypes.Float32)}
}

// evalStep builds the inference graph of a: outputs the summed loss and the correct count.
func evalStep(cfg Config, store *model.Store, k kernels, a *arch.Arch, images, labels *Node) []*Node {
	n := &network{cfg: cfg, store: store, g: images.Graph(), k: k, used: map[*model.Variable]*Node{}}
	logits := n.logits(a, images)
	loss, correct := softmaxCrossEntropy(logits, labels)
	b := float64(images.Shape().Dimensions[0])
	return []*Node{MulScalar(loss, b), correct}
}
