// Package surrogate is a Gaussian-process regression over the graphs of a search space: from the
// noisy values of the cells queried so far it estimates every cell's value, pooling each cell's
// own queries with those of the cells a few edits away. It is the statistics a search needs to
// choose, under noise, which queried cell to believe: the cell with the highest single noisy value
// is mostly the luckiest (the winner's curse), while its posterior mean also weighs what its
// neighbours showed.
//
// The kernel is k(a, b) = s²·exp(−d(a, b)/ℓ), d the number of differing ops and edges (Distance).
// The constant prior mean is the generalised-least-squares one; the length scale ℓ, the signal
// variance s² and the noise variance τ² are chosen on a grid by the marginal likelihood, so that
// nothing about the benchmark (not its noise level) has to be told.
package surrogate

import (
	"fmt"
	"math"

	"github.com/graphenas/graphenas/graphenas/space"
)

// Distance is the number of node positions whose ops differ plus the number of edges present in
// one graph only; a node that only one graph has counts as one difference, with its edges.
func Distance(a, b *space.Graph) int {
	if a.N() > b.N() {
		a, b = b, a
	}
	d := b.N() - a.N()
	for i := 0; i < a.N(); i++ {
		if a.Ops[i] != b.Ops[i] {
			d++
		}
	}
	for i := 0; i < b.N(); i++ {
		for j := i + 1; j < b.N(); j++ {
			if a.HasEdge(i, j) != b.HasEdge(i, j) {
				d++
			}
		}
	}
	return d
}

// Sample is what was observed of one cell: the mean Value of its Count noisy queries.
type Sample struct {
	Graph *space.Graph
	Value float64
	Count int
}

// Grid is the set of hyperparameters the marginal likelihood chooses from: length scales in
// units of Distance, and the noise variance of one query as a ratio to the signal variance s².
// For each pair the likelihood's optimal s² has a closed form, so s² needs no grid.
type Grid struct {
	LengthScales []float64
	NoiseRatios  []float64
}

// DefaultGrid covers length scales from half an edit (cells unrelated beyond their own value) to
// 32 edits (nearly additive over the ops), and noise from almost none to three times the signal.
func DefaultGrid() Grid {
	return Grid{
		LengthScales: []float64{0.5, 1, 2, 4, 8, 16, 32},
		NoiseRatios:  []float64{0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3},
	}
}

// GP is a fitted Gaussian process.
type GP struct {
	samples []Sample
	// LengthScale, Signal (s²), Noise (τ², of one query) and PriorMean are the hyperparameters
	// chosen, in the units of the values.
	LengthScale, Signal, Noise, PriorMean float64
	// LogLikelihood is the log marginal likelihood of the chosen hyperparameters.
	LogLikelihood float64
	chol          [][]float64 // Cholesky factor of K + diag(τ²/count)
	alpha         []float64   // (K + diag)⁻¹ (y − mean)
}

// Fit chooses the hyperparameters on grid by the marginal likelihood and conditions on samples.
// It needs at least two samples with positive counts, and values that are not all equal.
func Fit(samples []Sample, grid Grid) (*GP, error) {
	if len(samples) < 2 {
		return nil, fmt.Errorf("surrogate: need at least 2 samples, got %d", len(samples))
	}
	first := samples[0].Value
	equal := true
	for i, s := range samples {
		if s.Count < 1 || s.Graph == nil || math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
			return nil, fmt.Errorf("surrogate: sample %d has count %d, value %g", i, s.Count, s.Value)
		}
		equal = equal && s.Value == first
	}
	if equal {
		return nil, fmt.Errorf("surrogate: all %d values are equal", len(samples))
	}
	dist := distances(samples)
	var best *GP
	for _, l := range grid.LengthScales {
		for _, ratio := range grid.NoiseRatios {
			gp, err := condition(samples, dist, l, 0, ratio)
			if err != nil {
				continue // not positive definite at this setting
			}
			if best == nil || gp.LogLikelihood > best.LogLikelihood {
				best = gp
			}
		}
	}
	if best == nil {
		return nil, fmt.Errorf("surrogate: no hyperparameters on the grid gave a positive-definite kernel")
	}
	return best, nil
}

// Condition returns the process with gp's hyperparameters conditioned on samples instead: one
// factorisation, where Fit makes one per grid point. A search refits now and then and conditions
// in between.
func (gp *GP) Condition(samples []Sample) (*GP, error) {
	if len(samples) == 0 {
		return nil, fmt.Errorf("surrogate: nothing to condition on")
	}
	return condition(samples, distances(samples), gp.LengthScale, gp.Signal, gp.Noise/gp.Signal)
}

// distances is the matrix of Distance between the samples' graphs.
func distances(samples []Sample) [][]float64 {
	n := len(samples)
	dist := make([][]float64, n)
	for i := range dist {
		dist[i] = make([]float64, n)
		for j := range i {
			d := float64(Distance(samples[i].Graph, samples[j].Graph))
			dist[i][j], dist[j][i] = d, d
		}
	}
	return dist
}

// condition computes the posterior for length scale l and noise ratio τ²/s², with the signal
// variance s² given or, when signal is 0, the one that maximises the likelihood.
func condition(samples []Sample, dist [][]float64, l, signal, ratio float64) (*GP, error) {
	n := len(samples)
	a := make([][]float64, n) // the kernel over s²: correlation plus relative noise
	for i := range a {
		a[i] = make([]float64, n)
		for j := range a[i] {
			a[i][j] = math.Exp(-dist[i][j] / l)
		}
		a[i][i] += ratio / float64(samples[i].Count)
	}
	chol, err := cholesky(a)
	if err != nil {
		return nil, err
	}
	y := make([]float64, n)
	ones := make([]float64, n)
	for i, s := range samples {
		y[i], ones[i] = s.Value, 1
	}
	aInvY, aInv1 := solve(chol, y), solve(chol, ones)
	num, den := 0.0, 0.0
	for i := range y {
		num += aInvY[i]
		den += aInv1[i]
	}
	prior := num / den
	r := make([]float64, n)
	for i := range y {
		r[i] = y[i] - prior
	}
	alpha := solve(chol, r)
	quad, logDet := 0.0, 0.0
	for i := range r {
		quad += r[i] * alpha[i]
		logDet += 2 * math.Log(chol[i][i])
	}
	if signal == 0 {
		signal = quad / float64(n)
		if signal <= 0 {
			return nil, fmt.Errorf("surrogate: zero signal variance")
		}
	}
	// Scale to K = s²·A: L → s·L, α → α/s², log|K| = n·log s² + log|A|.
	ll := -0.5*quad/signal - 0.5*(float64(n)*math.Log(signal)+logDet) - 0.5*float64(n)*math.Log(2*math.Pi)
	sd := math.Sqrt(signal)
	for i := range chol {
		for j := 0; j <= i; j++ {
			chol[i][j] *= sd
		}
		alpha[i] /= signal
	}
	return &GP{samples: samples, LengthScale: l, Signal: signal, Noise: ratio * signal, PriorMean: prior,
		LogLikelihood: ll, chol: chol, alpha: alpha}, nil
}

// Predict returns the posterior mean and standard deviation of g's value (of its true value, the
// query noise excluded).
func (gp *GP) Predict(g *space.Graph) (mean, std float64) {
	kx := gp.covariances(g)
	v := forward(gp.chol, kx)
	variance := gp.Signal
	for _, x := range v {
		variance -= x * x
	}
	return gp.mean(kx), math.Sqrt(math.Max(variance, 0))
}

// Mean is Predict's posterior mean alone: O(n) where the standard deviation costs O(n²), for
// ranking many cells.
func (gp *GP) Mean(g *space.Graph) float64 { return gp.mean(gp.covariances(g)) }

// covariances are the prior covariances of g with the samples.
func (gp *GP) covariances(g *space.Graph) []float64 {
	kx := make([]float64, len(gp.samples))
	for i, s := range gp.samples {
		kx[i] = gp.Signal * math.Exp(-float64(Distance(g, s.Graph))/gp.LengthScale)
	}
	return kx
}

// mean is the posterior mean given the covariances kx.
func (gp *GP) mean(kx []float64) float64 {
	m := gp.PriorMean
	for i, k := range kx {
		m += k * gp.alpha[i]
	}
	return m
}

// cholesky returns the lower-triangular L with L·Lᵀ = a, or an error when a is not positive
// definite.
func cholesky(a [][]float64) ([][]float64, error) {
	n := len(a)
	l := make([][]float64, n)
	for i := range l {
		l[i] = make([]float64, n)
		for j := 0; j <= i; j++ {
			s := a[i][j]
			for k := 0; k < j; k++ {
				s -= l[i][k] * l[j][k]
			}
			if i == j {
				if s <= 0 {
					return nil, fmt.Errorf("surrogate: matrix not positive definite at row %d", i)
				}
				l[i][i] = math.Sqrt(s)
			} else {
				l[i][j] = s / l[j][j]
			}
		}
	}
	return l, nil
}

// forward solves L·x = b.
func forward(l [][]float64, b []float64) []float64 {
	x := make([]float64, len(b))
	for i := range b {
		s := b[i]
		for k := 0; k < i; k++ {
			s -= l[i][k] * x[k]
		}
		x[i] = s / l[i][i]
	}
	return x
}

// solve solves L·Lᵀ·x = b.
func solve(l [][]float64, b []float64) []float64 {
	y := forward(l, b)
	n := len(y)
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < n; k++ {
			s -= l[k][i] * x[k]
		}
		x[i] = s / l[i][i]
	}
	return x
}
