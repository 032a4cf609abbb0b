package controller

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/graphenas/varstore"
)

// StateVersion changes whenever the layout of State (or of a type it holds) does; a test keeps
// it honest (search's checkpoint schema test).
const StateVersion = 2

// savedGraph is a space.Graph: its ops and its edges.
type savedGraph struct {
	Ops   []int    `json:"ops"`
	Edges [][2]int `json:"edges"`
}

// savedTransition is a transition: the proposal, δ, and its return once known.
type savedTransition struct {
	Before    savedGraph   `json:"before"`
	After     savedGraph   `json:"after"`
	Action    space.Action `json:"action"`
	LogProb   float64      `json:"log_prob"`
	Mean      float64      `json:"mean"`
	Std       float64      `json:"std"`
	Beta      float64      `json:"beta"`
	Delta     float64      `json:"delta"`
	Return    float64      `json:"return"`
	HasReturn bool         `json:"has_return"`
}

// State is everything a controller needs to continue exactly where it was, in a form
// encoding/json writes and reads back exactly (every number is finite).
type State struct {
	Version  int               `json:"version"`
	Space    string            `json:"space"`
	Config   Config            `json:"config"`
	Step     int               `json:"step"`
	Baseline float64           `json:"baseline"`
	RNG      []byte            `json:"rng"`
	Vars     []varstore.Var    `json:"vars"` // weights, Adam moments, step counters
	History  []savedTransition `json:"history"`
	Replay   []savedTransition `json:"replay"`
	// SumSq and Count are the running mean square of δ (Config.ScaleReturns).
	SumSq float64 `json:"sum_sq"`
	Count int     `json:"count"`
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

// State returns the whole controller state: weights, optimiser moments, replay buffer,
// transitions awaiting their return, β's step, the baseline and the random generator. It is an
// error for any of it not to be finite (the controller diverged).
func (c *Controller) State() (*State, error) {
	rngState, err := c.pcg.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("controller: saving the random state: %w", err)
	}
	st := &State{Version: StateVersion, Space: c.sp.Name(), Config: c.cfg, Step: c.step, Baseline: c.baseline,
		RNG: rngState, SumSq: c.sumSq, Count: c.count, History: saveTransitions(c.history), Replay: saveTransitions(c.replay)}
	if st.Vars, err = varstore.Snapshot(c.store); err != nil {
		return nil, fmt.Errorf("controller: saving variables: %w", err)
	}
	if err := varstore.CheckFinite(st.Vars); err != nil {
		return nil, fmt.Errorf("controller: not finite: %w", err)
	}
	return st, nil
}

// Save writes State as JSON.
func (c *Controller) Save(w io.Writer) error {
	st, err := c.State()
	if err != nil {
		return err
	}
	if err := json.NewEncoder(w).Encode(st); err != nil {
		return fmt.Errorf("controller: writing the state: %w", err)
	}
	return nil
}

// Load returns a controller restored from what Save wrote (see Restore).
func Load(r io.Reader, like *Controller) (*Controller, error) {
	var st State
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("controller: reading the state: %w", err)
	}
	return Restore(&st, like)
}

// Restore returns a controller restored from st, on the back-end and space of like (any
// controller of that space, e.g. a fresh one). It checks the whole state before building
// anything, so a corrupt or foreign state gives an error and no half-loaded controller.
func Restore(st *State, like *Controller) (*Controller, error) {
	if st.Version != StateVersion {
		return nil, fmt.Errorf("controller: state version %d, this build reads %d", st.Version, StateVersion)
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
