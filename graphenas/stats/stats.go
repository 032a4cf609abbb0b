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
