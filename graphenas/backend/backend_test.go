package backend

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// isolate points every searched place at empty temporary folders.
func isolate(t *testing.T) {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", t.TempDir())
	t.Setenv("VIRTUAL_ENV", "")
	t.Setenv("PYTHONPATH", "")
	os.Unsetenv(EnvBackend)
}

func TestChooseSimpleGoWithoutPlugin(t *testing.T) {
	isolate(t)
	if len(FindPlugins(PluginSearchPath())) > 0 {
		t.Skip("this machine has a system-wide PJRT plugin")
	}
	c := Choose()
	if c.Name != Go || c.Config != "go:parallelism=-1" || c.Forced {
		t.Fatalf("choice %+v", c)
	}
	if !strings.Contains(c.Reason, "no PJRT plugin") || !strings.Contains(c.Reason, "/usr/local/lib/go-xla") {
		t.Errorf("reason %q does not say what was searched", c.Reason)
	}
	b, c2, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if b.String() != Go || IsXLA(b) {
		t.Errorf("backend %q (%s)", b.String(), b.Name())
	}
	if c2.Warning != "" {
		t.Errorf("unexpected warning %q", c2.Warning)
	}
}

func TestEnvOverrides(t *testing.T) {
	isolate(t)
	t.Setenv(EnvBackend, "xla:/some/where/pjrt_c_api_cuda_plugin.so")
	c := Choose()
	if !c.Forced || c.Name != XLA || c.Plugin != "/some/where/pjrt_c_api_cuda_plugin.so" || !strings.Contains(c.Reason, EnvBackend) {
		t.Fatalf("choice %+v", c)
	}
	// The names of GoMLX before v0.28 still work.
	t.Setenv(EnvBackend, "stablehlo:/some/where/pjrt_c_api_cuda_plugin.so")
	if c := Choose(); c.Config != "xla:/some/where/pjrt_c_api_cuda_plugin.so" || c.Name != XLA {
		t.Errorf("GOMLX_BACKEND=stablehlo:…: %+v", c)
	}
	t.Setenv(EnvBackend, "simplego")
	if c := Choose(); c.Config != "go:parallelism=-1" || c.Name != Go {
		t.Errorf("GOMLX_BACKEND=simplego: %+v", c)
	}
	t.Setenv(EnvBackend, "xla:/some/where/pjrt_c_api_cuda_plugin.so")
	// Forced and broken: an error, never a silent fallback.
	if _, _, err := New(); err == nil {
		t.Fatal("a forced missing plugin started")
	}
	// A bare "go" gets the worker setting that avoids the Go back-end's deadlock; explicit
	// options stay.
	t.Setenv(EnvBackend, "go")
	if c := Choose(); c.Config != "go:parallelism=-1" || c.Name != Go || !c.Forced {
		t.Errorf("GOMLX_BACKEND=go: %+v", c)
	}
	t.Setenv(EnvBackend, "go:ops_sequential")
	if c := Choose(); c.Config != "go:ops_sequential" {
		t.Errorf("GOMLX_BACKEND=go:ops_sequential: %+v", c)
	}
}

func TestFindsPythonCUDAPlugin(t *testing.T) {
	isolate(t)
	venv := t.TempDir()
	site := filepath.Join(venv, "lib", "python3.12", "site-packages")
	pluginDir := filepath.Join(site, "jax_plugins", "xla_cuda13")
	for _, d := range []string{pluginDir, filepath.Join(site, "nvidia", "cublas", "lib"), filepath.Join(site, "nvidia", "cudnn", "lib")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	plugin := filepath.Join(pluginDir, "xla_cuda_plugin.so")
	os.WriteFile(plugin, []byte("not really a library"), 0o644)
	t.Setenv("VIRTUAL_ENV", venv)

	c := Choose()
	if c.Name != XLA || c.Plugin != plugin || c.Config != "xla:"+plugin {
		t.Fatalf("choice %+v", c)
	}
	if len(c.LibraryDirs) != 2 || !strings.HasSuffix(c.LibraryDirs[0], "nvidia/cublas/lib") {
		t.Errorf("library dirs %v", c.LibraryDirs)
	}
	// The fake plugin cannot load: New falls back to the Go back-end and says why.
	b, c2, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if c2.Name != Go || !strings.Contains(c2.Warning, "falling back to the Go back-end") {
		t.Fatalf("fallback choice %+v", c2)
	}
}

func TestPluginName(t *testing.T) {
	for in, want := range map[string]string{
		"pjrt_c_api_cuda_plugin.so": "cuda",
		"pjrt_c_api_cpu_plugin.so":  "cpu",
		"pjrt-plugin-tpu.so":        "tpu",
	} {
		if got := pluginName(in); got != want {
			t.Errorf("pluginName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNoDownloadUnlessAsked checks that choosing and starting a back-end never lets go-xla
// download plugins: with no plugin on disk the Go back-end runs, and no go-xla folder appears
// in the (temporary) home directory.
func TestNoDownloadUnlessAsked(t *testing.T) {
	isolate(t)
	t.Setenv(EnvAutoInstall, "")
	b, c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if c.Name != Go && len(FindPlugins(PluginSearchPath())) == 0 {
		t.Fatalf("choice %+v", c)
	}
	home, _ := os.UserHomeDir()
	if _, err := os.Stat(filepath.Join(home, ".local", "lib", "go-xla")); err == nil {
		t.Error("go-xla installed plugins in the home directory without being asked")
	}
}

// TestSIMDReport checks that the report agrees with itself: a binary without the kernels says
// how to get them.
func TestSIMDReport(t *testing.T) {
	r := SIMD()
	switch {
	case r.Built && (r.Kernel == "" || r.Fix != ""):
		t.Errorf("built, but %+v", r)
	case !r.Built && (r.Kernel != "scalar" || !strings.Contains(r.Fix, "GOEXPERIMENT=simd")):
		t.Errorf("not built, but %+v", r)
	}
}

// TestSIMDBuiltWhenAsked checks that GOEXPERIMENT=simd in the test's environment (the README's
// test command sets it) reaches the build: the kernels are then in this binary.
func TestSIMDBuiltWhenAsked(t *testing.T) {
	if runtime.GOARCH != "amd64" || !strings.Contains(os.Getenv("GOEXPERIMENT"), "simd") {
		t.Skip("GOEXPERIMENT=simd is not set for this amd64 build")
	}
	if r := SIMD(); !r.Built {
		t.Fatalf("GOEXPERIMENT=simd is set but the binary has no SIMD kernels: %+v", r)
	}
}
