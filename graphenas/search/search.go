// Package search is one GraphEnas search (graphenas/DESIGN.md §4): a strategy proposes the next
// architecture (for GraphEnas, the controller's edit of the current one), the shared weights train
// on it for a budget, it is evaluated on the architecture split, and the strategy learns from the
// change of the validation loss. Step does one such step and returns its record; Run does many.
//
// With a run directory, every step appends one JSON line to steps.jsonl and the whole state is
// checkpointed atomically every few steps, so Resume continues a killed run with nothing lost.
package search

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/controller"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/graphenas/strategy"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// Strategies the search loop knows. They share everything but the choice of the next architecture.
const (
	StrategyGraphEnas = "graphenas" // the controller, improved settings
	StrategyOriginal  = "original"  // the controller, the original's settings (faithful mode)
	StrategyRandom    = "random"    // uniform random single edits (random search with weight sharing)
	StrategyEvolution = "evolution" // regularized evolution, shared-weight validation loss as fitness
)

// Strategies lists the known strategies.
func Strategies() []string {
	return []string{StrategyGraphEnas, StrategyOriginal, StrategyRandom, StrategyEvolution}
}

// Config is everything a search needs. DefaultConfig is the one source of its defaults: start
// from it and change fields. (A zero numeric field is also filled from DefaultConfig, so a
// partly filled Config works; the command line binds its flags to DefaultConfig's fields.)
type Config struct {
	// Seed drives every random choice: weights, data order, the controller, edits.
	Seed uint64 `json:"seed"`
	// Strategy is graphenas, original, random or evolution.
	Strategy string `json:"strategy"`
	// Supergraph is the child network (supergraph.DefaultConfig: 5 nodes, 20 channels, 4 layers
	// per stage, batch 64, SGD lr 1e-3 momentum 0.9, an 80/20 weights/architecture split). Its
	// Seed is replaced by Seed, and evaluation always uses batch statistics (EvalBatchStats).
	Supergraph supergraph.Config `json:"supergraph"`
	// Controller is the actor-critic (controller.DefaultConfig; the original strategy always
	// uses controller.FaithfulConfig). Its Seed is replaced by Seed.
	Controller controller.Config `json:"controller"`
	// Budget is the training per step: batches (reproducible) or wall-clock time.
	Budget supergraph.Budget `json:"budget"`
	// EvalBatches is the number of architecture-split batches per evaluation.
	EvalBatches int `json:"eval_batches"`
	// Population and Sample are regularized evolution's population size and tournament size
	// (strategy.Population, the same evolution as on the table; defaults
	// strategy.DefaultPopulation and strategy.DefaultSample).
	Population int `json:"population"`
	Sample     int `json:"sample"`
	// CheckpointEvery is the number of steps between checkpoints of a run with a directory
	// (one is also written when Run ends).
	CheckpointEvery int `json:"checkpoint_every"`
}

// DefaultConfig returns the default search: GraphEnas's controller (controller.DefaultConfig,
// return scaling on) on the original child network (supergraph.DefaultConfig), one training
// batch and four validation batches per step, seed 1.
func DefaultConfig() Config {
	sc, cc := supergraph.DefaultConfig(), controller.DefaultConfig()
	sc.EvalBatchStats = true // see supergraph.Config.EvalBatchStats
	return Config{Seed: 1, Strategy: StrategyGraphEnas, Supergraph: sc, Controller: cc,
		Budget: supergraph.BatchBudget(1), EvalBatches: 4, Population: strategy.DefaultPopulation, Sample: strategy.DefaultSample, CheckpointEvery: 10}
}

// withDefaults fills the zero fields from DefaultConfig and checks the rest.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	switch c.Strategy {
	case "":
		c.Strategy = d.Strategy
	case StrategyGraphEnas, StrategyOriginal, StrategyRandom, StrategyEvolution:
	default:
		return c, fmt.Errorf("search: unknown strategy %q (known: graphenas, original, random, evolution)", c.Strategy)
	}
	if c.EvalBatches == 0 {
		c.EvalBatches = d.EvalBatches
	}
	if c.Budget.Batches == 0 && c.Budget.Time == 0 {
		c.Budget = d.Budget
	}
	if c.Population == 0 {
		c.Population = d.Population
	}
	if c.Sample == 0 {
		c.Sample = d.Sample
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = d.CheckpointEvery
	}
	switch {
	case c.EvalBatches < 0:
		return c, fmt.Errorf("search: %d evaluation batches", c.EvalBatches)
	case c.Budget.Batches < 0 || c.Budget.Time < 0:
		return c, fmt.Errorf("search: negative budget %v", c.Budget)
	case c.CheckpointEvery < 1:
		return c, fmt.Errorf("search: checkpoint every %d steps", c.CheckpointEvery)
	}
	if _, err := strategy.NewPopulation(c.Population, c.Sample); err != nil {
		return c, fmt.Errorf("search: %w", err)
	}
	c.Supergraph.Seed = c.Seed
	c.Supergraph.EvalBatchStats = true // see supergraph.Config.EvalBatchStats
	return c, nil
}

// StepRecord is what one step did and saw; one JSON line of steps.jsonl.
type StepRecord struct {
	Step     int    `json:"step"`
	Strategy string `json:"strategy"`
	// Action is the edit that led from Before to the new architecture; nil when the strategy
	// drew a fresh architecture (evolution filling its population).
	Action *space.Action `json:"action,omitempty"`
	// Before is the architecture the edit started from (the current one, or evolution's parent).
	Before string `json:"before,omitempty"`
	// Arch is the architecture trained at this step (JSON form), ArchText its text form.
	Arch     json.RawMessage `json:"arch"`
	ArchText string          `json:"arch_text"`
	// TrainBatches and TrainLoss: the training of this step (NonFinite batches updated nothing).
	TrainBatches int     `json:"train_batches"`
	TrainLoss    float64 `json:"train_loss"`
	NonFinite    int     `json:"non_finite,omitempty"`
	// ValLoss and ValAccuracy on the architecture split after training.
	ValLoss     float64 `json:"val_loss"`
	ValAccuracy float64 `json:"val_accuracy"`
	// CriticMean and CriticStd: the critic's prediction of the edit's return (controller strategies).
	CriticMean float64 `json:"critic_mean"`
	CriticStd  float64 `json:"critic_std"`
	// Stats is what the controller learned from at this step (controller strategies): its
	// losses, entropy, the edit's log-probability, baseline, return scale, and the realised
	// return (Σ γ^k δ over K steps) of step ReturnStep, which this step's δ completed.
	controller.Stats
	// Delta is log(val loss) − log(val loss before the edit): the step's immediate reward, negated.
	Delta float64 `json:"delta"`
	Beta  float64 `json:"beta"`
	// ConfigChanges are the settings changed (on resume) since the previous step.
	ConfigChanges []ConfigChange `json:"config_changes,omitempty"`
	// Timing holds wall-clock seconds per phase; it is the only part that differs between two
	// runs of one seed with a batch budget.
	Timing Timing `json:"timing"`
}

// Timing is the wall-clock time of each phase of a step, in seconds.
type Timing struct {
	Controller float64 `json:"controller"`
	Train      float64 `json:"train"`
	Evaluate   float64 `json:"evaluate"`
	Update     float64 `json:"update"`
	// Checkpoint is the time of the checkpoint written after the previous step, if one was.
	Checkpoint float64 `json:"checkpoint,omitempty"`
	// Wall is the clock time at the end of the step (RFC 3339).
	Wall string `json:"wall,omitempty"`
}

// Search is a running search.
type Search struct {
	cfg     Config
	backend compute.Backend
	sg      *supergraph.Supergraph
	ctrl    *controller.Controller
	sp      space.Supergraph
	pcg     *rand.PCG
	rng     *rand.Rand
	current *space.Graph
	valLoss float64
	history []StepRecord
	visits  map[string]*visit
	pop     []strategy.Member // evolution's population, oldest first (fitness −validation loss)
	run     *runDir           // nil without a run directory

	// afterStep persists each step (installed by Create and Resume; nil without a directory).
	afterStep func(*StepRecord) error
	// failed is the error of a step or checkpoint that failed half-way: the search refuses to
	// go on, and Close writes nothing, so the directory keeps its last good checkpoint.
	failed error
	// pending are configuration changes (Change) not yet recorded in a step.
	pending []ConfigChange
	// lastCheckpoint is the time of the checkpoint written after the previous step.
	lastCheckpoint float64
}

type visit struct {
	arch    *arch.Arch
	valLoss float64
	count   int
	step    int
}

// New starts a search on ds from a random architecture, without a run directory.
func New(b compute.Backend, ds *data.Dataset, cfg Config) (*Search, error) {
	return newSearch(b, ds, cfg)
}

func newSearch(b compute.Backend, ds *data.Dataset, cfg Config) (*Search, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	sg, err := supergraph.New(b, ds, cfg.Supergraph)
	if err != nil {
		return nil, err
	}
	sc := sg.Config()
	cfg.Supergraph = sc
	pcg := rand.NewPCG(cfg.Seed, 0x5EA4C4)
	s := &Search{cfg: cfg, backend: b, sg: sg, sp: space.Supergraph{Nodes: sc.Nodes, LayersPerStage: sc.LayersPerStage},
		pcg: pcg, rng: rand.New(pcg), visits: map[string]*visit{}}
	switch cfg.Strategy {
	case StrategyGraphEnas, StrategyOriginal:
		cc := cfg.Controller
		if cfg.Strategy == StrategyOriginal {
			cc = controller.FaithfulConfig()
		} else if cc == (controller.Config{}) {
			cc = controller.DefaultConfig() // an empty Config means the defaults, booleans included
		}
		cc.Seed = cfg.Seed
		if s.ctrl, err = controller.New(b, s.sp, cc); err != nil {
			return nil, err
		}
		s.cfg.Controller = s.ctrl.Config()
	}
	s.current = s.sp.Random(s.rng)
	return s, nil
}

// Config returns the configuration in use, defaults filled in.
func (s *Search) Config() Config { return s.cfg }

// Supergraph returns the child network with the shared weights.
func (s *Search) Supergraph() *supergraph.Supergraph { return s.sg }

// Controller returns the actor-critic, or nil for strategies without one.
func (s *Search) Controller() *controller.Controller { return s.ctrl }

// Current returns the current architecture.
func (s *Search) Current() *arch.Arch { return space.ToArch(s.current) }

// Steps returns the number of steps done.
func (s *Search) Steps() int { return len(s.history) }

// History returns every step record so far.
func (s *Search) History() []StepRecord { return s.history }

// Dir returns the run directory, or "" when the search keeps no log.
func (s *Search) Dir() string {
	if s.run == nil {
		return ""
	}
	return s.run.dir
}

// proposal is the next architecture a strategy chose, and how.
type proposal struct {
	p      controller.Proposal
	fresh  bool    // drawn afresh (no edit)
	before float64 // validation loss of p.Before
}

// propose asks the strategy for the next architecture.
func (s *Search) propose() (proposal, error) {
	switch s.cfg.Strategy {
	case StrategyGraphEnas, StrategyOriginal:
		p, err := s.ctrl.Propose(s.current)
		return proposal{p: p, before: s.valLoss}, err
	case StrategyEvolution:
		pop := s.population()
		g, parent, edit := pop.Child(s.sp, s.rng)
		if parent == nil {
			return proposal{p: controller.Proposal{Before: s.current, After: g}, fresh: true, before: s.valLoss}, nil
		}
		p := controller.Proposal{Before: parent.Graph, After: g, Action: edit}
		return proposal{p: p, before: -parent.Fitness}, nil
	default:
		return proposal{p: s.randomEdit(s.current), before: s.valLoss}, nil
	}
}

// randomEdit applies one uniformly drawn legal edit to g (strategy.RandomEdit).
func (s *Search) randomEdit(g *space.Graph) controller.Proposal {
	next, a := strategy.RandomEdit(s.sp, g, s.rng)
	return controller.Proposal{Before: g, After: next, Action: a}
}

// population is evolution's population as a strategy.Population over s.pop (its configuration
// was checked by withDefaults).
func (s *Search) population() *strategy.Population {
	return &strategy.Population{Size: s.cfg.Population, Sample: s.cfg.Sample, Members: s.pop}
}

// Step does one search step (graphenas/DESIGN.md §4) and returns its record: the strategy
// proposes the next architecture, the shared weights train on it for the budget, it is
// evaluated on the architecture split, and the strategy learns from the change of the validation
// loss. With a run directory, the record is then appended to steps.jsonl and a checkpoint is
// written every CheckpointEvery steps (the afterStep hook). A step that fails leaves the search
// refusing further steps: resume from the last checkpoint.
func (s *Search) Step() (rec StepRecord, err error) {
	if s.failed != nil {
		return rec, fmt.Errorf("search: an earlier step failed (%v); resume from the last checkpoint", s.failed)
	}
	defer func() {
		if err != nil {
			s.failed = err
		}
	}()
	rec = StepRecord{Step: len(s.history), Strategy: s.cfg.Strategy}
	if err := s.scoreStart(); err != nil {
		return rec, err
	}

	t0 := time.Now()
	prop, err := s.propose() // propose
	if err != nil {
		return rec, err
	}
	rec.Timing.Controller = time.Since(t0).Seconds()
	a := space.ToArch(prop.p.After)

	t0 = time.Now()
	tr, err := s.sg.Train(a, s.cfg.Budget) // train
	if err != nil {
		return rec, err
	}
	rec.Timing.Train = time.Since(t0).Seconds()
	t0 = time.Now()
	ev, err := s.sg.Evaluate(a, s.cfg.EvalBatches) // evaluate
	if err != nil {
		return rec, err
	}
	rec.Timing.Evaluate = time.Since(t0).Seconds()
	if math.IsNaN(ev.Loss) || math.IsInf(ev.Loss, 0) {
		return rec, fmt.Errorf("search: step %d: validation loss %v for %v (the shared weights diverged; resume with a lower --lr)", rec.Step, ev.Loss, a)
	}

	t0 = time.Now()
	delta := math.Log(ev.Loss) - math.Log(prop.before)
	if err := s.learn(prop, ev.Loss, delta, &rec); err != nil { // learn
		return rec, err
	}
	rec.Timing.Update = time.Since(t0).Seconds()

	if err := s.record(prop, a, tr, ev, delta, &rec); err != nil { // record
		return rec, err
	}
	if s.afterStep != nil {
		t0 = time.Now()
		if err := s.afterStep(&rec); err != nil {
			return rec, err
		}
		s.lastCheckpoint = 0
		if s.run != nil && s.run.checkpointed == len(s.history) {
			s.lastCheckpoint = time.Since(t0).Seconds()
		}
	}
	return rec, nil
}

// scoreStart trains and evaluates the starting architecture before the first step, so that the
// first edit has a validation loss to compare with.
func (s *Search) scoreStart() error {
	if s.valLoss != 0 {
		return nil
	}
	a := space.ToArch(s.current)
	if _, err := s.sg.Train(a, s.cfg.Budget); err != nil {
		return err
	}
	ev, err := s.sg.Evaluate(a, s.cfg.EvalBatches)
	if err != nil {
		return err
	}
	if math.IsNaN(ev.Loss) || math.IsInf(ev.Loss, 0) || ev.Loss <= 0 {
		return fmt.Errorf("search: validation loss %v for the starting architecture %v (the shared weights diverged; resume with a lower --lr)", ev.Loss, a)
	}
	s.valLoss = ev.Loss
	if s.cfg.Strategy == StrategyEvolution {
		s.pop = append(s.pop, strategy.Member{Graph: s.current, Fitness: -ev.Loss})
	}
	return nil
}

// learn lets the strategy learn from what the proposal led to: the controller from δ, evolution
// by adding the child to its population (the oldest dies: regularized evolution).
func (s *Search) learn(prop proposal, valLoss, delta float64, rec *StepRecord) error {
	if s.ctrl != nil {
		st, err := s.ctrl.Observe(prop.p, delta)
		if err != nil {
			return err
		}
		rec.Stats = st
	}
	if s.cfg.Strategy == StrategyEvolution {
		pop := s.population()
		pop.Add(prop.p.After, -valLoss)
		s.pop = pop.Members
	}
	return nil
}

// record fills the step's record and the search's bookkeeping: the current architecture, the
// visits, the history and the return that this step's δ completes.
func (s *Search) record(prop proposal, a *arch.Arch, tr supergraph.TrainResult, ev supergraph.EvalResult, delta float64, rec *StepRecord) error {
	archJSON, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if !prop.fresh {
		act := prop.p.Action
		rec.Action = &act
		rec.Before = space.ToArch(prop.p.Before).String()
	}
	rec.Arch, rec.ArchText = archJSON, a.String()
	rec.TrainBatches, rec.TrainLoss, rec.NonFinite = tr.Batches, finiteOr0(tr.Loss), tr.NonFinite
	rec.ValLoss, rec.ValAccuracy, rec.Delta = ev.Loss, ev.Accuracy, delta
	rec.CriticMean, rec.CriticStd, rec.Beta = prop.p.Mean, prop.p.Std, prop.p.Beta
	rec.ConfigChanges, s.pending = s.pending, nil
	rec.Timing.Checkpoint = s.lastCheckpoint
	rec.Timing.Wall = time.Now().UTC().Format(time.RFC3339)
	s.current, s.valLoss = prop.p.After, ev.Loss
	v := s.visits[a.Key()]
	if v == nil {
		v = &visit{arch: a, step: rec.Step}
		s.visits[a.Key()] = v
	}
	v.valLoss, v.count = ev.Loss, v.count+1
	s.history = append(s.history, *rec)
	return nil
}

// sortedVisits returns the visits in the order of their first step (then their text), so that a
// checkpoint is the same bytes for the same state.
func (s *Search) sortedVisits() []*visit {
	out := make([]*visit, 0, len(s.visits))
	for _, v := range s.visits {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].step != out[j].step {
			return out[i].step < out[j].step
		}
		return out[i].arch.String() < out[j].arch.String()
	})
	return out
}

// Run does n steps, calling fn (if not nil) after each; fn returning an error stops the run. With
// a run directory, a checkpoint is written when the steps are done.
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
	if s.run != nil && s.run.checkpointed != len(s.history) {
		return s.Checkpoint()
	}
	return nil
}

// Ranked is an architecture with the criterion Best ranks by.
type Ranked struct {
	Arch *arch.Arch `json:"arch"`
	// ValLoss is the validation loss of its last visit; Visits counts the visits and FirstStep
	// is the step of the first.
	ValLoss   float64 `json:"val_loss"`
	Visits    int     `json:"visits"`
	FirstStep int     `json:"first_step"`
}

// Best returns the k architectures with the lowest validation loss at their last visit (ties:
// the text form), with their number of visits. Only architectures with a path from the input to
// the output count: the space holds the others too, but they ignore their input (a search on
// hard data can score one best, at chance), and retraining one is refused.
func (s *Search) Best(k int) []Ranked {
	out := make([]Ranked, 0, len(s.visits))
	for _, v := range s.visits {
		if v.arch.Connected() {
			out = append(out, Ranked{Arch: v.arch, ValLoss: v.valLoss, Visits: v.count, FirstStep: v.step})
		}
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

// finiteOr0 returns x, or 0 when x is NaN or infinite (JSON has no NaN; the record's NonFinite
// count says when a training loss is missing).
func finiteOr0(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}
