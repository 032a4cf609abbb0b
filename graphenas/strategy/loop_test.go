package strategy

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/graphenas/surrogate"
)

// ParseSpec reads a name once: its base's presets, then the variant's settings over them; a
// setting its base does not take, an unknown one and a malformed one are refused, naming what is
// taken.
func TestParseSpec(t *testing.T) {
	s, err := ParseSpec("graphenas-gp:proposals=4+uniform=3+explore=0.25+hindsight=2+restart-screen=64+gp-screen=0+k=3+scale-returns=0+entropy=0+pick=gp")
	if err != nil {
		t.Fatal(err)
	}
	want := GPOptions()
	want.Proposals, want.Uniform, want.Explore, want.Hindsight, want.RestartScreen, want.GPScreen = 4, 3, 0.25, 2, 64, false
	if s.Options != want || !s.GPPick || s.Base != NameGraphEnasGP || s.String() != "graphenas-gp:proposals=4+uniform=3+explore=0.25+hindsight=2+restart-screen=64+gp-screen=0+k=3+scale-returns=0+entropy=0+pick=gp" {
		t.Errorf("spec %+v, options want %+v", s, want)
	}
	if s.Controller.K != 3 || s.Controller.ScaleReturns || s.Controller.EntropyBonus != 0 || !s.Controller.Replay {
		t.Errorf("controller settings %+v", s.Controller)
	}
	for name, want := range map[string]Options{NameGraphEnas: OwnOptions(), NameGraphEnasGP: GPOptions(), NameGPLocal: GPLocalOptions()} {
		if s, err := ParseSpec(name); err != nil || s.Options != want {
			t.Errorf("%s: %+v %v", name, s, err)
		}
	}
	if s, _ := ParseSpec("original:k=3"); s.Controller.K != 3 || s.Controller.Replay {
		t.Errorf("original:k=3 is not the faithful controller with K = 3: %+v", s.Controller)
	}
	if s, _ := ParseSpec("graphenas-walk"); s.Controller != WalkControllerConfig() {
		t.Errorf("graphenas-walk's controller %+v", s.Controller)
	}
	for bad, want := range map[string]string{
		"annealing":                    "unknown strategy",
		"gp-local:entropy=0":           "gp-local takes no entropy",
		"evolution:proposals=2":        "evolution takes no proposals (it takes pick)",
		"random-walk:k=3":              "takes no k",
		"graphenas:annealing=1":        "setting \"annealing=1\"",
		"graphenas:proposals":          "want name=value",
		"graphenas:proposals=many":     "want a number",
		"graphenas:posterior-return=1": "setting \"posterior-return=1\"",
		"graphenas-walk:connected=1":   "setting \"connected=1\"",
		"evolution:pick=best":          "want pick=gp or pick=mean",
	} {
		if _, err := ParseSpec(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", bad, err, want)
		}
	}
	// An unknown setting's error names every setting its base takes, from the one list.
	_, err = ParseSpec("graphenas:annealing=1")
	for _, st := range Settings() {
		if !strings.Contains(err.Error(), st.Name) {
			t.Errorf("the error does not name %q: %v", st.Name, err)
		}
	}
	if _, err := NewFactory("graphenas:k=2", Env{Space: space.NB201{}}); err == nil || !strings.Contains(err.Error(), "back-end") {
		t.Errorf("a loop without a back-end: %v", err)
	}
}

// scripted queries a fixed list of cells, in order.
type scripted struct {
	cells []*space.Graph
	next  int
	obs   *observations
}

func (s *scripted) Name() string { return "scripted" }
func (s *scripted) Next() (*space.Graph, error) {
	g := s.cells[s.next%len(s.cells)]
	s.next++
	return g, nil
}
func (s *scripted) Observe(g *space.Graph, acc float64) error { s.obs.add(g, acc); return nil }
func (s *scripted) Best() *space.Graph                        { return s.obs.bestGraph() }

// smoothAccuracy is an accuracy that depends smoothly on a cell's ops: 3×3 convolutions help,
// "none" edges hurt.
func smoothAccuracy(g *space.Graph) float64 {
	acc := 90.0
	for _, op := range space.NB201EdgeOps(g) {
		switch op {
		case 0:
			acc -= 1
		case 3:
			acc += 0.6
		}
	}
	return acc
}

// The surrogate pick does not fall for one lucky query of a poor cell whose neighbourhood is
// poor, where the highest mean does; on a noise-free table it is the highest value.
func TestSurrogatePick(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var cells []*space.Graph
	for range 80 {
		cells = append(cells, space.NB201{}.Random(r))
	}
	lucky := space.NB201Graph([6]int{0, 3, 1, 0, 3, 1}) // true accuracy 89.2
	cells = append(cells, lucky)
	inner := &scripted{cells: cells, obs: newObservations()}
	p := NewSurrogatePick(inner)
	if p.Name() != "scripted:pick=gp" {
		t.Errorf("name %q", p.Name())
	}
	bestTrue, bestSeen := 0.0, 0.0
	for range cells {
		g, _ := p.Next()
		acc := smoothAccuracy(g) + 0.5*r.NormFloat64()
		if g == lucky {
			acc = bestSeen + 0.3 // lucky by 4.5σ: a winner's curse among many queries
		}
		bestSeen = max(bestSeen, acc)
		bestTrue = max(bestTrue, smoothAccuracy(g))
		if err := p.Observe(g, acc); err != nil {
			t.Fatal(err)
		}
	}
	if inner.Best() != lucky {
		t.Fatal("the test is meant to make the highest mean pick the lucky cell")
	}
	pick := p.Best()
	if pick == lucky || smoothAccuracy(pick) < bestTrue-1 {
		t.Errorf("surrogate pick %s (true %.1f), best queried %.1f", space.NB201String(pick), smoothAccuracy(pick), bestTrue)
	}

	// Noise-free: a repeated query returns the same value, and the pick is the highest value.
	clean := NewSurrogatePick(&scripted{cells: cells[:10], obs: newObservations()})
	for range 11 {
		g, _ := clean.Next()
		if err := clean.Observe(g, smoothAccuracy(g)); err != nil {
			t.Fatal(err)
		}
	}
	best := cells[0]
	for _, g := range cells[:10] {
		if smoothAccuracy(g) > smoothAccuracy(best) {
			best = g
		}
	}
	if got := clean.Best(); smoothAccuracy(got) != smoothAccuracy(best) {
		t.Errorf("noise-free pick %.2f, best %.2f", smoothAccuracy(got), smoothAccuracy(best))
	}
}

// pick=gp wraps any strategy, its search unchanged; pick=mean is the strategy as it is.
func TestPickVariant(t *testing.T) {
	for name, wrapped := range map[string]bool{"evolution:pick=gp": true, "local:pick=gp": true, "random:pick=mean": false} {
		f, err := NewFactory(name, Env{Space: space.NB201{}})
		if err != nil {
			t.Fatal(err)
		}
		s, err := f(rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.(*SurrogatePick); ok != wrapped {
			t.Errorf("%s made %T", name, s)
		}
	}
}

// The default loop: ten distinct random cells, then every query is either the confirmation of the
// cell the process believes best or one edit of it (a restart only when all its neighbours were
// queried), and the pick is that cell.
func TestGraphEnasDefaultClimbsFromBelief(t *testing.T) {
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewGraphEnas(b, space.NB201{}, LoopControllerConfig(), GPOptions(), rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	noise := rand.New(rand.NewPCG(3, 4))
	seen := map[string]bool{}
	edits, confirmations, restarts := 0, 0, 0
	for q := 1; q <= 40; q++ {
		confirming := s.confirm != nil
		g, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case q <= 10:
			if seen[g.Key()] {
				t.Fatalf("query %d repeats a random cell of the start", q)
			}
		case confirming:
			if g.Key() != s.believedBest(s.surrogate()) || !seen[g.Key()] {
				t.Errorf("query %d confirms a cell the process does not believe best", q)
			}
			confirmations++
		default:
			if s.incumbent.Key() != s.believedBest(s.surrogate()) {
				t.Errorf("query %d climbs from a cell the process does not believe best", q)
			}
			if seen[g.Key()] {
				t.Errorf("query %d repeats a cell", q)
			}
			if surrogate.Distance(g, s.incumbent) == 1 {
				edits++
			} else {
				restarts++
				for _, a := range space.Actions(space.NB201{}, s.incumbent) {
					if n, _ := space.Apply(space.NB201{}, s.incumbent, a); !seen[n.Key()] {
						t.Fatalf("query %d restarts though the incumbent has an unqueried neighbour", q)
					}
				}
			}
		}
		seen[g.Key()] = true
		if err := s.Observe(g, smoothAccuracy(g)+0.5*noise.NormFloat64()); err != nil {
			t.Fatal(err)
		}
	}
	if edits+confirmations+restarts != 30 || edits < 20 || confirmations == 0 {
		t.Errorf("after the start: %d edits, %d confirmations, %d restarts", edits, confirmations, restarts)
	}
	if best := s.Best(); best.Key() != s.believedBest(s.surrogate()) {
		t.Errorf("the pick %s is not the cell the process believes best", space.NB201String(best))
	}
}

// Options.Uniform of the proposals are drawn at β = 0, the rest at the actor's scheduled β; more
// than Proposals means all of them.
func TestGraphEnasMixesUniformProposals(t *testing.T) {
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	cfg := LoopControllerConfig()
	cfg.BetaStart, cfg.BetaEnd = 2, 2
	for _, tc := range []struct{ proposals, uniform, wantFlat int }{{16, 8, 8}, {16, 0, 0}, {4, 9, 4}, {5, -1, 0}} {
		opts := GPOptions()
		opts.Proposals, opts.Uniform = tc.proposals, tc.uniform
		s, err := NewGraphEnas(b, space.NB201{}, cfg, opts, rand.New(rand.NewPCG(5, 6)))
		if err != nil {
			t.Fatal(err)
		}
		s.incumbent = space.NB201{}.Random(rand.New(rand.NewPCG(7, 8)))
		props, err := s.propose()
		if err != nil {
			t.Fatal(err)
		}
		flat := 0
		for _, p := range props {
			switch p.Beta {
			case 0:
				flat++
			case 2:
			default:
				t.Errorf("proposals=%d uniform=%d: a proposal at β = %v", tc.proposals, tc.uniform, p.Beta)
			}
			if surrogate.Distance(p.Before, p.After) != 1 || p.Before.Key() != s.incumbent.Key() {
				t.Errorf("proposals=%d uniform=%d: %v is not one edit of the incumbent", tc.proposals, tc.uniform, p.Action)
			}
		}
		if len(props) != tc.proposals || flat != tc.wantFlat {
			t.Errorf("proposals=%d uniform=%d: %d proposals, %d at β = 0; want %d and %d",
				tc.proposals, tc.uniform, len(props), flat, tc.proposals, tc.wantFlat)
		}
	}
}

// A process that cannot be fitted (every value equal) is counted, not hidden: the pick falls back
// to the highest mean and Fallbacks says so, for the wrapper and through it.
func TestSurrogateFallbacksAreCounted(t *testing.T) {
	var cells []*space.Graph
	for i := 0; i < 5; i++ {
		cells = append(cells, space.NB201Graph([6]int{i % 5, 1, 2, 3, 4, 0}))
	}
	p := NewSurrogatePick(&scripted{cells: cells, obs: newObservations()})
	for _, g := range cells {
		if err := p.Observe(g, 90); err != nil {
			t.Fatal(err)
		}
	}
	if g := p.Best(); g == nil {
		t.Fatal("no pick")
	}
	if got := Fallbacks(p); got != 1 {
		t.Errorf("Fallbacks = %d after one pick over equal values, want 1", got)
	}
	if got := Fallbacks(&scripted{}); got != 0 {
		t.Errorf("a strategy without a process: Fallbacks = %d", got)
	}
}

// gp-local has no controller: it refuses options that need the actor or the critic.
func TestGPLocalRefusesControllerOptions(t *testing.T) {
	o := GPLocalOptions()
	o.Uniform = 8
	if _, err := NewGPLocal(space.NB201{}, o, rand.New(rand.NewPCG(1, 2))); err == nil {
		t.Error("gp-local took actor proposals")
	}
	o = GPLocalOptions()
	o.Hindsight = 2
	if _, err := NewGPLocal(space.NB201{}, o, rand.New(rand.NewPCG(1, 2))); err == nil {
		t.Error("gp-local took hindsight pairs for a critic it does not have")
	}
}

// Every strategy runs on the supergraph's space too: each proposes members of it, observes
// scores, and picks one of the architectures it queried; the walks move one edit at a time and
// say how (LastMove), the controller's walk with its critic's prediction.
func TestStrategiesRunOnTheSupergraphSpace(t *testing.T) {
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	sp := space.Supergraph{Nodes: 5, LayersPerStage: 2}
	// A loss that falls with the number of 3×3 convolutions (op 0) and edges.
	loss := func(g *space.Graph) float64 {
		l := 2.0
		for i, op := range g.Ops {
			if op == 0 {
				l -= 0.1
			}
			for j := i + 1; j < g.N(); j++ {
				if g.HasEdge(i, j) {
					l -= 0.05
				}
			}
		}
		return l
	}
	for _, name := range Names() {
		f, err := NewFactory(name, Env{Space: sp, Backend: b})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s, err := f(rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		queried := map[string]bool{}
		var prev *space.Graph
		for q := 0; q < 24; q++ {
			g, err := s.Next()
			if err != nil {
				t.Fatalf("%s, query %d: %v", name, q, err)
			}
			if g.N() != sp.Nodes {
				t.Fatalf("%s proposed %d nodes", name, g.N())
			}
			if err := s.Observe(g, LossScore(loss(g))); err != nil {
				t.Fatalf("%s, query %d: %v", name, q, err)
			}
			queried[g.Key()] = true
			if strings.HasSuffix(name, "walk") || name == "original" {
				m, ok := s.(Mover).LastMove()
				if (q > 0) != ok {
					t.Errorf("%s, query %d: a move reported: %v", name, q, ok)
				}
				if ok && (m.Before.Key() != prev.Key() || surrogate.Distance(m.Before, g) != 1) {
					t.Errorf("%s, query %d: the move is not one edit of the previous architecture", name, q)
				}
				if ok && name == "graphenas-walk" && m.Std <= 0 {
					t.Errorf("%s, query %d: no critic prediction", name, q)
				}
			}
			prev = g
		}
		if best := s.Best(); best == nil || !queried[best.Key()] {
			t.Errorf("%s picked an architecture it did not query", name)
		}
	}
	if LossScore(0.25) != 75 || errorRate(LossScore(0.25)) != 0.25 {
		t.Errorf("LossScore(0.25) = %v, read back as the error %v", LossScore(0.25), errorRate(LossScore(0.25)))
	}
}

// Every name parses, builds without a back-end exactly when it needs none, and is documented
// where users read the list: README.md names every strategy (a name added in one place only fails
// here).
func TestNames(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Names() {
		if _, err := ParseSpec(name); err != nil {
			t.Error(err)
		}
		_, err := NewFactory(name, Env{Space: space.NB201{}})
		if (err == nil) == NeedsBackend(name) {
			t.Errorf("%s: built without a back-end: %v, needs one: %v", name, err, NeedsBackend(name))
		}
		if !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("README.md does not name the strategy `%s`", name)
		}
	}
}
