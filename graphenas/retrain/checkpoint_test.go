package retrain

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// errKilled stands for a crash or a time limit stopping a retraining.
var errKilled = errors.New("killed")

// resumeFixture is a small retraining (40 batches, 2 of warm-up) with its result run through in
// one go, and a configuration that checkpoints it after every group of batches.
func resumeFixture(t *testing.T, kernels string) (compute.Backend, *data.Dataset, *arch.Arch, Config, Result) {
	t.Helper()
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	ds := data.SyntheticDataset(320, 100, 8, 8, 1, 4, 3)
	a, _ := arch.Parse("1:conv3 2:maxpool3 3:dwconv5 | 0>1 1>2 2>3 3>4 0>4")
	// Stem stride 1: the tolerance of the test across formulations was measured on it.
	cfg := Config{Seed: 4, Epochs: 2, ReportEvery: 5, Network: supergraph.Config{Channels: 4, LayersPerStage: 2, StemStride: 1, BatchSize: 16, Kernels: kernels}}
	whole, err := Run(b, ds, a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Checkpoint, cfg.CheckpointEvery = filepath.Join(t.TempDir(), "retrain-checkpoint.bin"), 1
	return b, ds, a, cfg, whole
}

// stopAt makes the next retrainings stop with errKilled once stop batches are done (never when
// stop is 0), and returns where the latest one started: the batches done after its first group.
func stopAt(cfg *Config, stop int) *int {
	first := new(int)
	*first = -1
	cfg.afterChunk = func(batches int) error {
		if *first < 0 {
			*first = batches
		}
		if stop > 0 && batches >= stop {
			return errKilled
		}
		return nil
	}
	return first
}

// A retraining stopped part-way and started again with its checkpoint gives exactly the result of
// one that ran through; the finished one leaves no checkpoint behind, and a checkpoint of another
// retraining, or a damaged one, is refused with what to do.
func TestRetrainResumesFromItsCheckpoint(t *testing.T) {
	b, ds, a, cfg, whole := resumeFixture(t, "")
	prevStop := 0
	for _, stop := range []int{3, 27} { // stopped twice: just after the warm-up, then later
		first := stopAt(&cfg, stop)
		if _, err := Run(b, ds, a, cfg); !errors.Is(err, errKilled) {
			t.Fatalf("stopping at batch %d: %v", stop, err)
		}
		if *first <= prevStop {
			t.Fatalf("started again at batch %d, not after batch %d where it stopped", *first, prevStop)
		}
		prevStop = stop
	}
	other := cfg
	other.Seed = 5
	if _, err := Run(b, ds, a, other); err == nil || !strings.Contains(err.Error(), "of another retraining") {
		t.Errorf("resuming with another seed: %v", err)
	}
	first := stopAt(&cfg, 0)
	resumed, err := Run(b, ds, a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if *first <= 27 {
		t.Errorf("the last run started again at batch %d, not after batch 27", *first)
	}
	if resumed.TestAccuracy != whole.TestAccuracy || resumed.TestLoss != whole.TestLoss || len(resumed.Curve) != len(whole.Curve) {
		t.Fatalf("resumed: accuracy %v loss %v, %d points; through: %v %v, %d points",
			resumed.TestAccuracy, resumed.TestLoss, len(resumed.Curve), whole.TestAccuracy, whole.TestLoss, len(whole.Curve))
	}
	for i, p := range resumed.Curve {
		q := whole.Curve[i]
		if p.Batches != q.Batches || p.TrainLoss != q.TrainLoss || p.TrainAccuracy != q.TrainAccuracy || p.LearningRate != q.LearningRate {
			t.Errorf("point %d: resumed %+v, through %+v", i, p, q)
		}
	}
	if _, err := os.Stat(cfg.Checkpoint); !os.IsNotExist(err) {
		t.Errorf("the finished retraining left its checkpoint: %v", err)
	}
	if err := os.WriteFile(cfg.Checkpoint, []byte("GRAPHENAS-RETRAIN-CHECKPOINT\nxx"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(b, ds, a, cfg); err == nil || !strings.Contains(err.Error(), "delete it to retrain from the start") {
		t.Errorf("a damaged checkpoint: %v", err)
	}
}

// A retraining begun in one formulation of the layers (the Go back-end's) continues in the other
// (the XLA back-end's, here run on the Go back-end): a comparison cut on a GPU can be finished on
// a CPU, and the other way round. The two formulations round differently, so the results agree
// closely, not exactly.
func TestRetrainContinuesInTheOtherFormulation(t *testing.T) {
	b, ds, a, cfg, whole := resumeFixture(t, supergraph.KernelsGo)
	stopAt(&cfg, 17)
	if _, err := Run(b, ds, a, cfg); !errors.Is(err, errKilled) {
		t.Fatalf("stopping: %v", err)
	}
	first := stopAt(&cfg, 0)
	cfg.Network.Kernels = supergraph.KernelsXLA
	other, err := Run(b, ds, a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("continued in the other formulation from batch %d: accuracy %.4f loss %.4f, through in one: %.4f %.4f",
		*first, other.TestAccuracy, other.TestLoss, whole.TestAccuracy, whole.TestLoss)
	if *first <= 17 || math.Abs(other.TestLoss-whole.TestLoss) > 0.02*whole.TestLoss || math.Abs(other.TestAccuracy-whole.TestAccuracy) > 0.03 {
		t.Errorf("continued from batch %d: accuracy %.4f loss %.4f, through in one: %.4f %.4f",
			*first, other.TestAccuracy, other.TestLoss, whole.TestAccuracy, whole.TestLoss)
	}
}
