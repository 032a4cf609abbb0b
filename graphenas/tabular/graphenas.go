package tabular

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"

	"github.com/graphenas/graphenas/graphenas/controller"
	"github.com/graphenas/graphenas/graphenas/space"
)

// GraphEnas searches with the controller. From the incumbent (the best cell of the current
// climb) the actor proposes one edit; the edited cell is queried, and the controller learns from
// δ = log(error after) − log(error before), the error being 100 − accuracy. A better cell becomes
// the incumbent. Around that loop, three things a tabular search needs:
//   - no query is spent twice on one cell by accident: the actor is asked again (up to 20 times)
//     when it proposes a cell already queried, and a climb whose incumbent has no unqueried
//     neighbour left restarts from a random cell (as local search does);
//   - with noisy queries, a cell that becomes the best seen is queried a second time before it is
//     believed (the mean of two), which counters the winner's curse of picking the maximum of noisy
//     values; a repeat that returns exactly the same value shows the table is noise-free, and
//     confirmation stops;
//   - the pick (Best) ranks cells by a lower confidence bound that uses the noise measured on the
//     repeated queries.
type GraphEnas struct {
	c   *controller.Controller
	r   *rand.Rand
	obs *observations

	incumbent    *space.Graph
	incumbentErr float64
	pending      *controller.Proposal
	confirm      *space.Graph // a cell to query again before believing it
	noiseFree    bool
	restart      bool
	samples      map[string][]float64 // every observation of the cells queried more than once
}

// NewGraphEnas returns the GraphEnas strategy with the controller configuration cfg, seeded
// from r so that every seed of a benchmark gets its own controller.
func NewGraphEnas(b backends.Backend, cfg controller.Config, r *rand.Rand) (*GraphEnas, error) {
	cfg.Seed = r.Uint64()
	c, err := controller.New(b, space.NB201{}, cfg)
	if err != nil {
		return nil, err
	}
	return &GraphEnas{c: c, r: r, obs: newObservations(), restart: true, samples: map[string][]float64{}}, nil
}

// Name implements Strategy.
func (s *GraphEnas) Name() string { return "graphenas" }

// Next implements Strategy.
func (s *GraphEnas) Next() (*space.Graph, error) {
	s.pending = nil
	if s.confirm != nil {
		return s.confirm, nil
	}
	if s.restart {
		return space.NB201{}.Random(s.r), nil
	}
	for try := 0; try < 20; try++ {
		p, err := s.c.Propose(s.incumbent)
		if err != nil {
			return nil, err
		}
		if s.obs.count[p.After.Key()] == 0 {
			s.pending = &p
			return p.After, nil
		}
	}
	// The actor keeps proposing known cells: take an unqueried neighbour, or restart.
	for _, a := range space.Actions(space.NB201{}, s.incumbent) {
		n, _ := space.Apply(space.NB201{}, s.incumbent, a)
		if s.obs.count[n.Key()] == 0 {
			return n, nil
		}
	}
	s.restart = true
	return space.NB201{}.Random(s.r), nil
}

// Observe implements Strategy.
func (s *GraphEnas) Observe(g *space.Graph, acc float64) error {
	k := g.Key()
	prevBest := ""
	if s.obs.best != "" {
		prevBest = s.obs.best
	}
	prevMean, seen := 0.0, s.obs.count[k] > 0
	if seen {
		prevMean = s.obs.mean(k)
	}
	if seen {
		if len(s.samples[k]) == 0 {
			s.samples[k] = []float64{prevMean} // the cell's first (only) observation so far
		}
		s.samples[k] = append(s.samples[k], acc)
	}
	s.obs.add(g, acc)
	errRate := math.Max(100-acc, 0.01) / 100 // noise can push accuracy past 100

	if s.confirm != nil && k == s.confirm.Key() { // a confirmation query
		s.confirm = nil
		if seen && acc == prevMean {
			s.noiseFree = true
		}
		return nil
	}
	if s.pending != nil {
		if k != s.pending.After.Key() {
			return fmt.Errorf("graphenas: observed a cell it did not propose")
		}
		if _, err := s.c.Observe(*s.pending, math.Log(errRate)-math.Log(s.incumbentErr)); err != nil {
			return err
		}
	}
	if s.restart || s.incumbent == nil || errRate < s.incumbentErr {
		s.incumbent, s.incumbentErr, s.restart = g, errRate, false
	}
	if !s.noiseFree && s.obs.best == k && k != prevBest && s.obs.count[k] == 1 {
		s.confirm = g
	}
	return nil
}

// Best implements Strategy: the cell with the highest lower confidence bound, mean − σ̂/√n, where
// σ̂ is the query noise estimated from the cells queried more than once (plain highest mean when
// the table is noise-free or nothing was repeated). A cell seen once at a lucky high value ranks
// below one confirmed slightly lower.
func (s *GraphEnas) Best() *space.Graph {
	if s.noiseFree {
		return s.obs.bestGraph()
	}
	sigma := s.noise()
	if sigma == 0 {
		return s.obs.bestGraph()
	}
	best, bestScore := "", math.Inf(-1)
	for k, n := range s.obs.count {
		if score := s.obs.mean(k) - sigma/math.Sqrt(float64(n)); score > bestScore {
			best, bestScore = k, score
		}
	}
	return s.obs.graph[best]
}

// noise estimates the standard deviation of a query from the repeated ones (0 if none).
func (s *GraphEnas) noise() float64 {
	sum, dof := 0.0, 0
	for k, vals := range s.samples {
		if len(vals) < 2 {
			continue
		}
		m := s.obs.mean(k)
		for _, v := range vals {
			sum += (v - m) * (v - m)
		}
		dof += len(vals) - 1
	}
	if dof == 0 {
		return 0
	}
	return math.Sqrt(sum / float64(dof))
}
