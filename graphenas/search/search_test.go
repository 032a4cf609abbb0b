package search

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

func tinySearch(t *testing.T, strategy string) *Search {
	t.Helper()
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	ds := data.SyntheticDataset(300, 64, 8, 8, 1, 4, 3)
	s, err := New(b, ds, Config{Seed: 5, Strategy: strategy, EvalBatches: 2, Budget: supergraph.BatchBudget(2),
		Supergraph: supergraph.Config{Nodes: 5, Channels: 4, LayersPerStage: 2, BatchSize: 16, LearningRate: 0.05}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// logLines runs n steps and returns the records as JSON lines without their timing.
func logLines(t *testing.T, s *Search, n int) []string {
	var lines []string
	err := s.Run(n, func(r StepRecord) error {
		r.Timing = Timing{}
		b, err := json.Marshal(r)
		lines = append(lines, string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestSearchIsReproducible(t *testing.T) {
	for _, strategy := range []string{StrategyWalk, StrategyGraphEnas, StrategyRandom} {
		a := logLines(t, tinySearch(t, strategy), 6)
		b := logLines(t, tinySearch(t, strategy), 6)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%s step %d differs:\n%s\n%s", strategy, i, a[i], b[i])
			}
		}
	}
}

func TestStepRecords(t *testing.T) {
	s := tinySearch(t, StrategyWalk)
	if err := s.Run(5, nil); err != nil {
		t.Fatal(err)
	}
	h := s.History()
	if len(h) != 5 {
		t.Fatalf("%d records", len(h))
	}
	for i, r := range h {
		if r.Step != i || r.TrainBatches != 2 || r.ValLoss <= 0 || r.ArchText == "" || r.Strategy != "graphenas-walk" {
			t.Errorf("record %d: %+v", i, r)
		}
		// The walk's start is drawn afresh; every later step is the actor's edit of the step
		// before, with the critic's prediction and δ against that step's loss.
		if moved := r.Action != nil; moved != (i > 0) {
			t.Errorf("record %d: an edit %v", i, moved)
		}
		if i > 0 && (r.Before != h[i-1].ArchText || r.CriticStd <= 0 || math.Abs(r.Delta-(math.Log(r.ValLoss)-math.Log(h[i-1].ValLoss))) > 1e-12) {
			t.Errorf("record %d: before %q (step %d was %q), critic σ %v, δ %v", i, r.Before, i-1, h[i-1].ArchText, r.CriticStd, r.Delta)
		}
		if i > 0 && r.ArchText == h[i-1].ArchText {
			t.Errorf("step %d did not change the architecture", i)
		}
	}
	best := s.Best(3)
	if len(best) == 0 || len(best) > 3 || (len(best) > 1 && best[0].ValLoss > best[1].ValLoss) {
		t.Errorf("best %+v", best)
	}
	if _, err := New(nil, nil, Config{Strategy: "annealing"}); err == nil || !strings.Contains(err.Error(), `unknown strategy "annealing"`) {
		t.Errorf("unknown strategy: %v", err)
	}
}

// Every strategy of the table runs on the supergraph, and a run stopped half-way and resumed
// (the strategy rebuilt from the seed and the logged steps replayed into it) logs exactly what an
// uninterrupted run logs. The pick is an architecture the search evaluated.
func TestEveryStrategyRunsAndResumes(t *testing.T) {
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	ds := data.SyntheticDataset(300, 64, 8, 8, 1, 4, 3)
	cfg := Config{Seed: 5, EvalBatches: 1, Budget: supergraph.BatchBudget(1), CheckpointEvery: 2,
		Supergraph: supergraph.Config{Nodes: 4, Channels: 4, LayersPerStage: 1, BatchSize: 16, LearningRate: 0.05}}
	for _, name := range append(Strategies(), "graphenas-gp:proposals=4", "evolution:pick=gp") {
		cfg.Strategy = name
		whole, cut := filepath.Join(t.TempDir(), "whole"), filepath.Join(t.TempDir(), "cut")
		w, err := Create(b, ds, cfg, whole)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := w.Run(12, nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p, ok := w.Pick(); !ok || w.visits[p.Arch.Key()] == nil {
			t.Errorf("%s: pick %+v", name, p)
		}
		w.Close()
		c, err := Create(b, ds, cfg, cut)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Run(7, nil); err != nil { // checkpoints after steps 2, 4, 6 and 7
			t.Fatalf("%s: %v", name, err)
		}
		c.Close()
		var calls, lastDone, lastTotal int
		r, err := Resume(b, ds, cut, WithProgress(func(e progress.Event) { calls, lastDone, lastTotal = calls+1, e.Done, e.Total }))
		if err != nil {
			t.Fatalf("%s: resume: %v", name, err)
		}
		if r.Steps() != 7 || calls != 7 || lastDone != 7 || lastTotal != 7 {
			t.Errorf("%s: resumed at step %d after %d progress calls, the last %d of %d; want 7", name, r.Steps(), calls, lastDone, lastTotal)
		}
		if err := r.Run(5, nil); err != nil {
			t.Fatalf("%s: after resuming: %v", name, err)
		}
		r.Close()
		sameLines(t, name, logWithoutTiming(t, whole), logWithoutTiming(t, cut))
	}
	// A log that does not match the strategy's replay is refused, naming the step.
	cfg.Strategy = StrategyRandom
	dir := filepath.Join(t.TempDir(), "run")
	s, err := Create(b, ds, cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(2, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// The log says step 1 trained step 0's architecture again, and the checkpoint vouches for it.
	steps := filepath.Join(dir, StepsFile)
	raw, err := os.ReadFile(steps)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(raw), "\n")
	var r0, r1 StepRecord
	if json.Unmarshal([]byte(lines[0]), &r0) != nil || json.Unmarshal([]byte(lines[1]), &r1) != nil {
		t.Fatal("unreadable log")
	}
	r1.ArchText = r0.ArchText
	line1, _ := json.Marshal(r1)
	edited := lines[0] + string(line1) + "\n"
	st, err := readCheckpoint(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(edited))
	st.LogBytes, st.LogSHA256 = int64(len(edited)), hex.EncodeToString(sum[:])
	file, err := encodeCheckpoint(st)
	if err != nil {
		t.Fatal(err)
	}
	if os.WriteFile(steps, []byte(edited), 0o644) != nil || os.WriteFile(filepath.Join(dir, CheckpointFile), file, 0o644) != nil {
		t.Fatal("cannot write the edited run")
	}
	if _, err := Resume(b, ds, dir); err == nil || !strings.Contains(err.Error(), "replaying step 1") {
		t.Errorf("resume with a log of another seed: %v", err)
	}
}
