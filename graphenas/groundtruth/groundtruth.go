// Package groundtruth is what an architecture of the supergraph space is worth when trained alone:
// architectures drawn uniformly from the connected space of the default supergraph, each trained
// from fresh weights with one fixed, cheap recipe (the proxy recipe) and tested, some on several
// training seeds so that the table carries its own noise floor. It is the yardstick the shared
// weights are measured against (do they rank architectures as training them alone would?, Yu et
// al. 2020, "Evaluating the search phase of neural architecture search", arXiv:1902.08142) and
// the one every strategy's pick is judged by, as NAS-Bench-201 (Dong and Yang 2020) is for its
// cell space.
//
// The table shipped with the package (table.csv, manifest.json; README.md says how it was made)
// is read by Load, which checks its facts. Make builds or extends a table in a directory, one
// result file per (architecture, seed), resumable after a kill and shardable over processes and
// machines (MakeConfig.Shard); Collect reads such a directory back.
package groundtruth

import (
	"fmt"

	"github.com/graphenas/graphenas/graphenas/retrain"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// Recipe is how every architecture of a table is trained alone: the child network's shape and a
// retraining budget (retrain.Run: SGD with momentum 0.9, a linear warm-up over the first tenth,
// then cosine annealing to zero), tested on the whole test set.
type Recipe struct {
	// Nodes and LayersPerStage are the supergraph's (its default: 5 nodes, 4 layers per stage).
	Nodes          int `json:"nodes"`
	LayersPerStage int `json:"layers_per_stage"`
	// Channels of the first stage, and the stem's stride (2: every node at half the image's
	// resolution, supergraph.Config.StemStride).
	Channels   int `json:"channels"`
	StemStride int `json:"stem_stride"`
	// BatchSize, Epochs over the training set and the schedule's peak LearningRate.
	BatchSize    int     `json:"batch_size"`
	Epochs       float64 `json:"epochs"`
	LearningRate float64 `json:"learning_rate"`
}

// DefaultRecipe is the proxy recipe chosen by measurement (RESULTS.md, "The proxy recipe"): 8
// channels at half resolution, half an epoch of Fashion-MNIST, batch 64, peak learning rate 0.1.
func DefaultRecipe() Recipe {
	d := supergraph.DefaultConfig()
	return Recipe{Nodes: d.Nodes, LayersPerStage: d.LayersPerStage, Channels: 8, StemStride: 2,
		BatchSize: 64, Epochs: 0.5, LearningRate: 0.1}
}

// Check returns an error naming the first field out of range.
func (r Recipe) Check() error {
	net, err := r.network().WithDefaults()
	if err != nil {
		return fmt.Errorf("groundtruth: recipe %+v: %w", r, err)
	}
	if net.Nodes != r.Nodes || net.LayersPerStage != r.LayersPerStage || net.Channels != r.Channels ||
		net.StemStride != r.StemStride || net.BatchSize != r.BatchSize {
		return fmt.Errorf("groundtruth: recipe %+v leaves a field of the network to its default: give every one", r)
	}
	if !(r.Epochs > 0 && r.Epochs <= 1000) || !(r.LearningRate > 0 && r.LearningRate <= 100) {
		return fmt.Errorf("groundtruth: recipe %+v: epochs and learning rate must be positive (and sane)", r)
	}
	return nil
}

// network is the child network the recipe trains.
func (r Recipe) network() supergraph.Config {
	return supergraph.Config{Nodes: r.Nodes, LayersPerStage: r.LayersPerStage, Channels: r.Channels,
		StemStride: r.StemStride, BatchSize: r.BatchSize, CacheSize: 2}
}

// Retrain returns the retraining of one architecture with this recipe and a training seed.
func (r Recipe) Retrain(seed uint64) retrain.Config {
	return retrain.Config{Seed: seed, Epochs: r.Epochs, LearningRate: r.LearningRate, Network: r.network()}
}

// Matches reports whether res was trained with this recipe (whatever its seed).
func (r Recipe) Matches(res retrain.Result) bool {
	return res.Epochs == r.Epochs && res.LearningRate == r.LearningRate && res.Channels == r.Channels &&
		res.BatchSize == r.BatchSize && max(res.StemStride, 1) == r.StemStride
}

// String describes the recipe in one line.
func (r Recipe) String() string {
	return fmt.Sprintf("%g epochs at %d channels, stem stride %d, batch %d, peak learning rate %g (%d nodes, %d per stage)",
		r.Epochs, r.Channels, r.StemStride, r.BatchSize, r.LearningRate, r.Nodes, r.LayersPerStage)
}
