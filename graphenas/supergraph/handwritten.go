package supergraph

import (
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph-building code reads best with the ops unqualified.

	"github.com/graphenas/graphenas/graphenas/activation"
)

// The layers of the child network for GoMLX's pure-Go back-end (KernelsGo), each with its
// hand-written backward step (see tape). Only products, slices, concatenations, element-wise
// ops and reductions are used: the Go back-end runs all of them, and its own gradients of
// convolutions and pooling cost about 10× these (BENCHMARKS.md).
//
// Activations are channel-major, [C, B, H, W] (M = B·H·W pixels per channel). Every product then
// has the layout the Go back-end's SIMD kernels take without transposing an operand: a layer is
// [N, K]·[K, M], its input gradient [K, N]·[N, M], and its weight gradient [K, M]·[N, M]ᵀ, the
// form the back-end multiplies as is. In NHWC the weight gradients need [M, K] transposed
// first, one element at a time: a 1×1 link measured 3× slower forward and backward.
// The cost that remains is the shifted windows of convolutions and pooling (Slice copies one
// element at a time); the formulations below keep their number low.

// handWritten is the KernelsGo formulation; t records the backward steps of a training graph
// and is nil for an inference graph.
type handWritten struct{ t *tape }

func (h handWritten) pointwise(x, w *Node) *Node        { return pointwiseConv(h.t, x, w) }
func (h handWritten) conv(x, w *Node, k, dil int) *Node { return conv(h.t, x, w, k, dil) }
func (h handWritten) depthwise(x, w *Node, k int) *Node { return depthwiseConv(h.t, x, w, k) }
func (h handWritten) maxPool(x *Node, k int) *Node      { return maxPool(h.t, x, k) }
func (h handWritten) halve(x *Node) *Node               { return halve(h.t, x) }
func (h handWritten) fuzzyReLU(x *Node) *Node           { return fuzzyReLU(h.t, x) }
func (h handWritten) globalAvgPool(x *Node) *Node       { return globalAvgPool(h.t, x) }
func (h handWritten) linear(x, w, bias *Node) *Node     { return linear(h.t, x, w, bias) }
func (h handWritten) inference() kernels                { return handWritten{} }
func (h handWritten) batchNorm(x, gamma, beta *Node) (y, mean, variance *Node) {
	return batchNormTrain(h.t, x, gamma, beta)
}

// scaleShift returns x·a + s per channel, with a and s [C].
func (h handWritten) scaleShift(x, a, s *Node) *Node {
	return Reshape(channelAffine([]*Node{channelRows(x)}, []*Node{a}, s), x.Shape().Dimensions...)
}

// fromImages turns images [B, H, W, C] into an activation [C, B, H, W].
func (h handWritten) fromImages(images *Node) *Node { return TransposeAllAxes(images, 3, 0, 1, 2) }

// toImages turns an activation [C, B, H, W] into [B, H, W, C] (for tests and pictures).
func (h handWritten) toImages(x *Node) *Node { return TransposeAllAxes(x, 1, 2, 3, 0) }

// activationDims is the shape of an activation of b images of h×w with c channels.
func (h handWritten) activationDims(b, hh, w, c int) []int { return []int{c, b, hh, w} }

// add sums two activations, passing the gradient to both.
func (h handWritten) add(x, y *Node) *Node {
	s := Add(x, y)
	h.t.record(func() {
		if d := h.t.grad(s); d != nil {
			h.t.accumulate(x, d)
			h.t.accumulate(y, d)
		}
	})
	return s
}

// gradients runs the recorded backward steps from the cross-entropy's gradient at the logits.
func (h handWritten) gradients(_, logits, labels *Node, params []*Node) []*Node {
	h.t.backward(logits, softmaxCrossEntropyGrad(logits, labels))
	grads := make([]*Node, len(params))
	for i, p := range params {
		grads[i] = h.t.grad(p)
	}
	return grads
}

// repeatAxis repeats x (whose size on axis is 1) n times along axis. It is built from
// concatenations, which the Go back-end runs as block copies, by doubling: about 2·log2(n)
// copies of growing size. Implicit broadcasting walks an index iterator per element and
// measured slower (BENCHMARKS.md).
func repeatAxis(x *Node, axis, n int) *Node {
	var parts []*Node
	for p := x; n > 0; n >>= 1 {
		if n&1 == 1 {
			parts = append(parts, p)
		}
		if n > 1 {
			p = Concatenate([]*Node{p, p}, axis)
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return Concatenate(parts, axis)
}

// channelRows views an activation [C, B, H, W] as [C, M].
func channelRows(x *Node) *Node {
	d := x.Shape().Dimensions
	return Reshape(x, d[0], x.Shape().Size()/d[0])
}

// pointwiseConv is a 1×1 convolution without bias: x [K, B, H, W] with w [K, N] → [N, B, H, W].
func pointwiseConv(t *tape, x, w *Node) *Node {
	d := x.Shape().Dimensions
	n := w.Shape().Dimensions[1]
	x2 := channelRows(x)                                                   // [K, M]
	y2 := DotGeneral(Transpose(w, 0, 1), []int{1}, nil, x2, []int{0}, nil) // [N, M]
	y := Reshape(y2, n, d[1], d[2], d[3])                                  // [N, B, H, W]
	t.record(func() {
		dy := t.grad(y)
		if dy == nil {
			return
		}
		dy2 := channelRows(dy)                                                           // [N, M]
		t.accumulate(w, DotGeneral(x2, []int{1}, nil, dy2, []int{1}, nil))               // [K, N]
		t.accumulate(x, Reshape(DotGeneral(w, []int{1}, nil, dy2, []int{0}, nil), d...)) // [K, M]
	})
	return y
}

// padSpatial pads H and W of x [C, B, H, W] by p on each side with value (by concatenation,
// which the Go back-end copies in blocks).
func padSpatial(x *Node, p int, value float64) *Node {
	return padAxisWith(padAxisWith(x, 2, p, p, value), 3, p, p, value)
}

// padAxis pads x with start zeros before and end zeros after, along axis.
func padAxis(x *Node, axis, start, end int) *Node { return padAxisWith(x, axis, start, end, 0) }

// padAxisWith pads x with start values before and end after, along axis, by concatenation.
func padAxisWith(x *Node, axis, start, end int, value float64) *Node {
	fill := func(n int) *Node {
		dims := append([]int(nil), x.Shape().Dimensions...)
		dims[axis] = n
		if value == 0 {
			return Zeros(x.Graph(), shapes.Make(x.DType(), dims...))
		}
		return BroadcastToDims(ConstAs(x, value), dims...)
	}
	parts := make([]*Node, 0, 3)
	if start > 0 {
		parts = append(parts, fill(start))
	}
	parts = append(parts, x)
	if end > 0 {
		parts = append(parts, fill(end))
	}
	if len(parts) == 1 {
		return x
	}
	return Concatenate(parts, axis)
}

// spatialWindow returns the h×w window of xp [C, B, Hp, Wp] starting at (oy, ox).
func spatialWindow(xp *Node, oy, ox, h, w int) *Node {
	return Slice(xp, AxisRange(), AxisRange(), AxisRange(oy, oy+h), AxisRange(ox, ox+w))
}

// conv is a k×k convolution with dilation dil, stride 1, "same" padding and no bias:
// x [C, B, H, W] with w [k·k·C, N] → [N, B, H, W]. Weight row (ky·k + kx)·C + c multiplies input
// channel c at offset (ky·dil, kx·dil).
//
// Forward: the k·k windows of the padded input stacked as patches [k·k·C, M] (one block copy
// per window), then one product. Weight gradient: patches·dyᵀ. Input gradient: the same
// convolution of dy with the kernel turned by 180° and its channels swapped.
func conv(t *tape, x, w *Node, k, dil int) *Node {
	c, n := x.Shape().Dimensions[0], w.Shape().Dimensions[1]
	y, patches := convCore(x, w, k, dil)
	t.record(func() {
		dy := t.grad(y)
		if dy == nil {
			return
		}
		t.accumulate(w, DotGeneral(patches, []int{1}, nil, channelRows(dy), []int{1}, nil)) // [k·k·C, N]
		turned := Reshape(Transpose(Reverse(Reshape(w, k, k, c, n), 0, 1), 2, 3), k*k*n, c)
		dx, _ := convCore(dy, turned, k, dil)
		t.accumulate(x, dx)
	})
	return y
}

// convCore is conv's forward pass; it also returns the patches [k·k·C, M] the weight gradient
// reuses.
func convCore(x, w *Node, k, dil int) (y, patches *Node) {
	d := x.Shape().Dimensions
	c, b, h, wd := d[0], d[1], d[2], d[3]
	n := w.Shape().Dimensions[1]
	p := dil * (k - 1) / 2
	xp := padSpatial(x, p, 0)
	taps := make([]*Node, 0, k*k)
	for ky := 0; ky < k; ky++ {
		for kx := 0; kx < k; kx++ {
			taps = append(taps, Reshape(spatialWindow(xp, ky*dil, kx*dil, h, wd), c, b*h*wd))
		}
	}
	patches = Concatenate(taps, 0)                                              // [k·k·C, M]
	y2 := DotGeneral(Transpose(w, 0, 1), []int{1}, nil, patches, []int{0}, nil) // [N, M]
	return Reshape(y2, n, b, h, wd), patches
}

// depthwiseConv is a k×k per-channel convolution, stride 1, "same" padding, no bias:
// x [C, B, H, W] with w [k·k, C] → [C, B, H, W].
//
// The channel is the batch axis of the products: the k horizontal shifts of the padded input
// are stacked, T [C, k(kx), B·Hp·W]; one batched product with the weights,
// Z[c, ky] = Σ_kx w[ky, kx, c]·T[c, kx], does the k·k multiply-adds of every pixel; and k
// vertical shifts of Z summed give the output. That is 2k shifted copies instead of the k² of
// the direct sum, and copies (Slice) are the Go back-end's slowest op per element. The input
// gradient is the same correlation of dy with the kernel turned by 180°; the weights' gradient
// is one batched product of T with dy shifted vertically.
func depthwiseConv(t *tape, x, w *Node, k int) *Node {
	d := x.Shape().Dimensions
	c, b, h, wd := d[0], d[1], d[2], d[3]
	p := (k - 1) / 2
	wk := Reshape(Transpose(w, 0, 1), c, k, k) // [C, k(ky), k(kx)]
	y, shifts := depthwiseCore(x, wk, k)
	t.record(func() {
		dy := t.grad(y)
		if dy == nil {
			return
		}
		// dW[c, ky, kx] = Σ dy[c, b, h, w]·xp[c, b, h+ky, w+kx]: dy placed at row offset ky of
		// the padded height, against the horizontal shifts T.
		rows := make([]*Node, k)
		for ky := 0; ky < k; ky++ {
			rows[ky] = Reshape(padAxis(dy, 2, ky, 2*p-ky), c, 1, b*(h+2*p)*wd)
		}
		dwk := DotGeneral(Concatenate(rows, 1), []int{2}, []int{0}, shifts, []int{2}, []int{0}) // [C, k, k]
		t.accumulate(w, Transpose(Reshape(dwk, c, k*k), 0, 1))
		dx, _ := depthwiseCore(dy, Reverse(wk, 1, 2), k)
		t.accumulate(x, dx)
	})
	return y
}

// depthwiseCore is the forward pass of depthwiseConv with the kernel wk [C, k(ky), k(kx)]. It
// also returns the horizontal shifts T [C, k(kx), B·Hp·W] of the padded input, which the
// weights' gradient reuses.
func depthwiseCore(x, wk *Node, k int) (y, shifts *Node) {
	d := x.Shape().Dimensions
	c, b, h, wd := d[0], d[1], d[2], d[3]
	p := (k - 1) / 2
	hp := h + 2*p
	xp := padSpatial(x, p, 0) // [C, B, Hp, Wp]
	parts := make([]*Node, k)
	for kx := 0; kx < k; kx++ {
		parts[kx] = Reshape(SliceAxis(xp, 3, AxisRange(kx, kx+wd)), c, 1, b*hp*wd)
	}
	shifts = Concatenate(parts, 1)                                                                // [C, k(kx), B·Hp·W]
	z := Reshape(DotGeneral(wk, []int{2}, []int{0}, shifts, []int{1}, []int{0}), c, k, b, hp, wd) // [C, k(ky), B, Hp, W]
	for ky := 0; ky < k; ky++ {
		row := Reshape(Slice(z, AxisRange(), AxisElem(ky), AxisRange(), AxisRange(ky, ky+h), AxisRange()), c, b, h, wd)
		if y == nil {
			y = row
		} else {
			y = Add(y, row)
		}
	}
	return y, shifts
}

// maxPool1D is a max over k consecutive positions along axis (2 for H, 3 for W), stride 1,
// "same" padding with −∞. The windows are built by doubling: maxima over 2, then 4, then k
// positions, each the maximum of two overlapping shorter windows (3 levels for k = 7 instead of
// 6 maxima). The backward pass routes each level's gradient to the larger of its two inputs
// (the first on a tie, as PyTorch does) and shifts it back with zero padding, which the Go
// back-end copies in blocks; only the forward pass slices.
func maxPool1D(t *tape, x *Node, k, axis int) *Node {
	l := x.Shape().Dimensions[axis]
	p := (k - 1) / 2
	m := padAxisWith(x, axis, p, k-1-p, math.Inf(-1)) // windows of 1, length l+k−1
	type level struct {
		off     int   // the second input starts off positions after the first
		firstGE *Node // where the first input is the maximum
	}
	var levels []level
	for size := 1; size < k; {
		next := min(2*size, k)
		off := next - size
		n := m.Shape().Dimensions[axis] - off
		a, b := SliceAxis(m, axis, AxisRange(0, n)), SliceAxis(m, axis, AxisRange(off, off+n))
		levels = append(levels, level{off: off, firstGE: GreaterOrEqual(a, b)})
		m = Max(a, b)
		size = next
	}
	y := m // length l
	t.record(func() {
		dm := t.grad(y)
		if dm == nil {
			return
		}
		for i := len(levels) - 1; i >= 0; i-- {
			lv := levels[i]
			da := Where(lv.firstGE, dm, ZerosLike(dm))
			dm = Add(padAxis(da, axis, 0, lv.off), padAxis(Sub(dm, da), axis, lv.off, 0))
		}
		t.accumulate(x, SliceAxis(dm, axis, AxisRange(p, p+l)))
	})
	return y
}

// maxPool is a k×k max-pool, stride 1, "same" padding, as two separable 1-D maxima.
func maxPool(t *tape, x *Node, k int) *Node {
	return maxPool1D(t, maxPool1D(t, x, k, 3), k, 2)
}

// halve is a 2×2 max-pool with stride 2 and ceil rounding (odd sizes are padded with −∞):
// [C, B, H, W] → [C, B, ⌈H/2⌉, ⌈W/2⌉]. The gradient goes to the first maximum of each window.
func halve(t *tape, x *Node) *Node {
	d := x.Shape().Dimensions
	c, b, h, w := d[0], d[1], d[2], d[3]
	h2, w2 := (h+1)/2, (w+1)/2
	xp := padAxisWith(padAxisWith(x, 2, 0, 2*h2-h, math.Inf(-1)), 3, 0, 2*w2-w, math.Inf(-1))
	quarter := func(oy, ox int) *Node {
		return Slice(xp, AxisRange(), AxisRange(), AxisRange(oy, 2*h2).Stride(2), AxisRange(ox, 2*w2).Stride(2))
	}
	q := [4]*Node{quarter(0, 0), quarter(0, 1), quarter(1, 0), quarter(1, 1)}
	ge01, ge23 := GreaterOrEqual(q[0], q[1]), GreaterOrEqual(q[2], q[3])
	m01, m23 := Max(q[0], q[1]), Max(q[2], q[3])
	ge := GreaterOrEqual(m01, m23)
	y := Max(m01, m23)
	t.record(func() {
		dy := t.grad(y)
		if dy == nil {
			return
		}
		zero := ZerosLike(dy)
		d01 := Where(ge, dy, zero)
		d23 := Sub(dy, d01)
		d0 := Where(ge01, d01, zero)
		d2 := Where(ge23, d23, zero)
		dq := [4]*Node{d0, Sub(d01, d0), d2, Sub(d23, d2)}
		// Interleave the four quarters back: columns first, then rows.
		row0 := Reshape(Stack([]*Node{dq[0], dq[1]}, 4), c, b, h2, 2*w2)
		row1 := Reshape(Stack([]*Node{dq[2], dq[3]}, 4), c, b, h2, 2*w2)
		dxp := Reshape(Stack([]*Node{row0, row1}, 3), c, b, 2*h2, 2*w2)
		t.accumulate(x, Slice(dxp, AxisRange(), AxisRange(), AxisRange(0, h), AxisRange(0, w)))
	})
	return y
}

// batchNormTrain normalises x [C, B, H, W] with the batch's statistics per channel, then scales
// by gamma and shifts by beta (both [C]); the gradient flows through the statistics, as in
// PyTorch. It returns the output and the batch mean and (biased) variance, for running stats.
// The per-channel affine maps are matrix products (channelAffine).
func batchNormTrain(t *tape, x, gamma, beta *Node) (y, mean, variance *Node) {
	x2 := channelRows(x) // [C, M]
	m := float64(x2.Shape().Dimensions[1])
	mean = DivScalar(ReduceSum(x2, 1), m)
	variance = Max(Sub(DivScalar(ReduceSum(Mul(x2, x2), 1), m), Mul(mean, mean)), ScalarZero(x.Graph(), x.DType()))
	invStd := Rsqrt(AddScalar(variance, bnEpsilon))
	a := Mul(gamma, invStd)          // [C]
	shift := Sub(beta, Mul(mean, a)) // [C]
	y = Reshape(channelAffine([]*Node{x2}, []*Node{a}, shift), x.Shape().Dimensions...)
	t.record(func() {
		dy := t.grad(y)
		if dy == nil {
			return
		}
		dy2 := channelRows(dy)
		sumDy := ReduceSum(dy2, 1)
		dGamma := Mul(invStd, Sub(ReduceSum(Mul(dy2, x2), 1), Mul(mean, sumDy))) // Σ dy·x̂
		t.accumulate(gamma, dGamma)
		t.accumulate(beta, sumDy)
		// dx = a·(dy − Σdy/m − x̂·Σdy·x̂/m) = a·dy + k1·x + k0.
		k1 := DivScalar(Neg(Mul(Mul(a, invStd), dGamma)), m)
		k0 := Sub(Mul(Mul(Mul(a, invStd), mean), DivScalar(dGamma, m)), DivScalar(Mul(a, sumDy), m))
		t.accumulate(x, Reshape(channelAffine([]*Node{dy2, x2}, []*Node{a, k1}, k0), x.Shape().Dimensions...))
	})
	return y, mean, variance
}

// channelAffine returns Σ_i scales[i]·xs[i] + shift per channel, for xs [C, M] and scales and
// shift [C], as one product, [diag(scale_1) … diag(scale_n) shift]·[x_1; …; x_n; 1], which the Go
// back-end runs on every core; spreading each [C] vector over [C, M] for element-wise products
// runs single-threaded (a training step measured about 5% faster this way).
func channelAffine(xs, scales []*Node, shift *Node) *Node {
	c, m := xs[0].Shape().Dimensions[0], xs[0].Shape().Dimensions[1]
	g := shift.Graph()
	eye := ConvertDType(Diagonal(g, c), shift.DType())
	coef := make([]*Node, 0, len(scales)+1)
	for _, s := range scales {
		coef = append(coef, Mul(eye, Reshape(s, 1, c)))
	}
	coef = append(coef, Reshape(shift, c, 1))
	rows := append(append([]*Node(nil), xs...), Ones(g, shapes.Make(shift.DType(), 1, m)))
	return DotGeneral(Concatenate(coef, 1), []int{1}, nil, Concatenate(rows, 0), []int{0}, nil) // [C, M]
}

// fuzzyReLU is activation.FuzzyReLU with its backward step recorded.
func fuzzyReLU(t *tape, x *Node) *Node {
	y := activation.FuzzyReLU(x)
	t.record(func() {
		if dy := t.grad(y); dy != nil {
			t.accumulate(x, Mul(dy, activation.FuzzyReLUSlope(x)))
		}
	})
	return y
}

// globalAvgPool averages over H and W: [C, B, H, W] → [B, C].
func globalAvgPool(t *tape, x *Node) *Node {
	d := x.Shape().Dimensions
	c, b, hw := d[0], d[1], d[2]*d[3]
	y := Transpose(DivScalar(ReduceSum(Reshape(x, c, b, hw), 2), float64(hw)), 0, 1)
	t.record(func() {
		if dy := t.grad(y); dy != nil {
			dyT := Reshape(DivScalar(Transpose(dy, 0, 1), float64(hw)), c, b, 1)
			t.accumulate(x, Reshape(repeatAxis(dyT, 2, hw), d...))
		}
	})
	return y
}

// linear is x [B, C] · w [C, K] + bias [K].
func linear(t *tape, x, w, bias *Node) *Node {
	y := Add(Dot(x, w).Product(), Reshape(bias, 1, bias.Shape().Dimensions[0]))
	t.record(func() {
		dy := t.grad(y)
		if dy == nil {
			return
		}
		t.accumulate(w, DotGeneral(x, []int{0}, nil, dy, []int{0}, nil))
		t.accumulate(bias, ReduceSum(dy, 0))
		t.accumulate(x, DotGeneral(dy, []int{1}, nil, w, []int{1}, nil))
	})
	return y
}
