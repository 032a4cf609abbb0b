package supergraph

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph-building code reads best with the ops unqualified.
)

// kernels is the one small interface the child network is built on, so that each back-end runs
// the formulation that is fast on it:
//
//   - KernelsGo (handwritten.go), for GoMLX's pure-Go back-end: every layer from products,
//     slices, concatenations and element-wise ops, with a hand-written backward pass. The Go
//     back-end differentiates convolutions and max-pooling correctly since compute v0.1.3, but
//     about 10× slower than these layers (BENCHMARKS.md), and it cannot differentiate grouped
//     (depthwise) convolutions at all.
//   - KernelsXLA (autodiff.go), for XLA back-ends (a PJRT plugin, e.g. CUDA): GoMLX's own
//     Convolve and MaxPool with automatic differentiation, which XLA fuses and runs through
//     cuDNN.
//
// Each formulation lays activations out its own way (KernelsGo channel-major [C, B, H, W],
// KernelsXLA [B, H, W, C]); below, "[B, H, W, C]" names the axes, not their order. The weights
// have one layout under both (see weights.go), so one set of shared weights serves either.
type kernels interface {
	// fromImages turns images [B, H, W, C] into an activation.
	fromImages(images *Node) *Node
	// toImages turns an activation back into [B, H, W, C].
	toImages(x *Node) *Node
	// activationDims is the shape of an activation of b images of h×w with c channels.
	activationDims(b, h, w, c int) []int
	// pointwise is a 1×1 convolution without bias: x [B, H, W, K] · w [K, N] → [B, H, W, N].
	pointwise(x, w *Node) *Node
	// conv is a k×k convolution with dilation dil, stride 1, "same" padding, no bias:
	// x [B, H, W, C] · w [k·k·C, N] → [B, H, W, N]; row (ky·k + kx)·C + c of w multiplies input
	// channel c at offset (ky·dil, kx·dil).
	conv(x, w *Node, k, dil int) *Node
	// depthwise is a k×k per-channel convolution, stride 1, "same" padding, no bias:
	// x [B, H, W, C] with w [k·k, C] → [B, H, W, C].
	depthwise(x, w *Node, k int) *Node
	// maxPool is a k×k max-pool, stride 1, "same" padding.
	maxPool(x *Node, k int) *Node
	// halve is a 2×2 max-pool with stride 2 and ceil rounding: [B, H, W, C] → [B, ⌈H/2⌉, ⌈W/2⌉, C].
	halve(x *Node) *Node
	// parts is how many parts the network cuts a batch of b images into, to run each part's
	// layers separately (see network.logits); at most b.
	parts(b int) int
	// batchNorm normalises an activation, given as its batch parts xs, with the whole batch's
	// statistics per channel, then scales by gamma and shifts by beta (both [C]); the gradient
	// flows through the statistics, as in PyTorch. It returns each part's output and the batch
	// mean and (biased) variance, for running statistics.
	batchNorm(xs []*Node, gamma, beta *Node) (ys []*Node, mean, variance *Node)
	// scaleShift returns x·a + s per channel, with a and s [C] (inference batch-norm).
	scaleShift(x, a, s *Node) *Node
	// fuzzyReLU is activation.FuzzyReLU.
	fuzzyReLU(x *Node) *Node
	// add sums two activations.
	add(x, y *Node) *Node
	// globalAvgPool averages an activation, given as its batch parts, over H and W:
	// [B, H, W, C] → [B, C], the parts' images in order.
	globalAvgPool(xs []*Node) *Node
	// linear is x [B, C] · w [C, K] + bias [K].
	linear(x, w, bias *Node) *Node
	// gradients returns the gradient of loss, the mean cross-entropy of logits against labels,
	// with respect to each of params (nil where the loss does not depend on it).
	gradients(loss, logits, labels *Node, params []*Node) []*Node
	// inference returns the same formulation for a graph that is never differentiated.
	inference() kernels
}

// The kernel formulations, as Config.Kernels names them.
const (
	// KernelsAuto chooses by back-end: KernelsXLA on an XLA back-end, KernelsGo otherwise.
	KernelsAuto = ""
	// KernelsGo are the hand-written layers, for the pure-Go back-end.
	KernelsGo = "go"
	// KernelsXLA are GoMLX's convolution and pooling ops with automatic differentiation.
	KernelsXLA = "xla"
)

// newKernels returns the formulation named (KernelsGo or KernelsXLA) for a training graph.
func newKernels(name string) (kernels, error) {
	switch name {
	case KernelsGo:
		return handWritten{t: newTape()}, nil
	case KernelsXLA:
		return autodiff{}, nil
	}
	return nil, fmt.Errorf("supergraph: unknown kernels %q, want %q or %q", name, KernelsGo, KernelsXLA)
}

// bnEpsilon is added to the variance before the square root, as in PyTorch.
const bnEpsilon = 1e-5

// batchNormInfer normalises an activation, given as its batch parts xs, with running statistics.
func batchNormInfer(k kernels, xs []*Node, gamma, beta, runMean, runVar *Node) []*Node {
	a := Mul(gamma, Rsqrt(AddScalar(runVar, bnEpsilon)))
	shift := Sub(beta, Mul(runMean, a))
	return eachPart(xs, func(x *Node) *Node { return k.scaleShift(x, a, shift) })
}

// layerGradients returns the gradient of Σ out·seed with respect to each node of wrt, by the
// formulation's own backward pass (zeros where out does not depend on one). It is how the
// tests and BenchOps differentiate a single layer.
func layerGradients(k kernels, out, seed *Node, wrt []*Node) []*Node {
	var grads []*Node
	switch k := k.(type) {
	case handWritten:
		k.t.backward(out, seed)
		for _, x := range wrt {
			grads = append(grads, k.t.grad(x))
		}
	default:
		grads = Gradient(ReduceAllSum(Mul(out, seed)), wrt...)
	}
	for i, g := range grads {
		if g == nil {
			grads[i] = ZerosLike(wrt[i])
		}
	}
	return grads
}
