package retrain

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/ckpt"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// smallRetraining is a retraining of a few batches on generated images.
func smallRetraining(t *testing.T) (*data.Dataset, *arch.Arch, Config) {
	t.Helper()
	ds := data.SyntheticDataset(160, 48, 8, 8, 1, 4, 3)
	a, _ := arch.Parse("1:conv3 2:maxpool3 3:dwconv5 | 0>1 1>2 2>3 3>4 0>4")
	return ds, a, Config{Seed: 4, Epochs: 1, Network: supergraph.Config{Channels: 4, LayersPerStage: 2, BatchSize: 16}}
}

// A checkpoint or result that cannot be written is found before any training, not after it.
func TestRetrainChecksWhereItWritesFirst(t *testing.T) {
	b, _ := backend.NewGo()
	ds, a, cfg := smallRetraining(t)
	for _, bad := range []Config{
		{Checkpoint: filepath.Join(t.TempDir(), "no", "such", "dir", "ck.bin")},
		{Out: filepath.Join(t.TempDir(), "no", "such", "dir", "result.json")},
	} {
		c := cfg
		c.Checkpoint, c.Out = bad.Checkpoint, bad.Out
		trained := 0
		c.afterChunk = func(int) error { trained++; return nil }
		if _, err := Run(b, ds, a, c); err == nil || !strings.Contains(err.Error(), "nothing was trained") || trained != 0 {
			t.Errorf("%+v: %v after %d groups of batches", bad, err, trained)
		}
	}
}

// A checkpoint save that fails part-way (here: its folder made read-only) is a warning; the
// retraining finishes and its result is written.
func TestRetrainGoesOnWhenACheckpointSaveFails(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only folders")
	}
	b, _ := backend.NewGo()
	ds, a, cfg := smallRetraining(t)
	dir := t.TempDir()
	cfg.Checkpoint, cfg.CheckpointEvery, cfg.Out = filepath.Join(dir, "ck.bin"), 1, filepath.Join(t.TempDir(), "r.json")
	cfg.afterChunk = func(int) error { return os.Chmod(dir, 0o555) }
	defer os.Chmod(dir, 0o755)
	res, err := Run(b, ds, a, cfg)
	if err != nil || len(res.Warnings) == 0 {
		t.Fatalf("%v, warnings %v", err, res.Warnings)
	}
	if _, err := ReadResult(cfg.Out); err != nil {
		t.Errorf("no result written: %v", err)
	}
}

// The same with a full disk, where root cannot escape either: /dev/full refuses every write. The
// checkpoint folder is checked at the start (a temporary file is created there), so the failure
// comes at the first save.
func TestRetrainWarnsOnAFullDisk(t *testing.T) {
	b, _ := backend.NewGo()
	ds, a, cfg := smallRetraining(t)
	dir := t.TempDir()
	cfg.Checkpoint, cfg.CheckpointEvery = filepath.Join(dir, "ck.bin"), 1
	failing := false
	cfg.afterChunk = func(int) error {
		if !failing { // from now on, the checkpoint's folder is a file: every save fails
			failing = true
			os.RemoveAll(dir)
			return os.WriteFile(dir, nil, 0o644)
		}
		return nil
	}
	res, err := Run(b, ds, a, cfg)
	if err != nil || len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "at batch 10; training goes on") || res.TestAccuracy <= 0 {
		t.Fatalf("%v, accuracy %v, warnings %q", err, res.TestAccuracy, res.Warnings)
	}
}

// A retraining that diverges gives a result saying so, written with a null test loss (JSON has no
// NaN), and read back as NaN; its checkpoint is gone only once the result is written.
func TestRetrainRecordsDivergence(t *testing.T) {
	b, _ := backend.NewGo()
	ds, a, cfg := smallRetraining(t)
	cfg.LearningRate = 1e6
	cfg.Checkpoint, cfg.Out = filepath.Join(t.TempDir(), "ck.bin"), filepath.Join(t.TempDir(), "r.json")
	res, err := Run(b, ds, a, cfg)
	if err != nil || !res.Diverged {
		t.Fatalf("learning rate 1e6: %v, diverged %v", err, res.Diverged)
	}
	raw, _ := os.ReadFile(cfg.Out)
	if !strings.Contains(string(raw), `"test_loss": null`) || !strings.Contains(string(raw), `"diverged": true`) {
		t.Errorf("result file:\n%s", raw)
	}
	back, err := ReadResult(cfg.Out)
	if err != nil || !back.Diverged || back.TestLoss == back.TestLoss {
		t.Errorf("read back: %v, %+v", err, back)
	}
	if _, err := os.Stat(cfg.Checkpoint); !os.IsNotExist(err) {
		t.Errorf("checkpoint left: %v", err)
	}
	// A finite result keeps its loss.
	good := Result{TestLoss: 0.5, TestAccuracy: 0.9}
	raw, _ = json.Marshal(good)
	var again Result
	if err := json.Unmarshal(raw, &again); err != nil || again.TestLoss != 0.5 || again.Diverged {
		t.Errorf("round trip of a finite result: %v, %+v", err, again)
	}
}

// A result that cannot be written keeps the checkpoint, so that a new start only tests again.
func TestRetrainKeepsItsCheckpointUntilTheResultIsWritten(t *testing.T) {
	b, _ := backend.NewGo()
	ds, a, cfg := smallRetraining(t)
	outDir := t.TempDir()
	cfg.Checkpoint, cfg.Out = filepath.Join(t.TempDir(), "ck.bin"), filepath.Join(outDir, "r.json")
	cfg.afterChunk = func(batches int) error {
		if batches == 10 { // the result's folder goes away during training
			os.RemoveAll(outDir)
		}
		return nil
	}
	if _, err := Run(b, ds, a, cfg); err == nil {
		t.Fatal("no error for a result that could not be written")
	}
	if _, err := os.Stat(cfg.Checkpoint); err != nil {
		t.Fatalf("the checkpoint went with the result: %v", err)
	}
	os.MkdirAll(outDir, 0o755)
	cfg.afterChunk = func(int) error { t.Error("trained again"); return nil }
	if _, err := Run(b, ds, a, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadResult(cfg.Out); err != nil {
		t.Error(err)
	}
}

// Temporary files a kill left beside the checkpoint are removed; a search's checkpoint named by
// mistake is not called damaged, nor its deletion advised; a FIFO, a device or a huge file is
// refused before it is read.
func TestRetrainCheckpointOddFiles(t *testing.T) {
	b, _ := backend.NewGo()
	ds, a, cfg := smallRetraining(t)
	dir := t.TempDir()
	cfg.Checkpoint = filepath.Join(dir, "ck.bin")
	leftover := filepath.Join(dir, ".ck.bin.tmp12345")
	os.WriteFile(leftover, []byte("half"), 0o644)
	if _, err := Run(b, ds, a, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("leftover temporary file kept: %v", err)
	}
	search := filepath.Join(dir, "checkpoint.bin")
	os.WriteFile(search, ckpt.Frame(searchCheckpointMagic, 4, []byte("{}")), 0o644)
	cfg.Checkpoint = search
	if _, err := Run(b, ds, a, cfg); err == nil || !strings.Contains(err.Error(), "is a search's checkpoint") || strings.Contains(err.Error(), "delete it") {
		t.Errorf("a search's checkpoint: %v", err)
	}
	huge := filepath.Join(dir, "huge.bin")
	f, _ := os.Create(huge)
	f.Truncate(1 << 40)
	f.Close()
	fifo := filepath.Join(dir, "fifo.bin")
	syscall.Mkfifo(fifo, 0o644)
	zero := filepath.Join(dir, "zero.bin")
	os.Symlink("/dev/zero", zero)
	for _, path := range []string{huge, fifo, zero} {
		cfg.Checkpoint = path
		done := make(chan error, 1)
		go func() { _, err := Run(b, ds, a, cfg); done <- err }()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s accepted as a checkpoint", path)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the retraining hangs on it", path)
		}
	}
}
