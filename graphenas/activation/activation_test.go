package activation

import (
	"math"
	"testing"
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
