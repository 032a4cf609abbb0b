package controller

import (
	"fmt"
	"math"

	"github.com/graphenas/graphenas/graphenas/space"
)

// ProposeMany samples m edits of g from the actor at the current β (one actor call) and asks the
// critic about all of them in one batch. Edits are drawn independently, so the same edit can
// come back more than once.
func (c *Controller) ProposeMany(g *space.Graph, m int) ([]Proposal, error) {
	return c.ProposeManyAt(g, m, c.Beta())
}

// ProposeManyAt is ProposeMany at the inverse temperature beta instead of the schedule's: β = 0
// draws every factor of the action (kind, node, op, edge ends) uniformly, whatever the actor
// learned, so that a screen sees edits the actor would rarely propose.
func (c *Controller) ProposeManyAt(g *space.Graph, m int, beta float64) ([]Proposal, error) {
	if m < 1 {
		return nil, fmt.Errorf("controller: proposing needs m ≥ 1 edits, got %d", m)
	}
	if beta < 0 || math.IsNaN(beta) || math.IsInf(beta, 0) {
		return nil, fmt.Errorf("controller: ProposeManyAt needs a finite β ≥ 0, got %v", beta)
	}
	tables, err := c.Tables(g, beta)
	if err != nil {
		return nil, err
	}
	out := make([]Proposal, m)
	afters := make([]*space.Graph, m)
	for i := range out {
		a, logp := tables.Sample(c.rng)
		if a.Kind == space.SetEdge {
			a.On = !g.HasEdge(a.From, a.To)
		}
		next, err := space.Apply(c.sp, g, a)
		if err != nil {
			return nil, fmt.Errorf("controller: sampled %w", err)
		}
		out[i] = Proposal{Before: g, After: next, Action: a, LogProb: logp, Beta: beta}
		afters[i] = next
	}
	means, stds, err := c.PredictMany(g, afters)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Mean, out[i].Std = means[i], stds[i]
	}
	return out, nil
}

// PredictMany is Predict for moves from one graph to each of afters, in one critic call.
func (c *Controller) PredictMany(before *space.Graph, afters []*space.Graph) (means, stds []float64, err error) {
	if len(afters) == 0 {
		return nil, nil, nil
	}
	befores := make([]*space.Graph, len(afters))
	for i := range befores {
		befores[i] = before
	}
	b, a := c.graphInputs(befores), c.graphInputs(afters)
	out, err := c.criticExec.Exec(c.criticInputs(b, a)...)
	if err != nil {
		return nil, nil, fmt.Errorf("controller: critic: %w", err)
	}
	m, s := flat(out[0]), flat(out[1])
	sc := c.scale()
	means, stds = make([]float64, len(afters)), make([]float64, len(afters))
	for i := range afters {
		means[i], stds[i] = float64(m[i])*sc, float64(s[i])*sc
	}
	return means, stds, nil
}

// Remember adds a move whose return is known without the actor having proposed it to the
// critic's replay buffer, e.g. a pair of architectures that were both evaluated: the return of
// moving from one to the other is the difference of their log losses. The critic learns from it
// like from any other replayed transition; the actor does not. It needs Replay.
func (c *Controller) Remember(before, after *space.Graph, ret float64) error {
	if !c.cfg.Replay {
		return fmt.Errorf("controller: Remember needs the replay buffer (Config.Replay)")
	}
	if math.IsNaN(ret) || math.IsInf(ret, 0) {
		return fmt.Errorf("controller: non-finite return %v", ret)
	}
	if before.N() != after.N() {
		return fmt.Errorf("controller: Remember: graphs of %d and %d nodes", before.N(), after.N())
	}
	c.replay = append(c.replay, transition{p: Proposal{Before: before, After: after}, delta: ret, ret: ret, hasRet: true})
	if len(c.replay) > c.cfg.ReplaySize {
		c.replay = c.replay[len(c.replay)-c.cfg.ReplaySize:]
	}
	return nil
}

// ReplayLen returns the number of transitions in the replay buffer.
func (c *Controller) ReplayLen() int { return len(c.replay) }
