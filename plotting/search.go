package plotting

import (
	"fmt"
	"math"

	"github.com/graphenas/graphenas/graphenas/arch"
	"github.com/graphenas/graphenas/graphenas/retrain"
	"github.com/graphenas/graphenas/graphenas/search"
	"github.com/graphenas/graphenas/graphenas/stats"
)

// column extracts one value per record.
func column(recs []search.StepRecord, f func(search.StepRecord) float64) (xs, ys []float64) {
	for _, r := range recs {
		xs, ys = append(xs, float64(r.Step)), append(ys, f(r))
	}
	return xs, ys
}

// defaultWindow is the moving-average window for n steps: about a twentieth, at least 5.
func defaultWindow(n int) int { return max(5, n/20) }

// ValLossCurve draws the validation loss per step, raw and as a moving average.
func ValLossCurve(recs []search.StepRecord) string {
	return rawAndAverage(recs, func(r search.StepRecord) float64 { return r.ValLoss },
		"Validation loss per step", "validation loss (shared weights)", "#9db8d4", "#1f4e79")
}

// ValAccuracyCurve draws the validation accuracy per step, raw and as a moving average.
func ValAccuracyCurve(recs []search.StepRecord) string {
	return rawAndAverage(recs, func(r search.StepRecord) float64 { return r.ValAccuracy },
		"Validation accuracy per step", "validation accuracy", "#f5c08a", "#b35806")
}

// rawAndAverage draws one value per step, thin in rawColor, and its moving average, thick in avgColor.
func rawAndAverage(recs []search.StepRecord, value func(search.StepRecord) float64, title, ylabel, rawColor, avgColor string) string {
	xs, ys := column(recs, value)
	return withAverage(xs, ys, title, ylabel, "raw", "moving average (%d steps)", rawColor, avgColor)
}

// withAverage draws ys against the steps xs, thin in light and named rawName, with its moving
// average (window defaultWindow(len(xs)), named by avgName's %d) thick in dark.
func withAverage(xs, ys []float64, title, yLabel, rawName, avgName, light, dark string) string {
	w := defaultWindow(len(xs))
	return Chart{Title: title, XLabel: "step", YLabel: yLabel,
		Series: []Series{{Name: rawName, X: xs, Y: ys, Color: light, Width: 1},
			{Name: fmt.Sprintf(avgName, w), X: xs, Y: stats.MovingAverage(ys, w), Color: dark, Width: 2.2}}}.SVG()
}

// TrainingCurve draws the training batches and the training loss per step.
func TrainingCurve(recs []search.StepRecord) string {
	xs, batches := column(recs, func(r search.StepRecord) float64 { return float64(r.TrainBatches) })
	_, loss := column(recs, func(r search.StepRecord) float64 {
		if r.TrainBatches == r.NonFinite {
			return math.NaN()
		}
		return r.TrainLoss
	})
	return Chart{Title: "Training per step", XLabel: "step", YLabel: "batches / training loss",
		Series: []Series{{Name: "training batches", X: xs, Y: batches, Points: true, Color: "#76b7b2"},
			{Name: "training loss", X: xs, Y: loss, Color: "#e15759"}}}.SVG()
}

// criticPairs is search.CriticPairs in float form for the charts.
func criticPairs(recs []search.StepRecord) (steps, mean, std, realised []float64) {
	for _, p := range search.CriticPairs(recs) {
		steps, mean = append(steps, float64(p.Step)), append(mean, p.Mean)
		std, realised = append(std, p.Std), append(realised, p.Realised)
	}
	return
}

// CriticTrace draws, per step, the critic's predicted return (mean with a ±1 std band) and the
// return that was realised once known.
func CriticTrace(recs []search.StepRecord) string {
	steps, mean, std, realised := criticPairs(recs)
	lo, hi := make([]float64, len(mean)), make([]float64, len(mean))
	for i := range mean {
		lo[i], hi[i] = mean[i]-std[i], mean[i]+std[i]
	}
	return Chart{Title: "Critic: predicted vs realised return", XLabel: "step", YLabel: "return (Σ γᵏ δ log-loss; lower is better)", ZeroLine: true,
		Series: []Series{{Name: "predicted mean ± 1 std", X: steps, Y: mean, Lo: lo, Hi: hi, Color: "#4e79a7", Width: 1.8},
			{Name: "realised", X: steps, Y: realised, Color: "#e15759", Points: true}}}.SVG()
}

// CriticScatter draws predicted against realised returns with their rank correlation.
func CriticScatter(recs []search.StepRecord) string {
	_, mean, _, realised := criticPairs(recs)
	rho, n := stats.Spearman(mean, realised)
	note := fmt.Sprintf("Spearman ρ = %.2f (n = %d)", rho, n)
	if n < 3 {
		note = fmt.Sprintf("rank correlation needs 3 returns (n = %d)", n)
	}
	return Chart{Title: "Critic: predicted vs realised (each point one step)", XLabel: "predicted return (critic mean)",
		YLabel: "realised return", Diagonal: true, Notes: []string{note},
		Series: []Series{{Name: "", X: mean, Y: realised, Points: true, Color: "#59a14f"}}}.SVG()
}

// CriticLoss draws the critic's training loss (Gaussian negative log-likelihood) per step.
func CriticLoss(recs []search.StepRecord) string {
	return perStepChart(recs, func(r search.StepRecord) float64 { return r.CriticLoss },
		"Critic loss (Gaussian NLL)", "loss", "#c9b1d0", "#6b3d7b")
}

// Entropy draws the entropy of the actor's policy per step (nats): high while it explores,
// falling as β rises and the actor commits.
func Entropy(recs []search.StepRecord) string {
	return perStepChart(recs, func(r search.StepRecord) float64 { return r.Entropy },
		"Policy entropy", "entropy (nats)", "#9ecae9", "#1f5f8b")
}

// perStepChart draws one logged value per step (the steps where it is not zero: the controller's
// terms are zero on steps it did not learn), thin in the light colour, with its moving average
// in the dark one.
func perStepChart(recs []search.StepRecord, value func(search.StepRecord) float64, title, yLabel, light, dark string) string {
	var xs, ys []float64
	for _, r := range recs {
		if v := value(r); v != 0 {
			xs, ys = append(xs, float64(r.Step)), append(ys, v)
		}
	}
	return withAverage(xs, ys, title, yLabel, "per step", "moving average (%d)", light, dark)
}

// OpUsage draws how many live nodes use each op at each step, as a heat map.
func OpUsage(recs []search.StepRecord) string {
	ops := arch.AllOps()
	rows := make([]string, len(ops))
	for i, op := range ops {
		rows[i] = op.String()
	}
	values := make([][]float64, len(ops))
	var xs []float64
	for _, r := range recs {
		a, err := arch.Parse(r.ArchText)
		counts := make([]float64, len(ops))
		if err != nil {
			for i := range counts {
				counts[i] = math.NaN()
			}
		} else {
			live := a.Live()
			for j := 1; j < a.N()-1; j++ {
				if live[j] {
					counts[int(a.Op(j))]++
				}
			}
		}
		for i := range ops {
			values[i] = append(values[i], counts[i])
		}
		xs = append(xs, float64(r.Step))
	}
	return HeatMap{Title: "Op usage: live nodes per op", XLabel: "step", RowLabels: rows, Values: values, X: xs}.SVG()
}

// RunGroup is the runs of one strategy (one step log per seed) for an overlay.
type RunGroup struct {
	Name string
	Runs [][]search.StepRecord
}

// Overlay metrics.
const (
	MetricBestValLoss = "best_val_loss" // the lowest validation loss seen so far
	MetricValLossMA   = "val_loss_ma"   // the moving average of the validation loss
	MetricValAccMA    = "val_acc_ma"    // the moving average of the validation accuracy
)

// Overlay draws one line per group: the mean over its runs of metric at each step, with a band
// of ±1 standard deviation over the runs.
func Overlay(groups []RunGroup, metric string) (string, error) {
	var title, ylabel string
	switch metric {
	case MetricBestValLoss:
		title, ylabel = "Best validation loss so far (mean ± std over seeds)", "validation loss"
	case MetricValLossMA:
		title, ylabel = "Validation loss, moving average (mean ± std over seeds)", "validation loss"
	case MetricValAccMA:
		title, ylabel = "Validation accuracy, moving average (mean ± std over seeds)", "validation accuracy"
	default:
		return "", fmt.Errorf("plotting: unknown overlay metric %q", metric)
	}
	var series []Series
	for g, group := range groups {
		var curves [][]float64
		length := 0
		for _, run := range group.Runs {
			_, loss := column(run, func(r search.StepRecord) float64 { return r.ValLoss })
			_, acc := column(run, func(r search.StepRecord) float64 { return r.ValAccuracy })
			var c []float64
			switch metric {
			case MetricBestValLoss:
				best := math.Inf(1)
				for _, v := range loss {
					if finite(v) {
						best = math.Min(best, v)
					}
					c = append(c, best)
				}
			case MetricValLossMA:
				c = stats.MovingAverage(loss, defaultWindow(len(loss)))
			case MetricValAccMA:
				c = stats.MovingAverage(acc, defaultWindow(len(acc)))
			}
			curves = append(curves, c)
			length = max(length, len(c))
		}
		var xs, mean, lo, hi []float64
		for i := 0; i < length; i++ {
			var vals []float64
			for _, c := range curves {
				if i < len(c) && finite(c[i]) {
					vals = append(vals, c[i])
				}
			}
			if len(vals) == 0 {
				continue
			}
			m, s := stats.MeanStd(vals)
			xs, mean, lo, hi = append(xs, float64(i)), append(mean, m), append(lo, m-s), append(hi, m+s)
		}
		series = append(series, Series{Name: fmt.Sprintf("%s (%d runs)", group.Name, len(group.Runs)), X: xs, Y: mean, Lo: lo, Hi: hi,
			Color: Palette[g%len(Palette)], Width: 2})
	}
	return Chart{Title: title, XLabel: "step", YLabel: ylabel, Series: series}.SVG(), nil
}

// RetrainCurve draws a retraining's training loss and accuracy per epoch.
func RetrainCurve(r retrain.Result) string {
	var xs, loss, acc []float64
	for _, p := range r.Curve {
		xs, loss, acc = append(xs, p.Epoch), append(loss, p.TrainLoss), append(acc, p.TrainAccuracy)
	}
	return Chart{Title: fmt.Sprintf("Retraining: test accuracy %.2f%%, %d parameters", 100*r.TestAccuracy, r.Params),
		XLabel: "epoch", YLabel: "training loss / accuracy",
		Series: []Series{{Name: "training loss", X: xs, Y: loss, Color: "#e15759"}, {Name: "training accuracy", X: xs, Y: acc, Color: "#59a14f"}}}.SVG()
}
