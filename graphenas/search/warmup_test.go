package search

import (
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/progress"
)

// warmupConfig is runConfig with a warm-up of 10 batches, 2 per architecture.
func warmupConfig() Config {
	cfg := runConfig(StrategyRandom)
	cfg.Warmup = Warmup{Batches: 10, PerArch: 2}
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
	if len(events) != 5 || events[4].Done != 10 || events[4].Total != 10 || s.WarmupDone() != 10 || s.Steps() != 0 {
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
