package notebook

import (
	"fmt"
	"html"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/graphenas/graphenas/graphenas/arch"
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

// displayHTML shows html in the cell's output and waits until GoNB has it: a cell's program that
// exits right after a display could otherwise lose it (seen once in CI: a cell whose only output
// was a chart saved with no output).
func displayHTML(html string) {
	gonbui.DisplayHtml(html)
	gonbui.Sync()
}

// Show displays figures (SVG or HTML) side by side in the cell's output.
func Show(figures ...string) { displayHTML(Row(figures...)) }

// ShowText displays a line of text (HTML-escaped) in the cell's output.
func ShowText(format string, args ...any) {
	displayHTML("<pre>" + html.EscapeString(fmt.Sprintf(format, args...)) + "</pre>")
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
	displayHTML(StepFigure(r, layersPerStage))
}

// ShowCritic displays the critic's predicted-vs-realised trace and scatter for a step log.
func ShowCritic(recs []search.StepRecord) {
	Show(plotting.CriticTrace(recs), plotting.CriticScatter(recs))
}

// ShowCurves displays the validation loss and accuracy curves and the op usage of a step log.
func ShowCurves(recs []search.StepRecord) {
	Show(plotting.ValLossCurve(recs), plotting.ValAccuracyCurve(recs), plotting.OpUsage(recs))
}

// ShowMarkdown displays Markdown (tables, formulas) in the cell's output.
func ShowMarkdown(md string) {
	gonbui.DisplayMarkdown(md)
	gonbui.Sync()
}

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
