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

	"github.com/graphenas/graphenas/graphenas/controller"
	"github.com/graphenas/graphenas/graphenas/space"
)

// Strategy searches by proposing cells one query at a time.
type Strategy interface {
	// Name identifies the strategy in results.
	Name() string
	// Next proposes the next cell to query.
	Next() (*space.Graph, error)
	// Observe receives the (noisy) score of the cell Next proposed, higher being better: the
	// accuracy in percent on the table, LossScore of the validation loss on the supergraph.
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

// LossScore is the score of an architecture whose validation loss is loss, for a search that
// ranks by loss (the shared-weight supergraph): 100·(1 − loss). The strategies read a score as
// an accuracy in percent whose error, (100 − score)/100, they take the logarithm of; from this
// score that error is the loss itself, so the walk's δ is log(loss after) − log(loss before),
// and the surrogate process models −log(loss).
func LossScore(loss float64) float64 { return 100 * (1 - loss) }

// Move is how a strategy reached the architecture it observed last: an edit of Before, the
// critic's prediction of the edit's return (Mean, Std, at inverse temperature Beta; zero without
// a critic) and what the controller learned from it (Stats; zero without a controller).
// Redrawn counts the actor's proposals set aside before this edit (a restricted walk,
// Walk.Restrict: they left no path from input to output, or changed nothing computed).
type Move struct {
	Before          *space.Graph
	Action          space.Action
	Mean, Std, Beta float64
	Stats           controller.Stats
	Redrawn         int
}

// Mover is a strategy that can say how it reached the architecture it observed last (for step
// logs); ok is false when that architecture was drawn afresh (a start, a restart, a
// confirmation).
type Mover interface {
	LastMove() (m Move, ok bool)
}

// Controlled is a strategy with an actor-critic (for plots of the critic).
type Controlled interface {
	Controller() *controller.Controller
}
