package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/strategy"
	"github.com/graphenas/graphenas/graphenas/tabular"
)

// runTabular benchmarks search strategies on the NAS-Bench-201 table.
func runTabular(args []string) error {
	fs := flag.NewFlagSet("tabular", flag.ContinueOnError)
	bench := fs.String("bench", "", "a NAS-Bench-201 CSV (.csv or .csv.gz; default: the table that ships with GraphEnas, graphenas/tabular/nb201)")
	dataset := fs.String("dataset", "cifar10", "cifar10, cifar100 or imagenet16")
	queries := fs.String("queries", "100,200", "query counts at which to score each strategy's pick")
	seeds := fs.Int("seeds", 20, "independent runs per strategy")
	seedOffset := fs.Int("seed-offset", 0, "run seeds offset+1 … offset+seeds (e.g. 100 with --seeds 100: the fresh seeds 101–200)")
	noise := fs.Float64("noise", 0, "standard deviation of the Gaussian noise added to each query, in accuracy points")
	strategies := fs.String("strategies", "random,evolution,local", "comma-separated strategies: random, evolution, local, gp-local (surrogate-process local search, uniform proposals), graphenas (the actor proposes, the critic screens and picks), graphenas-gp (the actor proposes to the surrogate process), graphenas-plain (one actor proposal per query), graphenas-walk (the controller's walk, the supergraph's default), original (that walk in faithful mode), random-walk, or a variant: graphenas-gp:scale-returns=0+proposals=8 (settings joined by +, see strategy.ParseVariant), evolution:pick=gp (any strategy, its pick made by the surrogate process)")
	versus := fs.String("versus", "", "paired comparisons to print, A/B joined by commas (e.g. graphenas-gp/gp-local): the mean over seeds of A − B and its standard error")
	asJSON := fs.Bool("json", false, "print one JSON object keyed by strategy")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, err := tabular.ParseDataset(*dataset)
	if err != nil {
		return err
	}
	var cps []int
	for _, q := range strings.Split(*queries, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(q))
		if err != nil || n <= 0 {
			return fmt.Errorf("tabular: bad --queries %q", *queries)
		}
		cps = append(cps, n)
	}
	sort.Ints(cps)
	if *seeds <= 0 || *noise < 0 || *seedOffset < 0 {
		return fmt.Errorf("tabular: --seeds must be positive, --noise and --seed-offset not negative")
	}
	pairs, err := parseVersus(*versus, *strategies)
	if err != nil {
		return err
	}
	table, err := tabular.Load(*bench)
	if err != nil {
		return err
	}
	var b compute.Backend
	if slices.ContainsFunc(strings.Split(*strategies, ","), strategy.NeedsBackend) {
		var choice backend.Choice
		if b, choice, err = backend.New(); err != nil {
			return err
		}
		defer b.Finalize()
		fmt.Fprintf(os.Stderr, "tabular: controller on %s (%s)\n", choice.Name, choice.Reason)
	}
	for _, name := range strings.Split(*strategies, ",") {
		if _, err := tabular.Factory(strings.TrimSpace(name), b); err != nil {
			return err // every name checked before any runs
		}
	}
	cfg := tabular.Config{Dataset: d, Checkpoints: cps, Noise: *noise, Seeds: *seeds, SeedOffset: *seedOffset}
	out := map[string]map[string]any{}
	byName := map[string]tabular.Result{}
	var names []string
	for _, name := range strings.Split(*strategies, ",") {
		name = strings.TrimSpace(name)
		cfg.Progress = progress.NewBars(os.Stderr).Report
		results, err := tabular.RunAll(table, cfg, []string{name}, b)
		if err != nil {
			return err
		}
		res := results[0]
		byName[name] = res
		entry := map[string]any{"scores": res.Scores, "seeds": res.Seeds, "gp_fallbacks": res.GPFallbacks}
		for _, s := range res.Scores {
			entry[fmt.Sprintf("best%d_mean", s.Queries)] = s.Mean
			entry[fmt.Sprintf("best%d_std", s.Queries)] = s.Std
			entry[fmt.Sprintf("best%d_stderr", s.Queries)] = s.StdErr
		}
		out[name] = entry
		names = append(names, name)
	}
	var paired []tabular.Paired
	for _, p := range pairs {
		ps, err := tabular.PairedDiffs(byName[p[0]], byName[p[1]])
		if err != nil {
			return err
		}
		paired = append(paired, ps...)
	}
	if *asJSON {
		if len(paired) > 0 {
			out["paired"] = map[string]any{"diffs": paired}
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	best, _ := table.Best(d)
	fmt.Printf("NAS-Bench-201 %s, noise σ=%g, seeds %d–%d; optimum %.2f\n", d, *noise, *seedOffset+1, *seedOffset+*seeds, best)
	fmt.Printf("%-12s", "strategy")
	for _, q := range cps {
		fmt.Printf("  best-of-%-4d mean ± std (stderr)", q)
	}
	fmt.Println()
	for _, name := range names {
		fmt.Printf("%-12s", name)
		for _, s := range out[name]["scores"].([]tabular.Score) {
			fmt.Printf("  %6.2f ± %.2f (%.3f)              ", s.Mean, s.Std, s.StdErr)
		}
		fmt.Println()
	}
	for _, p := range paired {
		fmt.Printf("paired, best of %d: %s − %s = %+.3f (standard error %.3f, %+.2f SE)\n", p.Queries, p.A, p.B, p.Diff, p.StdErr, p.Z)
	}
	for _, name := range names {
		if n := out[name]["gp_fallbacks"].(int); n > 0 {
			fmt.Printf("%s: the surrogate process could not be fitted %d times (the critic or the plain pick stood in)\n", name, n)
		}
	}
	return nil
}

// parseVersus reads --versus, "A/B,C/D", checking that every side is among the strategies run.
func parseVersus(versus, strategies string) ([][2]string, error) {
	if versus == "" {
		return nil, nil
	}
	run := map[string]bool{}
	for _, name := range strings.Split(strategies, ",") {
		run[strings.TrimSpace(name)] = true
	}
	var pairs [][2]string
	for _, p := range strings.Split(versus, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(p), "/")
		if !ok || !run[a] || !run[b] || a == b {
			return nil, fmt.Errorf("tabular: --versus %q: want A/B with two different strategies of --strategies", p)
		}
		pairs = append(pairs, [2]string{a, b})
	}
	return pairs, nil
}
