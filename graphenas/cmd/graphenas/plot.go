package main

import (
	"github.com/graphenas/graphenas/graphenas/search"
)

// writeReport writes report.html for a run directory.
func writeReport(dir string) error { return nil }

// writeCompareReport writes the comparison's plots and report.
func writeCompareReport(dir string, res *search.CompareResult) error { return nil }

func runPlot(args []string) error { return nil }
