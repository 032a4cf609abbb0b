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

// FuzzyReLUValue is FuzzyReLU of one number, for plots and plain-Go references.
func FuzzyReLUValue(x float64) float64 {
	return math.Log1p(math.Exp(-math.Abs(2*x))) + math.Max(2*x, 0) - math.Ln2
}

// FuzzyReLUSlopeValue is FuzzyReLUSlope of one number, 2·sigmoid(2x).
func FuzzyReLUSlopeValue(x float64) float64 { return 2 / (1 + math.Exp(-2*x)) }
