package strategy

import (
	"math/rand/v2"
	"testing"

	"github.com/graphenas/graphenas/graphenas/space"
)

// A random edit is one legal edit: exactly one op differs on the table, and over many draws
// every edit of the cell turns up.
func TestRandomEdit(t *testing.T) {
	sp := space.NB201{}
	r := rand.New(rand.NewPCG(1, 2))
	g := sp.Random(r)
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		next, a := RandomEdit(sp, g, r)
		if !space.Legal(sp, g, a) {
			t.Fatalf("illegal edit %v", a)
		}
		diff := 0
		for j := range g.Ops {
			if g.Ops[j] != next.Ops[j] {
				diff++
			}
		}
		if diff != 1 {
			t.Fatalf("%d ops differ after %v", diff, a)
		}
		seen[next.Key()] = true
	}
	if want := len(space.Actions(sp, g)); len(seen) != want { // 6 edges × 4 other ops
		t.Errorf("%d distinct edits drawn, want all %d", len(seen), want)
	}
}

// The population ages: random members until it is full, then children of the tournament's
// winner, and the oldest member dies.
func TestPopulation(t *testing.T) {
	if _, err := NewPopulation(3, 4); err == nil {
		t.Error("a tournament larger than the population was accepted")
	}
	sp := space.NB201{}
	r := rand.New(rand.NewPCG(3, 4))
	p, err := NewPopulation(4, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		g, parent, _ := p.Child(sp, r)
		if parent != nil {
			t.Fatalf("member %d has a parent before the population is full", i)
		}
		p.Add(g, float64(i))
	}
	first := p.Members[0].Graph
	p.Add(sp.Random(r), 1.5)
	if len(p.Members) != 4 || p.Members[0].Graph == first || p.Members[0].Fitness != 1 {
		t.Errorf("after aging: %d members, oldest fitness %v", len(p.Members), p.Members[0].Fitness)
	}
	// Four draws with replacement from {1, 2, 3, 1.5}: the winner is the fittest drawn, so the
	// fittest member wins most often and the least fit (drawn four times running) rarely.
	wins := map[float64]int{}
	for i := 0; i < 4000; i++ {
		wins[p.Parent(r).Fitness]++
	}
	// P(3 is drawn at least once) = 1 − (3/4)^4 ≈ 0.68; P(only 1s) = (1/4)^4 ≈ 0.004.
	if wins[3] < 2500 || wins[3] > 2950 || wins[1] > 60 {
		t.Errorf("tournament wins %v", wins)
	}
	g, parent, edit := p.Child(sp, r)
	if parent == nil || !space.Legal(sp, parent.Graph, edit) || g.Key() == parent.Graph.Key() {
		t.Errorf("child of a full population: parent %v, edit %v", parent, edit)
	}
}
