package activation

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/graphenas/graphenas/graphenas/backend"
)

func TestFuzzyReLUValue(t *testing.T) {
	for _, c := range []struct{ x, y, slope float64 }{{0, 0, 1}, {20, 40 - math.Ln2, 2}, {-20, -math.Ln2, 0}} {
		if y := FuzzyReLUValue(c.x); math.Abs(y-c.y) > 1e-9 {
			t.Errorf("FuzzyReLU(%g) = %g, want %g", c.x, y, c.y)
		}
		if s := FuzzyReLUSlopeValue(c.x); math.Abs(s-c.slope) > 1e-9 {
			t.Errorf("slope(%g) = %g, want %g", c.x, s, c.slope)
		}
	}
	// The slope is the derivative.
	x, h := 0.3, 1e-6
	if d := (FuzzyReLUValue(x+h) - FuzzyReLUValue(x-h)) / (2 * h); math.Abs(d-FuzzyReLUSlopeValue(x)) > 1e-6 {
		t.Errorf("numerical slope %g vs %g", d, FuzzyReLUSlopeValue(x))
	}
}

// TestFuzzyReLUAndSlope checks the hand-written backward's form against FuzzyReLU and
// FuzzyReLUSlope on the Go back-end, in float32: the outputs bit for bit (NaN at −∞), the slopes
// to float32 rounding.
func TestFuzzyReLUAndSlope(t *testing.T) {
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	xs := []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1e-4, -1e-4, 0.3, -0.3, 1, -1, 4.5, -4.5,
		30, -30, 44, -44, 60, -60, 200, -200, float32(math.Inf(1)), float32(math.Inf(-1))}
	out, err := graph.CallOnceN(b, func(x *graph.Node) []*graph.Node {
		y, slope := FuzzyReLUAndSlope(x)
		return []*graph.Node{y, slope(), FuzzyReLU(x), FuzzyReLUSlope(x)}
	}, tensors.FromValue(xs))
	if err != nil {
		t.Fatal(err)
	}
	v := make([][]float32, len(out))
	for i, o := range out {
		v[i] = tensors.MustCopyFlatData[float32](o)
	}
	for i, x := range xs {
		if math.IsInf(float64(x), -1) {
			if !math.IsNaN(float64(v[0][i])) {
				t.Errorf("FuzzyReLUAndSlope(-Inf) = %g, want NaN", v[0][i])
			}
			continue
		}
		if math.Float32bits(v[0][i]) != math.Float32bits(v[2][i]) {
			t.Errorf("FuzzyReLUAndSlope(%g) = %g, FuzzyReLU %g", x, v[0][i], v[2][i])
		}
		if got, want := float64(v[1][i]), float64(v[3][i]); math.Abs(got-want) > 3e-7*math.Max(math.Abs(want), 1e-30) {
			t.Errorf("slope at %g = %g, FuzzyReLUSlope %g", x, got, want)
		}
	}
}
