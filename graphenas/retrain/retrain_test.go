package retrain

import (
	"strings"
	"testing"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

func TestRetrainBeatsChance(t *testing.T) {
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	ds := data.SyntheticDataset(400, 200, 8, 8, 1, 4, 21)
	a, _ := arch.Parse("1:conv3 2:maxpool3 3:dwconv5 | 0>1 1>2 2>3 3>4 0>4")
	var points int
	var tested [][2]int
	res, err := Run(b, ds, a, Config{Seed: 2, Epochs: 3, ReportEvery: 10, LearningRate: 0.05,
		Network: supergraph.Config{Channels: 4, LayersPerStage: 2, BatchSize: 16},
		Progress: func(e progress.Event) {
			switch e.Phase {
			case "retrain":
				points++
			case "test":
				tested = append(tested, [2]int{e.Done, e.Total})
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	// 200 test images in batches of 16: 13 batches, each reported, the last with all 200.
	if len(tested) != 13 || tested[0] != [2]int{16, 200} || tested[12] != [2]int{200, 200} {
		t.Errorf("test progress %v", tested)
	}
	if res.TestAccuracy < 0.8 { // chance is 0.25
		t.Errorf("test accuracy %.3f after retraining, want ≥ 0.8", res.TestAccuracy)
	}
	if res.Params <= 0 || points != len(res.Curve) || points < 5 || res.Curve[len(res.Curve)-1].Batches != 75 {
		t.Errorf("params %d, %d progress calls, curve %+v", res.Params, points, res.Curve)
	}
	if _, err := Run(b, ds, a, Config{Epochs: -1}); err == nil {
		t.Error("negative epochs accepted")
	}
}

// TestEach checks the side-by-side retraining: one result per candidate, in order, each
// with its own progress, and a failing candidate named in the error.
func TestEach(t *testing.T) {
	b, _ := backend.NewGo()
	ds := data.SyntheticDataset(200, 100, 8, 8, 1, 4, 5)
	a, _ := arch.Parse("1:conv3 2:maxpool3 3:dwconv5 | 0>1 1>2 2>3 3>4")
	c, _ := arch.Parse("1:maxpool3 2:maxpool3 3:maxpool3 | 0>4")
	cfg := Config{Seed: 1, Epochs: 0.5, ReportEvery: 2, Network: supergraph.Config{Channels: 4, LayersPerStage: 2, BatchSize: 16}}
	seen := map[string]int{}
	cfg.Progress = func(e progress.Event) { seen[e.Run]++ }
	res, err := Each(b, ds, []Candidate{{"a", a}, {"c", c}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Arch != a.String() || res[1].Arch != c.String() || seen["a"] == 0 || seen["c"] == 0 {
		t.Fatalf("results %v, progress %v", res, seen)
	}
	bad, _ := arch.Parse("1:conv3 2:conv3 3:conv3 | 1>2 2>4")
	if _, err := Each(b, ds, []Candidate{{"a", a}, {"broken", bad}}, cfg); err == nil || !strings.Contains(err.Error(), "broken:") {
		t.Errorf("a disconnected candidate: %v", err)
	}
}

// TestRetrainRefusesADisconnectedArchitecture checks that retraining an architecture with no
// path from the input to the output is an error that says so (it used to train at chance).
func TestRetrainRefusesADisconnectedArchitecture(t *testing.T) {
	b, _ := backend.NewGo()
	a, err := arch.Parse("1:conv3 2:maxpool3 3:conv3 | 0>1 2>3 3>4")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(b, data.SyntheticDataset(300, 64, 8, 8, 1, 4, 3), a, Config{Epochs: 0.1, Network: supergraph.Config{Channels: 4, LayersPerStage: 2, BatchSize: 16}})
	if err == nil || !strings.Contains(err.Error(), "no path from the input") {
		t.Errorf("retraining a disconnected architecture: %v", err)
	}
}

func TestSameBudget(t *testing.T) {
	r := Result{Epochs: 2, LearningRate: 0.05, Channels: 24, BatchSize: 64}
	asked := Config{Epochs: 2, Network: supergraph.Config{Channels: 24}}
	old := Result{Epochs: 2} // written before the budget's other fields were recorded
	for _, c := range []struct {
		r    Result
		cfg  Config
		same bool
	}{
		{r, asked, true},
		{r, Config{Epochs: 2, LearningRate: 0.05, Network: supergraph.Config{Channels: 24, BatchSize: 64}}, true},
		{r, Config{Epochs: 1, Network: supergraph.Config{Channels: 24}}, false},
		{r, Config{Epochs: 2, LearningRate: 0.1, Network: supergraph.Config{Channels: 24}}, false},
		{r, Config{Epochs: 2, Network: supergraph.Config{Channels: 12}}, false},
		{r, Config{Epochs: 2, Network: supergraph.Config{Channels: 24, BatchSize: 32}}, false},
		{old, asked, true},
		{old, Config{Epochs: 3}, false},
	} {
		if got := c.r.SameBudget(c.cfg); got != c.same {
			t.Errorf("%+v.SameBudget(%+v) = %v, want %v", c.r, c.cfg, got, c.same)
		}
	}
}
