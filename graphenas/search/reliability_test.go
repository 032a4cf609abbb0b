package search

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/controller"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/checkpoint-schema.txt")

// kConfig is runConfig with the controller's horizon K = 2, so that a record names step 0 as the
// step whose return it completes.
func kConfig() Config {
	return runConfig(StrategyWalk + ":k=2")
}

// TestResumeKeepsTheLog checks that resuming does not rewrite the lines of steps.jsonl that the
// checkpoint covers: they stay byte for byte, "return_step":0 included (gob used to drop a
// pointer to zero when the log was rebuilt from the checkpoint).
func TestResumeKeepsTheLog(t *testing.T) {
	b, _ := backend.NewGo()
	dir := t.TempDir()
	s, err := Create(b, runData(), kConfig(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(3, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, _ := os.ReadFile(filepath.Join(dir, StepsFile))
	if !bytes.Contains(before, []byte(`"return_step":0`)) {
		t.Fatalf("no record names step 0's return:\n%s", before)
	}
	r, err := Resume(b, runData(), dir)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, StepsFile))
	if !bytes.Equal(before, after) {
		t.Fatalf("resume rewrote the log:\n%s\n---\n%s", before, after)
	}
	if err := r.Run(3, nil); err != nil {
		t.Fatal(err)
	}
	r.Close()
	whole := t.TempDir()
	w, _ := Create(b, runData(), kConfig(), whole)
	if err := w.Run(6, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	sameLines(t, "resumed vs uninterrupted", logWithoutTiming(t, dir), logWithoutTiming(t, whole))
}

// TestHelperHoldRun is not a test: TestRunDirectoryIsLocked runs it in a child process, which
// opens a run directory and waits to be killed.
func TestHelperHoldRun(t *testing.T) {
	dir := os.Getenv("GRAPHENAS_TEST_HOLD_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	b, _ := backend.NewGo()
	s, err := Resume(b, runData(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close() // never reached: the test kills this process
	os.WriteFile(filepath.Join(dir, "held"), nil, 0o644)
	select {}
}

// TestRunDirectoryIsLocked checks that one process at a time uses a run directory: a second
// Resume or Open is refused with the holder named, in this process and from another, and the
// lock goes when its holder dies, even by SIGKILL.
func TestRunDirectoryIsLocked(t *testing.T) {
	b, _ := backend.NewGo()
	dir := t.TempDir()
	s := create(t, StrategyRandom, dir)
	for _, try := range []func() (*Search, error){
		func() (*Search, error) { return Resume(b, runData(), dir) },
		func() (*Search, error) { return Open(b, runData(), runConfig(StrategyRandom), dir) },
	} {
		if _, err := try(); err == nil || !strings.Contains(err.Error(), "in use by process "+strconv.Itoa(os.Getpid())) {
			t.Errorf("a second user of the directory: %v", err)
		}
	}
	s.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldRun$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GRAPHENAS_TEST_HOLD_DIR="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "held")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the helper never opened the directory")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := Resume(b, runData(), dir); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("in use by process %d", cmd.Process.Pid)) {
		t.Fatalf("resuming a directory another process holds: %v", err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	r, err := Resume(b, runData(), dir)
	if err != nil {
		t.Fatalf("the lock outlived its killed holder: %v", err)
	}
	r.Close()
}

// TestResumeChangesOnlyWhatMayChange checks resuming with other settings: a changed seed or
// network is refused with every differing field named and nothing changed; a learning rate and
// budget are applied, recorded in the next step's record, and saved; an edited config.json is
// refused.
func TestResumeChangesOnlyWhatMayChange(t *testing.T) {
	b, _ := backend.NewGo()
	dir := t.TempDir()
	s := create(t, StrategyWalk, dir)
	if err := s.Run(3, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	saved, err := SavedConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(saved, s.Config()) {
		t.Fatalf("SavedConfig %+v, the run's %+v", saved, s.Config())
	}
	r, err := Resume(b, runData(), dir)
	if err != nil {
		t.Fatal(err)
	}
	bad := saved
	bad.Seed, bad.Supergraph.Channels = 8, 6
	if _, err := r.Change(bad); err == nil || !strings.Contains(err.Error(), "seed 7 → 8") || !strings.Contains(err.Error(), "supergraph.channels 4 → 6") {
		t.Errorf("changing seed and channels: %v", err)
	}
	if !reflect.DeepEqual(r.Config(), saved) {
		t.Fatal("a refused change changed the configuration")
	}
	good := saved
	good.Supergraph.LearningRate, good.Budget = 0.01, supergraph.BatchBudget(3)
	changes, err := r.Change(good)
	if err != nil || len(changes) != 2 {
		t.Fatalf("changing the learning rate and budget: %v %v", changes, err)
	}
	rec, err := r.Step()
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.ConfigChanges) != 2 || rec.ConfigChanges[0].Field != "budget.batches" || rec.ConfigChanges[1].Field != "supergraph.learning_rate" {
		t.Errorf("the step after the change records %+v", rec.ConfigChanges)
	}
	if rec.TrainBatches != 3 || r.Supergraph().LearningRate() != 0.01 {
		t.Errorf("trained %d batches at lr %g", rec.TrainBatches, r.Supergraph().LearningRate())
	}
	if next, _ := r.Step(); len(next.ConfigChanges) != 0 {
		t.Errorf("the change is recorded twice: %+v", next.ConfigChanges)
	}
	r.Close()
	if now, err := SavedConfig(dir); err != nil || now.Supergraph.LearningRate != 0.01 || now.Budget.Batches != 3 {
		t.Fatalf("after the change, the saved configuration is %+v (%v)", now, err)
	}
	// A config.json edited by hand describes another run: refused, naming the field.
	path := filepath.Join(dir, ConfigFile)
	raw, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.Replace(raw, []byte(`"channels": 4`), []byte(`"channels": 9`), 1), 0o644)
	if _, err := SavedConfig(dir); err == nil || !strings.Contains(err.Error(), "supergraph.channels 4 → 9") {
		t.Errorf("an edited config.json: %v", err)
	}
}

// TestFailureKeepsTheLastGoodCheckpoint checks the failure paths: a step that diverges leaves
// the checkpoint as it was (Close writes nothing), the run resumes with a sane learning rate,
// a state that is not finite is never checkpointed, and temporary files are cleaned on start.
func TestFailureKeepsTheLastGoodCheckpoint(t *testing.T) {
	b, _ := backend.NewGo()
	dir := t.TempDir()
	cfg := runConfig(StrategyRandom)
	cfg.Supergraph.LearningRate = 1e6
	s, err := Create(b, runData(), cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(dir, CheckpointFile))
	var runErr error
	for i := 0; i < 5 && runErr == nil; i++ {
		_, runErr = s.Step()
	}
	if runErr == nil || !strings.Contains(runErr.Error(), "diverged") {
		t.Fatalf("lr 1e6 did not diverge: %v", runErr)
	}
	if _, err := s.Step(); err == nil || !strings.Contains(err.Error(), "earlier step failed") {
		t.Errorf("a failed search stepped on: %v", err)
	}
	s.Close()
	if now, _ := os.ReadFile(filepath.Join(dir, CheckpointFile)); !bytes.Equal(now, good) {
		t.Fatal("a failed run overwrote its last good checkpoint")
	}
	os.WriteFile(filepath.Join(dir, ".checkpoint.bin.tmp123"), []byte("half"), 0o600)
	r, err := Resume(b, runData(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	sane := r.Config()
	sane.Supergraph.LearningRate = 0.05
	if _, err := r.Change(sane); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(4, nil); err != nil {
		t.Fatalf("resumed with a sane learning rate: %v", err)
	}
	// A state that is not finite is refused, naming the variable; the checkpoint stays.
	before, _ := os.ReadFile(filepath.Join(dir, CheckpointFile))
	v := r.Supergraph().Store().GetVariable("/node_1/bn/running_var")
	inf := tensors.FromValue([]float32{float32(posInf()), 1, 1, 1})
	if err := v.SetValue(inf); err != nil {
		t.Fatal(err)
	}
	if err := r.Checkpoint(); err == nil || !strings.Contains(err.Error(), "/node_1/bn/running_var") || !strings.Contains(err.Error(), "not finite") {
		t.Errorf("checkpointing +Inf: %v", err)
	}
	r.Close()
	if after, _ := os.ReadFile(filepath.Join(dir, CheckpointFile)); !bytes.Equal(after, before) {
		t.Error("a state that is not finite reached the checkpoint")
	}
}

func posInf() float64 { return 1 / zero }

var zero = 0.0

// TestCheckpointSchema fails when a type saved in checkpoints changes without
// checkpointVersion (or controller.StateVersion) changing; -update rewrites the golden file
// after a deliberate change (and bump).
func TestCheckpointSchema(t *testing.T) {
	golden := filepath.Join("testdata", "checkpoint-schema.txt")
	head := fmt.Sprintf("checkpoint version %d, controller state version %d\n", checkpointVersion, controller.StateVersion)
	now := head + schema(reflect.TypeOf(checkpointState{}))
	if *updateGolden {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, []byte(now), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -run TestCheckpointSchema -update writes it)", err)
	}
	if string(raw) == now {
		return
	}
	oldHead, _, _ := strings.Cut(string(raw), "\n")
	if oldHead+"\n" == head {
		t.Fatalf("a type saved in checkpoints changed but the versions did not: bump checkpointVersion (or controller.StateVersion), then run go test -run TestCheckpointSchema -update\nwas:\n%s\nnow:\n%s", raw, now)
	}
	t.Fatalf("the checkpoint versions changed: run go test -run TestCheckpointSchema -update to record the new schema")
}

// TestCheckpointFormat checks the file format's promises: unknown fields are refused, the step
// records are not repeated in the checkpoint (the log holds them), and every file of a run
// directory is readable by others (0644).
func TestCheckpointFormat(t *testing.T) {
	dir := t.TempDir()
	s := create(t, StrategyWalk, dir)
	if err := s.Run(3, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(27, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		info, _ := e.Info()
		if info.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v, want 0644", e.Name(), info.Mode().Perm())
		}
	}
	// An unknown field in the body is refused (with a consistent checksum).
	path := filepath.Join(dir, CheckpointFile)
	raw, _ := os.ReadFile(path)
	body := raw[len(checkpointMagic)+16:]
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"arch_text"`, `"val_accuracy"`, `"train_batches"`} {
		if bytes.Contains(body, []byte(key)) {
			t.Errorf("the checkpoint holds step records (%s): the log already has them", key)
		}
	}
	m["surprise"] = 1
	body, _ = json.Marshal(m)
	os.WriteFile(path, frameCheckpoint(body), 0o644)
	if _, err := readCheckpoint(path); err == nil || !strings.Contains(err.Error(), "unknown field") {
		t.Errorf("an unknown field: %v", err)
	}
}

// killConfig is the search of the kill test: tiny, a checkpoint every 2 steps.
func killConfig() Config {
	cfg := runConfig(StrategyWalk)
	cfg.CheckpointEvery = 2
	return cfg
}

const killSteps = 8

// TestHelperKillTarget is not a test: TestKillsResumeToTheSameLog runs it in child processes.
// It opens (creates or resumes) a search and runs it to killSteps steps, writing each phase it
// reaches to a marker file; with GRAPHENAS_KILL_AT=phase#n it kills itself (SIGKILL) at the
// n-th occurrence of that phase.
func TestHelperKillTarget(t *testing.T) {
	dir := os.Getenv("GRAPHENAS_KILL_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	marker, _ := os.OpenFile(os.Getenv("GRAPHENAS_KILL_MARKER"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	killAt, killN := "", 0
	if at := os.Getenv("GRAPHENAS_KILL_AT"); at != "" {
		p, n, _ := strings.Cut(at, "#")
		killAt, killN = p, atoi(n)
	}
	seen := map[string]int{}
	phase := func(p string) {
		marker.WriteString(p + "\n")
		marker.Sync()
		seen[p]++
		if p == killAt && seen[p] == killN {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	b, _ := backend.NewGo()
	phase("start")
	s, err := Open(b, runData(), killConfig(), dir, withCheckpointHook(func(p string) { phase("checkpoint " + p) }))
	if err != nil {
		t.Fatal(err)
	}
	phase("opened")
	if err := s.Run(killSteps-s.Steps(), func(r StepRecord) error { phase("step"); return nil }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	phase("done")
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// TestKillsResumeToTheSameLog kills searches (SIGKILL, no clean-up) at 34 moments: before the
// run exists, while its first checkpoint is written, between steps, while a step's line is
// written, and in the middle of later checkpoints (after the new file is written, after the old
// one is kept, after the rename), at chosen and at random times; each directory is then
// resumed (Open) and run to the end, and its log must equal the uninterrupted run's, timings
// aside.
func TestKillsResumeToTheSameLog(t *testing.T) {
	if testing.Short() {
		t.Skip("34 child processes")
	}
	b, _ := backend.NewGo()
	whole := t.TempDir()
	w, err := Create(b, runData(), killConfig(), whole)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Run(killSteps, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	want := logWithoutTiming(t, whole)

	run := func(dir, marker, killAt string) (killed bool, took time.Duration) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperKillTarget$", "-test.count=1")
		cmd.Env = append(os.Environ(), "GRAPHENAS_KILL_DIR="+dir, "GRAPHENAS_KILL_MARKER="+marker, "GRAPHENAS_KILL_AT="+killAt)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if err != nil && !(ws.Signaled() && ws.Signal() == syscall.SIGKILL) {
			t.Fatalf("helper: %v\n%s", err, out)
		}
		return ws.Signaled(), time.Since(start)
	}
	// One uninterrupted child run: how long a whole run takes, for the random kill times.
	_, full := run(t.TempDir(), filepath.Join(t.TempDir(), "m"), "")

	type trial struct{ killAt string }
	var trials []trial
	for _, p := range []string{"start#1", "checkpoint written#1", "checkpoint renamed#1", "opened#1",
		"step#1", "step#3", "step#8", "checkpoint written#2", "checkpoint written#4", "checkpoint previous kept#2",
		"checkpoint previous kept#3", "checkpoint renamed#2", "checkpoint renamed#5", "checkpoint written#5", "checkpoint previous kept#1",
		"step#2", "step#5", "checkpoint previous kept#4", "checkpoint renamed#3", "checkpoint written#3",
		"step#6", "step#7", "checkpoint renamed#4", "done#1"} {
		trials = append(trials, trial{killAt: p})
	}
	r := rand.New(rand.NewPCG(11, 11))
	var randomDelays []time.Duration
	for i := 0; i < 10; i++ {
		randomDelays = append(randomDelays, time.Duration(r.Float64()*float64(full)))
		trials = append(trials, trial{})
	}
	counts := map[string]int{}
	for i, tr := range trials {
		dir := filepath.Join(t.TempDir(), "run")
		marker := filepath.Join(t.TempDir(), "marker")
		if tr.killAt != "" {
			killed, _ := run(dir, marker, tr.killAt)
			if !killed && tr.killAt != "done#1" {
				t.Fatalf("trial %d: the helper was not killed at %s", i, tr.killAt)
			}
		} else {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperKillTarget$", "-test.count=1")
			cmd.Env = append(os.Environ(), "GRAPHENAS_KILL_DIR="+dir, "GRAPHENAS_KILL_MARKER="+marker)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(randomDelays[i-len(trials)+len(randomDelays)])
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
		}
		phases, _ := os.ReadFile(marker)
		lines := strings.Split(strings.TrimSpace(string(phases)), "\n")
		last := lines[len(lines)-1]
		switch {
		case !strings.Contains(string(phases), "checkpoint renamed"):
			counts["before the first checkpoint"]++
		case strings.HasPrefix(last, "checkpoint") && last != "checkpoint renamed":
			counts["during a checkpoint write"]++
		default:
			counts["between or during steps, or after a checkpoint"]++
		}
		s, err := Open(b, runData(), killConfig(), dir)
		if err != nil {
			t.Fatalf("trial %d (killed after %q): %v", i, last, err)
		}
		if err := s.Run(killSteps-s.Steps(), nil); err != nil {
			t.Fatal(err)
		}
		s.Close()
		got := logWithoutTiming(t, dir)
		sameLines(t, fmt.Sprintf("trial %d, killed after %q", i, last), got, want)
	}
	t.Logf("%d kills, each resumed to the uninterrupted log: %v", len(trials), counts)
	if len(trials) < 30 || counts["before the first checkpoint"] < 2 || counts["during a checkpoint write"] < 5 {
		t.Errorf("coverage: %d kills, %v", len(trials), counts)
	}
}
