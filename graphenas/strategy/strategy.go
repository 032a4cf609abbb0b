// Package strategy holds the search strategies, written once for every search space: the
// Strategy interface a search drives one query at a time, the baselines (random search,
// regularized evolution after Real et al. 2019, local search), the GraphEnas loops around the
// controller and the surrogate process (GraphEnas: "graphenas", "graphenas-gp", "gp-local", …),
// and the names they are known by (Factories, ParseVariant). The NAS-Bench-201 table (package
// tabular) and the shared-weight supergraph (package search) drive the same strategies, so a
// name means the same algorithm on both.
package strategy

import (
	"fmt"
	"math/rand/v2"

	"github.com/graphenas/graphenas/graphenas/space"
)

// Strategy searches by proposing cells one query at a time.
type Strategy interface {
	// Name identifies the strategy in results.
	Name() string
	// Next proposes the next cell to query.
	Next() (*space.Graph, error)
	// Observe receives the (noisy) score of the cell Next proposed, higher being better (the
	// accuracy in percent on the table).
	Observe(g *space.Graph, score float64) error
	// Best returns the cell the strategy believes best so far.
	Best() *space.Graph
}

// RandomEdit applies one legal edit of g, drawn uniformly from space.Actions, and returns the
// edited graph and the edit. g must have a legal edit (every member of the spaces here has).
func RandomEdit(sp space.Space, g *space.Graph, r *rand.Rand) (*space.Graph, space.Action) {
	acts := space.Actions(sp, g)
	if len(acts) == 0 {
		panic(fmt.Sprintf("strategy: %s has no legal edit of %v", sp.Name(), g.Ops)) // a programmer error
	}
	a := acts[r.IntN(len(acts))]
	next, err := space.Apply(sp, g, a)
	if err != nil {
		panic(fmt.Sprintf("strategy: a listed action is illegal: %v", err)) // space.Actions lists legal ones
	}
	return next, a
}
