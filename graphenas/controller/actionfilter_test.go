package controller

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/graphenas/graphenas/graphenas/space"
)

// evenOpsAndInputEdges allows op changes to an even op and the edges from the input.
func evenOpsAndInputEdges(_ *space.Graph, acts []space.Action) []bool {
	ok := make([]bool, len(acts))
	for i, a := range acts {
		ok[i] = (a.Kind == space.ChangeOp && a.Op%2 == 0) || (a.Kind == space.SetEdge && a.From == 0)
	}
	return ok
}

// With an action filter the actor's policy is the softmax over the allowed edits alone: the others
// get probability exactly 0, the allowed ones sum to one (uniformly at β = 0), proposals are
// allowed, learning keeps that true, and a clone keeps the filter. A filter that allows nothing
// leaves the policy as it is.
func TestActionFilterRestrictsThePolicy(t *testing.T) {
	sp := space.Supergraph{Nodes: 5, LayersPerStage: 2}
	cfg := DefaultConfig()
	cfg.Seed = 7
	c := newController(t, sp, cfg)
	c.SetActionFilter(evenOpsAndInputEdges)
	g := sp.Random(rand.New(rand.NewPCG(3, 3)))
	acts := space.Actions(sp, g)
	ok := evenOpsAndInputEdges(g, acts)
	allowed := 0
	for _, v := range ok {
		if v {
			allowed++
		}
	}
	if allowed == 0 || allowed == len(acts) {
		t.Fatalf("the test's filter allows %d of %d edits; pick another", allowed, len(acts))
	}
	check := func(who string, c *Controller, beta float64) {
		t.Helper()
		_, probs, err := c.ActionProbabilities(g, beta)
		if err != nil {
			t.Fatal(err)
		}
		total := 0.0
		for i, p := range probs {
			switch {
			case !ok[i] && p != 0:
				t.Errorf("%s, β=%g: %v is filtered out but has probability %g", who, beta, acts[i], p)
			case ok[i] && beta == 0 && math.Abs(p-1/float64(allowed)) > 1e-5:
				t.Errorf("%s, β=0: %v has probability %g, want 1/%d", who, acts[i], p, allowed)
			}
			total += p
		}
		if math.Abs(total-1) > 1e-4 {
			t.Errorf("%s, β=%g: the allowed edits' probabilities sum to %.6f", who, beta, total)
		}
	}
	check("fresh", c, 0)
	check("fresh", c, 1)
	for step := range 12 {
		p, err := c.Propose(g)
		if err != nil {
			t.Fatal(err)
		}
		i := indexOf(t, acts, p.Action)
		if !ok[i] {
			t.Fatalf("step %d: proposed the filtered-out %v", step, p.Action)
		}
		if _, err := c.Observe(p, 0.1*float64(step%3-1)); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
	}
	check("trained", c, 1)
	clone, err := c.Clone()
	if err != nil {
		t.Fatal(err)
	}
	check("clone", clone, 1)

	// A filter that allows nothing: every legal edit, the same tables as without a filter.
	plain, none := newController(t, sp, cfg), newController(t, sp, cfg)
	none.SetActionFilter(func(_ *space.Graph, acts []space.Action) []bool { return make([]bool, len(acts)) })
	_, want, err := plain.ActionProbabilities(g, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := none.ActionProbabilities(g, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("a filter allowing nothing changed %v: %g, want %g", acts[i], got[i], want[i])
		}
	}
}

// indexOf finds a among acts (an edge's On as space.Actions sets it).
func indexOf(t *testing.T, acts []space.Action, a space.Action) int {
	t.Helper()
	for i, b := range acts {
		if a == b {
			return i
		}
	}
	t.Fatalf("%v is not a legal edit", a)
	return -1
}
