// Package search is one GraphEnas search (DESIGN.md §4): the controller proposes an edit of the
// current architecture, the shared weights train on the edited architecture for a budget, it is
// evaluated on the architecture split, and the controller learns from the change of the
// validation loss. Step does one such step and returns its record; Run does many.
package search

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/gomlx/gomlx/backends"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/controller"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// Strategies the search loop knows.
const (
	StrategyGraphEnas = "graphenas" // the controller, improved settings
	StrategyOriginal  = "original"  // the controller, the original's settings
	StrategyRandom    = "random"    // uniform random single edits (random search with weight sharing)
)

// Config is everything a search needs. Zero fields take their defaults.
type Config struct {
	// Seed drives every random choice: weights, data order, the controller, random edits.
	Seed uint64
	// Strategy is graphenas, original or random.
	Strategy string
	// Supergraph is the child network's configuration (nodes, channels, optimiser).
	Supergraph supergraph.Config
	// Controller is the actor-critic's configuration (ignored by random).
	Controller controller.Config
	// Budget is the training per step: batches (reproducible) or time.
	Budget supergraph.Budget
	// EvalBatches is the number of architecture-split batches per evaluation.
	EvalBatches int
}

// StepRecord is what one step did and saw; one JSON line of steps.jsonl.
type StepRecord struct {
	Step     int             `json:"step"`
	Strategy string          `json:"strategy"`
	Action   space.Action    `json:"action"`
	Arch     json.RawMessage `json:"arch"`
	ArchText string          `json:"arch_text"`
	// TrainBatches, TrainLoss: the training of this step.
	TrainBatches int     `json:"train_batches"`
	TrainLoss    float64 `json:"train_loss"`
	// ValLoss and ValAccuracy on the architecture split after training.
	ValLoss     float64 `json:"val_loss"`
	ValAccuracy float64 `json:"val_accuracy"`
	// CriticMean and CriticStd: the critic's prediction of the edit's return.
	CriticMean float64 `json:"critic_mean"`
	CriticStd  float64 `json:"critic_std"`
	// Delta is log(val loss) − log(previous val loss).
	Delta float64 `json:"delta"`
	Beta  float64 `json:"beta"`
	// Timing holds wall-clock seconds per phase; it is the only part that differs between two
	// runs of one seed.
	Timing Timing `json:"timing"`
}

// Timing is the wall-clock time of each phase of a step, in seconds.
type Timing struct {
	Controller float64 `json:"controller"`
	Train      float64 `json:"train"`
	Evaluate   float64 `json:"evaluate"`
	Update     float64 `json:"update"`
	TrainSecs  float64 `json:"train_seconds"`
}

// Search is a running search.
type Search struct {
	cfg     Config
	sg      *supergraph.Supergraph
	ctrl    *controller.Controller
	sp      space.Supergraph
	rng     *rand.Rand
	current *space.Graph
	valLoss float64
	history []StepRecord
	visits  map[string]*visit
}

type visit struct {
	arch    *arch.Arch
	valLoss float64
	count   int
}

// New starts a search on ds from a random architecture.
func New(b backends.Backend, ds *data.Dataset, cfg Config) (*Search, error) {
	switch cfg.Strategy {
	case "":
		cfg.Strategy = StrategyGraphEnas
	case StrategyGraphEnas, StrategyOriginal, StrategyRandom:
	default:
		return nil, fmt.Errorf("search: unknown strategy %q (known: graphenas, original, random)", cfg.Strategy)
	}
	if cfg.EvalBatches == 0 {
		cfg.EvalBatches = 4
	}
	if cfg.Budget.Batches == 0 && cfg.Budget.Time == 0 {
		cfg.Budget = supergraph.BatchBudget(1)
	}
	cfg.Supergraph.Seed = cfg.Seed
	sg, err := supergraph.New(b, ds, cfg.Supergraph)
	if err != nil {
		return nil, err
	}
	sc := sg.Config()
	s := &Search{cfg: cfg, sg: sg, sp: space.Supergraph{Nodes: sc.Nodes, LayersPerStage: sc.LayersPerStage},
		rng: rand.New(rand.NewPCG(cfg.Seed, 0x5EA4C4)), visits: map[string]*visit{}}
	switch cfg.Strategy {
	case StrategyGraphEnas, StrategyOriginal:
		cc := cfg.Controller
		if cfg.Strategy == StrategyOriginal {
			cc = controller.FaithfulConfig()
		} else if cc.Hidden == 0 {
			cc = controller.DefaultConfig()
		}
		cc.Seed = cfg.Seed
		if s.ctrl, err = controller.New(b, s.sp, cc); err != nil {
			return nil, err
		}
	}
	s.current = s.sp.Random(s.rng)
	return s, nil
}

// Supergraph returns the child network with the shared weights.
func (s *Search) Supergraph() *supergraph.Supergraph { return s.sg }

// Current returns the current architecture.
func (s *Search) Current() *arch.Arch { return space.ToArch(s.current) }

// History returns every step record so far.
func (s *Search) History() []StepRecord { return s.history }

// Step does one search step (DESIGN.md §4) and returns its record.
func (s *Search) Step() (StepRecord, error) {
	rec := StepRecord{Step: len(s.history), Strategy: s.cfg.Strategy}
	if s.valLoss == 0 { // the first step scores the starting architecture
		a := space.ToArch(s.current)
		if _, err := s.sg.Train(a, s.cfg.Budget); err != nil {
			return rec, err
		}
		ev, err := s.sg.Evaluate(a, s.cfg.EvalBatches)
		if err != nil {
			return rec, err
		}
		s.valLoss = ev.Loss
	}
	t0 := time.Now()
	var p controller.Proposal
	if s.ctrl != nil {
		var err error
		if p, err = s.ctrl.Propose(s.current); err != nil {
			return rec, err
		}
	} else {
		acts := space.Actions(s.sp, s.current)
		a := acts[s.rng.IntN(len(acts))]
		next, _ := space.Apply(s.sp, s.current, a)
		p = controller.Proposal{Before: s.current, After: next, Action: a}
	}
	rec.Timing.Controller = time.Since(t0).Seconds()
	a := space.ToArch(p.After)

	t0 = time.Now()
	tr, err := s.sg.Train(a, s.cfg.Budget)
	if err != nil {
		return rec, err
	}
	rec.Timing.Train = time.Since(t0).Seconds()
	t0 = time.Now()
	ev, err := s.sg.Evaluate(a, s.cfg.EvalBatches)
	if err != nil {
		return rec, err
	}
	rec.Timing.Evaluate = time.Since(t0).Seconds()

	delta := math.Log(ev.Loss) - math.Log(s.valLoss)
	t0 = time.Now()
	if s.ctrl != nil {
		if _, err := s.ctrl.Observe(p, delta); err != nil {
			return rec, err
		}
	}
	rec.Timing.Update = time.Since(t0).Seconds()

	archJSON, _ := json.Marshal(a)
	rec.Action, rec.Arch, rec.ArchText = p.Action, archJSON, a.String()
	rec.TrainBatches, rec.TrainLoss, rec.Timing.TrainSecs = tr.Batches, tr.Loss, tr.Seconds
	rec.ValLoss, rec.ValAccuracy, rec.Delta = ev.Loss, ev.Accuracy, delta
	rec.CriticMean, rec.CriticStd, rec.Beta = p.Mean, p.Std, p.Beta
	s.current, s.valLoss = p.After, ev.Loss
	v := s.visits[a.Key()]
	if v == nil {
		v = &visit{arch: a}
		s.visits[a.Key()] = v
	}
	v.valLoss, v.count = ev.Loss, v.count+1
	s.history = append(s.history, rec)
	return rec, nil
}

// Run does n steps, calling fn (if not nil) after each; fn returning an error stops the run.
func (s *Search) Run(n int, fn func(StepRecord) error) error {
	for i := 0; i < n; i++ {
		rec, err := s.Step()
		if err != nil {
			return err
		}
		if fn != nil {
			if err := fn(rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// Ranked is an architecture with the criterion Best ranks by.
type Ranked struct {
	Arch *arch.Arch
	// ValLoss is the validation loss of its last visit; Visits counts the visits.
	ValLoss float64
	Visits  int
}

// Best returns the k architectures with the lowest validation loss at their last visit.
func (s *Search) Best(k int) []Ranked {
	out := make([]Ranked, 0, len(s.visits))
	for _, v := range s.visits {
		out = append(out, Ranked{Arch: v.arch, ValLoss: v.valLoss, Visits: v.count})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ValLoss != out[j].ValLoss {
			return out[i].ValLoss < out[j].ValLoss
		}
		return out[i].Arch.String() < out[j].Arch.String()
	})
	if k < len(out) {
		out = out[:k]
	}
	return out
}
