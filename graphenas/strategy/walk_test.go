package strategy

import (
	"math/rand/v2"
	"testing"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/controller"
	"github.com/graphenas/graphenas/graphenas/space"
)

// walkTrace runs the strategy name (a walk or its variant) for n queries in env with a loss that
// falls as edges are removed, and returns the queried graphs and the proposals set aside.
func walkTrace(t *testing.T, env Env, name string, n int) (queried []*space.Graph, redrawn []int) {
	t.Helper()
	f, err := NewFactory(name, env)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	s, err := f(rand.New(rand.NewPCG(5, 3)))
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

// On the supergraph every move of a walk keeps a path from input to output and changes what the
// network computes, where the same walk in a space that cannot tell (the supergraph with its
// LiveSpace methods hidden) cuts the path; the controller's walk sets such proposals aside, the
// random walk draws among the edits allowed.
func TestWalkKeepsConnected(t *testing.T) {
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	sp := space.Supergraph{Nodes: 5, LayersPerStage: 2}
	for _, name := range []string{NameRandomWalk, NameWalk} {
		n := 40
		if name == NameRandomWalk {
			n = 300 // uniform edits cut the last path less often than an actor rewarded for fewer edges
		}
		blind, _ := walkTrace(t, Env{Space: notLive{sp}, Backend: b}, name, n)
		kept, redrawn := walkTrace(t, Env{Space: sp, Backend: b}, name, n)
		cut, total := 0, 0
		for q := range kept {
			if !sp.Connected(blind[q]) {
				cut++
			}
			if !sp.Connected(kept[q]) {
				t.Errorf("%s queried an architecture without a path at query %d: %v", name, q, space.ToArch(kept[q]))
			}
			if q > 0 && sp.Computed(kept[q]) == sp.Computed(kept[q-1]) {
				t.Errorf("%s, query %d: an edit that changes nothing computed: %v → %v", name, q, space.ToArch(kept[q-1]), space.ToArch(kept[q]))
			}
			total += redrawn[q]
		}
		if cut == 0 {
			t.Fatalf("%s never left the connected architectures in %d queries where it cannot tell: the test shows nothing", name, n)
		}
		if (name == NameWalk) != (total > 0) {
			t.Errorf("%s: %d proposals set aside", name, total)
		}
		t.Logf("%s: %d of %d queries without a path where it cannot tell; %d proposals set aside", name, cut, n, total)
	}
}

// notLive hides a space's LiveSpace methods.
type notLive struct{ space.Space }

// From an architecture whose only path is the input's edge to the output, the walk's uniform
// edits never cut it.
func TestWalkNeverCutsItsOnlyPath(t *testing.T) {
	sp := space.Supergraph{Nodes: 5, LayersPerStage: 2}
	a, err := arch.Parse("1:conv3 2:conv3 3:conv3 | 0>4")
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWalk("random-walk", nil, sp, controller.Config{}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
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

// A walk that may keep the edits of only one architecture visits exactly what the
// walk that keeps them all visits, and holds no more than one: forgetting costs time, not results.
func TestWalkForgetsEditsWithoutChangingTheWalk(t *testing.T) {
	sp := space.Supergraph{Nodes: 5, LayersPerStage: 2}
	trace := func(kept int) ([]string, int) {
		w, err := NewWalk("random-walk", nil, sp, controller.Config{}, rand.New(rand.NewPCG(4, 7)))
		if err != nil {
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
