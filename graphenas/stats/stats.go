// Package stats holds the few statistics the project reports: mean and sample standard deviation,
// rank correlation, moving averages. One implementation for the search, the benchmarks, the plots
// and the tests.
package stats

import (
	"fmt"
	"math"
	"sort"
)

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// MeanStd returns the mean and the sample standard deviation (n−1; 0 for fewer than two values)
// of xs; (0, 0) for none.
func MeanStd(xs []float64) (mean, std float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs)-1))
}

// Spearman returns the rank correlation of x and y (pairs with a non-finite value are dropped)
// and the number of pairs used; NaN for fewer than three pairs or a constant side.
func Spearman(x, y []float64) (float64, int) {
	var xs, ys []float64
	for i := range x {
		if i < len(y) && finite(x[i]) && finite(y[i]) {
			xs, ys = append(xs, x[i]), append(ys, y[i])
		}
	}
	n := len(xs)
	if n < 3 {
		return math.NaN(), n
	}
	rx, ry := Ranks(xs), Ranks(ys)
	mx, _ := MeanStd(rx)
	my, _ := MeanStd(ry)
	var sxy, sxx, syy float64
	for i := range rx {
		sxy += (rx[i] - mx) * (ry[i] - my)
		sxx += (rx[i] - mx) * (rx[i] - mx)
		syy += (ry[i] - my) * (ry[i] - my)
	}
	if sxx == 0 || syy == 0 {
		return math.NaN(), n
	}
	return sxy / math.Sqrt(sxx*syy), n
}

// Ranks returns the 1-based ranks of v; ties share their mean rank.
func Ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			r[idx[k]] = float64(i+j)/2 + 1
		}
		i = j + 1
	}
	return r
}

// MovingAverage returns the trailing mean over window values (fewer at the start), skipping
// non-finite values (NaN where a whole window is); a window below 2 returns a copy.
func MovingAverage(ys []float64, window int) []float64 {
	out := make([]float64, len(ys))
	for i := range ys {
		sum, n := 0.0, 0
		for k := max(0, i-max(window, 1)+1); k <= i; k++ {
			if finite(ys[k]) {
				sum += ys[k]
				n++
			}
		}
		out[i] = math.NaN()
		if n > 0 {
			out[i] = sum / float64(n)
		}
	}
	return out
}

// PairedDiff returns the mean of the differences a[i] − b[i] of paired results (the same seed
// run by two methods) and its standard error, std(differences)/√n; an error when the lengths
// differ or fewer than two pairs are given.
func PairedDiff(a, b []float64) (mean, stderr float64, err error) {
	if len(a) != len(b) || len(a) < 2 {
		return 0, 0, fmt.Errorf("stats: paired difference of %d and %d values (want the same number, at least 2)", len(a), len(b))
	}
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	mean, std := MeanStd(d)
	return mean, std / math.Sqrt(float64(len(d))), nil
}

// finitePairs returns the pairs of x and y where both are finite.
func finitePairs(x, y []float64) (xs, ys []float64) {
	for i := range x {
		if i < len(y) && finite(x[i]) && finite(y[i]) {
			xs, ys = append(xs, x[i]), append(ys, y[i])
		}
	}
	return xs, ys
}

// KendallTau returns Kendall's τ-b of x and y (ties counted as in τ-b; pairs with a non-finite
// value dropped) and the number of pairs used; NaN for fewer than three pairs or a constant side.
// Its standard error under independence is about sqrt(2(2n+5)/(9n(n−1))): 0.1 at n = 50.
func KendallTau(x, y []float64) (float64, int) {
	xs, ys := finitePairs(x, y)
	n := len(xs)
	if n < 3 {
		return math.NaN(), n
	}
	var concordant, discordant, tiesX, tiesY float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			dx, dy := xs[i]-xs[j], ys[i]-ys[j]
			switch {
			case dx == 0 && dy == 0:
			case dx == 0:
				tiesX++
			case dy == 0:
				tiesY++
			case (dx > 0) == (dy > 0):
				concordant++
			default:
				discordant++
			}
		}
	}
	denom := math.Sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY))
	if denom == 0 {
		return math.NaN(), n
	}
	return (concordant - discordant) / denom, n
}

// TopOverlap returns the precision at the top fraction frac: of the ⌈frac·n⌉ pairs highest in
// truth, the share that are also among the ⌈frac·n⌉ highest in score (pairs with a non-finite
// value dropped; NaN for none). Ties at the cut are broken by position.
func TopOverlap(score, truth []float64, frac float64) float64 {
	xs, ys := finitePairs(score, truth)
	n := len(xs)
	k := int(math.Ceil(frac * float64(n)))
	if n == 0 || k == 0 {
		return math.NaN()
	}
	top := func(v []float64) map[int]bool {
		idx := make([]int, len(v))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] > v[idx[b]] })
		m := map[int]bool{}
		for _, i := range idx[:k] {
			m[i] = true
		}
		return m
	}
	ts, tt := top(xs), top(ys)
	hit := 0
	for i := range tt {
		if ts[i] {
			hit++
		}
	}
	return float64(hit) / float64(k)
}

// tQuantile975 holds the 97.5% quantile of Student's t with 1…30 degrees of freedom.
var tQuantile975 = []float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
	2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}

// TQuantile975 returns the 97.5% quantile of Student's t with df degrees of freedom (the half
// width of a two-sided 95% interval in standard errors): tabulated to 30, 1.96 + 2.4/df beyond
// (within 0.002 of the exact value).
func TQuantile975(df int) float64 {
	switch {
	case df < 1:
		return math.NaN()
	case df <= len(tQuantile975):
		return tQuantile975[df-1]
	}
	return 1.96 + 2.4/float64(df)
}

// PairedInterval returns the mean of the differences a[i] − b[i] and the half width of its
// t-based 95% interval (t with n−1 degrees of freedom times the standard error).
func PairedInterval(a, b []float64) (mean, halfWidth float64, err error) {
	mean, se, err := PairedDiff(a, b)
	if err != nil {
		return 0, 0, err
	}
	return mean, TQuantile975(len(a)-1) * se, nil
}

// tQuantile80 holds the 80% quantile of Student's t with 1…30 degrees of freedom (the power term
// of a test at 80% power).
var tQuantile80 = []float64{1.376, 1.061, 0.978, 0.941, 0.920, 0.906, 0.896, 0.889, 0.883, 0.879,
	0.876, 0.873, 0.870, 0.868, 0.866, 0.865, 0.863, 0.862, 0.861, 0.860,
	0.859, 0.858, 0.858, 0.857, 0.856, 0.856, 0.855, 0.855, 0.854, 0.854}

// MinDetectable returns the smallest mean paired difference a two-sided paired t-test at α = 0.05
// detects with 80% power from n pairs whose differences have standard deviation sd:
// (t(0.975, n−1) + t(0.80, n−1))·sd/√n.
func MinDetectable(sd float64, n int) float64 {
	if n < 2 {
		return math.Inf(1)
	}
	t80 := 0.8416
	if n-1 <= len(tQuantile80) {
		t80 = tQuantile80[n-2]
	}
	return (TQuantile975(n-1) + t80) * sd / math.Sqrt(float64(n))
}

// PairsNeeded returns the smallest n for which MinDetectable(sd, n) ≤ delta (at most 10,000).
func PairsNeeded(sd, delta float64) int {
	for n := 2; n <= 10000; n++ {
		if MinDetectable(sd, n) <= delta {
			return n
		}
	}
	return 10000
}
