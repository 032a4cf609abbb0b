package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/graphenas/graphenas/graphenas/ckpt"
	"github.com/graphenas/graphenas/graphenas/groundtruth"
	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/stats"
)

// runGroundTruth makes, extends or reads a ground-truth table.
func runGroundTruth(args []string) error {
	fs := flag.NewFlagSet("groundtruth", flag.ContinueOnError)
	m := groundtruth.Manifest{Recipe: groundtruth.DefaultRecipe(), Archs: 150, SampleSeed: 1, Repeated: 30, Seeds: 3}
	r := &m.Recipe
	out := fs.String("out", "", "directory of the table (created; an existing one is continued or extended)")
	intFlag(fs, &m.Archs, "archs", 1, 100000, "architectures, drawn uniformly from the connected space")
	fs.Uint64Var(&m.SampleSeed, "sample-seed", m.SampleSeed, "seed of the draw of architectures")
	intFlag(fs, &m.Repeated, "repeated", 0, 100000, "how many of the first architectures are trained on every seed")
	intFlag(fs, &m.Seeds, "seeds", 1, 100, "training seeds of the repeated architectures")
	intFlag(fs, &r.Channels, "channels", 1, 4096, "recipe: channels of the first stage")
	intFlag(fs, &r.StemStride, "stem-stride", 1, 2, "recipe: stem stride (2: every node at half resolution)")
	intFlag(fs, &r.BatchSize, "batch-size", 1, 1<<16, "recipe: images per batch")
	positiveFloatFlag(fs, &r.Epochs, "epochs", 1000, "recipe: epochs over the training set")
	positiveFloatFlag(fs, &r.LearningRate, "lr", 100, "recipe: peak learning rate (warm-up, then cosine to zero)")
	shard := fs.String("shard", "0/1", "i/n: train only the jobs whose position is i modulo n (for a job array over a shared directory)")
	workers := 1
	intFlag(fs, &workers, "workers", 1, 1024, "jobs trained at once on the one back-end (for a GPU)")
	collect := fs.Bool("collect", false, "train nothing: write the finished jobs of --out as table.csv and manifest.json in it, and print the summary")
	agree := fs.String("agree", "", "train nothing: DIR_A,DIR_B — the rank agreement of two tables on the architectures both hold (Kendall τ, Spearman ρ)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	df := addDataFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *agree != "" {
		a, b, ok := strings.Cut(*agree, ",")
		if !ok {
			return fmt.Errorf("groundtruth: --agree wants two directories, DIR_A,DIR_B")
		}
		return printAgreement(a, b)
	}
	if *out == "" {
		return fmt.Errorf("groundtruth: --out DIR is required")
	}
	if *collect {
		return collectTable(*out)
	}
	i, n, err := parseShard(*shard)
	if err != nil {
		return err
	}
	ds, err := df.load()
	if err != nil {
		return err
	}
	b, err := startBackend("groundtruth")
	if err != nil {
		return err
	}
	defer b.Finalize()
	cfg := groundtruth.MakeConfig{Dir: *out, Manifest: m, Shard: i, Shards: n, Workers: workers}
	if !*quiet {
		cfg.Progress = progress.NewBars(os.Stderr).Report
	}
	fmt.Fprintf(os.Stderr, "groundtruth: %d architectures (%d on %d seeds), %s; shard %d/%d in %s\n",
		m.Archs, m.Repeated, m.Seeds, m.Recipe, i, n, *out)
	trained, err := groundtruth.Make(b, ds, cfg)
	fmt.Fprintf(os.Stderr, "groundtruth: trained %d jobs in this run\n", trained)
	return err
}

// parseShard reads "i/n" with 0 ≤ i < n.
func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("groundtruth: --shard %q: want i/n with 0 ≤ i < n, e.g. 0/4", s)
	}
	return i, n, nil
}

// collectTable writes the finished jobs of dir as table.csv and manifest.json and prints the
// table's summary.
func collectTable(dir string) error {
	t, err := groundtruth.Collect(dir)
	if err != nil {
		return err
	}
	var csv bytes.Buffer
	if err := t.WriteCSV(&csv); err != nil {
		return err
	}
	if err := ckpt.WriteAtomic(filepath.Join(dir, "table.csv"), csv.Bytes()); err != nil {
		return err
	}
	if err := ckpt.WriteJSON(filepath.Join(dir, "table-manifest.json"), t.Manifest); err != nil {
		return err
	}
	s := t.Summarize()
	fmt.Printf("%d entries, %d architectures (%d with several seeds), %s\n", len(t.Entries), s.Archs, s.Repeated, t.Manifest.Recipe)
	fmt.Printf("test accuracy: min %.2f%%, median %.2f%%, max %.2f%%; seed-to-seed std %.2f points; %d architectures within 2 std of the best; %.1f s per entry\n",
		100*s.Min, 100*s.Median, 100*s.Max, 100*s.SeedStd, s.NearBest, s.SecondsMean)
	fmt.Printf("written: %s, %s\n", filepath.Join(dir, "table.csv"), filepath.Join(dir, "table-manifest.json"))
	return nil
}

// printAgreement prints how two tables rank the architectures both hold (seed 1 of each).
func printAgreement(dirA, dirB string) error {
	ta, err := groundtruth.Collect(dirA)
	if err != nil {
		return err
	}
	tb, err := groundtruth.Collect(dirB)
	if err != nil {
		return err
	}
	accB := map[string]float64{}
	var secB float64
	for _, e := range tb.Entries {
		if e.Seed == 1 {
			accB[e.Arch.Key()] = e.TestAccuracy
			secB += e.Seconds
		}
	}
	var x, y []float64
	var secA float64
	for _, e := range ta.Entries {
		if v, ok := accB[e.Arch.Key()]; ok && e.Seed == 1 {
			x, y = append(x, e.TestAccuracy), append(y, v)
			secA += e.Seconds
		}
	}
	tau, n := stats.KendallTau(x, y)
	rho, _ := stats.Spearman(x, y)
	fmt.Printf("%d architectures in both: Kendall τ %.3f, Spearman ρ %.3f, top-10%% overlap %.2f\n", n, tau, rho, stats.TopOverlap(x, y, 0.1))
	fmt.Printf("A: %s\nB: %s\n", ta.Manifest.Recipe, tb.Manifest.Recipe)
	if n > 0 {
		fmt.Printf("mean seconds per architecture: A %.1f, B %.1f (B/A %.1f×)\n", secA/float64(n), secB/float64(len(accB)), (secB/float64(len(accB)))/(secA/float64(n)))
	}
	return nil
}
