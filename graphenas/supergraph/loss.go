package supergraph

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph-building code reads best with the ops unqualified.
)

// softmaxCrossEntropy returns the mean cross-entropy of logits [B, K] against labels [B] (int32)
// and the number of correct predictions.
func softmaxCrossEntropy(logits, labels *Node) (loss, correct *Node) {
	d := logits.Shape().Dimensions
	b, k := d[0], d[1]
	g := logits.Graph()
	oneHot := ConvertDType(Equal(Iota(g, shapes.Make(dtypes.Int32, b, k), 1), Reshape(labels, b, 1)), logits.DType())
	shifted := Sub(logits, ReduceAndKeep(logits, ReduceMax, 1))
	logSumExp := Log(ReduceSum(Exp(shifted), 1)) // [B]
	loss = DivScalar(ReduceAllSum(Sub(logSumExp, ReduceSum(Mul(shifted, oneHot), 1))), float64(b))
	pred := ConvertDType(ArgMax(logits, 1), dtypes.Int32)
	correct = ReduceAllSum(ConvertDType(Equal(pred, labels), logits.DType()))
	return loss, correct
}

// softmaxCrossEntropyGrad returns the gradient of the mean cross-entropy with respect to logits.
func softmaxCrossEntropyGrad(logits, labels *Node) *Node {
	d := logits.Shape().Dimensions
	oneHot := ConvertDType(Equal(Iota(logits.Graph(), shapes.Make(dtypes.Int32, d[0], d[1]), 1), Reshape(labels, d[0], 1)), logits.DType())
	return DivScalar(Sub(Softmax(logits, 1), oneHot), float64(d[0]))
}
