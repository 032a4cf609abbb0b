// Command graphenas runs GraphEnas from the shell.
//
//	graphenas env [--json]                 the back-end, plugin, data sets and versions
//	graphenas bench child --seconds N      child-network throughput and switch costs
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
}

func usage() {
	fmt.Fprintf(os.Stderr, `usage: graphenas <command> [flags]

commands:
  env     report the back-end chosen and why, the PJRT plugin, the data sets found, versions
  bench   benchmarks: "bench child" measures the child network's training throughput
  tabular search strategies on the NAS-Bench-201 table (tabular benchmark)

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
