package stats

import (
	"math"
	"testing"
)

func TestStats(t *testing.T) {
	if m, s := MeanStd([]float64{1, 2, 3}); m != 2 || s != 1 {
		t.Errorf("MeanStd = %v, %v", m, s)
	}
	if m, s := MeanStd(nil); m != 0 || s != 0 {
		t.Errorf("MeanStd(nil) = %v, %v", m, s)
	}
	rho, n := Spearman([]float64{1, 2, 3, 4, math.NaN()}, []float64{10, 20, 25, 100, 1})
	if rho != 1 || n != 4 {
		t.Errorf("monotone: ρ %v n %d", rho, n)
	}
	if rho, _ := Spearman([]float64{1, 2, 3}, []float64{3, 2, 1}); rho != -1 {
		t.Errorf("reversed: ρ %v", rho)
	}
	if rho, _ := Spearman([]float64{1, 2}, []float64{1, 2}); !math.IsNaN(rho) {
		t.Error("two pairs should give NaN")
	}
	if r := Ranks([]float64{5, 1, 5}); r[0] != 2.5 || r[1] != 1 || r[2] != 2.5 {
		t.Errorf("ranks %v", r)
	}
	ma := MovingAverage([]float64{1, 3, math.NaN(), 5}, 2)
	if ma[0] != 1 || ma[1] != 2 || ma[2] != 3 || ma[3] != 5 {
		t.Errorf("moving average %v", ma)
	}
}

// The power calculation: at n = 5 and σ_d = 1 the smallest detectable difference is
// (2.776 + 0.941)/√5 = 1.66; a 1-point difference at σ_d = 2 needs about (2.8·2)² + 2 ≈ 34 pairs.
func TestPower(t *testing.T) {
	if got := MinDetectable(1, 5); math.Abs(got-1.662) > 0.002 {
		t.Errorf("MinDetectable(1, 5) = %.4f", got)
	}
	if n := PairsNeeded(2, 1); n < 32 || n > 36 {
		t.Errorf("PairsNeeded(2, 1) = %d, want about 34", n)
	}
	if TQuantile975(4) != 2.776 || math.Abs(TQuantile975(99)-1.984) > 0.002 {
		t.Errorf("t quantiles %v %v", TQuantile975(4), TQuantile975(99))
	}
}
