// Package backend chooses the GoMLX back-end for the user and says why.
//
// GoMLX v0.25 defaults to its "stablehlo" (XLA) back-end and panics when no PJRT plugin is
// installed. GraphEnas instead decides: an explicit $GOMLX_BACKEND wins; otherwise a PJRT plugin
// that can be found (CUDA first) selects stablehlo; otherwise the pure-Go "simplego" back-end
// (named "go" in GoMLX) runs on the CPU. A plugin that fails to load falls back to simplego with
// a warning, unless the user forced the choice.
package backend

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"  // the CPU back-end, always available
	_ "github.com/gomlx/gomlx/backends/stablehlo" // the XLA back-end, used with a PJRT plugin
)

// Names of the GoMLX back-ends GraphEnas uses.
const (
	SimpleGo  = "go"        // GoMLX's pure-Go back-end, "simplego".
	StableHLO = "stablehlo" // XLA through a PJRT plugin.
)

// simpleGoConfig is how GraphEnas starts simplego: with unlimited parallelism. With its default
// worker pool, simplego v0.25 deadlocks when several batched DotGenerals run at once (each waits
// for a worker held by another; seen on the child network's training graph), and running the ops
// one at a time instead ("ops_sequential") measured 1.5× slower.
const simpleGoConfig = SimpleGo + ":parallelism=-1"

// EnvBackend is GoMLX's environment variable that forces a back-end ("go", "stablehlo:cuda",
// "stablehlo:/path/to/plugin.so").
const EnvBackend = backends.ConfigEnvVar

// Choice is the back-end decision and everything that went into it.
type Choice struct {
	// Config is the GoMLX configuration string, e.g. "go" or "stablehlo:/opt/pjrt/pjrt_c_api_cuda_plugin.so".
	Config string `json:"config"`
	// Name is the back-end's short name: "simplego" or "stablehlo".
	Name string `json:"backend"`
	// Reason says in one sentence why this back-end was chosen.
	Reason string `json:"backend_reason"`
	// Plugin is the PJRT plugin's path, when stablehlo uses one found on disk.
	Plugin string `json:"plugin"`
	// LibraryDirs are the CUDA library folders the plugin needs on LD_LIBRARY_PATH, if known.
	LibraryDirs []string `json:"library_dirs,omitempty"`
	// Searched lists the places searched for PJRT plugins.
	Searched []string `json:"plugin_search_path"`
	// Forced is true when $GOMLX_BACKEND made the choice.
	Forced bool `json:"forced"`
	// Warning holds what went wrong with a preferred back-end, if anything.
	Warning string `json:"warning,omitempty"`
}

// Plugin is a PJRT plugin found on disk.
type Plugin struct {
	// Name is the plugin's name as gopjrt derives it, e.g. "cuda" or "cpu".
	Name string
	// Path is the shared library's absolute path.
	Path string
	// LibraryDirs are folders with the libraries it loads (the nvidia/*/lib folders beside a
	// Python CUDA plugin).
	LibraryDirs []string
}

// Choose decides on a back-end without loading anything.
func Choose() Choice {
	searched := PluginSearchPath()
	if cfg, ok := os.LookupEnv(EnvBackend); ok && cfg != "" {
		c := Choice{Config: cfg, Name: shortName(cfg), Forced: true, Searched: searched,
			Reason: fmt.Sprintf("$%s=%q was set", EnvBackend, cfg)}
		if cfg == SimpleGo || cfg == "simplego" {
			c.Config = simpleGoConfig // a bare "go" gets the setting that avoids the deadlock.
		}
		if name, arg, _ := strings.Cut(cfg, ":"); name == StableHLO && strings.HasSuffix(arg, ".so") {
			c.Plugin = arg
		}
		return c
	}
	plugins := FindPlugins(searched)
	for _, p := range plugins {
		if p.Name == "cuda" || strings.HasPrefix(p.Name, "cuda") {
			return Choice{Config: StableHLO + ":" + p.Path, Name: StableHLO, Plugin: p.Path,
				LibraryDirs: p.LibraryDirs, Searched: searched,
				Reason: fmt.Sprintf("a PJRT CUDA plugin was found at %s", p.Path)}
		}
	}
	for _, p := range plugins {
		return Choice{Config: StableHLO + ":" + p.Path, Name: StableHLO, Plugin: p.Path,
			LibraryDirs: p.LibraryDirs, Searched: searched,
			Reason: fmt.Sprintf("a PJRT %q plugin was found at %s", p.Name, p.Path)}
	}
	return Choice{Config: simpleGoConfig, Name: "simplego", Searched: searched,
		Reason: "no PJRT plugin was found (searched " + strings.Join(searched, ", ") + "), so the pure-Go CPU back-end runs"}
}

// New chooses a back-end (see Choose) and starts it. A preferred plugin that fails to start falls
// back to simplego, with the reason in Choice.Warning, unless $GOMLX_BACKEND forced it.
func New() (backends.Backend, Choice, error) {
	c := Choose()
	b, err := newBackend(c.Config)
	if err == nil {
		return b, c, nil
	}
	if c.Forced {
		return nil, c, fmt.Errorf("backend: starting %q (from $%s): %w", c.Config, EnvBackend, err)
	}
	c.Warning = fmt.Sprintf("%s failed to start (%v); falling back to simplego", c.Config, err)
	c.Config, c.Name, c.Plugin, c.LibraryDirs = simpleGoConfig, "simplego", "", nil
	c.Reason = "the PJRT plugin found could not be started, so the pure-Go CPU back-end runs"
	fmt.Fprintln(os.Stderr, "graphenas: warning:", c.Warning)
	b, err = newBackend(simpleGoConfig)
	if err != nil {
		return nil, c, fmt.Errorf("backend: starting simplego: %w", err)
	}
	return b, c, nil
}

// NewSimpleGo starts the pure-Go back-end, whatever the environment says.
func NewSimpleGo() (backends.Backend, error) { return newBackend(simpleGoConfig) }

// newBackend starts a back-end, turning GoMLX's panics into errors. simplego prints its
// settings on standard output, which would corrupt `graphenas env --json`: that line is dropped.
func newBackend(config string) (b backends.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	if devNull, e := os.OpenFile(os.DevNull, os.O_WRONLY, 0); e == nil {
		stdout := os.Stdout
		os.Stdout = devNull
		defer func() { os.Stdout = stdout; devNull.Close() }()
	}
	return backends.NewWithConfig(config)
}

// shortName maps a GoMLX configuration to the back-end's common name.
func shortName(cfg string) string {
	name, _, _ := strings.Cut(cfg, ":")
	if name == SimpleGo || name == "simplego" {
		return "simplego"
	}
	return name
}

// PluginSearchPath returns the folders searched for PJRT plugins, in order: the folders of
// $PJRT_PLUGIN_LIBRARY_PATH, gopjrt's standard folder /usr/local/lib/gomlx/pjrt, the per-user
// ~/.local/lib/gomlx/pjrt, and the jax_plugins folders of the Python installations found.
func PluginSearchPath() []string {
	var dirs []string
	if p := os.Getenv("PJRT_PLUGIN_LIBRARY_PATH"); p != "" {
		dirs = append(dirs, filepath.SplitList(p)...)
	}
	dirs = append(dirs, "/usr/local/lib/gomlx/pjrt")
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".local/lib/gomlx/pjrt"))
	}
	return append(dirs, pythonPluginDirs()...)
}

// pythonPluginDirs returns the jax_plugins folders of the site-packages folders found in the
// usual places (system, /usr/local, per-user, a virtual environment, and $PYTHONPATH).
func pythonPluginDirs() []string {
	var roots []string
	if v := os.Getenv("VIRTUAL_ENV"); v != "" {
		roots = append(roots, filepath.Join(v, "lib/python3*/site-packages"))
	}
	for _, p := range filepath.SplitList(os.Getenv("PYTHONPATH")) {
		if p != "" {
			roots = append(roots, p)
		}
	}
	roots = append(roots, "/usr/local/lib/python3*/site-packages", "/usr/local/lib/python3*/dist-packages",
		"/usr/lib/python3/dist-packages", "/opt/*/lib/python3*/site-packages")
	if home, err := os.UserHomeDir(); err == nil {
		roots = append(roots, filepath.Join(home, ".local/lib/python3*/site-packages"))
	}
	var dirs []string
	seen := map[string]bool{}
	for _, pattern := range roots {
		matches, _ := filepath.Glob(filepath.Join(pattern, "jax_plugins"))
		for _, m := range matches {
			if !seen[m] {
				seen[m] = true
				dirs = append(dirs, m)
			}
		}
	}
	return dirs
}

// FindPlugins lists the PJRT plugins in dirs: files named as gopjrt expects
// (pjrt_c_api_<name>_plugin.so, pjrt-plugin-<name>.so, pjrt_plugin_<name>.so) and the
// xla_cuda*/xla_cuda_plugin.so of Python's jax-cuda PJRT packages. It only looks at file names.
func FindPlugins(dirs []string) []Plugin {
	var found []Plugin
	seen := map[string]bool{}
	add := func(name, path string) {
		abs, err := filepath.Abs(path)
		if err != nil || seen[abs] {
			return
		}
		seen[abs] = true
		found = append(found, Plugin{Name: name, Path: abs, LibraryDirs: cudaLibraryDirs(abs)})
	}
	for _, dir := range dirs {
		for _, pattern := range []string{"pjrt_c_api_*_plugin.so", "pjrt-plugin-*.so", "pjrt_plugin_*.so"} {
			matches, _ := filepath.Glob(filepath.Join(dir, pattern))
			sort.Strings(matches)
			for _, m := range matches {
				add(pluginName(filepath.Base(m)), m)
			}
		}
		for _, pattern := range []string{"xla_cuda*/xla_cuda_plugin.so", "jax_plugins/xla_cuda*/xla_cuda_plugin.so"} {
			matches, _ := filepath.Glob(filepath.Join(dir, pattern))
			sort.Strings(matches)
			for _, m := range matches {
				add("cuda", m)
			}
		}
	}
	return found
}

// pluginName extracts <name> from pjrt_c_api_<name>_plugin.so, pjrt-plugin-<name>.so or
// pjrt_plugin_<name>.so.
func pluginName(base string) string {
	base = strings.TrimSuffix(base, ".so")
	for _, prefix := range []string{"pjrt_c_api_", "pjrt-plugin-", "pjrt_plugin_"} {
		if strings.HasPrefix(base, prefix) {
			return strings.TrimSuffix(strings.TrimPrefix(base, prefix), "_plugin")
		}
	}
	return base
}

// cudaLibraryDirs returns the nvidia/*/lib folders of the site-packages that holds a Python
// plugin (…/site-packages/jax_plugins/xla_cudaNN/xla_cuda_plugin.so).
func cudaLibraryDirs(pluginPath string) []string {
	site := filepath.Dir(filepath.Dir(filepath.Dir(pluginPath)))
	matches, _ := filepath.Glob(filepath.Join(site, "nvidia", "*", "lib"))
	sort.Strings(matches)
	return matches
}
