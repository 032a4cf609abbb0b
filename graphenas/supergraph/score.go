package supergraph

import (
	"fmt"
	"time"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // graph-building code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/data"
)

// BNMode says which batch-norm statistics an architecture is scored with. The shared weights'
// running statistics mix every architecture that trained them, which is why the literature
// re-estimates them per architecture before scoring (e.g. Guo et al. 2020, "Single Path One-Shot
// NAS", arXiv:1904.00420; Yu, Ranftl and Salzmann 2021, "How to train your super-net").
type BNMode string

const (
	// BNBatch normalises each evaluation batch with its own statistics: what a search scores with
	// (Config.EvalBatchStats).
	BNBatch BNMode = "batch"
	// BNRunning normalises with the running statistics as training left them.
	BNRunning BNMode = "running"
	// BNReestimated first recomputes the running statistics of the architecture's batch-norms on
	// a fixed set of training batches (forward passes in training mode, no weight changes), then
	// normalises with them; the supergraph's own statistics are restored afterwards.
	BNReestimated BNMode = "reestimated"
)

// BNModes are every BNMode, in the order reports list them.
var BNModes = []BNMode{BNBatch, BNRunning, BNReestimated}

// ScoreConfig says how Score evaluates.
type ScoreConfig struct {
	// Images is how many images of the architecture split are scored: the first ones, the same
	// for every architecture.
	Images int
	// Mode is the batch-norm statistics used.
	Mode BNMode
	// CalibrationBatches is the number of training batches (the first of the weights split, the
	// same for every architecture) BNReestimated recomputes the statistics on.
	CalibrationBatches int
}

// Score evaluates a on the same images whatever else runs, leaving the supergraph as it was (its
// weights, batch-norm statistics and data positions): it is how the shared weights rank
// architectures, measured apart from any search.
func (s *Supergraph) Score(a *arch.Arch, sc ScoreConfig) (EvalResult, error) {
	if err := s.Check(a); err != nil {
		return EvalResult{}, err
	}
	if s.archBatches == nil {
		return EvalResult{}, fmt.Errorf("supergraph: no architecture split to score on (FullTraining)")
	}
	if sc.Images < 1 || sc.Images > s.archBatches.Len() {
		return EvalResult{}, fmt.Errorf("supergraph: score on %d images, the architecture split has %d", sc.Images, s.archBatches.Len())
	}
	cfg := s.cfg
	switch sc.Mode {
	case BNBatch:
		cfg.EvalBatchStats = true
	case BNRunning:
		cfg.EvalBatchStats = false
	case BNReestimated:
		if sc.CalibrationBatches < 1 {
			return EvalResult{}, fmt.Errorf("supergraph: re-estimating batch-norm statistics needs calibration batches")
		}
		restore, err := s.reestimate(a, sc.CalibrationBatches)
		if err != nil {
			return EvalResult{}, err
		}
		defer restore()
		cfg.EvalBatchStats = false
	default:
		return EvalResult{}, fmt.Errorf("supergraph: unknown batch-norm mode %q, want one of %v", sc.Mode, BNModes)
	}
	k, err := newKernels(s.kernels)
	if err != nil {
		return EvalResult{}, err
	}
	eval, err := model.NewExec(s.backend, s.store, func(_ *model.Scope, images, labels *Node) []*Node {
		return evalStep(cfg, s.store, k.inference(), a, images, labels)
	})
	if err != nil {
		return EvalResult{}, fmt.Errorf("supergraph: building the scoring graph of %v: %w", a, err)
	}
	defer eval.Finalize()
	start := time.Now()
	var res EvalResult
	var lossSum, correctSum float64
	var batch data.Batch
	bs := s.cfg.BatchSize
	for done := 0; done < sc.Images; done += bs {
		b := s.archBatches.Sequential(done, min(bs, sc.Images-done), &batch)
		images, labels := s.batchTensors(b)
		out, err := eval.Call(images, labels)
		if err != nil {
			return res, fmt.Errorf("supergraph: scoring %v: %w", a, err)
		}
		lossSum += scalar(out[0])
		correctSum += scalar(out[1])
		res.Images += b.Size
	}
	res.Loss, res.Accuracy = lossSum/float64(res.Images), correctSum/float64(res.Images)
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// reestimate sets the running statistics of a's batch-norms to their means over the first n
// batches of the weights split, computed in training mode with no weight changes, and returns
// the function that puts the old statistics back.
func (s *Supergraph) reestimate(a *arch.Arch, n int) (restore func(), err error) {
	k, err := newKernels(s.kernels)
	if err != nil {
		return nil, err
	}
	var layers []bnStat // filled when the graph is built, at the first call
	stats, err := model.NewExec(s.backend, s.store, func(_ *model.Scope, images *Node) []*Node {
		net := &network{cfg: s.cfg, store: s.store, g: images.Graph(), k: k.inference(), training: true, used: map[*model.Variable]*Node{}}
		net.logits(a, images)
		layers = net.bnStats
		var out []*Node
		for _, l := range net.bnStats {
			unbiased := MulScalar(l.variance, float64(l.count)/float64(max(l.count-1, 1)))
			out = append(out, l.mean, unbiased)
		}
		return out
	})
	if err != nil {
		return nil, fmt.Errorf("supergraph: building the statistics graph of %v: %w", a, err)
	}
	defer stats.Finalize()
	var sums [][]float32
	var batch data.Batch
	for i := 0; i < n; i++ {
		b := s.trainBatches.Sequential(i*s.cfg.BatchSize, s.cfg.BatchSize, &batch)
		images, _ := s.batchTensors(b)
		out, err := stats.Call(images)
		if err != nil {
			return nil, fmt.Errorf("supergraph: batch-norm statistics of %v: %w", a, err)
		}
		for j, t := range out {
			v := tensors.MustCopyFlatData[float32](t)
			t.FinalizeAll()
			if i == 0 {
				sums = append(sums, v)
				continue
			}
			for c := range v {
				sums[j][c] += v[c]
			}
		}
	}
	var saved []func()
	restore = func() {
		for _, f := range saved {
			f()
		}
	}
	for j, l := range layers {
		for which, v := range []*model.Variable{l.runMean, l.runVar} {
			old, err := v.Value()
			if err != nil {
				restore()
				return nil, err
			}
			oldCopy, err := old.LocalClone()
			if err != nil {
				restore()
				return nil, err
			}
			saved = append(saved, func() { _ = v.SetValue(oldCopy) })
			mean := sums[2*j+which]
			for c := range mean {
				mean[c] /= float32(n)
			}
			if err := v.SetValue(tensors.FromFlatDataAndDimensions(mean, len(mean))); err != nil {
				restore()
				return nil, err
			}
		}
	}
	return restore, nil
}
