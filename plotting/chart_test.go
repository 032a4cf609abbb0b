package plotting

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/graphenas/graphenas/graphenas/groundtruth"
	"github.com/graphenas/graphenas/graphenas/rank"
	"github.com/graphenas/graphenas/graphenas/search"
	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/graphenas/supergraph"
)

// axis returns the data-min and data-max of the axis element of class "axis <which>".
func axis(t *testing.T, els []element, which string) (float64, float64) {
	t.Helper()
	for _, e := range els {
		if e.attrs["class"] == "axis "+which {
			lo, err1 := strconv.ParseFloat(e.attrs["data-min"], 64)
			hi, err2 := strconv.ParseFloat(e.attrs["data-max"], 64)
			if err1 != nil || err2 != nil {
				t.Fatalf("axis %s range %q..%q", which, e.attrs["data-min"], e.attrs["data-max"])
			}
			return lo, hi
		}
	}
	t.Fatalf("no %s axis", which)
	return 0, 0
}

func count(els []element, name, class string) int {
	n := 0
	for _, e := range els {
		if e.name == name && (class == "" || e.attrs["class"] == class) {
			n++
		}
	}
	return n
}

func TestChartAxesContainData(t *testing.T) {
	c := Chart{Title: "t", Series: []Series{
		{Name: "a", X: []float64{0, 1, 2, 3}, Y: []float64{-2, 5, 1, 3}},
		{Name: "b", X: []float64{10, 11}, Y: []float64{0, 0}, Lo: []float64{-7, -1}, Hi: []float64{1, 1}},
	}}
	els := parseSVG(t, c.SVG())
	xlo, xhi := axis(t, els, "x")
	ylo, yhi := axis(t, els, "y")
	if xlo > 0 || xhi < 11 || ylo > -7 || yhi < 5 {
		t.Errorf("axes x [%g, %g], y [%g, %g] do not contain the data (x 0..11, y −7..5)", xlo, xhi, ylo, yhi)
	}
	if count(els, "g", "series") != 2 || count(els, "polygon", "band") != 1 || count(els, "path", "line") != 2 {
		t.Errorf("series/band/line elements: %d %d %d", count(els, "g", "series"), count(els, "polygon", "band"), count(els, "path", "line"))
	}
}

func TestChartEdgeCases(t *testing.T) {
	empty := Chart{Title: "empty"}.SVG()
	if els := parseSVG(t, empty); count(els, "text", "nodata") != 1 {
		t.Error("an empty chart does not say no data yet")
	}
	one := Chart{Series: []Series{{X: []float64{3}, Y: []float64{0.5}, Points: true}}}.SVG()
	els := parseSVG(t, one)
	if lo, hi := axis(t, els, "y"); !(lo < 0.5 && hi > 0.5) || count(els, "circle", "point") != 1 {
		t.Errorf("one point: y axis [%g, %g], %d points", lo, hi, count(els, "circle", "point"))
	}
	nan := Chart{Series: []Series{{X: []float64{0, 1, 2, 3}, Y: []float64{1, math.NaN(), math.Inf(1), 2}}}}.SVG()
	els = parseSVG(t, nan)
	if !strings.Contains(nan, "2 non-finite values skipped") || strings.Contains(nan, "NaN") {
		t.Errorf("NaN handling: %s", nan)
	}
	if lo, hi := axis(t, els, "y"); hi > 10 || lo < 0 {
		t.Errorf("y axis [%g, %g] was stretched by a non-finite value", lo, hi)
	}
	allNaN := Chart{Series: []Series{{X: []float64{0}, Y: []float64{math.NaN()}}}}.SVG()
	if !strings.Contains(allNaN, "no data yet") || !strings.Contains(allNaN, "1 non-finite values skipped") {
		t.Errorf("all-NaN chart: %s", allNaN)
	}
	if got := (HeatMap{Title: "h"}).SVG(); !strings.Contains(got, "no data yet") {
		t.Error("empty heat map")
	}
	parseSVG(t, HeatMap{Title: "h"}.SVG())
}

// fakeRecords makes a step log with critic predictions and returns (K = 2).
func fakeRecords(n int) []search.StepRecord {
	var recs []search.StepRecord
	archs := []string{"1:conv3 2:maxpool3 3:dwconv5 | 0>1 1>2 2>3 3>4", "1:conv5 2:maxpool3 3:dwconv5 | 0>1 1>2 2>3 3>4 0>4"}
	for i := 0; i < n; i++ {
		r := search.StepRecord{Step: i, Strategy: "graphenas", ArchText: archs[i%2], ValLoss: 2 - 0.01*float64(i),
			ValAccuracy: 0.1 + 0.005*float64(i), TrainBatches: 2, TrainLoss: 2, CriticMean: 0.1 * float64(i%5), CriticStd: 0.2,
			Action: &space.Action{Kind: space.ChangeOp, Node: 1}}
		r.CriticLoss, r.Entropy = 1/float64(i+1), 3-0.05*float64(i)
		if i >= 2 {
			ret, step := 0.1*float64((i-2)%5)+0.01, i-2
			r.Return, r.ReturnStep = &ret, &step
		}
		recs = append(recs, r)
	}
	if n > 3 {
		recs[3].ValLoss = math.NaN()
	}
	return recs
}

func TestSearchPlots(t *testing.T) {
	recs := fakeRecords(30)
	for name, svg := range map[string]string{"loss": ValLossCurve(recs), "acc": ValAccuracyCurve(recs), "train": TrainingCurve(recs),
		"trace": CriticTrace(recs), "scatter": CriticScatter(recs), "closs": CriticLoss(recs), "entropy": Entropy(recs), "ops": OpUsage(recs)} {
		els := parseSVG(t, svg)
		if len(els) < 5 {
			t.Errorf("%s: %d elements", name, len(els))
		}
	}
	if s := CriticScatter(recs); !strings.Contains(s, "Spearman ρ = 1.00 (n = 28)") {
		t.Errorf("scatter does not state the rank correlation:\n%s", s)
	}
	if s := ValLossCurve(recs); !strings.Contains(s, "1 non-finite values skipped") {
		t.Error("the NaN validation loss is not reported")
	}
	// Op usage: conv3 used at even steps, conv5 at odd ones; one cell per op and step.
	els := parseSVG(t, OpUsage(recs))
	if n := count(els, "rect", "cell"); n != 9*30 {
		t.Errorf("%d heat-map cells, want 270", n)
	}
	for _, e := range els {
		if e.attrs["class"] == "cell" && e.attrs["data-row"] == "0" && e.attrs["data-col"] == "0" && e.attrs["data-value"] != "1" {
			t.Errorf("conv3 at step 0: %s", e.attrs["data-value"])
		}
	}
	for _, recs := range [][]search.StepRecord{nil, fakeRecords(1)} {
		for _, svg := range []string{ValLossCurve(recs), CriticTrace(recs), CriticScatter(recs), OpUsage(recs)} {
			parseSVG(t, svg)
		}
	}
	if s := CriticTrace(nil); !strings.Contains(s, "no data yet") {
		t.Error("an empty critic trace should say no data yet")
	}
	ov, err := Overlay([]RunGroup{{Name: "graphenas", Runs: [][]search.StepRecord{recs, fakeRecords(20)}}, {Name: "random", Runs: [][]search.StepRecord{fakeRecords(30)}}}, MetricBestValLoss)
	if err != nil {
		t.Fatal(err)
	}
	els = parseSVG(t, ov)
	if count(els, "g", "series") != 2 || count(els, "polygon", "band") != 2 || !strings.Contains(ov, "graphenas (2 runs)") {
		t.Errorf("overlay: %s", ov)
	}
	if _, err := Overlay(nil, "nope"); err == nil {
		t.Error("unknown metric accepted")
	}
}

func TestRunReport(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for _, r := range fakeRecords(12) {
		if math.IsNaN(r.ValLoss) {
			r.ValLoss = 2
		}
		b, _ := json.Marshal(r)
		lines = append(lines, string(b))
	}
	os.WriteFile(filepath.Join(dir, search.StepsFile), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	cfg, _ := json.Marshal(search.Config{Strategy: "graphenas", Seed: 3})
	os.WriteFile(filepath.Join(dir, search.ConfigFile), cfg, 0o644)
	path, err := WriteRunReport(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := string(raw)
	for _, want := range []string{"<!DOCTYPE html>", "graphenas / 3", "Validation loss per step", "Critic: predicted vs realised", "Op usage", "Policy entropy", "step 11"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://"} {
		if strings.Contains(strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("report is not self-contained: has %q", bad)
		}
	}
	// The last step's architecture (no best-arch.json here), four search curves, four controller
	// figures (critic trace, scatter, loss, the policy's entropy).
	if n := strings.Count(page, "<svg"); n != 9 {
		t.Errorf("%d SVGs in the report, want 9", n)
	}
	if _, err := RunReport(t.TempDir()); err == nil {
		t.Error("a directory without a log should fail")
	}
	if !strings.Contains(page, "Spearman ρ") || !strings.Contains(page, "<th>critic</th>") {
		t.Error("the report does not give the critic's rank correlation")
	}
	// With rank.json beside the log, the report shows the shared weights' ranking: one series of
	// points per batch-norm mode, and each mode's τ.
	res := rank.Result{Config: rank.Config{Images: 100}, Recipe: groundtruth.DefaultRecipe()}
	for i := 0; i < 5; i++ {
		res.Points = append(res.Points, rank.Point{Index: i, Arch: "a", Truth: 0.7 + 0.01*float64(i), Scores: map[supergraph.BNMode]supergraph.EvalResult{
			supergraph.BNBatch: {Accuracy: 0.5 + 0.02*float64(i)}, supergraph.BNReestimated: {Accuracy: 0.6 - 0.01*float64(i)}}})
	}
	res.Agreements = []rank.Agreement{{Mode: supergraph.BNBatch, N: 5, Tau: 1, TauSE: 0.4, Top10: 1}, {Mode: supergraph.BNReestimated, N: 5, Tau: -1, TauSE: 0.4}}
	raw, _ = json.Marshal(res)
	os.WriteFile(filepath.Join(dir, RankFile), raw, 0o644)
	path, _ = WriteRunReport(dir, "")
	raw, _ = os.ReadFile(path)
	page = string(raw)
	if !strings.Contains(page, "Ranking against the ground truth") || !strings.Contains(page, "batch: Kendall τ 1.00") ||
		!strings.Contains(page, "reestimated: Kendall τ -1.00") || strings.Count(page, `class="point"`) < 10 {
		t.Errorf("the report does not show rank.json")
	}
}

func TestBarChartAndGaussian(t *testing.T) {
	els := parseSVG(t, BarChart{Title: "p", Labels: []string{"a", "b", "c"}, Values: []float64{0.2, 0.5, 0.3}, Highlight: 1}.SVG())
	if n := count(els, "rect", "bar"); n != 3 {
		t.Errorf("%d bars", n)
	}
	if _, hi := axis(t, els, "y"); hi < 0.5 {
		t.Errorf("y axis up to %g < 0.5", hi)
	}
	if s := (BarChart{}).SVG(); !strings.Contains(s, "no data yet") {
		t.Error("empty bar chart")
	}
	g := Gaussian("critic", 0, 1, 1)
	parseSVG(t, g)
	// NLL of x = 1 under N(0, 1): ½·log(2π) + ½ = 1.419.
	if !strings.Contains(g, "= 1.419") {
		t.Errorf("Gaussian NLL missing: %s", g)
	}
}

// A long run draws in a chart of bounded size: 50,000 points of a line, its band and a scatter
// take no more vertices than the chart has pixel columns, and a one-step spike still shows
// (reliability, round two: a 50k-step report was 86 MB).
func TestLongSeriesAreDownsampled(t *testing.T) {
	const n = 50000
	xs, ys, lo, hi := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range xs {
		xs[i], ys[i] = float64(i), math.Sin(float64(i)/500)
		lo[i], hi[i] = ys[i]-0.1, ys[i]+0.1
	}
	ys[25000] = 5 // a spike of one step
	svg := Chart{Title: "long", Series: []Series{{Name: "line", X: xs, Y: ys, Lo: lo, Hi: hi}, {Name: "points", X: xs, Y: ys, Points: true}}}.SVG()
	if len(svg) > 400_000 {
		t.Errorf("SVG of %d points is %d bytes", n, len(svg))
	}
	short := Chart{Title: "long", Series: []Series{{Name: "line", X: xs[24990:25010], Y: ys[24990:25010]}}}.SVG()
	if !strings.Contains(short, `data-max="5`) {
		t.Fatalf("the spike is not in the short chart's range")
	}
	// The spike's pixel is the top of the padded y range: its y coordinate is the smallest drawn.
	path := svg[strings.Index(svg, `class="line" d="`):]
	path = path[:strings.Index(path, `"/>`)]
	minY := math.Inf(1)
	fields := strings.Fields(strings.NewReplacer("M", " ", "L", " ").Replace(path[len(`class="line" d="`):]))
	for i := 1; i < len(fields); i += 2 { // x y x y …
		if v, err := strconv.ParseFloat(fields[i], 64); err == nil && v < minY {
			minY = v
		}
	}
	if minY > 40 { // the plot's top is at 28 px, and 5 is the range's top
		t.Errorf("the spike at step 25000 is lost: highest point drawn at y = %.1f", minY)
	}
}
