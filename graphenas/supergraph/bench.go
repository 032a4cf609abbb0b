package supergraph

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph-building code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/data"
)

// ReferenceArch is the architecture graphenas/GOMLX-NOTES.md measured, used by every child benchmark.
const ReferenceArch = "1:dwconv7 2:maxpool7 3:conv3 | 0>1 0>2 0>3 1>2 1>4 2>3 2>4 3>4"

// ChildBench is the result of BenchChild.
type ChildBench struct {
	Backend          string  `json:"backend"`
	Kernels          string  `json:"kernels"`
	Arch             string  `json:"arch"`
	BatchSize        int     `json:"batch_size"`
	TrainImagesPerS  float64 `json:"train_images_per_s"`
	EvalImagesPerS   float64 `json:"eval_images_per_s"`
	TrainBatches     int     `json:"train_batches"`
	SwitchNewMs      float64 `json:"switch_new_ms"`
	SwitchCachedMs   float64 `json:"switch_cached_ms"`
	SteadyBatchMs    float64 `json:"steady_batch_ms"`
	SecondsRequested float64 `json:"seconds"`
}

// BenchChild measures the child network of cfg on ds for about seconds: training and evaluation
// throughput on ReferenceArch, the extra cost of the first batch of a new architecture (graph
// building and compilation), and the cost of switching to a cached one.
func BenchChild(backend compute.Backend, backendName string, ds *data.Dataset, cfg Config, seconds float64) (ChildBench, error) {
	res := ChildBench{Backend: backendName, Arch: ReferenceArch, SecondsRequested: seconds}
	sg, err := New(backend, ds, cfg)
	if err != nil {
		return res, err
	}
	res.BatchSize, res.Kernels = sg.cfg.BatchSize, sg.kernels
	ref, err := arch.Parse(ReferenceArch)
	if err != nil {
		return res, err
	}
	if sg.cfg.Nodes != ref.N() {
		return res, fmt.Errorf("bench: the reference architecture has %d nodes, the configuration %d", ref.N(), sg.cfg.Nodes)
	}
	if _, err := sg.Train(ref, BatchBudget(1)); err != nil { // builds the graph
		return res, err
	}

	// Training throughput.
	var batchTimes []float64
	start := time.Now()
	for time.Since(start).Seconds() < seconds/2 || len(batchTimes) < 2 {
		r, err := sg.Train(ref, BatchBudget(1))
		if err != nil {
			return res, err
		}
		batchTimes = append(batchTimes, r.Seconds)
	}
	res.TrainBatches = len(batchTimes)
	res.TrainImagesPerS = float64(len(batchTimes)*sg.cfg.BatchSize) / time.Since(start).Seconds()
	res.SteadyBatchMs = 1000 * median(batchTimes)

	// Evaluation throughput.
	if _, err := sg.Evaluate(ref, 1); err != nil {
		return res, err
	}
	evalImages := 0
	start = time.Now()
	for time.Since(start).Seconds() < seconds/4 || evalImages < 2*sg.cfg.BatchSize {
		r, err := sg.Evaluate(ref, 1)
		if err != nil {
			return res, err
		}
		evalImages += r.Images
	}
	res.EvalImagesPerS = float64(evalImages) / time.Since(start).Seconds()

	// A new architecture: the first batch costs its graph building on top of a steady batch.
	// Each is the reference with one op changed, so the compute is comparable.
	r := rand.New(rand.NewPCG(sg.cfg.Seed, 77))
	var extra []float64
	for k := 0; k < 3; k++ {
		b := ref.Clone()
		b.SetOp(1+r.IntN(ref.N()-2), arch.Op(r.IntN(arch.NumOps)))
		b.SetEdge(0, ref.N()-1, k%2 == 0)
		first, err := sg.Train(b, BatchBudget(1))
		if err != nil {
			return res, err
		}
		var steady []float64
		for i := 0; i < 2; i++ {
			s, err := sg.Train(b, BatchBudget(1))
			if err != nil {
				return res, err
			}
			steady = append(steady, s.Seconds)
		}
		extra = append(extra, first.Seconds-median(steady))
	}
	res.SwitchNewMs = 1000 * max(median(extra), 0)

	// A cached architecture: the switch is the look-up of its executables.
	t0 := time.Now()
	const lookups = 100
	for i := 0; i < lookups; i++ {
		if _, built, err := sg.executables(ref); err != nil || built {
			return res, fmt.Errorf("bench: the reference architecture fell out of the cache: %v", err)
		}
	}
	res.SwitchCachedMs = 1000 * time.Since(t0).Seconds() / lookups
	return res, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// OpBench is the time of one op alone on a [B, H, W, C] float32 activation.
type OpBench struct {
	Op         string  `json:"op"`
	ForwardMs  float64 `json:"forward_ms"`
	BackwardMs float64 `json:"forward_backward_ms"`
}

// BenchOps times every op of the catalogue, plus a 1×1 link, batch-norm and fuzzy ReLU, on a
// [b, h, w, c] activation (in the layout of the formulation named, KernelsGo or KernelsXLA):
// the forward pass alone, and forward plus backward (the gradients of the input and of the
// weights).
func BenchOps(backend compute.Backend, kernelsName string, b, h, w, c, repeats int) ([]OpBench, error) {
	if _, err := newKernels(kernelsName); err != nil {
		return nil, err
	}
	type layer struct {
		name string
		fn   func(k kernels, x *Node) (y *Node, weights []*Node)
	}
	ones := func(g *Graph, dims ...int) *Node { return MulScalar(Ones(g, shapeF32(dims...)), 0.01) }
	layers := []layer{
		{"link 1x1", func(k kernels, x *Node) (*Node, []*Node) {
			wt := ones(x.Graph(), c, c)
			return k.pointwise(x, wt), []*Node{wt}
		}},
		{"batch-norm", func(k kernels, x *Node) (*Node, []*Node) {
			gamma, beta := ones(x.Graph(), c), ones(x.Graph(), c)
			ys, _, _ := k.batchNorm([]*Node{x}, gamma, beta)
			return ys[0], []*Node{gamma, beta}
		}},
		{"fuzzy relu", func(k kernels, x *Node) (*Node, []*Node) { return k.fuzzyReLU(x), nil }},
	}
	for _, op := range arch.AllOps() {
		ks := op.Kernel()
		layers = append(layers, layer{op.String(), func(k kernels, x *Node) (*Node, []*Node) {
			switch op.Family() {
			case arch.FamilyConv, arch.FamilyDilated:
				wt := ones(x.Graph(), ks*ks*c, c)
				return k.conv(x, wt, ks, op.Dilation()), []*Node{wt}
			case arch.FamilyDepthwise:
				wt := ones(x.Graph(), ks*ks, c)
				return k.depthwise(x, wt, ks), []*Node{wt}
			default:
				return k.maxPool(x, ks), nil
			}
		}})
	}
	probe, _ := newKernels(kernelsName)
	input := tensors.FromShape(shapeF32(probe.activationDims(b, h, w, c)...))
	tensors.MustMutableFlatData(input, func(f []float32) {
		for i := range f {
			f[i] = float32(i%97) / 97
		}
	})
	timeIt := func(fn func(x *Node) *Node) (float64, error) {
		exec, err := NewExec(backend, fn)
		if err != nil {
			return 0, err
		}
		defer exec.Finalize()
		var times []float64
		for i := 0; i <= repeats; i++ {
			t0 := time.Now()
			out, err := exec.Call(input)
			if err != nil {
				return 0, err
			}
			out[0].FinalizeAll()
			if i > 0 { // the first call builds the graph.
				times = append(times, time.Since(t0).Seconds())
			}
		}
		return 1000 * median(times), nil
	}
	var res []OpBench
	for _, l := range layers {
		fwd, err := timeIt(func(x *Node) *Node {
			k, _ := newKernels(kernelsName)
			y, _ := l.fn(k.inference(), x)
			return y
		})
		if err != nil {
			return nil, fmt.Errorf("bench %s: %w", l.name, err)
		}
		both, err := timeIt(func(x *Node) *Node {
			k, _ := newKernels(kernelsName)
			y, weights := l.fn(k, x)
			// One scalar output that needs every gradient (the weights' too), so that nothing is
			// left out and no large tensor is returned.
			var total *Node
			for _, g := range layerGradients(k, y, OnesLike(y), append([]*Node{x}, weights...)) {
				if total == nil {
					total = ReduceAllSum(g)
				} else {
					total = Add(total, ReduceAllSum(g))
				}
			}
			return total
		})
		if err != nil {
			return nil, fmt.Errorf("bench %s backward: %w", l.name, err)
		}
		res = append(res, OpBench{Op: l.name, ForwardMs: fwd, BackwardMs: both})
	}
	return res, nil
}
