package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/retrain"
	"github.com/graphenas/graphenas/graphenas/search"
	"github.com/graphenas/graphenas/graphenas/strategy"
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
	intFlag(fs, &d.trainImgs, "train-images", 0, 1<<30, "use only the first N training images (0: all; for quick runs)")
	intFlag(fs, &d.tstImg, "test-images", 0, 1<<30, "use only the first N test images (0: all)")
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

// configFlags binds a flag to every field of a search.Config that starts as search.DefaultConfig,
// the one source of the defaults, so that a field without a flag keeps its default and no flag
// restates one. Numeric flags are validated as they are parsed (finite, in range, the error
// naming the flag). The returned function checks what no single flag can (the budget given
// twice, a tournament larger than the population) and returns the configuration.
func configFlags(fs *flag.FlagSet) func() (search.Config, error) {
	return configFlagsOn(fs, search.DefaultConfig())
}

// configFlagsOn is configFlags over base instead of the default (a resumed run's saved
// configuration: then the flags given are exactly the changes asked for).
func configFlagsOn(fs *flag.FlagSet, base search.Config) func() (search.Config, error) {
	cfg := base
	sg := &cfg.Supergraph
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of every random choice")
	fs.StringVar(&cfg.Strategy, "strategy", cfg.Strategy, "the strategy: "+strings.Join(search.Strategies(), ", ")+
		", or a variant written name:setting=value+…, e.g. graphenas-walk:k=3+entropy=0.05 or evolution:pick=gp (settings: "+settingNames()+")")
	intFlag(fs, &cfg.Budget.Batches, "budget-batches", 1, 1<<20, "training batches per step (reproducible)")
	budgetSeconds := base.Budget.Time.Seconds()
	floatFlag(fs, &budgetSeconds, "budget-seconds", 0, 3600, "training seconds per step, instead of --budget-batches")
	fs.BoolVar(&cfg.Budget.RandomTime, "random-budget", cfg.Budget.RandomTime, "draw each step's time budget from U[0, 2·budget-seconds] (the original)")
	intFlag(fs, &cfg.EvalBatches, "eval-batches", 1, 1<<20, "architecture-split batches per evaluation")
	intFlag(fs, &cfg.Population, "population", 1, 1<<20, "evolution: population size")
	intFlag(fs, &cfg.Sample, "sample", 1, 1<<20, "evolution: tournament size")
	intFlag(fs, &cfg.CheckpointEvery, "checkpoint-every", 1, 1<<20, "steps between checkpoints")
	intFlag(fs, &cfg.Warmup.Batches, "warmup-batches", 0, 1<<24, "batches of uniform single-path training of the shared weights before the first step (0: none)")
	intFlag(fs, &sg.Nodes, "nodes", arch.MinNodes, arch.MaxNodes, "nodes per architecture (input and output included)")
	intFlag(fs, &sg.Channels, "channels", 1, 4096, "channels of the first stage (doubled at every halving)")
	intFlag(fs, &sg.LayersPerStage, "layers-per-stage", 1, arch.MaxNodes, "nodes between two halvings of the resolution")
	intFlag(fs, &sg.BatchSize, "batch-size", 1, 1<<16, "images per batch")
	positiveFloatFlag(fs, &sg.LearningRate, "lr", 100, "shared weights: SGD learning rate")
	positiveFloatFlag(fs, &sg.Momentum, "momentum", 0.999, "shared weights: SGD momentum (0, which the configuration reads as its default, is refused)")
	positiveFloatFlag(fs, &sg.BNMomentum, "bn-momentum", 1, "batch-norm running-statistics momentum")
	floatFlag(fs, &sg.WeightsFraction, "weights-fraction", 0.01, 0.99, "share of the training set for the weights (the rest scores architectures)")
	intFlag(fs, &sg.CacheSize, "cache-size", 1, 1<<16, "architectures whose executables are kept")
	return func() (search.Config, error) {
		switch {
		case isSet(fs, "budget-seconds"):
			if isSet(fs, "budget-batches") {
				return cfg, fmt.Errorf("give --budget-batches or --budget-seconds, not both")
			}
			if budgetSeconds == 0 {
				return cfg, fmt.Errorf("--budget-seconds must be positive")
			}
			cfg.Budget = supergraph.Budget{Time: time.Duration(budgetSeconds * float64(time.Second)), RandomTime: cfg.Budget.RandomTime}
		case isSet(fs, "budget-batches"):
			if isSet(fs, "random-budget") && cfg.Budget.RandomTime {
				return cfg, fmt.Errorf("--random-budget needs --budget-seconds")
			}
			cfg.Budget = supergraph.BatchBudget(cfg.Budget.Batches)
		case cfg.Budget.RandomTime && cfg.Budget.Time == 0:
			return cfg, fmt.Errorf("--random-budget needs --budget-seconds")
		}
		if cfg.Sample > cfg.Population {
			return cfg, fmt.Errorf("--sample %d is larger than --population %d", cfg.Sample, cfg.Population)
		}
		spec, err := strategy.ParseSpec(cfg.Strategy)
		if err != nil {
			return cfg, fmt.Errorf("--strategy: %w", err)
		}
		// Settings that only one strategy reads are refused for the others, not ignored.
		for _, name := range []string{"population", "sample"} {
			if isSet(fs, name) && spec.Base != search.StrategyEvolution {
				return cfg, fmt.Errorf("--%s configures %s only, not %s", name, search.StrategyEvolution, cfg.Strategy)
			}
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

// searchFlags are the search command's flags besides the configuration.
type searchFlags struct {
	steps                      int
	out                        string
	resume, quiet, printConfig bool
	retrainEpochs              float64
	data                       *dataFlags
}

// parseSearchFlags parses the search command's arguments, the configuration flags on base.
func parseSearchFlags(args []string, base search.Config) (*searchFlags, search.Config, error) {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	cfgOf := configFlagsOn(fs, base)
	f := &searchFlags{steps: 100, data: addDataFlags(fs)}
	intFlag(fs, &f.steps, "steps", 1, 1<<30, "total search steps (a resumed run continues up to this number)")
	fs.StringVar(&f.out, "out", "", "run directory for steps.jsonl, checkpoints, best-arch.json and report.html (default runs/<strategy>-seed<seed>-<time>)")
	fs.BoolVar(&f.resume, "resume", false, "continue the search saved in --out; flags given change its settings where that is allowed ("+
		strings.Join(search.ResumableFields, ", ")+"), and are refused elsewhere")
	floatFlag(fs, &f.retrainEpochs, "retrain-epochs", 0, 1000, "after the search, retrain the best architecture for this many epochs")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	fs.BoolVar(&f.printConfig, "print-config", false, "print the resolved configuration as JSON and exit (with --resume: the resumed run's)")
	if err := fs.Parse(args); err != nil {
		return nil, base, err
	}
	cfg, err := cfgOf()
	if err != nil {
		return nil, base, fmt.Errorf("search: %w", err)
	}
	return f, cfg, nil
}

// runSearch runs or resumes a search from the command line.
func runSearch(args []string) error {
	f, cfg, err := parseSearchFlags(args, search.DefaultConfig())
	if err != nil {
		return err
	}
	if f.resume {
		if f.out == "" {
			return fmt.Errorf("search: --resume needs --out DIR, the run to continue")
		}
		saved, err := search.SavedConfig(f.out)
		if err != nil {
			return err
		}
		// The same flags over the saved configuration: what differs is what they change.
		if _, cfg, err = parseSearchFlags(args, saved); err != nil {
			return err
		}
		// A change a resumed run refuses is refused before Resume touches the run's log.
		if _, _, err := search.CheckChange(saved, cfg); err != nil {
			return err
		}
	}
	if f.printConfig {
		return printJSON(cfg)
	}
	dir := f.out
	if dir == "" {
		dir = filepath.Join("runs", fmt.Sprintf("%s-seed%d-%s", search.FileName(cfg.Strategy), cfg.Seed, time.Now().Format("20060102-150405")))
	}
	ds, err := f.data.load()
	if err != nil {
		return err
	}
	b, err := startBackend("search")
	if err != nil {
		return err
	}
	defer b.Finalize()
	var s *search.Search
	if f.resume {
		var opts []search.Option
		if !f.quiet {
			opts = append(opts, search.WithProgress(progress.NewBars(os.Stderr).Report))
		}
		if s, err = search.Resume(b, ds, dir, opts...); err != nil {
			return err
		}
		changes, err := s.Change(cfg)
		if err != nil {
			s.Close()
			return err
		}
		for _, c := range changes {
			fmt.Fprintf(os.Stderr, "search: from step %d on, %s\n", s.Steps(), c)
		}
	} else if s, err = search.Create(b, ds, cfg, dir); err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(os.Stderr, "search: %s, seed %d, %d steps, budget %v per step, run directory %s\n",
		s.Config().Strategy, s.Config().Seed, f.steps, s.Config().Budget, dir)
	if w := s.Config().Warmup; s.WarmupDone() < w.Batches {
		var report progress.Func
		if !f.quiet {
			report = progress.NewBars(os.Stderr).Report
		}
		if err := s.RunWarmup(report); err != nil {
			return err
		}
	}
	var bar *progress.Bar
	if !f.quiet {
		bar = progress.New(os.Stderr, "search "+s.Config().Strategy, f.steps).From(s.Steps()) // a resumed search starts part-way
	}
	err = s.Run(max(0, f.steps-s.Steps()), func(r search.StepRecord) error {
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
	best, ok := s.Pick()
	if ok {
		fmt.Printf("the strategy's pick: %s (val loss %.4f, %d visits); written to %s\n", best.Arch, best.ValLoss,
			best.Visits, filepath.Join(dir, search.BestFile))
	}
	if rho, n := search.CriticRho(s.History()); n >= 3 {
		fmt.Printf("the critic: Spearman ρ %.2f between its predicted and the realised returns (n = %d)\n", rho, n)
	}
	if f.retrainEpochs > 0 && ok {
		_, err := retrainShowing(b, ds, best.Arch, retrain.Config{Seed: s.Config().Seed, Epochs: f.retrainEpochs,
			Network: s.Config().Supergraph, Out: filepath.Join(dir, "retrain.json")}, f.quiet)
		return err
	}
	return nil
}

// retrainShowing runs retrain.Run with a progress bar and prints the result.
func retrainShowing(b compute.Backend, ds *data.Dataset, a *arch.Arch, cfg retrain.Config, quiet bool) (retrain.Result, error) {
	if !quiet {
		cfg.Progress = progress.NewBars(os.Stderr).Report
	}
	r, err := retrain.Run(b, ds, a, cfg)
	for _, w := range r.Warnings {
		fmt.Fprintln(os.Stderr, "retrain: warning:", w)
	}
	if err != nil {
		return r, err
	}
	diverged := ""
	if r.Diverged {
		diverged = " (the weights diverged: lower the learning rate)"
	}
	fmt.Printf("retrained %s for %g epochs: test accuracy %.2f%%, test loss %.4f%s, %d parameters, %s\n",
		r.Arch, r.Epochs, 100*r.TestAccuracy, r.TestLoss, diverged, r.Params, progress.Duration(time.Duration(r.Seconds*float64(time.Second))))
	if cfg.Out != "" {
		fmt.Printf("written: %s\n", cfg.Out)
	}
	return r, nil
}

// runRetrain retrains an architecture from a file.
func runRetrain(args []string) error {
	fs := flag.NewFlagSet("retrain", flag.ContinueOnError)
	archFile := fs.String("arch", "", "best-arch.json, an architecture's JSON, or a file with its text form")
	epochs, lr, channels, batch, stem := 1.0, 0.05, 0, 0, 0
	positiveFloatFlag(fs, &epochs, "epochs", 1000, "epochs over the training set")
	seed := fs.Uint64("seed", 1, "seed of the fresh weights and the data order")
	positiveFloatFlag(fs, &lr, "lr", 100, "peak learning rate (warm-up, then cosine to zero)")
	intFlag(fs, &channels, "channels", 1, 4096, "channels of the first stage (default: the search's, else 20)")
	intFlag(fs, &batch, "batch-size", 1, 1<<16, "images per batch (default: the search's, else 64)")
	intFlag(fs, &stem, "stem-stride", 1, 2, "stem stride: 2 runs every node at half the resolution (default: the search's)")
	out := fs.String("out", "", "write the result as JSON to this file")
	checkpoint := fs.String("checkpoint", "", "save the retraining's state to this file every minute; started again with it, the retraining continues where it stopped (the file is removed when it finishes)")
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
	if isSet(fs, "channels") {
		net.Channels = channels
	}
	if isSet(fs, "batch-size") {
		net.BatchSize = batch
	}
	if isSet(fs, "stem-stride") {
		net.StemStride = stem
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
	_, err = retrainShowing(b, ds, a, retrain.Config{Seed: *seed, Epochs: epochs, LearningRate: lr, Network: net,
		Checkpoint: *checkpoint, Out: *out}, *quiet)
	return err
}

// runCompare compares strategies over seeds, each search followed by a retraining.
func runCompare(args []string) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	cfgOf := configFlags(fs)
	df := addDataFlags(fs)
	strategies := fs.String("strategies", strings.Join(search.CompareStrategies(), ","), "comma-separated strategies (any of "+strings.Join(search.Strategies(), ", ")+", or their variants)")
	seeds := fs.String("seeds", "1,2,3", "comma-separated seeds")
	steps, retrainEpochs, retrainLR, retrainChannels, retrainBatch := 100, 1.0, 0.05, 0, 0
	intFlag(fs, &steps, "steps", 1, 1<<30, "steps per search")
	floatFlag(fs, &retrainEpochs, "retrain-epochs", 0, 1000, "epochs of retraining of each search's best architecture (0: none; searched runs can be retrained later by running again with a budget)")
	positiveFloatFlag(fs, &retrainLR, "retrain-lr", 100, "peak learning rate of retraining")
	intFlag(fs, &retrainChannels, "retrain-channels", 1, 4096, "channels of the first stage when retraining (default: the search's)")
	intFlag(fs, &retrainBatch, "retrain-batch-size", 1, 1<<16, "images per batch when retraining (default: the search's)")
	out := fs.String("out", "compare", "directory for the runs, compare.json, compare.md and the plots; an existing one is resumed, and its picks retrained if the retraining budget changed")
	quiet := fs.Bool("quiet", false, "no progress bar")
	workers := 1
	intFlag(fs, &workers, "workers", 1, 1024, "searches and retrainings run at once, sharing the back-end (on a GPU, many small networks side by side; results do not depend on it)")
	readOnly := fs.Bool("read-only", false, "only read back the finished runs and write the tables: no search, no retraining; each run shows its retraining with the --retrain-* budget (none if it has none), or its latest with --retrain-epochs 0")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := cfgOf()
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	cc := search.CompareConfig{Search: cfg, Steps: steps, Dir: *out, Workers: workers, ReadOnly: *readOnly,
		Retrain: retrain.Config{Epochs: retrainEpochs, LearningRate: retrainLR,
			Network: supergraph.Config{Channels: retrainChannels, BatchSize: retrainBatch}}}
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
	if !*quiet {
		// Several runs at once would redraw one terminal line in turn: their bars print plain lines
		// instead (a writer that is not the terminal's file), one at a time.
		var barOut io.Writer = os.Stderr
		if workers > 1 {
			barOut = struct{ io.Writer }{os.Stderr}
		}
		cc.Progress = progress.NewBars(barOut).Report
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

// settingNames lists the settings a strategy's variant may change.
func settingNames() string {
	var names []string
	for _, s := range strategy.Settings() {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

// printJSON writes v to standard output as indented JSON.
func printJSON(v any) error {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(out, '\n'))
	return err
}
