package supergraph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/graphenas/graphenas/graphenas/backend"
)

var testBackend compute.Backend

func getBackend(t testing.TB) compute.Backend {
	t.Helper()
	if testBackend == nil {
		b, err := backend.NewGo()
		if err != nil {
			t.Fatal(err)
		}
		testBackend = b
	}
	return testBackend
}

// arr is a plain float64 tensor for references: dims and row-major values.
type arr struct {
	dims []int
	v    []float64
}

func randArr(r *rand.Rand, dims ...int) arr {
	n := 1
	for _, d := range dims {
		n *= d
	}
	a := arr{dims: dims, v: make([]float64, n)}
	for i := range a.v {
		a.v[i] = r.NormFloat64()
	}
	return a
}

func (a arr) tensor() *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(append([]float64(nil), a.v...), a.dims...)
}

// at4 indexes a rank-4 array.
func (a arr) at4(i, j, k, l int) float64 {
	return a.v[((i*a.dims[1]+j)*a.dims[2]+k)*a.dims[3]+l]
}

// refConv is a plain NHWC convolution: w is [k·k·C, N] with row (ky·k+kx)·C+c.
func refConv(x, w arr, k, dil int) arr {
	b, h, wd, c := x.dims[0], x.dims[1], x.dims[2], x.dims[3]
	n := w.dims[1]
	p := dil * (k - 1) / 2
	y := arr{dims: []int{b, h, wd, n}, v: make([]float64, b*h*wd*n)}
	for bi := 0; bi < b; bi++ {
		for yi := 0; yi < h; yi++ {
			for xi := 0; xi < wd; xi++ {
				for o := 0; o < n; o++ {
					s := 0.0
					for ky := 0; ky < k; ky++ {
						for kx := 0; kx < k; kx++ {
							u, v := yi+ky*dil-p, xi+kx*dil-p
							if u < 0 || u >= h || v < 0 || v >= wd {
								continue
							}
							for ci := 0; ci < c; ci++ {
								s += x.at4(bi, u, v, ci) * w.v[((ky*k+kx)*c+ci)*n+o]
							}
						}
					}
					y.v[((bi*h+yi)*wd+xi)*n+o] = s
				}
			}
		}
	}
	return y
}

// refDepthwise is a plain per-channel convolution with w [k·k, C].
func refDepthwise(x, w arr, k int) arr {
	b, h, wd, c := x.dims[0], x.dims[1], x.dims[2], x.dims[3]
	p := (k - 1) / 2
	y := arr{dims: x.dims, v: make([]float64, len(x.v))}
	for bi := 0; bi < b; bi++ {
		for yi := 0; yi < h; yi++ {
			for xi := 0; xi < wd; xi++ {
				for ci := 0; ci < c; ci++ {
					s := 0.0
					for ky := 0; ky < k; ky++ {
						for kx := 0; kx < k; kx++ {
							u, v := yi+ky-p, xi+kx-p
							if u >= 0 && u < h && v >= 0 && v < wd {
								s += x.at4(bi, u, v, ci) * w.v[(ky*k+kx)*c+ci]
							}
						}
					}
					y.v[((bi*h+yi)*wd+xi)*c+ci] = s
				}
			}
		}
	}
	return y
}

// refMaxPool is a plain k×k max-pool with window stride `stride`, padding p, output size oh×ow.
func refMaxPool(x arr, k, stride, p, oh, ow int) arr {
	b, h, wd, c := x.dims[0], x.dims[1], x.dims[2], x.dims[3]
	y := arr{dims: []int{b, oh, ow, c}, v: make([]float64, b*oh*ow*c)}
	for bi := 0; bi < b; bi++ {
		for yi := 0; yi < oh; yi++ {
			for xi := 0; xi < ow; xi++ {
				for ci := 0; ci < c; ci++ {
					m := math.Inf(-1)
					for ky := 0; ky < k; ky++ {
						for kx := 0; kx < k; kx++ {
							u, v := yi*stride+ky-p, xi*stride+kx-p
							if u >= 0 && u < h && v >= 0 && v < wd {
								m = math.Max(m, x.at4(bi, u, v, ci))
							}
						}
					}
					y.v[((bi*oh+yi)*ow+xi)*c+ci] = m
				}
			}
		}
	}
	return y
}

// layerCase is one layer under test: it maps inputs to an output with the layers of a
// formulation (see kernels).
type layerCase struct {
	name   string
	inputs []arr
	fn     func(k kernels, in []*Node) *Node
	ref    func(in []arr) arr // plain-Go forward, if any
}

// formulations are the kernels under test, both run on the Go back-end: the hand-written
// layers the Go back-end trains with, and the autodiff formulation XLA back-ends train with.
var formulations = []string{KernelsGo, KernelsXLA}

// trainingKernels returns formulation name for a graph that is differentiated.
func trainingKernels(t testing.TB, name string) kernels {
	k, err := newKernels(name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// toLayout turns the rank-4 nodes of xs (the tests' [B, H, W, C]) into k's activations.
func toLayout(k kernels, xs []*Node) []*Node {
	out := make([]*Node, len(xs))
	for i, x := range xs {
		out[i] = x
		if x.Rank() == 4 {
			out[i] = k.fromImages(x)
		}
	}
	return out
}

// fromLayout turns a rank-4 activation of k back into [B, H, W, C].
func fromLayout(k kernels, x *Node) *Node {
	if x.Rank() == 4 {
		return k.toImages(x)
	}
	return x
}

// runLayer returns the output values and, for the weighted loss Σ y·R, the gradients of every input.
func runLayer(t *testing.T, form string, lc layerCase, r arr) (y []float64, grads [][]float64) {
	t.Helper()
	exec, err := NewExec(getBackend(t), func(ins []*Node) []*Node {
		k := trainingKernels(t, form)
		xs := toLayout(k, ins[:len(ins)-1])
		out := lc.fn(k, xs)
		seed := ins[len(ins)-1]
		if out.Rank() == 4 {
			seed = k.fromImages(seed)
		}
		res := []*Node{fromLayout(k, out)}
		for _, g := range layerGradients(k, out, seed, xs) {
			res = append(res, fromLayout(k, g))
		}
		return res
	})
	if err != nil {
		t.Fatal(err)
	}
	var args []any
	for _, in := range lc.inputs {
		args = append(args, in.tensor())
	}
	args = append(args, r.tensor())
	out, err := exec.Call(args...)
	if err != nil {
		t.Fatal(err)
	}
	y = flat64(out[0])
	for _, o := range out[1:] {
		grads = append(grads, flat64(o))
	}
	return y, grads
}

// forwardOnly evaluates the layer in an inference graph.
func forwardOnly(t *testing.T, form string, lc layerCase, inputs []arr) []float64 {
	t.Helper()
	return flat64(inferenceOutput(t, form, lc, inputs))
}

// inferenceOutput runs the layer on inputs in an inference graph.
func inferenceOutput(t *testing.T, form string, lc layerCase, inputs []arr) *tensors.Tensor {
	t.Helper()
	var args []any
	for _, in := range inputs {
		args = append(args, in.tensor())
	}
	out, err := CallOnce(getBackend(t), func(ins []*Node) *Node {
		k := trainingKernels(t, form).inference()
		return fromLayout(k, lc.fn(k, toLayout(k, ins)))
	}, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// TestLayers checks every layer of both formulations (hand-written for the Go back-end, autodiff
// for XLA; both run here on the Go back-end) against a plain Go reference where there is one, and
// its backward pass against central finite differences (float64).
func TestLayers(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	x := randArr(r, 2, 5, 6, 3)
	xOdd := randArr(r, 2, 5, 7, 3)
	cases := []layerCase{
		{name: "pointwise", inputs: []arr{x, randArr(r, 3, 4)},
			fn:  func(k kernels, in []*Node) *Node { return k.pointwise(in[0], in[1]) },
			ref: func(in []arr) arr { return refConv(in[0], in[1], 1, 1) }},
		{name: "halve odd", inputs: []arr{xOdd},
			fn:  func(k kernels, in []*Node) *Node { return k.halve(in[0]) },
			ref: func(in []arr) arr { return refMaxPool(in[0], 2, 2, 0, 3, 4) }},
		{name: "halve even", inputs: []arr{randArr(r, 2, 4, 6, 2)},
			fn:  func(k kernels, in []*Node) *Node { return k.halve(in[0]) },
			ref: func(in []arr) arr { return refMaxPool(in[0], 2, 2, 0, 2, 3) }},
		{name: "batchnorm", inputs: []arr{x, randArr(r, 3), randArr(r, 3)},
			fn: func(k kernels, in []*Node) *Node {
				ys, _, _ := k.batchNorm([]*Node{in[0]}, in[1], in[2])
				return ys[0]
			},
			ref: func(in []arr) arr { return refBatchNorm(in[0], in[1], in[2]) }},
		{name: "fuzzy relu", inputs: []arr{x},
			fn: func(k kernels, in []*Node) *Node { return k.fuzzyReLU(in[0]) }},
		{name: "global average pool", inputs: []arr{x},
			fn: func(k kernels, in []*Node) *Node { return k.globalAvgPool([]*Node{in[0]}) }},
		{name: "linear", inputs: []arr{randArr(r, 4, 3), randArr(r, 3, 5), randArr(r, 5)},
			fn: func(k kernels, in []*Node) *Node { return k.linear(in[0], in[1], in[2]) }},
		{name: "add", inputs: []arr{x, randArr(r, 2, 5, 6, 3)},
			fn: func(k kernels, in []*Node) *Node { return k.add(in[0], in[1]) }},
	}
	for _, ks := range []int{3, 5} {
		for _, dil := range []int{1, 2} {
			ks, dil := ks, dil
			cases = append(cases, layerCase{name: fmt.Sprintf("conv k%d d%d", ks, dil), inputs: []arr{x, randArr(r, ks*ks*3, 4)},
				fn:  func(k kernels, in []*Node) *Node { return k.conv(in[0], in[1], ks, dil) },
				ref: func(in []arr) arr { return refConv(in[0], in[1], ks, dil) }})
		}
	}
	for _, ks := range []int{3, 5, 7} {
		ks := ks
		cases = append(cases, layerCase{name: fmt.Sprintf("depthwise k%d", ks), inputs: []arr{x, randArr(r, ks*ks, 3)},
			fn:  func(k kernels, in []*Node) *Node { return k.depthwise(in[0], in[1], ks) },
			ref: func(in []arr) arr { return refDepthwise(in[0], in[1], ks) }})
		// Channel counts whose products are grouped by 2 and by 4 (depthwiseGroup).
		for _, c := range []int{2, 4} {
			c := c
			cases = append(cases, layerCase{name: fmt.Sprintf("depthwise k%d c%d", ks, c), inputs: []arr{randArr(r, 2, 5, 6, c), randArr(r, ks*ks, c)},
				fn:  func(k kernels, in []*Node) *Node { return k.depthwise(in[0], in[1], ks) },
				ref: func(in []arr) arr { return refDepthwise(in[0], in[1], ks) }})
		}
		cases = append(cases, layerCase{name: fmt.Sprintf("maxpool k%d", ks), inputs: []arr{x},
			fn:  func(k kernels, in []*Node) *Node { return k.maxPool(in[0], ks) },
			ref: func(in []arr) arr { return refMaxPool(in[0], ks, 1, (ks-1)/2, 5, 6) }})
	}

	for _, form := range formulations {
		for _, lc := range cases {
			t.Run(form+"/"+lc.name, func(t *testing.T) {
				y0 := forwardOnly(t, form, lc, lc.inputs)
				rw := randArr(r, 1)
				rw.v = make([]float64, len(y0))
				for i := range rw.v {
					rw.v[i] = r.NormFloat64()
				}
				rw.dims = outputDims(t, form, lc)
				y, grads := runLayer(t, form, lc, rw)
				if lc.ref != nil {
					want := lc.ref(lc.inputs)
					if len(want.v) != len(y) {
						t.Fatalf("output has %d values, reference %d", len(y), len(want.v))
					}
					for i := range y {
						if math.Abs(y[i]-want.v[i]) > 1e-9 {
							t.Fatalf("output[%d] = %g, reference %g", i, y[i], want.v[i])
						}
					}
				}
				// Finite differences on up to 12 coordinates of every input.
				const eps = 1e-6
				for ii, in := range lc.inputs {
					for probe := 0; probe < 12 && probe < len(in.v); probe++ {
						idx := r.IntN(len(in.v))
						plus, minus := cloneArrs(lc.inputs), cloneArrs(lc.inputs)
						plus[ii].v[idx] += eps
						minus[ii].v[idx] -= eps
						num := (dot(forwardOnly(t, form, lc, plus), rw.v) - dot(forwardOnly(t, form, lc, minus), rw.v)) / (2 * eps)
						got := grads[ii][idx]
						if math.Abs(num-got) > 1e-5*math.Max(1, math.Abs(num)) {
							t.Errorf("input %d[%d]: gradient %g, finite difference %g", ii, idx, got, num)
						}
					}
				}
			})
		}
	}
}

// refBatchNorm normalises x per channel with the batch's mean and biased variance, then scales
// by gamma and shifts by beta.
func refBatchNorm(x, gamma, beta arr) arr {
	c := x.dims[3]
	m := len(x.v) / c
	y := arr{dims: x.dims, v: make([]float64, len(x.v))}
	for ci := 0; ci < c; ci++ {
		mean, sq := 0.0, 0.0
		for i := ci; i < len(x.v); i += c {
			mean += x.v[i]
		}
		mean /= float64(m)
		for i := ci; i < len(x.v); i += c {
			sq += (x.v[i] - mean) * (x.v[i] - mean)
		}
		inv := 1 / math.Sqrt(sq/float64(m)+bnEpsilon)
		for i := ci; i < len(x.v); i += c {
			y.v[i] = (x.v[i]-mean)*inv*gamma.v[ci] + beta.v[ci]
		}
	}
	return y
}

func outputDims(t *testing.T, form string, lc layerCase) []int {
	return inferenceOutput(t, form, lc, lc.inputs).Shape().Dimensions
}

func cloneArrs(a []arr) []arr {
	out := make([]arr, len(a))
	for i := range a {
		out[i] = arr{dims: a[i].dims, v: append([]float64(nil), a[i].v...)}
	}
	return out
}

// TestOpsKeepShape checks that every op of the catalogue keeps [B, H, W, C] (float32, the
// network's dtype), on odd and even sizes, in both formulations.
func TestOpsKeepShape(t *testing.T) {
	for _, form := range formulations {
		for _, dims := range [][]int{{2, 7, 7, 4}, {1, 8, 6, 3}} {
			for _, op := range allOpsForTest() {
				ks := op.k
				out, err := CallOnce(getBackend(t), func(g *Graph) *Node {
					k := trainingKernels(t, form).inference()
					x := k.fromImages(Ones(g, shapes.Make(dtypes.Float32, dims...)))
					c := dims[3]
					switch op.kind {
					case "conv":
						return k.toImages(k.conv(x, Ones(g, shapes.Make(dtypes.Float32, ks*ks*c, c)), ks, op.dil))
					case "depthwise":
						return k.toImages(k.depthwise(x, Ones(g, shapes.Make(dtypes.Float32, ks*ks, c)), ks))
					default:
						return k.toImages(k.maxPool(x, ks))
					}
				})
				if err != nil {
					t.Fatal(err)
				}
				got := out.Shape().Dimensions
				for i := range dims {
					if got[i] != dims[i] {
						t.Errorf("%s: %s on %v gives %v", form, op.name, dims, got)
						break
					}
				}
			}
		}
	}
}

type testOp struct {
	name   string
	kind   string
	k, dil int
}

func allOpsForTest() []testOp {
	return []testOp{{"conv3", "conv", 3, 1}, {"conv5", "conv", 5, 1}, {"dwconv5", "depthwise", 5, 1},
		{"dwconv7", "depthwise", 7, 1}, {"dilconv3", "conv", 3, 2}, {"dilconv5", "conv", 5, 2},
		{"maxpool3", "pool", 3, 1}, {"maxpool5", "pool", 5, 1}, {"maxpool7", "pool", 7, 1}}
}

// TestFuzzyReLU checks values and slopes at 0 and at the tails, and that large inputs stay finite.
func TestFuzzyReLU(t *testing.T) {
	xs := []float64{0, -1e-4, 1e-4, -30, 30, -200, 200}
	out, err := CallOnce(getBackend(t), func(x *Node) *Node { return fuzzyReLU(nil, x) },
		tensors.FromValue(xs))
	if err != nil {
		t.Fatal(err)
	}
	y := flat64(out)
	if y[0] != 0 {
		t.Errorf("f(0) = %g, want 0", y[0])
	}
	if slope := (y[2] - y[1]) / 2e-4; math.Abs(slope-1) > 1e-6 {
		t.Errorf("slope at 0 = %g, want 1", slope)
	}
	if math.Abs(y[3]+math.Ln2) > 1e-12 || math.Abs(y[4]-(60-math.Ln2)) > 1e-9 {
		t.Errorf("tails f(-30) = %g, f(30) = %g", y[3], y[4])
	}
	if math.IsInf(y[5], 0) || math.IsNaN(y[5]) || math.IsNaN(y[6]) || math.Abs(y[6]-(400-math.Ln2)) > 1e-9 {
		t.Errorf("not stable at ±200: %g %g", y[5], y[6])
	}
}

func flat64(t *tensors.Tensor) []float64 {
	var v []float64
	tensors.MustConstFlatData(t, func(f []float64) { v = append(v, f...) })
	return v
}

// TestBatchParts checks that the hand-written batch-norm and global average pool over two parts
// of a batch (2 and 3 images) give what they give over the whole batch: outputs, batch mean and
// variance, and the gradients of the input, gamma and beta for the weighted loss Σ y·R.
func TestBatchParts(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x, gamma, beta := randArr(r, 5, 3, 4, 2), randArr(r, 2), randArr(r, 2)
	seedBN, seedPool := randArr(r, 5, 3, 4, 2), randArr(r, 5, 2)
	exec, err := NewExec(getBackend(t), func(ins []*Node) []*Node {
		run := func(parts bool) []*Node {
			k := trainingKernels(t, KernelsGo).(handWritten)
			xs, seeds := []*Node{k.fromImages(ins[0])}, []*Node{k.fromImages(ins[3])}
			if parts { // [C, B, H, W]: images 0–1 and 2–4
				cut := func(v *Node) []*Node {
					return []*Node{SliceAxis(v, 1, AxisRange(0, 2)), SliceAxis(v, 1, AxisRange(2, 5))}
				}
				xs, seeds = cut(xs[0]), cut(seeds[0])
			}
			ys, mean, variance := k.batchNorm(xs, ins[1], ins[2])
			pooled := k.globalAvgPool(xs)
			for p := range ys {
				k.t.accumulate(ys[p], seeds[p])
			}
			k.t.backward(pooled, ins[4])
			dxs := make([]*Node, len(xs))
			for p := range xs {
				dxs[p] = k.t.grad(xs[p])
			}
			return []*Node{k.toImages(Concatenate(ys, 1)), mean, variance, pooled,
				k.toImages(Concatenate(dxs, 1)), k.t.grad(ins[1]), k.t.grad(ins[2])}
		}
		return append(run(false), run(true)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Call(x.tensor(), gamma.tensor(), beta.tensor(), seedBN.tensor(), seedPool.tensor())
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"output", "mean", "variance", "pooled", "input gradient", "gamma gradient", "beta gradient"}
	for i, name := range names {
		whole, parts := flat64(out[i]), flat64(out[len(names)+i])
		if len(whole) != len(parts) || len(whole) == 0 {
			t.Fatalf("%s: %d values whole, %d in parts", name, len(whole), len(parts))
		}
		for j := range whole {
			if math.Abs(whole[j]-parts[j]) > 1e-12*math.Max(1, math.Abs(whole[j])) {
				t.Errorf("%s[%d]: %g in parts, %g whole", name, j, parts[j], whole[j])
			}
		}
	}
}

// TestSplitBatch checks the batch parts' sizes: in order, as even as they can be, never empty.
func TestSplitBatch(t *testing.T) {
	for _, c := range []struct {
		b, k int
		want []int
	}{{64, 2, []int{32, 32}}, {5, 2, []int{3, 2}}, {1, 2, []int{1}}, {7, 3, []int{3, 2, 2}}, {4, 1, []int{4}}} {
		out, err := CallOnceN(getBackend(t), func(images *Node) []*Node { return splitBatch(images, c.k) },
			tensors.FromShape(shapes.Make(dtypes.Float32, c.b, 2, 2, 1)))
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, o := range out {
			got = append(got, o.Shape().Dimensions[0])
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("splitBatch of %d into %d: %v, want %v", c.b, c.k, got, c.want)
		}
	}
}
