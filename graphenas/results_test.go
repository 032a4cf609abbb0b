package graphenas

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/graphenas/graphenas/graphenas/groundtruth"
	"github.com/graphenas/graphenas/graphenas/search"
	"github.com/graphenas/graphenas/graphenas/stats"
)

// The headline tables of RESULTS.md are recomputed here from the committed per-seed results, so a
// number there cannot drift from its data: TestResultsTablesRecompute fails, printing the table it
// computed, when RESULTS.md's differs.

// nb201Cells reads the per-seed results of the pre-registered NAS-Bench-201 test
// (notebooks/results/nb201-preregistered/*.json, the output of `graphenas tabular --json`):
// per data set and noise level, strategy → queries → seed → true accuracy of the pick.
func nb201Cells(t *testing.T) map[[2]string]map[string]map[int]map[int]float64 {
	t.Helper()
	files, _ := filepath.Glob("../notebooks/results/nb201-preregistered/stage*.json")
	if len(files) == 0 {
		t.Fatal("no committed NAS-Bench-201 results")
	}
	dataset := regexp.MustCompile(`(cifar100|cifar10|imagenet16)`)
	sigma := regexp.MustCompile(`sigma([0-9]+(?:\.[0-9]+)?)`)
	cells := map[[2]string]map[string]map[int]map[int]float64{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var runs map[string]json.RawMessage
		if err := json.Unmarshal(raw, &runs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		s := "0.5"
		if m := sigma.FindStringSubmatch(f); m != nil {
			s = m[1]
		}
		key := [2]string{dataset.FindString(filepath.Base(f)), s}
		if cells[key] == nil {
			cells[key] = map[string]map[int]map[int]float64{}
		}
		for name, msg := range runs {
			var r struct {
				Seeds  []int `json:"seeds"`
				Scores []struct {
					Queries int       `json:"queries"`
					PerSeed []float64 `json:"per_seed"`
				} `json:"scores"`
			}
			if json.Unmarshal(msg, &r) != nil || len(r.Scores) == 0 {
				continue // the paired differences
			}
			if cells[key][name] == nil {
				cells[key][name] = map[int]map[int]float64{}
			}
			for _, sc := range r.Scores {
				if cells[key][name][sc.Queries] == nil {
					cells[key][name][sc.Queries] = map[int]float64{}
				}
				for i, seed := range r.Seeds {
					if _, dup := cells[key][name][sc.Queries][seed]; dup {
						t.Fatalf("%s: seed %d of %s twice", f, seed, name)
					}
					cells[key][name][sc.Queries][seed] = sc.PerSeed[i]
				}
			}
		}
	}
	return cells
}

// pairedText is "+0.028 ± 0.065": the mean paired difference a − b over seeds 101–200 and the
// half width of its t-based 95% interval.
func pairedText(t *testing.T, a, b map[int]float64) string {
	var x, y []float64
	for seed := 101; seed <= 200; seed++ {
		va, okA := a[seed]
		vb, okB := b[seed]
		if !okA || !okB {
			t.Fatalf("seed %d missing", seed)
		}
		x, y = append(x, va), append(y, vb)
	}
	mean, half, err := stats.PairedInterval(x, y)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%+.3f ± %.3f", mean, half)
}

// nb201Table is RESULTS.md's NAS-Bench-201 table, computed.
func nb201Table(t *testing.T) string {
	cells := nb201Cells(t)
	names := map[string]string{"cifar10": "CIFAR-10", "cifar100": "CIFAR-100", "imagenet16": "ImageNet16-120"}
	var b strings.Builder
	b.WriteString("| data set | σ | graphenas-gp − gp-local, 100 queries | 200 queries | graphenas − evolution, 100 queries | 200 queries |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, ds := range []string{"cifar10", "cifar100", "imagenet16"} {
		for _, s := range []string{"0.25", "0.5", "1"} {
			c := cells[[2]string{ds, s}]
			if c == nil {
				t.Fatalf("no results for %s at σ %s", ds, s)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", names[ds], s,
				pairedText(t, c["graphenas-gp"][100], c["gp-local"][100]), pairedText(t, c["graphenas-gp"][200], c["gp-local"][200]),
				pairedText(t, c["graphenas"][100], c["evolution"][100]), pairedText(t, c["graphenas"][200], c["evolution"][200]))
		}
	}
	return b.String()
}

// supergraphTable is RESULTS.md's table of the supergraph comparison, computed from its
// compare.json: each strategy's retrained picks (seeds 11–15) paired against random's.
func supergraphTable(t *testing.T) string {
	acc := retrainedPicks(t, "../notebooks/results/compare-fmnist-shared/compare.json", 11, 15)
	var names []string
	for n, m := range acc {
		if len(m) == 5 && n != "random" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("| strategy (seeds 11–15) | retrained accuracy, mean | paired with random, 95% interval | smallest effect detectable (80% power) |\n|---|---|---|---|\n")
	seeds := []int{11, 12, 13, 14, 15}
	for _, n := range names {
		var x, y []float64
		for _, s := range seeds {
			x, y = append(x, acc[n][s]), append(y, acc["random"][s])
		}
		m, _ := stats.MeanStd(x)
		d, half, err := stats.PairedInterval(x, y)
		if err != nil {
			t.Fatal(err)
		}
		diffs := make([]float64, len(x))
		for i := range x {
			diffs[i] = x[i] - y[i]
		}
		_, sd := stats.MeanStd(diffs)
		mde := stats.MinDetectable(sd, len(diffs)) // paired t-test, two-sided α = 0.05, power 0.8
		fmt.Fprintf(&b, "| %s | %.2f%% | %+.2f [%+.2f, %+.2f] | %.1f points |\n", n, m, d, d-half, d+half, mde)
	}
	r, _ := stats.MeanStd([]float64{acc["random"][11], acc["random"][12], acc["random"][13], acc["random"][14], acc["random"][15]})
	fmt.Fprintf(&b, "| random | %.2f%% | — | — |\n", r)
	return b.String()
}

func TestResultsTablesRecompute(t *testing.T) {
	results, err := os.ReadFile("../RESULTS.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, table := range map[string]string{"NAS-Bench-201": nb201Table(t), "supergraph": supergraphTable(t), "ranking": rankingTable(t), "strategies": strategyTable(t), "critic": criticLine(t)} {
		if !strings.Contains(string(results), table) {
			t.Errorf("RESULTS.md does not hold the %s table its data give:\n%s", name, table)
		}
	}
}

// retrainedPicks reads a comparison's compare.json: strategy → seed → the retrained pick's test
// accuracy in points, for the seeds first…last (runs without a retraining are left out).
func retrainedPicks(t *testing.T, path string, first, last int) map[string]map[int]float64 {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Runs []struct {
			Strategy string `json:"strategy"`
			Seed     int    `json:"seed"`
			Retrain  *struct {
				TestAccuracy float64 `json:"test_accuracy"`
			} `json:"retrain"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	acc := map[string]map[int]float64{}
	for _, r := range res.Runs {
		if r.Retrain == nil || r.Seed < first || r.Seed > last {
			continue
		}
		if acc[r.Strategy] == nil {
			acc[r.Strategy] = map[int]float64{}
		}
		acc[r.Strategy][r.Seed] = 100 * r.Retrain.TestAccuracy
	}
	return acc
}

// rankingRuns are the supernets of the lab log's plan (2026-12-06), in RESULTS.md's order.
var rankingRuns = []struct{ name, what string }{
	{"a1", "(a1) today's default search: the walk, 2,000 steps of 1 batch, lr 1e-3"},
	{"a2", "(a2) the quickstart's search: the walk, 500 steps of 4 batches, lr 0.03"},
	{"b", "(b) uniform single-path, 2,000 batches, lr 1e-3"},
	{"d", "(d) uniform single-path, 20 batches per architecture, lr 0.05"},
	{"e", "(e) uniform single-path, 1 batch per architecture, lr 0.05"},
}

// rankingTable is RESULTS.md's table of how each supernet ranks the ground truth, from the
// committed rank.json of its two seeds (notebooks/results/ranking/<run>-s<seed>/rank.json): Kendall
// τ per batch-norm mode, seed 1 / seed 2, and the precision of the top 10% re-estimated.
func rankingTable(t *testing.T) string {
	var b strings.Builder
	b.WriteString("| supernet (2 seeds) | τ, batch statistics | τ, as kept | τ, re-estimated (c) | top-10% precision, re-estimated |\n|---|---|---|---|---|\n")
	for _, run := range rankingRuns {
		cells := map[string][]string{}
		for _, seed := range []int{1, 2} {
			raw, err := os.ReadFile(fmt.Sprintf("../notebooks/results/ranking/%s-s%d/rank.json", run.name, seed))
			if err != nil {
				t.Fatal(err)
			}
			var r struct {
				Points     []json.RawMessage `json:"points"`
				Agreements []struct {
					Mode  string  `json:"mode"`
					Tau   float64 `json:"tau"`
					Top10 float64 `json:"top10"`
					N     int     `json:"n"`
				} `json:"agreements"`
			}
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatal(err)
			}
			for _, a := range r.Agreements {
				if a.N != 150 {
					t.Fatalf("%s-s%d: %s measured on %d architectures, want the table's 150", run.name, seed, a.Mode, a.N)
				}
				cells[a.Mode] = append(cells[a.Mode], fmt.Sprintf("%.2f", a.Tau))
				if a.Mode == "reestimated" {
					cells["top10"] = append(cells["top10"], fmt.Sprintf("%.2f", a.Top10))
				}
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", run.what, strings.Join(cells["batch"], " / "), strings.Join(cells["running"], " / "),
			strings.Join(cells["reestimated"], " / "), strings.Join(cells["top10"], " / "))
	}
	return b.String()
}

// strategyTable is RESULTS.md's table of the strategies judged by the ground truth: each
// strategy's picks (notebooks/results/compare-gt/compare.json, seeds 101–110), trained alone with
// the table's recipe, against the table's architectures, a random draw per seed
// (compare-gt/draw.csv, draw i paired with seed 101 + i) and random search.
func strategyTable(t *testing.T) string {
	seeds := []int{101, 102, 103, 104, 105, 106, 107, 108, 109, 110}
	acc := retrainedPicks(t, "../notebooks/results/compare-gt/compare.json", 101, 110)
	draws, err := os.ReadFile("../notebooks/results/compare-gt/draw.csv")
	if err != nil {
		t.Fatal(err)
	}
	acc["random draw"] = map[int]float64{}
	for i, line := range strings.Split(strings.TrimSpace(string(draws)), "\n")[1:] {
		fields := strings.Split(line, ",")
		var v float64
		fmt.Sscanf(fields[3], "%g", &v)
		acc["random draw"][seeds[i]] = 100 * v
	}
	table, err := groundtruth.Load()
	if err != nil {
		t.Fatal(err)
	}
	var truths []float64
	for _, tr := range table.Truths() {
		truths = append(truths, tr.Mean)
	}
	tableMean, _ := stats.MeanStd(truths)
	series := func(name string) []float64 {
		var v []float64
		for _, s := range seeds {
			x, ok := acc[name][s]
			if !ok {
				t.Fatalf("%s seed %d missing", name, s)
			}
			v = append(v, x)
		}
		return v
	}
	interval := func(d, half float64) string { return fmt.Sprintf("%+.2f [%+.2f, %+.2f]", d, d-half, d+half) }
	var b strings.Builder
	fmt.Fprintf(&b, "| pick of (seeds 101–110) | accuracy, mean | percentile in the table, mean | − the table's mean (%.2f%%) | − random draw, paired | − random search, paired |\n|---|---|---|---|---|---|\n", 100*tableMean)
	for _, name := range []string{"graphenas-walk", "gp-local", "evolution", "random", "random draw"} {
		x := series(name)
		m, sd := stats.MeanStd(x)
		var pct []float64
		for _, v := range x {
			pct = append(pct, table.Percentile(v/100))
		}
		p, _ := stats.MeanStd(pct)
		oneSample := interval(m-100*tableMean, stats.TQuantile975(len(x)-1)*sd/math.Sqrt(float64(len(x))))
		vsDraw, vsRandom := "—", "—"
		if name != "random draw" {
			d, h, _ := stats.PairedInterval(x, series("random draw"))
			vsDraw = interval(d, h)
		}
		if name != "random" && name != "random draw" {
			d, h, _ := stats.PairedInterval(x, series("random"))
			vsRandom = interval(d, h)
		}
		name := "`" + name + "`"
		if name == "`random`" {
			name = "`random` (random search, shared weights)"
		}
		fmt.Fprintf(&b, "| %s | %.2f%% | %.0f | %s | %s | %s |\n", name, m, p, oneSample, vsDraw, vsRandom)
	}
	return b.String()
}

// criticLine is RESULTS.md's sentence on the critic under the adopted recipe: its Spearman ρ between
// predicted and realised returns in each graphenas-walk run of the ground-truth comparison
// (notebooks/results/compare-gt/graphenas-walk-seed*/steps.jsonl.gz).
func criticLine(t *testing.T) string {
	dirs, _ := filepath.Glob("../notebooks/results/compare-gt/graphenas-walk-seed*")
	if len(dirs) != 10 {
		t.Fatalf("%d graphenas-walk runs in compare-gt, want 10", len(dirs))
	}
	var rhos []float64
	pairs := 0
	for _, d := range dirs {
		recs, err := search.ReadSteps(d)
		if err != nil {
			t.Fatal(err)
		}
		rho, n := search.CriticRho(recs)
		rhos, pairs = append(rhos, rho), pairs+n
	}
	m, sd := stats.MeanStd(rhos)
	sort.Float64s(rhos)
	half := stats.TQuantile975(len(rhos)-1) * sd / math.Sqrt(float64(len(rhos)))
	return fmt.Sprintf("Spearman ρ %.2f [%.2f, %.2f] (mean of %d runs, 95%% interval; from %.2f to %.2f; %d edits in all)",
		m, m-half, m+half, len(rhos), rhos[0], rhos[len(rhos)-1], pairs)
}
