package tabular

import (
	"testing"

	"github.com/graphenas/graphenas/graphenas/backend"
)

// BenchmarkStrategySeed measures one seed of the pre-registered benchmark per strategy: 200
// noisy (σ 0.5) CIFAR-10 queries, scored at 100 and 200, as `graphenas tabular` runs it. The
// reported time per op is the cost of one seed; random search is the strategy-free baseline of
// the same run (its cost is the table's lookups and the loop). The back-end is the one the CLI
// would choose (backend.New), so $GOMLX_BACKEND selects another, e.g.
// GOMLX_BACKEND=go:parallelism=-1,ops_sequential. Run one benchmark at a time:
//
//	GOEXPERIMENT=simd go test -run '^$' -bench StrategySeed -benchtime 3x ./graphenas/tabular/
func BenchmarkStrategySeed(b *testing.B) {
	tab := loadTable(b)
	be, choice, err := backend.New()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("back-end %s (%s)", choice.Config, choice.Reason)
	for _, name := range []string{"random", "evolution", "gp-local", "graphenas", "graphenas-gp"} {
		b.Run(name, func(b *testing.B) {
			cfg := Config{Dataset: CIFAR10, Checkpoints: []int{100, 200}, Noise: 0.5, Seeds: 1, SeedOffset: 100}
			for b.Loop() {
				if _, err := Run(tab, cfg, name, mustFactory(b, name, be)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
