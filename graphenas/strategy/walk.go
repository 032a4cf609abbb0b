package strategy

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/controller"
	"github.com/graphenas/graphenas/graphenas/space"
)

// Walk is the walk of the original GraphEnas (strategies "graphenas-walk", "original" and
// "random-walk"): the first query is a random member of the space; after that, one edit of the
// current architecture is proposed — by the controller's actor, or uniformly (RandomEdit) for
// the random walk — the edited architecture is queried, and the walk moves there whatever its
// score. The controller learns from δ = log(error after) − log(error before) (with K > 1 the
// discounted sum of the next K such δ is the return). Best is the queried architecture of
// highest mean score. Unlike the GraphEnas loop, a walk keeps no incumbent, screens nothing and
// never restarts: it is the algorithm the mission describes, one edit at a time.
type Walk struct {
	name       string
	sp         space.Space
	c          *controller.Controller // nil: uniform edits (the random walk)
	r          *rand.Rand
	obs        *observations
	current    *space.Graph
	currentErr float64
	pending    *controller.Proposal
	last       Move
	moved      bool
}

// NewWalk returns a walk over sp named name, whose actor-critic has the configuration cfg
// (Seed included); with b nil the walk has no controller and every edit is uniform.
func NewWalk(name string, b compute.Backend, sp space.Space, cfg controller.Config, r *rand.Rand) (*Walk, error) {
	w := &Walk{name: name, sp: sp, r: r, obs: newObservations()}
	if b != nil {
		c, err := controller.New(b, sp, cfg)
		if err != nil {
			return nil, err
		}
		w.c = c
	}
	return w, nil
}

// Name implements Strategy.
func (w *Walk) Name() string { return w.name }

// Controller returns the walk's actor-critic (nil for the random walk).
func (w *Walk) Controller() *controller.Controller { return w.c }

// Next implements Strategy.
func (w *Walk) Next() (*space.Graph, error) {
	w.pending = nil
	if w.current == nil {
		return w.sp.Random(w.r), nil
	}
	if w.c == nil {
		after, a := RandomEdit(w.sp, w.current, w.r)
		w.pending = &controller.Proposal{Before: w.current, After: after, Action: a}
		return after, nil
	}
	p, err := w.c.Propose(w.current)
	if err != nil {
		return nil, err
	}
	w.pending = &p
	return p.After, nil
}

// Observe implements Strategy: the walk moves to g, and the controller learns from the edit.
func (w *Walk) Observe(g *space.Graph, score float64) error {
	w.moved = false
	e := errorRate(score)
	if w.pending != nil {
		if g.Key() != w.pending.After.Key() {
			return fmt.Errorf("strategy: %s observed a graph it did not propose", w.name)
		}
		m := Move{Before: w.pending.Before, Action: w.pending.Action, Mean: w.pending.Mean, Std: w.pending.Std, Beta: w.pending.Beta}
		if w.c != nil {
			st, err := w.c.Observe(*w.pending, math.Log(e)-math.Log(w.currentErr))
			if err != nil {
				return err
			}
			m.Stats = st
		}
		w.last, w.moved = m, true
	}
	w.obs.add(g, score)
	w.current, w.currentErr, w.pending = g, e, nil
	return nil
}

// LastMove implements Mover.
func (w *Walk) LastMove() (Move, bool) { return w.last, w.moved }

// Best implements Strategy.
func (w *Walk) Best() *space.Graph { return w.obs.bestGraph() }
