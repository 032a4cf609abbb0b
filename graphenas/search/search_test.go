package search

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

func tinySearch(t *testing.T, strategy string) *Search {
	t.Helper()
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	ds := data.SyntheticDataset(300, 64, 8, 8, 1, 4, 3)
	s, err := New(b, ds, Config{Seed: 5, Strategy: strategy, EvalBatches: 2, Budget: supergraph.BatchBudget(2),
		Supergraph: supergraph.Config{Nodes: 5, Channels: 4, LayersPerStage: 2, BatchSize: 16, LearningRate: 0.05}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// logLines runs n steps and returns the records as JSON lines without their timing.
func logLines(t *testing.T, s *Search, n int) []string {
	var lines []string
	err := s.Run(n, func(r StepRecord) error {
		r.Timing = Timing{}
		b, err := json.Marshal(r)
		lines = append(lines, string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestSearchIsReproducible(t *testing.T) {
	for _, strategy := range []string{StrategyGraphEnas, StrategyRandom} {
		a := logLines(t, tinySearch(t, strategy), 6)
		b := logLines(t, tinySearch(t, strategy), 6)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%s step %d differs:\n%s\n%s", strategy, i, a[i], b[i])
			}
		}
	}
}

func TestStepRecords(t *testing.T) {
	s := tinySearch(t, StrategyGraphEnas)
	if err := s.Run(5, nil); err != nil {
		t.Fatal(err)
	}
	h := s.History()
	if len(h) != 5 {
		t.Fatalf("%d records", len(h))
	}
	for i, r := range h {
		if r.Step != i || r.TrainBatches != 2 || r.ValLoss <= 0 || r.CriticStd <= 0 || r.ArchText == "" || r.Strategy != "graphenas" {
			t.Errorf("record %d: %+v", i, r)
		}
		if i > 0 && r.ArchText == h[i-1].ArchText {
			t.Errorf("step %d did not change the architecture", i)
		}
	}
	best := s.Best(3)
	if len(best) == 0 || len(best) > 3 || (len(best) > 1 && best[0].ValLoss > best[1].ValLoss) {
		t.Errorf("best %+v", best)
	}
	if _, err := New(nil, nil, Config{Strategy: "annealing"}); err == nil || !strings.Contains(err.Error(), `unknown strategy "annealing"`) {
		t.Errorf("unknown strategy: %v", err)
	}
}
