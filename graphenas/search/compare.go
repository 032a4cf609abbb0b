package search

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/ckpt"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/retrain"
	"github.com/graphenas/graphenas/graphenas/stats"
)

// CompareConfig is a comparison of strategies: every strategy runs with every seed, on the same
// data, configuration and budgets, and the best architecture of each search is retrained.
type CompareConfig struct {
	// Strategies to compare (default CompareStrategies) and Seeds (default 1, 2, 3).
	Strategies []string
	Seeds      []uint64
	// Search is the configuration shared by every search; Strategy and Seed are set per run.
	Search Config
	// Steps per search.
	Steps int
	// Retrain is applied to each search's best architecture; its Seed is the search's seed.
	// Epochs 0 skips retraining. With Network.Nodes 0 the child network is the search's
	// supergraph, except that a nonzero Network.Channels or Network.BatchSize replaces the
	// search's: the picks of a search on a narrow proxy can be retrained wider.
	Retrain retrain.Config
	// Dir receives one run directory per search (<strategy>-seed<k>) and compare.json/.md. A
	// comparison started again in the same Dir resumes: finished runs are read back, killed ones
	// resume from their checkpoint. A run whose search settings or steps differ from this
	// comparison's is refused. A finished run that was not retrained, or was retrained with
	// another budget, has its pick retrained now (the earlier retraining is kept in
	// EarlierRetrains), so a comparison can search first and retrain later, e.g. on a GPU; a
	// retraining stopped part-way continues from its checkpoint (RetrainCheckpointFile).
	Dir string
	// Workers is how many searches and retrainings run at once (default 1). They share the
	// back-end: on a GPU, many small networks trained side by side keep it busy where one alone
	// would not; on a CPU the back-end already spreads one network over the cores. Each run's
	// result depends only on its own seed, not on Workers.
	Workers int `json:"-"`
	// ReadOnly reads back the finished runs and starts nothing: no search and no retraining.
	// Each run shows its retraining with Retrain's budget (the latest or an earlier one), none if
	// it has none with that budget, or its latest when Retrain.Epochs is 0. A run that has not
	// finished its search is left out of the tables and listed in CompareResult.Unfinished.
	// compare.json and compare.md are written as usual.
	ReadOnly bool `json:"-"`
	// Progress, when set, receives every run's events, with Run "<strategy> seed <k>": each
	// search step (phase "search"), retraining report ("retrain") and test batch ("test"); with
	// several Workers from several goroutines at once.
	Progress progress.Func `json:"-"`
}

// CompareRun is one search of a comparison and its retraining.
type CompareRun struct {
	Strategy string `json:"strategy"`
	Seed     uint64 `json:"seed"`
	Dir      string `json:"dir"`
	// Best is the search's pick; Retrain what retraining it gave (nil when skipped).
	Best    BestArch        `json:"best"`
	Retrain *retrain.Result `json:"retrain,omitempty"`
	// EarlierRetrains are retrainings of the same pick with other budgets, oldest first.
	EarlierRetrains []retrain.Result `json:"earlier_retrains,omitempty"`
	Steps           int              `json:"steps"`
	SearchSeconds   float64          `json:"search_seconds"`
}

// name is how progress events name the run: "<strategy> seed <k>".
func (r CompareRun) name() string { return fmt.Sprintf("%s seed %d", r.Strategy, r.Seed) }

// check returns an error naming the first number of a finished run that no run can hold: a
// table of the comparison would otherwise overflow or mislead without naming the file.
func (r CompareRun) check() error {
	sane := func(v, lo, hi float64) bool { return v >= lo && v <= hi } // false for NaN
	switch {
	case r.Best.Arch == nil:
		return fmt.Errorf("no pick")
	case !sane(r.Best.ValLoss, 0, 1e6):
		return fmt.Errorf("validation loss %g", r.Best.ValLoss)
	case !sane(r.SearchSeconds, 0, 1e9) || r.Steps < 0 || r.Best.Visits < 0:
		return fmt.Errorf("%d steps, %g seconds, %d visits", r.Steps, r.SearchSeconds, r.Best.Visits)
	}
	for _, rt := range append([]retrain.Result{}, r.EarlierRetrains...) {
		if err := checkRetrain(rt); err != nil {
			return err
		}
	}
	if r.Retrain != nil {
		return checkRetrain(*r.Retrain)
	}
	return nil
}

// checkRetrain returns an error naming the first number of a retraining result out of range (a
// diverged one's test loss aside).
func checkRetrain(r retrain.Result) error {
	sane := func(v, lo, hi float64) bool { return v >= lo && v <= hi }
	switch {
	case !sane(r.TestAccuracy, 0, 1):
		return fmt.Errorf("retrained test accuracy %g", r.TestAccuracy)
	case !r.Diverged && !sane(r.TestLoss, 0, 1e6):
		return fmt.Errorf("retrained test loss %g", r.TestLoss)
	case r.Params < 0 || !sane(r.Epochs, 0, 1e6) || !sane(r.Seconds, 0, 1e9):
		return fmt.Errorf("retraining of %d parameters, %g epochs, %g seconds", r.Params, r.Epochs, r.Seconds)
	}
	return nil
}

// CompareSummary aggregates the runs of one strategy.
type CompareSummary struct {
	Strategy string `json:"strategy"`
	Runs     int    `json:"runs"`
	// Retrained counts the runs whose pick was retrained; the accuracy and parameter fields
	// below are over those runs, and zero when there are none.
	Retrained int `json:"retrained"`
	// Mean and standard deviation (over seeds, n−1) of the retrained test accuracy, and the
	// mean parameter count of the retrained architectures.
	AccuracyMean float64 `json:"accuracy_mean"`
	AccuracyStd  float64 `json:"accuracy_std"`
	ParamsMean   float64 `json:"params_mean"`
	// BestValLossMean is the mean shared-weight validation loss of the picks.
	BestValLossMean float64 `json:"best_val_loss_mean"`
	// SearchSecondsMean is the mean time of a search (the sum of its steps' phases).
	SearchSecondsMean float64 `json:"search_seconds_mean"`
}

// AccuracyText is the retrained test accuracy as a table shows it: "76.27% ± 1.74", with how many
// runs it covers when not all were retrained, or "— (not retrained)".
func (s CompareSummary) AccuracyText() string {
	if s.Retrained == 0 {
		return "— (not retrained)"
	}
	acc := fmt.Sprintf("%.2f%% ± %.2f", 100*s.AccuracyMean, 100*s.AccuracyStd)
	if s.Retrained < s.Runs {
		acc += fmt.Sprintf(" (%d of %d retrained)", s.Retrained, s.Runs)
	}
	return acc
}

// ParamsText is the mean parameter count of the retrained picks, or "—" when none was retrained.
func (s CompareSummary) ParamsText() string {
	if s.Retrained == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f", s.ParamsMean)
}

// CompareResult is what compare.json holds.
type CompareResult struct {
	Config CompareConfig `json:"config"`
	Runs   []CompareRun  `json:"runs"`
	// Unfinished are the directories of runs whose search had not finished when the comparison
	// was read back (ReadOnly): they are in no table.
	Unfinished []string         `json:"unfinished,omitempty"`
	Summary    []CompareSummary `json:"summary"`
	Dataset    string           `json:"dataset"`
	Date       string           `json:"date"`
}

// runFile is the file in a run directory that marks a finished run of a comparison.
const runFile = "run.json"

// RetrainCheckpointFile is where a comparison's retraining of a run's pick saves its state while it
// trains: a comparison stopped during a retraining continues it when started again with the same
// budget. It is small (one network's weights), unlike a search's checkpoint, so a comparison cut
// short on one machine can be carried to another and finished there.
const RetrainCheckpointFile = "retrain-checkpoint.bin"

// Compare runs the comparison and writes compare.json and compare.md to cfg.Dir.
func Compare(b compute.Backend, ds *data.Dataset, cfg CompareConfig) (*CompareResult, error) {
	if len(cfg.Strategies) == 0 {
		cfg.Strategies = CompareStrategies()
	}
	if len(cfg.Seeds) == 0 {
		cfg.Seeds = []uint64{1, 2, 3}
	}
	if cfg.Steps <= 0 || cfg.Dir == "" {
		return nil, fmt.Errorf("search: compare needs a positive number of steps and a directory (steps %d, dir %q)", cfg.Steps, cfg.Dir)
	}
	for _, s := range cfg.Strategies {
		probe := cfg.Search
		probe.Strategy = s
		if _, err := probe.withDefaults(); err != nil {
			return nil, err
		}
	}
	res := &CompareResult{Config: cfg, Dataset: ds.Name, Date: time.Now().UTC().Format(time.RFC3339)}
	runs, err := compareAll(b, ds, cfg, &res.Unfinished)
	if err != nil {
		return nil, err
	}
	res.Runs = runs
	res.Summary = Summarize(res.Runs, cfg.Strategies)
	if err := res.write(cfg.Dir); err != nil {
		return nil, err
	}
	return res, nil
}

// compareAll runs every (seed, strategy) of cfg, cfg.Workers at a time, and returns the runs in
// that order. Read back (cfg.ReadOnly), a run whose search has not finished is left out and its
// directory added to unfinished. After an error no new run starts; the ones under way finish (each writes its own
// directory, so nothing they did is lost), and the error of the earliest failed run in that order
// is returned.
func compareAll(b compute.Backend, ds *data.Dataset, cfg CompareConfig, unfinished *[]string) ([]CompareRun, error) {
	type job struct {
		i        int
		strategy string
		seed     uint64
	}
	var jobs []job
	for _, seed := range cfg.Seeds {
		for _, strategy := range cfg.Strategies {
			jobs = append(jobs, job{len(jobs), strategy, seed})
		}
	}
	if cfg.Search.Warmup.Batches > 0 && !cfg.ReadOnly {
		if err := warmUp(b, ds, cfg); err != nil {
			return nil, err
		}
	}
	runs := make([]CompareRun, len(jobs))
	errs := make([]error, len(jobs))
	var failed atomic.Bool
	todo := make(chan job)
	var wg sync.WaitGroup
	for w := min(max(cfg.Workers, 1), len(jobs)); w > 0; w-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range todo {
				runs[j.i], errs[j.i] = compareOne(b, ds, cfg, j.strategy, j.seed)
				if err := errs[j.i]; err != nil && !(cfg.ReadOnly && errors.Is(err, errUnfinished)) {
					failed.Store(true)
				}
			}
		}()
	}
	for _, j := range jobs {
		if failed.Load() {
			break
		}
		todo <- j
	}
	close(todo)
	wg.Wait()
	var finished []CompareRun
	for i, err := range errs {
		switch {
		case err == nil:
			finished = append(finished, runs[i])
		case cfg.ReadOnly && errors.Is(err, errUnfinished):
			// Read back, an unfinished run is left out of the tables, and said so.
			*unfinished = append(*unfinished, runs[i].Dir)
		default:
			return nil, err
		}
	}
	return finished, nil
}

// errUnfinished is the error of a run whose search has not finished, when a comparison only reads
// its runs back.
var errUnfinished = errors.New("the search has not finished")

// warmupDir is where a comparison keeps the warm-up its runs of one seed share.
func warmupDir(dir string, seed uint64) string {
	return filepath.Join(dir, fmt.Sprintf("warmup-seed%d", seed))
}

// warmUp does the warm-up (Config.Warmup) of every seed of cfg once, cfg.Workers at a time, in
// warmupDir: every strategy's run of that seed starts from it (WithWarmupFrom), as from a warm-up
// of its own, which would be the same. A warm-up killed part-way resumes.
func warmUp(b compute.Backend, ds *data.Dataset, cfg CompareConfig) error {
	seeds := make(chan uint64)
	errs := make(chan error, len(cfg.Seeds))
	var wg sync.WaitGroup
	for w := min(max(cfg.Workers, 1), len(cfg.Seeds)); w > 0; w-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range seeds {
				sc := cfg.Search
				sc.Strategy, sc.Seed = StrategyRandom, seed
				s, err := Open(b, ds, sc, warmupDir(cfg.Dir, seed))
				if err != nil {
					errs <- err
					continue
				}
				var report progress.Func
				if cfg.Progress != nil {
					report = func(e progress.Event) {
						e.Run = fmt.Sprintf("seed %d", seed)
						cfg.Progress(e)
					}
				}
				errs <- errors.Join(s.RunWarmup(report), s.Close())
			}
		}()
	}
	for _, seed := range cfg.Seeds {
		seeds <- seed
	}
	close(seeds)
	wg.Wait()
	close(errs)
	var all error
	for err := range errs {
		all = errors.Join(all, err)
	}
	return all
}

// FileName is name (a strategy's, perhaps a variant "base:settings") made fit for a file or
// directory name on every system: ':' becomes '_' (Windows refuses ':').
func FileName(name string) string { return strings.ReplaceAll(name, ":", "_") }

// compareRunDir is the directory of one search of a comparison in dir: <strategy>-seed<k>, with a
// variant's ':' written '_' ("graphenas-walk_connected=1-seed11"), since Windows refuses ':' in
// file names and such a comparison could not be cloned there. A directory an earlier build made
// with the ':' is still used, so nothing it holds is searched again.
func compareRunDir(dir, strategy string, seed uint64) string {
	name := fmt.Sprintf("%s-seed%d", strategy, seed)
	safe := filepath.Join(dir, FileName(name))
	if legacy := filepath.Join(dir, name); legacy != safe {
		if _, err := os.Stat(legacy); err == nil {
			return legacy
		}
	}
	return safe
}

// compareOne runs (or reads back, or resumes) one search of a comparison and retrains its pick.
func compareOne(b compute.Backend, ds *data.Dataset, cfg CompareConfig, strategy string, seed uint64) (CompareRun, error) {
	run := CompareRun{Strategy: strategy, Seed: seed, Dir: compareRunDir(cfg.Dir, strategy, seed)}
	sc := cfg.Search
	sc.Strategy, sc.Seed = strategy, seed
	if err := checkRunConfig(run.Dir, sc); err != nil {
		return run, err
	}
	if raw, err := ckpt.ReadFile(filepath.Join(run.Dir, runFile), 64<<20, ckpt.NoFollow); err == nil {
		dir := run.Dir
		if err := json.Unmarshal(raw, &run); err != nil {
			return run, fmt.Errorf("search: %s: %w", filepath.Join(dir, runFile), err)
		}
		if err := run.check(); err != nil {
			return run, fmt.Errorf("search: %s: %w (it is not what a comparison writes; delete it to search this run again)", filepath.Join(dir, runFile), err)
		}
		run.Dir = dir // where it is now: the saved one is where it was made, maybe on another machine
		if run.Steps != cfg.Steps {
			return run, fmt.Errorf("search: %s holds a finished search of %d steps, this comparison asks for %d: use the same --steps or another directory", run.Dir, run.Steps, cfg.Steps)
		}
		if cfg.ReadOnly {
			if cfg.Retrain.Epochs > 0 {
				run.Retrain = retrainWithBudget(run, retrainConfig(cfg, run))
			}
			return run, nil
		}
		if cfg.Retrain.Epochs <= 0 || (run.Retrain != nil && run.Retrain.SameBudget(retrainConfig(cfg, run))) {
			return run, nil
		}
		return run, retrainPick(b, ds, cfg, &run) // searched before, not yet retrained with this budget
	}
	if cfg.ReadOnly {
		return run, fmt.Errorf("search: %s: %w (no %s); run the comparison without read-only to search it", run.Dir, errUnfinished, runFile)
	}
	var s *Search
	var err error
	if _, statErr := os.Stat(filepath.Join(run.Dir, StepsFile)); errors.Is(statErr, fs.ErrNotExist) {
		var opts []Option
		if sc.Warmup.Batches > 0 {
			opts = append(opts, WithWarmupFrom(warmupDir(cfg.Dir, seed)))
		}
		s, err = Create(b, ds, sc, run.Dir, opts...)
	} else {
		s, err = Resume(b, ds, run.Dir)
	}
	if err != nil {
		return run, err
	}
	if err := s.Run(cfg.Steps-s.Steps(), func(rec StepRecord) error {
		if cfg.Progress != nil {
			cfg.Progress(progress.Event{Run: run.name(), Phase: "search", Done: rec.Step + 1, Total: cfg.Steps,
				Status: fmt.Sprintf("val loss %.4f acc %.3f", rec.ValLoss, rec.ValAccuracy)})
		}
		return nil
	}); err != nil {
		s.Close()
		return run, err
	}
	// The search releases its directory before its pick is retrained (which locks it again).
	if err := s.Close(); err != nil {
		return run, err
	}
	run.Steps = s.Steps()
	for _, rec := range s.History() { // the steps' own times, so a resumed search counts them all
		t := rec.Timing
		run.SearchSeconds += t.Controller + t.Train + t.Evaluate + t.Update
	}
	best, ok := s.Pick()
	if !ok {
		return run, fmt.Errorf("search: %s: in %d steps the search evaluated no architecture with a path from the input to the output, so there is nothing to retrain (give it more steps)", run.Dir, s.Steps())
	}
	run.Best = BestArch{Arch: best.Arch, ArchText: best.Arch.String(), ValLoss: best.ValLoss, Visits: best.Visits,
		Strategy: strategy, Seed: seed, Steps: s.Steps(), Supergraph: s.Config().Supergraph}
	if cfg.Retrain.Epochs > 0 {
		return run, retrainPick(b, ds, cfg, &run)
	}
	return run, writeRun(run)
}

// checkRunConfig refuses a run directory whose saved search settings differ from want's (a
// comparison started again with other flags would otherwise mix two configurations in one table).
// A directory without a saved configuration passes.
func checkRunConfig(dir string, want Config) error {
	saved, err := runSettings(dir)
	if err != nil || saved == nil {
		return err
	}
	if want, err = want.withDefaults(); err != nil {
		return err
	}
	if want.Supergraph, err = want.Supergraph.WithDefaults(); err != nil {
		return err
	}
	var differ []ConfigChange
	for _, c := range configDiff(*saved, want) {
		if !derivedField(c) {
			differ = append(differ, c)
		}
	}
	if len(differ) > 0 {
		return fmt.Errorf("search: %s holds a search with other settings than this comparison's (%s): use the same settings or another directory", dir, changesText(differ))
	}
	return nil
}

// runSettings returns the search settings of the run in dir: from config.json, else from its
// checkpoint; nil when dir holds no search at all. A finished run with neither is an error: its
// settings cannot be checked against a comparison's.
func runSettings(dir string) (*Config, error) {
	path := filepath.Join(dir, ConfigFile)
	raw, err := ckpt.ReadFile(path, 1<<20, ckpt.NoFollow)
	if err == nil {
		var saved Config
		if err := json.Unmarshal(raw, &saved); err != nil {
			return nil, fmt.Errorf("search: %s: %w", path, err)
		}
		return &saved, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("search: %w", err)
	}
	if cp, cerr := checkpointPath(dir); cerr == nil {
		st, err := readCheckpoint(cp)
		if err != nil {
			return nil, err
		}
		return &st.Config, nil
	}
	if _, err := os.Stat(filepath.Join(dir, runFile)); err == nil {
		return nil, fmt.Errorf("search: %s holds a finished run but neither %s nor a checkpoint, so its settings cannot be checked against this comparison's: restore %s (e.g. from where the run was copied)", dir, ConfigFile, ConfigFile)
	}
	return nil, nil
}

// derivedField reports whether a difference between a saved configuration and the one asked for
// says nothing about what was searched: how often it checkpoints, and the record of the
// strategy's controller (which its name and seed decide).
func derivedField(c ConfigChange) bool {
	return c.Field == "checkpoint_every" || strings.HasPrefix(c.Field, "controller.") || c.Field == "controller"
}

// retrainConfig is the retraining cfg asks for run's pick.
func retrainConfig(cfg CompareConfig, run CompareRun) retrain.Config {
	rc := cfg.Retrain
	rc.Seed, rc.Progress = run.Seed, nil
	if rc.Network.Nodes == 0 {
		net := run.Best.Supergraph
		net.CacheSize = 2
		if rc.Network.Channels > 0 {
			net.Channels = rc.Network.Channels
		}
		if rc.Network.BatchSize > 0 {
			net.BatchSize = rc.Network.BatchSize
		}
		rc.Network = net
	}
	return rc
}

// retrainWithBudget is run's retraining with rc's budget, the latest first, or nil when it has none.
func retrainWithBudget(run CompareRun, rc retrain.Config) *retrain.Result {
	if run.Retrain != nil && run.Retrain.SameBudget(rc) {
		return run.Retrain
	}
	for i := len(run.EarlierRetrains) - 1; i >= 0; i-- {
		if r := run.EarlierRetrains[i]; r.SameBudget(rc) {
			return &r
		}
	}
	return nil
}

// RetrainResultFile is where a comparison's retraining of a run's pick writes its result before
// its checkpoint goes, so that a kill between the two loses nothing: a comparison started again
// takes the result from there.
const RetrainResultFile = "retrain.json"

// retrainPick retrains run's pick with cfg's budget, keeps an earlier retraining in
// EarlierRetrains, and writes the run. It holds the run directory's lock meanwhile: two
// comparisons retraining the same pick would share its checkpoint.
func retrainPick(b compute.Backend, ds *data.Dataset, cfg CompareConfig, run *CompareRun) error {
	lock, err := lockDir(run.Dir)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	rc := retrainConfig(cfg, *run)
	rc.Checkpoint = filepath.Join(run.Dir, RetrainCheckpointFile)
	rc.Out = filepath.Join(run.Dir, RetrainResultFile)
	if cfg.Progress != nil {
		rc.Progress = func(e progress.Event) {
			e.Run = run.name()
			cfg.Progress(e)
		}
	}
	r, err := retrain.ReadResult(rc.Out)
	if err != nil || !r.SameBudget(rc) || r.Seed != rc.Seed || r.Arch != run.Best.Arch.String() {
		// Not retrained with this budget before a kill: retrain now.
		if r, err = retrain.Run(b, ds, run.Best.Arch, rc); err != nil {
			return fmt.Errorf("search: retraining the pick of %s: %w", run.Dir, err)
		}
	}
	if run.Retrain != nil {
		run.EarlierRetrains = append(run.EarlierRetrains, *run.Retrain)
	}
	run.Retrain = &r
	return writeRun(*run)
}

// writeRun stores run as the finished-run marker of its directory.
func writeRun(run CompareRun) error {
	return writeJSON(filepath.Join(run.Dir, runFile), run)
}

// Summarize aggregates runs per strategy, in the order given.
func Summarize(runs []CompareRun, strategies []string) []CompareSummary {
	var out []CompareSummary
	for _, s := range strategies {
		sum := CompareSummary{Strategy: s}
		var accs, params, losses, secs []float64
		for _, r := range runs {
			if r.Strategy != s {
				continue
			}
			sum.Runs++
			losses = append(losses, r.Best.ValLoss)
			secs = append(secs, r.SearchSeconds)
			if r.Retrain != nil {
				sum.Retrained++
				accs = append(accs, r.Retrain.TestAccuracy)
				params = append(params, float64(r.Retrain.Params))
			}
		}
		if sum.Runs == 0 {
			continue
		}
		sum.AccuracyMean, sum.AccuracyStd = stats.MeanStd(accs)
		sum.ParamsMean, _ = stats.MeanStd(params)
		sum.BestValLossMean, _ = stats.MeanStd(losses)
		sum.SearchSecondsMean, _ = stats.MeanStd(secs)
		out = append(out, sum)
	}
	return out
}

// Markdown returns the comparison as Markdown tables: the summary, then every run.
func (r *CompareResult) Markdown() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Data set %s, %d steps per search, budget %v per step, %s; %s.\n\n",
		r.Dataset, r.Config.Steps, r.Config.Search.Budget, r.retrainBudget(), r.Date)
	if len(r.Unfinished) > 0 {
		fmt.Fprintf(&sb, "%d runs had not finished their search and are left out: %s.\n\n", len(r.Unfinished), strings.Join(r.Unfinished, ", "))
	}
	sb.WriteString("| strategy | runs | retrained test accuracy (mean ± std) | params (mean) | best val loss (mean) | search time (mean) |\n|---|---|---|---|---|---|\n")
	for _, s := range r.Summary {
		fmt.Fprintf(&sb, "| %s | %d | %s | %s | %.4f | %.0f s |\n", s.Strategy, s.Runs, s.AccuracyText(), s.ParamsText(), s.BestValLossMean, s.SearchSecondsMean)
	}
	sb.WriteString("\n| strategy | seed | best architecture | val loss | visits | test accuracy | params |\n|---|---|---|---|---|---|---|\n")
	runs := append([]CompareRun(nil), r.Runs...)
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Strategy < runs[j].Strategy })
	for _, run := range runs {
		acc, params := "—", "—"
		if run.Retrain != nil {
			acc, params = fmt.Sprintf("%.2f%%", 100*run.Retrain.TestAccuracy), fmt.Sprint(run.Retrain.Params)
		}
		// The text form's "|" would end the table cell: escape it.
		fmt.Fprintf(&sb, "| %s | %d | `%s` | %.4f | %d | %s | %s |\n", run.Strategy, run.Seed, strings.ReplaceAll(run.Best.ArchText, "|", `\|`),
			run.Best.ValLoss, run.Best.Visits, acc, params)
	}
	return sb.String()
}

// retrainBudget says how the picks were retrained, from what the runs record (a comparison read
// back without a budget keeps its runs' retrainings): "0.5 retraining epochs at 12 channels,
// batch 32, peak learning rate 0.05", followed by which runs when not all of them were retrained;
// "no pick retrained"; or that the budgets differ.
func (r *CompareResult) retrainBudget() string {
	budget, retrained := "", 0
	for _, run := range r.Runs {
		if run.Retrain == nil {
			continue
		}
		b := fmt.Sprintf("%g retraining epochs", run.Retrain.Epochs)
		if run.Retrain.Channels != 0 {
			b += fmt.Sprintf(" at %d channels, batch %d, peak learning rate %g", run.Retrain.Channels, run.Retrain.BatchSize, run.Retrain.LearningRate)
		}
		if retrained > 0 && b != budget {
			return "picks retrained with different budgets (each run.json records its own)"
		}
		budget = b
		retrained++
	}
	switch {
	case retrained == 0:
		return "no pick retrained"
	case retrained < len(r.Runs):
		return fmt.Sprintf("%s (%d of %d picks; the others not retrained)", budget, retrained, len(r.Runs))
	}
	return budget
}

// write stores compare.json and compare.md in dir.
func (r *CompareResult) write(dir string) error {
	cfg := r.Config
	cfg.Progress = nil
	r.Config = cfg
	if err := writeJSON(filepath.Join(dir, "compare.json"), r); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, "compare.md"), []byte(r.Markdown()))
}

// ReadCompare reads compare.json from a comparison's directory (e.g. one made on a GPU machine
// and copied here); the runs' directories are taken to be beside it.
func ReadCompare(dir string) (*CompareResult, error) {
	raw, err := ckpt.ReadFile(filepath.Join(dir, "compare.json"), 256<<20, ckpt.NoFollow)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	var r CompareResult
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("search: %s: %w", filepath.Join(dir, "compare.json"), err)
	}
	// The run directories sit beside compare.json, wherever the comparison was copied to.
	strategies := make([]string, len(r.Summary))
	for i := range r.Runs {
		r.Runs[i].Dir = filepath.Join(dir, filepath.Base(r.Runs[i].Dir))
	}
	for i, s := range r.Summary {
		strategies[i] = s.Strategy
	}
	r.Summary = Summarize(r.Runs, strategies) // a compare.json from before Retrained was counted
	return &r, nil
}
