package tabular

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/progress"
	"github.com/graphenas/graphenas/graphenas/space"
	"github.com/graphenas/graphenas/graphenas/stats"
	"github.com/graphenas/graphenas/graphenas/strategy"
)

// Factory returns the factory of the strategy name (strategy.ParseSpec) on the NAS-Bench-201
// cell space; those with a controller need a back-end b.
func Factory(name string, b compute.Backend) (strategy.Factory, error) {
	return strategy.NewFactory(name, strategy.Env{Space: space.NB201{}, Backend: b})
}

// Config is one benchmark: the data set, query checkpoints, noise and seeds.
type Config struct {
	Dataset Dataset
	// Checkpoints are the query counts at which each strategy's belief is scored, e.g. 100, 200.
	Checkpoints []int
	// Noise is the standard deviation, in accuracy points, added to each query.
	Noise float64
	// Seeds is the number of independent runs per strategy: seeds SeedOffset+1 … SeedOffset+Seeds.
	Seeds int
	// SeedOffset shifts the seeds, so that settings chosen on seeds 1–20 can be reported on fresh
	// ones (e.g. 100 for seeds 101–200).
	SeedOffset int
	// Progress, when set, receives an event after each seed's run of a strategy (Run: the
	// strategy, Done: seeds finished of Total).
	Progress progress.Func `json:"-"`
}

// Score is a strategy's result at one checkpoint, over seeds.
type Score struct {
	Queries int       `json:"queries"`
	Mean    float64   `json:"mean"`
	Std     float64   `json:"std"`
	StdErr  float64   `json:"stderr"`
	PerSeed []float64 `json:"per_seed"`
}

// Result is one strategy's scores, one per checkpoint.
type Result struct {
	Strategy string  `json:"strategy"`
	Scores   []Score `json:"scores"`
	// Seeds are the seeds run, in the order of every Score's PerSeed.
	Seeds []int `json:"seeds"`
	// GPFallbacks counts, over all seeds, the times a surrogate process could not be fitted and
	// the strategy fell back to the critic or the plain pick (see GraphEnas.Fallbacks).
	GPFallbacks int `json:"gp_fallbacks"`
}

// Run benchmarks one strategy: for every seed, a fresh strategy queries max(Checkpoints) cells;
// at each checkpoint the cell it believes best is scored by its true accuracy.
func Run(t *Table, cfg Config, name string, factory strategy.Factory) (Result, error) {
	if len(cfg.Checkpoints) == 0 || cfg.Seeds <= 0 || cfg.SeedOffset < 0 {
		return Result{}, fmt.Errorf("tabular: need checkpoints, at least one seed and a seed offset not below 0")
	}
	cps := append([]int(nil), cfg.Checkpoints...)
	sort.Ints(cps)
	res := Result{Strategy: name}
	perCheckpoint := make([][]float64, len(cps))
	for seed := cfg.SeedOffset + 1; seed <= cfg.SeedOffset+cfg.Seeds; seed++ {
		res.Seeds = append(res.Seeds, seed)
		h := fnv.New64a()
		h.Write([]byte(name))
		strat, err := factory(rand.New(rand.NewPCG(uint64(seed), h.Sum64())))
		if err != nil {
			return res, fmt.Errorf("tabular: %s: %w", name, err)
		}
		start := time.Now()
		noise := rand.New(rand.NewPCG(uint64(seed), 0x9015E))
		next := 0
		for q := 1; q <= cps[len(cps)-1]; q++ {
			g, err := strat.Next()
			if err != nil {
				return res, fmt.Errorf("tabular: %s, seed %d, query %d: %w", name, seed, q, err)
			}
			acc, err := t.Accuracy(cfg.Dataset, g)
			if err != nil {
				return res, fmt.Errorf("tabular: %s proposed: %w", name, err)
			}
			if err := strat.Observe(g, acc+cfg.Noise*noise.NormFloat64()); err != nil {
				return res, fmt.Errorf("tabular: %s, seed %d, query %d: %w", name, seed, q, err)
			}
			for next < len(cps) && cps[next] == q {
				best, err := t.Accuracy(cfg.Dataset, strat.Best())
				if err != nil {
					return res, err
				}
				perCheckpoint[next] = append(perCheckpoint[next], best)
				next++
			}
		}
		res.GPFallbacks += strategy.Fallbacks(strat)
		if cfg.Progress != nil {
			cfg.Progress(progress.Event{Run: name, Phase: "tabular", Done: seed - cfg.SeedOffset, Total: cfg.Seeds,
				Status: fmt.Sprintf("seed %d took %.0f s", seed, time.Since(start).Seconds())})
		}
	}
	for i, q := range cps {
		mean, std := stats.MeanStd(perCheckpoint[i])
		res.Scores = append(res.Scores, Score{Queries: q, Mean: mean, Std: std,
			StdErr: std / math.Sqrt(float64(len(perCheckpoint[i]))), PerSeed: perCheckpoint[i]})
	}
	return res, nil
}

// RunAll runs the named strategies of factories one after the other (see Run).
func RunAll(t *Table, cfg Config, names []string, b compute.Backend) ([]Result, error) {
	var out []Result
	for _, name := range names {
		f, err := Factory(name, b)
		if err != nil {
			return nil, fmt.Errorf("tabular: %w", err)
		}
		res, err := Run(t, cfg, name, f)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	return out, nil
}

// Markdown formats results as a table: per strategy, mean ± std (standard error) of the true
// accuracy of its pick at every checkpoint.
func Markdown(results []Result, cfg Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "NAS-Bench-201 %s, noise σ = %g, seeds %d–%d\n\n| strategy |", cfg.Dataset, cfg.Noise, cfg.SeedOffset+1, cfg.SeedOffset+cfg.Seeds)
	for _, q := range cfg.Checkpoints {
		fmt.Fprintf(&b, " best of %d |", q)
	}
	b.WriteString("\n|---|")
	for range cfg.Checkpoints {
		b.WriteString("---|")
	}
	for _, r := range results {
		fmt.Fprintf(&b, "\n| %s |", r.Strategy)
		for _, s := range r.Scores {
			fmt.Fprintf(&b, " %.2f ± %.2f (%.2f) |", s.Mean, s.Std, s.StdErr)
		}
	}
	b.WriteString("\n")
	for _, r := range results {
		if r.GPFallbacks > 0 {
			fmt.Fprintf(&b, "\n%s: the surrogate process could not be fitted %d times (the critic or the plain pick stood in).\n", r.Strategy, r.GPFallbacks)
		}
	}
	return b.String()
}

// Paired is the paired comparison of two strategies run on the same seeds at one checkpoint:
// the mean of A − B over the seeds, its standard error, and their ratio (how many standard
// errors A is ahead).
type Paired struct {
	A       string  `json:"a"`
	B       string  `json:"b"`
	Queries int     `json:"queries"`
	Diff    float64 `json:"diff"`
	StdErr  float64 `json:"stderr"`
	Z       float64 `json:"z"`
}

// PairedDiffs compares a with b (run on the same seeds and checkpoints) at every checkpoint.
func PairedDiffs(a, b Result) ([]Paired, error) {
	if !slices.Equal(a.Seeds, b.Seeds) || len(a.Scores) != len(b.Scores) {
		return nil, fmt.Errorf("tabular: %s and %s were not run on the same seeds and checkpoints", a.Strategy, b.Strategy)
	}
	out := make([]Paired, len(a.Scores))
	for i, sa := range a.Scores {
		sb := b.Scores[i]
		if sa.Queries != sb.Queries {
			return nil, fmt.Errorf("tabular: %s and %s were scored at different checkpoints", a.Strategy, b.Strategy)
		}
		d, se, err := stats.PairedDiff(sa.PerSeed, sb.PerSeed)
		if err != nil {
			return nil, fmt.Errorf("tabular: %s − %s: %w", a.Strategy, b.Strategy, err)
		}
		z := 0.0
		if se > 0 {
			z = d / se
		}
		out[i] = Paired{A: a.Strategy, B: b.Strategy, Queries: sa.Queries, Diff: d, StdErr: se, Z: z}
	}
	return out, nil
}
