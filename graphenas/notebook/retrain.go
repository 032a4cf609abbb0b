package notebook

import (
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/retrain"
	"github.com/graphenas/graphenas/plotting"
)

// RetrainProgress returns a RetrainConfig.Progress function that prints a progress line to the
// cell's output at most every interval (and at the end).
func RetrainProgress(interval time.Duration) func(retrain.Point) {
	var bar *progress.Bar
	return func(p retrain.Point) {
		if bar == nil {
			bar = progress.New(os.Stdout, "retrain", p.TotalBatches).From(p.Batches) // made at the first report
			bar.Interval = interval
		}
		bar.Update(p.Batches, fmt.Sprintf("epoch %.2f loss %.4f acc %.3f", p.Epoch, p.TrainLoss, p.TrainAccuracy))
	}
}

// RetrainEachProgress returns a progress function for retrain.Each: one bar per candidate,
// redrawn at most once per interval.
func RetrainEachProgress(candidates []retrain.Candidate, interval time.Duration) func(int, retrain.Point) {
	bars := map[int]*progress.Bar{}
	return func(i int, p retrain.Point) {
		if bars[i] == nil {
			bars[i] = progress.New(os.Stdout, "retrain "+candidates[i].Name, p.TotalBatches).From(p.Batches)
			bars[i].Interval = interval
		}
		bars[i].Update(p.Batches, fmt.Sprintf("epoch %.2f loss %.4f acc %.3f", p.Epoch, p.TrainLoss, p.TrainAccuracy))
	}
}

// ShowRetrainComparison shows candidates retrained side by side (retrain.Each): a table of
// their test accuracies, parameters and times, and a bar chart of the accuracies.
func ShowRetrainComparison(candidates []retrain.Candidate, results []retrain.Result) {
	ShowMarkdown(RetrainComparisonMarkdown(candidates, results))
	var labels []string
	var values []float64
	lo := 100.0
	for i, r := range results {
		labels, values = append(labels, candidates[i].Name), append(values, 100*r.TestAccuracy)
		lo = math.Min(lo, 100*r.TestAccuracy)
	}
	Show(plotting.BarChart{Title: "Test accuracy after the same retraining", YLabel: "test accuracy (%)",
		Labels: labels, Values: values, Highlight: 0, YMin: math.Max(0, math.Floor(lo/10)*10-10), Width: 420}.SVG())
}

// RetrainComparisonMarkdown is the table of ShowRetrainComparison.
func RetrainComparisonMarkdown(candidates []retrain.Candidate, results []retrain.Result) string {
	var b strings.Builder
	b.WriteString("| architecture | test accuracy | test loss | parameters | seconds | |\n|---|---|---|---|---|---|\n")
	for i, r := range results {
		fmt.Fprintf(&b, "| %s | %.2f%% | %.4f | %d | %.0f | `%s` |\n", candidates[i].Name, 100*r.TestAccuracy, r.TestLoss,
			r.Params, r.Seconds, strings.ReplaceAll(r.Arch, "|", `\|`))
	}
	return b.String()
}
