// Package retrain trains one architecture of the child network from fresh weights on the whole
// training set (warm-up, then cosine annealing) and tests it on the test set: what a search's pick
// is worth, measured outside the search. Each retrains several side by side with one
// configuration, so that their accuracies compare.
package retrain

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"time"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// Config says how to train one architecture from scratch. Zero fields take the defaults in
// their comments.
type Config struct {
	// Seed of the fresh weights and the data order. Default 0.
	Seed uint64
	// Epochs over the whole training set; fractions allowed. Default 1.
	Epochs float64
	// Network is the child network's shape and optimiser (supergraph.DefaultConfig when zero);
	// its LearningRate is the peak of the schedule. Node count must match the architecture.
	Network supergraph.Config
	// LearningRate is the schedule's peak (default 0.05, SGD with momentum 0.9): a linear warm-up
	// over the first WarmupEpochs (default 0.1 epoch, at most a tenth of the run), then cosine
	// annealing to zero.
	LearningRate float64
	WarmupEpochs float64
	// ReportEvery is the number of batches between calls of Progress. Default 50.
	ReportEvery int
	// Progress, when set, is called every ReportEvery batches and at the end of training;
	// TestProgress, when set, after each batch of the test with the images tested so far and
	// the test set's size.
	Progress     func(Point)             `json:"-"`
	TestProgress func(images, total int) `json:"-"`
	// Checkpoint, when set, is a file where the retraining saves its state every CheckpointEvery
	// (default one minute) and when its training ends, before the test. Started again with the
	// same file, architecture, data set, network and budget, it continues from there and gives
	// the result an uninterrupted retraining gives (all but the times); a checkpoint of another
	// retraining is an error. The file is removed when the retraining finishes.
	Checkpoint      string        `json:"-"`
	CheckpointEvery time.Duration `json:"-"`
}

// Point is the state of a retraining at one moment.
type Point struct {
	Epoch         float64 `json:"epoch"`
	Batches       int     `json:"batches"`
	TotalBatches  int     `json:"total_batches"`
	LearningRate  float64 `json:"learning_rate"`
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	Seconds       float64 `json:"seconds"`
}

// Result is what Run reports.
type Result struct {
	Arch string `json:"arch"`
	// Params is the number of trainable weights of the architecture.
	Params int     `json:"params"`
	Epochs float64 `json:"epochs"`
	// The rest of the budget it was retrained with: seed, peak learning rate, channels of the first
	// stage and batch size (zero in results written before they were recorded).
	Seed         uint64  `json:"seed,omitempty"`
	LearningRate float64 `json:"learning_rate,omitempty"`
	Channels     int     `json:"channels,omitempty"`
	BatchSize    int     `json:"batch_size,omitempty"`
	// TestLoss and TestAccuracy on the whole test set.
	TestLoss     float64 `json:"test_loss"`
	TestAccuracy float64 `json:"test_accuracy"`
	Seconds      float64 `json:"seconds"`
	// Curve holds one point per report.
	Curve []Point `json:"curve"`
}

// withDefaults fills the zero fields of c with their defaults.
func (c Config) withDefaults() Config {
	if c.Epochs == 0 {
		c.Epochs = 1
	}
	if c.LearningRate == 0 {
		c.LearningRate = 0.05
	}
	if c.WarmupEpochs == 0 {
		c.WarmupEpochs = math.Min(0.1, c.Epochs/10)
	}
	if c.ReportEvery == 0 {
		c.ReportEvery = 50
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = time.Minute
	}
	return c
}

// SameBudget reports whether r was retrained with cfg's epochs, peak learning rate, channels and
// batch size (not its seed). A field r does not record (a result from before it was recorded) or
// cfg leaves to the network's default counts as equal.
func (r Result) SameBudget(cfg Config) bool {
	cfg = cfg.withDefaults()
	same := func(recorded, asked float64) bool { return recorded == 0 || asked == 0 || recorded == asked }
	return r.Epochs == cfg.Epochs && same(r.LearningRate, cfg.LearningRate) &&
		same(float64(r.Channels), float64(cfg.Network.Channels)) && same(float64(r.BatchSize), float64(cfg.Network.BatchSize))
}

// Run trains architecture a from fresh weights on the whole training set of ds with a
// warm-up and cosine learning-rate schedule, then tests it on the test set.
func Run(b compute.Backend, ds *data.Dataset, a *arch.Arch, cfg Config) (Result, error) {
	var res Result
	if a == nil {
		return res, fmt.Errorf("retrain: nil architecture")
	}
	cfg = cfg.withDefaults()
	if cfg.Epochs < 0 || cfg.LearningRate < 0 || cfg.WarmupEpochs < 0 || cfg.WarmupEpochs > cfg.Epochs || cfg.ReportEvery < 0 {
		return res, fmt.Errorf("retrain: epochs %g, learning rate %g, warm-up %g, report every %d out of range",
			cfg.Epochs, cfg.LearningRate, cfg.WarmupEpochs, cfg.ReportEvery)
	}
	net := cfg.Network
	if net.Nodes == 0 {
		net.Nodes = a.N()
	}
	net.Seed, net.FullTraining, net.LearningRate = cfg.Seed, true, cfg.LearningRate
	sg, err := supergraph.New(b, ds, net)
	if err != nil {
		return res, fmt.Errorf("retrain: %w", err)
	}
	if err := sg.Check(a); err != nil {
		return res, fmt.Errorf("retrain: %w", err)
	}
	if !a.Connected() {
		return res, fmt.Errorf("retrain: %v has no path from the input (node 0) to the output (node %d): it ignores its input and can only guess", a, a.N()-1)
	}
	net = sg.Config()
	res.Arch, res.Epochs = a.String(), cfg.Epochs
	res.Seed, res.LearningRate, res.Channels, res.BatchSize = cfg.Seed, cfg.LearningRate, net.Channels, net.BatchSize
	res.Params = net.Params(a, ds.Train.Channels, ds.Train.NumClasses)
	perEpoch := float64(ds.Train.N) / float64(net.BatchSize)
	total := max(1, int(math.Round(cfg.Epochs*perEpoch)))
	warmup := int(math.Round(cfg.WarmupEpochs * perEpoch))
	// The retraining as a checkpoint records it; its progress fields move as it trains.
	st := checkpointState{Version: checkpointVersion, Arch: res.Arch, Dataset: ds.Fingerprint(), Seed: cfg.Seed,
		Epochs: cfg.Epochs, LearningRate: cfg.LearningRate, WarmupEpochs: cfg.WarmupEpochs, ReportEvery: cfg.ReportEvery}
	if cfg.Checkpoint != "" {
		saved, err := loadCheckpoint(cfg.Checkpoint)
		if err != nil {
			return res, err
		}
		if saved != nil {
			if err := saved.sameRetraining(st); err != nil {
				return res, fmt.Errorf("retrain: checkpoint %s is of another retraining (delete it, or retrain with its settings): %w", cfg.Checkpoint, err)
			}
			if saved.Batches > total {
				return res, fmt.Errorf("retrain: checkpoint %s is %d batches in, past this retraining's %d", cfg.Checkpoint, saved.Batches, total)
			}
			if err := sg.SetState(saved.Supergraph); err != nil {
				return res, fmt.Errorf("retrain: checkpoint %s: %w", cfg.Checkpoint, err)
			}
			st = *saved
		}
	}
	start := time.Now().Add(-time.Duration(st.Seconds * float64(time.Second)))
	lastSave := time.Now()
	save := func() error {
		var err error
		if st.Supergraph, err = sg.State(); err != nil {
			return fmt.Errorf("retrain: checkpoint %s not written: %w", cfg.Checkpoint, err)
		}
		st.Seconds, lastSave = time.Since(start).Seconds(), time.Now()
		return saveCheckpoint(cfg.Checkpoint, &st)
	}
	for st.Batches < total {
		done := st.Batches
		lr := cfg.LearningRate * 0.5 * (1 + math.Cos(math.Pi*float64(done-warmup)/float64(max(1, total-warmup))))
		if done < warmup {
			lr = cfg.LearningRate * float64(done+1) / float64(warmup)
		}
		if err := sg.SetLearningRate(lr); err != nil {
			return res, err
		}
		// A few batches per learning-rate value keeps the schedule smooth and the calls cheap.
		n := min(10, total-done)
		if done < warmup {
			n = 1
		}
		tr, err := sg.Train(a, supergraph.BatchBudget(n))
		if err != nil {
			return res, fmt.Errorf("retrain: %w", err)
		}
		if !math.IsNaN(tr.Loss) {
			st.LossSum += tr.Loss * float64(tr.Batches)
			st.AccSum += tr.Accuracy * float64(tr.Batches)
			st.Count += tr.Batches
		}
		st.Batches += n
		if (cfg.ReportEvery > 0 && st.Batches/cfg.ReportEvery != done/cfg.ReportEvery) || st.Batches == total {
			// With no finite batch since the last report, the train loss and accuracy stay 0.
			p := Point{Epoch: float64(st.Batches) / perEpoch, Batches: st.Batches, TotalBatches: total, LearningRate: lr,
				Seconds: time.Since(start).Seconds()}
			if st.Count > 0 {
				p.TrainLoss, p.TrainAccuracy = st.LossSum/float64(st.Count), st.AccSum/float64(st.Count)
			}
			st.LossSum, st.AccSum, st.Count = 0, 0, 0
			st.Curve = append(st.Curve, p)
			if cfg.Progress != nil {
				cfg.Progress(p)
			}
		}
		if cfg.Checkpoint != "" && (st.Batches == total || time.Since(lastSave) >= cfg.CheckpointEvery) {
			if err := save(); err != nil {
				return res, err
			}
		}
		if afterChunk != nil {
			if err := afterChunk(st.Batches); err != nil {
				return res, err
			}
		}
	}
	res.Curve = st.Curve
	ev, err := sg.TestShowing(a, cfg.TestProgress)
	if err != nil {
		return res, fmt.Errorf("retrain: %w", err)
	}
	res.TestLoss, res.TestAccuracy, res.Seconds = ev.Loss, ev.Accuracy, time.Since(start).Seconds()
	if cfg.Checkpoint != "" {
		if err := os.Remove(cfg.Checkpoint); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("retrain: removing the finished retraining's checkpoint: %w", err)
		}
	}
	return res, nil
}

// afterChunk, when set (by tests), is called after each group of batches with the batches done;
// an error stops the retraining there, as a crash would.
var afterChunk func(batches int) error

// Candidate is an architecture with a name, retrained beside others (Each).
type Candidate struct {
	Name string     `json:"name"`
	Arch *arch.Arch `json:"arch"`
}

// Each retrains every candidate with the same configuration (seed, schedule, network,
// budget) and tests each on the whole test set, so that their accuracies compare: what a search
// bought is its pick's accuracy beside a random architecture's and a reference's. progress, when
// set, is called with the candidate's index and each point of its retraining.
func Each(b compute.Backend, ds *data.Dataset, candidates []Candidate, cfg Config, progress func(i int, p Point)) ([]Result, error) {
	out := make([]Result, 0, len(candidates))
	for i, c := range candidates {
		cc := cfg
		if progress != nil {
			cc.Progress = func(p Point) { progress(i, p) }
		}
		r, err := Run(b, ds, c.Arch, cc)
		if err != nil {
			return out, fmt.Errorf("%s: %w", c.Name, err)
		}
		out = append(out, r)
	}
	return out, nil
}
