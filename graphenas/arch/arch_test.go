package arch

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// reference is the architecture of graphenas/GOMLX-NOTES.md, used throughout the benchmarks.
const reference = "1:dwconv7 2:maxpool7 3:conv3 | 0>1 0>2 0>3 1>2 1>4 2>3 2>4 3>4"

func TestParseStringRoundTrip(t *testing.T) {
	a, err := Parse(reference)
	if err != nil {
		t.Fatal(err)
	}
	if a.N() != 5 || a.Op(1) != DepthwiseConv7x7 || a.Op(2) != MaxPool7x7 || a.Op(3) != Conv3x3 || a.Op(4) != NoOp {
		t.Fatalf("parsed %v: ops %v", a, a.ops)
	}
	if got := a.String(); got != reference {
		t.Errorf("String() = %q, want %q", got, reference)
	}
	if len(a.Edges()) != 8 || !a.HasEdge(1, 4) || a.HasEdge(1, 3) || a.HasEdge(4, 1) {
		t.Errorf("edges %v", a.Edges())
	}
	if a.InDegree(4) != 3 || a.OutDegree(0) != 3 || a.OutDegree(4) != 0 {
		t.Errorf("degrees in(4)=%d out(0)=%d", a.InDegree(4), a.OutDegree(0))
	}
	two, err := Parse("n=2 | 0>1")
	if err != nil || two.N() != 2 || !two.HasEdge(0, 1) || two.String() != "n=2 | 0>1" {
		t.Errorf("two nodes: %v %v", two, err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	a, _ := Parse(reference)
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"nodes":5,"ops":["none","dwconv7","maxpool7","conv3","none"],"edges":[[0,1],[0,2],[0,3],[1,2],[1,4],[2,3],[2,4],[3,4]]}`
	if string(b) != want {
		t.Fatalf("JSON %s\nwant %s", b, want)
	}
	var c Arch
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if !c.Equal(a) || c.Key() != a.Key() {
		t.Errorf("round trip %v != %v", &c, a)
	}
	empty, _ := json.Marshal(New(3, Conv5x5))
	if string(empty) != `{"nodes":3,"ops":["none","conv5","none"],"edges":[]}` {
		t.Errorf("no edges: %s", empty)
	}
}

func TestValidationErrors(t *testing.T) {
	cases := map[string]string{
		`{"nodes":3,"ops":["none","conv3","none"],"edges":[[2,1]]}`: "edge 2 → 1",
		`{"nodes":3,"ops":["none","conv3","none"],"edges":[[1,1]]}`: "edge 1 → 1",
		`{"nodes":3,"ops":["none","conv3","none"],"edges":[[0,3]]}`: "edge 0 → 3",
		`{"nodes":3,"ops":["conv3","conv3","none"],"edges":[]}`:     "input and output nodes carry no op",
		`{"nodes":3,"ops":["none","none","none"],"edges":[]}`:       "node 1 has op -1",
		`{"nodes":3,"ops":["none","conv9","none"],"edges":[]}`:      `unknown op "conv9"`,
		`{"nodes":1,"ops":["none"],"edges":[]}`:                     "1 nodes, want 2..64",
		`{"nodes":65,"ops":[],"edges":[]}`:                          "0 ops for 65 nodes",
		`{"nodes":3,"ops":["none","conv3"],"edges":[]}`:             "2 ops for 3 nodes",
	}
	for in, want := range cases {
		var a Arch
		err := json.Unmarshal([]byte(in), &a)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to contain %q", in, err, want)
		}
	}
	for _, bad := range []string{"1:conv3 0>1", "1:conv3 | 0-1", "x:conv3 | 0>1", "1:conv3 | 2>1"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if err := (&Arch{}).Validate(); err == nil {
		t.Error("zero Arch validated")
	}
}

func TestAncestors(t *testing.T) {
	// 0>1 1>3 0>2: node 2 feeds nothing that reaches the output 3.
	a, err := Parse("1:conv3 2:conv5 | 0>1 1>3 0>2")
	if err != nil {
		t.Fatal(err)
	}
	got := a.Ancestors()
	want := []bool{true, true, false, true}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ancestors %v, want %v", got, want)
		}
	}
}

func TestLive(t *testing.T) {
	// Node 2 has no input (it would see a constant); node 3 feeds nothing; node 1 is on 0>1>5.
	a, err := Parse("1:conv3 2:conv5 3:maxpool3 4:dwconv5 | 0>1 1>5 2>4 4>5 0>3")
	if err != nil {
		t.Fatal(err)
	}
	got := a.Live()
	want := []bool{true, true, false, false, false, true}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("live %v, want %v", got, want)
		}
	}
	if in := a.LiveInputs(5); len(in) != 1 || in[0] != 1 {
		t.Errorf("live inputs of 5: %v", in)
	}
}

func TestKeyStableAndDistinct(t *testing.T) {
	a, _ := Parse(reference)
	b := a.Clone()
	if a.Key() != b.Key() || len(a.Key()) != 16 {
		t.Fatalf("keys %q %q", a.Key(), b.Key())
	}
	b.SetEdge(1, 3, true)
	if a.Key() == b.Key() || a.HasEdge(1, 3) {
		t.Error("clone shares state or key ignores an edge")
	}
	b = a.Clone()
	b.SetOp(2, MaxPool3x3)
	if a.Key() == b.Key() {
		t.Error("key ignores an op")
	}
	// The key is a pure function of the text form: pin it so caches and file names stay valid.
	if k := a.Key(); k != a.Clone().Key() {
		t.Errorf("unstable key %s", k)
	}
}

func TestRandomDeterministic(t *testing.T) {
	x := Random(8, 0.5, rand.New(rand.NewPCG(1, 2)))
	y := Random(8, 0.5, rand.New(rand.NewPCG(1, 2)))
	z := Random(8, 0.5, rand.New(rand.NewPCG(1, 3)))
	if !x.Equal(y) || x.Equal(z) {
		t.Fatalf("x=%v y=%v z=%v", x, y, z)
	}
	if err := x.Validate(); err != nil {
		t.Fatal(err)
	}
	// Over many draws every op and roughly half the edges appear.
	counts := make([]int, NumOps)
	edges := 0
	r := rand.New(rand.NewPCG(9, 9))
	for k := 0; k < 200; k++ {
		a := Random(6, 0.5, r)
		for i, c := range a.OpCounts() {
			counts[i] += c
		}
		edges += len(a.Edges())
	}
	for op, c := range counts {
		if c == 0 {
			t.Errorf("op %v never drawn", Op(op))
		}
	}
	if edges < 1300 || edges > 1700 { // 200 × 15 possible edges × 0.5 = 1500
		t.Errorf("%d edges drawn, want about 1500", edges)
	}
}

func TestOpNames(t *testing.T) {
	for _, op := range AllOps() {
		back, err := ParseOp(op.String())
		if err != nil || back != op {
			t.Errorf("op %d: %q → %v, %v", op, op.String(), back, err)
		}
	}
	if DilatedConv5x5.Kernel() != 5 || DilatedConv5x5.Dilation() != 2 || MaxPool7x7.Family() != FamilyPool {
		t.Error("op table")
	}
}

// TestParseRefusesAmbiguousText checks the text forms that used to be accepted silently: a node
// given two ops, a negative or repeated node count, a count smaller than the nodes named, and an
// edge listed twice.
func TestParseRefusesAmbiguousText(t *testing.T) {
	for text, want := range map[string]string{
		"1:conv3 1:maxpool3 2:conv3 | 0>1 1>2 2>3": "node 1 is given two ops",
		"n=-5 | ":                            "bad node count",
		"n=4 n=4 1:conv3 2:conv3 | 0>3":      "given twice",
		"n=3 1:conv3 2:conv3 | 0>1 1>2 2>3":  "n=3, but",
		"1:conv3 2:conv3 | 0>1 0>1 1>3":      "listed twice",
		"1:conv3 2:maxpool3 | 0>1 1>2 2>3 x": "bad edge",
	} {
		if _, err := Parse(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q): %v, want an error containing %q", text, err, want)
		}
	}
	if a, err := Parse("n=4 1:conv3 2:conv3 | 0>1 1>2 2>3"); err != nil || a.N() != 4 {
		t.Errorf("an explicit count that agrees: %v %v", a, err)
	}
}

// TestConnected checks the path from input to output.
func TestConnected(t *testing.T) {
	for text, want := range map[string]bool{
		"1:conv3 2:conv3 | 0>1 1>2 2>3": true,
		"1:conv3 2:conv3 | 0>3":         true,
		"1:conv3 2:conv3 | 0>1 2>3":     false, // node 2 is not reached from the input
		"1:conv3 2:conv3 | 1>2 2>3":     false,
	} {
		a, err := Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		if a.Connected() != want {
			t.Errorf("%s: Connected() = %v", text, !want)
		}
	}
}

// TestRandomConnected checks that the baseline draw always has a path from input to output.
func TestRandomConnected(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for i := 0; i < 200; i++ {
		if a := RandomConnected(5, 0.2, r); !a.Connected() || a.Validate() != nil {
			t.Fatalf("draw %d: %v", i, a)
		}
	}
}

// Computed keeps what the child network computes and nothing else.
func TestComputed(t *testing.T) {
	computed := func(s string) string {
		t.Helper()
		a, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return a.Computed()
	}
	for _, c := range []struct{ arch, want string }{
		{"1:conv3 2:conv5 3:maxpool3 | 0>1 1>2 2>4", "1:conv3 2:conv5 3:- | 0>1 1>2 2>4"},         // node 3 is off every path
		{"1:conv3 2:dwconv7 3:maxpool3 | 0>1 1>2 2>4 3>4", "1:conv3 2:dwconv7 3:- | 0>1 1>2 2>4"}, // 3 → 4, but nothing reaches 3
		{"1:conv3 2:conv5 3:conv5 | 0>4 1>3 1>4 2>4 3>4", "1:- 2:- 3:- | 0>4"},                    // only the skip
		{"1:conv3 2:conv5 3:conv5 | 0>1 0>2 1>2 3>4", "1:- 2:- 3:- |"},                            // no path: a guess
	} {
		if got := computed(c.arch); got != c.want {
			t.Errorf("Computed(%s) = %q, want %q", c.arch, got, c.want)
		}
	}
	if computed("1:conv3 2:conv5 3:conv5 | 0>1 0>2 1>2 3>4") != computed("1:dwconv7 2:maxpool3 3:conv3 | 0>1 1>3") {
		t.Error("two architectures without a path compute different things")
	}
}
