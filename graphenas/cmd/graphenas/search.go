package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/controller"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/search"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// dataFlags are the flags that choose the data set.
type dataFlags struct {
	name, dir         string
	trainImgs, tstImg int
}

func addDataFlags(fs *flag.FlagSet) *dataFlags {
	d := &dataFlags{}
	fs.StringVar(&d.name, "dataset", "fashion-mnist", "data set: fashion-mnist or cifar10")
	fs.StringVar(&d.dir, "data", "", "folder holding the data set's files (default: $GRAPHENAS_DATA, /usr/share/datasets, ~/.cache/graphenas)")
	fs.IntVar(&d.trainImgs, "train-images", 0, "use only the first N training images (0: all; for quick runs)")
	fs.IntVar(&d.tstImg, "test-images", 0, "use only the first N test images (0: all)")
	return d
}

func (d *dataFlags) load() (*data.Dataset, error) {
	ds, err := data.Load(d.name, d.dir)
	if err != nil {
		return nil, err
	}
	if d.trainImgs < 0 || d.tstImg < 0 {
		return nil, fmt.Errorf("--train-images and --test-images must not be negative")
	}
	return ds.Head(d.trainImgs, d.tstImg), nil
}

// configFlags registers a flag for every field of search.Config and returns a function that
// builds the Config once the flags are parsed.
func configFlags(fs *flag.FlagSet) func() (search.Config, error) {
	sd, cd := supergraph.DefaultConfig(), controller.DefaultConfig()
	seed := fs.Uint64("seed", 1, "seed of every random choice")
	strategy := fs.String("strategy", "graphenas", "graphenas, original, random or evolution")
	budgetBatches := fs.Int("budget-batches", 0, "training batches per step (reproducible); default 2 when no --budget-seconds")
	budgetSeconds := fs.Float64("budget-seconds", 0, "training seconds per step instead of batches")
	randomBudget := fs.Bool("random-budget", false, "draw each step's time budget from U[0, 2·budget-seconds] (the original)")
	evalBatches := fs.Int("eval-batches", 4, "architecture-split batches per evaluation")
	population := fs.Int("population", 10, "evolution: population size")
	sample := fs.Int("sample", 3, "evolution: tournament size")
	ckEvery := fs.Int("checkpoint-every", 10, "steps between checkpoints")
	nodes := fs.Int("nodes", sd.Nodes, "nodes per architecture (input and output included)")
	channels := fs.Int("channels", sd.Channels, "channels of the first stage (doubled at every halving)")
	lps := fs.Int("layers-per-stage", sd.LayersPerStage, "nodes between two halvings of the resolution")
	batch := fs.Int("batch-size", sd.BatchSize, "images per batch")
	lr := fs.Float64("lr", sd.LearningRate, "shared weights: SGD learning rate")
	mom := fs.Float64("momentum", sd.Momentum, "shared weights: SGD momentum")
	bnMom := fs.Float64("bn-momentum", sd.BNMomentum, "batch-norm running-statistics momentum")
	wfrac := fs.Float64("weights-fraction", sd.WeightsFraction, "share of the training set for the weights (the rest scores architectures)")
	cache := fs.Int("cache-size", sd.CacheSize, "architectures whose executables are kept")
	hidden := fs.Int("ctrl-hidden", cd.Hidden, "controller: layer width")
	layers := fs.Int("ctrl-layers", cd.Layers, "controller: GraphSAGE layers")
	clr := fs.Float64("ctrl-lr", cd.LearningRate, "controller: Adam learning rate")
	actorW := fs.Float64("ctrl-actor-weight", cd.ActorWeight, "controller: weight of the actor's loss")
	k := fs.Int("ctrl-k", cd.K, "controller: steps credited to an edit")
	gamma := fs.Float64("ctrl-gamma", 0, "controller: discount (0: 1 − 1/K)")
	b0 := fs.Float64("beta-start", cd.BetaStart, "controller: inverse temperature at the start")
	b1 := fs.Float64("beta-end", cd.BetaEnd, "controller: inverse temperature after --beta-steps")
	bs := fs.Int("beta-steps", cd.BetaSteps, "controller: steps of the β schedule")
	replay := fs.Bool("replay", cd.Replay, "controller: train the critic on replayed minibatches")
	replaySize := fs.Int("replay-size", cd.ReplaySize, "controller: replay buffer size")
	replayBatch := fs.Int("replay-batch", cd.ReplayBatch, "controller: replay minibatch")
	baseline := fs.Bool("baseline", cd.Baseline, "controller: advantage baseline")
	entropy := fs.Float64("entropy-bonus", cd.EntropyBonus, "controller: entropy bonus weight")
	allActions := fs.Bool("all-actions", cd.AllActions, "controller: expected policy gradient over every legal edit")
	return func() (search.Config, error) {
		cfg := search.Config{Seed: *seed, Strategy: *strategy, EvalBatches: *evalBatches, Population: *population,
			Sample: *sample, CheckpointEvery: *ckEvery,
			Supergraph: supergraph.Config{Nodes: *nodes, Channels: *channels, LayersPerStage: *lps, BatchSize: *batch,
				LearningRate: *lr, Momentum: *mom, BNMomentum: *bnMom, WeightsFraction: *wfrac, CacheSize: *cache},
			Controller: controller.Config{Hidden: *hidden, Layers: *layers, LearningRate: *clr, ActorWeight: *actorW, K: *k,
				Gamma: *gamma, BetaStart: *b0, BetaEnd: *b1, BetaSteps: *bs, Replay: *replay, ReplaySize: *replaySize,
				ReplayBatch: *replayBatch, Baseline: *baseline, EntropyBonus: *entropy, AllActions: *allActions}}
		switch {
		case *budgetBatches > 0 && *budgetSeconds > 0:
			return cfg, fmt.Errorf("give --budget-batches or --budget-seconds, not both")
		case *budgetSeconds > 0:
			cfg.Budget = supergraph.Budget{Time: time.Duration(*budgetSeconds * float64(time.Second)), RandomTime: *randomBudget}
		case *budgetBatches > 0:
			cfg.Budget = supergraph.BatchBudget(*budgetBatches)
		case *budgetBatches < 0 || *budgetSeconds < 0:
			return cfg, fmt.Errorf("negative budget")
		default:
			cfg.Budget = supergraph.BatchBudget(2)
		}
		return cfg, nil
	}
}

// startBackend starts the back-end and says which one.
func startBackend(cmd string) (compute.Backend, error) {
	b, choice, err := backend.New()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "%s: back-end %s (%s)\n", cmd, choice.Name, choice.Reason)
	return b, nil
}

// stepStatus is the progress bar's text for a step.
func stepStatus(r search.StepRecord) string {
	return fmt.Sprintf("val loss %.4f acc %.3f", r.ValLoss, r.ValAccuracy)
}

// runSearch runs or resumes a search from the command line.
func runSearch(args []string) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	cfgOf := configFlags(fs)
	df := addDataFlags(fs)
	steps := fs.Int("steps", 100, "total search steps (a resumed run continues up to this number)")
	out := fs.String("out", "", "run directory for steps.jsonl, checkpoints, best-arch.json and report.html (default runs/<strategy>-seed<seed>-<time>)")
	resume := fs.Bool("resume", false, "continue the search saved in --out")
	retrainEpochs := fs.Float64("retrain-epochs", 0, "after the search, retrain the best architecture for this many epochs")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := cfgOf()
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if *steps <= 0 {
		return fmt.Errorf("search: --steps must be positive")
	}
	if *resume && *out == "" {
		return fmt.Errorf("search: --resume needs --out DIR, the run to continue")
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("runs", fmt.Sprintf("%s-seed%d-%s", cfg.Strategy, cfg.Seed, time.Now().Format("20060102-150405")))
	}
	ds, err := df.load()
	if err != nil {
		return err
	}
	b, err := startBackend("search")
	if err != nil {
		return err
	}
	defer b.Finalize()
	var s *search.Search
	if *resume {
		s, err = search.Resume(b, ds, dir)
	} else {
		s, err = search.Create(b, ds, cfg, dir)
	}
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(os.Stderr, "search: %s, seed %d, %d steps, budget %v per step, run directory %s\n",
		s.Config().Strategy, s.Config().Seed, *steps, s.Config().Budget, dir)
	var bar *progress.Bar
	if !*quiet {
		bar = progress.New(os.Stderr, "search "+s.Config().Strategy, *steps)
	}
	err = s.Run(max(0, *steps-s.Steps()), func(r search.StepRecord) error {
		if bar != nil {
			bar.Update(r.Step+1, stepStatus(r))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := writeReport(dir); err != nil {
		return err
	}
	best := s.Best(1)
	if len(best) > 0 {
		fmt.Printf("best architecture: %s (val loss %.4f, %d visits); written to %s\n", best[0].Arch, best[0].ValLoss,
			best[0].Visits, filepath.Join(dir, search.BestFile))
	}
	if *retrainEpochs > 0 && len(best) > 0 {
		r, err := retrain(b, ds, best[0].Arch, search.RetrainConfig{Seed: s.Config().Seed, Epochs: *retrainEpochs,
			Network: s.Config().Supergraph}, *quiet)
		if err != nil {
			return err
		}
		return writeJSON(filepath.Join(dir, "retrain.json"), r)
	}
	return nil
}

// retrain runs search.Retrain with a progress bar and prints the result.
func retrain(b compute.Backend, ds *data.Dataset, a *arch.Arch, cfg search.RetrainConfig, quiet bool) (search.RetrainResult, error) {
	var bar *progress.Bar
	cfg.Progress = func(p search.RetrainPoint) {
		if quiet {
			return
		}
		if bar == nil {
			bar = progress.New(os.Stderr, "retrain", p.TotalBatches)
		}
		bar.Update(p.Batches, fmt.Sprintf("epoch %.2f loss %.4f acc %.3f lr %.4f", p.Epoch, p.TrainLoss, p.TrainAccuracy, p.LearningRate))
	}
	r, err := search.Retrain(b, ds, a, cfg)
	if err != nil {
		return r, err
	}
	fmt.Printf("retrained %s for %g epochs: test accuracy %.2f%%, test loss %.4f, %d parameters, %s\n",
		r.Arch, r.Epochs, 100*r.TestAccuracy, r.TestLoss, r.Params, progress.Duration(time.Duration(r.Seconds*float64(time.Second))))
	return r, nil
}

// runRetrain retrains an architecture from a file.
func runRetrain(args []string) error {
	fs := flag.NewFlagSet("retrain", flag.ContinueOnError)
	archFile := fs.String("arch", "", "best-arch.json, an architecture's JSON, or a file with its text form")
	epochs := fs.Float64("epochs", 1, "epochs over the training set")
	seed := fs.Uint64("seed", 1, "seed of the fresh weights and the data order")
	lr := fs.Float64("lr", 0.05, "peak learning rate (warm-up, then cosine to zero)")
	channels := fs.Int("channels", 0, "channels of the first stage (default: the search's, else 20)")
	batch := fs.Int("batch-size", 0, "images per batch (default: the search's, else 64)")
	out := fs.String("out", "", "write the result as JSON to this file")
	quiet := fs.Bool("quiet", false, "no progress bar")
	df := addDataFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *archFile == "" {
		return fmt.Errorf("retrain: --arch FILE is required")
	}
	a, err := search.ReadArch(*archFile)
	if err != nil {
		return err
	}
	net := supergraph.Config{}
	var best search.BestArch
	if raw, err := os.ReadFile(*archFile); err == nil && json.Unmarshal(raw, &best) == nil && best.Supergraph.Nodes > 0 {
		net = best.Supergraph
	}
	net.Nodes = a.N()
	if *channels > 0 {
		net.Channels = *channels
	}
	if *batch > 0 {
		net.BatchSize = *batch
	}
	ds, err := df.load()
	if err != nil {
		return err
	}
	b, err := startBackend("retrain")
	if err != nil {
		return err
	}
	defer b.Finalize()
	r, err := retrain(b, ds, a, search.RetrainConfig{Seed: *seed, Epochs: *epochs, LearningRate: *lr, Network: net}, *quiet)
	if err != nil {
		return err
	}
	if *out != "" {
		return writeJSON(*out, r)
	}
	return nil
}

// runCompare compares strategies over seeds, each search followed by a retraining.
func runCompare(args []string) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	cfgOf := configFlags(fs)
	df := addDataFlags(fs)
	strategies := fs.String("strategies", strings.Join(search.Strategies(), ","), "comma-separated strategies")
	seeds := fs.String("seeds", "1,2,3", "comma-separated seeds")
	steps := fs.Int("steps", 100, "steps per search")
	retrainEpochs := fs.Float64("retrain-epochs", 1, "epochs of retraining of each search's best architecture (0: none)")
	retrainLR := fs.Float64("retrain-lr", 0.05, "peak learning rate of retraining")
	out := fs.String("out", "compare", "directory for the runs, compare.json, compare.md and the plots; an existing one is resumed")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := cfgOf()
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	cc := search.CompareConfig{Search: cfg, Steps: *steps, Dir: *out,
		Retrain: search.RetrainConfig{Epochs: *retrainEpochs, LearningRate: *retrainLR}}
	for _, s := range strings.Split(*strategies, ",") {
		cc.Strategies = append(cc.Strategies, strings.TrimSpace(s))
	}
	for _, s := range strings.Split(*seeds, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return fmt.Errorf("compare: bad --seeds %q", *seeds)
		}
		cc.Seeds = append(cc.Seeds, v)
	}
	ds, err := df.load()
	if err != nil {
		return err
	}
	b, err := startBackend("compare")
	if err != nil {
		return err
	}
	defer b.Finalize()
	total := len(cc.Strategies) * len(cc.Seeds)
	bars := map[string]*progress.Bar{}
	barOf := func(run search.CompareRun, what string, n int) *progress.Bar {
		key := fmt.Sprintf("%s %s seed %d", what, run.Strategy, run.Seed)
		if bars[key] == nil {
			bars[key] = progress.New(os.Stderr, fmt.Sprintf("[%d runs] %s", total, key), n)
		}
		return bars[key]
	}
	if !*quiet {
		cc.OnStep = func(run search.CompareRun, r search.StepRecord) {
			barOf(run, "search", *steps).Update(r.Step+1, stepStatus(r))
		}
		cc.OnRetrain = func(run search.CompareRun, p search.RetrainPoint) {
			barOf(run, "retrain", p.TotalBatches).Update(p.Batches, fmt.Sprintf("loss %.4f acc %.3f", p.TrainLoss, p.TrainAccuracy))
		}
	}
	res, err := search.Compare(b, ds, cc)
	if err != nil {
		return err
	}
	if err := writeCompareReport(*out, res); err != nil {
		return err
	}
	fmt.Print(res.Markdown())
	fmt.Printf("\nwritten: %s\n", filepath.Join(*out, "compare.md"))
	return nil
}

func writeJSON(path string, v any) error {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(out, '\n'), 0o644)
}
