// Package rank measures the signal every supergraph strategy optimises: whether the shared weights
// rank architectures as training each alone would. Every architecture of a ground-truth table
// (graphenas/groundtruth) is scored with the shared weights on the same held-out images, with
// batch-norm statistics as the supergraph keeps them and re-estimated per architecture, and the
// scores are compared with the table by Kendall τ, Spearman ρ and the precision at the top 10%
// (Yu et al. 2020, "Evaluating the search phase of neural architecture search",
// arXiv:1902.08142; Zhang et al. 2020, "Deeper insights into weight sharing in NAS").
package rank

import (
	"fmt"
	"math"

	"github.com/graphenas/graphenas/graphenas/groundtruth"
	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/stats"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// Config says how the shared weights score the architectures. Zero fields take the defaults in
// their comments.
type Config struct {
	// Images of the architecture split each architecture is scored on (default 2000), the same
	// images for all.
	Images int
	// CalibrationBatches are the training batches batch-norm statistics are re-estimated on
	// (default 20).
	CalibrationBatches int
	// Modes are the batch-norm modes measured (default supergraph.BNModes).
	Modes []supergraph.BNMode
	// Weights identifies the shared weights measured (search.CheckpointID), so that a later
	// measurement of the same weights can reuse these scores.
	Weights string `json:"weights,omitempty"`
	// Reuse, when set, is an earlier measurement whose scores are taken where it scored the same
	// weights (Weights, non-empty and equal) on the same images and calibration: only the
	// architectures it lacks are scored, e.g. those a growing table added since.
	Reuse *Result `json:"-"`
	// Progress, when set, receives one event per architecture scored.
	Progress progress.Func `json:"-"`
}

func (c Config) withDefaults() Config {
	if c.Images == 0 {
		c.Images = 2000
	}
	if c.CalibrationBatches == 0 {
		c.CalibrationBatches = 20
	}
	if len(c.Modes) == 0 {
		c.Modes = supergraph.BNModes
	}
	return c
}

// Point is one architecture: its ground-truth accuracy and its shared-weight scores per mode.
type Point struct {
	Index  int                                         `json:"index"`
	Arch   string                                      `json:"arch"`
	Truth  float64                                     `json:"truth"`
	Scores map[supergraph.BNMode]supergraph.EvalResult `json:"scores"`
}

// Agreement is how one mode's scores rank the architectures against the ground truth: by the
// shared-weight accuracy and by the (negated) loss.
type Agreement struct {
	Mode supergraph.BNMode `json:"mode"`
	N    int               `json:"n"`
	// Kendall τ-b, Spearman ρ and the precision at the top 10% by accuracy; TauLoss is τ by the
	// negated loss (a search picks by loss).
	Tau     float64 `json:"tau"`
	Rho     float64 `json:"rho"`
	Top10   float64 `json:"top10"`
	TauLoss float64 `json:"tau_loss"`
	// TauSE is τ's standard error under independence, sqrt(2(2n+5)/(9n(n−1))).
	TauSE float64 `json:"tau_se"`
}

// Result is a ranking measurement.
type Result struct {
	Config     Config             `json:"config"`
	Recipe     groundtruth.Recipe `json:"recipe"`
	Points     []Point            `json:"points"`
	Agreements []Agreement        `json:"agreements"`
}

// Measure scores every architecture of truths with sg's shared weights and compares the ranking
// with the ground truth; sg is left as it was.
func Measure(sg *supergraph.Supergraph, table *groundtruth.Table, cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	net, r := sg.Config(), table.Manifest.Recipe
	if net.Nodes != r.Nodes || net.LayersPerStage != r.LayersPerStage {
		return nil, fmt.Errorf("rank: the supergraph has %d nodes, %d per stage; the table's architectures %d, %d", net.Nodes, net.LayersPerStage, r.Nodes, r.LayersPerStage)
	}
	truths := table.Truths()
	if len(truths) < 3 {
		return nil, fmt.Errorf("rank: the table has %d architectures, too few to rank", len(truths))
	}
	res := &Result{Config: cfg, Recipe: r}
	known := reusable(cfg)
	for i, tr := range truths {
		p := Point{Index: tr.Index, Arch: tr.Arch.String(), Truth: tr.Mean, Scores: map[supergraph.BNMode]supergraph.EvalResult{}}
		for _, mode := range cfg.Modes {
			if ev, ok := known[p.Arch][mode]; ok {
				p.Scores[mode] = ev
				continue
			}
			ev, err := sg.Score(tr.Arch, supergraph.ScoreConfig{Images: cfg.Images, Mode: mode, CalibrationBatches: cfg.CalibrationBatches})
			if err != nil {
				return nil, fmt.Errorf("rank: %w", err)
			}
			p.Scores[mode] = ev
		}
		res.Points = append(res.Points, p)
		if cfg.Progress != nil {
			cfg.Progress(progress.Event{Phase: "rank", Done: i + 1, Total: len(truths)})
		}
	}
	for _, mode := range cfg.Modes {
		res.Agreements = append(res.Agreements, agreement(res.Points, mode))
	}
	return res, nil
}

// reusable returns the scores of cfg.Reuse by architecture, when it measured the same weights on
// the same images and calibration (nothing otherwise).
func reusable(cfg Config) map[string]map[supergraph.BNMode]supergraph.EvalResult {
	prev := cfg.Reuse
	if prev == nil || cfg.Weights == "" || prev.Config.Weights != cfg.Weights ||
		prev.Config.Images != cfg.Images || prev.Config.CalibrationBatches != cfg.CalibrationBatches {
		return nil
	}
	out := map[string]map[supergraph.BNMode]supergraph.EvalResult{}
	for _, p := range prev.Points {
		out[p.Arch] = p.Scores
	}
	return out
}

// agreement compares mode's scores of points with their truth.
func agreement(points []Point, mode supergraph.BNMode) Agreement {
	var truth, acc, negLoss []float64
	for _, p := range points {
		truth = append(truth, p.Truth)
		acc = append(acc, p.Scores[mode].Accuracy)
		negLoss = append(negLoss, -p.Scores[mode].Loss)
	}
	a := Agreement{Mode: mode}
	a.Tau, a.N = stats.KendallTau(acc, truth)
	a.Rho, _ = stats.Spearman(acc, truth)
	a.Top10 = stats.TopOverlap(acc, truth, 0.1)
	a.TauLoss, _ = stats.KendallTau(negLoss, truth)
	if n := float64(a.N); n > 1 {
		a.TauSE = math.Sqrt(2 * (2*n + 5) / (9 * n * (n - 1)))
	}
	return a
}

// Best returns the agreement of the mode with the highest τ.
func (r *Result) Best() Agreement {
	best := r.Agreements[0]
	for _, a := range r.Agreements[1:] {
		if a.Tau > best.Tau {
			best = a
		}
	}
	return best
}

// Markdown is the agreements as a table.
func (r *Result) Markdown() string {
	s := fmt.Sprintf("%d ground-truth architectures (%s), each scored on %d held-out images\n\n", len(r.Points), r.Recipe, r.Config.Images)
	s += "| batch-norm statistics | Kendall τ (± SE) | Spearman ρ | top-10% precision | τ by loss |\n|---|---|---|---|---|\n"
	for _, a := range r.Agreements {
		s += fmt.Sprintf("| %s | %.3f ± %.3f | %.3f | %.2f | %.3f |\n", a.Mode, a.Tau, a.TauSE, a.Rho, a.Top10, a.TauLoss)
	}
	return s
}
