package space

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/graphenas/graphenas/graphenas/arch"
)

func TestFeaturesOfAHandBuiltGraph(t *testing.T) {
	// 5 nodes, 2 layers per stage: stages 0 0 1 1 2; ops conv5 (1), dwconv7 (3), maxpool3 (6).
	sp := Supergraph{Nodes: 5, LayersPerStage: 2}
	a, err := arch.Parse("1:conv5 2:dwconv7 3:maxpool3 | 0>1 0>2 1>4 2>3 3>4")
	if err != nil {
		t.Fatal(err)
	}
	g := FromArch(a)
	w := FeatureWidth(sp)
	if w != 2+9+2*3+2*3+2 {
		t.Fatalf("width %d", w)
	}
	f := Features(sp, g)
	//                flags  one-hot op (9)        code i  code 4-i  stage   rev stage  out   in
	want := map[int][]float32{
		0: {1, 0 /**/, 0, 0, 0, 0, 0, 0, 0, 0, 0 /**/, 0, 0, 0 /**/, 0, 0, 1 /**/, 1, 0, 0 /**/, 0, 0, 1 /**/, 0.5, 0},
		2: {0, 0 /**/, 0, 0, 0, 1, 0, 0, 0, 0, 0 /**/, 0, 1, 0 /**/, 0, 1, 0 /**/, 0, 1, 0 /**/, 0, 1, 0 /**/, 0.25, 0.25},
		4: {0, 1 /**/, 0, 0, 0, 0, 0, 0, 0, 0, 0 /**/, 0, 0, 1 /**/, 0, 0, 0 /**/, 0, 0, 1 /**/, 1, 0, 0 /**/, 0, 0.5},
	}
	for node, row := range want {
		got := f[node*w : (node+1)*w]
		for k := range row {
			if got[k] != row[k] {
				t.Fatalf("node %d feature %d = %v, want %v\n got %v\nwant %v", node, k, got[k], row[k], got, row)
			}
		}
	}
}

func TestActionsKeepAValidDAG(t *testing.T) {
	sp := Supergraph{Nodes: 6, LayersPerStage: 4}
	r := rand.New(rand.NewPCG(1, 1))
	g := sp.Random(r)
	for step := 0; step < 500; step++ {
		acts := Actions(sp, g)
		if len(acts) != 4*8+15 { // 4 middle nodes × 8 other ops, 15 edges to switch
			t.Fatalf("%d legal actions", len(acts))
		}
		next, err := Apply(sp, g, acts[r.IntN(len(acts))])
		if err != nil {
			t.Fatal(err)
		}
		if err := ToArch(next).Validate(); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if next.Key() == g.Key() {
			t.Fatalf("step %d: an action changed nothing", step)
		}
		g = next
	}
	bad := []Action{{Kind: ChangeOp, Node: 0, Op: 1}, {Kind: ChangeOp, Node: 5, Op: 1}, {Kind: ChangeOp, Node: 2, Op: 9},
		{Kind: ChangeOp, Node: 2, Op: g.Ops[2]}, {Kind: SetEdge, From: 3, To: 2, On: true}, {Kind: SetEdge, From: 1, To: 2, On: g.HasEdge(1, 2)}}
	for _, a := range bad {
		if _, err := Apply(sp, g, a); err == nil || !strings.Contains(err.Error(), "illegal action") {
			t.Errorf("%v accepted: %v", a, err)
		}
	}
}

func TestNB201RoundTrip(t *testing.T) {
	s := "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
	g, err := ParseNB201(s)
	if err != nil {
		t.Fatal(err)
	}
	if NB201String(g) != s {
		t.Fatalf("round trip %q", NB201String(g))
	}
	if ops := NB201EdgeOps(g); ops != [6]int{3, 3, 4, 1, 3, 1} {
		t.Errorf("edge ops %v", ops)
	}
	// Node 4 is the op of edge 1→2: its inputs are cell node 1 (graph node 2), its output cell node 2 (5).
	if !g.HasEdge(2, 4) || !g.HasEdge(4, 5) || g.InDegree(5) != 2 || g.InDegree(9) != 3 {
		t.Errorf("wiring: %v", g.Key())
	}
	acts := Actions(NB201{}, g)
	if len(acts) != 6*4 {
		t.Errorf("%d actions, want 24", len(acts))
	}
	for _, bad := range []string{"|nor_conv_3x3~0|", "|x~0|+|a~0|b~1|+|c~0|d~1|e~2|", "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|"} {
		if _, err := ParseNB201(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestActionDescribe(t *testing.T) {
	names := Supergraph{}.OpNames()
	if got := (Action{Kind: ChangeOp, Node: 2, Op: 3}).Describe(names); got != "node 2 → dwconv7" {
		t.Errorf("got %q", got)
	}
	if got := (Action{Kind: SetEdge, From: 1, To: 3, On: true}).Describe(names); got != "edge 1→3 on" {
		t.Errorf("got %q", got)
	}
}

func TestFeatureNamesMatchWidth(t *testing.T) {
	for _, sp := range []Space{Supergraph{Nodes: 5, LayersPerStage: 4}, NB201{}} {
		names := FeatureNames(sp)
		if len(names) != FeatureWidth(sp) || names[2] != "op="+sp.OpNames()[0] || names[len(names)-1] != "in-degree" {
			t.Errorf("%s: %d names for width %d: %v", sp.Name(), len(names), FeatureWidth(sp), names)
		}
	}
}

func TestActionJSON(t *testing.T) {
	a := Action{Kind: SetEdge, From: 1, To: 3, On: true}
	b, err := json.Marshal(a)
	if err != nil || string(b) != `{"kind":"edge","from":1,"to":3,"on":true}` {
		t.Fatalf("%s %v", b, err)
	}
	var back Action
	if err := json.Unmarshal(b, &back); err != nil || back != a {
		t.Errorf("round trip: %+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"kind":0,"node":2,"op":3}`), &back); err != nil || back.Kind != ChangeOp || back.Op != 3 {
		t.Errorf("numeric kind: %+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"kind":"swap"}`), &back); err == nil {
		t.Error("unknown kind accepted")
	}
}

// space.Graph is derived from arch.Arch: the conversion is lossless both ways, for every node
// count, op and edge pattern (graphenas/DESIGN.md §3 says why the two types exist).
func TestArchGraphRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 200; i++ {
		a := arch.Random(3+r.IntN(8), r.Float64(), r)
		g := FromArch(a)
		if back := ToArch(g); !back.Equal(a) {
			t.Fatalf("arch %s → graph → arch %s", a, back)
		}
		if g2 := FromArch(ToArch(g)); g2.Key() != g.Key() {
			t.Fatalf("graph %s → arch → graph %s", g.Key(), g2.Key())
		}
		for n := 0; n < a.N(); n++ {
			if g.InDegree(n) != a.InDegree(n) || g.OutDegree(n) != a.OutDegree(n) {
				t.Fatalf("%s: node %d degrees differ", a, n)
			}
		}
	}
}

// TestSupergraphRandomIsConnected checks that the space's random members all have a path from
// the input to the output, and that a connected first draw is exactly arch.Random's (so the
// random stream of runs that never met a disconnected draw is unchanged).
func TestSupergraphRandomIsConnected(t *testing.T) {
	sp := Supergraph{Nodes: 5, LayersPerStage: 4}
	same := 0
	for i := 0; i < 300; i++ {
		seed := uint64(i)
		g := sp.Random(rand.New(rand.NewPCG(seed, 7)))
		if a := ToArch(g); !a.Connected() || a.Validate() != nil {
			t.Fatalf("draw %d: %s is not a connected, valid architecture", i, a)
		}
		plain := arch.Random(5, 0.5, rand.New(rand.NewPCG(seed, 7)))
		if plain.Connected() {
			if FromArch(plain).Key() != g.Key() {
				t.Fatalf("draw %d: a connected first draw %s was replaced by %s", i, plain, ToArch(g))
			}
			same++
		}
	}
	// About two thirds of 5-node draws at edge probability 0.5 are connected at the first try.
	if same < 150 || same > 250 {
		t.Errorf("%d of 300 first draws connected, expected about 200", same)
	}
}
