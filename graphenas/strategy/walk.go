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
// In a space that knows what its members compute (space.LiveSpace: the supergraph), the walk
// never proposes an edit that leaves no path from the input to the output (such a network
// ignores its input, and retraining refuses it), nor one that changes nothing the network
// computes (the op of a node off every path, an edge between such nodes: its δ is zero, and a walk
// that only kept a path sat for hundreds of steps on architectures whose ops were all bypassed,
// RESULTS.md's lab log, FM4–FM6). It sets such a proposal aside and asks the actor again, up to
// RestrictedDraws times, then takes a uniform edit among those allowed; sampling so is sampling the
// actor's policy restricted to the allowed edits (Move.Redrawn counts the proposals set aside).
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
	live       space.LiveSpace      // nil in a space that cannot tell (NAS-Bench-201)
	redrawn    int                  // proposals set aside for the pending edit
	edits      map[string]walkEdits // the edits of graphs met, by key
	editsKept  int                  // how many graphs' edits edits holds at most
}

// WalkEditsKept is how many architectures' edits a walk keeps (a few kB each) before it forgets
// them all and starts again; they are recomputed when met again, so forgetting changes no result,
// only time, and memory stays bounded on a search of any length.
const WalkEditsKept = 4096

// walkEdits are the legal edits of a graph (space.Actions), the graphs they lead to, and which
// of them the walk may take (Walk.editsOf).
type walkEdits struct {
	acts   []space.Action
	afters []*space.Graph
	ok     []bool
	any    bool // some edit is ok
}

// RestrictedDraws is how many of the actor's proposals a walk draws for one step before it falls
// back to a uniform edit among those it may take.
const RestrictedDraws = 16

// NewWalk returns a walk over sp named name, whose actor-critic has the configuration cfg
// (Seed included); with b nil the walk has no controller and every edit is uniform.
func NewWalk(name string, b compute.Backend, sp space.Space, cfg controller.Config, r *rand.Rand) (*Walk, error) {
	w := &Walk{name: name, sp: sp, r: r, obs: newObservations(), editsKept: WalkEditsKept, edits: map[string]walkEdits{}}
	w.live, _ = sp.(space.LiveSpace)
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

// allowed reports whether the walk may move from the current architecture to next.
func (w *Walk) allowed(next *space.Graph) bool { return w.allowedFrom(w.current, next) }

// allowedFrom reports whether the walk may make the edit of before into next: it keeps a path
// from input to output and changes what the network computes.
func (w *Walk) allowedFrom(before, next *space.Graph) bool {
	return w.live == nil || (w.live.Connected(next) && w.live.Computed(next) != w.live.Computed(before))
}

// editsOf returns the legal edits of g and which of them the walk may take; where none may (an
// architecture whose only path is the input's edge to the output and that has no other edge: every
// edit that changes what it computes cuts that path), those that keep a path; where none does
// either, none (the caller then takes any edit). Results are kept by the graph's key, up to
// WalkEditsKept graphs.
func (w *Walk) editsOf(g *space.Graph) walkEdits {
	if e, ok := w.edits[g.Key()]; ok {
		return e
	}
	if len(w.edits) >= w.editsKept {
		clear(w.edits)
	}
	acts := space.Actions(w.sp, g)
	e := walkEdits{acts: acts, afters: make([]*space.Graph, len(acts)), ok: make([]bool, len(acts))}
	connected := make([]bool, len(acts))
	anyConnected := false
	for i, a := range acts {
		next, err := space.Apply(w.sp, g, a)
		if err != nil {
			panic(fmt.Sprintf("strategy: a listed action is illegal: %v", err)) // space.Actions lists legal ones
		}
		e.afters[i] = next
		e.ok[i] = w.allowedFrom(g, next)
		e.any = e.any || e.ok[i]
		connected[i] = w.live != nil && w.live.Connected(next)
		anyConnected = anyConnected || connected[i]
	}
	if !e.any && anyConnected {
		e.ok, e.any = connected, true
	}
	w.edits[g.Key()] = e
	return e
}

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
	if w.live != nil {
		draws = RestrictedDraws
	}
	for range draws {
		p, err := w.c.Propose(w.current)
		if err != nil {
			return nil, err
		}
		if w.allowed(p.After) {
			w.pending = &p
			return p.After, nil
		}
		w.redrawn++
	}
	// Every proposal was set aside: a uniform allowed edit, with the critic's view.
	after, a := w.uniformEdit()
	mean, std, err := w.c.Predict(w.current, after)
	if err != nil {
		return nil, err
	}
	w.pending = &controller.Proposal{Before: w.current, After: after, Action: a, Mean: mean, Std: std, Beta: w.c.Beta()}
	return after, nil
}

// uniformEdit is a uniform legal edit of the current architecture, among those the walk may take
// (editsOf); any edit when it may take none.
func (w *Walk) uniformEdit() (*space.Graph, space.Action) {
	if w.live == nil {
		return RandomEdit(w.sp, w.current, w.r)
	}
	e := w.editsOf(w.current)
	var pool []int
	for i, ok := range e.ok {
		if ok {
			pool = append(pool, i)
		}
	}
	if len(pool) == 0 {
		return RandomEdit(w.sp, w.current, w.r)
	}
	i := pool[w.r.IntN(len(pool))]
	return e.afters[i], e.acts[i]
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
