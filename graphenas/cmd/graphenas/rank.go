package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/graphenas/graphenas/graphenas/ckpt"
	"github.com/graphenas/graphenas/graphenas/groundtruth"
	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/rank"
	"github.com/graphenas/graphenas/graphenas/search"
	"github.com/graphenas/graphenas/plotting"
)

// runRank measures how a search's shared weights rank the ground-truth architectures.
func runRank(args []string) error {
	fs := flag.NewFlagSet("rank", flag.ContinueOnError)
	run := fs.String("run", "", "run directory of a search (its latest checkpoint's shared weights are measured)")
	tableDir := fs.String("table", "", "a ground-truth table's directory (graphenas groundtruth --out); default: the table shipped with GraphEnas")
	cfg := rank.Config{Images: 2000, CalibrationBatches: 20}
	intFlag(fs, &cfg.Images, "images", 1, 1<<24, "held-out images of the architecture split each architecture is scored on")
	intFlag(fs, &cfg.CalibrationBatches, "calibration-batches", 1, 1<<20, "training batches batch-norm statistics are re-estimated on")
	asJSON := fs.Bool("json", false, "print the measurement as JSON")
	quiet := fs.Bool("quiet", false, "no progress bar")
	df := addDataFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *run == "" {
		return fmt.Errorf("rank: --run DIR is required")
	}
	var table *groundtruth.Table
	var err error
	if *tableDir != "" {
		table, err = groundtruth.Collect(*tableDir)
	} else {
		table, err = groundtruth.Load()
	}
	if err != nil {
		return err
	}
	ds, err := df.load()
	if err != nil {
		return err
	}
	b, err := startBackend("rank")
	if err != nil {
		return err
	}
	defer b.Finalize()
	sg, _, err := search.LoadSupergraph(b, ds, *run)
	if err != nil {
		return err
	}
	// Scores of these very weights measured before (rank.json) are reused: a table that grew
	// costs only its new architectures.
	if cfg.Weights, err = search.CheckpointID(*run); err != nil {
		return err
	}
	if raw, err := ckpt.ReadFile(filepath.Join(*run, plotting.RankFile), 256<<20, ckpt.NoFollow); err == nil {
		var prev rank.Result
		if json.Unmarshal(raw, &prev) == nil {
			cfg.Reuse = &prev
		}
	}
	if !*quiet {
		cfg.Progress = progress.NewBars(os.Stderr).Report
	}
	res, err := rank.Measure(sg, table, cfg)
	if err != nil {
		return err
	}
	path := filepath.Join(*run, plotting.RankFile)
	if err := ckpt.WriteJSON(path, res); err != nil {
		return fmt.Errorf("rank: %w", err)
	}
	if *asJSON {
		return printJSON(res)
	}
	fmt.Print(res.Markdown())
	fmt.Printf("\nwritten: %s (report.html shows it after `graphenas plot --run %s`)\n", path, *run)
	return nil
}
