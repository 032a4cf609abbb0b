package supergraph

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph-building code reads best with the ops unqualified.

	"github.com/graphenas/graphenas/graphenas/activation"
)

// autodiff is the KernelsXLA formulation of the child network's layers: GoMLX's own Convolve and
// MaxPool, plain broadcasting ops, and GoMLX's automatic differentiation for the backward pass.
// XLA fuses the element-wise work and runs convolutions through cuDNN on a GPU. It also runs
// (slowly) on the Go back-end, which is how the tests check it against the references.
type autodiff struct{}

func (autodiff) fromImages(images *Node) *Node       { return images }
func (autodiff) toImages(x *Node) *Node              { return x }
func (autodiff) activationDims(b, h, w, c int) []int { return []int{b, h, w, c} }
func (autodiff) scaleShift(x, a, s *Node) *Node {
	c := x.Shape().Dimensions[3]
	return Add(Mul(x, Reshape(a, 1, 1, 1, c)), Reshape(s, 1, 1, 1, c))
}

// pointwise contracts the channels: [B, H, W, K] · [K, N] → [B, H, W, N].
func (autodiff) pointwise(x, w *Node) *Node {
	return DotGeneral(x, []int{3}, nil, w, []int{0}, nil)
}

// conv reshapes w [k·k·C, N] to GoMLX's kernel layout [k, k, C, N] (the same row order).
func (autodiff) conv(x, w *Node, k, dil int) *Node {
	c, n := x.Shape().Dimensions[3], w.Shape().Dimensions[1]
	p := dil * (k - 1) / 2
	return Convolve(x, Reshape(w, k, k, c, n)).Strides(1).Dilations(dil).
		PaddingPerDim([][2]int{{p, p}, {p, p}}).Done()
}

// depthwise sums k·k shifted windows of the zero-padded input, each scaled per channel. GoMLX
// differentiates grouped convolutions by splitting them into one convolution per channel, which
// XLA compiles slowly for 20–80 channels; the windows' sum is differentiated directly and fused.
func (autodiff) depthwise(x, w *Node, k int) *Node {
	d := x.Shape().Dimensions
	h, wd, c := d[1], d[2], d[3]
	p := (k - 1) / 2
	// Padded by concatenation: GoMLX has no gradient for Pad.
	xp := padAxis(padAxis(x, 1, p, p), 2, p, p)
	var y *Node
	for ky := 0; ky < k; ky++ {
		for kx := 0; kx < k; kx++ {
			tap := Reshape(Slice(w, AxisElem(ky*k+kx), AxisRange()), 1, 1, 1, c)
			win := Slice(xp, AxisRange(), AxisRange(ky, ky+h), AxisRange(kx, kx+wd), AxisRange())
			term := Mul(win, tap)
			if y == nil {
				y = term
			} else {
				y = Add(y, term)
			}
		}
	}
	return y
}

// maxPool pads with −∞ (XLA's ReduceWindow does), so the edges take the maximum of what is there.
func (autodiff) maxPool(x *Node, k int) *Node {
	return MaxPool(x).Window(k).Strides(1).PadSame().Done()
}

// halve pads odd sizes at the end, so that the output is ⌈H/2⌉ × ⌈W/2⌉.
func (autodiff) halve(x *Node) *Node {
	d := x.Shape().Dimensions
	return MaxPool(x).Window(2).Strides(2).PaddingPerDim([][2]int{{0, d[1] % 2}, {0, d[2] % 2}}).Done()
}

// parts is 1: XLA schedules and fuses a whole batch itself.
func (autodiff) parts(int) int { return 1 }

// batchNorm uses 1/√(var+ε) rather than Rsqrt, which has no gradient in GoMLX.
func (autodiff) batchNorm(xs []*Node, gamma, beta *Node) (ys []*Node, mean, variance *Node) {
	x := onePart(xs)
	c := x.Shape().Dimensions[3]
	mean = ReduceMean(x, 0, 1, 2) // [C]
	centred := Sub(x, Reshape(mean, 1, 1, 1, c))
	variance = ReduceMean(Mul(centred, centred), 0, 1, 2) // [C], biased
	invStd := Inverse(Sqrt(AddScalar(variance, bnEpsilon)))
	y := Add(Mul(centred, Reshape(Mul(gamma, invStd), 1, 1, 1, c)), Reshape(beta, 1, 1, 1, c))
	return []*Node{y}, mean, variance
}

// onePart returns the one part of an activation of the autodiff formulation.
func onePart(xs []*Node) *Node {
	if len(xs) != 1 {
		panic("supergraph: autodiff layers take a whole batch, not parts") // a programming error
	}
	return xs[0]
}

func (autodiff) fuzzyReLU(x *Node) *Node { return activation.FuzzyReLU(x) }
func (autodiff) add(x, y *Node) *Node    { return Add(x, y) }
func (autodiff) globalAvgPool(xs []*Node) *Node {
	return ReduceMean(onePart(xs), 1, 2)
}
func (autodiff) linear(x, w, bias *Node) *Node {
	return Add(Dot(x, w).Product(), Reshape(bias, 1, bias.Shape().Dimensions[0]))
}
func (autodiff) inference() kernels { return autodiff{} }

// gradients differentiates loss automatically.
func (autodiff) gradients(loss, _, _ *Node, params []*Node) []*Node {
	return Gradient(loss, params...)
}
