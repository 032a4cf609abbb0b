package strategy

import (
	"math/rand/v2"

	"github.com/graphenas/graphenas/graphenas/space"
)

// observations keeps the mean observed score per cell: the belief of the baselines, which
// pick the cell with the highest mean of its (noisy) queries.
type observations struct {
	sum   map[string]float64
	count map[string]int
	graph map[string]*space.Graph
	best  string
}

func newObservations() *observations {
	return &observations{sum: map[string]float64{}, count: map[string]int{}, graph: map[string]*space.Graph{}}
}

func (o *observations) add(g *space.Graph, acc float64) {
	k := g.Key()
	o.sum[k] += acc
	o.count[k]++
	o.graph[k] = g
	if o.best == "" || o.mean(k) > o.mean(o.best) {
		o.best = k
	}
	if k == o.best { // its mean may have dropped below another cell's
		for other := range o.sum {
			if o.mean(other) > o.mean(o.best) {
				o.best = other
			}
		}
	}
}

func (o *observations) mean(k string) float64 { return o.sum[k] / float64(o.count[k]) }

func (o *observations) bestGraph() *space.Graph { return o.graph[o.best] }

// Random is random search: every query a fresh random member of the space (Space.Random).
type Random struct {
	sp  space.Space
	r   *rand.Rand
	obs *observations
}

// NewRandom returns random search over sp drawing from r.
func NewRandom(sp space.Space, r *rand.Rand) *Random {
	return &Random{sp: sp, r: r, obs: newObservations()}
}

// Name implements Strategy.
func (s *Random) Name() string { return "random" }

// Next implements Strategy.
func (s *Random) Next() (*space.Graph, error) { return s.sp.Random(s.r), nil }

// Observe implements Strategy.
func (s *Random) Observe(g *space.Graph, acc float64) error {
	s.obs.add(g, acc)
	return nil
}

// Best implements Strategy.
func (s *Random) Best() *space.Graph { return s.obs.bestGraph() }

// Evolution is regularized evolution over a Population (DefaultPopulation, tournament
// DefaultSample drawn with replacement, as in Real et al. 2019), the score as fitness.
type Evolution struct {
	sp      space.Space
	r       *rand.Rand
	obs     *observations
	pop     *Population
	pending *Move // the edit that made the child Next returned (nil for a random member)
	last    Move
	moved   bool
}

// NewEvolution returns regularized evolution over sp with the default population and sample.
func NewEvolution(sp space.Space, r *rand.Rand) *Evolution {
	e, err := NewEvolutionSized(sp, DefaultPopulation, DefaultSample, r)
	if err != nil {
		panic(err) // the defaults are valid
	}
	return e
}

// NewEvolutionSized returns regularized evolution over sp with population size and tournament
// sample (see NewPopulation for what is valid).
func NewEvolutionSized(sp space.Space, size, sample int, r *rand.Rand) (*Evolution, error) {
	pop, err := NewPopulation(size, sample)
	if err != nil {
		return nil, err
	}
	return &Evolution{sp: sp, r: r, obs: newObservations(), pop: pop}, nil
}

// Name implements Strategy.
func (s *Evolution) Name() string { return "evolution" }

// Next implements Strategy.
func (s *Evolution) Next() (*space.Graph, error) {
	g, parent, edit := s.pop.Child(s.sp, s.r)
	s.pending = nil
	if parent != nil {
		s.pending = &Move{Before: parent.Graph, Action: edit}
	}
	return g, nil
}

// Observe implements Strategy.
func (s *Evolution) Observe(g *space.Graph, acc float64) error {
	s.moved = s.pending != nil
	if s.moved {
		s.last, s.pending = *s.pending, nil
	}
	s.obs.add(g, acc)
	s.pop.Add(g, acc)
	return nil
}

// LastMove implements Mover: the tournament winner and its edit (not for the random members
// that fill the population).
func (s *Evolution) LastMove() (Move, bool) { return s.last, s.moved }

// Best implements Strategy.
func (s *Evolution) Best() *space.Graph { return s.obs.bestGraph() }

// LocalSearch is first-improvement hill climbing over the one-op neighbours, restarting from a
// random cell at a local optimum.
type LocalSearch struct {
	sp         space.Space
	r          *rand.Rand
	obs        *observations
	current    *space.Graph
	currentAcc float64
	neighbours []*space.Graph // not yet tried around current
	pending    bool           // the last Next was a restart
}

// NewLocalSearch returns local search over sp drawing from r.
func NewLocalSearch(sp space.Space, r *rand.Rand) *LocalSearch {
	return &LocalSearch{sp: sp, r: r, obs: newObservations()}
}

// Name implements Strategy.
func (s *LocalSearch) Name() string { return "local" }

// Next implements Strategy.
func (s *LocalSearch) Next() (*space.Graph, error) {
	if s.current == nil || len(s.neighbours) == 0 {
		s.pending = true
		return s.sp.Random(s.r), nil
	}
	s.pending = false
	return s.neighbours[0], nil
}

// Observe implements Strategy.
func (s *LocalSearch) Observe(g *space.Graph, acc float64) error {
	s.obs.add(g, acc)
	if s.pending || s.current == nil {
		s.moveTo(g, acc)
		return nil
	}
	s.neighbours = s.neighbours[1:]
	if acc > s.currentAcc {
		s.moveTo(g, acc)
	}
	return nil
}

func (s *LocalSearch) moveTo(g *space.Graph, acc float64) {
	s.current, s.currentAcc = g, acc
	s.neighbours = s.neighbours[:0]
	for _, a := range space.Actions(s.sp, g) {
		n, _ := space.Apply(s.sp, g, a)
		s.neighbours = append(s.neighbours, n)
	}
	s.r.Shuffle(len(s.neighbours), func(i, j int) { s.neighbours[i], s.neighbours[j] = s.neighbours[j], s.neighbours[i] })
	s.pending = false
}

// Best implements Strategy.
func (s *LocalSearch) Best() *space.Graph { return s.obs.bestGraph() }
