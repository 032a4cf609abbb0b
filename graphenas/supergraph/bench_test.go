package supergraph

import (
	"testing"

	"github.com/graphenas/graphenas/graphenas/data"
)

// BenchmarkChildTrain measures one training batch of the reference architecture on Fashion-MNIST
// with the original child configuration at full resolution (skipped when the data set is not
// installed). Run with `go test -bench ChildTrain -benchtime 5x ./graphenas/supergraph`.
func BenchmarkChildTrain(b *testing.B) {
	cfg := DefaultConfig()
	cfg.StemStride = 1 // the full-resolution network of BENCHMARKS.md's figures
	benchmarkTrain(b, cfg)
}

// BenchmarkProxyTrain is BenchmarkChildTrain on the ground truth's proxy network: 8 channels,
// stem stride 2, batch 64.
func BenchmarkProxyTrain(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Channels = 8
	benchmarkTrain(b, cfg)
}

// benchmarkTrain measures one training batch of the reference architecture in cfg's network.
func benchmarkTrain(b *testing.B, cfg Config) {
	ds, err := data.Load(data.FashionMNIST, "")
	if err != nil {
		b.Skip(err)
	}
	sg, err := New(getBackend(b), ds, cfg)
	if err != nil {
		b.Fatal(err)
	}
	a := mustParseB(b, ReferenceArch)
	if _, err := sg.Train(a, BatchBudget(1)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sg.Train(a, BatchBudget(1)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*sg.cfg.BatchSize)/b.Elapsed().Seconds(), "images/s")
}

// TestBenchChildSmall runs the benchmark code on a tiny configuration, so that the command that
// reports the numbers is itself tested.
func TestBenchChildSmall(t *testing.T) {
	ds := data.SyntheticDataset(200, 32, 10, 10, 1, 3, 2)
	cfg := Config{Seed: 1, Nodes: 5, Channels: 4, LayersPerStage: 4, BatchSize: 8}
	r, err := BenchChild(getBackend(t), "go", ds, cfg, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	if r.TrainImagesPerS <= 0 || r.EvalImagesPerS <= 0 || r.TrainBatches < 2 || r.SwitchCachedMs <= 0 || r.SwitchCachedMs > 5 || r.BatchSize != 8 {
		t.Fatalf("bench %+v", r)
	}
	if r.Kernels != KernelsGo {
		t.Errorf("kernels %q on the Go back-end", r.Kernels)
	}
	for _, form := range formulations {
		ops, err := BenchOps(getBackend(t), form, 2, 6, 6, 3, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(ops) != 12 || ops[3].Op != "conv3" || ops[0].BackwardMs <= 0 {
			t.Fatalf("%s: ops %+v", form, ops)
		}
	}
}
