package strategy

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/controller"
	"github.com/graphenas/graphenas/graphenas/space"
)

// walkTrace runs the strategy name (a walk or its variant) for n queries on sp with a loss that
// falls as edges are removed, and returns the queried graphs and the proposals set aside.
func walkTrace(t *testing.T, f map[string]Factory, name string, n int) (queried []*space.Graph, redrawn []int) {
	t.Helper()
	s, err := f[name](rand.New(rand.NewPCG(5, 3)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for q := 0; q < n; q++ {
		g, err := s.Next()
		if err != nil {
			t.Fatalf("%s, query %d: %v", name, q, err)
		}
		edges := 0
		for i := 0; i < g.N(); i++ {
			edges += g.OutDegree(i)
		}
		if err := s.Observe(g, LossScore(0.5+0.05*float64(edges))); err != nil {
			t.Fatalf("%s, query %d: %v", name, q, err)
		}
		m, _ := s.(Mover).LastMove()
		queried, redrawn = append(queried, g), append(redrawn, m.Redrawn)
	}
	return queried, redrawn
}

// A walk with connected=1 never queries an architecture without a path from input to output,
// where the walk as it is (same seed) does; the controller's walk follows the same path as the
// walk as it is until the first proposal it sets aside.
func TestWalkKeepsConnected(t *testing.T) {
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	sp := space.Supergraph{Nodes: 5, LayersPerStage: 2}
	names := []string{"random-walk", "graphenas-walk"}
	f := Factories(sp, b)
	for _, name := range names {
		if err := AddVariants(f, sp, b, []string{name + ":connected=1", name + ":connected=0"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range names {
		n := 40
		if name == "random-walk" {
			n = 300 // uniform edits cut the last path less often than an actor rewarded for fewer edges
		}
		plain, _ := walkTrace(t, f, name, n)
		same, _ := walkTrace(t, f, name+":connected=0", n)
		kept, redrawn := walkTrace(t, f, name+":connected=1", n)
		cut, firstCut := 0, -1
		for q, g := range plain {
			if g.Key() != same[q].Key() {
				t.Fatalf("%s:connected=0 differs from %s at query %d", name, name, q)
			}
			if !sp.Connected(g) {
				cut++
				if firstCut < 0 {
					firstCut = q
				}
			}
			if !sp.Connected(kept[q]) {
				t.Errorf("%s:connected=1 queried an architecture without a path at query %d: %v", name, q, space.ToArch(kept[q]))
			}
		}
		if cut == 0 {
			t.Fatalf("%s never left the connected architectures in %d queries: the test shows nothing", name, n)
		}
		total := 0
		for _, r := range redrawn {
			total += r
		}
		if name != "graphenas-walk" {
			if total != 0 {
				t.Errorf("%s: %d proposals set aside; a walk without an actor draws among the edits that keep a path", name, total)
			}
			continue
		}
		for q := 0; q < firstCut; q++ {
			if kept[q].Key() != plain[q].Key() || redrawn[q] != 0 {
				t.Fatalf("%s:connected=1 left the walk's path at query %d, before its first cut (%d)", name, q, firstCut)
			}
		}
		if redrawn[firstCut] < 1 {
			t.Errorf("%s:connected=1 set aside %d proposals at the walk's first cut (query %d), %d in all", name, redrawn[firstCut], firstCut, total)
		}
		t.Logf("%s: %d of %d queries without a path; connected=1 set aside %d proposals", name, cut, n, total)
	}
}

// connected=1 is a walk's setting, and needs a space that can say what is connected.
func TestWalkVariantSettings(t *testing.T) {
	for _, good := range []string{"graphenas-walk:connected=1", "original:connected=0+pick=gp", "random-walk:connected=1", "graphenas-walk:connected=1+effective=1", "original:effective=1+masked=1"} {
		if err := CheckName(good); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
	for bad, want := range map[string]string{
		"graphenas-walk:connected=2":          "connected=0|1, effective=0|1 and masked=0|1",
		"graphenas-walk:masked=1":             "name one of them",
		"random-walk:effective=1+masked=1":    "has no actor",
		"graphenas-walk:connected=1+masked=2": "masked=0|1",
		"graphenas-walk:k=3":                  "not \"k=3\"",
		"random:connected=1":                  "takes no loop settings",
	} {
		err := CheckName(bad)
		if err == nil {
			err = AddVariants(Factories(space.NB201{}, nil), space.NB201{}, nil, []string{bad})
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", bad, err, want)
		}
	}
	f := Factories(space.NB201{}, nil)
	if err := AddVariants(f, space.NB201{}, nil, []string{"random-walk:connected=1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f["random-walk:connected=1"](rand.New(rand.NewPCG(1, 1))); err == nil || !strings.Contains(err.Error(), "nothing to keep") {
		t.Errorf("random-walk:connected=1 on NB-201: %v, want a refusal", err)
	}
}

// With effective=1 every move changes what the child network computes, and with connected=1 too
// it keeps a path; where no edit does both, the walk still moves, keeping its path.
func TestWalkMakesEffectiveEdits(t *testing.T) {
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	sp := space.Supergraph{Nodes: 5, LayersPerStage: 2}
	f := Factories(sp, b)
	names := []string{"random-walk:effective=1", "graphenas-walk:effective=1", "graphenas-walk:connected=1+effective=1", "graphenas-walk:connected=1+effective=1+masked=1"}
	if err := AddVariants(f, sp, b, names); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		n := 40
		if name == "random-walk:effective=1" {
			n = 300
		}
		if s, err := f[name](rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatal(err)
		} else if c, ok := s.(Controlled); !ok || (c.Controller() != nil) != strings.HasPrefix(name, "graphenas") {
			t.Errorf("%s: the restricted walk does not show its controller (%T)", name, s)
		}
		queried, redrawn := walkTrace(t, f, name, n)
		total := 0
		for q := 1; q < n; q++ {
			total += redrawn[q]
			if strings.Contains(name, "masked=1") && redrawn[q] != 0 {
				t.Errorf("%s, query %d: the masked actor's proposal was set aside %d times", name, q, redrawn[q])
			}
			if sp.Computed(queried[q]) == sp.Computed(queried[q-1]) {
				t.Errorf("%s, query %d: an edit that changes nothing computed: %v → %v", name, q, space.ToArch(queried[q-1]), space.ToArch(queried[q]))
			}
			if strings.Contains(name, "connected=1") && !sp.Connected(queried[q]) {
				t.Errorf("%s, query %d: no path from input to output", name, q)
			}
		}
		t.Logf("%s: %d proposals set aside in %d queries", name, total, n)
	}

	// Only the input's edge to the output: every edit that changes what is computed cuts the path.
	a, err := arch.Parse("1:conv3 2:conv3 3:conv3 | 0>4")
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWalk("random-walk", nil, sp, controller.Config{}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Restrict(Restriction{Connected: true, Effective: true}); err != nil {
		t.Fatal(err)
	}
	w.current = space.FromArch(a)
	for range 20 {
		next, _ := w.uniformEdit()
		if !sp.Connected(next) {
			t.Fatalf("from %v the walk cut its only path: %v", a, space.ToArch(next))
		}
	}
}

// With masked=1 the actor's policy gives probability 0 to every edit the walk would refuse, and
// sums to one over the others, on every architecture the walk visits.
func TestMaskedWalkPolicy(t *testing.T) {
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	sp := space.Supergraph{Nodes: 5, LayersPerStage: 2}
	w, err := NewWalk("graphenas-walk", b, sp, controller.DefaultConfig(), rand.New(rand.NewPCG(2, 9)))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Restrict(Restriction{Connected: true, Effective: true, Masked: true}); err != nil {
		t.Fatal(err)
	}
	refused := 0
	for q := range 15 {
		g, err := w.Next()
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Observe(g, LossScore(0.5+0.1*float64(q%4))); err != nil {
			t.Fatal(err)
		}
		e := w.editsOf(g)
		acts, probs, err := w.Controller().ActionProbabilities(g, w.Controller().Beta())
		if err != nil {
			t.Fatal(err)
		}
		total := 0.0
		for i, p := range probs {
			if acts[i] != e.acts[i] {
				t.Fatalf("query %d: the controller's edit %d is %v, the walk's %v", q, i, acts[i], e.acts[i])
			}
			if !e.ok[i] {
				refused++
				if p != 0 {
					t.Errorf("query %d: the walk refuses %v, the actor gives it %g", q, acts[i], p)
				}
			}
			total += p
		}
		if math.Abs(total-1) > 1e-4 {
			t.Errorf("query %d: the allowed edits' probabilities sum to %.6f", q, total)
		}
	}
	if refused == 0 {
		t.Error("the walk refused no edit on 15 architectures: the test checks nothing")
	}
}

// A restricted walk that may keep the edits of only one architecture visits exactly what the
// walk that keeps them all visits, and holds no more than one: forgetting costs time, not results.
func TestWalkForgetsEditsWithoutChangingTheWalk(t *testing.T) {
	sp := space.Supergraph{Nodes: 5, LayersPerStage: 2}
	trace := func(kept int) ([]string, int) {
		w, err := NewWalk("random-walk", nil, sp, controller.Config{}, rand.New(rand.NewPCG(4, 7)))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Restrict(Restriction{Connected: true, Effective: true}); err != nil {
			t.Fatal(err)
		}
		w.editsKept = kept
		var keys []string
		for q := range 40 {
			g, err := w.Next()
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Observe(g, LossScore(1+0.01*float64(q%7))); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, g.Key())
		}
		return keys, len(w.edits)
	}
	all, heldAll := trace(WalkEditsKept)
	one, heldOne := trace(1)
	if heldOne != 1 {
		t.Errorf("the walk keeping one architecture's edits holds %d", heldOne)
	}
	if heldAll < 10 {
		t.Errorf("the walk keeping them all holds %d after 40 steps: the test checks little", heldAll)
	}
	for i := range all {
		if all[i] != one[i] {
			t.Fatalf("step %d: the walks part (%s against %s)", i, all[i], one[i])
		}
	}
}
