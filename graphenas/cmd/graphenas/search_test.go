package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graphenas/graphenas/graphenas/data"
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
		"--checkpoint-every", "2"}
	stdout, stderr := run(append([]string{"search", "--steps", "3", "--strategy", "evolution", "--out", out}, common...)...)
	if !strings.Contains(stderr, "search evolution [") || !strings.Contains(stderr, "3/3") || !strings.Contains(stdout, "best architecture:") {
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
	stdout, _ = run("retrain", "--data", dataDir, "--arch", filepath.Join(out, search.BestFile), "--epochs", "0.2", "--out", resFile, "--quiet")
	var res search.RetrainResult
	raw, _ := os.ReadFile(resFile)
	if err := json.Unmarshal(raw, &res); err != nil || res.Params <= 0 || !strings.Contains(stdout, "test accuracy") {
		t.Errorf("retrain: %s %v\n%s", raw, err, stdout)
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
