package supergraph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/graphenas/graphenas/graphenas/arch"
)

// The shared weights live in a GoMLX model store, one scope per place in the supergraph, so a
// checkpoint reads like the network:
//
//	/stem            weights [Cin, C]          /stem/bn   gamma, beta, running_mean, running_var
//	/node_j/bn       gamma, beta, running_*    /node_j/<op> weights (conv [k·k·Cj, Cj], depthwise [k·k, Cj])
//	/link_i_j        weights [Ci, Cj]          /head      weights [C_{N−1}, classes], bias [classes]
//
// Every trainable variable has a twin "<name>_velocity" holding its SGD momentum.

const (
	stemScope      = "/stem"
	headScope      = "/head"
	velocitySuffix = "_velocity"
)

func nodeScope(j int) string            { return fmt.Sprintf("/node_%d", j) }
func opScope(j int, op arch.Op) string  { return nodeScope(j) + "/" + op.String() }
func linkScope(i, j int) string         { return fmt.Sprintf("/link_%d_%d", i, j) }
func shapeF32(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }

// newWeights creates every shared weight of the supergraph in ctx, initialised from seed: He-normal
// convolutions and links, unit batch-norm scales, a uniform head (PyTorch's defaults).
func newWeights(store *model.Store, cfg Config, inChannels, classes int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x3E16))
	normal := func(std float64, dims ...int) *tensors.Tensor {
		t := tensors.FromShape(shapeF32(dims...))
		tensors.MutableFlatData(t, func(f []float32) {
			for i := range f {
				f[i] = float32(r.NormFloat64() * std)
			}
		})
		return t
	}
	uniform := func(limit float64, dims ...int) *tensors.Tensor {
		t := tensors.FromShape(shapeF32(dims...))
		tensors.MutableFlatData(t, func(f []float32) {
			for i := range f {
				f[i] = float32((2*r.Float64() - 1) * limit)
			}
		})
		return t
	}
	fill := func(v float32, dims ...int) *tensors.Tensor {
		t := tensors.FromShape(shapeF32(dims...))
		tensors.MutableFlatData(t, func(f []float32) {
			for i := range f {
				f[i] = v
			}
		})
		return t
	}
	trainable := func(scope, name string, value *tensors.Tensor) {
		store.Scope(scope).VariableWithValue(name, value)
		store.Scope(scope).VariableWithValue(name+velocitySuffix, fill(0, value.Shape().Dimensions...)).SetTrainable(false)
	}
	batchNorm := func(scope string, c int) {
		trainable(scope, "gamma", fill(1, c))
		trainable(scope, "beta", fill(0, c))
		store.Scope(scope).VariableWithValue("running_mean", fill(0, c)).SetTrainable(false)
		store.Scope(scope).VariableWithValue("running_var", fill(1, c)).SetTrainable(false)
	}

	c0 := cfg.NodeChannels(0)
	inChannels = cfg.StemChannels(inChannels)
	batchNorm(stemScope+"/bn", inChannels)
	trainable(stemScope, "weights", normal(math.Sqrt(2/float64(inChannels)), inChannels, c0))
	for j := 1; j < cfg.Nodes; j++ {
		cj := cfg.NodeChannels(j)
		batchNorm(nodeScope(j)+"/bn", cj)
		for i := 0; i < j; i++ {
			ci := cfg.NodeChannels(i)
			trainable(linkScope(i, j), "weights", normal(math.Sqrt(2/float64(ci)), ci, cj))
		}
		if j == cfg.Nodes-1 {
			continue // the output node has no op.
		}
		for _, op := range arch.AllOps() {
			k := op.Kernel()
			switch op.Family() {
			case arch.FamilyConv, arch.FamilyDilated:
				trainable(opScope(j, op), "weights", normal(math.Sqrt(2/float64(k*k*cj)), k*k*cj, cj))
			case arch.FamilyDepthwise:
				trainable(opScope(j, op), "weights", normal(math.Sqrt(2/float64(k*k)), k*k, cj))
			}
		}
	}
	cOut := cfg.NodeChannels(cfg.Nodes - 1)
	limit := 1 / math.Sqrt(float64(cOut))
	trainable(headScope, "weights", uniform(limit, cOut, classes))
	trainable(headScope, "bias", uniform(limit, classes))
}

// sortedVars returns the variables of m ordered by scope and name, so graphs are built the same
// way every time.
func sortedVars(m map[*model.Variable]*graph.Node) []*model.Variable {
	vars := make([]*model.Variable, 0, len(m))
	for v := range m {
		vars = append(vars, v)
	}
	sort.Slice(vars, func(a, b int) bool { return vars[a].Path() < vars[b].Path() })
	return vars
}
