// Command graphenas runs GraphEnas from the shell.
//
//	graphenas env [--json]                 the back-end, plugin, data sets and versions
//	graphenas bench child --seconds N      child-network throughput and switch costs
//	graphenas search --strategy S --steps N --out DIR [--resume]   one search, logged and checkpointed
//	graphenas retrain --arch best-arch.json --epochs N              train one architecture from scratch
//	graphenas compare --strategies a,b --seeds 1,2,3 --out DIR      strategies × seeds, searched and retrained
//	graphenas plot --run DIR [--out report.html]                    the HTML report of a run
//	graphenas tabular --bench CSV --dataset cifar10 ...             strategies on NAS-Bench-201
//	graphenas groundtruth --out DIR [--shard i/n] [--workers N]     architectures trained alone (the ground truth)
//	graphenas rank --run DIR [--json]                               the shared weights' ranking against the ground truth
//
// Every subcommand calls the same library functions the notebooks call.
package main

import (
	"fmt"
	"os"
)

// commands maps each subcommand to its entry point; each parses its own flags.
var commands = map[string]func(args []string) error{
	"env":     runEnv,
	"bench":   runBench,
	"tabular": runTabular,
	"search":  runSearch,
	"retrain": runRetrain,
	"compare": runCompare,
	"plot":    runPlot,

	"groundtruth": runGroundTruth,
	"rank":        runRank,
}

func usage() {
	fmt.Fprintf(os.Stderr, `usage: graphenas <command> [flags]

commands:
  env     report the back-end chosen and why, the PJRT plugin, the data sets found, versions
  bench   benchmarks: "bench child" measures the child network's training throughput
  search  run (or --resume) one search with a run directory: steps.jsonl, checkpoints, best-arch.json, report.html
  retrain train one architecture (e.g. best-arch.json) from fresh weights and test it
  compare several strategies × seeds, each search followed by a retraining; tables and plots
  plot    write the HTML report of a run directory (or of a comparison)
  tabular search strategies on the NAS-Bench-201 table (tabular benchmark)
  groundtruth  train architectures of the supergraph space alone (the ground-truth table), resumable and sharded
  rank    how a search's shared weights rank the ground-truth architectures (Kendall τ, Spearman ρ, top 10%%)

Run "graphenas <command> -h" for the flags of a command.
`)
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "graphenas: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err := cmd(os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "graphenas:", err)
		os.Exit(1)
	}
}
