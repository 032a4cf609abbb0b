package strategy

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/controller"
	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/graphenas/surrogate"
)

// GraphEnas is the GraphEnas loop, with the controller ("graphenas", "graphenas-gp") or without
// it ("gp-local", NewGPLocal). From the incumbent (the best cell of the current climb) the actor
// proposes edits; the one chosen is queried, and the controller learns from
// δ = log(error after) − log(error before), the error being (100 − score)/100 (the accuracy's on
// the table, the validation loss on the supergraph: LossScore). A better cell becomes the
// incumbent. Around that loop, three things a search of noisy queries needs:
//   - no query is spent twice on one cell by accident: the actor is asked again (up to 20 times)
//     when it proposes a cell already queried, and a climb whose incumbent has no unqueried
//     neighbour left restarts from a random cell (as local search does);
//   - with noisy queries, the cell with the best mean is queried again while it has fewer than
//     Options.Confirm (2) queries before it is believed, which counters the winner's curse of
//     picking the maximum of noisy values; a repeat that returns exactly the same value shows the
//     table is noise-free, and confirmation stops; a confirmed incumbent climbs on from its mean;
//   - the pick (Best) is the queried cell of highest posterior mean under the surrogate process
//     (Options.GPPick), or else ranks cells by a lower confidence bound that uses the noise
//     measured on the repeated queries.
//
// The three named loops are presets of Options: OwnOptions, GPOptions, GPLocalOptions. A
// Gaussian process that cannot be fitted (surrogate.Fit or Condition fails) is not an error: the
// critic screens and picks instead, and Fallbacks counts how often that happened.
type GraphEnas struct {
	name string
	sp   space.Space
	c    *controller.Controller // nil for gp-local: uniform proposals, nothing learned
	r    *rand.Rand
	obs  *observations
	opts Options
	keys []string // the queried cells, in the order first seen (a deterministic list to draw from)

	incumbent    *space.Graph
	incumbentErr float64
	pending      *controller.Proposal
	confirm      *space.Graph // a cell to query again before believing it
	noiseFree    bool
	restart      bool
	samples      map[string][]float64 // every observation of the cells queried more than once
	gp           *surrogate.GP        // the surrogate (GPScreen), refitted every gpRefit new cells
	gpFitAt      int                  // how many cells it was last refitted on
	gpAt         int                  // how many queries it was conditioned on
	observed     int                  // queries observed
	gpFailed     bool                 // the process could not be fitted on the gpAt queries
	fallbacks    int                  // queries at which the process could not be fitted and the critic stood in
	last         Move                 // how the last observed cell was reached (LastMove)
	moved        bool                 // whether it was an edit of the incumbent
}

// gpRefit is how many cells the surrogate needs before it is fitted, and how many new cells make
// it choose its hyperparameters again; in between it is only conditioned on the new queries.
const gpRefit = 10

// Options are the parts of the search loop around the controller that can be switched
// off one by one (an ablation); the zero value is the plain loop: one proposal per query, random
// restarts, the critic trained once per query.
type Options struct {
	// Proposals is how many edits the actor samples per query; the critic picks the one to query
	// (the lowest predicted return minus Explore standard deviations). 1 queries the actor's
	// sample as it is.
	Proposals int
	// Uniform is how many of the Proposals are drawn at β = 0 (every factor of the edit
	// uniform) rather than at the actor's scheduled β: the screen then always sees edits beyond
	// the actor's favourites. The actor learns from every queried edit either way.
	Uniform int
	// Explore weighs the critic's standard deviation when it picks: an optimistic choice.
	Explore float64
	// Hindsight is how many pairs (this cell, an earlier one) each query adds to the critic's
	// replay buffer, both ways, with the return the two observed accuracies give: every pair of
	// queried cells is a move whose effect is known.
	Hindsight int
	// RestartScreen is how many random cells the critic screens when a climb restarts, against
	// the best cell so far; the most promising is queried. 0 restarts from a random cell.
	RestartScreen int
	// Confirm is how many queries the cell with the best mean needs before it is believed: while
	// it has fewer, it is queried again (noisy tables only; 2 when below 2).
	Confirm int
	// GPScreen makes a Gaussian process over the queries so far (package surrogate) screen the
	// actor's Proposals edits, and the RestartScreen random cells of a restart, instead of the
	// critic: the one of highest posterior mean plus Explore standard deviations (an optimistic
	// bound on −log error) is queried. The actor still proposes and still learns from every
	// query; the process, which pools the evidence of all queried cells, judges which proposal is
	// worth a query.
	GPScreen bool
	// GPBelief (with GPScreen) makes the process the search's belief too: before every proposal
	// the incumbent is the queried cell of highest posterior mean (the climb goes on from
	// whichever cell the evidence now favours), moves are measured from its posterior mean, it is
	// the cell confirmed, and it is the pick.
	GPBelief bool
	// GPPick makes the pick the queried cell of highest posterior mean of the process fitted to
	// every query (as SurrogatePick does for any strategy), on noisy tables.
	GPPick bool
	// Init is how many random cells are queried before the first climb starts (with GPScreen,
	// so that the process has cells to fit before it screens).
	Init int
}

// OwnOptions are the "graphenas" strategy's choices, GraphEnas's own components only: the actor
// proposes 8 edits of the incumbent and the critic picks the one to query (half a standard
// deviation optimistic), the critic also screens 256 random cells at a restart, every query adds
// 2 hindsight pairs to the critic's replay, and the pick is the lower confidence bound on each
// cell's own queries. It is the best row of the plain loop's ablation (CIFAR-10, noise 0.5,
// seeds 1–20; RESULTS.md), chosen there and nowhere else.
func OwnOptions() Options {
	return Options{Proposals: 8, Explore: 0.5, Hindsight: 2, RestartScreen: 256}
}

// GPOptions are the "graphenas-gp" strategy's choices: ten random cells first, then 16 edits of
// the cell the surrogate process believes best are proposed, 8 by the actor and 8 uniformly (so
// that a sharp actor cannot narrow what the screen sees), the process screens them (and 256
// random cells at a restart) by an optimistic bound one standard deviation up, and its belief is
// the cell confirmed and the pick. Until the strategies were renamed this was "graphenas".
func GPOptions() Options {
	return Options{Proposals: 16, Uniform: 8, Explore: 1, GPScreen: true, RestartScreen: 256, GPPick: true, GPBelief: true, Init: 10}
}

// GPLocalOptions are the "gp-local" baseline's choices: GPOptions with all 16 proposals uniform
// one-op edits (strategy.RandomEdit); NewGPLocal runs them without a controller.
func GPLocalOptions() Options {
	o := GPOptions()
	o.Uniform = o.Proposals
	return o
}

// NewGraphEnas returns the GraphEnas strategy over sp with the controller configuration cfg and
// the loop options opts, seeded from r so that every seed of a benchmark gets its own controller.
func NewGraphEnas(b compute.Backend, sp space.Space, cfg controller.Config, opts Options, r *rand.Rand) (*GraphEnas, error) {
	return newGraphEnas("graphenas", b, sp, cfg, opts, r)
}

// NewGPLocal returns the "gp-local" baseline: the loop of opts (GPLocalOptions) with every
// proposal a uniform one-op edit and no controller, so nothing is learned from the queries but
// the surrogate process's belief. Its Options must not ask for the critic (Hindsight) nor for
// actor proposals (Uniform below Proposals).
func NewGPLocal(sp space.Space, opts Options, r *rand.Rand) (*GraphEnas, error) {
	if opts.Uniform < opts.Proposals || opts.Hindsight > 0 {
		return nil, fmt.Errorf("strategy: gp-local has no controller: want uniform = proposals and no hindsight, got %+v", opts)
	}
	if opts.Proposals < 1 {
		opts.Proposals = 1
	}
	return &GraphEnas{name: "gp-local", sp: sp, r: r, obs: newObservations(), opts: opts, restart: true, samples: map[string][]float64{}}, nil
}

func newGraphEnas(name string, b compute.Backend, sp space.Space, cfg controller.Config, opts Options, r *rand.Rand) (*GraphEnas, error) {
	cfg.Seed = r.Uint64()
	if opts.Hindsight > 0 {
		cfg.Replay = true
	}
	c, err := controller.New(b, sp, cfg)
	if err != nil {
		return nil, err
	}
	if opts.Proposals < 1 {
		opts.Proposals = 1
	}
	return &GraphEnas{name: name, sp: sp, c: c, r: r, obs: newObservations(), opts: opts, restart: true, samples: map[string][]float64{}}, nil
}

// Name implements Strategy.
func (s *GraphEnas) Name() string { return s.name }

// Next implements Strategy.
func (s *GraphEnas) Next() (*space.Graph, error) {
	s.pending = nil
	if s.confirm != nil {
		return s.confirm, nil
	}
	if len(s.keys) < s.opts.Init {
		for {
			if g := s.sp.Random(s.r); s.obs.count[g.Key()] == 0 {
				return g, nil
			}
		}
	}
	if gp := s.belief(); gp != nil { // climb from the queried cell the process believes best
		s.incumbent = s.obs.graph[s.believedBest(gp)]
		s.incumbentErr, s.restart = math.Exp(-gp.Mean(s.incumbent)), false
	}
	if s.restart {
		return s.restartCell()
	}
	for try := 0; try < 20; try++ {
		props, err := s.propose()
		if err != nil {
			return nil, err
		}
		score := func(p controller.Proposal) float64 { return -(p.Mean - s.opts.Explore*p.Std) }
		if gp := s.surrogate(); gp != nil {
			score = func(p controller.Proposal) float64 { return s.optimistic(gp, p.After) }
		}
		best, bestScore := -1, math.Inf(-1)
		for i, p := range props {
			if s.obs.count[p.After.Key()] > 0 {
				continue
			}
			if sc := score(p); best < 0 || sc > bestScore {
				best, bestScore = i, sc
			}
		}
		if best >= 0 {
			s.pending = &props[best]
			return props[best].After, nil
		}
	}
	// The actor keeps proposing known cells: take an unqueried neighbour, or restart.
	for _, a := range space.Actions(s.sp, s.incumbent) {
		n, _ := space.Apply(s.sp, s.incumbent, a)
		if s.obs.count[n.Key()] == 0 {
			return n, nil
		}
	}
	s.restart = true
	return s.restartCell()
}

// propose samples the Proposals edits of the incumbent: Uniform of them at β = 0, the rest from
// the actor; without a controller, uniform one-op edits (strategy.RandomEdit).
func (s *GraphEnas) propose() ([]controller.Proposal, error) {
	if s.c == nil {
		props := make([]controller.Proposal, s.opts.Proposals)
		for i := range props {
			after, a := RandomEdit(s.sp, s.incumbent, s.r)
			props[i] = controller.Proposal{Before: s.incumbent, After: after, Action: a}
		}
		return props, nil
	}
	uniform := min(max(s.opts.Uniform, 0), s.opts.Proposals)
	var props []controller.Proposal
	if n := s.opts.Proposals - uniform; n > 0 {
		ps, err := s.c.ProposeMany(s.incumbent, n)
		if err != nil {
			return nil, err
		}
		props = ps
	}
	if uniform > 0 {
		ps, err := s.c.ProposeManyAt(s.incumbent, uniform, 0)
		if err != nil {
			return nil, err
		}
		props = append(props, ps...)
	}
	return props, nil
}

// restartCell is where a new climb starts: a random cell, or with RestartScreen the one the
// critic rates best among that many random cells not queried yet, as a move from the best cell
// so far (optimistically, by Explore standard deviations).
func (s *GraphEnas) restartCell() (*space.Graph, error) {
	sp := s.sp
	gp := s.surrogate()
	if s.opts.RestartScreen <= 0 || s.obs.best == "" || (gp == nil && (s.c == nil || s.c.ReplayLen() < 16)) {
		return sp.Random(s.r), nil
	}
	cands := make([]*space.Graph, 0, s.opts.RestartScreen)
	for len(cands) < s.opts.RestartScreen {
		if g := sp.Random(s.r); s.obs.count[g.Key()] == 0 {
			cands = append(cands, g)
		}
	}
	if gp != nil {
		best, bestScore := 0, math.Inf(-1)
		for i, g := range cands {
			if sc := s.optimistic(gp, g); sc > bestScore {
				best, bestScore = i, sc
			}
		}
		return cands[best], nil
	}
	means, stds, err := s.c.PredictMany(s.obs.bestGraph(), cands)
	if err != nil {
		return nil, err
	}
	best := 0
	for i := range cands {
		if means[i]-s.opts.Explore*stds[i] < means[best]-s.opts.Explore*stds[best] {
			best = i
		}
	}
	return cands[best], nil
}

// Observe implements Strategy.
func (s *GraphEnas) Observe(g *space.Graph, acc float64) error {
	s.moved = false
	k := g.Key()
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
	s.observed++
	if !seen {
		s.keys = append(s.keys, k)
	}
	if err := s.learnFromPairs(k); err != nil {
		return err
	}
	errRate := errorRate(acc)

	if s.confirm != nil && k == s.confirm.Key() { // a confirmation query
		s.confirm = nil
		if seen && acc == prevMean {
			s.noiseFree = true
		}
		if s.incumbent != nil && k == s.incumbent.Key() {
			s.incumbentErr = errorRate(s.obs.mean(k)) // climb on from its confirmed value
		}
		s.confirmBest()
		return nil
	}
	if s.pending != nil && k == s.pending.After.Key() {
		p := s.pending
		s.last, s.moved = Move{Before: p.Before, Action: p.Action, Mean: p.Mean, Std: p.Std, Beta: p.Beta}, true
	}
	if s.pending != nil && s.c != nil {
		if k != s.pending.After.Key() {
			return fmt.Errorf("graphenas: observed a cell it did not propose")
		}
		delta := math.Log(errRate) - math.Log(s.incumbentErr)
		st, err := s.c.Observe(*s.pending, delta)
		if err != nil {
			return err
		}
		s.last.Stats = st
	}
	// With the process as the belief, Next chooses the incumbent before every proposal.
	if s.belief() == nil && (s.restart || s.incumbent == nil || errRate < s.incumbentErr) {
		s.incumbent, s.incumbentErr, s.restart = g, errRate, false
	}
	s.confirmBest()
	return nil
}

// LastMove implements Mover: the edit of the incumbent that led to the last observed cell (not
// for the random cells of the start, restarts and confirmations).
func (s *GraphEnas) LastMove() (Move, bool) { return s.last, s.moved }

// Controller returns the actor-critic (nil for gp-local).
func (s *GraphEnas) Controller() *controller.Controller { return s.c }

// optimistic is how the process screens a cell: its posterior mean plus Explore standard
// deviations.
func (s *GraphEnas) optimistic(gp *surrogate.GP, g *space.Graph) float64 {
	m, sd := gp.Predict(g)
	return m + s.opts.Explore*sd
}

// belief is the process when GPBelief is on and the table is noisy (nil otherwise).
func (s *GraphEnas) belief() *surrogate.GP {
	if !s.opts.GPBelief || s.noiseFree {
		return nil
	}
	return s.surrogate()
}

// believedBest is the queried cell of highest posterior mean.
func (s *GraphEnas) believedBest(gp *surrogate.GP) string {
	best, bestMean := "", math.Inf(-1)
	for _, k := range s.keys {
		if m := gp.Mean(s.obs.graph[k]); m > bestMean {
			best, bestMean = k, m
		}
	}
	return best
}

// confirmBest asks for the cell with the best mean to be queried again while it has fewer than
// Options.Confirm (at least 2) observations, unless the table turned out noise-free; not while the
// Options.Init random cells of the start are queried.
func (s *GraphEnas) confirmBest() {
	if len(s.keys) < s.opts.Init {
		return
	}
	best := s.obs.best
	if gp := s.belief(); gp != nil {
		best = s.believedBest(gp)
	}
	if !s.noiseFree && s.obs.count[best] < max(s.opts.Confirm, 2) {
		s.confirm = s.obs.graph[best]
	}
}

// errorRate is the error, 100 − accuracy, as a fraction; noise can push accuracy past 100.
func errorRate(acc float64) float64 { return math.Max(100-acc, 0.01) / 100 }

// learnFromPairs adds Hindsight pairs of the just-queried cell k and earlier cells, both ways, to
// the critic's replay buffer.
func (s *GraphEnas) learnFromPairs(k string) error {
	if s.c == nil {
		return nil
	}
	if len(s.keys) > 1 {
		logErr := math.Log(errorRate(s.obs.mean(k)))
		for i := 0; i < s.opts.Hindsight; i++ {
			other := s.keys[s.r.IntN(len(s.keys))]
			if other == k {
				continue
			}
			d := logErr - math.Log(errorRate(s.obs.mean(other)))
			if err := s.c.Remember(s.obs.graph[other], s.obs.graph[k], d); err != nil {
				return err
			}
			if err := s.c.Remember(s.obs.graph[k], s.obs.graph[other], -d); err != nil {
				return err
			}
		}
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
	if gp := s.belief(); gp != nil {
		return s.obs.graph[s.believedBest(gp)]
	}
	if s.opts.GPPick && len(s.keys) >= surrogatePickMin {
		g, err := surrogatePick(s.obs, s.keys)
		if err == nil {
			return g
		}
		s.fallbacks++
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

// surrogate returns the Gaussian process over the cells queried so far when GPScreen is on and
// at least gpRefit cells were queried (nil otherwise, or when it cannot be fitted: the critic
// screens then, and the failure is counted in Fallbacks).
func (s *GraphEnas) surrogate() *surrogate.GP {
	if !s.opts.GPScreen || len(s.keys) < gpRefit {
		return nil
	}
	if s.gpAt == s.observed && (s.gp != nil || s.gpFailed) {
		return s.gp // this query's process, or its failure (counted once: a refit would fail alike)
	}
	s.gpAt = s.observed
	samples := surrogateSamples(s.obs, s.keys)
	var err error
	refit := s.gp == nil || len(s.keys) >= s.gpFitAt+gpRefit
	if !refit {
		if s.gp, err = s.gp.Condition(samples); err != nil {
			refit = true // conditioning failed: fit from scratch (as the next call used to)
		}
	}
	if refit {
		s.gp, err = surrogate.Fit(samples, surrogate.DefaultGrid())
		s.gpFitAt = len(s.keys)
	}
	s.gpFailed = err != nil
	if err != nil {
		s.gp = nil
		s.fallbacks++
	}
	return s.gp
}

// Fallbacks is how many times the surrogate process could not be fitted or conditioned (at most
// once per query, and once per pick) and the critic (or the plain pick rule) stood in for it.
func (s *GraphEnas) Fallbacks() int { return s.fallbacks }

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
