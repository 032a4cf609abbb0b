package controller

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/activation"
	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/graphenas/stats"
)

var testBackend compute.Backend

func getBackend(t testing.TB) compute.Backend {
	if testBackend == nil {
		b, err := backend.NewGo()
		if err != nil {
			t.Fatal(err)
		}
		testBackend = b
	}
	return testBackend
}

func newController(t testing.TB, sp space.Space, cfg Config) *Controller {
	t.Helper()
	c, err := New(getBackend(t), sp, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestProbabilitiesSumToOne(t *testing.T) {
	sp := space.Supergraph{Nodes: 4, LayersPerStage: 2}
	c := newController(t, sp, DefaultConfig())
	g := sp.Random(rand.New(rand.NewPCG(3, 3)))
	for _, beta := range []float64{0, 1, 2.5} {
		tab, err := c.Tables(g, beta)
		if err != nil {
			t.Fatal(err)
		}
		total := 0.0
		acts := space.Actions(sp, g)
		for _, a := range acts {
			total += math.Exp(tab.LogProb(a))
		}
		if math.Abs(total-1) > 1e-4 {
			t.Errorf("β=%g: probabilities of the %d legal actions sum to %.6f", beta, len(acts), total)
		}
	}
	// NAS-Bench-201: only op changes are legal, and their probabilities sum to one too.
	nb := newController(t, space.NB201{}, DefaultConfig())
	cell := space.NB201{}.Random(rand.New(rand.NewPCG(4, 4)))
	tab, err := nb.Tables(cell, 1)
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, a := range space.Actions(space.NB201{}, cell) {
		total += math.Exp(tab.LogProb(a))
	}
	if math.Abs(total-1) > 1e-4 {
		t.Errorf("NAS-Bench-201: sum %.6f", total)
	}
}

func TestBetaZeroIsUniform(t *testing.T) {
	sp := space.Supergraph{Nodes: 4, LayersPerStage: 2}
	c := newController(t, sp, DefaultConfig())
	g := sp.Random(rand.New(rand.NewPCG(5, 5)))
	tab, err := c.Tables(g, 0)
	if err != nil {
		t.Fatal(err)
	}
	acts := space.Actions(sp, g) // 2 middle nodes × 8 ops + 6 edges = 22
	index := map[space.Action]int{}
	for i, a := range acts {
		a.On = false
		index[a] = i
	}
	counts := make([]float64, len(acts))
	r := rand.New(rand.NewPCG(6, 6))
	const draws = 22000
	for k := 0; k < draws; k++ {
		a, _ := tab.Sample(r)
		i, ok := index[a]
		if !ok {
			t.Fatalf("sampled an illegal action %v", a)
		}
		counts[i]++
	}
	chi2 := 0.0
	expected := float64(draws) / float64(len(acts))
	for _, n := range counts {
		chi2 += (n - expected) * (n - expected) / expected
	}
	// 21 degrees of freedom: the 0.999 quantile is 46.8.
	if chi2 > 46.8 {
		t.Errorf("χ² = %.1f over %d actions: not uniform (%v)", chi2, len(acts), counts)
	}
}

// pools counts the max-pooling ops of a supergraph graph.
func pools(g *space.Graph) int {
	n := 0
	for i := 1; i < g.N()-1; i++ {
		if arch.Op(g.Ops[i]).Family() == arch.FamilyPool {
			n++
		}
	}
	return n
}

func TestCriticFitsASyntheticReward(t *testing.T) {
	sp := space.Supergraph{Nodes: 6, LayersPerStage: 4}
	c := newController(t, sp, DefaultConfig())
	r := rand.New(rand.NewPCG(7, 7))
	sample := func(n int) (before, after []*space.Graph, ret []float64) {
		for i := 0; i < n; i++ {
			b := sp.Random(r)
			acts := space.Actions(sp, b)
			a, _ := space.Apply(sp, b, acts[r.IntN(len(acts))])
			before, after = append(before, b), append(after, a)
			ret = append(ret, float64(pools(a)-pools(b))+0.1*float64(pools(a))) // lower is better
		}
		return
	}
	for step := 0; step < 300; step++ {
		b, a, ret := sample(32)
		if _, err := c.FitCritic(b, a, ret); err != nil {
			t.Fatal(err)
		}
	}
	b, a, ret := sample(200)
	pred := make([]float64, len(b))
	for i := range b {
		m, _, err := c.Predict(b[i], a[i])
		if err != nil {
			t.Fatal(err)
		}
		pred[i] = m
	}
	if rho, _ := stats.Spearman(pred, ret); rho < 0.8 {
		t.Errorf("rank correlation on held-out moves %.3f, want > 0.8", rho)
	}
}

// walk runs n steps of a search on the synthetic objective loss(g) = 1 + pools(g) and returns the
// mean number of pooling ops over the last n/3 steps.
func walk(t *testing.T, c *Controller, sp space.Space, n int, learn bool, r *rand.Rand) float64 {
	g := sp.Random(r)
	loss := 1 + float64(pools(g))
	total, count := 0.0, 0
	for step := 0; step < n; step++ {
		var next *space.Graph
		if learn {
			p, err := c.Propose(g)
			if err != nil {
				t.Fatal(err)
			}
			next = p.After
			newLoss := 1 + float64(pools(next))
			if _, err := c.Observe(p, math.Log(newLoss)-math.Log(loss)); err != nil {
				t.Fatal(err)
			}
			loss = newLoss
		} else {
			acts := space.Actions(sp, g)
			next, _ = space.Apply(sp, g, acts[r.IntN(len(acts))])
		}
		g = next
		if step >= n-n/3 {
			total += float64(pools(g))
			count++
		}
	}
	return total / float64(count)
}

func TestActorBeatsUniformOnASyntheticObjective(t *testing.T) {
	sp := space.Supergraph{Nodes: 6, LayersPerStage: 4}
	cfg := DefaultConfig()
	cfg.BetaSteps = 60
	c := newController(t, sp, cfg)
	learned := walk(t, c, sp, 180, true, rand.New(rand.NewPCG(8, 8)))
	uniform := walk(t, nil, sp, 180, false, rand.New(rand.NewPCG(8, 8)))
	// Uniform edits keep about 4 × 3/9 ≈ 1.3 pooling ops; the controller should remove them.
	t.Logf("mean pooling ops over the last 60 of 180 steps: controller %.2f, uniform %.2f", learned, uniform)
	if !(learned < 0.6*uniform) {
		t.Errorf("mean pooling ops over the last 60 steps: controller %.2f, uniform %.2f", learned, uniform)
	}
}

func TestDeterministic(t *testing.T) {
	sp := space.Supergraph{Nodes: 5, LayersPerStage: 4}
	run := func() []string {
		c := newController(t, sp, DefaultConfig())
		g := sp.Random(rand.New(rand.NewPCG(1, 1)))
		var acts []string
		for i := 0; i < 15; i++ {
			p, err := c.Propose(g)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Observe(p, 0.01*float64(i%3-1)); err != nil {
				t.Fatal(err)
			}
			acts = append(acts, p.Action.String())
			g = p.After
		}
		return acts
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("step %d: %s vs %s", i, a[i], b[i])
		}
	}
}

func TestSaveRestoreContinuesExactly(t *testing.T) {
	sp := space.Supergraph{Nodes: 5, LayersPerStage: 4}
	cfg := DefaultConfig()
	cfg.K = 3
	c := newController(t, sp, cfg)
	g := sp.Random(rand.New(rand.NewPCG(2, 2)))
	step := func(c *Controller, g *space.Graph, i int) (*space.Graph, string) {
		p, err := c.Propose(g)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Observe(p, 0.05*float64(i%4-2)); err != nil {
			t.Fatal(err)
		}
		return p.After, p.Action.String() + fmt.Sprintf(" %.6f", p.Mean)
	}
	for i := 0; i < 6; i++ {
		g, _ = step(c, g, i)
	}
	var buf bytes.Buffer
	if err := c.Save(&buf); err != nil {
		t.Fatal(err)
	}
	saved := buf.Bytes()
	restored, err := Load(bytes.NewReader(saved), c)
	if err != nil {
		t.Fatal(err)
	}
	g1, g2 := g, g.Clone()
	for i := 6; i < 12; i++ {
		var a1, a2 string
		g1, a1 = step(c, g1, i)
		g2, a2 = step(restored, g2, i)
		if a1 != a2 {
			t.Fatalf("step %d after restoring: %s vs %s", i, a1, a2)
		}
	}
	// A truncated or foreign state is refused, and nothing is half-loaded.
	if _, err := Load(bytes.NewReader(saved[:len(saved)/2]), c); err == nil {
		t.Error("a truncated state loaded")
	}
	other := newController(t, space.NB201{}, DefaultConfig())
	if _, err := Load(bytes.NewReader(saved), other); err == nil || !strings.Contains(err.Error(), "space") {
		t.Errorf("a state of another space: %v", err)
	}
}

func TestSAGELayerByHand(t *testing.T) {
	// 0 → 1, 0 → 2, 1 → 2: node 2's predecessors are 0 and 1, node 0's successors 1 and 2.
	g := space.NewGraph([]int{-1, 0, -1})
	g.SetEdge(0, 1, true)
	g.SetEdge(0, 2, true)
	g.SetEdge(1, 2, true)
	pred, succ := space.MeanAdjacency(g)
	if pred[2][0] != 0.5 || pred[2][1] != 0.5 || succ[0][1] != 0.5 || pred[0][1] != 0 || succ[1][2] != 1 {
		t.Fatalf("adjacency pred %v succ %v", pred, succ)
	}
	id := Dense{W: [][]float64{{1}}, B: []float64{0}}
	w := SAGEWeights{Pred: id, Succ: id, Self: id, Mix: Dense{W: [][]float64{{1}, {0}, {0}}, B: []float64{0}}}
	h := [][]float64{{1}, {2}, {4}}
	st := SAGELayer(h, pred, succ, w)
	// Node 2: mean of predecessors (1 + 2)/2 = 1.5; the mix keeps only that; out = 4 + fuzzyReLU(1.5).
	if st.FromPred[2][0] != 1.5 || st.FromSucc[0][0] != 3 || st.Self[1][0] != 2 {
		t.Errorf("messages %v %v %v", st.FromPred, st.FromSucc, st.Self)
	}
	if want := 4 + activation.FuzzyReLUValue(1.5); math.Abs(st.Out[2][0]-want) > 1e-12 {
		t.Errorf("out %v, want %v", st.Out[2][0], want)
	}
}

// TestArgsRoundTrip checks that each network's named inputs and their parameter order agree:
// listing the fields and reading them back from the list gives the same fields, every one in its
// own place.
func TestArgsRoundTrip(t *testing.T) {
	seq := func(n int) []int {
		l := make([]int, n)
		for i := range l {
			l[i] = i + 1
		}
		return l
	}
	check := func(name string, l, back []int) {
		t.Helper()
		seen := map[int]bool{}
		for i := range l {
			if back[i] != l[i] || seen[back[i]] || back[i] == 0 {
				t.Errorf("%s: position %d reads back %d", name, i, back[i])
			}
			seen[back[i]] = true
		}
	}
	pl := seq(11)
	check("policy", pl, policyArgsOf(pl).list())
	cl := seq(6)
	check("critic", cl, criticArgsOf(cl).list())
	tl := seq(26)
	ta := trainArgsOf(tl)
	check("train", tl, ta.list())
	// The names point where the graph expects them.
	if ta.Dist != 10 || ta.AfterFeats != 11 || ta.Returns != 19 || ta.Baseline != 22 || ta.AllActions != 26 ||
		policyArgsOf(pl).Beta != 11 || policyArgsOf(pl).Dist != 10 || criticArgsOf(cl).AfterFeats != 4 {
		t.Errorf("fields: %+v", ta)
	}
}
