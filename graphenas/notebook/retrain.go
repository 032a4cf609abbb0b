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

// Progress returns a progress.Func that draws a bar per run and phase in the cell's output,
// each printing a line at most every interval (and at the end): for retraining (retrain.Config
// .Progress, retrain.Each), comparisons, ground truth and rankings alike.
func Progress(interval time.Duration) progress.Func {
	bars := progress.NewBars(os.Stdout)
	bars.Interval = interval
	return bars.Report
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
