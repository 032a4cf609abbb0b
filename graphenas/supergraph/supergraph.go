// Package supergraph is the child network of GraphEnas: one set of shared weights for every
// architecture the search can visit (ENAS weight sharing: Pham et al. 2018, "Efficient Neural
// Architecture Search via Parameter Sharing", arXiv:1802.03268), trained for a budget on the
// architecture the controller chose.
//
// The network is graphenas/DESIGN.md §2: a DAG of N nodes; node 0 is a batch-norm and 1×1 conv stem; node
// j sums 1×1-conv links from its inputs (max-pooled once per stage crossed), then batch-norm, its
// op, and fuzzy ReLU; the output node feeds global average pooling and a linear head. Only
// nodes on a path from the input to the output are computed (arch.Live), and only the weights
// they use are updated.
//
// On GoMLX's pure-Go back-end every op is built from products, slices and element-wise ops with a
// hand-written backward pass (see tape.go and layers.go): that back-end can neither differentiate
// convolutions nor run them fast. The same formulation runs on the XLA back-end.
package supergraph

import (
	"container/list"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph-building code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/progress"
)

// Budget says how long Train trains: a number of batches (reproducible; tests use it) or
// wall-clock time, optionally drawn uniformly from [0, 2·Time] at each call as the original
// GraphEnas does, so that slow but strong architectures are not favoured.
type Budget struct {
	// Batches, when positive, is the exact number of batches.
	Batches int `json:"batches,omitempty"`
	// Time, when Batches is zero, is the training time (in JSON, "seconds").
	Time time.Duration `json:"-"`
	// RandomTime draws the time budget uniformly from [0, 2·Time].
	RandomTime bool `json:"random_time,omitempty"`
}

// budgetJSON is Budget's JSON form: the time in seconds.
type budgetJSON struct {
	Batches    int     `json:"batches,omitempty"`
	Seconds    float64 `json:"seconds,omitempty"`
	RandomTime bool    `json:"random_time,omitempty"`
}

// MarshalJSON writes the budget with its time in seconds.
func (b Budget) MarshalJSON() ([]byte, error) {
	return json.Marshal(budgetJSON{Batches: b.Batches, Seconds: b.Time.Seconds(), RandomTime: b.RandomTime})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (b *Budget) UnmarshalJSON(raw []byte) error {
	var j budgetJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return err
	}
	if math.IsNaN(j.Seconds) || math.IsInf(j.Seconds, 0) || j.Seconds < 0 || j.Batches < 0 {
		return fmt.Errorf("supergraph: budget %+v out of range", j)
	}
	*b = Budget{Batches: j.Batches, Time: time.Duration(j.Seconds * float64(time.Second)), RandomTime: j.RandomTime}
	return nil
}

// BatchBudget returns a budget of n batches.
func BatchBudget(n int) Budget { return Budget{Batches: n} }

// TimeBudget returns a wall-clock budget.
func TimeBudget(d time.Duration) Budget { return Budget{Time: d} }

// String describes the budget.
func (b Budget) String() string {
	switch {
	case b.Batches > 0:
		return fmt.Sprintf("%d batches", b.Batches)
	case b.RandomTime:
		return fmt.Sprintf("U[0, %v]", 2*b.Time)
	default:
		return b.Time.String()
	}
}

// TrainResult reports one call of Train.
type TrainResult struct {
	// Batches trained, and the wall-clock seconds they took (graph building included).
	Batches int     `json:"batches"`
	Seconds float64 `json:"seconds"`
	// Loss and Accuracy are the means over the finite batches.
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
	// NonFinite counts batches whose loss or gradients were NaN or Inf: they updated nothing.
	NonFinite int `json:"non_finite"`
	// BuildSeconds is the time spent building executables for a new architecture.
	BuildSeconds float64 `json:"build_seconds"`
}

// EvalResult reports an evaluation.
type EvalResult struct {
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
	Images   int     `json:"images"`
	Seconds  float64 `json:"seconds"`
}

// Supergraph owns the shared weights, their optimiser state, the data iterators and a bounded
// cache of executables per architecture.
type Supergraph struct {
	cfg     Config
	backend compute.Backend
	store   *model.Store
	ds      *data.Dataset
	pcg     *rand.PCG
	rng     *rand.Rand
	lr      float64

	kernels string // KernelsGo or KernelsXLA, resolved from Config.Kernels and the back-end

	trainBatches, archBatches *data.Batcher
	batch                     data.Batch

	cache    map[string]*list.Element // arch key → element of lru holding *compiled
	lru      *list.List
	lastHits struct{ hit, miss int }
}

// compiled holds one architecture's executables.
type compiled struct {
	key         string
	train, eval *model.Exec
}

// New creates the supergraph for the data set ds on backend, with fresh weights from cfg.Seed.
func New(backend compute.Backend, ds *data.Dataset, cfg Config) (*Supergraph, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	if backend == nil || ds == nil || ds.Train == nil || ds.Test == nil {
		return nil, fmt.Errorf("supergraph: need a back-end and a data set with training and test images")
	}
	if err := ds.Check(); err != nil {
		return nil, fmt.Errorf("supergraph: %w", err)
	}
	var weightsIdx, archIdx []int // nil: every training image
	if !cfg.FullTraining {
		if weightsIdx, archIdx, err = data.Split(ds.Train.N, cfg.WeightsFraction, cfg.Seed); err != nil {
			return nil, fmt.Errorf("supergraph: %w", err)
		}
	}
	trainBatches, err := data.NewBatcher(ds.Train, weightsIdx, cfg.BatchSize, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("supergraph: weights split: %w", err)
	}
	var archBatches *data.Batcher
	if !cfg.FullTraining {
		if archBatches, err = data.NewBatcher(ds.Train, archIdx, cfg.BatchSize, cfg.Seed+1); err != nil {
			return nil, fmt.Errorf("supergraph: architecture split: %w", err)
		}
	}
	pcg := rand.NewPCG(cfg.Seed, 0xB0D6E7)
	s := &Supergraph{cfg: cfg, backend: backend, store: model.NewStore(), ds: ds,
		pcg: pcg, rng: rand.New(pcg), lr: cfg.LearningRate,
		trainBatches: trainBatches, archBatches: archBatches,
		cache: map[string]*list.Element{}, lru: list.New()}
	if s.kernels, err = resolveKernels(cfg.Kernels, backend); err != nil {
		return nil, err
	}
	newWeights(s.store, cfg, ds.Train.Channels, ds.Train.NumClasses, cfg.Seed)
	return s, nil
}

// Kernels returns the layers' formulation in use: KernelsGo or KernelsXLA.
func (s *Supergraph) Kernels() string { return s.kernels }

// resolveKernels names the formulation for want (KernelsAuto: by back-end).
func resolveKernels(want string, b compute.Backend) (string, error) {
	switch want {
	case KernelsAuto:
		if backend.IsXLA(b) {
			return KernelsXLA, nil
		}
		return KernelsGo, nil
	case KernelsGo, KernelsXLA:
		return want, nil
	}
	return "", fmt.Errorf("supergraph: unknown kernels %q, want %q, %q or empty (by back-end)", want, KernelsGo, KernelsXLA)
}

// Config returns the configuration in use, defaults filled in.
func (s *Supergraph) Config() Config { return s.cfg }

// Store returns the GoMLX model store holding the shared weights.
func (s *Supergraph) Store() *model.Store { return s.store }

// Dataset returns the data set the supergraph trains on.
func (s *Supergraph) Dataset() *data.Dataset { return s.ds }

// Backend returns the GoMLX back-end.
func (s *Supergraph) Backend() compute.Backend { return s.backend }

// LearningRate returns the learning rate the next training batches use.
func (s *Supergraph) LearningRate() float64 { return s.lr }

// SetLearningRate changes the learning rate of the following training batches (for schedules);
// the compiled executables take it as an input, so nothing is rebuilt.
func (s *Supergraph) SetLearningRate(lr float64) error {
	if lr < 0 || math.IsNaN(lr) || math.IsInf(lr, 0) {
		return fmt.Errorf("supergraph: learning rate %g", lr)
	}
	s.lr = lr
	return nil
}

// Check returns an error when a does not fit this supergraph.
func (s *Supergraph) Check(a *arch.Arch) error {
	if a == nil {
		return fmt.Errorf("supergraph: nil architecture")
	}
	if err := a.Validate(); err != nil {
		return err
	}
	if a.N() != s.cfg.Nodes {
		return fmt.Errorf("supergraph: architecture has %d nodes, the supergraph %d", a.N(), s.cfg.Nodes)
	}
	return nil
}

// executables returns a's executables, building them on a cache miss (and evicting the least
// recently used architecture when the cache is full). built reports a miss.
func (s *Supergraph) executables(a *arch.Arch) (c *compiled, built bool, err error) {
	key := a.Key()
	if el, ok := s.cache[key]; ok {
		s.lru.MoveToFront(el)
		s.lastHits.hit++
		return el.Value.(*compiled), false, nil
	}
	s.lastHits.miss++
	a = a.Clone()
	cfg := s.cfg
	k, err := newKernels(s.kernels)
	if err != nil {
		return nil, false, err
	}
	train, err := model.NewExec(s.backend, s.store, func(_ *model.Scope, images, labels, lr *Node) []*Node {
		k, _ := newKernels(s.kernels) // a fresh tape for every graph built
		return trainStep(cfg, s.store, k, a, images, labels, lr)
	})
	if err != nil {
		return nil, false, fmt.Errorf("supergraph: building the training graph of %v: %w", a, err)
	}
	eval, err := model.NewExec(s.backend, s.store, func(_ *model.Scope, images, labels *Node) []*Node {
		return evalStep(cfg, s.store, k.inference(), a, images, labels)
	})
	if err != nil {
		return nil, false, fmt.Errorf("supergraph: building the evaluation graph of %v: %w", a, err)
	}
	c = &compiled{key: key, train: train, eval: eval}
	s.cache[key] = s.lru.PushFront(c)
	for s.lru.Len() > s.cfg.CacheSize {
		old := s.lru.Remove(s.lru.Back()).(*compiled)
		delete(s.cache, old.key)
		old.train.Finalize()
		old.eval.Finalize()
	}
	return c, true, nil
}

// Train trains the shared weights on architecture a for the budget, on the weights split.
func (s *Supergraph) Train(a *arch.Arch, budget Budget) (TrainResult, error) {
	var res TrainResult
	if err := s.Check(a); err != nil {
		return res, err
	}
	if budget.Batches <= 0 && budget.Time <= 0 {
		return res, fmt.Errorf("supergraph: empty budget %+v: give batches or a time", budget)
	}
	start := time.Now()
	c, built, err := s.executables(a)
	if err != nil {
		return res, err
	}
	limit := budget.Time
	if budget.Batches <= 0 && budget.RandomTime {
		limit = time.Duration(s.rng.Float64() * 2 * float64(budget.Time))
	}
	lr := float32(s.lr)
	var lossSum, correctSum float64
	finiteBatches := 0
	for {
		if budget.Batches > 0 && res.Batches >= budget.Batches {
			break
		}
		if budget.Batches <= 0 && time.Since(start) >= limit {
			break
		}
		b := s.trainBatches.Next(&s.batch)
		images, labels := s.batchTensors(b)
		t0 := time.Now()
		out, err := c.train.Call(images, labels, lr)
		if err != nil {
			return res, fmt.Errorf("supergraph: training %v: %w", a, err)
		}
		if built && res.Batches == 0 {
			res.BuildSeconds = time.Since(t0).Seconds() // the first call builds the graph.
		}
		res.Batches++
		loss, correct, finite := scalar(out[0]), scalar(out[1]), scalar(out[2])
		if finite == 0 || math.IsNaN(loss) || math.IsInf(loss, 0) {
			res.NonFinite++
			continue
		}
		finiteBatches++
		lossSum += loss
		correctSum += correct
	}
	if finiteBatches > 0 {
		res.Loss = lossSum / float64(finiteBatches)
		res.Accuracy = correctSum / float64(finiteBatches*s.cfg.BatchSize)
	} else {
		res.Loss, res.Accuracy = math.NaN(), math.NaN()
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// Evaluate returns the mean loss and accuracy of a on the next batches of the architecture split.
func (s *Supergraph) Evaluate(a *arch.Arch, batches int) (EvalResult, error) {
	if batches <= 0 {
		return EvalResult{}, fmt.Errorf("supergraph: evaluate on %d batches", batches)
	}
	if s.archBatches == nil {
		return EvalResult{}, fmt.Errorf("supergraph: no architecture split (FullTraining trains on every image): use Test")
	}
	return s.evaluate(a, func(k int) (*data.Batch, bool) {
		if k >= batches {
			return nil, false
		}
		return s.archBatches.Next(&s.batch), true
	})
}

// Test returns the loss and accuracy of a on the whole test set.
func (s *Supergraph) Test(a *arch.Arch) (EvalResult, error) { return s.TestShowing(a, nil) }

// TestShowing is Test that reports to report, when set, after each batch (phase "test", Done the
// images tested so far of the test set's Total): testing a wide network on a CPU takes minutes.
func (s *Supergraph) TestShowing(a *arch.Arch, report progress.Func) (EvalResult, error) {
	test, err := data.NewBatcher(s.ds.Test, nil, min(s.cfg.BatchSize, s.ds.Test.N), 0)
	if err != nil {
		return EvalResult{}, err
	}
	bs := test.BatchSize()
	var batch data.Batch
	return s.evaluate(a, func(k int) (*data.Batch, bool) {
		start := k * bs
		if report != nil && k > 0 {
			report(progress.Event{Phase: "test", Done: min(start, s.ds.Test.N), Total: s.ds.Test.N, Status: "images"})
		}
		if start >= s.ds.Test.N {
			return nil, false
		}
		return test.Sequential(start, min(bs, s.ds.Test.N-start), &batch), true
	})
}

// evaluate runs the inference graph of a over the batches next returns.
func (s *Supergraph) evaluate(a *arch.Arch, next func(k int) (*data.Batch, bool)) (EvalResult, error) {
	var res EvalResult
	if err := s.Check(a); err != nil {
		return res, err
	}
	start := time.Now()
	c, _, err := s.executables(a)
	if err != nil {
		return res, err
	}
	var lossSum, correctSum float64
	for k := 0; ; k++ {
		b, ok := next(k)
		if !ok {
			break
		}
		images, labels := s.batchTensors(b)
		out, err := c.eval.Call(images, labels)
		if err != nil {
			return res, fmt.Errorf("supergraph: evaluating %v: %w", a, err)
		}
		lossSum += scalar(out[0])
		correctSum += scalar(out[1])
		res.Images += b.Size
	}
	res.Loss = lossSum / float64(res.Images)
	res.Accuracy = correctSum / float64(res.Images)
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// batchTensors wraps a batch as tensors: images [B, H, W, C] and labels [B].
func (s *Supergraph) batchTensors(b *data.Batch) (*tensors.Tensor, *tensors.Tensor) {
	set := s.ds.Train
	images := tensors.FromFlatDataAndDimensions(append([]float32(nil), b.Images...), b.Size, set.Height, set.Width, set.Channels)
	labels := tensors.FromFlatDataAndDimensions(append([]int32(nil), b.Labels...), b.Size)
	return images, labels
}

// CacheStats returns how many executable look-ups hit and missed the cache so far.
func (s *Supergraph) CacheStats() (hits, misses int) { return s.lastHits.hit, s.lastHits.miss }

// scalar reads a scalar float32 tensor.
func scalar(t *tensors.Tensor) float64 {
	defer t.FinalizeAll()
	return float64(tensors.ToScalar[float32](t))
}
