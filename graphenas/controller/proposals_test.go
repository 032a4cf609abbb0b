package controller

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/graphenas/stats"
)

func TestProposeManyAgreesWithPredict(t *testing.T) {
	sp := space.Supergraph{Nodes: 5, LayersPerStage: 4}
	c := newController(t, sp, DefaultConfig())
	g := sp.Random(rand.New(rand.NewPCG(4, 4)))
	props, err := c.ProposeMany(g, 6)
	if err != nil {
		t.Fatal(err)
	}
	if len(props) != 6 {
		t.Fatalf("%d proposals, want 6", len(props))
	}
	for _, p := range props {
		want, err := space.Apply(sp, g, p.Action)
		if err != nil || want.Key() != p.After.Key() {
			t.Fatalf("proposal %v: after is not the edit applied (%v)", p.Action, err)
		}
		m, s, err := c.Predict(g, p.After)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(m-p.Mean) > 1e-5 || math.Abs(s-p.Std) > 1e-5 || s <= 0 {
			t.Errorf("%v: batched critic %.6f ± %.6f, alone %.6f ± %.6f", p.Action, p.Mean, p.Std, m, s)
		}
		if p.LogProb > 0 || math.IsInf(p.LogProb, 0) {
			t.Errorf("%v: log-probability %v", p.Action, p.LogProb)
		}
	}
	if _, err := c.ProposeMany(g, 0); err == nil {
		t.Error("ProposeMany(0) gave no error")
	}
}

// With ScaleReturns, the controller does the same thing whatever the units of δ (once a δ other
// than 0 has been seen), and reports
// the critic's predictions in those units.
func TestScaleReturnsMakesTheUnitsIrrelevant(t *testing.T) {
	sp := space.Supergraph{Nodes: 5, LayersPerStage: 4}
	run := func(unit float64) (actions []string, means []float64) {
		c := newController(t, sp, DefaultConfig())
		g := sp.Random(rand.New(rand.NewPCG(9, 9)))
		for i := 0; i < 8; i++ {
			p, err := c.Propose(g)
			if err != nil {
				t.Fatal(err)
			}
			actions, means = append(actions, p.Action.String()), append(means, p.Mean)
			if _, err := c.Observe(p, unit*(float64(pools(p.After)-pools(g))+0.1)); err != nil {
				t.Fatal(err)
			}
			g = p.After
		}
		return actions, means
	}
	a1, m1 := run(1)
	a2, m2 := run(0.01)
	for i := range a1 {
		if a1[i] != a2[i] {
			t.Fatalf("step %d: %s with δ in units, %s with δ in hundredths", i, a1[i], a2[i])
		}
		if i > 0 && math.Abs(m2[i]-0.01*m1[i]) > 1e-3*math.Abs(m1[i])+1e-9 {
			t.Errorf("step %d: critic mean %.6g, want %.6g (a hundredth of %.6g)", i, m2[i], 0.01*m1[i], m1[i])
		}
	}
}

func TestRememberTeachesTheCritic(t *testing.T) {
	sp := space.Supergraph{Nodes: 6, LayersPerStage: 4}
	c := newController(t, sp, DefaultConfig())
	r := rand.New(rand.NewPCG(5, 5))
	reward := func(b, a *space.Graph) float64 { return float64(pools(a)-pools(b)) + 0.1*float64(pools(a)) }
	// Pairs of unrelated graphs, as a tabular search gets from any two evaluated architectures.
	for i := 0; i < 600; i++ {
		b, a := sp.Random(r), sp.Random(r)
		if err := c.Remember(b, a, reward(b, a)); err != nil {
			t.Fatal(err)
		}
	}
	if c.ReplayLen() != DefaultConfig().ReplaySize {
		t.Errorf("replay holds %d, want its size %d", c.ReplayLen(), DefaultConfig().ReplaySize)
	}
	if _, err := c.trainCritic(200); err != nil {
		t.Fatal(err)
	}
	var pred, truth []float64
	for i := 0; i < 200; i++ {
		b, a := sp.Random(r), sp.Random(r)
		m, _, err := c.Predict(b, a)
		if err != nil {
			t.Fatal(err)
		}
		pred, truth = append(pred, m), append(truth, reward(b, a))
	}
	if rho, _ := stats.Spearman(pred, truth); rho < 0.8 {
		t.Errorf("rank correlation on held-out pairs %.3f, want > 0.8", rho)
	}
	g := sp.Random(r)
	if err := c.Remember(g, g, math.NaN()); err == nil {
		t.Error("a NaN return was remembered")
	}
	faithful := newController(t, sp, FaithfulConfig())
	if err := faithful.Remember(g, g, 0); err == nil {
		t.Error("Remember without a replay buffer gave no error")
	}
}

// ProposeManyAt(β = 0) ignores how sharp the actor's schedule is: where the scheduled β makes
// the actor propose a handful of edits, β = 0 covers every legal edit, and each proposal carries
// the log-probability and β it was drawn with.
func TestProposeManyAtZeroCoversEveryEdit(t *testing.T) {
	sp := space.NB201{}
	cfg := DefaultConfig()
	cfg.BetaStart, cfg.BetaEnd = 50, 50 // a very sharp actor
	c := newController(t, sp, cfg)
	g := sp.Random(rand.New(rand.NewPCG(7, 7)))
	legal := len(space.Actions(sp, g)) // 6 op-carrying nodes × 4 other ops
	distinct := func(props []Proposal) int {
		seen := map[string]bool{}
		for _, p := range props {
			seen[p.After.Key()] = true
		}
		return len(seen)
	}
	sharp, err := c.ProposeMany(g, 300)
	if err != nil {
		t.Fatal(err)
	}
	flat, err := c.ProposeManyAt(g, 300, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := distinct(flat); n != legal {
		t.Errorf("β = 0: %d distinct edits in 300 draws, want all %d", n, legal)
	}
	if n := distinct(sharp); n > legal/2 {
		t.Errorf("β = 50: %d distinct edits in 300 draws, want a sharp actor (≤ %d)", n, legal/2)
	}
	tab, err := c.Tables(g, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range flat {
		if p.Beta != 0 || math.Abs(p.LogProb-tab.LogProb(p.Action)) > 1e-9 {
			t.Fatalf("%v: β %v, log-probability %v, want 0 and %v", p.Action, p.Beta, p.LogProb, tab.LogProb(p.Action))
		}
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := c.ProposeManyAt(g, 4, bad); err == nil {
			t.Errorf("ProposeManyAt(β = %v) gave no error", bad)
		}
	}
}
