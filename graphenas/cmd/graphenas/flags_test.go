package main

import (
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/graphenas/graphenas/graphenas/backend"
	"github.com/graphenas/graphenas/graphenas/data"
	"github.com/graphenas/graphenas/graphenas/search"
)

// parseConfig parses args with the search command's configuration flags.
func parseConfig(t *testing.T, args ...string) (search.Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfgOf := configFlags(fs)
	if err := fs.Parse(args); err != nil {
		return search.Config{}, err
	}
	return cfgOf()
}

// TestNoFlagsIsTheLibraryDefault checks the single source of defaults: parsing no flag gives
// exactly search.DefaultConfig(), and `graphenas search --print-config` prints it.
func TestNoFlagsIsTheLibraryDefault(t *testing.T) {
	cfg, err := parseConfig(t)
	if err != nil {
		t.Fatal(err)
	}
	if want := search.DefaultConfig(); !reflect.DeepEqual(cfg, want) {
		t.Fatalf("no flags give\n%+v\nthe library's default is\n%+v", cfg, want)
	}

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	runErr := runSearch([]string{"--print-config"})
	os.Stdout = stdout
	w.Close()
	raw, _ := io.ReadAll(r)
	if runErr != nil {
		t.Fatal(runErr)
	}
	var printed search.Config
	if err := json.Unmarshal(raw, &printed); err != nil {
		t.Fatalf("--print-config printed no configuration: %v\n%s", err, raw)
	}
	if !reflect.DeepEqual(printed, search.DefaultConfig()) {
		t.Errorf("--print-config printed\n%+v\nthe library's default is\n%+v", printed, search.DefaultConfig())
	}
	// A flag changes its field and nothing else.
	cfg, err = parseConfig(t, "--channels", "12", "--strategy", "graphenas-walk:scale-returns=0", "--budget-seconds", "0.5")
	if err != nil {
		t.Fatal(err)
	}
	want := search.DefaultConfig()
	want.Supergraph.Channels, want.Strategy = 12, "graphenas-walk:scale-returns=0"
	want.Budget.Batches, want.Budget.Time = 0, 500_000_000
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("flags give\n%+v\nwant\n%+v", cfg, want)
	}
}

// TestFlagsRefuseBadValues checks that every kind of bad number is refused with an error naming
// the flag, before anything is written: NaN, infinities, zero or negative sizes.
func TestFlagsRefuseBadValues(t *testing.T) {
	cases := []struct{ cmd, flag, value string }{
		{"search", "lr", "NaN"},
		{"search", "lr", "Inf"},
		{"search", "lr", "0"},
		{"search", "budget-seconds", "NaN"},
		{"search", "budget-seconds", "-1"},
		{"search", "channels", "0"},
		{"search", "batch-size", "0"},
		{"search", "momentum", "1"},
		{"search", "weights-fraction", "1.5"},
		{"search", "warmup-batches", "-1"},
		{"search", "steps", "0"},
		{"search", "train-images", "-5"},
		{"search", "retrain-epochs", "NaN"},
		{"retrain", "epochs", "NaN"},
		{"retrain", "epochs", "Inf"},
		{"retrain", "epochs", "0"},
		{"retrain", "channels", "-1"},
		{"retrain", "lr", "NaN"},
		{"compare", "retrain-lr", "Inf"},
		{"compare", "steps", "-3"},
		{"compare", "retrain-channels", "0"},
		{"compare", "retrain-batch-size", "-2"},
	}
	for _, c := range cases {
		dir := filepath.Join(t.TempDir(), "run")
		args := []string{"--" + c.flag, c.value, "--out", dir}
		if c.cmd == "retrain" {
			args = []string{"--" + c.flag, c.value, "--arch", filepath.Join(dir, "best-arch.json")}
		}
		var err error
		switch c.cmd {
		case "search":
			err = runSearch(args)
		case "retrain":
			err = runRetrain(args)
		case "compare":
			err = runCompare(args)
		}
		if err == nil || !strings.Contains(err.Error(), "-"+c.flag) {
			t.Errorf("%s --%s %s: error %v, want one naming -%s", c.cmd, c.flag, c.value, err, c.flag)
		}
		if _, statErr := os.Stat(dir); statErr == nil {
			t.Errorf("%s --%s %s created %s", c.cmd, c.flag, c.value, dir)
		}
	}
	// Settings that only conflict together are refused too.
	for _, args := range [][]string{
		{"--budget-batches", "2", "--budget-seconds", "1"},
		{"--sample", "11", "--population", "10"},
		{"--random-budget"},
		{"--strategy", "annealing"},
	} {
		if _, err := parseConfig(t, args...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// flatten turns a JSON object into path → value ("supergraph.momentum" → 0.9).
func flatten(t *testing.T, v any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if obj, ok := v.(map[string]any); ok {
			for k, x := range obj {
				walk(prefix+k+".", x)
			}
			return
		}
		out[strings.TrimSuffix(prefix, ".")] = v
	}
	walk("", m)
	return out
}

// Zero means zero, or is refused: every numeric flag that accepts 0 leaves 0 in the configuration
// the search really runs with (its config.json), never the default it would read a zero field as.
func TestZeroMeansZeroOrIsRefused(t *testing.T) {
	b, err := backend.NewGo()
	if err != nil {
		t.Fatal(err)
	}
	ds := data.SyntheticDataset(64, 32, 8, 8, 1, 4, 3)
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	configFlags(fs)
	defaults := flatten(t, search.DefaultConfig())
	checked := 0
	fs.VisitAll(func(f *flag.Flag) {
		switch f.Value.(type) {
		case *floatValue, *intValue:
		default:
			return
		}
		strategyName := search.StrategyWalk
		if f.Name == "population" || f.Name == "sample" {
			strategyName = search.StrategyEvolution
		}
		args := []string{"--" + f.Name, "0", "--strategy", strategyName, "--channels", "2", "--batch-size", "8", "--layers-per-stage", "2"}
		cfg, err := parseConfig(t, args...)
		if err != nil {
			return // refused: fine
		}
		dir := t.TempDir()
		s, err := search.Create(b, ds, cfg, dir)
		if err != nil {
			return // refused when the search starts: fine too
		}
		s.Close()
		raw, err := os.ReadFile(filepath.Join(dir, search.ConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		var ran search.Config
		json.Unmarshal(raw, &ran)
		asked, used := flatten(t, cfg), flatten(t, ran)
		for path, v := range asked {
			if v == 0.0 && defaults[path] != 0.0 && used[path] != 0.0 {
				t.Errorf("--%s 0 is accepted, but the search runs with %s = %v", f.Name, path, used[path])
			}
		}
		checked++
	})
	if checked == 0 {
		t.Error("no flag accepted 0: the test checks nothing")
	}
}
