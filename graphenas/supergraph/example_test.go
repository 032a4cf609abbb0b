package supergraph_test

import (
	"fmt"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// Train one architecture of a small supergraph on generated images, then score it.
func Example() {
	b, _, err := backend.New() // the Go back-end here; XLA where a PJRT CUDA plugin is installed
	if err != nil {
		panic(err)
	}
	ds := data.SyntheticDataset(400, 64, 8, 8, 1, 4, 1)
	sg, err := supergraph.New(b, ds, supergraph.Config{Seed: 1, Nodes: 4, Channels: 4, LayersPerStage: 2, BatchSize: 16, LearningRate: 0.05})
	if err != nil {
		panic(err)
	}
	a, err := arch.Parse("1:conv3 2:maxpool3 | 0>1 1>2 2>3 0>3")
	if err != nil {
		panic(err)
	}
	train, err := sg.Train(a, supergraph.BatchBudget(60))
	if err != nil {
		panic(err)
	}
	test, err := sg.Test(a)
	if err != nil {
		panic(err)
	}
	fmt.Println("batches:", train.Batches, "test images:", test.Images, "learned:", test.Accuracy > 0.9)
	// Output: batches: 60 test images: 64 learned: true
}
