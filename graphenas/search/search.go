// Package search is one GraphEnas search with shared weights (graphenas/DESIGN.md §4): a
// strategy (package strategy, the same ones the NAS-Bench-201 table runs) proposes the next
// architecture, the shared weights train on it for a budget, it is evaluated on the architecture
// split, and the strategy observes its validation loss (strategy.LossScore). Step does one such
// step and returns its record; Run does many.
//
// With a run directory, every step appends one JSON line to steps.jsonl and the whole state is
// checkpointed atomically every few steps, so Resume continues a killed run with nothing lost:
// the shared weights come from the checkpoint, and the strategy is rebuilt from the seed and
// replays the logged steps, each of its proposals checked against the log.
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
	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/graphenas/stats"
	"github.com/graphenas/graphenas/graphenas/strategy"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// Names of some strategies, as package strategy writes them (every name of strategy.Names runs,
// and its variants).
const (
	StrategyWalk       = strategy.NameWalk       // the controller's walk (the default)
	StrategyOriginal   = strategy.NameOriginal   // that walk in the original's faithful mode
	StrategyRandomWalk = strategy.NameRandomWalk // uniform single edits, moving every step
	StrategyGraphEnas  = strategy.NameGraphEnas  // GraphEnas's own components: the actor proposes, the critic screens
	StrategyGPLocal    = strategy.NameGPLocal    // the surrogate process's local search, uniform proposals
	StrategyRandom     = strategy.NameRandom     // random architectures, each with a path from input to output
	StrategyEvolution  = strategy.NameEvolution  // regularized evolution, Config.Population and Sample
)

// Strategies lists the strategies a search runs (strategy.Names); each also takes the variants
// strategy.ParseSpec reads, e.g. "graphenas-gp:proposals=8" or "evolution:pick=gp".
func Strategies() []string { return strategy.Names() }

// CompareStrategies is the set Compare runs by default: GraphEnas's own loop and walk, the loop
// with the surrogate process, and the baselines that matter most on the table (gp-local,
// evolution) and random search.
func CompareStrategies() []string {
	return []string{StrategyGraphEnas, strategy.NameGraphEnasGP, StrategyGPLocal, StrategyWalk, StrategyEvolution, StrategyRandom}
}

// Config is everything a search needs. DefaultConfig is the one source of its defaults: start
// from it and change fields. (A zero numeric field is also filled from DefaultConfig, so a
// partly filled Config works; the command line binds its flags to DefaultConfig's fields.)
type Config struct {
	// Seed drives every random choice: weights, data order, the controller, edits.
	Seed uint64 `json:"seed"`
	// Strategy names the strategy (Strategies, or a variant strategy.ParseSpec reads, whose
	// settings configure its controller, e.g. "graphenas-walk:k=3").
	Strategy string `json:"strategy"`
	// Supergraph is the child network (supergraph.DefaultConfig: 5 nodes, 20 channels, 4 layers
	// per stage, batch 64, SGD lr 1e-3 momentum 0.9, an 80/20 weights/architecture split). Its
	// Seed is replaced by Seed, and evaluation always uses batch statistics (EvalBatchStats).
	Supergraph supergraph.Config `json:"supergraph"`
	// Controller is what the search records of its strategy's actor-critic, for people and plots
	// (zero for strategies without one). It is not a setting: a strategy's controller is configured
	// by its name's settings (strategy.Spec), e.g. "graphenas-walk:k=3".
	Controller controller.Config `json:"controller"`
	// Budget is the training per step: batches (reproducible) or wall-clock time.
	Budget supergraph.Budget `json:"budget"`
	// EvalBatches is the number of architecture-split batches per evaluation.
	EvalBatches int `json:"eval_batches"`
	// Population and Sample are regularized evolution's population size and tournament size, for
	// evolution and its variants (strategy.Population, the same evolution as on the table;
	// defaults strategy.DefaultPopulation and strategy.DefaultSample).
	Population int `json:"population"`
	Sample     int `json:"sample"`
	// CheckpointEvery is the number of steps between checkpoints of a run with a directory
	// (one is also written when Run ends).
	CheckpointEvery int `json:"checkpoint_every"`
	// Warmup trains the shared weights by uniform single-path training before the first step.
	Warmup Warmup `json:"warmup,omitempty"`
}

// DefaultConfig returns the default search: the controller's walk (graphenas-walk,
// controller.DefaultConfig, return scaling on) on the child network (supergraph.DefaultConfig)
// narrowed to 8 channels, whose shared weights first warm up on 2,000 batches of uniform
// single-path training at learning rate 0.05; then one training batch and four validation
// batches per step, seed 1. The warm-up and the learning rate are what made the shared weights
// rank architectures (Kendall τ ≈ 0.55 against the ground truth, against ≈ 0 at the original's
// 1e-3; RESULTS.md).
func DefaultConfig() Config {
	sc := supergraph.DefaultConfig()
	sc.Channels, sc.LearningRate = 8, 0.05
	sc.EvalBatchStats = true // see supergraph.Config.EvalBatchStats
	return Config{Seed: 1, Strategy: StrategyWalk, Supergraph: sc, Warmup: Warmup{Batches: 2000},
		Budget: supergraph.BatchBudget(1), EvalBatches: 4, Population: strategy.DefaultPopulation, Sample: strategy.DefaultSample, CheckpointEvery: 10}
}

// withDefaults fills the zero fields from DefaultConfig and checks the rest.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.Strategy == "" {
		c.Strategy = d.Strategy
	}
	if _, err := strategy.ParseSpec(c.Strategy); err != nil {
		return c, fmt.Errorf("search: %w", err)
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
	case c.Warmup.Batches < 0:
		return c, fmt.Errorf("search: warm-up of %d batches", c.Warmup.Batches)
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
	// drew it afresh (a walk's start, evolution filling its population, a restart) or queried it
	// again (a confirmation).
	Action *space.Action `json:"action,omitempty"`
	// Before is the architecture the edit started from (the walk's current one, evolution's
	// parent, the loop's incumbent).
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
	// CriticMean and CriticStd: the critic's prediction of the edit's return (strategies with a
	// controller, for an edit the actor proposed or the critic screened).
	CriticMean float64 `json:"critic_mean"`
	CriticStd  float64 `json:"critic_std"`
	// Redrawn counts the actor's proposals set aside before this edit because they left no path
	// from input to output (a walk variant with connected=1).
	Redrawn int `json:"redrawn,omitempty"`
	// Stats is what the controller learned from at this step (controller strategies): its
	// losses, entropy, the edit's log-probability, baseline, return scale, and the realised
	// return (Σ γ^k δ over K steps) of step ReturnStep, which this step's δ completed.
	controller.Stats
	// Delta is log(val loss) − log(val loss of Before at its last evaluation): the edit's
	// immediate effect (0 for an architecture drawn afresh).
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
	// Controller is the strategy's time to propose (the controller's, for strategies with one).
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
	sp      space.Supergraph
	strat   strategy.Strategy
	current *space.Graph // the architecture of the last step (nil before the first)
	history []StepRecord
	visits  map[string]*visit
	run     *runDir // nil without a run directory

	// afterStep persists each step (installed by Create and Resume; nil without a directory).
	afterStep func(*StepRecord) error
	// failed is the error of a step or checkpoint that failed half-way: the search refuses to
	// go on, and Close writes nothing, so the directory keeps its last good checkpoint.
	failed error
	// pending are configuration changes (Change) not yet recorded in a step.
	pending []ConfigChange
	// lastCheckpoint is the time of the checkpoint written after the previous step.
	lastCheckpoint float64
	// warmupDone counts the warm-up batches done (Config.Warmup).
	warmupDone int
	// checkpointHook, when set (an Option of the tests), is called at each phase of writing a
	// checkpoint.
	checkpointHook func(phase string)
}

type visit struct {
	arch    *arch.Arch
	valLoss float64
	count   int
	step    int
}

// New starts a search on ds, without a run directory.
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
	s := &Search{cfg: cfg, backend: b, sg: sg, sp: space.Supergraph{Nodes: sc.Nodes, LayersPerStage: sc.LayersPerStage},
		visits: map[string]*visit{}}
	if s.strat, err = newStrategy(b, s.sp, cfg); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if c, ok := s.strat.(strategy.Controlled); ok && c.Controller() != nil {
		s.cfg.Controller = c.Controller().Config()
	}
	return s, nil
}

// newStrategy builds the strategy cfg names over sp, every random choice drawn from cfg.Seed.
func newStrategy(b compute.Backend, sp space.Space, cfg Config) (strategy.Strategy, error) {
	f, err := strategy.NewFactory(cfg.Strategy, strategy.Env{Space: sp, Backend: b, Population: cfg.Population, Sample: cfg.Sample})
	if err != nil {
		return nil, err
	}
	return f(rand.New(rand.NewPCG(cfg.Seed, 0x5EA4C4)))
}

// Config returns the configuration in use, defaults filled in.
func (s *Search) Config() Config { return s.cfg }

// Supergraph returns the child network with the shared weights.
func (s *Search) Supergraph() *supergraph.Supergraph { return s.sg }

// Strategy returns the strategy that proposes the architectures.
func (s *Search) Strategy() strategy.Strategy { return s.strat }

// Controller returns the strategy's actor-critic, or nil for strategies without one.
func (s *Search) Controller() *controller.Controller {
	if c, ok := s.strat.(strategy.Controlled); ok {
		return c.Controller()
	}
	return nil
}

// Current returns the architecture of the last step, or nil before the first.
func (s *Search) Current() *arch.Arch {
	if s.current == nil {
		return nil
	}
	return space.ToArch(s.current)
}

// Pick returns the architecture the strategy believes best — the strategy's own pick, as on the
// table: for the loops with the surrogate process its posterior's choice, for the others the
// lowest mean validation loss of their evaluations — with its visits. When that architecture
// has no path from the input to the output (retraining refuses it), the pick is Best(1)'s. ok is
// false while no connected architecture was evaluated.
func (s *Search) Pick() (r Ranked, ok bool) {
	if len(s.history) > 0 {
		a := space.ToArch(s.strat.Best())
		if v := s.visits[a.Key()]; v != nil && a.Connected() {
			return Ranked{Arch: v.arch, ValLoss: v.valLoss, Visits: v.count, FirstStep: v.step}, true
		}
	}
	best := s.Best(1)
	if len(best) == 0 {
		return Ranked{}, false
	}
	return best[0], true
}

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

// Step does one search step (graphenas/DESIGN.md §4) and returns its record: the strategy
// proposes the next architecture, the shared weights train on it for the budget, it is
// evaluated on the architecture split, and the strategy observes its validation loss
// (strategy.LossScore). With a run directory, the record is then appended to steps.jsonl and a
// checkpoint is written every CheckpointEvery steps (the afterStep hook). A step that fails leaves
// the search refusing further steps: resume from the last checkpoint.
func (s *Search) Step() (rec StepRecord, err error) {
	if s.failed != nil {
		return rec, fmt.Errorf("search: an earlier step failed (%v); resume from the last checkpoint", s.failed)
	}
	if err := s.RunWarmup(nil); err != nil { // the warm-up comes before the first step
		return rec, err
	}
	defer func() {
		if err != nil {
			s.failed = err
		}
	}()
	rec = StepRecord{Step: len(s.history), Strategy: s.cfg.Strategy}

	t0 := time.Now()
	g, err := s.strat.Next() // propose
	if err != nil {
		return rec, fmt.Errorf("search: step %d: %w", rec.Step, err)
	}
	rec.Timing.Controller = time.Since(t0).Seconds()
	a := space.ToArch(g)

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
	if math.IsNaN(ev.Loss) || math.IsInf(ev.Loss, 0) || ev.Loss <= 0 {
		return rec, fmt.Errorf("search: step %d: validation loss %v for %v (the shared weights diverged; resume with a lower --lr)", rec.Step, ev.Loss, a)
	}

	t0 = time.Now()
	if err := s.strat.Observe(g, strategy.LossScore(ev.Loss)); err != nil { // learn
		return rec, fmt.Errorf("search: step %d: %w", rec.Step, err)
	}
	rec.Timing.Update = time.Since(t0).Seconds()

	if err := s.record(g, a, tr, ev, &rec); err != nil { // record
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

// record fills the step's record — how the strategy reached the architecture (strategy.Mover),
// what the training and the evaluation gave — and the search's bookkeeping: the current
// architecture, the visits and the history.
func (s *Search) record(g *space.Graph, a *arch.Arch, tr supergraph.TrainResult, ev supergraph.EvalResult, rec *StepRecord) error {
	archJSON, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if m, ok := moveOf(s.strat); ok {
		act := m.Action
		before := space.ToArch(m.Before)
		rec.Action, rec.Before = &act, before.String()
		rec.CriticMean, rec.CriticStd, rec.Beta, rec.Stats, rec.Redrawn = m.Mean, m.Std, m.Beta, m.Stats, m.Redrawn
		if v := s.visits[before.Key()]; v != nil {
			rec.Delta = math.Log(ev.Loss) - math.Log(v.valLoss)
		}
	}
	rec.Arch, rec.ArchText = archJSON, a.String()
	rec.TrainBatches, rec.TrainLoss, rec.NonFinite = tr.Batches, finiteOr0(tr.Loss), tr.NonFinite
	rec.ValLoss, rec.ValAccuracy = ev.Loss, ev.Accuracy
	rec.ConfigChanges, s.pending = s.pending, nil
	rec.Timing.Checkpoint = s.lastCheckpoint
	rec.Timing.Wall = time.Now().UTC().Format(time.RFC3339)
	s.current = g
	s.visit(a, ev.Loss, rec.Step)
	s.history = append(s.history, *rec)
	return nil
}

// visit counts an evaluation of a in the visits.
func (s *Search) visit(a *arch.Arch, valLoss float64, step int) {
	v := s.visits[a.Key()]
	if v == nil {
		v = &visit{arch: a, step: step}
		s.visits[a.Key()] = v
	}
	v.valLoss, v.count = valLoss, v.count+1
}

// moveOf is how st reached the architecture it observed last, when it says (strategy.Mover).
func moveOf(st strategy.Strategy) (strategy.Move, bool) {
	if m, ok := st.(strategy.Mover); ok {
		return m.LastMove()
	}
	return strategy.Move{}, false
}

// replay feeds the logged steps to the freshly built strategy, as a resumed search does: each
// proposal must be the architecture the log holds (the strategy is deterministic given its
// seed), and each observation is the logged validation loss. progress, when not nil, is called
// after each step.
func (s *Search) replay(records []StepRecord, report progress.Func) error {
	for i, rec := range records {
		g, err := s.strat.Next()
		if err != nil {
			return fmt.Errorf("replaying step %d: %w", rec.Step, err)
		}
		if got := space.ToArch(g).String(); got != rec.ArchText {
			return fmt.Errorf("replaying step %d: the strategy proposes %s where the log has %s (a log of another build or seed)", rec.Step, got, rec.ArchText)
		}
		if err := s.strat.Observe(g, strategy.LossScore(rec.ValLoss)); err != nil {
			return fmt.Errorf("replaying step %d: %w", rec.Step, err)
		}
		s.current = g
		s.visit(space.ToArch(g), rec.ValLoss, rec.Step)
		s.history = append(s.history, rec)
		if report != nil {
			report(progress.Event{Phase: "replay", Done: i + 1, Total: len(records)})
		}
	}
	return nil
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

// CriticPair is one step's critic prediction and the return realised once the next steps were
// known.
type CriticPair struct {
	Step                int
	Mean, Std, Realised float64
}

// CriticPairs returns, for every step whose return is known, the critic's prediction made at that
// step and the realised return.
func CriticPairs(recs []StepRecord) []CriticPair {
	byStep := map[int]StepRecord{}
	for _, r := range recs {
		byStep[r.Step] = r
	}
	var out []CriticPair
	for _, r := range recs {
		if r.Return == nil || r.ReturnStep == nil {
			continue
		}
		if p, ok := byStep[*r.ReturnStep]; ok {
			out = append(out, CriticPair{Step: p.Step, Mean: p.CriticMean, Std: p.CriticStd, Realised: *r.Return})
		}
	}
	return out
}

// CriticRho is the Spearman rank correlation between the critic's predicted and the realised
// returns of recs, and the number of pairs (NaN below three): does the critic know what an edit
// does?
func CriticRho(recs []StepRecord) (float64, int) {
	var pred, real []float64
	for _, p := range CriticPairs(recs) {
		pred, real = append(pred, p.Mean), append(real, p.Realised)
	}
	return stats.Spearman(pred, real)
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
