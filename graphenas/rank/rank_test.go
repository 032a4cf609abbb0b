package rank

import (
	"math"
	"strings"
	"testing"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/groundtruth"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// Measure scores every architecture of a table in every batch-norm mode and compares the ranking
// with the table; a table whose "truth" is the shared weights' own accuracy is ranked perfectly,
// and one that reverses it perfectly backwards.
func TestMeasureAgreesWithItsOwnScores(t *testing.T) {
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	ds := data.SyntheticDataset(300, 64, 8, 8, 1, 4, 3)
	sg, err := supergraph.New(b, ds, supergraph.Config{Seed: 2, Nodes: 5, Channels: 4, LayersPerStage: 2, BatchSize: 16, LearningRate: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	m := groundtruth.Manifest{Recipe: groundtruth.Recipe{Nodes: 5, LayersPerStage: 2, Channels: 4, StemStride: 1, BatchSize: 16, Epochs: 1, LearningRate: 0.05},
		Archs: 12, SampleSeed: 3, Seeds: 1}
	archs := groundtruth.Sample(m.Archs, 5, m.SampleSeed)
	for _, a := range archs { // some training, so that architectures differ
		if _, err := sg.Train(a, supergraph.BatchBudget(3)); err != nil {
			t.Fatal(err)
		}
	}
	table := &groundtruth.Table{Manifest: m}
	for i, a := range archs {
		ev, err := sg.Score(a, supergraph.ScoreConfig{Images: 48, Mode: supergraph.BNBatch})
		if err != nil {
			t.Fatal(err)
		}
		table.Entries = append(table.Entries, groundtruth.Entry{Index: i, Arch: a, Seed: 1, TestAccuracy: ev.Accuracy, TestLoss: ev.Loss, Params: 1})
	}
	res, err := Measure(sg, table, Config{Images: 48, CalibrationBatches: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != 12 || len(res.Agreements) != 3 {
		t.Fatalf("%d points, %d agreements", len(res.Points), len(res.Agreements))
	}
	batch := res.Agreements[0]
	if batch.Mode != supergraph.BNBatch || math.Abs(batch.Tau-1) > 1e-9 || batch.Rho < 0.999 || batch.N != 12 || batch.TauSE <= 0 {
		t.Errorf("batch mode against its own scores: %+v", batch)
	}
	for i := range table.Entries {
		table.Entries[i].TestAccuracy = 1 - table.Entries[i].TestAccuracy
	}
	res, _ = Measure(sg, table, Config{Images: 48, CalibrationBatches: 2, Modes: []supergraph.BNMode{supergraph.BNBatch}})
	if a := res.Agreements[0]; math.Abs(a.Tau+1) > 1e-9 || a.Top10 != 0 {
		t.Errorf("reversed truth: %+v", a)
	}
	if md := res.Markdown(); !strings.Contains(md, "| batch | -1.000") {
		t.Errorf("markdown:\n%s", md)
	}
	// A later measurement of the same weights reuses the scores: with the weights "changed" in
	// between, the reused scores show; with another weights ID, everything is scored again.
	measure := func(weights string, reuse *Result) *Result {
		t.Helper()
		r, err := Measure(sg, table, Config{Images: 48, CalibrationBatches: 2, Weights: weights, Modes: []supergraph.BNMode{supergraph.BNBatch}, Reuse: reuse})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	first := measure("w1", nil)
	if _, err := sg.Train(archs[0], supergraph.BatchBudget(20)); err != nil {
		t.Fatal(err)
	}
	again, fresh := measure("w1", first), measure("w2", first)
	if again.Points[0].Scores[supergraph.BNBatch] != first.Points[0].Scores[supergraph.BNBatch] ||
		fresh.Points[0].Scores[supergraph.BNBatch] == first.Points[0].Scores[supergraph.BNBatch] {
		t.Errorf("reuse: first %v, same weights %v, other weights %v", first.Points[0].Scores, again.Points[0].Scores, fresh.Points[0].Scores)
	}
	m.Recipe.Nodes = 6
	table.Manifest = m
	if _, err := Measure(sg, table, Config{}); err == nil {
		t.Error("a table of 6-node architectures ranked on a 5-node supergraph")
	}
}
