package strategy

import (
	"fmt"
	"math/rand/v2"

	"github.com/graphenas/graphenas/graphenas/space"
)

// DefaultPopulation and DefaultSample are regularized evolution's population and tournament
// sizes. Real et al. 2019 (arXiv:1802.01548) use P = 100 and S = 25; here the ratio S/P = 1/4 is
// kept at P = 20, because with P = 100 a search of 100 queries would never get past its random
// initial population.
const (
	DefaultPopulation = 20
	DefaultSample     = 5
)

// Member is one architecture of the population and its fitness, higher being better (accuracy
// on the table, minus the validation loss on the supergraph).
type Member struct {
	Graph   *space.Graph
	Fitness float64
}

// Population is regularized (aging) evolution's population (Real et al. 2019, Algorithm 1): the
// most recent Size members, oldest first. While it is not Full, new members are random; then
// each child is a RandomEdit of the fittest of Sample members drawn uniformly with replacement
// (the tournament), and adding it removes the oldest member.
type Population struct {
	Size, Sample int
	Members      []Member
}

// NewPopulation returns an empty population; size and sample must satisfy 1 ≤ sample ≤ size.
func NewPopulation(size, sample int) (*Population, error) {
	if size < 1 || sample < 1 || sample > size {
		return nil, fmt.Errorf("evolution: population %d and sample %d (want 1 ≤ sample ≤ population)", size, sample)
	}
	return &Population{Size: size, Sample: sample}, nil
}

// Full reports whether the population has its Size members (children are mutated from then on).
func (p *Population) Full() bool { return len(p.Members) >= p.Size }

// Add appends a member; beyond Size members the oldest dies.
func (p *Population) Add(g *space.Graph, fitness float64) {
	p.Members = append(p.Members, Member{Graph: g, Fitness: fitness})
	if len(p.Members) > p.Size {
		p.Members = p.Members[1:]
	}
}

// Parent is the tournament's winner: the fittest of Sample members drawn with replacement (the
// first drawn on ties). The population must not be empty.
func (p *Population) Parent(r *rand.Rand) Member {
	var parent Member
	for k := 0; k < p.Sample; k++ {
		m := p.Members[r.IntN(len(p.Members))]
		if k == 0 || m.Fitness > parent.Fitness {
			parent = m
		}
	}
	return parent
}

// Child is the next architecture to evaluate: a random member of sp while the population is not
// full, else a RandomEdit of the tournament's winner, returned with the parent and the edit
// (parent nil for a random member).
func (p *Population) Child(sp space.Space, r *rand.Rand) (child *space.Graph, parent *Member, edit space.Action) {
	if !p.Full() {
		return sp.Random(r), nil, space.Action{}
	}
	m := p.Parent(r)
	child, edit = RandomEdit(sp, m.Graph, r)
	return child, &m, edit
}
