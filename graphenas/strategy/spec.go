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

// The strategies' names: the one place each is written. Every other package refers to these.
const (
	NameRandom      = "random"         // random connected architectures
	NameEvolution   = "evolution"      // regularized evolution (Real et al. 2019)
	NameLocal       = "local"          // first-improvement local search with restarts
	NameRandomWalk  = "random-walk"    // uniform single edits, moving every step
	NameGPLocal     = "gp-local"       // the surrogate process's local search, uniform proposals
	NameWalk        = "graphenas-walk" // the controller's walk, the mission's algorithm
	NameOriginal    = "original"       // that walk in the original's faithful mode
	NameGraphEnas   = "graphenas"      // GraphEnas's own components: the actor proposes, the critic screens
	NameGraphEnasGP = "graphenas-gp"   // the actor proposing to the surrogate process
)

// family is what a strategy is built from, which decides the settings its variants take.
type family int

const (
	baseline family = iota // no controller, no settings but pick=gp
	walk                   // Walk: the controller settings
	loop                   // GraphEnas with a controller: loop and controller settings
	gpLoop                 // GraphEnas without a controller (gp-local): loop settings
)

// registry lists every strategy once: its name, what it is built from, and (for the loops) its
// preset of Options.
var registry = []struct {
	name    string
	family  family
	options func() Options
}{
	{NameRandom, baseline, nil},
	{NameEvolution, baseline, nil},
	{NameLocal, baseline, nil},
	{NameRandomWalk, baseline, nil},
	{NameGPLocal, gpLoop, GPLocalOptions},
	{NameWalk, walk, nil},
	{NameOriginal, walk, nil},
	{NameGraphEnas, loop, OwnOptions},
	{NameGraphEnasGP, loop, GPOptions},
}

// Names lists every strategy, sorted.
func Names() []string {
	names := make([]string, len(registry))
	for i, e := range registry {
		names[i] = e.name
	}
	slices.Sort(names)
	return names
}

// Setting is one setting a variant may change: its name, which strategies take it, and what it sets.
type Setting struct {
	Name, Doc string
	families  []family
	set       func(s *Spec, x float64)
}

// settings is the one list of variant settings: ParseSpec, its errors and the command line's
// help read it. The settings whose experiments found nothing were removed (RESULTS.md, the
// ablation ledger).
var settings = []Setting{
	{"pick", "pick=gp: the pick is the queried cell of highest posterior mean of a Gaussian process over every query (SurrogatePick)",
		[]family{baseline, walk, loop, gpLoop}, func(s *Spec, x float64) { s.GPPick = x != 0 }},
	{"proposals", "Options.Proposals: edits proposed per query", []family{loop, gpLoop}, func(s *Spec, x float64) { s.Options.Proposals = int(x) }},
	{"uniform", "Options.Uniform: of them, drawn uniformly", []family{loop}, func(s *Spec, x float64) { s.Options.Uniform = int(x) }},
	{"explore", "Options.Explore: standard deviations of optimism in the screen", []family{loop, gpLoop}, func(s *Spec, x float64) { s.Options.Explore = x }},
	{"hindsight", "Options.Hindsight: pairs of queried cells added to the critic's replay per query", []family{loop}, func(s *Spec, x float64) { s.Options.Hindsight = int(x) }},
	{"restart-screen", "Options.RestartScreen: random cells screened at a restart", []family{loop, gpLoop}, func(s *Spec, x float64) { s.Options.RestartScreen = int(x) }},
	{"gp-screen", "Options.GPScreen: the surrogate process screens instead of the critic (0 or 1)", []family{loop}, func(s *Spec, x float64) { s.Options.GPScreen = x != 0 }},
	{"k", "controller.Config.K: steps credited to an edit (and Gamma back to 1 − 1/K)", []family{walk, loop}, func(s *Spec, x float64) { s.Controller.K, s.Controller.Gamma = int(x), 0 }},
	{"beta-start", "controller.Config.BetaStart: the actor's inverse temperature at the start", []family{walk, loop}, func(s *Spec, x float64) { s.Controller.BetaStart = x }},
	{"beta-end", "controller.Config.BetaEnd: and after BetaSteps steps", []family{walk, loop}, func(s *Spec, x float64) { s.Controller.BetaEnd = x }},
	{"entropy", "controller.Config.EntropyBonus: weight of the policy's entropy", []family{walk, loop}, func(s *Spec, x float64) { s.Controller.EntropyBonus = x }},
	{"scale-returns", "controller.Config.ScaleReturns: the critic learns returns over their running RMS (0 or 1)", []family{walk, loop}, func(s *Spec, x float64) { s.Controller.ScaleReturns = x != 0 }},
}

// Settings lists the settings a variant may change.
func Settings() []Setting { return append([]Setting(nil), settings...) }

// Spec is a strategy name read once: its base strategy and what its variant settings make of it.
// "graphenas-gp:proposals=8+pick=gp" is graphenas-gp proposing 8 edits per query, its pick made by
// the surrogate process.
type Spec struct {
	// Base is one of Names.
	Base string
	// Controller is the controller of a walk or a loop (WalkControllerConfig,
	// controller.FaithfulConfig for "original", LoopControllerConfig) with the variant's settings.
	Controller controller.Config
	// Options are a loop's (its preset with the variant's settings).
	Options Options
	// GPPick makes the pick the surrogate process's (SurrogatePick).
	GPPick bool

	name   string
	family family
}

// ParseSpec reads a strategy name: a base of Names, optionally followed by ":name=value+…" with
// settings of Settings that its base takes (numbers; booleans 0 or 1; pick=gp or pick=mean).
func ParseSpec(name string) (Spec, error) {
	base, rest, _ := strings.Cut(strings.TrimSpace(name), ":")
	i := slices.IndexFunc(registry, func(e struct {
		name    string
		family  family
		options func() Options
	}) bool {
		return e.name == base
	})
	if i < 0 {
		return Spec{}, fmt.Errorf("strategy: unknown strategy %q (known: %s)", base, strings.Join(Names(), ", "))
	}
	e := registry[i]
	s := Spec{Base: base, name: strings.TrimSpace(name), family: e.family}
	switch {
	case base == NameOriginal:
		s.Controller = controller.FaithfulConfig()
	case e.family == walk:
		s.Controller = WalkControllerConfig()
	case e.family == loop:
		s.Controller = LoopControllerConfig()
	}
	if e.options != nil {
		s.Options = e.options()
	}
	if rest == "" {
		return s, nil
	}
	for _, kv := range strings.Split(rest, "+") {
		k, v, ok := strings.Cut(kv, "=")
		j := slices.IndexFunc(settings, func(st Setting) bool { return st.Name == k })
		if !ok || j < 0 {
			return s, fmt.Errorf("strategy: %s: setting %q: want name=value with a name of %s", name, kv, settingNames(e.family))
		}
		st := settings[j]
		if !slices.Contains(st.families, e.family) {
			return s, fmt.Errorf("strategy: %s: %s takes no %s (it takes %s)", name, base, k, settingNames(e.family))
		}
		var x float64
		switch {
		case k == "pick" && (v == "gp" || v == "mean"):
			x = map[string]float64{"gp": 1, "mean": 0}[v]
		case k == "pick":
			return s, fmt.Errorf("strategy: %s: pick=%s: want pick=gp or pick=mean", name, v)
		default:
			var err error
			if x, err = strconv.ParseFloat(v, 64); err != nil || x < 0 || x > 1e6 {
				return s, fmt.Errorf("strategy: %s: setting %q: want a number in [0, 1e6]", name, kv)
			}
		}
		st.set(&s, x)
	}
	return s, nil
}

// settingNames lists the settings the family f takes.
func settingNames(f family) string {
	var names []string
	for _, st := range settings {
		if slices.Contains(st.families, f) {
			names = append(names, st.Name)
		}
	}
	return strings.Join(names, ", ")
}

// String returns the name the spec was read from.
func (s Spec) String() string { return s.name }

// NeedsBackend reports whether the strategy runs a controller, which needs a GoMLX back-end.
func (s Spec) NeedsBackend() bool { return s.family == walk || s.family == loop }

// NeedsBackend reports whether the strategy name (a variant included) runs a controller; false
// for a name that does not parse.
func NeedsBackend(name string) bool {
	s, err := ParseSpec(name)
	return err == nil && s.NeedsBackend()
}

// Env is what building a strategy needs besides its spec.
type Env struct {
	// Space is the search space.
	Space space.Space
	// Backend runs the controller (nil: only strategies without one).
	Backend compute.Backend
	// Population and Sample size regularized evolution (DefaultPopulation and DefaultSample
	// when 0).
	Population, Sample int
}

// Factory makes a fresh strategy for one run (one seed), drawing from r.
type Factory func(r *rand.Rand) (Strategy, error)

// NewFactory returns the factory of the strategy name in env: every random choice of the
// strategies it makes, their controller's included, comes from the r it is given.
func NewFactory(name string, env Env) (Factory, error) {
	s, err := ParseSpec(name)
	if err != nil {
		return nil, err
	}
	if s.NeedsBackend() && env.Backend == nil {
		return nil, fmt.Errorf("strategy: %s needs a GoMLX back-end", name)
	}
	sp := env.Space
	return func(r *rand.Rand) (Strategy, error) {
		var st Strategy
		var err error
		switch s.Base {
		case NameRandom:
			st = NewRandom(sp, r)
		case NameEvolution:
			pop, sample := env.Population, env.Sample
			if pop == 0 {
				pop = DefaultPopulation
			}
			if sample == 0 {
				sample = DefaultSample
			}
			st, err = NewEvolutionSized(sp, pop, sample, r)
		case NameLocal:
			st = NewLocalSearch(sp, r)
		case NameRandomWalk:
			st, err = NewWalk(NameRandomWalk, nil, sp, controller.Config{}, r)
		case NameGPLocal:
			st, err = NewGPLocal(sp, s.Options, r)
		case NameWalk, NameOriginal:
			cfg := s.Controller
			cfg.Seed = r.Uint64()
			st, err = NewWalk(s.Base, env.Backend, sp, cfg, r)
		default:
			st, err = newGraphEnas(s.Base, env.Backend, sp, s.Controller, s.Options, r)
		}
		if err != nil {
			return nil, err
		}
		if s.GPPick {
			st = NewSurrogatePick(st)
		}
		return st, nil
	}, nil
}

// WalkControllerConfig is the controller configuration of "graphenas-walk": the defaults
// (controller.DefaultConfig), whose return sums the effects of the next K = 10 edits of the walk.
func WalkControllerConfig() controller.Config { return controller.DefaultConfig() }

// LoopControllerConfig is the controller configuration of the GraphEnas loops ("graphenas",
// "graphenas-gp"): the defaults, except that an edit is credited with its own effect only
// (K = 1). Every query here is a trial edit of the incumbent, not a step of a walk, so the later
// steps that K = 10 would add to its return belong to other, unrelated trials.
func LoopControllerConfig() controller.Config {
	cfg := controller.DefaultConfig()
	cfg.K = 1
	return cfg
}
