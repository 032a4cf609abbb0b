package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/retrain"
	"github.com/graphenas/graphenas/graphenas/search"
)

// TestSearchRetrainPlotCommands runs the real binary: a search, its resumption, a retraining of
// its best architecture and the report, on a small generated data set in the IDX format.
func TestSearchRetrainPlotCommands(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "graphenas")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dataDir := t.TempDir()
	train, test := data.Synthetic("train", 400, 28, 28, 1, 10, 1), data.Synthetic("test", 100, 28, 28, 1, 10, 2)
	if err := data.WriteIDX(dataDir, "train", train, true); err != nil {
		t.Fatal(err)
	}
	if err := data.WriteIDX(dataDir, "t10k", test, true); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "GOMLX_BACKEND=go")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("graphenas %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return string(out), stderr.String()
	}
	out := filepath.Join(t.TempDir(), "run")
	common := []string{"--data", dataDir, "--channels", "4", "--batch-size", "16", "--budget-batches", "1", "--eval-batches", "1",
		"--checkpoint-every", "2", "--warmup-batches", "6"}
	stdout, stderr := run(append([]string{"search", "--steps", "3", "--strategy", "evolution", "--out", out}, common...)...)
	if !strings.Contains(stderr, "search evolution [") || !strings.Contains(stderr, "3/3") || !strings.Contains(stdout, "the strategy's pick:") ||
		!strings.Contains(stderr, "warm-up [####################] 6/6") {
		t.Errorf("no progress bar or result:\n%s\n%s", stderr, stdout)
	}
	for _, f := range []string{search.StepsFile, search.CheckpointFile, search.BestFile, search.ConfigFile, "report.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("search wrote no %s", f)
		}
	}
	run("search", "--data", dataDir, "--out", out, "--steps", "5", "--resume", "--quiet")
	recs, err := search.ReadSteps(out)
	if err != nil || len(recs) != 5 || recs[4].Step != 4 || recs[4].Strategy != "evolution" {
		t.Fatalf("after --resume: %d records, %v", len(recs), err)
	}
	resFile := filepath.Join(t.TempDir(), "retrain.json")
	ckptFile := filepath.Join(t.TempDir(), "retrain.ckpt")
	stdout, _ = run("retrain", "--data", dataDir, "--arch", filepath.Join(out, search.BestFile), "--epochs", "0.2", "--out", resFile, "--quiet", "--checkpoint", ckptFile)
	var res retrain.Result
	raw, _ := os.ReadFile(resFile)
	if err := json.Unmarshal(raw, &res); err != nil || res.Params <= 0 || !strings.Contains(stdout, "test accuracy") {
		t.Errorf("retrain: %s %v\n%s", raw, err, stdout)
	}
	if _, err := os.Stat(ckptFile); !os.IsNotExist(err) {
		t.Errorf("the finished retraining left its checkpoint: %v", err)
	}
	// A comparison with two runs side by side, then read back at its budget and at one never run.
	cmpDir := filepath.Join(t.TempDir(), "cmp")
	cmpArgs := []string{"compare", "--data", dataDir, "--out", cmpDir, "--strategies", "random,evolution", "--seeds", "1", "--steps", "2",
		"--channels", "4", "--batch-size", "16", "--budget-batches", "1", "--eval-batches", "1", "--warmup-batches", "4", "--retrain-epochs", "0.1"}
	_, stderr = run(append(cmpArgs, "--workers", "2")...)
	if !strings.Contains(stderr, "retrain random seed 1") || !strings.Contains(stderr, "retrain evolution seed 1") || !strings.Contains(stderr, "test random seed 1 [####################] 100/100 images") {
		t.Errorf("compare --workers 2 showed no progress of both runs:\n%s", stderr)
	}
	stdout, _ = run(append(cmpArgs, "--read-only", "--quiet")...)
	if !strings.Contains(stdout, "0.1 retraining epochs") || strings.Contains(stdout, "not retrained") {
		t.Errorf("compare --read-only at the budget run:\n%s", stdout)
	}
	cmpArgs[len(cmpArgs)-1] = "0.3"
	if stdout, _ = run(append(cmpArgs, "--read-only", "--quiet")...); !strings.Contains(stdout, "| random | 1 | — (not retrained) |") {
		t.Errorf("compare --read-only at a budget never run:\n%s", stdout)
	}
	page := filepath.Join(t.TempDir(), "r.html")
	run("plot", "--run", out, "--out", page)
	if b, err := os.ReadFile(page); err != nil || !strings.Contains(string(b), "Validation loss per step") {
		t.Errorf("plot wrote no report: %v", err)
	}
	// Bad input gets a clear error.
	cmd := exec.Command(bin, "search", "--resume", "--data", dataDir)
	if msg, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(msg), "--resume needs --out") {
		t.Errorf("--resume without --out: %s", msg)
	}
}

// TestHostileInputsCommands runs the real binary on the inputs of the reliability review: a
// crafted IDX header, conflicting settings on --resume, and two processes resuming one run.
// Each ends in a one-line error and a non-zero exit, never a panic.
func TestHostileInputsCommands(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "graphenas")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	command := func(env []string, args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(append(os.Environ(), "GOMLX_BACKEND=go"), env...)
		return cmd
	}
	fails := func(t *testing.T, want string, env []string, args ...string) {
		t.Helper()
		out, err := command(env, args...).CombinedOutput()
		last := strings.TrimSpace(string(out))
		if i := strings.LastIndex(last, "\n"); i >= 0 {
			last = last[i+1:]
		}
		if err == nil || strings.Contains(string(out), "panic") || !strings.Contains(last, want) {
			t.Errorf("graphenas %s: %v, last line %q, want it to contain %q\n%s", strings.Join(args, " "), err, last, want, out)
		}
	}

	// Settings one strategy reads, given to another, are refused rather than ignored.
	fails(t, "random-walk takes no k", nil, "search", "--strategy", "random-walk:k=3", "--steps", "1")
	fails(t, "--population configures evolution only, not random", nil, "search", "--strategy", "random", "--population", "5", "--steps", "1")
	fails(t, `unknown strategy "annealing"`, nil, "search", "--strategy", "annealing", "--steps", "1")

	// A header announcing 65536 images of 2^24 × 2^24 pixels.
	crafted := t.TempDir()
	img := []byte{0, 0, 8, 3, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0}
	lbl := append([]byte{0, 0, 8, 1, 0, 1, 0, 0}, make([]byte, 1<<16)...)
	for _, part := range []string{"train", "t10k"} {
		os.WriteFile(filepath.Join(crafted, part+"-images-idx3-ubyte"), img, 0o644)
		os.WriteFile(filepath.Join(crafted, part+"-labels-idx1-ubyte"), lbl, 0o644)
	}
	fails(t, "train-images-idx3-ubyte", []string{"GRAPHENAS_DATA=" + crafted}, "search", "--steps", "1", "--out", filepath.Join(t.TempDir(), "r"))
	// graphenas env reports the data set as unusable, and why, rather than failing.
	if out, err := command([]string{"GRAPHENAS_DATA=" + crafted}, "env", "--no-start").CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "train-images-idx3-ubyte") || !strings.Contains(string(out), "announces more than") {
		t.Errorf("graphenas env on crafted data: %v\n%s", err, out)
	}

	// A small run, then resumed with settings it may and may not change.
	dataDir := t.TempDir()
	data.WriteIDX(dataDir, "train", data.Synthetic("train", 200, 28, 28, 1, 10, 1), true)
	data.WriteIDX(dataDir, "t10k", data.Synthetic("test", 50, 28, 28, 1, 10, 2), true)
	run := filepath.Join(t.TempDir(), "run")
	common := []string{"--data", dataDir, "--quiet"}
	if out, err := command(nil, append([]string{"search", "--steps", "2", "--out", run, "--channels", "4", "--batch-size", "8",
		"--eval-batches", "1", "--strategy", "random", "--warmup-batches", "0"}, common...)...).CombinedOutput(); err != nil {
		t.Fatalf("search: %v\n%s", err, out)
	}
	fails(t, "supergraph.channels 4 → 8", nil, append([]string{"search", "--resume", "--out", run, "--steps", "3", "--channels", "8", "--seed", "2"}, common...)...)
	out, err := command(nil, append([]string{"search", "--resume", "--out", run, "--steps", "3", "--lr", "0.01"}, common...)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "supergraph.learning_rate 0.05 → 0.01") {
		t.Errorf("resume with --lr 0.01: %v\n%s", err, out)
	}
	recs, err := search.ReadSteps(run)
	if err != nil || len(recs) != 3 || len(recs[2].ConfigChanges) != 1 {
		t.Fatalf("after the resume: %d records, %v", len(recs), err)
	}
	raw, _ := os.ReadFile(filepath.Join(run, search.ConfigFile))
	if !strings.Contains(string(raw), `"learning_rate": 0.01`) {
		t.Errorf("config.json does not show the new learning rate:\n%s", raw)
	}

	// Two processes on one run: the second is refused, naming the first.
	first := command(nil, append([]string{"search", "--resume", "--out", run, "--steps", "400"}, common...)...)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Process.Kill()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, _ := os.ReadFile(filepath.Join(run, search.LockFile)); strings.Contains(string(b), "process "+strconv.Itoa(first.Process.Pid)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first process never took the lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	fails(t, "in use by process "+strconv.Itoa(first.Process.Pid), nil, append([]string{"search", "--resume", "--out", run, "--steps", "5"}, common...)...)
}
