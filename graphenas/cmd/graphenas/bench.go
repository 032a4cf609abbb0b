package main

import "fmt"

// runBench dispatches the benchmarks.
func runBench(args []string) error {
	return fmt.Errorf("bench: not built yet")
}
