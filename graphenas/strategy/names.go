package strategy

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/gomlx/compute"

	"github.com/graphenas/graphenas/graphenas/controller"
	"github.com/graphenas/graphenas/graphenas/space"
)

// Factory makes a fresh strategy for one run (one seed), drawing from r.
type Factory func(r *rand.Rand) (Strategy, error)

// Factories returns the strategies known by name over the space sp: the baselines ("random",
// "evolution", "local", "random-walk", and "gp-local", the surrogate-process local search with
// uniform proposals), and with a GoMLX back-end b the strategies with the controller:
// "graphenas" (GraphEnas's own components, OwnOptions), "graphenas-gp" (the actor proposing to
// the surrogate process, GPOptions), "graphenas-plain" (one actor proposal per query,
// PlainOptions), "graphenas-walk" (the controller's walk, WalkControllerConfig) and "original"
// (that walk in the original's faithful mode, controller.FaithfulConfig). Every factory seeds
// its strategy, controller included, from the r it is given.
func Factories(sp space.Space, b compute.Backend) map[string]Factory {
	f := map[string]Factory{
		"random":      func(r *rand.Rand) (Strategy, error) { return NewRandom(sp, r), nil },
		"evolution":   func(r *rand.Rand) (Strategy, error) { return NewEvolution(sp, r), nil },
		"local":       func(r *rand.Rand) (Strategy, error) { return NewLocalSearch(sp, r), nil },
		"random-walk": func(r *rand.Rand) (Strategy, error) { return NewWalk("random-walk", nil, sp, controller.Config{}, r) },
		"gp-local":    gpLocalFactory(sp, GPLocalOptions()),
	}
	if b != nil {
		for name, opts := range loopOptions {
			f[name] = graphEnasFactory(name, b, sp, LoopControllerConfig(), opts())
		}
		f["graphenas-walk"] = walkFactory("graphenas-walk", b, sp, WalkControllerConfig())
		f["original"] = walkFactory("original", b, sp, controller.FaithfulConfig())
	}
	return f
}

// Names lists every strategy Factories knows, sorted: those that need a back-end too.
func Names() []string {
	names := []string{"random", "evolution", "local", "random-walk", "gp-local", "graphenas-walk", "original"}
	for name := range loopOptions {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// NeedsBackend reports whether the strategy name (a variant "base:settings" included) runs the
// controller, which needs a GoMLX back-end.
func NeedsBackend(name string) bool {
	base, _, _ := strings.Cut(name, ":")
	_, loop := loopOptions[base]
	return loop || base == "graphenas-walk" || base == "original"
}

// CheckName checks a strategy name as AddVariants would read it, without building anything: a
// name of Names, or a variant of one ("graphenas-gp:proposals=8", "evolution:pick=gp").
func CheckName(name string) error {
	base, settings, _ := strings.Cut(name, ":")
	if !slices.Contains(Names(), base) {
		return fmt.Errorf("strategy: unknown strategy %q (known: %s)", base, strings.Join(Names(), ", "))
	}
	_, _, rest, err := cutPick(settings)
	if err != nil {
		return fmt.Errorf("strategy: %s: %w", name, err)
	}
	if rest == "" {
		return nil
	}
	if isWalk(base) {
		_, err = ParseWalkVariant(base, rest)
		return err
	}
	_, _, err = ParseVariant(base, rest)
	return err
}

func walkFactory(name string, b compute.Backend, sp space.Space, cfg controller.Config) Factory {
	return func(r *rand.Rand) (Strategy, error) {
		cfg.Seed = r.Uint64()
		return NewWalk(name, b, sp, cfg, r)
	}
}

// WalkControllerConfig is the controller configuration of "graphenas-walk": the defaults
// (controller.DefaultConfig), whose return sums the effects of the next K = 10 edits of the walk.
func WalkControllerConfig() controller.Config { return controller.DefaultConfig() }

// loopOptions are the loop options of each strategy that runs the GraphEnas loop with
// LoopControllerConfig, by name: the options its variants change.
var loopOptions = map[string]func() Options{
	"graphenas":       OwnOptions,
	"graphenas-gp":    GPOptions,
	"graphenas-plain": PlainOptions,
}

func graphEnasFactory(name string, b compute.Backend, sp space.Space, cfg controller.Config, opts Options) Factory {
	return func(r *rand.Rand) (Strategy, error) { return newGraphEnas(name, b, sp, cfg, opts, r) }
}

func gpLocalFactory(sp space.Space, opts Options) Factory {
	return func(r *rand.Rand) (Strategy, error) { return NewGPLocal(sp, opts, r) }
}

// ParseVariant reads changes to the strategy base ("graphenas", "graphenas-gp",
// "graphenas-plain" or "gp-local") written "name=value+name=value", over LoopControllerConfig
// and the base's options; the names are those of VariantSettings (booleans are 0 or 1). E.g.
// ParseVariant("graphenas-gp", "scale-returns=0") is graphenas-gp without return scaling.
func ParseVariant(base, settings string) (controller.Config, Options, error) {
	over, ok := loopOptions[base]
	if base == "gp-local" {
		over, ok = GPLocalOptions, true
	}
	if !ok {
		return controller.Config{}, Options{}, fmt.Errorf("strategy: %s takes no loop settings (graphenas, graphenas-gp, graphenas-plain and gp-local do)", base)
	}
	cfg, o, err := parseVariant(settings, over())
	if err == nil && base == "gp-local" && cfg != LoopControllerConfig() {
		err = fmt.Errorf("strategy: gp-local:%s: gp-local has no controller to configure", settings)
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
	cfg := LoopControllerConfig()
	if s == "" {
		return cfg, o, nil
	}
	for _, kv := range strings.Split(s, "+") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return cfg, o, fmt.Errorf("strategy: setting %q: want name=value", kv)
		}
		num, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return cfg, o, fmt.Errorf("strategy: setting %q: %w", kv, err)
		}
		i := slices.IndexFunc(variantSettings, func(vs VariantSetting) bool { return vs.Name == k })
		if i < 0 {
			return cfg, o, fmt.Errorf("strategy: unknown setting %q (known: %s)", k, variantNames())
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
// those changed, for ablations. The walks ("graphenas-walk", "original", "random-walk") take
// "connected=1", "effective=1" and "masked=1" (ParseWalkVariant, Walk.Restrict): the walk proposes
// only edits that keep a path from input to output, or that change what the child network
// computes; masked=1 restricts the actor's policy to them instead of setting proposals aside.
func AddVariants(factories map[string]Factory, sp space.Space, b compute.Backend, names []string) error {
	for _, name := range names {
		base, settings, variant := strings.Cut(name, ":")
		if !variant {
			continue
		}
		gpPick, top, rest, err := cutPick(settings)
		if err != nil {
			return fmt.Errorf("strategy: %s: %w", name, err)
		}
		f, ok := factories[base]
		_, loop := loopOptions[base]
		switch {
		case NeedsBackend(base) && b == nil:
			return fmt.Errorf("strategy: %s needs a GoMLX back-end", name)
		case isWalk(base) && rest != "" && ok:
			r, err := ParseWalkVariant(base, rest)
			if err != nil {
				return err
			}
			f = restricted(f, r)
		case (loop || base == "gp-local") && rest != "":
			cfg, o, err := ParseVariant(base, rest)
			if err != nil {
				return err
			}
			if base == "gp-local" {
				f = gpLocalFactory(sp, o)
			} else {
				f = graphEnasFactory(base, b, sp, cfg, o)
			}
		case !ok:
			return fmt.Errorf("strategy: %s: unknown strategy %q", name, base)
		case rest != "":
			return fmt.Errorf("strategy: %s: %s takes only pick=gp and pick-top=N", name, base)
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

// isWalk reports whether the strategy base is a walk (Walk).
func isWalk(base string) bool {
	return base == "graphenas-walk" || base == "original" || base == "random-walk"
}

// ParseWalkVariant reads the settings of a walk's variant ("graphenas-walk", "original",
// "random-walk"): "connected=1" keeps the walk among architectures with a path from input to
// output, "effective=1" makes it propose only edits that change what the child network computes,
// "masked=1" restricts the actor's policy to those edits instead of setting its other proposals
// aside (Walk.Restrict); "=0" leaves the walk as it is.
func ParseWalkVariant(base, settings string) (Restriction, error) {
	var r Restriction
	for _, kv := range strings.Split(settings, "+") {
		k, v, _ := strings.Cut(kv, "=")
		if (k != "connected" && k != "effective" && k != "masked") || (v != "0" && v != "1") {
			return r, fmt.Errorf("strategy: %s:%s: a walk takes connected=0|1, effective=0|1 and masked=0|1 (and pick=gp, pick-top=N), not %q", base, settings, kv)
		}
		switch k {
		case "connected":
			r.Connected = v == "1"
		case "effective":
			r.Effective = v == "1"
		default:
			r.Masked = v == "1"
		}
	}
	switch {
	case r.Masked && !r.Connected && !r.Effective:
		return r, fmt.Errorf("strategy: %s:%s: masked=1 restricts the actor to the edits connected=1 or effective=1 allow; name one of them", base, settings)
	case r.Masked && base == "random-walk":
		return r, fmt.Errorf("strategy: %s:%s: masked=1 restricts the actor's policy, and the random walk has no actor (its edits are already uniform among the allowed ones)", base, settings)
	}
	return r, nil
}

// restricted wraps the factory of a walk into one whose walk is restricted by r.
func restricted(f Factory, r Restriction) Factory {
	if r == (Restriction{}) {
		return f
	}
	return func(rnd *rand.Rand) (Strategy, error) {
		s, err := f(rnd)
		if err != nil {
			return nil, err
		}
		w, ok := s.(*Walk)
		if !ok {
			return nil, fmt.Errorf("strategy: connected=1, effective=1 and masked=1 need a walk, got %s", s.Name())
		}
		if err := w.Restrict(r); err != nil {
			return nil, err
		}
		return w, nil
	}
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

// LoopControllerConfig is the controller configuration of the GraphEnas loops ("graphenas", "graphenas-gp", "graphenas-plain"): the
// defaults, except that an edit is credited with its own effect only (K = 1). Every query here is
// a trial edit of the incumbent, not a step of a walk, so the later steps that K = 10 would add
// to its return belong to other, unrelated trials.
func LoopControllerConfig() controller.Config {
	cfg := controller.DefaultConfig()
	cfg.K = 1
	return cfg
}
