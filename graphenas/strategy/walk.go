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
//
// A walk that keeps connected (KeepConnected, the variant "graphenas-walk:connected=1") never
// proposes an edit that leaves no path from the input to the output: it sets such a proposal
// aside and asks the actor again, up to ConnectedDraws times, then takes a uniform edit that
// keeps a path. Sampling so is sampling the actor's policy restricted to the edits that keep a
// path; the actor is not told about the proposals set aside (Move.Redrawn counts them).
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
	connected  space.Connector // nil unless the walk keeps connected
	redrawn    int             // proposals set aside for the pending edit
}

// ConnectedDraws is how many of the actor's proposals a walk that keeps connected draws for one
// step before it falls back to a uniform edit that keeps a path.
const ConnectedDraws = 16

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

// KeepConnected makes the walk propose only edits that leave a path from the input to the output
// (see Walk). It fails for a space whose members are all connected (not a space.Connector), where
// it would change nothing, and after the walk has started.
func (w *Walk) KeepConnected() error {
	c, ok := w.sp.(space.Connector)
	if !ok {
		return fmt.Errorf("strategy: %s: the %s space does not say which of its members have a path from input to output, so connected=1 has nothing to keep", w.name, w.sp.Name())
	}
	if w.current != nil {
		return fmt.Errorf("strategy: %s: KeepConnected after the walk started", w.name) // a programmer error, reported as one
	}
	w.connected = c
	return nil
}

// Controller returns the walk's actor-critic (nil for the random walk).
func (w *Walk) Controller() *controller.Controller { return w.c }

// Next implements Strategy.
func (w *Walk) Next() (*space.Graph, error) {
	w.pending, w.redrawn = nil, 0
	if w.current == nil {
		return w.sp.Random(w.r), nil
	}
	if w.c == nil {
		after, a := w.uniformEdit()
		w.pending = &controller.Proposal{Before: w.current, After: after, Action: a}
		return after, nil
	}
	draws := 1
	if w.connected != nil {
		draws = ConnectedDraws
	}
	for range draws {
		p, err := w.c.Propose(w.current)
		if err != nil {
			return nil, err
		}
		if w.connected == nil || w.connected.Connected(p.After) {
			w.pending = &p
			return p.After, nil
		}
		w.redrawn++
	}
	// Every proposal cut the last path: a uniform edit that keeps one, with the critic's view.
	after, a := w.uniformEdit()
	mean, std, err := w.c.Predict(w.current, after)
	if err != nil {
		return nil, err
	}
	w.pending = &controller.Proposal{Before: w.current, After: after, Action: a, Mean: mean, Std: std, Beta: w.c.Beta()}
	return after, nil
}

// uniformEdit is a uniform legal edit of the current architecture: among those that keep a path
// from input to output when the walk keeps connected (an op change always does, so there is one).
func (w *Walk) uniformEdit() (*space.Graph, space.Action) {
	if w.connected == nil {
		return RandomEdit(w.sp, w.current, w.r)
	}
	var keep []space.Action
	var afters []*space.Graph
	for _, a := range space.Actions(w.sp, w.current) {
		next, err := space.Apply(w.sp, w.current, a)
		if err != nil {
			panic(fmt.Sprintf("strategy: a listed action is illegal: %v", err)) // space.Actions lists legal ones
		}
		if w.connected.Connected(next) {
			keep, afters = append(keep, a), append(afters, next)
		}
	}
	if len(keep) == 0 {
		return RandomEdit(w.sp, w.current, w.r) // nothing keeps a path: the walk is already cut off
	}
	i := w.r.IntN(len(keep))
	return afters[i], keep[i]
}

// Observe implements Strategy: the walk moves to g, and the controller learns from the edit.
func (w *Walk) Observe(g *space.Graph, score float64) error {
	w.moved = false
	e := errorRate(score)
	if w.pending != nil {
		if g.Key() != w.pending.After.Key() {
			return fmt.Errorf("strategy: %s observed a graph it did not propose", w.name)
		}
		m := Move{Before: w.pending.Before, Action: w.pending.Action, Mean: w.pending.Mean, Std: w.pending.Std, Beta: w.pending.Beta, Redrawn: w.redrawn}
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
