package supergraph

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/graphenas/graphenas/graphenas/data"
)

func TestStateRestoresExactly(t *testing.T) {
	a := mustParse(t, "1:conv3 2:maxpool3 | 0>1 1>2 0>2 2>3")
	b := mustParse(t, "1:dwconv5 2:maxpool3 | 0>1 1>2 2>3")
	first := newTiny(t, tinyConfig(), nil)
	if _, err := first.Train(a, BatchBudget(3)); err != nil {
		t.Fatal(err)
	}
	if err := first.SetLearningRate(0.02); err != nil {
		t.Fatal(err)
	}
	st, err := first.State()
	if err != nil {
		t.Fatal(err)
	}
	continueOn := func(sg *Supergraph) (TrainResult, EvalResult, map[string][]float32) {
		tr, err := sg.Train(b, BatchBudget(2))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := sg.Evaluate(b, 2)
		if err != nil {
			t.Fatal(err)
		}
		return tr, ev, snapshot(sg.Store())
	}
	tr1, ev1, w1 := continueOn(first)

	second := newTiny(t, tinyConfig(), nil)
	if err := second.SetState(st); err != nil {
		t.Fatal(err)
	}
	if second.LearningRate() != 0.02 {
		t.Errorf("learning rate %g after restore, want 0.02", second.LearningRate())
	}
	tr2, ev2, w2 := continueOn(second)
	if tr1.Loss != tr2.Loss || ev1.Loss != ev2.Loss || ev1.Accuracy != ev2.Accuracy {
		t.Fatalf("restored run differs: train %v vs %v, eval %v vs %v", tr1.Loss, tr2.Loss, ev1.Loss, ev2.Loss)
	}
	for name, v := range w1 {
		if !bitEqual(v, w2[name]) {
			t.Fatalf("%s differs after restore", name)
		}
	}
}

func TestSetStateRefusesOtherConfiguration(t *testing.T) {
	first := newTiny(t, tinyConfig(), nil)
	st, err := first.State()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig()
	cfg.Channels = 6
	other := newTiny(t, cfg, nil)
	before := snapshot(other.Store())
	if err := other.SetState(st); err == nil || !strings.Contains(err.Error(), "configuration") {
		t.Fatalf("want a configuration error, got %v", err)
	}
	st.Vars[0].Data = st.Vars[0].Data[:3]
	same := newTiny(t, tinyConfig(), nil)
	if err := same.SetState(st); err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Fatalf("want a byte-count error, got %v", err)
	}
	for name, v := range snapshot(other.Store()) {
		if !bitEqual(v, before[name]) {
			t.Fatalf("%s changed by a refused state", name)
		}
	}
}

func TestFullTrainingHasNoArchitectureSplit(t *testing.T) {
	cfg := tinyConfig()
	cfg.FullTraining = true
	sg := newTiny(t, cfg, data.SyntheticDataset(100, 20, 8, 8, 1, 4, 2))
	a := mustParse(t, "1:conv3 2:maxpool3 | 0>1 1>2 2>3")
	if _, err := sg.Train(a, BatchBudget(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := sg.Evaluate(a, 1); err == nil {
		t.Error("Evaluate without an architecture split should fail")
	}
	if ev, err := sg.Test(a); err != nil || ev.Images != 20 {
		t.Errorf("Test: %+v, %v", ev, err)
	}
}

func TestParamsCountsUsedWeights(t *testing.T) {
	// Nodes 0..3, L=2: node 2 and 3 are in stage 1 (8 channels), nodes 0, 1 in stage 0 (4).
	cfg := tinyConfig()
	a := mustParse(t, "1:conv3 2:dwconv5 | 0>1 1>3 0>3")
	// stem 2·1 + 1·4 = 6; node 1: link 4·4, bn 8, conv3 9·4·4 = 168; node 2 unused;
	// node 3: links 4·8 + 4·8, bn 16 = 80; head 8·4 + 4 = 36.
	if got, want := cfg.Params(a, 1, 4), 6+168+80+36; got != want {
		t.Errorf("Params = %d, want %d", got, want)
	}
}

func TestEvalBatchStatsIgnoresRunningStatistics(t *testing.T) {
	a := mustParse(t, "1:conv3 2:maxpool3 | 0>1 1>2 2>3")
	eval := func(batchStats bool) EvalResult {
		cfg := tinyConfig()
		cfg.EvalBatchStats = batchStats
		sg := newTiny(t, cfg, nil)
		// Corrupt the running statistics: batch statistics must not notice.
		v := sg.Store().GetVariable(model.JoinPath("/node_1/bn", "running_var"))
		if err := v.SetValue(tensors.FromValue([]float32{1e-6, 1e-6, 1e-6, 1e-6})); err != nil {
			t.Fatal(err)
		}
		ev, err := sg.Evaluate(a, 2)
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	running, batch := eval(false), eval(true)
	if !(running.Loss > 10*batch.Loss) || batch.Loss > 3 {
		t.Errorf("running-statistics loss %.3f, batch-statistics loss %.3f", running.Loss, batch.Loss)
	}
}

func TestUsedWeightsShared(t *testing.T) {
	cfg := tinyConfig()
	a := mustParse(t, "1:conv3 2:maxpool3 | 0>1 1>2 2>3")
	b := mustParse(t, "1:conv3 2:dwconv5 | 0>1 1>3")
	got := strings.Join(cfg.UsedWeights(a), " ")
	if got != "/head /link_0_1 /link_1_2 /link_2_3 /node_1/bn /node_1/conv3 /node_2/bn /node_3/bn /stem /stem/bn" {
		t.Errorf("used weights of a: %s", got)
	}
	if got := strings.Join(cfg.UsedWeights(b), " "); strings.Contains(got, "dwconv5") || !strings.Contains(got, "/node_1/conv3") {
		t.Errorf("used weights of b (node 2 is off the paths): %s", got)
	}
}
