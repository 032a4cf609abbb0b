package backend

import (
	"os"
	"path/filepath"
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
	if c.Name != "simplego" || c.Config != "go:parallelism=-1" || c.Forced {
		t.Fatalf("choice %+v", c)
	}
	if !strings.Contains(c.Reason, "no PJRT plugin") || !strings.Contains(c.Reason, "/usr/local/lib/gomlx/pjrt") {
		t.Errorf("reason %q does not say what was searched", c.Reason)
	}
	b, c2, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if b.Name() != "SimpleGo (go)" && !strings.Contains(strings.ToLower(b.Name()), "go") {
		t.Errorf("backend name %q", b.Name())
	}
	if c2.Warning != "" {
		t.Errorf("unexpected warning %q", c2.Warning)
	}
}

func TestEnvOverrides(t *testing.T) {
	isolate(t)
	t.Setenv(EnvBackend, "stablehlo:/some/where/pjrt_c_api_cuda_plugin.so")
	c := Choose()
	if !c.Forced || c.Name != "stablehlo" || c.Plugin != "/some/where/pjrt_c_api_cuda_plugin.so" || !strings.Contains(c.Reason, EnvBackend) {
		t.Fatalf("choice %+v", c)
	}
	// Forced and broken: an error, never a silent fallback.
	if _, _, err := New(); err == nil {
		t.Fatal("a forced missing plugin started")
	}
	// A bare "go" gets the worker setting that avoids simplego's deadlock; explicit options stay.
	t.Setenv(EnvBackend, "go")
	if c := Choose(); c.Config != "go:parallelism=-1" || c.Name != "simplego" || !c.Forced {
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
	if c.Name != "stablehlo" || c.Plugin != plugin || c.Config != "stablehlo:"+plugin {
		t.Fatalf("choice %+v", c)
	}
	if len(c.LibraryDirs) != 2 || !strings.HasSuffix(c.LibraryDirs[0], "nvidia/cublas/lib") {
		t.Errorf("library dirs %v", c.LibraryDirs)
	}
	// The fake plugin cannot load: New falls back to simplego and says why.
	b, c2, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if c2.Name != "simplego" || !strings.Contains(c2.Warning, "falling back to simplego") {
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
