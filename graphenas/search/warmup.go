package search

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// Warmup trains the shared weights before the strategy's first step by uniform single-path
// training (Guo et al. 2020, "Single Path One-Shot NAS", arXiv:1904.00420; Li and Talwalkar 2019,
// "Random search and reproducibility for NAS"): each batch trains one architecture drawn
// uniformly from the connected space, so every op and link is trained about equally, not only
// those a strategy happens to visit. (Several batches per drawn architecture ranked worse:
// RESULTS.md's ablation ledger.)
type Warmup struct {
	// Batches is the warm-up's length in training batches (0: no warm-up).
	Batches int `json:"batches"`
}

// warmupArch is the architecture the warm-up trains in its batch g: a function of the seed and g
// alone, so a resumed warm-up needs no saved random state.
func warmupArch(seed uint64, g, nodes int) *arch.Arch {
	return arch.RandomConnected(nodes, 0.5, rand.New(rand.NewPCG(seed, 0x3A2F0000+uint64(g))))
}

// warmupCheckpointEvery is how often a warm-up under way saves a checkpoint (with a directory).
const warmupCheckpointEvery = time.Minute

// WarmupDone returns how many warm-up batches are done.
func (s *Search) WarmupDone() int { return s.warmupDone }

// RunWarmup does what remains of the configured warm-up (nothing when it is done), reporting to
// progress when set. With a run directory it saves a checkpoint every minute and at the end, so a
// killed warm-up resumes where it stood. Run calls it before the first step.
func (s *Search) RunWarmup(report progress.Func) error {
	w := s.cfg.Warmup
	if s.warmupDone >= w.Batches {
		return nil
	}
	if len(s.history) > 0 {
		return fmt.Errorf("search: a warm-up of %d batches asked after %d steps", w.Batches, len(s.history))
	}
	if s.failed != nil {
		return fmt.Errorf("search: an earlier step failed (%v); resume from the last checkpoint", s.failed)
	}
	lastSave := time.Now()
	for s.warmupDone < w.Batches {
		tr, err := s.sg.Train(warmupArch(s.cfg.Seed, s.warmupDone, s.cfg.Supergraph.Nodes), supergraph.BatchBudget(1))
		if err != nil {
			s.failed = err
			return err
		}
		s.warmupDone++
		if report != nil {
			report(progress.Event{Phase: "warm-up", Done: s.warmupDone, Total: w.Batches, Status: fmt.Sprintf("train loss %.4f", tr.Loss)})
		}
		if s.run != nil && (s.warmupDone == w.Batches || time.Since(lastSave) >= warmupCheckpointEvery) {
			lastSave = time.Now()
			if err := s.Checkpoint(); err != nil {
				return err
			}
		}
	}
	return nil
}
