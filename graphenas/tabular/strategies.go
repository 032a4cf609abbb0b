package tabular

import (
	"math/rand/v2"

	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/graphenas/strategy"
)

// Strategy searches by proposing cells one query at a time; on the table the score it observes
// is the (noisy) accuracy in percent.
type Strategy = strategy.Strategy

// observations keeps the mean observed accuracy per cell: the belief of the baselines, which
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

// mutate returns g with one edge op changed to a different op, uniformly (strategy.RandomEdit).
func mutate(g *space.Graph, r *rand.Rand) *space.Graph {
	out, _ := strategy.RandomEdit(space.NB201{}, g, r)
	return out
}

// Random is uniform random search.
type Random struct {
	r   *rand.Rand
	obs *observations
}

// NewRandom returns random search drawing from r.
func NewRandom(r *rand.Rand) *Random { return &Random{r: r, obs: newObservations()} }

// Name implements Strategy.
func (s *Random) Name() string { return "random" }

// Next implements Strategy.
func (s *Random) Next() (*space.Graph, error) { return space.NB201{}.Random(s.r), nil }

// Observe implements Strategy.
func (s *Random) Observe(g *space.Graph, acc float64) error {
	s.obs.add(g, acc)
	return nil
}

// Best implements Strategy.
func (s *Random) Best() *space.Graph { return s.obs.bestGraph() }

// Evolution is regularized evolution, strategy.Population: the one implementation the
// supergraph search uses too (population strategy.DefaultPopulation, tournament
// strategy.DefaultSample drawn with replacement, as in Real et al. 2019).
type Evolution struct {
	r   *rand.Rand
	obs *observations
	pop *strategy.Population
}

// NewEvolution returns regularized evolution with the default population and sample.
func NewEvolution(r *rand.Rand) *Evolution {
	pop, err := strategy.NewPopulation(strategy.DefaultPopulation, strategy.DefaultSample)
	if err != nil {
		panic(err) // the defaults are valid
	}
	return &Evolution{r: r, obs: newObservations(), pop: pop}
}

// Name implements Strategy.
func (s *Evolution) Name() string { return "evolution" }

// Next implements Strategy.
func (s *Evolution) Next() (*space.Graph, error) {
	g, _, _ := s.pop.Child(space.NB201{}, s.r)
	return g, nil
}

// Observe implements Strategy.
func (s *Evolution) Observe(g *space.Graph, acc float64) error {
	s.obs.add(g, acc)
	s.pop.Add(g, acc)
	return nil
}

// Best implements Strategy.
func (s *Evolution) Best() *space.Graph { return s.obs.bestGraph() }

// LocalSearch is first-improvement hill climbing over the one-op neighbours, restarting from a
// random cell at a local optimum.
type LocalSearch struct {
	r          *rand.Rand
	obs        *observations
	current    *space.Graph
	currentAcc float64
	neighbours []*space.Graph // not yet tried around current
	pending    bool           // the last Next was a restart
}

// NewLocalSearch returns local search drawing from r.
func NewLocalSearch(r *rand.Rand) *LocalSearch { return &LocalSearch{r: r, obs: newObservations()} }

// Name implements Strategy.
func (s *LocalSearch) Name() string { return "local" }

// Next implements Strategy.
func (s *LocalSearch) Next() (*space.Graph, error) {
	if s.current == nil || len(s.neighbours) == 0 {
		s.pending = true
		return space.NB201{}.Random(s.r), nil
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
	for _, a := range space.Actions(space.NB201{}, g) {
		n, _ := space.Apply(space.NB201{}, g, a)
		s.neighbours = append(s.neighbours, n)
	}
	s.r.Shuffle(len(s.neighbours), func(i, j int) { s.neighbours[i], s.neighbours[j] = s.neighbours[j], s.neighbours[i] })
	s.pending = false
}

// Best implements Strategy.
func (s *LocalSearch) Best() *space.Graph { return s.obs.bestGraph() }
