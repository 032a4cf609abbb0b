package strategy

import (
	"fmt"
	"math"

	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/graphenas/surrogate"
)

// SurrogatePick wraps a strategy and changes only its pick: instead of the queried cell with the
// highest mean of its noisy queries, the queried cell with the highest posterior mean of a
// Gaussian process fitted to every query so far (package surrogate), on −log(error) so that the
// few cells near chance accuracy do not dominate the fit. The search itself (Next, Observe) is
// the wrapped strategy's. On a noise-free table (a repeated query returned exactly the same value)
// the pick is the highest value, as the posterior would only blur it.
type SurrogatePick struct {
	Strategy
	obs       *observations
	keys      []string
	noiseFree bool
	fallbacks int
}

// NewSurrogatePick wraps s (see SurrogatePick).
func NewSurrogatePick(s Strategy) *SurrogatePick {
	return &SurrogatePick{Strategy: s, obs: newObservations()}
}

// Name implements Strategy.
func (p *SurrogatePick) Name() string { return p.Strategy.Name() + ":pick=gp" }

// Observe implements Strategy.
func (p *SurrogatePick) Observe(g *space.Graph, acc float64) error {
	k := g.Key()
	if n := p.obs.count[k]; n == 0 {
		p.keys = append(p.keys, k)
	} else if n == 1 && p.obs.sum[k] == acc {
		p.noiseFree = true
	}
	p.obs.add(g, acc)
	return p.Strategy.Observe(g, acc)
}

// Best implements Strategy.
func (p *SurrogatePick) Best() *space.Graph {
	if p.noiseFree {
		return p.obs.bestGraph()
	}
	if len(p.keys) >= surrogatePickMin {
		g, err := surrogatePick(p.obs, p.keys)
		if err == nil {
			return g
		}
		p.fallbacks++
	}
	return p.obs.bestGraph()
}

// Fallbacks is how many picks the process could not be fitted for and the highest mean was
// picked instead, plus the wrapped strategy's own fallbacks.
func (p *SurrogatePick) Fallbacks() int { return p.fallbacks + Fallbacks(p.Strategy) }

// surrogatePickMin is how many queried cells the process needs before it picks.
const surrogatePickMin = 3

// surrogatePick is the cell among keys (at least surrogatePickMin) of highest posterior mean under
// a process fitted to them (to the top of highest mean when top > 0).
func surrogatePick(o *observations, keys []string) (*space.Graph, error) {
	samples := surrogateSamples(o, keys)
	gp, err := surrogate.Fit(samples, surrogate.DefaultGrid())
	if err != nil {
		return nil, fmt.Errorf("strategy: surrogate pick: %w", err)
	}
	best, bestMean := 0, math.Inf(-1)
	for i, s := range samples {
		if m := gp.Mean(s.Graph); m > bestMean {
			best, bestMean = i, m
		}
	}
	return samples[best].Graph, nil
}

// Fallbacks is how many times s stood in for a surrogate process that could not be fitted
// (0 for strategies that fit none).
func Fallbacks(s Strategy) int {
	if f, ok := s.(interface{ Fallbacks() int }); ok {
		return f.Fallbacks()
	}
	return 0
}

// surrogateSamples are the cells keys as the surrogate sees them: −log(error) of their mean
// accuracy, and how many queries that mean is of.
func surrogateSamples(o *observations, keys []string) []surrogate.Sample {
	samples := make([]surrogate.Sample, len(keys))
	for i, k := range keys {
		samples[i] = surrogate.Sample{Graph: o.graph[k], Value: -math.Log(errorRate(o.mean(k))), Count: o.count[k]}
	}
	return samples
}
