package tabular

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/controller"
	"github.com/graphenas/graphenas/graphenas/stats"
)

// Factory makes a fresh strategy for one seed's run, drawing from r.
type Factory func(r *rand.Rand) (Strategy, error)

// Factories returns the strategies known by name: the baselines ("random", "evolution",
// "local", and "gp-local", the surrogate-process local search with uniform proposals), and with a
// GoMLX back-end the strategies with the controller: "graphenas" (GraphEnas's own components,
// OwnOptions), "graphenas-gp" (the actor proposing to the surrogate process, GPOptions),
// "graphenas-plain" (one actor proposal per query, PlainOptions) and "original" (the faithful
// mode of the plain loop).
func Factories(b compute.Backend) map[string]Factory {
	f := map[string]Factory{
		"random":    func(r *rand.Rand) (Strategy, error) { return NewRandom(r), nil },
		"evolution": func(r *rand.Rand) (Strategy, error) { return NewEvolution(r), nil },
		"local":     func(r *rand.Rand) (Strategy, error) { return NewLocalSearch(r), nil },
		"gp-local":  gpLocalFactory(GPLocalOptions()),
	}
	if b != nil {
		for name, opts := range loopOptions {
			f[name] = graphEnasFactory(name, b, TabularControllerConfig(), opts())
		}
		f["original"] = graphEnasFactory("original", b, controller.FaithfulConfig(), Options{})
	}
	return f
}

// loopOptions are the loop options of each strategy that runs the GraphEnas loop with the
// tabular controller, by name: the options its variants change.
var loopOptions = map[string]func() Options{
	"graphenas":       OwnOptions,
	"graphenas-gp":    GPOptions,
	"graphenas-plain": PlainOptions,
}

func graphEnasFactory(name string, b compute.Backend, cfg controller.Config, opts Options) Factory {
	return func(r *rand.Rand) (Strategy, error) { return newGraphEnas(name, b, cfg, opts, r) }
}

func gpLocalFactory(opts Options) Factory {
	return func(r *rand.Rand) (Strategy, error) { return NewGPLocal(opts, r) }
}

// ParseVariant reads changes to the strategy base ("graphenas", "graphenas-gp",
// "graphenas-plain" or "gp-local") written "name=value+name=value", over TabularControllerConfig
// and the base's options; the names are those of VariantSettings (booleans are 0 or 1). E.g.
// ParseVariant("graphenas-gp", "scale-returns=0") is graphenas-gp without return scaling.
func ParseVariant(base, settings string) (controller.Config, Options, error) {
	over, ok := loopOptions[base]
	if base == "gp-local" {
		over, ok = GPLocalOptions, true
	}
	if !ok {
		return controller.Config{}, Options{}, fmt.Errorf("tabular: %s takes no loop settings (graphenas, graphenas-gp, graphenas-plain and gp-local do)", base)
	}
	cfg, o, err := parseVariant(settings, over())
	if err == nil && base == "gp-local" && cfg != TabularControllerConfig() {
		err = fmt.Errorf("tabular: gp-local:%s: gp-local has no controller to configure", settings)
	}
	return cfg, o, err
}

// VariantSetting is one setting a variant may change: its name, what it sets, and how.
type VariantSetting struct {
	Name, Doc string
	set       func(cfg *controller.Config, o *Options, num float64)
}

// variantSettings is the one list of variant settings: ParseVariant, its error message and the
// command line's help read it.
var variantSettings = []VariantSetting{
	{"proposals", "Options.Proposals", func(_ *controller.Config, o *Options, x float64) { o.Proposals = int(x) }},
	{"uniform", "Options.Uniform", func(_ *controller.Config, o *Options, x float64) { o.Uniform = int(x) }},
	{"explore", "Options.Explore", func(_ *controller.Config, o *Options, x float64) { o.Explore = x }},
	{"hindsight", "Options.Hindsight", func(_ *controller.Config, o *Options, x float64) { o.Hindsight = int(x) }},
	{"critic-steps", "Options.CriticSteps", func(_ *controller.Config, o *Options, x float64) { o.CriticSteps = int(x) }},
	{"restart-screen", "Options.RestartScreen", func(_ *controller.Config, o *Options, x float64) { o.RestartScreen = int(x) }},
	{"confirm", "Options.Confirm", func(_ *controller.Config, o *Options, x float64) { o.Confirm = int(x) }},
	{"gp-screen", "Options.GPScreen", func(_ *controller.Config, o *Options, x float64) { o.GPScreen = x != 0 }},
	{"gp-belief", "Options.GPBelief (on also turns gp-screen on)", func(_ *controller.Config, o *Options, x float64) {
		o.GPBelief, o.GPScreen = x != 0, o.GPScreen || x != 0
	}},
	{"gp-pick", "Options.GPPick", func(_ *controller.Config, o *Options, x float64) { o.GPPick = x != 0 }},
	{"init", "Options.Init", func(_ *controller.Config, o *Options, x float64) { o.Init = int(x) }},
	{"gp-refit", "Options.GPRefit", func(_ *controller.Config, o *Options, x float64) { o.GPRefit = int(x) }},
	{"posterior-return", "Options.PosteriorReturn", func(_ *controller.Config, o *Options, x float64) { o.PosteriorReturn = x != 0 }},
	{"k", "controller.Config.K (and Gamma back to its default)", func(c *controller.Config, _ *Options, x float64) { c.K, c.Gamma = int(x), 0 }},
	{"beta-start", "controller.Config.BetaStart", func(c *controller.Config, _ *Options, x float64) { c.BetaStart = x }},
	{"beta-end", "controller.Config.BetaEnd", func(c *controller.Config, _ *Options, x float64) { c.BetaEnd = x }},
	{"beta-steps", "controller.Config.BetaSteps", func(c *controller.Config, _ *Options, x float64) { c.BetaSteps = int(x) }},
	{"entropy", "controller.Config.EntropyBonus", func(c *controller.Config, _ *Options, x float64) { c.EntropyBonus = x }},
	{"replay", "controller.Config.Replay", func(c *controller.Config, _ *Options, x float64) { c.Replay = x != 0 }},
	{"baseline", "controller.Config.Baseline", func(c *controller.Config, _ *Options, x float64) { c.Baseline = x != 0 }},
	{"all-actions", "controller.Config.AllActions", func(c *controller.Config, _ *Options, x float64) { c.AllActions = x != 0 }},
	{"scale-returns", "controller.Config.ScaleReturns", func(c *controller.Config, _ *Options, x float64) { c.ScaleReturns = x != 0 }},
}

// VariantSettings lists the settings a variant of a strategy on the GraphEnas loop may change.
func VariantSettings() []VariantSetting { return append([]VariantSetting(nil), variantSettings...) }

// variantNames is the comma-separated list of the settings' names.
func variantNames() string {
	names := make([]string, len(variantSettings))
	for i, v := range variantSettings {
		names[i] = v.Name
	}
	return strings.Join(names, ", ")
}

// parseVariant is ParseVariant over the loop options o.
func parseVariant(s string, o Options) (controller.Config, Options, error) {
	cfg := TabularControllerConfig()
	if s == "" {
		return cfg, o, nil
	}
	for _, kv := range strings.Split(s, "+") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return cfg, o, fmt.Errorf("tabular: setting %q: want name=value", kv)
		}
		num, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return cfg, o, fmt.Errorf("tabular: setting %q: %w", kv, err)
		}
		i := slices.IndexFunc(variantSettings, func(vs VariantSetting) bool { return vs.Name == k })
		if i < 0 {
			return cfg, o, fmt.Errorf("tabular: unknown setting %q (known: %s)", k, variantNames())
		}
		variantSettings[i].set(&cfg, &o, num)
	}
	return cfg, o, nil
}

// AddVariants adds to factories (made by Factories(b)) the variants among names, written
// "strategy:name=value+name=value". Every strategy takes "pick=gp" (its pick made by a Gaussian
// process over its queries, see SurrogatePick) and "pick-top=N" (the process fitted to the N
// cells of highest mean); "graphenas", "graphenas-gp", "graphenas-plain" and "gp-local" also take
// the settings of ParseVariant: "graphenas-gp:hindsight=2+critic-steps=1" is graphenas-gp with
// those changed, for ablations.
func AddVariants(factories map[string]Factory, b compute.Backend, names []string) error {
	for _, name := range names {
		base, settings, variant := strings.Cut(name, ":")
		if !variant {
			continue
		}
		gpPick, top, rest, err := cutPick(settings)
		if err != nil {
			return fmt.Errorf("tabular: %s: %w", name, err)
		}
		f, ok := factories[base]
		_, loop := loopOptions[base]
		switch {
		case loop && b == nil:
			return fmt.Errorf("tabular: %s needs a GoMLX back-end", name)
		case (loop || base == "gp-local") && rest != "":
			cfg, o, err := ParseVariant(base, rest)
			if err != nil {
				return err
			}
			if base == "gp-local" {
				f = gpLocalFactory(o)
			} else {
				f = graphEnasFactory(base, b, cfg, o)
			}
		case !ok:
			return fmt.Errorf("tabular: %s: unknown strategy %q", name, base)
		case rest != "":
			return fmt.Errorf("tabular: %s: %s takes only pick=gp and pick-top=N", name, base)
		}
		if gpPick {
			inner := f
			f = func(r *rand.Rand) (Strategy, error) {
				s, err := inner(r)
				if err != nil {
					return nil, err
				}
				return NewSurrogatePick(s, top), nil
			}
		}
		factories[name] = f
	}
	return nil
}

// cutPick takes the pick settings out of "name=value+…": whether pick=gp is asked for, the
// pick-top count, and the other settings.
func cutPick(settings string) (gp bool, top int, rest string, err error) {
	var others []string
	for _, kv := range strings.Split(settings, "+") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "pick":
			if v != "gp" && v != "mean" {
				return false, 0, "", fmt.Errorf("pick=%s: want pick=gp or pick=mean", v)
			}
			gp = v == "gp"
		case "pick-top":
			if top, err = strconv.Atoi(v); err != nil || top < 0 {
				return false, 0, "", fmt.Errorf("pick-top=%s: want a count", v)
			}
		default:
			if kv != "" {
				others = append(others, kv)
			}
		}
	}
	return gp, top, strings.Join(others, "+"), nil
}

// TabularControllerConfig is the controller configuration of the "graphenas" strategy: the
// defaults, except that an edit is credited with its own effect only (K = 1). Every query here is
// a trial edit of the incumbent, not a step of a walk, so the later steps that K = 10 would add
// to its return belong to other, unrelated trials.
func TabularControllerConfig() controller.Config {
	cfg := controller.DefaultConfig()
	cfg.K = 1
	return cfg
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
	// SeedDone, when set, is called after each seed's run of a strategy (for a progress bar).
	SeedDone func(strategy string, seed int, seconds float64)
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
func Run(t *Table, cfg Config, name string, factory Factory) (Result, error) {
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
		res.GPFallbacks += Fallbacks(strat)
		if cfg.SeedDone != nil {
			cfg.SeedDone(name, seed, time.Since(start).Seconds())
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
func RunAll(t *Table, cfg Config, names []string, factories map[string]Factory) ([]Result, error) {
	var out []Result
	for _, name := range names {
		f, ok := factories[name]
		if !ok {
			known := make([]string, 0, len(factories))
			for k := range factories {
				known = append(known, k)
			}
			sort.Strings(known)
			return nil, fmt.Errorf("tabular: unknown strategy %q (known: %s)", name, strings.Join(known, ", "))
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
