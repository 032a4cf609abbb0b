package controller

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"io"

	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/graphenas/varstore"
)

// stateVersion changes whenever the saved layout does.
const stateVersion = 1

// savedGraph is a space.Graph in a form gob can write.
type savedGraph struct {
	Ops   []int
	Edges [][2]int
}

type savedTransition struct {
	Before, After savedGraph
	Action        space.Action
	LogProb       float64
	Mean, Std     float64
	Beta          float64
	Delta, Return float64
	HasReturn     bool
}

// savedState is everything a controller needs to continue exactly where it was.
type savedState struct {
	Version  int
	Space    string
	Config   Config
	Step     int
	Baseline float64
	RNG      []byte
	Vars     []varstore.Var // weights, Adam moments, step counters
	History  []savedTransition
	Replay   []savedTransition
	// SumSq and Count are the running mean square of δ (Config.ScaleReturns).
	SumSq float64
	Count int
}

func saveGraph(g *space.Graph) savedGraph {
	s := savedGraph{Ops: append([]int(nil), g.Ops...)}
	for i := 0; i < g.N(); i++ {
		for j := i + 1; j < g.N(); j++ {
			if g.HasEdge(i, j) {
				s.Edges = append(s.Edges, [2]int{i, j})
			}
		}
	}
	return s
}

func (s savedGraph) graph() (*space.Graph, error) {
	g := space.NewGraph(s.Ops)
	for _, e := range s.Edges {
		if e[0] < 0 || e[1] >= g.N() || e[0] >= e[1] {
			return nil, fmt.Errorf("edge %v outside the graph", e)
		}
		g.SetEdge(e[0], e[1], true)
	}
	return g, nil
}

func saveTransitions(ts []transition) []savedTransition {
	out := make([]savedTransition, len(ts))
	for i, t := range ts {
		out[i] = savedTransition{Before: saveGraph(t.p.Before), After: saveGraph(t.p.After), Action: t.p.Action,
			LogProb: t.p.LogProb, Mean: t.p.Mean, Std: t.p.Std, Beta: t.p.Beta, Delta: t.delta, Return: t.ret, HasReturn: t.hasRet}
	}
	return out
}

func loadTransitions(ts []savedTransition) ([]transition, error) {
	out := make([]transition, len(ts))
	for i, t := range ts {
		b, err := t.Before.graph()
		if err != nil {
			return nil, err
		}
		a, err := t.After.graph()
		if err != nil {
			return nil, err
		}
		out[i] = transition{p: Proposal{Before: b, After: a, Action: t.Action, LogProb: t.LogProb, Mean: t.Mean, Std: t.Std, Beta: t.Beta},
			delta: t.Delta, ret: t.Return, hasRet: t.HasReturn}
	}
	return out, nil
}

// Save writes the whole controller state: weights, optimiser moments, replay buffer, transitions
// awaiting their return, β's step, the baseline and the random generator.
func (c *Controller) Save(w io.Writer) error {
	rngState, err := c.pcg.MarshalBinary()
	if err != nil {
		return fmt.Errorf("controller: saving the random state: %w", err)
	}
	st := savedState{Version: stateVersion, Space: c.sp.Name(), Config: c.cfg, Step: c.step, Baseline: c.baseline,
		RNG: rngState, SumSq: c.sumSq, Count: c.count, History: saveTransitions(c.history), Replay: saveTransitions(c.replay)}
	if st.Vars, err = varstore.Snapshot(c.store); err != nil {
		return fmt.Errorf("controller: saving variables: %w", err)
	}
	if err := gob.NewEncoder(w).Encode(st); err != nil {
		return fmt.Errorf("controller: writing the state: %w", err)
	}
	return nil
}

// Load returns a controller restored from what Save wrote, on the back-end and space of like
// (any controller of that space, e.g. a fresh one). It checks the
// whole state before building anything, so a corrupt or foreign file gives an error and no
// half-loaded controller.
func Load(r io.Reader, like *Controller) (*Controller, error) {
	var st savedState
	if err := gob.NewDecoder(r).Decode(&st); err != nil {
		return nil, fmt.Errorf("controller: reading the state: %w", err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("controller: state version %d, this build reads %d", st.Version, stateVersion)
	}
	if st.Space != like.sp.Name() {
		return nil, fmt.Errorf("controller: state is for space %q, not %q", st.Space, like.sp.Name())
	}
	history, err := loadTransitions(st.History)
	if err != nil {
		return nil, fmt.Errorf("controller: state: %w", err)
	}
	replay, err := loadTransitions(st.Replay)
	if err != nil {
		return nil, fmt.Errorf("controller: state: %w", err)
	}
	if _, err := varstore.Tensors(st.Vars); err != nil {
		return nil, fmt.Errorf("controller: state: %w", err)
	}
	c, err := New(like.backend, like.sp, st.Config)
	if err != nil {
		return nil, err
	}
	if err := varstore.Restore(c.store, st.Vars, false); err != nil {
		return nil, fmt.Errorf("controller: state: %w", err)
	}
	if err := c.pcg.UnmarshalBinary(st.RNG); err != nil {
		return nil, fmt.Errorf("controller: state: random generator: %w", err)
	}
	c.step, c.baseline, c.history, c.replay = st.Step, st.Baseline, history, replay
	c.sumSq, c.count = st.SumSq, st.Count
	return c, nil
}

// Clone returns an independent copy through Save and Load (for tests and checkpoints).
func (c *Controller) Clone() (*Controller, error) {
	var buf bytes.Buffer
	if err := c.Save(&buf); err != nil {
		return nil, err
	}
	return Load(&buf, c)
}
