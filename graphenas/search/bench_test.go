package search

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// BenchmarkResume measures what reopening a run costs now that a checkpoint holds no strategy:
// the shared weights are read, and the logged steps are replayed into a strategy rebuilt from the
// seed. The run has 200 steps of a tiny child network (its training is not replayed, only the
// strategy's work is); the metric ms/step is the replay's cost per logged step.
func BenchmarkResume(b *testing.B) {
	be, err := backend.NewGo()
	if err != nil {
		b.Fatal(err)
	}
	const steps = 200
	for _, name := range []string{StrategyWalk, StrategyGraphEnas, "graphenas-gp", StrategyRandomWalk} {
		b.Run(name, func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "run")
			cfg := Config{Seed: 1, Strategy: name, EvalBatches: 1, Budget: supergraph.BatchBudget(1), CheckpointEvery: steps,
				Supergraph: supergraph.Config{Nodes: 5, Channels: 4, LayersPerStage: 2, BatchSize: 16, LearningRate: 0.05}}
			s, err := Create(be, runData(), cfg, dir)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Run(steps, nil); err != nil {
				b.Fatal(err)
			}
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := Resume(be, runData(), dir)
				if err != nil {
					b.Fatal(err)
				}
				if r.Steps() != steps {
					b.Fatal(fmt.Sprintf("resumed at %d steps", r.Steps()))
				}
				r.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*steps), "ms/step")
		})
	}
}
