package supergraph

import (
	"math"
	"testing"

	"github.com/graphenas/graphenas/graphenas/data"
)

// TestReferenceLossAfter20Batches pins the child network's numbers across rewrites of its
// layers: the reference architecture at full resolution (20 channels, batch 64, the network of
// BENCHMARKS.md), trained 20 batches on generated 28×28 images, must give the losses the
// formulation of commit 1fa9d93 gave, within float32 rounding of a different summation order.
func TestReferenceLossAfter20Batches(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 20 full-resolution batches")
	}
	cfg := DefaultConfig()
	cfg.StemStride = 1
	cfg.LearningRate = 0.05
	ds := data.SyntheticDataset(64*20, 128, 28, 28, 1, 10, 5)
	sg, err := New(getBackend(t), ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := mustParse(t, ReferenceArch)
	tr, err := sg.Train(a, BatchBudget(20))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := sg.Evaluate(a, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mean training loss %.7f, evaluation loss %.7f", tr.Loss, ev.Loss)
	const wantTrain, wantEval = 2.0388535, 3.6461462
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"mean training loss", tr.Loss, wantTrain}, {"evaluation loss", ev.Loss, wantEval}} {
		if math.Abs(c.got-c.want) > 1e-4*math.Abs(c.want) {
			t.Errorf("%s %.7f, want %.7f (relative tolerance 1e-4)", c.name, c.got, c.want)
		}
	}
}
