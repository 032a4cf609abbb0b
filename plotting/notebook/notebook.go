// Package notebook supports GraphEnas notebooks (GoNB): one call per inline figure, a live view
// that redraws in place while a search runs and leaves its final state saved in the notebook, and
// the set-up and smoke switch every notebook shares. The figures are SVG inside HTML, which Jupyter keeps in the saved .ipynb and in
// nbconvert's HTML (unlike JavaScript plots). Outside a notebook every call does nothing.
package notebook

import (
	"fmt"
	"html"
	"math"
	"os"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/janpfeifer/gonb/gonbui"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/search"
	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/plotting"
)

// Row lays figures out side by side (wrapping when the cell is narrow), as one HTML block.
func Row(figures ...string) string {
	var b strings.Builder
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start">`)
	for _, f := range figures {
		if f != "" {
			b.WriteString("<div>" + f + "</div>")
		}
	}
	b.WriteString("</div>")
	return b.String()
}

// Show displays figures (SVG or HTML) side by side in the cell's output.
func Show(figures ...string) { gonbui.DisplayHtml(Row(figures...)) }

// ShowText displays a line of text (HTML-escaped) in the cell's output.
func ShowText(format string, args ...any) {
	gonbui.DisplayHtml("<pre>" + html.EscapeString(fmt.Sprintf(format, args...)) + "</pre>")
}

// ShowDAG displays an architecture.
func ShowDAG(a *arch.Arch, opt plotting.DAGOptions) { Show(plotting.DrawDAG(a, opt)) }

// StepSummary is one line about a step: its action and what it led to.
func StepSummary(r search.StepRecord) string {
	act := "fresh architecture"
	if r.Action != nil {
		act = r.Action.Describe(space.Supergraph{}.OpNames())
	}
	s := fmt.Sprintf("step %d (%s): %s → val loss %.4f, accuracy %.3f, %d batches", r.Step, r.Strategy, act, r.ValLoss, r.ValAccuracy, r.TrainBatches)
	if r.CriticStd > 0 {
		s += fmt.Sprintf("; critic predicted %.3f ± %.3f, δ = %.3f", r.CriticMean, r.CriticStd, r.Delta)
	}
	return s
}

// StepFigure is the DAG of a step's architecture with its change highlighted, under its summary.
func StepFigure(r search.StepRecord, layersPerStage int) string {
	a, err := arch.Parse(r.ArchText)
	if err != nil {
		return "<pre>" + html.EscapeString(err.Error()) + "</pre>"
	}
	return "<pre>" + html.EscapeString(StepSummary(r)) + "</pre>" + plotting.DrawDAG(a, plotting.StepDAGOptions(r, layersPerStage))
}

// ShowStep displays a step: its summary and the new architecture with the change highlighted.
func ShowStep(r search.StepRecord, layersPerStage int) {
	gonbui.DisplayHtml(StepFigure(r, layersPerStage))
}

// ShowCritic displays the critic's predicted-vs-realised trace and scatter for a step log.
func ShowCritic(recs []search.StepRecord) {
	Show(plotting.CriticTrace(recs), plotting.CriticScatter(recs))
}

// ShowCurves displays the validation loss and accuracy curves and the op usage of a step log.
func ShowCurves(recs []search.StepRecord) {
	Show(plotting.ValLossCurve(recs), plotting.ValAccuracyCurve(recs), plotting.OpUsage(recs))
}

// Live is an output block that is redrawn in place.
type Live struct {
	id       string
	interval time.Duration
	last     time.Time
}

// NewLive returns a live block that accepts at most one redraw per interval (0: one a second).
func NewLive(interval time.Duration) *Live {
	if interval == 0 {
		interval = time.Second
	}
	return &Live{id: "graphenas_live_" + gonbui.UniqueId(), interval: interval}
}

// Update redraws the block, unless the last redraw was less than the interval ago and force is
// false.
func (l *Live) Update(force bool, figures ...string) {
	if !force && time.Since(l.last) < l.interval {
		return
	}
	l.last = time.Now()
	gonbui.UpdateHtml(l.id, Row(figures...))
}

// Finish empties the live block and displays figures as a regular output, which the saved
// notebook keeps.
func (l *Live) Finish(figures ...string) {
	gonbui.UpdateHtml(l.id, "")
	Show(figures...)
}

// LiveFigures is what RunLive draws: a progress line, the current architecture, the curves and,
// for controller strategies, the critic.
func LiveFigures(s *search.Search, done, total int, bar *progress.Bar) []string {
	recs := s.History()
	status := ""
	if len(recs) > 0 {
		last := recs[len(recs)-1]
		status = fmt.Sprintf("val loss %.4f acc %.3f", last.ValLoss, last.ValAccuracy)
	}
	figs := []string{"<pre>" + html.EscapeString(bar.Line(done, status, time.Now())) + "</pre>"}
	if len(recs) > 0 {
		figs = append(figs, StepFigure(recs[len(recs)-1], s.Config().Supergraph.LayersPerStage))
	}
	figs = append(figs, plotting.ValLossCurve(recs), plotting.ValAccuracyCurve(recs))
	if s.Controller() != nil {
		figs = append(figs, plotting.CriticTrace(recs), plotting.CriticScatter(recs))
	}
	return figs
}

// RunLive runs n steps of s with a live view that redraws at most once a second, then leaves
// the final figures in the notebook. fn, when not nil, is called after every step.
func RunLive(s *search.Search, n int, fn func(search.StepRecord) error) error {
	live := NewLive(time.Second)
	bar := progress.New(nil, "search "+s.Config().Strategy, n)
	done := 0
	err := s.Run(n, func(r search.StepRecord) error {
		done++
		live.Update(done == n, LiveFigures(s, done, n, bar)...)
		if fn != nil {
			return fn(r)
		}
		return nil
	})
	live.Finish(LiveFigures(s, done, n, bar)...)
	return err
}

// Smoke reports whether GRAPHENAS_SMOKE=1 asks notebooks for their smoke configuration: the same
// cells on a small data subset and few steps, finishing in about two minutes (CI runs it).
func Smoke() bool { return os.Getenv("GRAPHENAS_SMOKE") == "1" }

// Dir returns the notebook's folder (GoNB's $GONB_DIR), or the working directory outside GoNB.
func Dir() string {
	if d := os.Getenv("GONB_DIR"); d != "" {
		return d
	}
	d, _ := os.Getwd()
	return d
}

// Setup starts the back-end (the library's automatic choice, see graphenas/backend) and loads a
// data set from the standard places, keeping only the first trainImages/testImages images when
// those are positive (smoke configurations).
func Setup(dataset string, trainImages, testImages int) (compute.Backend, *data.Dataset, error) {
	ds, err := data.Load(dataset, "")
	if err != nil {
		return nil, nil, err
	}
	b, _, err := backend.New()
	if err != nil {
		return nil, nil, err
	}
	return b, ds.Head(trainImages, testImages), nil
}

// RetrainProgress returns a RetrainConfig.Progress function that prints a progress line to the
// cell's output at most every interval (and at the end).
func RetrainProgress(interval time.Duration) func(search.RetrainPoint) {
	var bar *progress.Bar
	return func(p search.RetrainPoint) {
		if bar == nil {
			bar = progress.New(os.Stdout, "retrain", p.TotalBatches)
			bar.Interval = interval
		}
		bar.Update(p.Batches, fmt.Sprintf("epoch %.2f loss %.4f acc %.3f", p.Epoch, p.TrainLoss, p.TrainAccuracy))
	}
}

// ShowMarkdown displays Markdown (tables, formulas) in the cell's output.
func ShowMarkdown(md string) { gonbui.DisplayMarkdown(md) }

// Table returns an HTML table with a header row, numbers formatted with %.3g.
func Table(header []string, rows [][]any) string {
	var b strings.Builder
	b.WriteString(`<table style="border-collapse:collapse;font-size:12px">` + "<tr>")
	for _, h := range header {
		fmt.Fprintf(&b, `<th style="border:1px solid #ccc;padding:2px 6px">%s</th>`, html.EscapeString(h))
	}
	b.WriteString("</tr>\n")
	for _, row := range rows {
		b.WriteString("<tr>")
		for _, v := range row {
			s := fmt.Sprint(v)
			if f, ok := v.(float64); ok {
				s = fmt.Sprintf("%.3g", f)
			}
			fmt.Fprintf(&b, `<td style="border:1px solid #ccc;padding:2px 6px;text-align:right">%s</td>`, html.EscapeString(s))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>")
	return b.String()
}

// RetrainEachProgress returns a progress function for search.RetrainEach: one bar per candidate,
// redrawn at most once per interval.
func RetrainEachProgress(candidates []search.Candidate, interval time.Duration) func(int, search.RetrainPoint) {
	bars := map[int]*progress.Bar{}
	return func(i int, p search.RetrainPoint) {
		if bars[i] == nil {
			bars[i] = progress.New(os.Stdout, "retrain "+candidates[i].Name, p.TotalBatches)
			bars[i].Interval = interval
		}
		bars[i].Update(p.Batches, fmt.Sprintf("epoch %.2f loss %.4f acc %.3f", p.Epoch, p.TrainLoss, p.TrainAccuracy))
	}
}

// ShowRetrainComparison shows candidates retrained side by side (search.RetrainEach): a table of
// their test accuracies, parameters and times, and a bar chart of the accuracies.
func ShowRetrainComparison(candidates []search.Candidate, results []search.RetrainResult) {
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
func RetrainComparisonMarkdown(candidates []search.Candidate, results []search.RetrainResult) string {
	var b strings.Builder
	b.WriteString("| architecture | test accuracy | test loss | parameters | seconds | |\n|---|---|---|---|---|---|\n")
	for i, r := range results {
		fmt.Fprintf(&b, "| %s | %.2f%% | %.4f | %d | %.0f | `%s` |\n", candidates[i].Name, 100*r.TestAccuracy, r.TestLoss,
			r.Params, r.Seconds, strings.ReplaceAll(r.Arch, "|", `\|`))
	}
	return b.String()
}
