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
//     confirmation stops.
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
}

// NewGraphEnas returns the GraphEnas strategy with the controller configuration cfg, seeded
// from r so that every seed of a benchmark gets its own controller.
func NewGraphEnas(b backends.Backend, cfg controller.Config, r *rand.Rand) (*GraphEnas, error) {
	cfg.Seed = r.Uint64()
	c, err := controller.New(b, space.NB201{}, cfg)
	if err != nil {
		return nil, err
	}
	return &GraphEnas{c: c, r: r, obs: newObservations(), restart: true}, nil
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

// Best implements Strategy.
func (s *GraphEnas) Best() *space.Graph { return s.obs.bestGraph() }
