package search

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/progress"
)

// warmupConfig is runConfig with a warm-up of 10 batches.
func warmupConfig() Config {
	cfg := runConfig(StrategyRandom)
	cfg.Warmup = Warmup{Batches: 10}
	return cfg
}

// TestHelperKilledWarmup is not a test: TestKilledWarmupResumes runs it in a child process, which
// saves a checkpoint after 6 warm-up batches and kills itself (SIGKILL) after 8.
func TestHelperKilledWarmup(t *testing.T) {
	dir := os.Getenv("GRAPHENAS_TEST_KILL_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	b, _ := backend.NewGo()
	s, err := Create(b, runData(), warmupConfig(), dir)
	if err != nil {
		t.Fatal(err)
	}
	s.RunWarmup(func(e progress.Event) {
		switch e.Done {
		case 6:
			if err := s.Checkpoint(); err != nil {
				t.Fatal(err)
			}
		case 8:
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	})
	t.Fatal("the helper was not killed")
}

// The warm-up trains before the first step, is recorded in the checkpoint, and a warm-up killed
// part-way resumes from its last checkpoint to exactly the search an uninterrupted one gives.
func TestKilledWarmupResumes(t *testing.T) {
	b, _ := backend.NewGo()
	whole := t.TempDir()
	s, err := Create(b, runData(), warmupConfig(), whole)
	if err != nil {
		t.Fatal(err)
	}
	var events []progress.Event
	if err := s.RunWarmup(func(e progress.Event) { events = append(events, e) }); err != nil {
		t.Fatal(err)
	}
	if len(events) != 10 || events[9].Done != 10 || events[9].Total != 10 || s.WarmupDone() != 10 || s.Steps() != 0 {
		t.Fatalf("warm-up events %+v, %d done, %d steps", events, s.WarmupDone(), s.Steps())
	}
	if err := s.Run(4, nil); err != nil {
		t.Fatal(err)
	}
	want, wantWeights := logWithoutTiming(t, whole), weightBytes(t, s)
	s.Close()

	killed := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperKilledWarmup$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GRAPHENAS_TEST_KILL_DIR="+killed)
	out, err := cmd.CombinedOutput()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper was not killed: %v\n%s", err, out)
	}
	r, err := Resume(b, runData(), killed)
	if err != nil {
		t.Fatal(err)
	}
	if r.WarmupDone() != 6 || r.Steps() != 0 {
		t.Fatalf("resumed with %d warm-up batches and %d steps, want the checkpoint's 6 and 0", r.WarmupDone(), r.Steps())
	}
	if err := r.Run(4, nil); err != nil { // Run finishes the warm-up first
		t.Fatal(err)
	}
	sameLines(t, "resumed vs uninterrupted", logWithoutTiming(t, killed), want)
	sameWeights(t, weightBytes(t, r), wantWeights)
	r.Close()
	// The warm-up is a setting a resumed run keeps.
	saved, _ := SavedConfig(killed)
	changed := saved
	changed.Warmup.Batches = 20
	if _, _, err := CheckChange(saved, changed); err == nil {
		t.Error("a resumed run's warm-up changed")
	}
}

// A search started from another's finished warm-up (WithWarmupFrom) is the search its own
// warm-up gives, step for step; a warm-up of another seed or not finished is refused.
func TestSharedWarmupIsTheSame(t *testing.T) {
	b, _ := backend.NewGo()
	warm := t.TempDir()
	wc := warmupConfig()
	w, err := Create(b, runData(), wc, warm)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.RunWarmup(nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	cfg := warmupConfig()
	cfg.Strategy = StrategyEvolution
	own, shared := t.TempDir(), t.TempDir()
	for _, run := range []struct {
		dir  string
		opts []Option
	}{{own, nil}, {shared, []Option{WithWarmupFrom(warm)}}} {
		s, err := Create(b, runData(), cfg, run.dir, run.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Run(4, nil); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	sameLines(t, "shared warm-up vs its own", logWithoutTiming(t, shared), logWithoutTiming(t, own))
	other := cfg
	other.Seed = 8
	if _, err := Create(b, runData(), other, t.TempDir(), WithWarmupFrom(warm)); err == nil || !strings.Contains(err.Error(), "of another search") {
		t.Errorf("a warm-up of another seed: %v", err)
	}
	unfinished := t.TempDir()
	u, _ := Create(b, runData(), wc, unfinished)
	u.Close()
	if _, err := Create(b, runData(), cfg, t.TempDir(), WithWarmupFrom(unfinished)); err == nil || !strings.Contains(err.Error(), "not a finished warm-up") {
		t.Errorf("an unfinished warm-up: %v", err)
	}
}

// A comparison with a warm-up does it once per seed (warmup-seed<k>) and every strategy's run of
// that seed starts from it: each run is the search its own warm-up would give.
func TestCompareSharesTheWarmup(t *testing.T) {
	b, _ := backend.NewGo()
	cfg := CompareConfig{Strategies: []string{StrategyRandom, StrategyEvolution}, Seeds: []uint64{7}, Search: warmupConfig(), Steps: 3, Dir: t.TempDir()}
	var warmups int
	cfg.Progress = func(e progress.Event) {
		if e.Phase == "warm-up" {
			warmups++
		}
	}
	if _, err := Compare(b, runData(), cfg); err != nil {
		t.Fatal(err)
	}
	if warmups != 10 { // 10 batches: one warm-up, reported at each batch
		t.Errorf("%d warm-up events, want the 10 of one warm-up", warmups)
	}
	own := t.TempDir()
	sc := warmupConfig()
	sc.Strategy, sc.Seed = StrategyEvolution, 7
	s, err := Create(b, runData(), sc, own)
	if err != nil {
		t.Fatal(err)
	}
	s.Run(3, nil)
	s.Close()
	sameLines(t, "compared run vs its own warm-up", logWithoutTiming(t, compareRunDir(cfg.Dir, StrategyEvolution, 7)), logWithoutTiming(t, own))
}
