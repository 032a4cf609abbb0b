// Package activation holds GraphEnas's activation, "fuzzy ReLU", used by the child network and the
// controller alike.
package activation

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph-building code reads best with the ops unqualified.
)

// FuzzyReLU is softplus(2x) − ln 2 in its numerically stable form, log(1 + e^(−2|x|)) + relu(2x) − ln 2:
// zero at 0, slope 1 at 0, slopes 0 and 2 at the tails (graphenas/DESIGN.md §2). GoMLX can differentiate it.
func FuzzyReLU(x *Node) *Node {
	twoX := MulScalar(x, 2)
	return AddScalar(Add(Log1p(Exp(Neg(Abs(twoX)))), Max(twoX, ZerosLike(twoX))), -math.Ln2)
}

// FuzzyReLUSlope is the derivative of FuzzyReLU, 2·sigmoid(2x), for hand-written backward passes.
func FuzzyReLUSlope(x *Node) *Node {
	return MulScalar(Logistic(MulScalar(x, 2)), 2)
}

// FuzzyReLUAndSlope returns FuzzyReLU(x), bit for bit (except at −∞, where it is NaN: a
// non-finite activation, which a training step refuses anyway), and a function that builds its slope,
// 2·sigmoid(2x), for a hand-written backward pass. Both share one exponential, e = exp(−2|x|):
// the output is log(1 + e) + (x + |x|) − ln 2, and the slope 2/(1 + e) where x ≥ 0 and
// 2e/(1 + e) elsewhere. On GoMLX's Go back-end each transcendental op costs about ten simple
// ones (one core, one element at a time), so the backward pass reuses e instead of computing a
// logistic, and no op broadcasts a constant.
func FuzzyReLUAndSlope(x *Node) (y *Node, slope func() *Node) {
	a := Abs(x)
	e := Exp(MulScalar(a, -2))
	y = AddScalar(Add(Log1p(e), Add(x, a)), -math.Ln2)
	slope = func() *Node {
		inv := MulScalar(Inverse(AddScalar(e, 1)), 2) // 2·sigmoid(2|x|)
		return Where(GreaterOrEqual(x, a), inv, Mul(e, inv))
	}
	return y, slope
}

// FuzzyReLUValue is FuzzyReLU of one number, for plots and plain-Go references.
func FuzzyReLUValue(x float64) float64 {
	return math.Log1p(math.Exp(-math.Abs(2*x))) + math.Max(2*x, 0) - math.Ln2
}

// FuzzyReLUSlopeValue is FuzzyReLUSlope of one number, 2·sigmoid(2x).
func FuzzyReLUSlopeValue(x float64) float64 { return 2 / (1 + math.Exp(-2*x)) }
