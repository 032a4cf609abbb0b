package search_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/search"
)

// ExampleSearch is the notebook workflow: each cell is a fresh program, so it opens the search
// kept in a run directory (creating it the first time), steps, and closes it (a checkpoint);
// the next cell continues where the last one stopped.
func ExampleSearch() {
	b, _, err := backend.New() // the Go back-end on a CPU, XLA where a PJRT plugin is installed
	if err != nil {
		panic(err)
	}
	ds := data.SyntheticDataset(300, 64, 8, 8, 1, 4, 1) // a notebook would load data.FashionMNIST
	cfg := search.DefaultConfig()
	cfg.Supergraph.Channels, cfg.Supergraph.LayersPerStage, cfg.Supergraph.BatchSize = 4, 2, 16
	cfg.Warmup.Batches = 20 // uniform single-path training before the first step (2,000 by default)
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("graphenas-example-%d", os.Getpid()))
	defer os.RemoveAll(dir)

	for cell := 1; cell <= 2; cell++ {
		s, err := search.Open(b, ds, cfg, dir) // a cell: open, step, close
		if err != nil {
			panic(err)
		}
		for i := 0; i < 3; i++ {
			if _, err := s.Step(); err != nil {
				panic(err)
			}
		}
		fmt.Printf("cell %d: %d steps, best so far %v\n", cell, s.Steps(), len(s.Best(1)) == 1)
		if err := s.Close(); err != nil {
			panic(err)
		}
	}
	steps, _ := search.ReadSteps(dir)
	fmt.Println("steps.jsonl:", len(steps), "records; the best architecture is in", search.BestFile)
	// Output:
	// cell 1: 3 steps, best so far true
	// cell 2: 6 steps, best so far true
	// steps.jsonl: 6 records; the best architecture is in best-arch.json
}
