package search

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/retrain"
	"github.com/graphenas/graphenas/graphenas/supergraph"
	"github.com/graphenas/graphenas/graphenas/varstore"
)

// runConfig is the 10-step batch-budget search of the tests, checkpointing every 3 steps.
func runConfig(strategy string) Config {
	return Config{Seed: 7, Strategy: strategy, EvalBatches: 2, Budget: supergraph.BatchBudget(2), CheckpointEvery: 3,
		Population: 4, Sample: 2,
		Supergraph: supergraph.Config{Nodes: 5, Channels: 4, LayersPerStage: 2, BatchSize: 16, LearningRate: 0.05}}
}

func runData() *data.Dataset { return data.SyntheticDataset(300, 64, 8, 8, 1, 4, 3) }

func create(t *testing.T, strategy, dir string) *Search {
	t.Helper()
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Create(b, runData(), runConfig(strategy), dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func resume(t *testing.T, dir string) (*Search, error) {
	t.Helper()
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	return Resume(b, runData(), dir)
}

// logWithoutTiming returns the lines of dir's steps.jsonl with the timing key removed.
func logWithoutTiming(t *testing.T, dir string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, StepsFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		delete(m, "timing")
		b, _ := json.Marshal(m)
		out = append(out, string(b))
	}
	return out
}

func weightBytes(t *testing.T, s *Search) []varstore.Var {
	t.Helper()
	vars, err := varstore.Snapshot(s.Supergraph().Store())
	if err != nil {
		t.Fatal(err)
	}
	return vars
}

func sameLines(t *testing.T, what string, a, b []string) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d lines vs %d", what, len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("%s: line %d differs:\n%s\n%s", what, i, a[i], b[i])
		}
	}
}

func sameWeights(t *testing.T, a, b []varstore.Var) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d variables vs %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Scope+a[i].Name != b[i].Scope+b[i].Name || !bytes.Equal(a[i].Data, b[i].Data) {
			t.Fatalf("variable %s/%s differs", a[i].Scope, a[i].Name)
		}
	}
}

func TestRunLogIsReproducible(t *testing.T) {
	for _, strategy := range []string{StrategyWalk, StrategyEvolution} {
		d1, d2 := t.TempDir(), t.TempDir()
		for _, d := range []string{d1, d2} {
			s := create(t, strategy, d)
			if err := s.Run(10, nil); err != nil {
				t.Fatal(err)
			}
			s.Close()
		}
		l1 := logWithoutTiming(t, d1)
		if len(l1) != 10 {
			t.Fatalf("%d lines, want 10", len(l1))
		}
		sameLines(t, strategy, l1, logWithoutTiming(t, d2))
		var best BestArch
		raw, err := os.ReadFile(filepath.Join(d1, BestFile))
		if err != nil || json.Unmarshal(raw, &best) != nil || best.Arch == nil || best.Steps != 10 {
			t.Fatalf("best-arch.json: %s (%v)", raw, err)
		}
		if a, err := ReadArch(filepath.Join(d1, BestFile)); err != nil || a.String() != best.ArchText {
			t.Errorf("ReadArch: %v %v", a, err)
		}
	}
}

// TestHelperKilledSearch is not a test: TestKilledSearchResumes runs it in a child process, which
// kills itself (SIGKILL, no clean-up) right after logging step 4.
func TestHelperKilledSearch(t *testing.T) {
	dir := os.Getenv("GRAPHENAS_TEST_KILL_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	s := create(t, StrategyWalk, dir)
	_ = s.Run(10, func(r StepRecord) error {
		if r.Step == 4 {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
		return nil
	})
	t.Fatal("the helper was not killed")
}

func TestKilledSearchResumes(t *testing.T) {
	whole := t.TempDir()
	s := create(t, StrategyWalk, whole)
	if err := s.Run(10, nil); err != nil {
		t.Fatal(err)
	}
	want, wantWeights := logWithoutTiming(t, whole), weightBytes(t, s)

	killed := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperKilledSearch$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GRAPHENAS_TEST_KILL_DIR="+killed)
	out, err := cmd.CombinedOutput()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper was not killed: %v\n%s", err, out)
	}
	if got := logWithoutTiming(t, killed); len(got) != 5 {
		t.Fatalf("the killed run logged %d steps, want 5", len(got))
	}
	r, err := resume(t, killed)
	if err != nil {
		t.Fatal(err)
	}
	if r.Steps() != 3 {
		t.Fatalf("resumed at step %d, want the checkpoint of step 3", r.Steps())
	}
	if err := r.Run(10-r.Steps(), nil); err != nil {
		t.Fatal(err)
	}
	sameLines(t, "resumed vs uninterrupted", logWithoutTiming(t, killed), want)
	sameWeights(t, weightBytes(t, r), wantWeights)
}

func TestCorruptCheckpoint(t *testing.T) {
	dir := t.TempDir()
	s := create(t, StrategyRandom, dir)
	if err := s.Run(7, nil); err != nil { // checkpoints at 3, 6 and 7
		t.Fatal(err)
	}
	s.Close()
	path := filepath.Join(dir, CheckpointFile)
	raw, _ := os.ReadFile(path)
	logBefore, _ := os.ReadFile(filepath.Join(dir, StepsFile))
	if err := os.WriteFile(path, raw[:len(raw)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := resume(t, dir)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("want a truncation error naming %s, got %v", path, err)
	}
	if logAfter, _ := os.ReadFile(filepath.Join(dir, StepsFile)); !bytes.Equal(logBefore, logAfter) {
		t.Fatal("a failed resume changed steps.jsonl")
	}
	// Flipped bits are caught by the checksum.
	raw[len(raw)-5] ^= 0xFF
	os.WriteFile(path, raw, 0o644)
	if _, err := resume(t, dir); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("want a checksum error, got %v", err)
	}
	// The directory stays usable: the previous checkpoint (step 6) resumes.
	if err := os.Rename(filepath.Join(dir, PrevCheckpointFile), path); err != nil {
		t.Fatal(err)
	}
	r, err := resume(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Steps() != 6 || len(logWithoutTiming(t, dir)) != 6 {
		t.Fatalf("resumed at %d steps", r.Steps())
	}
	r.Close()
	// A checkpoint of another data set is refused.
	b, _ := backend.NewGo()
	if _, err := Resume(b, data.SyntheticDataset(300, 64, 8, 8, 1, 4, 99), dir); err == nil || !strings.Contains(err.Error(), "data set") {
		t.Fatalf("want a data-set error, got %v", err)
	}
	// Create refuses a directory holding a search.
	if _, err := Create(b, runData(), runConfig(StrategyRandom), dir); err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Fatalf("Create over a run: %v", err)
	}
}

func TestEvolutionPopulation(t *testing.T) {
	s := create(t, StrategyEvolution, t.TempDir())
	if err := s.Run(8, nil); err != nil {
		t.Fatal(err)
	}
	h := s.History()
	// 4 fresh architectures fill the population of 4; then every child is an edit of one of the
	// 4 most recent architectures (aging evolution: the older ones are dead).
	for i, r := range h {
		if fresh := r.Action == nil; fresh != (i < 4) {
			t.Errorf("step %d: fresh %v", i, fresh)
		}
		if i >= 4 {
			alive := false
			for _, p := range h[i-4 : i] {
				alive = alive || p.ArchText == r.Before
			}
			if _, err := arch.Parse(r.Before); err != nil || r.Before == r.ArchText || !alive {
				t.Errorf("step %d: parent %q of %q (alive %v)", i, r.Before, r.ArchText, alive)
			}
		}
	}
}

func TestCompareWritesTablesAndResumes(t *testing.T) {
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	steps := 0
	cfg := CompareConfig{Strategies: []string{StrategyRandom, StrategyEvolution}, Seeds: []uint64{1, 2}, Search: runConfig(""),
		Steps: 4, Dir: dir, Retrain: retrain.Config{Epochs: 0.5, Network: supergraph.Config{Nodes: 5, Channels: 4, LayersPerStage: 2, BatchSize: 16}},
		Progress: func(e progress.Event) {
			if e.Phase == "search" {
				steps++
			}
		}}
	res, err := Compare(b, runData(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if steps != 16 || len(res.Runs) != 4 || len(res.Summary) != 2 || res.Summary[0].Runs != 2 {
		t.Fatalf("%d steps, %d runs, summary %+v", steps, len(res.Runs), res.Summary)
	}
	for _, r := range res.Runs {
		if r.Retrain == nil || r.Retrain.TestAccuracy <= 0 || r.Retrain.Params <= 0 || r.Best.Arch == nil {
			t.Errorf("run %+v", r)
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "compare.md"))
	if err != nil || !strings.Contains(string(md), "| random | 2 |") || !strings.Contains(string(md), "| evolution | 2 |") {
		t.Errorf("compare.md:\n%s", md)
	}
	back, err := ReadCompare(dir)
	if err != nil || len(back.Runs) != 4 || back.Summary[1].AccuracyMean != res.Summary[1].AccuracyMean {
		t.Fatalf("ReadCompare: %v", err)
	}
	// Again in the same directory: every run is read back, nothing recomputed.
	steps = 0
	again, err := Compare(b, runData(), cfg)
	if err != nil || steps != 0 || again.Summary[0].AccuracyMean != res.Summary[0].AccuracyMean {
		t.Fatalf("second compare: %d steps, %v", steps, err)
	}
}

// A comparison can search first and retrain later (e.g. on another machine, with a wider child
// network); a directory made with other settings is refused instead of mixed into the table.
func TestCompareSearchesFirstThenRetrainsItsPicks(t *testing.T) {
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "made-here")
	steps, retrains := 0, 0
	// The controller's settings as the command line passes them (its defaults, seed 1): the
	// searches fill in their own (seed, op count, the GraphEnas loop's controller), which must not
	// make their directories look foreign when the comparison is run again.
	sc := runConfig("")
	sc.Controller = DefaultConfig().Controller
	cfg := CompareConfig{Strategies: []string{StrategyRandom, StrategyWalk, StrategyGraphEnas}, Seeds: []uint64{1}, Search: sc, Steps: 3, Dir: dir,
		Progress: func(e progress.Event) {
			switch e.Phase {
			case "search":
				steps++
			case "retrain":
				retrains++
			}
		}}
	searched, err := Compare(b, runData(), cfg)
	if err != nil || steps != 9 || retrains != 0 || searched.Runs[0].Retrain != nil || searched.Summary[0].Retrained != 0 {
		t.Fatalf("search only: %d steps, %d retraining reports, %+v, %v", steps, retrains, searched.Runs, err)
	}
	if md := searched.Markdown(); !strings.Contains(md, "| random | 1 | — (not retrained) | — |") || !strings.Contains(md, "no pick retrained") {
		t.Errorf("a comparison not yet retrained shows an accuracy:\n%s", md)
	}
	// Moved (as a directory copied from another machine would be), then retrained 1.5× wider.
	moved := filepath.Join(filepath.Dir(dir), "copied-here")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	cfg.Dir, steps = moved, 0
	cfg.Retrain = retrain.Config{Epochs: 0.2, Network: supergraph.Config{Channels: 6}}
	// The retraining continues from the checkpoint it finds in the run's directory: a damaged one
	// stops it with what to do.
	ckptPath := filepath.Join(moved, "random-seed1", RetrainCheckpointFile)
	if err := os.WriteFile(ckptPath, []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Compare(b, runData(), cfg); err == nil || !strings.Contains(err.Error(), "delete it to retrain from the start") {
		t.Fatalf("a damaged retraining checkpoint: %v", err)
	}
	os.Remove(ckptPath)
	wide, err := Compare(b, runData(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := wide.Runs[0]
	if steps != 0 || retrains == 0 || len(wide.Runs) != 3 || wide.Runs[2].Retrain == nil || r.Retrain == nil || r.Retrain.Channels != 6 || r.Retrain.BatchSize != 16 || r.Retrain.Epochs != 0.2 ||
		r.Best.ArchText != searched.Runs[0].Best.ArchText || r.Dir != filepath.Join(moved, "random-seed1") {
		t.Fatalf("retrained later: %d steps, %d reports, %+v", steps, retrains, r)
	}
	for _, run := range wide.Runs {
		if _, err := os.Stat(filepath.Join(run.Dir, RetrainCheckpointFile)); !os.IsNotExist(err) {
			t.Errorf("%s: the finished retraining left its checkpoint (%v)", run.Dir, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(moved, "compare.md"))
	if !strings.Contains(string(md), "0.2 retraining epochs at 6 channels, batch 16") {
		t.Errorf("compare.md does not state the retraining budget:\n%s", md)
	}
	// The same budget again: read back, nothing retrained. Another budget: retrained, the first kept.
	retrains = 0
	if again, err := Compare(b, runData(), cfg); err != nil || retrains != 0 || again.Runs[0].Retrain.TestAccuracy != r.Retrain.TestAccuracy {
		t.Fatalf("same budget again: %d reports, %v", retrains, err)
	}
	cfg.Retrain.Epochs = 0.3
	longer, err := Compare(b, runData(), cfg)
	if err != nil || len(longer.Runs[1].EarlierRetrains) != 1 || longer.Runs[0].EarlierRetrains[0].Epochs != 0.2 || longer.Runs[0].Retrain.Epochs != 0.3 {
		t.Fatalf("longer: %+v, %v", longer.Runs, err)
	}
	// Read only, with the first budget: each run shows that retraining (now an earlier one), and
	// nothing runs; with a budget no run has, none is shown; compare.json keeps the asked view.
	cfg.Retrain.Epochs, cfg.ReadOnly, steps, retrains = 0.2, true, 0, 0
	view, err := Compare(b, runData(), cfg)
	if err != nil || steps != 0 || retrains != 0 || view.Runs[0].Retrain == nil || view.Runs[0].Retrain.TestAccuracy != r.Retrain.TestAccuracy || view.Runs[0].Retrain.Epochs != 0.2 {
		t.Fatalf("read only at 0.2 epochs: %d steps, %d reports, %+v, %v", steps, retrains, view.Runs, err)
	}
	cfg.Retrain.Epochs = 0.7
	if none, err := Compare(b, runData(), cfg); err != nil || retrains != 0 || none.Runs[0].Retrain != nil || none.Summary[0].Retrained != 0 {
		t.Fatalf("read only at a budget never run: %d reports, %+v, %v", retrains, none.Runs, err)
	}
	if back, err := ReadCompare(moved); err != nil || back.Runs[0].Retrain != nil {
		t.Fatalf("compare.json after reading only at 0.7 epochs: %v", err)
	}
	cfg.ReadOnly = false
	// Read back without a budget: the runs keep their retrainings, and the header says what they were.
	cfg.Retrain.Epochs = 0
	if back, err := Compare(b, runData(), cfg); err != nil || back.Runs[0].Retrain == nil || !strings.Contains(back.Markdown(), ", 0.3 retraining epochs at 6 channels, batch 16") {
		t.Fatalf("read back without a budget: %v\n%s", err, back.Markdown())
	}
	// Other steps or other search settings in the same directory are refused, naming what differs.
	cfg.Steps = 5
	if _, err := Compare(b, runData(), cfg); err == nil || !strings.Contains(err.Error(), "3 steps") {
		t.Errorf("more steps: %v", err)
	}
	cfg.Steps = 3
	cfg.Search.Supergraph.Channels = 8
	if _, err := Compare(b, runData(), cfg); err == nil || !strings.Contains(err.Error(), "supergraph.channels 4 → 8") {
		t.Errorf("other channels: %v", err)
	}
	// The walk's controller settings are in its name: another discount is another run, and the
	// record of the controller in config.json is no setting to refuse.
	cfg.Search.Supergraph.Channels = 4
	cfg.Search.Controller.Gamma = 0.5
	if _, err := Compare(b, runData(), cfg); err != nil {
		t.Errorf("a comparison with a controller record asked for: %v", err)
	}
}

// Runs side by side give the runs one at a time give: each depends only on its own seed. A run
// not yet searched is an error when the comparison only reads back.
func TestCompareWorkersGiveTheSameRuns(t *testing.T) {
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	cfg := CompareConfig{Strategies: []string{StrategyRandom, StrategyEvolution, StrategyGraphEnas}, Seeds: []uint64{1, 2}, Search: runConfig(""),
		Steps: 3, Retrain: retrain.Config{Epochs: 0.2, Network: supergraph.Config{Nodes: 5, Channels: 4, LayersPerStage: 2, BatchSize: 16}}}
	var results []*CompareResult
	for _, workers := range []int{1, 4} {
		cfg.Dir, cfg.Workers = t.TempDir(), workers
		var mu sync.Mutex
		steps := 0
		cfg.Progress = func(e progress.Event) {
			if e.Phase == "search" {
				mu.Lock()
				steps++
				mu.Unlock()
			}
		}
		res, err := Compare(b, runData(), cfg)
		if err != nil || steps != 18 || len(res.Runs) != 6 {
			t.Fatalf("%d workers: %d steps, %v", workers, steps, err)
		}
		results = append(results, res)
	}
	for i, one := range results[0].Runs {
		four := results[1].Runs[i]
		if one.Strategy != four.Strategy || one.Seed != four.Seed || one.Best.ArchText != four.Best.ArchText || one.Best.ValLoss != four.Best.ValLoss ||
			one.Retrain == nil || four.Retrain == nil || one.Retrain.TestAccuracy != four.Retrain.TestAccuracy || one.Retrain.TestLoss != four.Retrain.TestLoss {
			t.Errorf("run %d differs with 4 workers:\n%+v\n%+v", i, one, four)
		}
	}
	// Read back with runs never searched: the tables hold what finished, and say what did not.
	cfg.Seeds, cfg.ReadOnly = []uint64{1, 3}, true
	res, err := Compare(b, runData(), cfg)
	if err != nil || len(res.Runs) != 3 || len(res.Unfinished) != 3 || !strings.HasSuffix(res.Unfinished[0], "random-seed3") ||
		!strings.Contains(res.Markdown(), "3 runs had not finished their search and are left out") {
		t.Errorf("reading back with runs never searched: %v, %+v", err, res)
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, "random-seed3")); !os.IsNotExist(err) {
		t.Errorf("reading only made a run directory: %v", err)
	}
}

func TestOpenCreatesThenResumes(t *testing.T) {
	b, _ := backend.NewGo()
	dir := t.TempDir()
	cfg := runConfig(StrategyRandom)
	var lines []string
	for cell := 0; cell < 3; cell++ { // three notebook cells, each a fresh program
		s, err := Open(b, runData(), cfg, dir)
		if err != nil {
			t.Fatal(err)
		}
		if s.Steps() != 2*cell {
			t.Fatalf("cell %d opened at step %d", cell, s.Steps())
		}
		for i := 0; i < 2; i++ {
			if _, err := s.Step(); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		lines = logWithoutTiming(t, dir)
	}
	whole := t.TempDir()
	s := create(t, StrategyRandom, whole)
	if err := s.Run(6, nil); err != nil {
		t.Fatal(err)
	}
	sameLines(t, "cell by cell vs in one go", lines, logWithoutTiming(t, whole))
	cfg.Seed = 99
	if _, err := Open(b, runData(), cfg, dir); err == nil || !strings.Contains(err.Error(), "seed 7") {
		t.Errorf("opening with another seed: %v", err)
	}
}

func TestCreateThenCloseIsResumable(t *testing.T) {
	b, _ := backend.NewGo()
	dir := t.TempDir()
	s, err := Open(b, runData(), runConfig(StrategyWalk), dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Current() != nil {
		t.Errorf("a current architecture %v before the first step", s.Current())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(b, runData(), runConfig(StrategyWalk), dir)
	if err != nil || r.Steps() != 0 || r.Current() != nil {
		t.Fatalf("reopened a fresh search: %v, %d steps, current %v", err, r.Steps(), r.Current())
	}
	if err := r.Run(4, nil); err != nil {
		t.Fatal(err)
	}
	r.Close()
	whole := t.TempDir()
	w := create(t, StrategyWalk, whole)
	if err := w.Run(4, nil); err != nil {
		t.Fatal(err)
	}
	sameLines(t, "opened twice vs once", logWithoutTiming(t, dir), logWithoutTiming(t, whole))
}

// A variant's run directory has no ':' (Windows refuses it), unless an earlier build made one.
func TestCompareRunDirOfAVariant(t *testing.T) {
	dir := t.TempDir()
	if got, want := compareRunDir(dir, "graphenas-walk:connected=1", 11), filepath.Join(dir, "graphenas-walk_connected=1-seed11"); got != want {
		t.Errorf("run directory %s, want %s", got, want)
	}
	if got, want := compareRunDir(dir, "random", 3), filepath.Join(dir, "random-seed3"); got != want {
		t.Errorf("run directory %s, want %s", got, want)
	}
	legacy := filepath.Join(dir, "evolution:pick=gp-seed2")
	if err := os.Mkdir(legacy, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := compareRunDir(dir, "evolution:pick=gp", 2); got != legacy {
		t.Errorf("run directory %s, want the earlier build's %s", got, legacy)
	}
}

// compare.md's header states the retraining the runs hold: one budget, for some of the runs, or
// budgets that differ.
func TestRetrainBudgetText(t *testing.T) {
	half := &retrain.Result{Epochs: 0.5, Channels: 12, BatchSize: 32, LearningRate: 0.05}
	ten := &retrain.Result{Epochs: 10, Channels: 32, BatchSize: 64, LearningRate: 0.05}
	for _, c := range []struct {
		runs []*retrain.Result
		want string
	}{
		{[]*retrain.Result{nil, nil}, "no pick retrained"},
		{[]*retrain.Result{half, half}, "0.5 retraining epochs at 12 channels, batch 32, peak learning rate 0.05"},
		{[]*retrain.Result{half, nil, half}, "0.5 retraining epochs at 12 channels, batch 32, peak learning rate 0.05 (2 of 3 picks; the others not retrained)"},
		{[]*retrain.Result{half, ten}, "picks retrained with different budgets (each run.json records its own)"},
		{[]*retrain.Result{{Epochs: 0.5}}, "0.5 retraining epochs"},
	} {
		r := &CompareResult{}
		for _, rt := range c.runs {
			r.Runs = append(r.Runs, CompareRun{Retrain: rt})
		}
		if got := r.retrainBudget(); got != c.want {
			t.Errorf("%d runs: %q, want %q", len(c.runs), got, c.want)
		}
	}
}

// A finished run kept for reading may hold its log gzipped: ReadSteps reads steps.jsonl.gz when
// there is no steps.jsonl, with the same records.
func TestReadStepsGzipped(t *testing.T) {
	dir := t.TempDir()
	s := create(t, StrategyRandom, dir)
	if err := s.Run(3, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	plain, err := ReadSteps(dir)
	if err != nil || len(plain) != 3 {
		t.Fatalf("%d records, %v", len(plain), err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, StepsFile))
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write(raw)
	zw.Close()
	os.WriteFile(filepath.Join(dir, StepsFile+".gz"), zipped.Bytes(), 0o644)
	os.Remove(filepath.Join(dir, StepsFile))
	back, err := ReadSteps(dir)
	if err != nil || len(back) != 3 || back[2].ArchText != plain[2].ArchText || back[2].ValLoss != plain[2].ValLoss {
		t.Errorf("gzipped: %d records, %v", len(back), err)
	}
}
