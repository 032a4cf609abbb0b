// Package retrain trains one architecture of the child network from fresh weights on the whole
// training set (warm-up, then cosine annealing) and tests it on the test set: what a search's pick
// is worth, measured outside the search. Each retrains several side by side with one
// configuration, so that their accuracies compare.
package retrain

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/ckpt"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/progress"
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
	// ReportEvery is the number of batches between two points of the curve (and progress events).
	// Default 50.
	ReportEvery int
	// Progress, when set, receives an event at each point of the curve (phase "retrain", Done
	// the batches of Total) and after each batch of the test (phase "test", Done the images
	// tested of Total).
	Progress progress.Func `json:"-"`
	// Checkpoint, when set, is a file where the retraining saves its state every CheckpointEvery
	// (default one minute) and when its training ends, before the test. Started again with the
	// same file, architecture, data set, network and budget, it continues from there and gives
	// the result an uninterrupted retraining gives (all but the times); a checkpoint of another
	// retraining is an error. Its folder must be writable before training starts; a save that
	// fails later (a full disk) is a warning in the result, and training goes on. The file is
	// removed when the retraining finishes (after Out is written).
	Checkpoint      string        `json:"-"`
	CheckpointEvery time.Duration `json:"-"`
	// afterChunk, when set (by tests), is called after each group of batches with the batches
	// done; an error stops the retraining there, as a crash would.
	afterChunk func(batches int) error
	// Out, when set, is a file the result is written to as JSON (atomically) before the
	// checkpoint is removed, so that no moment of a crash loses a finished retraining. Its
	// folder must be writable before training starts.
	Out string `json:"-"`
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
	// StemStride of the network it was retrained with (0 in results written before it was
	// recorded, which had stride 1).
	StemStride int `json:"stem_stride,omitempty"`
	// TestLoss and TestAccuracy on the whole test set. A retraining whose weights diverged has
	// Diverged set and a test loss that is not finite (written null in JSON); its accuracy is
	// what the diverged network scored.
	TestLoss     float64 `json:"test_loss"`
	TestAccuracy float64 `json:"test_accuracy"`
	Diverged     bool    `json:"diverged,omitempty"`
	Seconds      float64 `json:"seconds"`
	// Curve holds one point per report.
	Curve []Point `json:"curve"`
	// Warnings are what went wrong without stopping the retraining (a checkpoint not saved).
	Warnings []string `json:"warnings,omitempty"`
}

// MarshalJSON writes a test loss that is not finite (a diverged retraining) as null, which JSON
// can hold where it cannot hold NaN.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	out := struct {
		plain
		TestLoss *float64 `json:"test_loss"`
	}{plain: plain(r)}
	if !math.IsNaN(r.TestLoss) && !math.IsInf(r.TestLoss, 0) {
		out.TestLoss = &r.TestLoss
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes: a null test loss is NaN.
func (r *Result) UnmarshalJSON(raw []byte) error {
	type plain Result
	in := struct {
		*plain
		TestLoss *float64 `json:"test_loss"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(raw, &in); err != nil {
		return err
	}
	r.TestLoss = math.NaN()
	if in.TestLoss != nil {
		r.TestLoss = *in.TestLoss
	}
	return nil
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
	stride := func(s int) int { return max(s, 1) } // 0 is 1, the layout before the stride existed
	return r.Epochs == cfg.Epochs && same(r.LearningRate, cfg.LearningRate) &&
		same(float64(r.Channels), float64(cfg.Network.Channels)) && same(float64(r.BatchSize), float64(cfg.Network.BatchSize)) &&
		stride(r.StemStride) == stride(cfg.Network.StemStride)
}

// Run trains architecture a from fresh weights on the whole training set of ds with a
// warm-up and cosine learning-rate schedule, then tests it on the test set. With a Checkpoint it
// continues a retraining stopped part-way; with Out it writes its result there.
func Run(b compute.Backend, ds *data.Dataset, a *arch.Arch, cfg Config) (Result, error) {
	if a == nil {
		return Result{}, fmt.Errorf("retrain: nil architecture")
	}
	cfg = cfg.withDefaults()
	if cfg.Epochs < 0 || cfg.LearningRate < 0 || cfg.WarmupEpochs < 0 || cfg.WarmupEpochs > cfg.Epochs || cfg.ReportEvery < 0 {
		return Result{}, fmt.Errorf("retrain: epochs %g, learning rate %g, warm-up %g, report every %d out of range",
			cfg.Epochs, cfg.LearningRate, cfg.WarmupEpochs, cfg.ReportEvery)
	}
	sg, err := newNetwork(b, ds, a, cfg)
	if err != nil {
		return Result{}, err
	}
	net := sg.Config()
	res := Result{Arch: a.String(), Epochs: cfg.Epochs, Seed: cfg.Seed, LearningRate: cfg.LearningRate,
		Channels: net.Channels, BatchSize: net.BatchSize, StemStride: net.StemStride,
		Params: net.Params(a, ds.Train.Channels, ds.Train.NumClasses)}
	sched := newSchedule(cfg, ds.Train.N, net.BatchSize)
	// Where the result and the checkpoint go is checked before any training: a folder that
	// cannot take them would otherwise cost the whole retraining.
	for _, path := range []string{cfg.Checkpoint, cfg.Out} {
		if err := checkWritable(path); err != nil {
			return res, err
		}
	}
	st, err := startState(cfg, ds, sg, res.Arch, sched.total)
	if err != nil {
		return res, err
	}
	if err := train(sg, a, cfg, sched, st, &res); err != nil {
		return res, err
	}
	res.Curve = st.Curve
	ev, err := sg.TestShowing(a, cfg.Progress)
	if err != nil {
		return res, fmt.Errorf("retrain: %w", err)
	}
	res.TestLoss, res.TestAccuracy, res.Seconds = ev.Loss, ev.Accuracy, st.Seconds+ev.Seconds
	res.Diverged = math.IsNaN(ev.Loss) || math.IsInf(ev.Loss, 0)
	err = finish(cfg, &res)
	return res, err
}

// newNetwork makes the network a retraining trains: cfg.Network (its node count a's), every
// training image, cfg's seed and peak learning rate. An architecture without a path from its
// input to its output is refused.
func newNetwork(b compute.Backend, ds *data.Dataset, a *arch.Arch, cfg Config) (*supergraph.Supergraph, error) {
	net := cfg.Network
	if net.Nodes == 0 {
		net.Nodes = a.N()
	}
	net.Seed, net.FullTraining, net.LearningRate = cfg.Seed, true, cfg.LearningRate
	sg, err := supergraph.New(b, ds, net)
	if err != nil {
		return nil, fmt.Errorf("retrain: %w", err)
	}
	if err := sg.Check(a); err != nil {
		return nil, fmt.Errorf("retrain: %w", err)
	}
	if !a.Connected() {
		return nil, fmt.Errorf("retrain: %v has no path from the input (node 0) to the output (node %d): it ignores its input and can only guess", a, a.N()-1)
	}
	return sg, nil
}

// schedule is a retraining's learning rate over its batches: a linear warm-up, then cosine
// annealing to zero.
type schedule struct {
	peak            float64
	total, warmup   int
	batchesPerEpoch float64
}

func newSchedule(cfg Config, images, batchSize int) schedule {
	perEpoch := float64(images) / float64(batchSize)
	return schedule{peak: cfg.LearningRate, batchesPerEpoch: perEpoch,
		total:  max(1, int(math.Round(cfg.Epochs*perEpoch))),
		warmup: int(math.Round(cfg.WarmupEpochs * perEpoch))}
}

// rate is the learning rate of the batch after done batches.
func (s schedule) rate(done int) float64 {
	if done < s.warmup {
		return s.peak * float64(done+1) / float64(s.warmup)
	}
	return s.peak * 0.5 * (1 + math.Cos(math.Pi*float64(done-s.warmup)/float64(max(1, s.total-s.warmup))))
}

// chunk is how many batches train at rate(done): one at a time during the warm-up, then up to
// ten, which keeps the schedule smooth and the calls cheap.
func (s schedule) chunk(done int) int {
	if done < s.warmup {
		return 1
	}
	return min(10, s.total-done)
}

// startState is the retraining's state to start from: its checkpoint when cfg has one that
// exists (restored into sg), a fresh state otherwise.
func startState(cfg Config, ds *data.Dataset, sg *supergraph.Supergraph, archText string, total int) (*checkpointState, error) {
	st := &checkpointState{Version: checkpointVersion, Arch: archText, Dataset: ds.Fingerprint(), Seed: cfg.Seed,
		Epochs: cfg.Epochs, LearningRate: cfg.LearningRate, WarmupEpochs: cfg.WarmupEpochs, ReportEvery: cfg.ReportEvery}
	if cfg.Checkpoint == "" {
		return st, nil
	}
	removeLeftovers(cfg.Checkpoint)
	saved, err := loadCheckpoint(cfg.Checkpoint)
	if err != nil || saved == nil {
		return st, err
	}
	if err := saved.sameRetraining(*st); err != nil {
		return nil, fmt.Errorf("retrain: checkpoint %s is of another retraining (delete it, or retrain with its settings): %w", cfg.Checkpoint, err)
	}
	if saved.Batches > total {
		return nil, fmt.Errorf("retrain: checkpoint %s is %d batches in, past this retraining's %d", cfg.Checkpoint, saved.Batches, total)
	}
	if err := sg.SetState(saved.Supergraph); err != nil {
		return nil, fmt.Errorf("retrain: checkpoint %s: %w", cfg.Checkpoint, err)
	}
	return saved, nil
}

// train runs the batches st has not done yet, reporting every cfg.ReportEvery batches and
// saving a checkpoint every cfg.CheckpointEvery and at the end. A save that fails is a warning
// in res; training goes on.
func train(sg *supergraph.Supergraph, a *arch.Arch, cfg Config, sched schedule, st *checkpointState, res *Result) error {
	start := time.Now().Add(-time.Duration(st.Seconds * float64(time.Second)))
	lastSave, saveFailed := time.Now(), false
	for st.Batches < sched.total {
		done := st.Batches
		lr := sched.rate(done)
		if err := sg.SetLearningRate(lr); err != nil {
			return err
		}
		n := sched.chunk(done)
		tr, err := sg.Train(a, supergraph.BatchBudget(n))
		if err != nil {
			return fmt.Errorf("retrain: %w", err)
		}
		if !math.IsNaN(tr.Loss) {
			st.LossSum += tr.Loss * float64(tr.Batches)
			st.AccSum += tr.Accuracy * float64(tr.Batches)
			st.Count += tr.Batches
		}
		st.Batches += n
		st.Seconds = time.Since(start).Seconds()
		if (cfg.ReportEvery > 0 && st.Batches/cfg.ReportEvery != done/cfg.ReportEvery) || st.Batches == sched.total {
			report(cfg, sched, st, lr)
		}
		if cfg.Checkpoint != "" && (st.Batches == sched.total || time.Since(lastSave) >= cfg.CheckpointEvery) {
			lastSave = time.Now()
			if err := save(cfg.Checkpoint, sg, st); err != nil && !saveFailed {
				saveFailed = true // said once: a full disk would fail every save alike
				res.warn(fmt.Errorf("%w (at batch %d; training goes on, later saves may fail too)", err, st.Batches))
			}
		}
		if cfg.afterChunk != nil {
			if err := cfg.afterChunk(st.Batches); err != nil {
				return err
			}
		}
	}
	return nil
}

// report adds a point to st's curve, with the train loss and accuracy since the last one (0
// when no batch since then was finite), and passes it to cfg.Progress.
func report(cfg Config, sched schedule, st *checkpointState, lr float64) {
	p := Point{Epoch: float64(st.Batches) / sched.batchesPerEpoch, Batches: st.Batches, TotalBatches: sched.total,
		LearningRate: lr, Seconds: st.Seconds}
	if st.Count > 0 {
		p.TrainLoss, p.TrainAccuracy = st.LossSum/float64(st.Count), st.AccSum/float64(st.Count)
	}
	st.LossSum, st.AccSum, st.Count = 0, 0, 0
	st.Curve = append(st.Curve, p)
	if cfg.Progress != nil {
		cfg.Progress(progress.Event{Phase: "retrain", Done: p.Batches, Total: p.TotalBatches,
			Status: fmt.Sprintf("epoch %.2f loss %.4f acc %.3f lr %.4f", p.Epoch, p.TrainLoss, p.TrainAccuracy, p.LearningRate)})
	}
}

// save writes sg's state and st's progress to the checkpoint at path.
func save(path string, sg *supergraph.Supergraph, st *checkpointState) error {
	var err error
	if st.Supergraph, err = sg.State(); err != nil {
		return fmt.Errorf("retrain: checkpoint %s not written: %w", path, err)
	}
	return saveCheckpoint(path, st)
}

// warn records err in the result once.
func (r *Result) warn(err error) {
	msg := err.Error()
	for _, w := range r.Warnings {
		if w == msg {
			return
		}
	}
	r.Warnings = append(r.Warnings, msg)
}

// finish writes the result to cfg.Out, then removes the finished retraining's checkpoint; a
// result that cannot be written keeps the checkpoint, so that a new start only tests again.
func finish(cfg Config, res *Result) error {
	if cfg.Out != "" {
		if err := WriteResult(cfg.Out, *res); err != nil {
			return err
		}
	}
	if cfg.Checkpoint != "" {
		if err := os.Remove(cfg.Checkpoint); err != nil && !errors.Is(err, fs.ErrNotExist) {
			// The result is safe; a checkpoint left behind only makes a new start test again.
			res.warn(fmt.Errorf("retrain: the finished retraining's checkpoint was not removed: %w", err))
		}
	}
	return nil
}

// WriteResult writes res to path as indented JSON, atomically.
func WriteResult(path string, res Result) error {
	if err := ckpt.WriteJSON(path, res); err != nil {
		return fmt.Errorf("retrain: result: %w", err)
	}
	return nil
}

// ReadResult reads a result WriteResult wrote.
func ReadResult(path string) (Result, error) {
	var res Result
	raw, err := ckpt.ReadFile(path, 64<<20, ckpt.Follow)
	if err != nil {
		return res, fmt.Errorf("retrain: %w", err)
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return res, fmt.Errorf("retrain: %s: %w", path, err)
	}
	return res, nil
}

// checkWritable returns an error unless a file can be created in path's folder (nothing to check
// for an empty path). A file already at path that is not a regular file is refused too.
func checkWritable(path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("retrain: %s is not a regular file", path)
	}
	tmp, err := ckpt.WriteTemp(path, nil)
	if err != nil {
		return fmt.Errorf("retrain: %s cannot be written (%w): nothing was trained", path, err)
	}
	return os.Remove(tmp)
}

// removeLeftovers removes the temporary files a kill during a checkpoint's write left beside it
// (ckpt.WriteTemp names them "."+name+".tmp…").
func removeLeftovers(path string) {
	dir, prefix := filepath.Dir(path), "."+filepath.Base(path)+".tmp"
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && e.Type().IsRegular() {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// Candidate is an architecture with a name, retrained beside others (Each).
type Candidate struct {
	Name string     `json:"name"`
	Arch *arch.Arch `json:"arch"`
}

// Each retrains every candidate with the same configuration (seed, schedule, network,
// budget) and tests each on the whole test set, so that their accuracies compare: what a search
// bought is its pick's accuracy beside a random architecture's and a reference's. cfg.Progress,
// when set, receives each candidate's events with Run its name.
func Each(b compute.Backend, ds *data.Dataset, candidates []Candidate, cfg Config) ([]Result, error) {
	out := make([]Result, 0, len(candidates))
	for _, c := range candidates {
		cc := cfg
		if report := cfg.Progress; report != nil {
			cc.Progress = func(e progress.Event) {
				e.Run = c.Name
				report(e)
			}
		}
		r, err := Run(b, ds, c.Arch, cc)
		if err != nil {
			return out, fmt.Errorf("%s: %w", c.Name, err)
		}
		out = append(out, r)
	}
	return out, nil
}
