package plotting

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/ckpt"
	"github.com/graphenas/graphenas/graphenas/retrain"
	"github.com/graphenas/graphenas/graphenas/search"
	"github.com/graphenas/graphenas/graphenas/space"
)

// reportStyle is the report's whole stylesheet: no network, no JavaScript.
const reportStyle = `body{font-family:sans-serif;max-width:1260px;margin:24px auto;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
.grid{display:flex;flex-wrap:wrap;gap:12px}.grid>div{flex:0 0 auto}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}
code,pre{font-size:12px;background:#f6f6f6}pre{padding:8px;overflow:auto}.muted{color:#777}`

// page wraps sections into a self-contained HTML page.
func page(title string, body string) string {
	return fmt.Sprintf("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title><style>%s</style></head>\n<body>\n<h1>%s</h1>\n%s\n<p class=\"muted\">Written by GraphEnas on %s.</p>\n</body></html>\n",
		html.EscapeString(title), reportStyle, html.EscapeString(title), body, time.Now().UTC().Format("2006-01-02 15:04 MST"))
}

// RunReport returns the HTML report of a run directory: a summary, the best and the last
// architecture, the search curves, the critic's plots (controller strategies) and op usage.
func RunReport(dir string) (string, error) {
	recs, err := search.ReadSteps(dir)
	if err != nil {
		return "", err
	}
	var cfg search.Config
	cfgRaw, err := ckpt.ReadFile(filepath.Join(dir, search.ConfigFile), 1<<20, ckpt.NoFollow)
	if err == nil {
		if err := json.Unmarshal(cfgRaw, &cfg); err != nil {
			return "", fmt.Errorf("plotting: %s: %w", filepath.Join(dir, search.ConfigFile), err)
		}
	}
	lps := cfg.Supergraph.LayersPerStage
	var b strings.Builder
	b.WriteString("<h2>Summary</h2>\n<table>\n")
	row := func(k, v string) { fmt.Fprintf(&b, "<tr><th>%s</th><td>%s</td></tr>\n", k, v) }
	row("run directory", "<code>"+html.EscapeString(dir)+"</code>")
	row("strategy / seed", fmt.Sprintf("%s / %d", html.EscapeString(cfg.Strategy), cfg.Seed))
	row("steps", fmt.Sprint(len(recs)))
	row("budget per step", html.EscapeString(cfg.Budget.String()))
	var best search.BestArch
	if raw, err := ckpt.ReadFile(filepath.Join(dir, search.BestFile), 1<<20, ckpt.NoFollow); err == nil && json.Unmarshal(raw, &best) == nil && best.Arch != nil {
		row("best architecture", fmt.Sprintf("<code>%s</code> (validation loss %.4f, %d visits)", html.EscapeString(best.ArchText), best.ValLoss, best.Visits))
	}
	if rho, n := search.CriticRho(recs); n >= 3 {
		row("critic", fmt.Sprintf("Spearman ρ %.2f between predicted and realised returns (n = %d)", rho, n))
	}
	var rt retrain.Result
	if raw, err := ckpt.ReadFile(filepath.Join(dir, search.RetrainResultFile), 64<<20, ckpt.NoFollow); err == nil && json.Unmarshal(raw, &rt) == nil {
		row("retrained", fmt.Sprintf("test accuracy %.2f%% after %g epochs, %d parameters", 100*rt.TestAccuracy, rt.Epochs, rt.Params))
	}
	b.WriteString("</table>\n")

	b.WriteString("<h2>Architectures</h2>\n<div class=\"grid\">\n")
	if best.Arch != nil {
		fmt.Fprintf(&b, "<div>%s</div>\n", DrawDAG(best.Arch, DAGOptions{LayersPerStage: lps, Title: "best (lowest validation loss at its last visit)"}))
	}
	if len(recs) > 0 {
		last := recs[len(recs)-1]
		if a, err := arch.Parse(last.ArchText); err == nil {
			fmt.Fprintf(&b, "<div>%s</div>\n", DrawDAG(a, StepDAGOptions(last, lps)))
		}
	}
	b.WriteString("</div>\n<h2>Search</h2>\n<div class=\"grid\">\n")
	for _, svg := range []string{ValLossCurve(recs), ValAccuracyCurve(recs), TrainingCurve(recs), OpUsage(recs)} {
		fmt.Fprintf(&b, "<div>%s</div>\n", svg)
	}
	b.WriteString("</div>\n")
	if hasCritic(recs) {
		b.WriteString("<h2>Critic</h2>\n<div class=\"grid\">\n")
		for _, svg := range []string{CriticTrace(recs), CriticScatter(recs), CriticLoss(recs), Entropy(recs)} {
			fmt.Fprintf(&b, "<div>%s</div>\n", svg)
		}
		b.WriteString("</div>\n")
	}
	if r := readRank(dir); r != nil {
		b.WriteString("<h2>Ranking against the ground truth</h2>\n")
		fmt.Fprintf(&b, "<p>%d ground-truth architectures (%s) scored with this run's shared weights on %d held-out images (<code>graphenas rank</code>).</p>\n",
			len(r.Points), html.EscapeString(r.Recipe.String()), r.Config.Images)
		fmt.Fprintf(&b, "<div>%s</div>\n", RankScatter(r))
	}
	if len(cfgRaw) > 0 {
		fmt.Fprintf(&b, "<h2>Configuration</h2>\n<pre>%s</pre>\n", html.EscapeString(string(cfgRaw)))
	}
	return page("GraphEnas run: "+filepath.Base(filepath.Clean(dir)), b.String()), nil
}

// StepDAGOptions returns the drawing options that show a step's architecture with the node or
// edge its action changed highlighted.
func StepDAGOptions(r search.StepRecord, layersPerStage int) DAGOptions {
	opt := DAGOptions{LayersPerStage: layersPerStage, Title: fmt.Sprintf("step %d: validation loss %.4f, accuracy %.3f", r.Step, r.ValLoss, r.ValAccuracy)}
	if r.Action != nil {
		if r.Action.Kind == space.ChangeOp {
			opt.HighlightNode = r.Action.Node
		} else {
			opt.HighlightEdge = [2]int{r.Action.From, r.Action.To}
		}
	}
	return opt
}

// WriteRunReport writes RunReport(dir) to out (default dir/report.html) and returns its path.
func WriteRunReport(dir, out string) (string, error) {
	page, err := RunReport(dir)
	if err != nil {
		return "", err
	}
	if out == "" {
		out = filepath.Join(dir, "report.html")
	}
	if err := os.WriteFile(out, []byte(page), 0o644); err != nil {
		return "", fmt.Errorf("plotting: %w", err)
	}
	return out, nil
}

// CompareGroups reads the step logs of a comparison's runs, grouped by strategy.
func CompareGroups(res *search.CompareResult) ([]RunGroup, error) {
	var groups []RunGroup
	for _, s := range res.Config.Strategies {
		g := RunGroup{Name: s}
		for _, run := range res.Runs {
			if run.Strategy != s {
				continue
			}
			recs, err := search.ReadSteps(run.Dir)
			if errors.Is(err, fs.ErrNotExist) {
				continue // results copied without their logs
			}
			if err != nil {
				return nil, err
			}
			g.Runs = append(g.Runs, recs)
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// CompareReport returns the HTML report of a comparison: the tables, the overlaid curves of the
// strategies, and the best architecture of every run.
func CompareReport(res *search.CompareResult) (string, error) {
	groups, err := CompareGroups(res)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("<h2>Results</h2>\n")
	fmt.Fprintf(&b, "<p>%s, %d steps per search, budget %s per step, %g retraining epochs.</p>\n", html.EscapeString(res.Dataset),
		res.Config.Steps, html.EscapeString(res.Config.Search.Budget.String()), res.Config.Retrain.Epochs)
	b.WriteString("<table><tr><th>strategy</th><th>runs</th><th>retrained test accuracy</th><th>params</th><th>best val loss</th><th>search time</th></tr>\n")
	for _, s := range res.Summary {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%.4f</td><td>%.0f s</td></tr>\n",
			html.EscapeString(s.Strategy), s.Runs, html.EscapeString(s.AccuracyText()), s.ParamsText(), s.BestValLossMean, s.SearchSecondsMean)
	}
	b.WriteString("</table>\n<h2>Curves</h2>\n<div class=\"grid\">\n")
	for _, m := range []string{MetricBestValLoss, MetricValLossMA, MetricValAccMA} {
		svg, err := Overlay(groups, m)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "<div>%s</div>\n", svg)
	}
	b.WriteString("</div>\n<h2>Best architecture of each run</h2>\n<div class=\"grid\">\n")
	for _, run := range res.Runs {
		if run.Best.Arch == nil {
			continue
		}
		title := fmt.Sprintf("%s seed %d", run.Strategy, run.Seed)
		if run.Retrain != nil {
			title += fmt.Sprintf(": %.2f%%, %d params", 100*run.Retrain.TestAccuracy, run.Retrain.Params)
		}
		fmt.Fprintf(&b, "<div>%s</div>\n", DrawDAG(run.Best.Arch, DAGOptions{LayersPerStage: run.Best.Supergraph.LayersPerStage, Title: title, NoLegend: true}))
	}
	b.WriteString("</div>\n")
	return page("GraphEnas comparison", b.String()), nil
}

// hasCritic reports whether any step carries a critic's prediction (strategies with a
// controller: the walks, and the loops' screened edits).
func hasCritic(recs []search.StepRecord) bool {
	for _, r := range recs {
		if r.CriticStd > 0 || r.Stats.Trained {
			return true
		}
	}
	return false
}
