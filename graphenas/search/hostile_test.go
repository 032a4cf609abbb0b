package search

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/ckpt"
	"github.com/graphenas/graphenas/graphenas/retrain"
)

// The files a search finds in its run directory are what whoever sent the directory made them:
// these tests play that sender (reliability, round two).

// finishedRun makes a one-run comparison of 2 steps in a new directory, retrained for 0.2 epoch,
// and returns its configuration and the run's directory.
func finishedRun(t *testing.T) (CompareConfig, string) {
	t.Helper()
	b, _ := backend.NewGo()
	cfg := CompareConfig{Strategies: []string{StrategyRandom}, Seeds: []uint64{1}, Search: runConfig(""), Steps: 2,
		Dir: t.TempDir(), Retrain: retrain.Config{Epochs: 0.2}}
	if _, err := Compare(b, runData(), cfg); err != nil {
		t.Fatal(err)
	}
	return cfg, compareRunDir(cfg.Dir, StrategyRandom, 1)
}

// A lock file or a log that is a symbolic link is refused, and the file it points to is untouched:
// a shared run directory cannot make its receiver overwrite their own files.
func TestRunDirectoryLinksAreNotFollowed(t *testing.T) {
	b, _ := backend.NewGo()
	for _, name := range []string{LockFile, StepsFile} {
		dir := t.TempDir()
		s := create(t, StrategyRandom, dir)
		if err := s.Run(2, nil); err != nil {
			t.Fatal(err)
		}
		s.Close()
		victim := filepath.Join(t.TempDir(), "victim.txt")
		os.WriteFile(victim, []byte("precious\n"), 0o644)
		os.Remove(filepath.Join(dir, name))
		if err := os.Symlink(victim, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		if _, err := Resume(b, runData(), dir); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("%s a link: resume gave %v", name, err)
		}
		if raw, _ := os.ReadFile(victim); string(raw) != "precious\n" {
			t.Errorf("%s a link: the file it points to now holds %q", name, raw)
		}
	}
}

// A checkpoint that is too large, a device or a FIFO is refused before anything is read: no
// allocation of its size, no endless read, no wait for a writer.
func TestCheckpointReadsAreBounded(t *testing.T) {
	b, _ := backend.NewGo()
	for _, kind := range []string{"huge", "dev-zero", "fifo"} {
		dir := t.TempDir()
		s := create(t, StrategyRandom, dir)
		s.Close()
		path := filepath.Join(dir, CheckpointFile)
		os.Remove(path)
		os.Remove(filepath.Join(dir, PrevCheckpointFile))
		switch kind {
		case "huge":
			f, _ := os.Create(path)
			f.Truncate(1 << 40) // sparse: a terabyte that takes no disk
			f.Close()
		case "dev-zero":
			os.Symlink("/dev/zero", path)
		case "fifo":
			if err := syscall.Mkfifo(path, 0o644); err != nil {
				t.Skip("no FIFOs here")
			}
		}
		done := make(chan error, 1)
		go func() { _, err := Resume(b, runData(), dir); done <- err }()
		select {
		case err := <-done:
			if err == nil || !(strings.Contains(err.Error(), "bytes, more than") || strings.Contains(err.Error(), "symbolic link") ||
				strings.Contains(err.Error(), "not a regular file")) {
				t.Errorf("%s checkpoint: %v", kind, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s checkpoint: resume did not return", kind)
		}
	}
}

// A finished run's run.json with a number no run can hold is refused, naming the file, instead of
// failing later as "json: unsupported value: +Inf" with no file named.
func TestCompareRefusesAnImpossibleRunFile(t *testing.T) {
	cfg, dir := finishedRun(t)
	path := filepath.Join(dir, runFile)
	raw, _ := os.ReadFile(path)
	var run map[string]any
	json.Unmarshal(raw, &run)
	run["best"].(map[string]any)["val_loss"] = 1e300
	raw, _ = json.Marshal(run)
	os.WriteFile(path, raw, 0o644)
	b, _ := backend.NewGo()
	if _, err := Compare(b, runData(), cfg); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "validation loss 1e+300") {
		t.Errorf("run.json with a loss of 1e300: %v", err)
	}
}

// A pick whose retraining diverges is recorded as diverged (its test loss null in run.json); the
// comparison goes on instead of aborting.
func TestCompareRecordsADivergedPick(t *testing.T) {
	b, _ := backend.NewGo()
	cfg := CompareConfig{Strategies: []string{StrategyRandom, StrategyEvolution}, Seeds: []uint64{1}, Search: runConfig(""), Steps: 2,
		Dir: t.TempDir(), Retrain: retrain.Config{Epochs: 0.2, LearningRate: 1e6}}
	res, err := Compare(b, runData(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range res.Runs {
		if run.Retrain == nil || !run.Retrain.Diverged {
			t.Errorf("%s: retraining at learning rate 1e6 not recorded as diverged: %+v", run.Dir, run.Retrain)
		}
		raw, _ := os.ReadFile(filepath.Join(run.Dir, runFile))
		if !strings.Contains(string(raw), `"test_loss": null`) || !strings.Contains(string(raw), `"diverged": true`) {
			t.Errorf("%s: run.json does not record the divergence", run.Dir)
		}
	}
}

// While a comparison retrains a run's pick it holds the run's lock: a second comparison retraining
// the same pick is refused (they would share its checkpoint).
func TestCompareRetrainingHoldsTheRunsLock(t *testing.T) {
	cfg, dir := finishedRun(t)
	held, err := lockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()
	cfg.Retrain.Epochs = 0.3 // another budget: the pick is retrained again
	b, _ := backend.NewGo()
	if _, err := Compare(b, runData(), cfg); err == nil || !strings.Contains(err.Error(), "is in use by process") {
		t.Errorf("retraining a pick another process holds: %v", err)
	}
}

// A finished run whose config.json was deleted is still checked against the comparison's
// settings (from its checkpoint), and one with neither is refused: read back with other settings,
// it would join the tables without a word.
func TestCompareChecksRunsWithoutConfigJSON(t *testing.T) {
	cfg, dir := finishedRun(t)
	os.Remove(filepath.Join(dir, ConfigFile))
	other := cfg
	other.ReadOnly = true
	other.Search.Supergraph.LearningRate = 0.5
	b, _ := backend.NewGo()
	if _, err := Compare(b, runData(), other); err == nil || !strings.Contains(err.Error(), "other settings") {
		t.Errorf("config.json deleted, other learning rate: %v", err)
	}
	os.Remove(filepath.Join(dir, CheckpointFile))
	os.Remove(filepath.Join(dir, PrevCheckpointFile))
	if _, err := Compare(b, runData(), other); err == nil || !strings.Contains(err.Error(), "cannot be checked") {
		t.Errorf("config.json and checkpoints deleted: %v", err)
	}
}

// A resume refused over a setting it may not change leaves the run's log as it was, and an
// unusable checkpoint's error says that the previous one may be intact, whoever reads it first.
func TestRefusedResumeChangesNothing(t *testing.T) {
	dir := t.TempDir()
	s := create(t, StrategyRandom, dir)
	s.Run(4, nil) // the last checkpoint covers 3 steps: the 4th line is dropped by a resume
	s.Close()
	saved, err := SavedConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	changed := saved
	changed.Supergraph.Channels = 9
	if _, _, err := CheckChange(saved, changed); err == nil || !strings.Contains(err.Error(), "supergraph.channels") {
		t.Errorf("a change of channels: %v", err)
	}
	if _, _, err := CheckChange(saved, saved); err != nil {
		t.Errorf("no change: %v", err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, CheckpointFile))
	os.WriteFile(filepath.Join(dir, CheckpointFile), raw[:len(raw)/2], 0o644)
	if _, err := SavedConfig(dir); err == nil || !strings.Contains(err.Error(), "previous checkpoint "+PrevCheckpointFile+" may be intact") {
		t.Errorf("SavedConfig of a cut checkpoint: %v", err)
	}
}

// A run directory's result files are written through no link either: the retraining's result
// replaces a link named retrain.json instead of writing where it points.
func TestRetrainResultReplacesALink(t *testing.T) {
	cfg, dir := finishedRun(t)
	victim := filepath.Join(t.TempDir(), "victim.txt")
	os.WriteFile(victim, []byte("precious\n"), 0o644)
	path := filepath.Join(dir, RetrainResultFile)
	os.Remove(path)
	os.Symlink(victim, path)
	cfg.Retrain.Epochs = 0.3
	b, _ := backend.NewGo()
	if _, err := Compare(b, runData(), cfg); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(victim); string(raw) != "precious\n" {
		t.Errorf("the file retrain.json pointed to now holds %q", raw)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink != 0 {
		t.Errorf("retrain.json is still a link: %v", err)
	}
	if _, err := ckpt.ReadFile(path, 0, ckpt.NoFollow); err != nil {
		t.Errorf("retrain.json: %v", err)
	}
}
