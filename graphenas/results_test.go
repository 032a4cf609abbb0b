package graphenas

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

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
	raw, err := os.ReadFile("../notebooks/results/compare-fmnist-shared/compare.json")
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
		if r.Retrain == nil || r.Seed < 11 || r.Seed > 15 {
			continue
		}
		if acc[r.Strategy] == nil {
			acc[r.Strategy] = map[int]float64{}
		}
		acc[r.Strategy][r.Seed] = 100 * r.Retrain.TestAccuracy
	}
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
	for name, table := range map[string]string{"NAS-Bench-201": nb201Table(t), "supergraph": supergraphTable(t)} {
		if !strings.Contains(string(results), table) {
			t.Errorf("RESULTS.md does not hold the %s table its data give:\n%s", name, table)
		}
	}
}
