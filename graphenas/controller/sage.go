package controller

import (
	"math/rand/v2"

	"github.com/graphenas/graphenas/graphenas/activation"
)

// Dense is a plain-Go linear layer, y = x·W + b, with W [in][out].
type Dense struct {
	W [][]float64
	B []float64
}

// Apply applies the layer to every row of x.
func (d Dense) Apply(x [][]float64) [][]float64 {
	out := make([][]float64, len(x))
	for r, row := range x {
		out[r] = append([]float64(nil), d.B...)
		for i, v := range row {
			for o := range d.B {
				out[r][o] += v * d.W[i][o]
			}
		}
	}
	return out
}

// SAGEWeights are the weights of one GraphSAGE layer of the encoder: one dense layer each for
// the predecessors' messages, the successors', the node itself, and the mix of the three.
type SAGEWeights struct {
	Pred, Succ, Self, Mix Dense
}

// RandomSAGEWeights returns small random weights for a layer of width d (for teaching).
func RandomSAGEWeights(d int, seed uint64) SAGEWeights {
	r := rand.New(rand.NewPCG(seed, 0x5A6E))
	dense := func(in, out int) Dense {
		w := make([][]float64, in)
		for i := range w {
			w[i] = make([]float64, out)
			for o := range w[i] {
				w[i][o] = r.NormFloat64() / float64(in)
			}
		}
		return Dense{W: w, B: make([]float64, out)}
	}
	return SAGEWeights{Pred: dense(d, d), Succ: dense(d, d), Self: dense(d, d), Mix: dense(3*d, d)}
}

// SAGEStep is every intermediate of one GraphSAGE layer, [N][D] each.
type SAGEStep struct {
	// FromPred = pred·(h·W_pred): the mean message of the predecessors; FromSucc likewise.
	FromPred, FromSucc, Self [][]float64
	// Mixed = fuzzyReLU([FromPred, FromSucc, Self]·W_mix); Out = h + Mixed (the skip link).
	Mixed, Out [][]float64
}

// SAGELayer runs one layer of the encoder in plain Go, exactly as the GoMLX encoder does (see
// encode): it aggregates predecessors and successors separately with the row-normalised
// adjacencies of space.MeanAdjacency, mixes them with the node's own message and adds the result
// to h. It is the step-by-step version for the teaching notebook and for tests.
func SAGELayer(h, pred, succ [][]float64, w SAGEWeights) SAGEStep {
	mean := func(adj, x [][]float64) [][]float64 {
		out := make([][]float64, len(adj))
		for i := range adj {
			out[i] = make([]float64, len(x[0]))
			for j, a := range adj[i] {
				for k := range out[i] {
					out[i][k] += a * x[j][k]
				}
			}
		}
		return out
	}
	st := SAGEStep{FromPred: mean(pred, w.Pred.Apply(h)), FromSucc: mean(succ, w.Succ.Apply(h)), Self: w.Self.Apply(h)}
	cat := make([][]float64, len(h))
	for i := range h {
		cat[i] = append(append(append([]float64(nil), st.FromPred[i]...), st.FromSucc[i]...), st.Self[i]...)
	}
	st.Mixed = w.Mix.Apply(cat)
	st.Out = make([][]float64, len(h))
	for i := range st.Mixed {
		st.Out[i] = make([]float64, len(h[i]))
		for k := range st.Mixed[i] {
			st.Mixed[i][k] = activation.FuzzyReLUValue(st.Mixed[i][k])
			st.Out[i][k] = h[i][k] + st.Mixed[i][k]
		}
	}
	return st
}
