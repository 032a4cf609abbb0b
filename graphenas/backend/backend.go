// Package backend chooses the GoMLX compute back-end for the user and says why.
//
// GoMLX (v0.28) defaults to its XLA back-end, which downloads a PJRT plugin from the internet
// when none is installed. GraphEnas instead decides, offline: an explicit $GOMLX_BACKEND wins;
// otherwise a PJRT plugin found on disk (CUDA first) selects the XLA back-end
// (github.com/gomlx/go-xla); otherwise the pure-Go back-end (github.com/gomlx/compute/gobackend)
// runs on the CPU. A plugin that fails to load falls back to the Go back-end with a warning,
// unless the user forced the choice. Nothing is downloaded unless $GRAPHENAS_PJRT_AUTO_INSTALL=1
// asks for it.
package backend

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // the CPU back-end, always available
	"github.com/gomlx/go-xla/compute/xla"  // the XLA back-end, used with a PJRT plugin
)

// Names of the compute back-ends GraphEnas uses, as $GOMLX_BACKEND spells them.
const (
	Go  = "go"  // the pure-Go back-end (github.com/gomlx/compute/gobackend), once called simplego.
	XLA = "xla" // XLA through a PJRT plugin (github.com/gomlx/go-xla), once called stablehlo.
)

// goConfig is how GraphEnas starts the Go back-end: with unlimited parallelism. With its
// default worker pool (2 workers per CPU), the back-end deadlocks when several matrix products
// run at once: each product's Saturate waits for a worker held by another op (seen on the child
// network's training graph with compute v0.1.4, as with simplego v0.25 before it).
const goConfig = Go + ":parallelism=-1"

// EnvBackend is GoMLX's environment variable that forces a back-end ("go", "xla:cuda",
// "xla:/path/to/plugin.so"; the older names "simplego" and "stablehlo" are accepted too).
const EnvBackend = compute.ConfigEnvVar

// EnvAutoInstall, set to 1, lets go-xla download the PJRT plugins it knows (CPU, and CUDA when a
// GPU is present) into ~/.local/lib/go-xla when the XLA back-end starts. It is off by default:
// GraphEnas never reaches the network unless asked.
const EnvAutoInstall = "GRAPHENAS_PJRT_AUTO_INSTALL"

func init() {
	xla.EnableAutoInstall(os.Getenv(EnvAutoInstall) == "1")
}

// Choice is the back-end decision and everything that went into it.
type Choice struct {
	// Config is the GoMLX configuration string, e.g. "go:parallelism=-1" or
	// "xla:/opt/pjrt/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so".
	Config string `json:"config"`
	// Name is the back-end's short name: "go" or "xla".
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
	// Name is the plugin's name as go-xla derives it from the file name, e.g. "cuda" or "cpu".
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
		cfg = canonicalConfig(cfg)
		if cfg == Go {
			cfg = goConfig // a bare "go" gets the setting that avoids the deadlock.
		}
		c := Choice{Config: cfg, Name: shortName(cfg), Forced: true, Searched: searched,
			Reason: fmt.Sprintf("$%s=%q was set", EnvBackend, os.Getenv(EnvBackend))}
		if name, arg, _ := strings.Cut(cfg, ":"); name == XLA && strings.HasSuffix(strings.Split(arg, ",")[0], ".so") {
			c.Plugin = strings.Split(arg, ",")[0]
			c.LibraryDirs = cudaLibraryDirs(c.Plugin)
		}
		return c
	}
	plugins := FindPlugins(searched)
	for _, p := range plugins {
		if strings.HasPrefix(p.Name, "cuda") {
			return xlaChoice(p, searched, fmt.Sprintf("a PJRT CUDA plugin was found at %s", p.Path))
		}
	}
	for _, p := range plugins {
		return xlaChoice(p, searched, fmt.Sprintf("a PJRT %q plugin was found at %s", p.Name, p.Path))
	}
	return Choice{Config: goConfig, Name: Go, Searched: searched,
		Reason: "no PJRT plugin was found (searched " + strings.Join(searched, ", ") + "), so the pure-Go CPU back-end runs"}
}

// xlaChoice is the choice of the XLA back-end with plugin p, loaded by its absolute path.
func xlaChoice(p Plugin, searched []string, reason string) Choice {
	return Choice{Config: XLA + ":" + p.Path, Name: XLA, Plugin: p.Path, LibraryDirs: p.LibraryDirs,
		Searched: searched, Reason: reason}
}

// canonicalConfig maps the back-end names of GoMLX before v0.28 to today's: "simplego" is "go",
// "stablehlo" (and its aliases "shlo", "hlo") is "xla".
func canonicalConfig(cfg string) string {
	name, rest, hasRest := strings.Cut(cfg, ":")
	switch name {
	case "simplego":
		name = Go
	case "stablehlo", "shlo", "hlo", "pjrt":
		name = XLA
	}
	if hasRest {
		return name + ":" + rest
	}
	return name
}

// New chooses a back-end (see Choose) and starts it. A preferred plugin that fails to start falls
// back to the Go back-end, with the reason in Choice.Warning, unless $GOMLX_BACKEND forced it.
func New() (compute.Backend, Choice, error) {
	c := Choose()
	b, err := newBackend(c.Config)
	if err == nil {
		return b, c, nil
	}
	if c.Forced {
		return nil, c, fmt.Errorf("backend: starting %q (from $%s): %w", c.Config, EnvBackend, err)
	}
	c.Warning = fmt.Sprintf("%s failed to start (%v); falling back to the Go back-end", c.Config, err)
	c.Config, c.Name, c.Plugin, c.LibraryDirs = goConfig, Go, "", nil
	c.Reason = "the PJRT plugin found could not be started, so the pure-Go CPU back-end runs"
	fmt.Fprintln(os.Stderr, "graphenas: warning:", c.Warning)
	b, err = newBackend(goConfig)
	if err != nil {
		return nil, c, fmt.Errorf("backend: starting the Go back-end: %w", err)
	}
	return b, c, nil
}

// NewGo starts the pure-Go back-end, whatever the environment says.
func NewGo() (compute.Backend, error) { return newBackend(goConfig) }

// newBackend starts a back-end, turning GoMLX's panics into errors. The Go back-end prints some
// settings on standard output, which would corrupt `graphenas env --json`: that output is dropped.
func newBackend(config string) (b compute.Backend, err error) {
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
	return compute.NewWithConfig(config)
}

// IsXLA reports whether b is an XLA (PJRT) back-end, where the child network is built from
// GoMLX's own convolution and pooling ops with automatic differentiation.
func IsXLA(b compute.Backend) bool { return b != nil && b.String() == XLA }

// shortName maps a back-end configuration to the back-end's name, "go" or "xla".
func shortName(cfg string) string {
	name, _, _ := strings.Cut(cfg, ":")
	return name
}

// PluginSearchPath returns the folders searched for PJRT plugins, in order: the folders of
// $PJRT_PLUGIN_LIBRARY_PATH, go-xla's standard folders /usr/local/lib/go-xla and
// ~/.local/lib/go-xla, those of its predecessor gopjrt (/usr/local/lib/gomlx/pjrt,
// ~/.local/lib/gomlx/pjrt), and the jax_plugins folders of the Python installations found.
func PluginSearchPath() []string {
	var dirs []string
	if p := os.Getenv("PJRT_PLUGIN_LIBRARY_PATH"); p != "" {
		dirs = append(dirs, filepath.SplitList(p)...)
	}
	home, homeErr := os.UserHomeDir()
	for _, sub := range []string{"go-xla", "gomlx/pjrt"} {
		dirs = append(dirs, filepath.Join("/usr/local/lib", sub))
		if homeErr == nil {
			dirs = append(dirs, filepath.Join(home, ".local/lib", sub))
		}
	}
	return append(dirs, pythonPluginDirs()...)
}

// pythonPluginDirs returns the jax_plugins folders of the site-packages folders found in the
// usual places (system, /usr/local, per-user, a virtual environment, virtual environments under
// /opt, and $PYTHONPATH).
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
		"/usr/lib/python3/dist-packages", "/opt/*/lib/python3*/site-packages", "/opt/*/.venv/lib/python3*/site-packages")
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

// FindPlugins lists the PJRT plugins in dirs: files named as go-xla expects
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
