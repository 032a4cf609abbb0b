package supergraph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/graphenas/graphenas/graphenas/arch"
)

// Config holds the supergraph's shape and the shared weights' optimiser settings. The zero value
// of a field means its default (DefaultConfig), the original GraphEnas settings.
type Config struct {
	// Seed makes weight initialisation, data order and time-budget draws reproducible.
	Seed uint64 `json:"seed"`
	// Nodes is N, the number of nodes of every architecture (input and output included).
	Nodes int `json:"nodes"`
	// Channels is C, the channel count of stage 0; stage s has C·2^s.
	Channels int `json:"channels"`
	// LayersPerStage is L: node i is in stage i/L, and each stage halves the resolution.
	LayersPerStage int `json:"layers_per_stage"`
	// StemStride is 1 or 2. At 2 (the default) the stem reads each 2×2 block of pixels as one
	// pixel with four times the channels (space-to-depth, nothing lost), so every node runs at
	// half the resolution: a quarter of the work (graphenas/DESIGN.md §2). JSON written before the
	// field existed lacks it and reads as 1, the only stem there was then.
	StemStride int `json:"stem_stride"`
	// BatchSize is the number of images per training and evaluation batch.
	BatchSize int `json:"batch_size"`
	// LearningRate of SGD with momentum on the shared weights.
	LearningRate float64 `json:"learning_rate"`
	// Momentum of SGD (PyTorch's convention: v ← μ·v + g; w ← w − lr·v).
	Momentum float64 `json:"momentum"`
	// BNMomentum is the weight of a new batch in batch-norm's running statistics (PyTorch's 0.1).
	BNMomentum float64 `json:"bn_momentum"`
	// WeightsFraction is the share of the training set the weights train on; the rest scores
	// architectures.
	WeightsFraction float64 `json:"weights_fraction"`
	// EvalBatchStats makes evaluation normalise with each batch's own statistics instead of the
	// running ones. A search wants it: a node's running statistics mix every architecture that
	// trained it and lag behind the shared weights, which made validation losses of recently
	// changed nodes jump by orders of magnitude (the weight-sharing literature evaluates the same
	// way, e.g. NAS-Bench-201's supernets). Retraining and testing one architecture do not.
	EvalBatchStats bool `json:"eval_batch_stats"`
	// FullTraining trains the weights on every training image and keeps no architecture split
	// (for retraining one architecture; Evaluate then fails, Test works).
	FullTraining bool `json:"full_training"`
	// CacheSize bounds the number of architectures whose executables are kept.
	CacheSize int `json:"cache_size"`
	// Kernels chooses the layers' formulation: KernelsGo (hand-written backward pass, fast on
	// the Go back-end), KernelsXLA (GoMLX's convolutions with autodiff, for XLA), or
	// KernelsAuto (empty: by back-end). Both compute the same network on the same weights.
	Kernels string `json:"kernels,omitempty"`
}

// DefaultConfig returns the child network: 5 nodes, 20 channels, 4 layers between halvings (the
// original GraphEnas's), a stem of stride 2, batch 64, SGD lr 1e-3 with momentum 0.9, an 80/20
// split.
func DefaultConfig() Config {
	return Config{Seed: 1, Nodes: 5, Channels: 20, StemStride: 2, LayersPerStage: 4, BatchSize: 64,
		LearningRate: 1e-3, Momentum: 0.9, BNMomentum: 0.1, WeightsFraction: 0.8, CacheSize: 32}
}

// UnmarshalJSON reads a configuration; one written before StemStride existed reads as stride 1.
func (c *Config) UnmarshalJSON(raw []byte) error {
	type plain Config
	p := plain{StemStride: 1}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*c = Config(p)
	return nil
}

// WithDefaults fills zero fields from DefaultConfig and checks the result.
func (c Config) WithDefaults() (Config, error) {
	d := DefaultConfig()
	if c.Nodes == 0 {
		c.Nodes = d.Nodes
	}
	if c.Channels == 0 {
		c.Channels = d.Channels
	}
	if c.StemStride == 0 {
		c.StemStride = d.StemStride
	}
	if c.LayersPerStage == 0 {
		c.LayersPerStage = d.LayersPerStage
	}
	if c.BatchSize == 0 {
		c.BatchSize = d.BatchSize
	}
	if c.LearningRate == 0 {
		c.LearningRate = d.LearningRate
	}
	if c.Momentum == 0 {
		c.Momentum = d.Momentum
	}
	if c.BNMomentum == 0 {
		c.BNMomentum = d.BNMomentum
	}
	if c.WeightsFraction == 0 {
		c.WeightsFraction = d.WeightsFraction
	}
	if c.CacheSize == 0 {
		c.CacheSize = d.CacheSize
	}
	switch {
	case c.Nodes < arch.MinNodes || c.Nodes > arch.MaxNodes:
		return c, fmt.Errorf("supergraph: %d nodes, want %d..%d", c.Nodes, arch.MinNodes, arch.MaxNodes)
	case c.Channels < 1 || c.Channels > 4096:
		return c, fmt.Errorf("supergraph: %d channels, want 1..4096", c.Channels)
	case c.StemStride != 1 && c.StemStride != 2:
		return c, fmt.Errorf("supergraph: stem stride %d, want 1 or 2", c.StemStride)
	case c.LayersPerStage < 1:
		return c, fmt.Errorf("supergraph: %d layers per stage, want at least 1", c.LayersPerStage)
	case c.BatchSize < 1:
		return c, fmt.Errorf("supergraph: batch size %d, want at least 1", c.BatchSize)
	case c.LearningRate < 0 || c.Momentum < 0 || c.Momentum >= 1:
		return c, fmt.Errorf("supergraph: learning rate %g / momentum %g out of range", c.LearningRate, c.Momentum)
	case c.BNMomentum <= 0 || c.BNMomentum > 1:
		return c, fmt.Errorf("supergraph: batch-norm momentum %g, want (0, 1]", c.BNMomentum)
	case c.WeightsFraction <= 0 || c.WeightsFraction >= 1:
		return c, fmt.Errorf("supergraph: weights fraction %g, want (0, 1)", c.WeightsFraction)
	case c.CacheSize < 1:
		return c, fmt.Errorf("supergraph: cache size %d, want at least 1", c.CacheSize)
	}
	return c, nil
}

// Stage returns node i's stage, i/L.
func (c Config) Stage(i int) int { return i / c.LayersPerStage }

// NodeChannels returns node i's channel count, C·2^stage.
func (c Config) NodeChannels(i int) int { return c.Channels << c.Stage(i) }

// NodeSize returns node i's spatial size for images of height h and width w: halved (ceil) once
// per stage.
func (c Config) NodeSize(i, h, w int) (int, int) {
	if c.StemStride == 2 {
		h, w = (h+1)/2, (w+1)/2
	}
	for s := 0; s < c.Stage(i); s++ {
		h, w = (h+1)/2, (w+1)/2
	}
	return h, w
}

// StemChannels returns the channels the stem reads from images of inChannels channels: four
// times as many at stem stride 2 (space-to-depth).
func (c Config) StemChannels(inChannels int) int {
	if c.StemStride == 2 {
		return 4 * inChannels
	}
	return inChannels
}

// Params returns the number of trainable weights architecture a uses in a network of this
// configuration for images with inChannels channels and classes classes: the stem, then for every
// live node (arch.Live) its links from live nodes, batch-norm and op, then the head. (Momenta and batch-norm
// running statistics are not counted.)
func (c Config) Params(a *arch.Arch, inChannels, classes int) int {
	c0 := c.NodeChannels(0)
	inChannels = c.StemChannels(inChannels)
	n := 2*inChannels + inChannels*c0 // stem batch-norm and 1×1 conv
	used := a.Live()
	for j := 1; j < a.N(); j++ {
		if !used[j] {
			continue
		}
		cj := c.NodeChannels(j)
		for _, i := range a.Inputs(j) {
			if used[i] {
				n += c.NodeChannels(i) * cj
			}
		}
		n += 2 * cj
		if j == a.N()-1 {
			continue
		}
		op := a.Op(j)
		k := op.Kernel()
		switch op.Family() {
		case arch.FamilyConv, arch.FamilyDilated:
			n += k * k * cj * cj
		case arch.FamilyDepthwise:
			n += k * k * cj
		}
	}
	cOut := c.NodeChannels(a.N() - 1)
	return n + cOut*classes + classes
}

// UsedWeights returns the scopes of the trainable weights architecture a uses (sorted): the
// stem, then per live node its links, batch-norm and op, then the head. Two architectures share
// every weight whose scope appears in both lists.
func (c Config) UsedWeights(a *arch.Arch) []string {
	out := []string{stemScope, stemScope + "/bn"}
	live := a.Live()
	for j := 1; j < a.N(); j++ {
		if !live[j] {
			continue
		}
		for _, i := range a.Inputs(j) {
			if live[i] {
				out = append(out, linkScope(i, j))
			}
		}
		out = append(out, nodeScope(j)+"/bn")
		if j < a.N()-1 && a.Op(j).Family() != arch.FamilyPool {
			out = append(out, opScope(j, a.Op(j)))
		}
	}
	out = append(out, headScope)
	sort.Strings(out)
	return out
}
