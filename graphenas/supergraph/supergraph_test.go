package supergraph

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/data"
)

// tinyConfig is a small supergraph that trains in milliseconds.
func tinyConfig() Config {
	return Config{Seed: 3, Nodes: 4, Channels: 4, LayersPerStage: 2, BatchSize: 16, LearningRate: 0.05, CacheSize: 4}
}

func newTiny(t *testing.T, cfg Config, ds *data.Dataset) *Supergraph {
	t.Helper()
	if ds == nil {
		ds = data.SyntheticDataset(400, 64, 8, 8, 1, 4, 11)
	}
	sg, err := New(getBackend(t), ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

func mustParseB(t testing.TB, s string) *arch.Arch { return mustParse(t, s) }

func mustParse(t testing.TB, s string) *arch.Arch {
	t.Helper()
	a, err := arch.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// snapshot copies every variable's values.
func snapshot(store *model.Store) map[string][]float32 {
	out := map[string][]float32{}
	for v := range store.IterVariables() {
		var vals []float32
		tensors.MustConstFlatData(v.MustValue(), func(f []float32) { vals = append(vals, f...) })
		out[v.Path()] = vals
	}
	return out
}

// bitEqual compares float32 slices bit for bit (NaN equals NaN).
func bitEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestLossDecreasesOnLearnableTask(t *testing.T) {
	sg := newTiny(t, tinyConfig(), nil)
	a := mustParse(t, "1:conv3 2:maxpool3 | 0>1 1>2 0>2 2>3 1>3")
	first, err := sg.Train(a, BatchBudget(10))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sg.Train(a, BatchBudget(30)); err != nil {
		t.Fatal(err)
	}
	last, err := sg.Train(a, BatchBudget(10))
	if err != nil {
		t.Fatal(err)
	}
	if first.Batches != 10 || last.NonFinite != 0 {
		t.Fatalf("results %+v %+v", first, last)
	}
	if !(last.Loss < 0.6*first.Loss) || last.Accuracy < 0.8 {
		t.Fatalf("loss %.3f → %.3f, accuracy %.2f → %.2f over 50 batches", first.Loss, last.Loss, first.Accuracy, last.Accuracy)
	}
	ev, err := sg.Evaluate(a, 4)
	if err != nil {
		t.Fatal(err)
	}
	test, err := sg.Test(a)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Images != 64 || ev.Accuracy < 0.8 || test.Images != 64 || test.Accuracy < 0.8 {
		t.Fatalf("evaluation %+v test %+v", ev, test)
	}
}

func TestUnusedWeightsUntouched(t *testing.T) {
	sg := newTiny(t, tinyConfig(), nil)
	// Node 2 is not an ancestor of the output: its op, batch-norm and links must not move.
	a := mustParse(t, "1:conv3 2:conv5 | 0>1 1>3 0>2")
	before := snapshot(sg.Store())
	if _, err := sg.Train(a, BatchBudget(3)); err != nil {
		t.Fatal(err)
	}
	after := snapshot(sg.Store())
	moved := func(name string) bool { return !bitEqual(before[name], after[name]) }
	for _, name := range []string{"/node_1/conv5/weights", "/node_1/dwconv7/weights", "/node_2/conv5/weights",
		"/node_2/conv5/weights_velocity", "/node_2/bn/gamma", "/node_2/bn/running_mean", "/link_0_2/weights",
		"/link_1_2/weights", "/link_0_3/weights", "/link_2_3/weights", "/link_2_3/weights_velocity"} {
		if _, ok := before[name]; !ok {
			t.Fatalf("no variable %s", name)
		}
		if moved(name) {
			t.Errorf("%s changed although the architecture does not use it", name)
		}
	}
	for _, name := range []string{"/node_1/conv3/weights", "/node_1/conv3/weights_velocity", "/link_0_1/weights",
		"/link_1_3/weights", "/stem/weights", "/head/bias", "/node_3/bn/running_var"} {
		if !moved(name) {
			t.Errorf("%s did not change although the architecture trains it", name)
		}
	}
}

func TestSwitchBackReusesWeights(t *testing.T) {
	sg := newTiny(t, tinyConfig(), nil)
	a := mustParse(t, "1:conv3 2:conv3 | 0>1 1>3")
	b := mustParse(t, "1:maxpool3 2:dwconv5 | 0>2 2>3")
	if _, err := sg.Train(a, BatchBudget(5)); err != nil {
		t.Fatal(err)
	}
	before, err := sg.Test(a)
	if err != nil {
		t.Fatal(err)
	}
	snap := snapshot(sg.Store())
	if _, err := sg.Train(b, BatchBudget(5)); err != nil {
		t.Fatal(err)
	}
	// Every weight only A uses is bit-identical after B trained.
	after := snapshot(sg.Store())
	for _, name := range []string{"/node_1/conv3/weights", "/node_1/bn/gamma", "/link_0_1/weights", "/link_1_3/weights"} {
		if !bitEqual(snap[name], after[name]) {
			t.Errorf("%s (A only) changed while B trained", name)
		}
	}
	// The stem, the output node's batch-norm and the head are in every architecture. Put back
	// what B did to them, and A is exactly where it was: same executable, same weights, same loss.
	for v := range sg.Store().IterVariables() {
		s := v.Scope()
		if strings.HasPrefix(s, "/stem") || strings.HasPrefix(s, "/head") || strings.HasPrefix(s, "/node_3") {
			if err := v.SetValue(tensors.FromFlatDataAndDimensions(append([]float32(nil), snap[v.Path()]...), v.Shape().Dimensions...)); err != nil {
				t.Fatal(err)
			}
		}
	}
	hitsBefore, _ := sg.CacheStats()
	again, err := sg.Test(a)
	if err != nil {
		t.Fatal(err)
	}
	if hits, _ := sg.CacheStats(); hits != hitsBefore+1 {
		t.Errorf("returning to A rebuilt its executable (hits %d → %d)", hitsBefore, hits)
	}
	if again.Loss != before.Loss || again.Accuracy != before.Accuracy {
		t.Errorf("A's test loss %v before B, %v after the round trip", before.Loss, again.Loss)
	}
}

func TestBatchBudgetReproducible(t *testing.T) {
	a := mustParse(t, "1:dilconv3 2:maxpool5 | 0>1 0>2 1>2 2>3 1>3")
	run := func() (TrainResult, map[string][]float32) {
		sg := newTiny(t, tinyConfig(), nil)
		r, err := sg.Train(a, BatchBudget(4))
		if err != nil {
			t.Fatal(err)
		}
		return r, snapshot(sg.Store())
	}
	r1, w1 := run()
	r2, w2 := run()
	if r1.Loss != r2.Loss || r1.Accuracy != r2.Accuracy {
		t.Fatalf("losses differ: %v vs %v", r1.Loss, r2.Loss)
	}
	for name, v := range w1 {
		if !bitEqual(v, w2[name]) {
			t.Fatalf("%s differs between two runs from one seed", name)
		}
	}
	// A different seed gives different weights.
	cfg := tinyConfig()
	cfg.Seed = 4
	other := newTiny(t, cfg, nil)
	if bitEqual(snapshot(other.Store())["/stem/weights"], w1["/stem/weights"]) {
		t.Error("seed ignored")
	}
}

func TestNonFiniteStepUpdatesNothing(t *testing.T) {
	sg := newTiny(t, tinyConfig(), nil)
	a := mustParse(t, "1:conv3 2:conv3 | 0>1 1>2 2>3")
	bias := sg.Store().GetVariable(model.JoinPath(headScope, "bias"))
	good, err := bias.MustValue().Clone()
	if err != nil {
		t.Fatal(err)
	}
	nan := float32(math.NaN())
	bias.MustSetValue(tensors.FromFlatDataAndDimensions([]float32{nan, 0, 0, 0}, 4))
	before := snapshot(sg.Store())
	r, err := sg.Train(a, BatchBudget(2))
	if err != nil {
		t.Fatalf("a NaN loss stopped training: %v", err)
	}
	if r.NonFinite != 2 || !math.IsNaN(r.Loss) {
		t.Fatalf("result %+v, want 2 non-finite batches", r)
	}
	after := snapshot(sg.Store())
	for name, v := range before {
		if !bitEqual(v, after[name]) {
			t.Errorf("%s was updated by a non-finite step", name)
		}
	}
	bias.MustSetValue(good)
	r, err = sg.Train(a, BatchBudget(2))
	if err != nil || r.NonFinite != 0 || math.IsNaN(r.Loss) {
		t.Fatalf("training did not continue: %+v %v", r, err)
	}
}

func TestRejectsBadInput(t *testing.T) {
	sg := newTiny(t, tinyConfig(), nil)
	if _, err := sg.Train(arch.Chain(5, arch.Conv3x3), BatchBudget(1)); err == nil || !strings.Contains(err.Error(), "5 nodes, the supergraph 4") {
		t.Errorf("wrong node count: %v", err)
	}
	if _, err := sg.Evaluate(&arch.Arch{}, 1); err == nil || !strings.Contains(err.Error(), "empty architecture") {
		t.Errorf("empty arch: %v", err)
	}
	if _, err := sg.Train(arch.Chain(4, arch.Conv3x3), Budget{}); err == nil || !strings.Contains(err.Error(), "empty budget") {
		t.Errorf("empty budget: %v", err)
	}
	if _, misses := sg.CacheStats(); misses != 0 {
		t.Errorf("bad input built %d executables", misses)
	}
	for _, cfg := range []Config{{Nodes: 1}, {Channels: -1}, {Momentum: 1}, {WeightsFraction: 1.5}} {
		if _, err := New(getBackend(t), data.SyntheticDataset(40, 8, 8, 8, 1, 2, 1), cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}

func TestCacheIsBounded(t *testing.T) {
	cfg := tinyConfig()
	cfg.CacheSize = 2
	sg := newTiny(t, cfg, nil)
	archs := []string{"1:conv3 2:conv3 | 0>1 1>3", "1:conv5 2:conv3 | 0>1 1>3", "1:maxpool3 2:conv3 | 0>1 1>3"}
	for _, s := range archs {
		if _, err := sg.Evaluate(mustParse(t, s), 1); err != nil {
			t.Fatal(err)
		}
	}
	if sg.lru.Len() != 2 {
		t.Fatalf("cache holds %d architectures, want 2", sg.lru.Len())
	}
	// The first one was evicted: using it again is a miss; the last one is a hit.
	sg.Evaluate(mustParse(t, archs[2]), 1)
	sg.Evaluate(mustParse(t, archs[0]), 1)
	if hits, misses := sg.CacheStats(); hits != 1 || misses != 4 {
		t.Errorf("hits %d misses %d, want 1 and 4", hits, misses)
	}
}

// weight reads a shared weight as a float64 array.
func weight(sg *Supergraph, scope, name string) arr {
	v := sg.Store().GetVariable(model.JoinPath(scope, name))
	a := arr{dims: v.Shape().Dimensions}
	tensors.MustConstFlatData(v.MustValue(), func(f []float32) {
		for _, x := range f {
			a.v = append(a.v, float64(x))
		}
	})
	return a
}

// refBatchNormInfer, refFuzzyReLU and refAdd are the plain-Go counterparts of the layers.
func refBatchNormInfer(x, gamma, beta, mean, variance arr) arr {
	c := x.dims[3]
	y := arr{dims: x.dims, v: make([]float64, len(x.v))}
	for i, xv := range x.v {
		ch := i % c
		y.v[i] = gamma.v[ch]*(xv-mean.v[ch])/math.Sqrt(variance.v[ch]+bnEpsilon) + beta.v[ch]
	}
	return y
}

func refFuzzyReLU(x arr) arr {
	y := arr{dims: x.dims, v: make([]float64, len(x.v))}
	for i, xv := range x.v {
		y.v[i] = math.Log1p(math.Exp(-2*math.Abs(xv))) + math.Max(2*xv, 0) - math.Ln2
	}
	return y
}

func refAdd(a, b arr) arr {
	y := arr{dims: a.dims, v: make([]float64, len(a.v))}
	for i := range a.v {
		y.v[i] = a.v[i] + b.v[i]
	}
	return y
}

// TestHandBuiltNetworkMatchesReference builds a 3-node network with one stage per node (so links
// are pooled once and twice), trains it two batches, and checks its test loss and accuracy
// against a plain Go computation from the same weights.
func TestHandBuiltNetworkMatchesReference(t *testing.T) {
	for _, stride := range []int{1, 2} {
		for _, kernels := range formulations {
			handBuiltReference(t, stride, kernels)
		}
	}
}

// handBuiltReference checks the network with the given stem stride and formulation against the
// plain-Go reference (for stride 2, the reference's space-to-depth reads channel (dy·2+dx)·C+c).
func handBuiltReference(t *testing.T, stride int, kernels string) {
	ds := data.SyntheticDataset(64, 5, 6, 6, 1, 3, 5)
	sg := newTiny(t, Config{Seed: 9, Nodes: 3, Channels: 2, LayersPerStage: 1, StemStride: stride, BatchSize: 8, LearningRate: 0.1, Kernels: kernels}, ds)
	a := mustParse(t, "1:conv3 | 0>1 0>2 1>2")
	if _, err := sg.Train(a, BatchBudget(2)); err != nil {
		t.Fatal(err)
	}
	got, err := sg.Test(a)
	if err != nil {
		t.Fatal(err)
	}

	test := ds.Test
	img := arr{dims: []int{test.N, 6, 6, 1}}
	for _, p := range test.Pixels {
		img.v = append(img.v, float64(float32(p)/255))
	}
	if stride == 2 { // [5, 6, 6, 1] → [5, 3, 3, 4]
		s2d := arr{dims: []int{test.N, 3, 3, 4}, v: make([]float64, test.N*36)}
		for b := 0; b < test.N; b++ {
			for y := 0; y < 6; y++ {
				for x := 0; x < 6; x++ {
					s2d.v[((b*3+y/2)*3+x/2)*4+(y%2)*2+x%2] = img.v[(b*6+y)*6+x]
				}
			}
		}
		img = s2d
	}
	bn := func(x arr, scope string) arr {
		return refBatchNormInfer(x, weight(sg, scope, "gamma"), weight(sg, scope, "beta"),
			weight(sg, scope, "running_mean"), weight(sg, scope, "running_var"))
	}
	pw := func(x arr, scope string) arr { return refConv(x, weight(sg, scope, "weights"), 1, 1) }
	half := func(x arr) arr {
		return refMaxPool(x, 2, 2, 0, (x.dims[1]+1)/2, (x.dims[2]+1)/2)
	}
	n0 := pw(bn(img, "/stem/bn"), "/stem") // [5, 6, 6, 2] (stride 2: [5, 3, 3, 2])
	n1 := half(pw(n0, "/link_0_1"))        // [5, 3, 3, 4] ([5, 2, 2, 4])
	n1 = refFuzzyReLU(refConv(bn(n1, "/node_1/bn"), weight(sg, "/node_1/conv3", "weights"), 3, 1))
	in2 := refAdd(half(half(pw(n0, "/link_0_2"))), half(pw(n1, "/link_1_2"))) // [5, 2, 2, 8] ([5, 1, 1, 8])
	n2 := refFuzzyReLU(bn(in2, "/node_2/bn"))
	pixels := n2.dims[1] * n2.dims[2]
	hw, hb := weight(sg, "/head", "weights"), weight(sg, "/head", "bias")
	lossSum, correct := 0.0, 0
	for b := 0; b < test.N; b++ {
		logits := make([]float64, 3)
		for k := 0; k < 3; k++ {
			logits[k] = hb.v[k]
			for c := 0; c < 8; c++ {
				mean := 0.0
				for p := 0; p < pixels; p++ {
					mean += n2.v[(b*pixels+p)*8+c] / float64(pixels)
				}
				logits[k] += mean * hw.v[c*3+k]
			}
		}
		best, lse := 0, 0.0
		for k := range logits {
			lse += math.Exp(logits[k])
			if logits[k] > logits[best] {
				best = k
			}
		}
		lossSum += math.Log(lse) - logits[test.Labels[b]]
		if best == int(test.Labels[b]) {
			correct++
		}
	}
	wantLoss, wantAcc := lossSum/float64(test.N), float64(correct)/float64(test.N)
	if math.Abs(got.Loss-wantLoss) > 1e-5 || got.Accuracy != wantAcc || got.Images != test.N {
		t.Fatalf("stem stride %d, %s layers: loss %.7f accuracy %.2f over %d; reference: loss %.7f accuracy %.2f",
			stride, kernels, got.Loss, got.Accuracy, got.Images, wantLoss, wantAcc)
	}
}
