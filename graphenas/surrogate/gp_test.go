package surrogate

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/graphenas/stats"
)

func TestDistance(t *testing.T) {
	a := space.NB201Graph([6]int{0, 1, 2, 3, 4, 0})
	b := space.NB201Graph([6]int{0, 1, 2, 3, 4, 3})
	c := space.NB201Graph([6]int{3, 3, 3, 3, 3, 3})
	if d := Distance(a, a); d != 0 {
		t.Errorf("Distance(a, a) = %d", d)
	}
	if d := Distance(a, b); d != 1 {
		t.Errorf("one op changed: distance %d, want 1", d)
	}
	if d := Distance(a, c); d != 5 {
		t.Errorf("five ops changed: distance %d, want 5", d)
	}
	// Edges count: two 3-node graphs with the same ops, one edge apart, and a 4-node one.
	g := space.NewGraph([]int{space.NoOp, 0, space.NoOp})
	g.SetEdge(0, 1, true)
	h := g.Clone()
	h.SetEdge(1, 2, true)
	if d := Distance(g, h); d != 1 {
		t.Errorf("one edge apart: distance %d, want 1", d)
	}
	k := space.NewGraph([]int{space.NoOp, 0, space.NoOp, 1})
	k.SetEdge(0, 1, true)
	if d, e := Distance(g, k), Distance(k, g); d != 1 || e != 1 {
		t.Errorf("one extra node without edges: distances %d and %d, want 1", d, e)
	}
}

// synthetic is a smooth objective on NAS-Bench-201 cells: convolutions help, "none" edges hurt,
// a 3×3 convolution on the first edge helps most.
func synthetic(g *space.Graph) float64 {
	v := 0.0
	for i, op := range space.NB201EdgeOps(g) {
		switch op {
		case 0:
			v -= 1
		case 2:
			v += 0.5
		case 3:
			v += 1
			if i == 0 {
				v += 1
			}
		}
	}
	return v
}

func noisySamples(r *rand.Rand, n int, noise float64) ([]Sample, []float64) {
	samples := make([]Sample, n)
	truth := make([]float64, n)
	for i := range samples {
		g := space.NB201{}.Random(r)
		truth[i] = synthetic(g)
		samples[i] = Sample{Graph: g, Value: truth[i] + noise*r.NormFloat64(), Count: 1}
	}
	return samples, truth
}

// The posterior mean is closer to the truth than the noisy values it was fitted to, ranks unseen
// cells well, and the noise the marginal likelihood chose is near the real one.
func TestFitDenoisesAndGeneralises(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const noise = 1.0
	train, truth := noisySamples(r, 150, noise)
	gp, err := Fit(train, DefaultGrid())
	if err != nil {
		t.Fatal(err)
	}
	rawErr, postErr := 0.0, 0.0
	for i, s := range train {
		m, sd := gp.Predict(s.Graph)
		if mean := gp.Mean(s.Graph); mean != m {
			t.Fatalf("Mean %g, Predict's mean %g", mean, m)
		}
		if sd <= 0 || sd > math.Sqrt(gp.Signal) {
			t.Fatalf("posterior std %g outside (0, prior std %g]", sd, math.Sqrt(gp.Signal))
		}
		rawErr += (s.Value - truth[i]) * (s.Value - truth[i])
		postErr += (m - truth[i]) * (m - truth[i])
	}
	rawRMS, postRMS := math.Sqrt(rawErr/150), math.Sqrt(postErr/150)
	if postRMS > 0.7*rawRMS {
		t.Errorf("posterior RMS error %.3f, noisy values %.3f: want at least 30%% less", postRMS, rawRMS)
	}
	test, testTruth := noisySamples(r, 200, 0)
	pred := make([]float64, len(test))
	for i, s := range test {
		pred[i], _ = gp.Predict(s.Graph)
	}
	if rho, _ := stats.Spearman(pred, testTruth); rho < 0.8 {
		t.Errorf("rank correlation on unseen cells %.3f, want > 0.8", rho)
	}
	if sd := math.Sqrt(gp.Noise); sd < noise/2 || sd > 2*noise {
		t.Errorf("noise std chosen %.3f, real %.1f", sd, noise)
	}
	t.Logf("RMS %.3f → %.3f; ℓ=%g s²=%.3g τ²=%.3g", rawRMS, postRMS, gp.LengthScale, gp.Signal, gp.Noise)
}

// A cell queried more often is believed more: its posterior mean moves less toward its
// neighbours than that of a cell with the same value seen once.
func TestCountsWeighTheEvidence(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	samples, _ := noisySamples(r, 60, 0.5)
	gp, err := Fit(samples, DefaultGrid())
	if err != nil {
		t.Fatal(err)
	}
	outlier := space.NB201Graph([6]int{0, 0, 0, 0, 0, 1}) // synthetic −5: claim +5
	once := append(append([]Sample(nil), samples...), Sample{Graph: outlier, Value: 5, Count: 1})
	many := append(append([]Sample(nil), samples...), Sample{Graph: outlier, Value: 5, Count: 50})
	g1, err := gp.Condition(once)
	if err != nil {
		t.Fatal(err)
	}
	g50, err := gp.Condition(many)
	if err != nil {
		t.Fatal(err)
	}
	m1, sd1 := g1.Predict(outlier)
	m50, sd50 := g50.Predict(outlier)
	if !(m1 < m50 && m50 <= 5 && sd50 < sd1) {
		t.Errorf("seen once: %.3f ± %.3f; seen 50 times: %.3f ± %.3f; want the second nearer 5 and surer", m1, sd1, m50, sd50)
	}
	// Conditioning on the same samples reproduces the fit.
	same, err := gp.Condition(samples)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples[:5] {
		a, _ := gp.Predict(s.Graph)
		b, _ := same.Predict(s.Graph)
		if math.Abs(a-b) > 1e-9 {
			t.Errorf("Condition on the fitted samples: %g, Fit: %g", b, a)
		}
	}
}

func TestFitErrors(t *testing.T) {
	g := space.NB201Graph([6]int{0, 1, 2, 3, 4, 0})
	h := space.NB201Graph([6]int{1, 1, 2, 3, 4, 0})
	for want, samples := range map[string][]Sample{
		"at least 2":  {{Graph: g, Value: 1, Count: 1}},
		"count 0":     {{Graph: g, Value: 1, Count: 1}, {Graph: h, Value: 2}},
		"value NaN":   {{Graph: g, Value: 1, Count: 1}, {Graph: h, Value: math.NaN(), Count: 1}},
		"are equal":   {{Graph: g, Value: 1, Count: 1}, {Graph: h, Value: 1, Count: 1}},
		"no hyperpar": {{Graph: g, Value: 1, Count: 1}, {Graph: h, Value: 2, Count: 1}},
	} {
		grid := DefaultGrid()
		if want == "no hyperpar" {
			grid.NoiseRatios = []float64{-10} // makes every kernel matrix indefinite
		}
		if _, err := Fit(samples, grid); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want one that says %q", err, want)
		}
	}
}
