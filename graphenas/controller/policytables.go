package controller

import (
	"math"
	"math/rand/v2"

	"github.com/graphenas/graphenas/graphenas/space"
)

// Tables are the actor's log-probabilities for one graph: Kind [2], Node [N], Op [N·nOps],
// Src [N], Dst [N·N]. An action's probability is the product along its path:
// p(kind) · p(node) · p(op | node) for an op change, p(kind) · p(src) · p(dst | src) for an edge.
type Tables struct {
	n, nOps                  int
	Kind, Node, Op, Src, Dst []float32
}

// LogProb returns log π(a).
func (t *Tables) LogProb(a space.Action) float64 {
	if a.Kind == space.ChangeOp {
		return float64(t.Kind[0]) + float64(t.Node[a.Node]) + float64(t.Op[a.Node*t.nOps+a.Op])
	}
	return float64(t.Kind[1]) + float64(t.Src[a.From]) + float64(t.Dst[a.From*t.n+a.To])
}

// Sample draws an action and returns it with its log-probability.
func (t *Tables) Sample(r *rand.Rand) (space.Action, float64) {
	var a space.Action
	if draw(t.Kind, r) == 0 {
		a.Kind = space.ChangeOp
		a.Node = draw(t.Node, r)
		a.Op = draw(t.Op[a.Node*t.nOps:(a.Node+1)*t.nOps], r)
	} else {
		a.Kind = space.SetEdge
		a.From = draw(t.Src, r)
		a.To = draw(t.Dst[a.From*t.n:(a.From+1)*t.n], r)
	}
	return a, t.LogProb(a)
}

// draw samples an index from log-probabilities.
func draw(logp []float32, r *rand.Rand) int {
	u := r.Float64()
	acc := 0.0
	last := 0
	for i, l := range logp {
		p := math.Exp(float64(l))
		if p == 0 {
			continue
		}
		last = i
		acc += p
		if u < acc {
			return i
		}
	}
	return last // rounding: the last index with non-zero probability
}

// ActionProbabilities returns every legal edit of g with its probability under the actor at
// inverse temperature beta (they sum to one).
func (c *Controller) ActionProbabilities(g *space.Graph, beta float64) ([]space.Action, []float64, error) {
	t, err := c.Tables(g, beta)
	if err != nil {
		return nil, nil, err
	}
	acts := space.Actions(c.sp, g)
	probs := make([]float64, len(acts))
	for i, a := range acts {
		probs[i] = math.Exp(t.LogProb(a))
	}
	return acts, probs, nil
}
