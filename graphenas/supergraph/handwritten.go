package supergraph

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph-building code reads best with the ops unqualified.

	"github.com/graphenas/graphenas/graphenas/activation"
)

// The layers of the child network for GoMLX's pure-Go back-end (KernelsGo), each with its
// hand-written backward step (see tape). Only products, slices, concatenations, element-wise
// ops and reductions are used: the Go back-end runs all of them, and its own gradients of
// convolutions and pooling cost about 10× these (BENCHMARKS.md).

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
// concatenations, which simplego runs as block copies, by doubling: about 2·log2(n) copies of
// growing size. simplego's implicit broadcasting walks an index iterator per element, and
// measured several times slower on the [64, 28, 28, 20] activations.
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

// perChannel returns v [C] spread over the shape of x [B, H, W, C].
func perChannel(v, x *Node) *Node {
	d := x.Shape().Dimensions
	c := d[len(d)-1]
	return Reshape(repeatAxis(Reshape(v, 1, c), 0, x.Shape().Size()/c), d...)
}

// smallProblem is the largest per-batch output (rows × columns) that simplego v0.25 multiplies
// with its unpadded kernel, in parallel over the batch (16 blocks of 32×32); above it, it pads
// both operands to 32×32 blocks, which wastes much of the work for our 20- to 180-wide operands.
const smallProblem = 16 * 32 * 32

// rowSplit returns the smallest f dividing r such that (r/f)·n fits smallProblem.
func rowSplit(r, n int) int {
	for f := 1; f <= r; f++ {
		if r%f == 0 && (r/f)*n <= smallProblem {
			return f
		}
	}
	return r
}

// batchedMatMul returns x·w for x [B, R, K] and w [K, N]: [B, R, N].
func batchedMatMul(x, w *Node) *Node {
	d := x.Shape().Dimensions
	b, r := d[0], d[1]
	k, n := w.Shape().Dimensions[0], w.Shape().Dimensions[1]
	f := rowSplit(r, n)
	wt := repeatAxis(Reshape(Transpose(w, 0, 1), 1, n, k), 0, b*f) // [B·f, N, K]
	y := DotGeneral(Reshape(x, b*f, r/f, k), []int{2}, []int{0}, wt, []int{2}, []int{0})
	return Reshape(y, b, r, n)
}

// batchedMatMulT returns dy·wᵀ for dy [B, R, N] and w [K, N]: [B, R, K].
func batchedMatMulT(dy, w *Node) *Node {
	d := dy.Shape().Dimensions
	b, r := d[0], d[1]
	k, n := w.Shape().Dimensions[0], w.Shape().Dimensions[1]
	f := rowSplit(r, k)
	wb := repeatAxis(Reshape(w, 1, k, n), 0, b*f) // [B·f, K, N]
	y := DotGeneral(Reshape(dy, b*f, r/f, n), []int{2}, []int{0}, wb, []int{2}, []int{0})
	return Reshape(y, b, r, k)
}

// weightGrad returns Σ_b xᵀ·dy for x [B, R, K] and dy [B, R, N]: [K, N].
func weightGrad(x, dy *Node) *Node {
	return ReduceSum(DotGeneral(x, []int{1}, []int{0}, dy, []int{1}, []int{0}), 0)
}

// pointwiseConv is a 1×1 convolution without bias: x [B, H, W, K] · w [K, N] → [B, H, W, N].
func pointwiseConv(t *tape, x, w *Node) *Node {
	d := x.Shape().Dimensions
	b, h, wd, k := d[0], d[1], d[2], d[3]
	n := w.Shape().Dimensions[1]
	x3 := Reshape(x, b, h*wd, k)
	y := Reshape(batchedMatMul(x3, w), b, h, wd, n)
	t.record(func() {
		dy := t.grad(y)
		if dy == nil {
			return
		}
		dy3 := Reshape(dy, b, h*wd, n)
		t.accumulate(w, weightGrad(x3, dy3))
		t.accumulate(x, Reshape(batchedMatMulT(dy3, w), b, h, wd, k))
	})
	return y
}

// padSpatial pads H and W of x [B, H, W, C] by p on each side with value (by concatenation:
// simplego has no Pad).
func padSpatial(x *Node, p int, value float64) *Node {
	if p == 0 {
		return x
	}
	d := x.Shape().Dimensions
	fill := func(dims ...int) *Node {
		return BroadcastToDims(ConstAs(x, value), dims...)
	}
	rows := fill(d[0], p, d[2], d[3])
	x = Concatenate([]*Node{rows, x, rows}, 1)
	cols := fill(d[0], d[1]+2*p, p, d[3])
	return Concatenate([]*Node{cols, x, cols}, 2)
}

// window returns the [H, W] window of xp (padded) starting at (oy, ox), channels [c0, c1).
func window(xp *Node, oy, ox, h, w, c0, c1 int) *Node {
	return Slice(xp, AxisRange(), AxisRange(oy, oy+h), AxisRange(ox, ox+w), AxisRange(c0, c1))
}

// conv is a k×k convolution with dilation dil, stride 1, "same" padding and no bias, through
// patch extraction and one batched product: x [B, H, W, C] · w [k·k·C, N] → [B, H, W, N].
// Weight row (ky·k + kx)·C + c multiplies input channel c at offset (ky·dil, kx·dil).
func conv(t *tape, x, w *Node, k, dil int) *Node {
	d := x.Shape().Dimensions
	b, h, wd, c := d[0], d[1], d[2], d[3]
	n := w.Shape().Dimensions[1]
	p := dil * (k - 1) / 2
	xp := padSpatial(x, p, 0)
	taps := make([]*Node, 0, k*k)
	for ky := 0; ky < k; ky++ {
		for kx := 0; kx < k; kx++ {
			taps = append(taps, window(xp, ky*dil, kx*dil, h, wd, 0, c))
		}
	}
	patches := Reshape(Concatenate(taps, 3), b, h*wd, k*k*c) // [B, H·W, k·k·C]
	y := Reshape(batchedMatMul(patches, w), b, h, wd, n)
	t.record(func() {
		dy := t.grad(y)
		if dy == nil {
			return
		}
		dy3 := Reshape(dy, b, h*wd, n)
		t.accumulate(w, weightGrad(patches, dy3))
		// Scatter the patches' gradient back: tap (ky, kx) read x at (y+ky·dil−p, x+kx·dil−p),
		// so dx[u, v] gathers dpatch_tap[u−ky·dil+p, v−kx·dil+p] from the padded gradient.
		dpp := padSpatial(Reshape(batchedMatMulT(dy3, w), b, h, wd, k*k*c), p, 0)
		var dx *Node
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				tap := ky*k + kx
				part := window(dpp, 2*p-ky*dil, 2*p-kx*dil, h, wd, tap*c, (tap+1)*c)
				if dx == nil {
					dx = part
				} else {
					dx = Add(dx, part)
				}
			}
		}
		t.accumulate(x, dx)
	})
	return y
}

// depthwiseConv is a k×k per-channel convolution, stride 1, "same" padding, no bias:
// x [B, H, W, C] with w [k·k, C] → [B, H, W, C], as a sum of shifted, scaled copies of x.
func depthwiseConv(t *tape, x, w *Node, k int) *Node {
	d := x.Shape().Dimensions
	h, wd, c := d[1], d[2], d[3]
	p := (k - 1) / 2
	xp := padSpatial(x, p, 0)
	tapWeight := func(tap int) *Node { // w[tap] spread over [B, H, W, C]
		return perChannel(Slice(w, AxisElem(tap), AxisRange()), x)
	}
	windows := make([]*Node, 0, k*k) // kept for the weights' gradient
	var y *Node
	for ky := 0; ky < k; ky++ {
		for kx := 0; kx < k; kx++ {
			win := window(xp, ky, kx, h, wd, 0, c)
			windows = append(windows, win)
			term := Mul(win, tapWeight(ky*k+kx))
			if y == nil {
				y = term
			} else {
				y = Add(y, term)
			}
		}
	}
	t.record(func() {
		dy := t.grad(y)
		if dy == nil {
			return
		}
		dyp := padSpatial(dy, p, 0)
		var dx *Node
		dws := make([]*Node, 0, k*k)
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				tap := ky*k + kx
				dws = append(dws, Reshape(ReduceSum(Mul(dy, windows[tap]), 0, 1, 2), 1, c))
				term := Mul(window(dyp, 2*p-ky, 2*p-kx, h, wd, 0, c), tapWeight(tap))
				if dx == nil {
					dx = term
				} else {
					dx = Add(dx, term)
				}
			}
		}
		t.accumulate(w, Concatenate(dws, 0))
		t.accumulate(x, dx)
	})
	return y
}

// maxPool1D is a max over k consecutive positions along axis (1 for H, 2 for W), stride 1, "same"
// padding with −∞. Its gradient is shared equally among the positions that tie for the maximum
// (a valid subgradient; PyTorch gives it all to the first).
func maxPool1D(t *tape, x *Node, k, axis int) *Node {
	d := x.Shape().Dimensions
	l := d[axis]
	p := (k - 1) / 2
	pad := func(v *Node, value float64) *Node {
		pd := append([]int(nil), d...)
		pd[axis] = p
		fill := BroadcastToDims(ConstAs(x, value), pd...)
		return Concatenate([]*Node{fill, v, fill}, axis)
	}
	shift := func(v *Node, o int) *Node { return SliceAxis(v, axis, AxisRange(o, o+l)) }
	xp := pad(x, math.Inf(-1))
	shifts := make([]*Node, k) // kept for the backward pass
	var y *Node
	for o := 0; o < k; o++ {
		shifts[o] = shift(xp, o)
		if y == nil {
			y = shifts[o]
		} else {
			y = Max(y, shifts[o])
		}
	}
	t.record(func() {
		dy := t.grad(y)
		if dy == nil {
			return
		}
		// Window a covers xp[a..a+k); x[u] = xp[u+p] lies in the windows a = u+p−o, o ∈ [0, k).
		// count[a] = number of positions of window a equal to its max.
		var count *Node
		for o := 0; o < k; o++ {
			m := ConvertDType(Equal(shifts[o], y), x.DType())
			if count == nil {
				count = m
			} else {
				count = Add(count, m)
			}
		}
		share := Div(dy, count)
		// Pad y with +∞ (never equal to x) and share with 0 so out-of-range windows add nothing.
		yp, sp := pad(y, math.Inf(1)), pad(share, 0)
		var dx *Node
		for o := 0; o < k; o++ {
			a := 2*p - o // window index a = u+p−o, in padded coordinates u+2p−o.
			term := Where(Equal(x, shift(yp, a)), shift(sp, a), ZerosLike(x))
			if dx == nil {
				dx = term
			} else {
				dx = Add(dx, term)
			}
		}
		t.accumulate(x, dx)
	})
	return y
}

// maxPool is a k×k max-pool, stride 1, "same" padding, as two separable 1-D maxima.
func maxPool(t *tape, x *Node, k int) *Node {
	return maxPool1D(t, maxPool1D(t, x, k, 2), k, 1)
}

// halve is a 2×2 max-pool with stride 2 and ceil rounding (odd sizes are padded with −∞):
// [B, H, W, C] → [B, ⌈H/2⌉, ⌈W/2⌉, C]. Ties share the gradient equally.
func halve(t *tape, x *Node) *Node {
	d := x.Shape().Dimensions
	b, h, w, c := d[0], d[1], d[2], d[3]
	h2, w2 := (h+1)/2, (w+1)/2
	xp := x
	if h%2 == 1 {
		xp = Concatenate([]*Node{xp, BroadcastToDims(ConstAs(x, math.Inf(-1)), b, 1, w, c)}, 1)
	}
	if w%2 == 1 {
		xp = Concatenate([]*Node{xp, BroadcastToDims(ConstAs(x, math.Inf(-1)), b, 2*h2, 1, c)}, 2)
	}
	quarter := func(v *Node, oy, ox int) *Node {
		return Slice(v, AxisRange(), AxisRange(oy, 2*h2).Stride(2), AxisRange(ox, 2*w2).Stride(2), AxisRange())
	}
	q := [4]*Node{quarter(xp, 0, 0), quarter(xp, 0, 1), quarter(xp, 1, 0), quarter(xp, 1, 1)}
	y := Max(Max(q[0], q[1]), Max(q[2], q[3]))
	t.record(func() {
		dy := t.grad(y)
		if dy == nil {
			return
		}
		var m [4]*Node
		count := ZerosLike(y)
		for i := range q {
			m[i] = ConvertDType(Equal(q[i], y), x.DType())
			count = Add(count, m[i])
		}
		share := Div(dy, count)
		for i := range m {
			m[i] = Mul(m[i], share)
		}
		// Interleave the four quarters back: columns first, then rows.
		row0 := Reshape(Stack([]*Node{m[0], m[1]}, 3), b, h2, 2*w2, c)
		row1 := Reshape(Stack([]*Node{m[2], m[3]}, 3), b, h2, 2*w2, c)
		dxp := Reshape(Stack([]*Node{row0, row1}, 2), b, 2*h2, 2*w2, c)
		t.accumulate(x, Slice(dxp, AxisRange(), AxisRange(0, h), AxisRange(0, w), AxisRange()))
	})
	return y
}

// batchNormTrain normalises x [B, H, W, C] with the batch's statistics per channel, then scales
// by gamma and shifts by beta (both [C]); the gradient flows through the statistics, as in
// PyTorch. It returns the output and the batch mean and (biased) variance, for running stats.
func batchNormTrain(t *tape, x, gamma, beta *Node) (y, mean, variance *Node) {
	d := x.Shape().Dimensions
	m := float64(d[0] * d[1] * d[2])
	mean = DivScalar(ReduceSum(x, 0, 1, 2), m)
	variance = Max(Sub(DivScalar(ReduceSum(Mul(x, x), 0, 1, 2), m), Mul(mean, mean)), ScalarZero(x.Graph(), x.DType()))
	invStd := Rsqrt(AddScalar(variance, bnEpsilon))
	a := Mul(gamma, invStd)          // [C]
	shift := Sub(beta, Mul(mean, a)) // [C]
	y = Add(Mul(x, perChannel(a, x)), perChannel(shift, x))
	t.record(func() {
		dy := t.grad(y)
		if dy == nil {
			return
		}
		sumDy := ReduceSum(dy, 0, 1, 2)
		sumDyX := ReduceSum(Mul(dy, x), 0, 1, 2)
		dGamma := Mul(invStd, Sub(sumDyX, Mul(mean, sumDy))) // Σ dy·x̂
		t.accumulate(gamma, dGamma)
		t.accumulate(beta, sumDy)
		// dx = a·(dy − Σdy/m − x̂·Σdy·x̂/m) = a·dy + k1·x + k0.
		k1 := DivScalar(Neg(Mul(Mul(a, invStd), dGamma)), m)
		k0 := Sub(Mul(Mul(Mul(a, invStd), mean), DivScalar(dGamma, m)), DivScalar(Mul(a, sumDy), m))
		dx := Add(Add(Mul(dy, perChannel(a, x)), Mul(x, perChannel(k1, x))), perChannel(k0, x))
		t.accumulate(x, dx)
	})
	return y, mean, variance
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

// globalAvgPool averages over H and W: [B, H, W, C] → [B, C].
func globalAvgPool(t *tape, x *Node) *Node {
	d := x.Shape().Dimensions
	hw := float64(d[1] * d[2])
	y := DivScalar(ReduceSum(x, 1, 2), hw)
	t.record(func() {
		if dy := t.grad(y); dy != nil {
			t.accumulate(x, Reshape(repeatAxis(Reshape(DivScalar(dy, hw), d[0], 1, d[3]), 1, d[1]*d[2]), d...))
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
