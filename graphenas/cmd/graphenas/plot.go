package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/graphenas/graphenas/graphenas/ckpt"
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
	png := fs.String("png", "", "also render the best architecture and the critic plot of a run as dag.png and critic.png in this folder (needs Chromium)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *run == "" {
		return fmt.Errorf("plot: --run DIR is required")
	}
	if *png != "" {
		if err := writePNGs(*run, *png); err != nil {
			return err
		}
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

// writePNGs renders a run's best architecture and critic plots to dag.png and critic.png in dir.
func writePNGs(run, dir string) error {
	recs, err := search.ReadSteps(run)
	if err != nil {
		return err
	}
	a, err := search.ReadArch(filepath.Join(run, search.BestFile))
	if err != nil {
		return err
	}
	var cfg search.Config
	if raw, err := ckpt.ReadFile(filepath.Join(run, search.ConfigFile), 1<<20, ckpt.NoFollow); err == nil {
		_ = json.Unmarshal(raw, &cfg)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	dag := plotting.DrawDAG(a, plotting.DAGOptions{LayersPerStage: cfg.Supergraph.LayersPerStage,
		Title: fmt.Sprintf("best architecture of a %d-step %s search", len(recs), cfg.Strategy)})
	if err := plotting.WriteFigurePNG(dag, filepath.Join(dir, "dag.png"), 0, 0); err != nil {
		return err
	}
	critic := `<div style="display:flex">` + plotting.CriticTrace(recs) + plotting.CriticScatter(recs) + `</div>`
	if err := plotting.WriteFigurePNG(critic, filepath.Join(dir, "critic.png"), 1210, 330); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "plot: wrote %s and %s\n", filepath.Join(dir, "dag.png"), filepath.Join(dir, "critic.png"))
	return nil
}
