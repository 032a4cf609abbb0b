package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/graphenas/graphenas/graphenas/search"
	"github.com/graphenas/graphenas/plotting"
)

// writeReport writes report.html for a run directory and says where.
func writeReport(dir string) error {
	path, err := plotting.WriteRunReport(dir, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "report: %s\n", path)
	return nil
}

// writeCompareReport writes the comparison's report.html and its overlay SVGs.
func writeCompareReport(dir string, res *search.CompareResult) error {
	page, err := plotting.CompareReport(res)
	if err != nil {
		return err
	}
	groups, err := plotting.CompareGroups(res)
	if err != nil {
		return err
	}
	for _, m := range []string{plotting.MetricBestValLoss, plotting.MetricValLossMA, plotting.MetricValAccMA} {
		svg, err := plotting.Overlay(groups, m)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "compare-"+m+".svg"), []byte(svg), 0o644); err != nil {
			return err
		}
	}
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "report: %s\n", path)
	return nil
}

// runPlot writes the HTML report of a run directory or of a comparison.
func runPlot(args []string) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	run := fs.String("run", "", "a run directory (with steps.jsonl) or a comparison's directory (with compare.json)")
	out := fs.String("out", "", "the HTML file to write (default DIR/report.html)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *run == "" {
		return fmt.Errorf("plot: --run DIR is required")
	}
	if _, err := os.Stat(filepath.Join(*run, "compare.json")); err == nil {
		res, err := search.ReadCompare(*run)
		if err != nil {
			return err
		}
		if *out != "" {
			page, err := plotting.CompareReport(res)
			if err != nil {
				return err
			}
			return os.WriteFile(*out, []byte(page), 0o644)
		}
		return writeCompareReport(*run, res)
	}
	path, err := plotting.WriteRunReport(*run, *out)
	if err != nil {
		return err
	}
	fmt.Println(path)
	return nil
}
