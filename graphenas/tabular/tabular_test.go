package tabular

import (
	"bytes"
	"compress/gzip"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/graphenas/surrogate"
)

// shipped is the NAS-Bench-201 table embedded in the package, parsed once for all tests.
var shipped = sync.OnceValues(Default)

func loadTable(t testing.TB) *Table {
	t.Helper()
	tab, err := shipped()
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestTableFacts(t *testing.T) {
	tab := loadTable(t)
	if tab.Len() != 15625 {
		t.Fatalf("%d rows, want 15625", tab.Len())
	}
	best, arch := tab.Best(CIFAR10)
	if math.Abs(best-94.373) > 0.001 {
		t.Errorf("best CIFAR-10 accuracy %.4f (%s), want 94.373", best, arch)
	}
	sorted := append([]float64(nil), tab.acc[CIFAR10]...)
	med := quickMedian(sorted)
	if math.Abs(med-90.75) > 0.01 {
		t.Errorf("median %.3f, want 90.75", med)
	}
}

func quickMedian(v []float64) float64 {
	sort.Float64s(v)
	return v[len(v)/2]
}

func TestReadErrors(t *testing.T) {
	for in, want := range map[string]string{
		"a,b\n1,2\n": "no ArchitectureString column",
		"CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,ImageNetTestAccuracy200Epochs,ArchitectureString\n1,2,3,|x~0|\n": "line 2",
		"CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,ImageNetTestAccuracy200Epochs,ArchitectureString\n":              "no rows",
	} {
		if _, err := Read(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

func TestBaselinesReproduceReferencePoints(t *testing.T) {
	tab := loadTable(t)
	// Noise-free, 100 queries, 60 seeds: the reference points (300 seeds) are random
	// 93.86, evolution 94.25, local 94.31. With 60 seeds the standard error is about 0.03–0.05.
	cfg := Config{Dataset: CIFAR10, Checkpoints: []int{100}, Seeds: 60}
	want := map[string]float64{"random": 93.86, "evolution": 94.25, "local": 94.31}
	f := Factories(nil)
	for name := range want {
		res, err := Run(tab, cfg, name, f[name])
		if err != nil {
			t.Fatal(err)
		}
		s := res.Scores[0]
		if math.Abs(s.Mean-want[name]) > 4*s.StdErr+0.03 {
			t.Errorf("%s: best-of-100 %.3f ± %.3f, reference %.2f", name, s.Mean, s.StdErr, want[name])
		}
	}
	// Reproducible from the seed.
	a, _ := Run(tab, cfg, "evolution", Factories(nil)["evolution"])
	b, _ := Run(tab, cfg, "evolution", Factories(nil)["evolution"])
	if a.Scores[0].Mean != b.Scores[0].Mean {
		t.Error("two runs from the same seeds differ")
	}
}

func TestGraphEnasStrategy(t *testing.T) {
	tab := loadTable(t)
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Dataset: CIFAR10, Checkpoints: []int{30, 60}, Seeds: 2}
	f := Factories(b)
	run := func() Result {
		res, err := Run(tab, cfg, "graphenas", f["graphenas"])
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, again := run(), run()
	if len(a.Scores) != 2 || a.Scores[1].Queries != 60 || len(a.Scores[1].PerSeed) != 2 {
		t.Fatalf("result %+v", a)
	}
	// 60 noise-free queries from the incumbent find a cell well above the table's median (90.75).
	if a.Scores[1].Mean < 93 || a.Scores[1].Mean < a.Scores[0].Mean {
		t.Errorf("best of 30 / 60: %.2f / %.2f", a.Scores[0].Mean, a.Scores[1].Mean)
	}
	if a.Scores[1].Mean != again.Scores[1].Mean {
		t.Error("graphenas is not reproducible from the seed")
	}
	if _, ok := f["original"]; !ok {
		t.Error("no faithful strategy")
	}
}

func TestRunAllAndMarkdown(t *testing.T) {
	table := loadTable(t)
	cfg := Config{Dataset: CIFAR10, Checkpoints: []int{10, 20}, Seeds: 2}
	res, err := RunAll(table, cfg, []string{"random", "local"}, Factories(nil))
	if err != nil {
		t.Fatal(err)
	}
	md := Markdown(res, cfg)
	if len(res) != 2 || !strings.Contains(md, "| random |") || !strings.Contains(md, "best of 20") {
		t.Errorf("markdown:\n%s", md)
	}
	if _, err := RunAll(table, cfg, []string{"annealing"}, Factories(nil)); err == nil || !strings.Contains(err.Error(), "known:") {
		t.Errorf("unknown strategy: %v", err)
	}
}

func TestParseVariant(t *testing.T) {
	cfg, o, err := ParseVariant("graphenas-gp", "proposals=4+uniform=3+explore=0.25+hindsight=2+critic-steps=1+restart-screen=64+init=5+gp-refit=1+gp-belief=0+k=3+scale-returns=0+entropy=0")
	if err != nil {
		t.Fatal(err)
	}
	want := Options{Proposals: 4, Uniform: 3, Explore: 0.25, Hindsight: 2, CriticSteps: 1, RestartScreen: 64, Init: 5, GPRefit: 1, GPScreen: true, GPPick: true}
	if o != want {
		t.Errorf("options %+v, want %+v", o, want)
	}
	if cfg.K != 3 || cfg.ScaleReturns || cfg.EntropyBonus != 0 || !cfg.Replay {
		t.Errorf("controller settings %+v", cfg)
	}
	for base, want := range map[string]Options{"graphenas": OwnOptions(), "graphenas-gp": GPOptions(), "graphenas-plain": PlainOptions(), "gp-local": GPLocalOptions()} {
		if cfg, o, err := ParseVariant(base, ""); err != nil || o != want || cfg != TabularControllerConfig() {
			t.Errorf("%s, empty variant: %+v %+v %v", base, cfg, o, err)
		}
	}
	if _, _, err := ParseVariant("gp-local", "entropy=0"); err == nil || !strings.Contains(err.Error(), "no controller") {
		t.Errorf("gp-local with a controller setting: %v", err)
	}
	if _, _, err := ParseVariant("evolution", "proposals=2"); err == nil {
		t.Error("evolution took loop settings")
	}
	for _, bad := range []string{"annealing=1", "proposals", "proposals=many", "smooth=10", "revisit=5", "restart-kick=2"} {
		if _, _, err := ParseVariant("graphenas", bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	// The error names every setting, from the same list the parser reads; each one parses.
	_, _, err = ParseVariant("graphenas", "annealing=1")
	for _, vs := range VariantSettings() {
		if !strings.Contains(err.Error(), vs.Name) {
			t.Errorf("the unknown-setting error does not name %q: %v", vs.Name, err)
		}
		if _, _, err := ParseVariant("graphenas", vs.Name+"=1"); err != nil {
			t.Errorf("%s=1: %v", vs.Name, err)
		}
	}
	if err := AddVariants(Factories(nil), nil, []string{"graphenas:k=2"}); err == nil {
		t.Error("a GraphEnas variant without a back-end gave no error")
	}
}

// countingStrategy counts how often a strategy queries a cell it has queried before.
type countingStrategy struct {
	Strategy
	seen    map[string]bool
	repeats int
}

func (s *countingStrategy) Observe(g *space.Graph, acc float64) error {
	if s.seen[g.Key()] {
		s.repeats++
	}
	s.seen[g.Key()] = true
	return s.Strategy.Observe(g, acc)
}

// variantFactory is the factory of the GraphEnas variant name on the simplego back-end.
func variantFactory(t *testing.T, name string) Factory {
	t.Helper()
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	f := Factories(b)
	if err := AddVariants(f, b, []string{name}); err != nil {
		t.Fatal(err)
	}
	return f[name]
}

// Every loop option switched on at once: the search still climbs and spends no noise-free query
// twice, but for the one confirmation that finds out the table is noise-free.
func TestGraphEnasVariantWithEveryOption(t *testing.T) {
	tab := loadTable(t)
	name := "graphenas:proposals=6+hindsight=2+critic-steps=1+restart-screen=32"
	variant := variantFactory(t, name)
	var counted *countingStrategy
	wrapped := func(r *rand.Rand) (Strategy, error) {
		s, err := variant(r)
		counted = &countingStrategy{Strategy: s, seen: map[string]bool{}}
		return counted, err
	}
	res, err := Run(tab, Config{Dataset: CIFAR10, Checkpoints: []int{60}, Seeds: 1}, name, wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Scores[0].Mean; got < 93 {
		t.Errorf("best of 60 noise-free queries: %.2f, want ≥ 93 (the table's median is 90.75)", got)
	}
	if counted.repeats != 1 {
		t.Errorf("%d noise-free queries repeated a cell, want 1 (the confirmation)", counted.repeats)
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
	p := NewSurrogatePick(inner, 0)
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
	clean := NewSurrogatePick(&scripted{cells: cells[:10], obs: newObservations()}, 0)
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

func TestAddVariantsPick(t *testing.T) {
	f := Factories(nil)
	if err := AddVariants(f, nil, []string{"evolution:pick=gp", "local:pick=gp+pick-top=30", "random:pick=mean"}); err != nil {
		t.Fatal(err)
	}
	s, err := f["local:pick=gp+pick-top=30"](rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := s.(*SurrogatePick); !ok || p.Top != 30 || p.Name() != "local:pick=gp" {
		t.Errorf("local:pick=gp+pick-top=30 made %T %+v", s, s)
	}
	if s, _ := f["random:pick=mean"](rand.New(rand.NewPCG(1, 1))); s.Name() != "random" {
		t.Errorf("random:pick=mean made %s", s.Name())
	}
	for bad, want := range map[string]string{
		"evolution:proposals=8": "takes only pick",
		"annealing:pick=gp":     "unknown strategy",
		"random:pick=best":      "want pick=gp",
		"random:pick-top=x":     "want a count",
	} {
		if err := AddVariants(Factories(nil), nil, []string{bad}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", bad, err, want)
		}
	}
	if _, o, err := ParseVariant("graphenas-gp", "gp-screen=0+proposals=8"); err != nil || o.GPScreen || !o.GPPick || o.Proposals != 8 {
		t.Errorf("gp-screen=0+proposals=8: %+v %v", o, err)
	}
	if _, o, err := parseVariant("gp-pick=1", PlainOptions()); err != nil || o.GPScreen || !o.GPPick || o.Proposals != 1 {
		t.Errorf("gp-pick=1 over the plain loop: %+v %v", o, err)
	}
	if err := AddVariants(Factories(nil), nil, []string{"graphenas-plain:entropy=0"}); err == nil || !strings.Contains(err.Error(), "back-end") {
		t.Errorf("graphenas-plain variant without a back-end: %v", err)
	}
}

// The process screening the actor's edits and serving as the belief: with noise 0.5 the search
// still climbs to a good cell in 60 queries, reproducibly.
func TestGraphEnasGPBelief(t *testing.T) {
	tab := loadTable(t)
	name := "graphenas-gp:proposals=8+gp-belief=1+restart-screen=64"
	variant := variantFactory(t, name)
	cfg := Config{Dataset: CIFAR10, Checkpoints: []int{60}, Seeds: 1, Noise: 0.5}
	a, err := Run(tab, cfg, name, variant)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Run(tab, cfg, name, variant)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Scores[0].Mean; got < 93 {
		t.Errorf("best of 60 noisy queries: %.2f, want ≥ 93 (the table's median is 90.75)", got)
	}
	if a.Scores[0].Mean != again.Scores[0].Mean {
		t.Error("not reproducible from the seed")
	}
}

// The default loop: ten distinct random cells, then every query is either the confirmation of the
// cell the process believes best or one edit of it (a restart only when all its neighbours were
// queried), and the pick is that cell.
func TestGraphEnasDefaultClimbsFromBelief(t *testing.T) {
	tab := loadTable(t)
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewGraphEnas(b, TabularControllerConfig(), GPOptions(), rand.New(rand.NewPCG(1, 2)))
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
		acc, err := tab.Accuracy(CIFAR10, g)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Observe(g, acc+0.5*noise.NormFloat64()); err != nil {
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
	cfg := TabularControllerConfig()
	cfg.BetaStart, cfg.BetaEnd = 2, 2
	for _, tc := range []struct{ proposals, uniform, wantFlat int }{{16, 8, 8}, {16, 0, 0}, {4, 9, 4}, {5, -1, 0}} {
		opts := GPOptions()
		opts.Proposals, opts.Uniform = tc.proposals, tc.uniform
		s, err := NewGraphEnas(b, cfg, opts, rand.New(rand.NewPCG(5, 6)))
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

// TestLoadRejectsNonFinite checks that a table with NaN, infinite or impossible accuracies is
// refused with the line and column named, and that a gzipped file loads like a plain one.
func TestLoadRejectsNonFinite(t *testing.T) {
	header := "CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,ImageNetTestAccuracy200Epochs,ArchitectureString\n"
	cell := "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
	for _, bad := range []string{"NaN", "Inf", "-Inf", "+Inf", "101", "-1"} {
		_, err := Read(strings.NewReader(header + "90,70," + bad + "," + cell + "\n"))
		if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "ImageNetTestAccuracy200Epochs") {
			t.Errorf("accuracy %s: error %v", bad, err)
		}
	}
	dir := t.TempDir()
	plain, gz := filepath.Join(dir, "t.csv"), filepath.Join(dir, "t.csv.gz")
	body := header + "90,70,40," + cell + "\n"
	if err := os.WriteFile(plain, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(body))
	zw.Close()
	if err := os.WriteFile(gz, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{plain, gz} {
		tab, err := Load(p)
		if err != nil || tab.Len() != 1 {
			t.Fatalf("%s: %v", p, err)
		}
		if best, _ := tab.Best(CIFAR10); best != 90 {
			t.Errorf("%s: best %g", p, best)
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
	p := NewSurrogatePick(&scripted{cells: cells, obs: newObservations()}, 0)
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
	md := Markdown([]Result{{Strategy: "x", Scores: []Score{{Queries: 5, Mean: 90}}, GPFallbacks: 3}}, Config{Dataset: CIFAR10, Checkpoints: []int{5}, Seeds: 1})
	if !strings.Contains(md, "x: the surrogate process could not be fitted 3 times") {
		t.Errorf("Markdown does not report the fallbacks:\n%s", md)
	}
}

// gp-local is the surrogate-process loop without a controller: it runs without a back-end,
// reproducibly, climbs under noise, and refuses options that need the critic or the actor.
func TestGPLocal(t *testing.T) {
	tab := loadTable(t)
	f := Factories(nil)
	if _, ok := f["graphenas-gp"]; ok {
		t.Error("graphenas-gp listed without a back-end")
	}
	cfg := Config{Dataset: CIFAR10, Checkpoints: []int{30, 60}, Seeds: 3, SeedOffset: 100, Noise: 0.5}
	a, err := Run(tab, cfg, "gp-local", f["gp-local"])
	if err != nil {
		t.Fatal(err)
	}
	again, err := Run(tab, cfg, "gp-local", f["gp-local"])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Seeds, []int{101, 102, 103}) || !slices.Equal(a.Scores[1].PerSeed, again.Scores[1].PerSeed) {
		t.Errorf("seeds %v, per seed %v then %v", a.Seeds, a.Scores[1].PerSeed, again.Scores[1].PerSeed)
	}
	// 60 noisy queries find a cell well above the table's median (90.75).
	if a.Scores[1].Mean < 93 {
		t.Errorf("gp-local, best of 60 at σ 0.5: %.2f", a.Scores[1].Mean)
	}
	o := GPLocalOptions()
	o.Uniform = 8
	if _, err := NewGPLocal(o, rand.New(rand.NewPCG(1, 2))); err == nil {
		t.Error("gp-local took actor proposals")
	}
	if err := AddVariants(f, nil, []string{"gp-local:proposals=4+pick=gp"}); err != nil {
		t.Fatal(err)
	}
	res, err := Run(tab, Config{Dataset: CIFAR10, Checkpoints: []int{20}, Seeds: 1}, "gp-local:proposals=4+pick=gp", f["gp-local:proposals=4+pick=gp"])
	if err != nil || res.Scores[0].Mean < 90 {
		t.Errorf("gp-local:proposals=4+pick=gp: %+v, %v", res, err)
	}
}

// Paired differences are computed per seed, and refused for results of other seeds.
func TestPairedDiffs(t *testing.T) {
	a := Result{Strategy: "a", Seeds: []int{1, 2, 3}, Scores: []Score{{Queries: 10, PerSeed: []float64{94, 93, 92}}}}
	b := Result{Strategy: "b", Seeds: []int{1, 2, 3}, Scores: []Score{{Queries: 10, PerSeed: []float64{93, 93, 90}}}}
	ps, err := PairedDiffs(a, b)
	if err != nil {
		t.Fatal(err)
	}
	// Differences 1, 0, 2: mean 1, std 1, standard error 1/√3.
	if p := ps[0]; p.Queries != 10 || math.Abs(p.Diff-1) > 1e-12 || math.Abs(p.StdErr-1/math.Sqrt(3)) > 1e-12 || math.Abs(p.Z-math.Sqrt(3)) > 1e-9 {
		t.Errorf("paired %+v", p)
	}
	b.Seeds = []int{4, 5, 6}
	if _, err := PairedDiffs(a, b); err == nil {
		t.Error("paired results of different seeds")
	}
}
